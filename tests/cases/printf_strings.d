#pragma D option quiet
BEGIN {
	s = "hello";
	printf("[%s] [%10s] [%-10s] [%.3s] [%10.2s]\n", s, s, s, s, s);
	printf("[%s]\n", "");
	printf("[%S]\n", "tab\there");
	printf("[%s%s]\n", "con", "cat");
	exit(0);
}
