$TRIGGER sleep 300 & $DTRACE -s $SCRIPT -p $!
