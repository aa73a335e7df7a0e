$DTRACE -xerrtags -s $SCRIPT extra
