#pragma D option quiet
BEGIN {
	s = "abc";
	t = strjoin(s, "def");
	printf("%s %d %d\n", t, strlen(t), strlen(""));
	printf("%d %d %d %d\n", s == "abc", s != "abc", s < "abd", "b" > s);
	u = s;
	s = "xyz";
	printf("%s %s\n", u, s);
	printf("%s\n", execname == "dtrace" ? "dtrace" : "other");
	exit(0);
}
