/*
 * setopt() changes the aggregation sorting options while tracing (here for
 * printa() of joined aggregations); options that cannot change while
 * tracing, unknown options and bad values are reported and change nothing.
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
	printa("%s %@d %@d\n", @a, @b);
	setopt("aggsortpos", "1");
	printf("aggsortpos=1\n");
	printa("%s %@d %@d\n", @a, @b);
	setopt("aggsortrev");
	printf("aggsortrev\n");
	printa("%s %@d %@d\n", @a, @b);
	setopt("aggsortrev", "no");
	setopt("aggsortkey");
	printf("aggsortkey\n");
	printa("%s %@d %@d\n", @a, @b);
	setopt("bufsize", "1m");
	setopt("nosuch");
	setopt("aggsortpos", "x");
	printf("unchanged\n");
	printa("%s %@d %@d\n", @a, @b);
	setopt("aggsortkey", "no");
	setopt("aggsortpos", "0");
	exit(0);
}

END
{
	printa("%s %@d\n", @a);
}
