#!/usr/sbin/dtrace -qs
BEGIN { printf("shebang ok\n"); exit(0); }
