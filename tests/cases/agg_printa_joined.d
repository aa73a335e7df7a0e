/*
 * printa() of several aggregations without a format: the keys of all of
 * them, each followed by every aggregation's value (zero where it has
 * none), sorted by the first aggregation's value, then the next one's,
 * then by key.
 */
#pragma D option quiet

BEGIN
{
	@a["x"] = sum(1);
	@a["y"] = sum(2);
	@a["w"] = sum(3);
	@b["y"] = sum(10);
	@b["z"] = sum(-4);
	@b["w"] = sum(-10);
}

BEGIN
{
	printa(@a, @b);
	printa(@b, @a);
	exit(0);
}
