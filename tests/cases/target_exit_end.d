#pragma D option quiet
syscall::getppid:entry /pid == $target/ { n++; }
END { printf("saw %d\n", n); }
