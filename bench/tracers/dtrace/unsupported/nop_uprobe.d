/* unsupported: needs the pid provider (uprobes), which is not implemented yet. */
BEGIN { printf("READY\n"); }
pid@PID@::bench_target:entry { this->nop = 0; /* non-empty: an empty D clause means the default (tracing) action */ }
