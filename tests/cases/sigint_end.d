#pragma D option quiet
BEGIN { printf("start\n"); }
END { printf("end\n"); }
