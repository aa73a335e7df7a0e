$DTRACE -s $SCRIPT & sleep 0.5; kill -INT $!; wait $!
