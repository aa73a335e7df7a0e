$DTRACE -qn 'BEGIN { exit(0); }'
