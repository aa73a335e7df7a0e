$DTRACE -s $SCRIPT -c "$TRIGGER write hello"
