rm -f /tmp/dtrace-case-o.txt; $DTRACE -qn 'BEGIN { printf("to file\n"); exit(0); }' -o /tmp/dtrace-case-o.txt; cat /tmp/dtrace-case-o.txt
