$DTRACE -s $SCRIPT -c "$TRIGGER getppid 1000"
