#pragma D option quiet
BEGIN { printf("%d %s %s\n", $1, $$2, $$0 == "" ? "?" : "script"); exit(0); }
