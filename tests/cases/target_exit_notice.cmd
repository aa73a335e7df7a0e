$DTRACE -n 'syscall::getppid:entry /pid == $target/ { n++; }' -c "$TRIGGER getppid 3"
