BEGIN { printf("hi\n", 1); }
