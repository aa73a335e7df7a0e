$DTRACE -qn 'syscall:::entry,syscall:::return { n++; } tick-50ms { exit(0); }'
