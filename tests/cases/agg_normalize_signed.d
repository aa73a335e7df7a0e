/*
 * normalize() where DTrace divides as signed numbers: a negative sum
 * printed with %@d, and stddev(), whose sum of squares is divided by the
 * square of the factor.
 */
#pragma D option quiet

BEGIN
{
	@s["neg"] = sum(-1500);
	@s["pos"] = sum(1000);
	@sd = stddev(1000);
	@sd = stddev(3000);
	normalize(@s, 100);
	normalize(@sd, 100);
}

BEGIN
{
	printa("%s %@d\n", @s);
	printa(@sd);
	exit(0);
}
