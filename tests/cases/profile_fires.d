#pragma D option quiet
profile-97 { n++; }
tick-300ms { exit(0); }
END { printf("%s\n", n > 0 ? "profile fired" : "profile silent"); }
