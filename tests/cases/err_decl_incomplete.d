struct nosuch s;
BEGIN { exit(0); }
