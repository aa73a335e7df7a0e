#pragma D option quiet
#define GREETING "hi from cpp"
BEGIN { printf("%s %d\n", GREETING, VALUE); exit(0); }
