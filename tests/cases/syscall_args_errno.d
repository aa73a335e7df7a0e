#pragma D option quiet
syscall::openat:entry /pid == $target/ { printf("openat flags=%d\n", arg2); }
syscall::openat:return /pid == $target/ { printf("openat returned %d %d errno=%d\n", arg0, arg1, errno); }
syscall::lseek:entry /pid == $target/ { printf("lseek(%d, %d, %d)\n", arg0, arg1, arg2); }
syscall::lseek:return /pid == $target/ { printf("lseek returned %d errno=%d\n", (int)arg0, errno); }
