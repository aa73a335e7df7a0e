$DTRACE -n 'BEGIN { exit(0); }'
