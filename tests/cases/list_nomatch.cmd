$DTRACE -l -n 'nosuch:::'
