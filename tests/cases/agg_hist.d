/*
 * -x agghist: count() and sum() values drawn as histogram bars under a
 * "key" header (bars scaled to the aggregation's total, split around a
 * centre line when values of both signs exist); -x aggzoom scales them to
 * the largest value instead.
 */
#pragma D option quiet
#pragma D option agghist

BEGIN
{
	@c["a"] = count();
	@c["b"] = count();
	@c["b"] = count();
	@c["b"] = count();
	@c["c"] = count();
	@c["c"] = count();
	@c["c"] = count();
	@c["c"] = count();
	@c["c"] = count();
	@c["c"] = count();
	@s["neg"] = sum(-5);
	@s["pos"] = sum(15);
	exit(0);
}

END
{
	printa(@c);
	printa(@s);
	setopt("aggzoom");
	printa(@c);
	printa(@s);
}
