$DTRACE -s $SCRIPT 41 hello
