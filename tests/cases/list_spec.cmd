$DTRACE -l -n 'syscall::getppid:' -n BEGIN
