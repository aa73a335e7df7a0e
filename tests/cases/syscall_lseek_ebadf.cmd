$DTRACE -s $SCRIPT -c "$TRIGGER args"
