#pragma D option quiet
ERROR { printf("ERROR probe: fault %d at 0x%x\n", arg4, arg5); }
BEGIN { x = *(int *)8; }
BEGIN { exit(0); }
