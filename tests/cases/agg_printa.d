/*
 * printa(): without a format, with a format (keys by the ordinary
 * conversions, values by %@), several aggregations joined on their keys
 * (zero where one has no entry), and the listing at exit, which leaves out
 * what printa() printed.
 */
#pragma D option quiet

BEGIN
{
	@a["x"] = count();
	@a["y"] = count();
	@a["y"] = count();
	@b["y"] = sum(10);
	@b["z"] = sum(-4);
	@c[1, "one"] = count();
	@c[2, "two"] = count();
	@c[2, "two"] = count();
	@av["k"] = avg(3);
	@av["k"] = avg(4);
	@q["k"] = quantize(3);
	@rest["left"] = max(42);
}

BEGIN
{
	printa(@a);
	printf("--\n");
	printa("%s %@d\n", @a);
	printa("%-4s|%@8u|\n", @a);
	printa("%s %@d %@d\n", @a);
	printa("%s\n", @a);
	printa("%s: %@d %@d\n", @a, @b);
	printf("--\n");
	printa("%d %s %@d\n", @c);
	printa("%s %@d\n", @av);
	printa("%s%@d\n", @q);
	exit(0);
}
