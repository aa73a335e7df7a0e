$DTRACE -l -P dtrace
