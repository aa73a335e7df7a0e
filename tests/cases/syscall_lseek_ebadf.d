#pragma D option quiet
syscall::openat:entry /pid == $target && arg2 == 0/ { self->in = 1; printf("openat flags=%d\n", arg2); }
syscall::openat:return /self->in/ { printf("openat returned %d %d errno=%d\n", arg0, arg1, errno); self->in = 0; }
syscall::lseek:entry /pid == $target/ { printf("lseek(%d, %d, %d)\n", arg0, arg1, arg2); }
syscall::lseek:return /pid == $target/ { printf("lseek returned %d errno=%d\n", (int)arg0, errno); }
syscall::getppid:return /pid == $target/ { printf("getppid returned %d errno=%d\n", arg0 == ppid, errno); }
