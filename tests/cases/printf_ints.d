#pragma D option quiet
BEGIN {
	printf("[%d] [%i] [%u] [%o] [%x] [%X]\n", 42, -42, 42, 8, 255, 255);
	printf("[%5d] [%-5d] [%05d] [%+d] [% d]\n", 42, 42, 42, 42, 42);
	printf("[%#o] [%#x] [%#X]\n", 8, 255, 255);
	printf("[%*d] [%-*d] [%.*d]\n", 6, 7, 6, 7, 4, 7);
	printf("[%ld] [%lld] [%lu] [%llx]\n", -1L, 9223372036854775807LL, 18446744073709551615UL, 18446744073709551615ULL);
	printf("[%hd] [%hu]\n", (short)70000, (unsigned short)70000);
	printf("[%d] [%u]\n", -1, -1);
	printf("[%c%c%c] [%3c] [%-3c]\n", 'a', 'b', 'c', 'x', 'y');
	printf("[%p] [%p]\n", 0, 4096);
	printf("100%%\n");
	exit(0);
}
