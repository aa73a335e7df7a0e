/* Every syscall entry and return probe; the first firing in the trigger process ends the run. */
syscall:::entry, syscall:::return /pid == @PID@/ { printf("FIRED\n"); exit(0); }
