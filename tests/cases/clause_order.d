#pragma D option quiet
BEGIN { x = 1; printf("first x=%d\n", x); }
BEGIN { x = x * 10; printf("second x=%d\n", x); }
BEGIN /x == 10/ { printf("third sees %d\n", x); }
BEGIN /x != 10/ { printf("never\n"); }
BEGIN { exit(0); }
