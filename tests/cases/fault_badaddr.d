#pragma D option quiet
BEGIN { x = *(int *)0; printf("not reached\n"); }
BEGIN { printf("next clause\n"); exit(0); }
