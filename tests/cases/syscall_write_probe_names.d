#pragma D option quiet
syscall::write:entry /pid == $target/ { printf("%s:%s:%s:%s fd=%d len=%d\n", probeprov, probemod, probefunc, probename, arg0, arg2); }
syscall::write:return /pid == $target/ { printf("%s returned %d\n", probefunc, arg0); }
