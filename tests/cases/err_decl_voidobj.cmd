$DTRACE -xerrtags -s $SCRIPT
