$DTRACE -s $SCRIPT & sleep 0.5; kill -TERM $!; wait $!
