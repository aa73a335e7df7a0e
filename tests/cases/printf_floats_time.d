#pragma D option quiet
BEGIN {
	printf("[%Y]\n", 0);
	printf("[%Y]\n", 1700000000000000000);
	exit(0);
}
