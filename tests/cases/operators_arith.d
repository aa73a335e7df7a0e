#pragma D option quiet
BEGIN {
	a = 17; b = 5;
	printf("%d %d %d %d %d\n", a + b, a - b, a * b, a / b, a % b);
	printf("%d %d %d\n", -a / b, -a % b, -a);
	printf("%d %d %d %d %d %d\n", a & b, a | b, a ^ b, ~a, a << 3, a >> 2);
	printf("%d %d %d %d %d %d\n", a < b, a <= b, a > b, a >= b, a == b, a != b);
	printf("%d %d %d %d\n", a && b, a && 0, 0 || b, !a);
	printf("%d %d\n", 1 ^^ 1, 1 ^^ 0);
	printf("%d %d\n", a > b ? a : b, a < b ? a : b);
	c = a; c += 3; printf("%d ", c); c -= 1; printf("%d ", c); c *= 2; printf("%d ", c);
	c /= 4; printf("%d ", c); c %= 5; printf("%d ", c); c <<= 4; printf("%d ", c);
	c >>= 1; printf("%d ", c); c |= 1; printf("%d ", c); c &= 3; printf("%d ", c); c ^= 7; printf("%d\n", c);
	i = 5; printf("%d %d %d %d %d\n", i++, i, ++i, i--, --i);
	printf("%d %d\n", sizeof (int), sizeof (uint64_t));
	printf("%d %d %d\n", (char)300, (unsigned char)300, (short)-70000);
	printf("%d\n", 2 + 3 * 4 - 10 / 2);
	printf("%d\n", (2 + 3) * 4);
	printf("%d %d\n", 1L << 62 >> 61, -8 >> 1);
	u = (uint64_t)-8; printf("%u\n", u >> 60);
	exit(0);
}
