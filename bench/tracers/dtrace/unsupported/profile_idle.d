/* unsupported: needs stack() as an aggregation key, which is not implemented yet. */
BEGIN { printf("READY\n"); }
profile-997 { @[stack()] = count(); }
