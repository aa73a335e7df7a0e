$DTRACE -s $SCRIPT -c "$TRIGGER badopen"
