$DTRACE -n 'BEGIN {} BEGIN { exit(0); }'
