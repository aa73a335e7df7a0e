/*
 * normalize() and denormalize(): values print divided by the factor
 * (count, sum — negative sums divide as unsigned numbers in the default
 * layout, as in DTrace — avg and histogram counts), in printa() with and
 * without a format and at exit; keys that appear after normalize() are not
 * normalized.
 */
#pragma D option quiet

BEGIN
{
	@s["a"] = sum(1000);
	@s["b"] = sum(2500);
	@s["neg"] = sum(-1500);
	@c["a"] = count();
	@c["a"] = count();
	@c["a"] = count();
	@av = avg(1000);
	@av = avg(3000);
	@q = quantize(5, 40);
	@q = quantize(100, 10);
	@left = sum(700);
}

tick-1ms
{
	n++;
}

tick-1ms
/n == 1/
{
	normalize(@s, 100);
	normalize(@c, 2);
	normalize(@av, 100);
	normalize(@q, 10);
	normalize(@left, 7);
	printa(@s);
	printa("%s %@d\n", @c);
	printa(@c);
	printa(@av);
	printa(@q);
}

tick-1ms
/n == 2/
{
	@s["c"] = sum(700);
}

tick-1ms
/n == 3/
{
	printa(@s);
	denormalize(@s);
	printa(@s);
	exit(0);
}
