$DTRACE -qn 'BEGIN { exit(3); }'
