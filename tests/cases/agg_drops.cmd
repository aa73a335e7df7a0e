$DTRACE -x aggsize=1k -s $SCRIPT -c "$TRIGGER getppid 100"
