/* unsupported: needs the sched and proc providers, which are not implemented yet. */
/* 19 "typical" clauses, then the marker clause last. */
syscall::read:entry { @reads[execname] = count(); }
syscall::read:return /arg1 > 0/ { @rbytes = quantize(arg1); }
syscall::write:entry { @writes[execname] = count(); }
syscall::write:return /arg1 > 0/ { @wbytes[execname] = sum(arg1); }
syscall::openat:entry { @opens[execname, copyinstr(arg1)] = count(); }
syscall::openat:return /(int)arg1 < 0/ { @openerr[execname] = count(); }
syscall::close:entry { @closes = count(); }
syscall::mmap:entry { @mmap[execname] = sum(arg1); }
syscall::munmap:entry { @munmaps = count(); }
syscall::brk:entry { @brk[execname] = count(); }
syscall::clock_nanosleep:entry { @sleeps[execname] = count(); }
syscall::execve:entry { @execs[copyinstr(arg0)] = count(); }
syscall::clone:entry { @clones[execname] = count(); }
syscall::futex:entry { @futex[execname] = count(); }
syscall::ioctl:entry { @ioctl[execname, arg1] = count(); }
syscall::epoll_wait:entry { @epoll[execname] = count(); }
sched:::off-cpu { @cs[cpu] = count(); }
proc:::exit { @exits[execname] = count(); }
syscall::kill:entry { @kills[execname, arg1] = count(); }
syscall::getppid:entry /pid == @PID@/ { printf("FIRED\n"); exit(0); }
