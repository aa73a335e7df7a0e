BEGIN { x = stringof(curthread->pid, 1); }
