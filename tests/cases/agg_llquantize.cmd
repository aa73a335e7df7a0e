$DTRACE -s $SCRIPT -c "$TRIGGER getppid 40"
