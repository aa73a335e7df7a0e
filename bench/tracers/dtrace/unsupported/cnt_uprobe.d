/* unsupported: needs the pid provider (uprobes), which is not implemented yet. */
BEGIN { printf("READY\n"); }
pid@PID@::bench_target:entry { @c = count(); }
