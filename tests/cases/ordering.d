#pragma D option quiet
BEGIN { printf("begin\n"); }
tick-10ms { n++; printf("tick %d\n", n); }
tick-10ms /n == 3/ { exit(0); }
END { printf("end %d\n", n); }
