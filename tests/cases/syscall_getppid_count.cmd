$DTRACE -qn 'syscall::getppid:entry /pid == $target/ { n++ } syscall::exit_group:entry /pid == $target/ { printf("%d\n", n); }' -c "$TRIGGER getppid 1000"
