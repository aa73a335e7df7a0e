#pragma D option quiet
BEGIN { printf("tracing\n"); }
END { printf("target gone\n"); }
