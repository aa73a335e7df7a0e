/*
 * trunc(): keeps the largest entries (ties broken by key, largest first),
 * the smallest ones for a negative count, or none; a removed key that is
 * updated again comes back with only its new data. An aggregation that
 * printa() printed while empty is still listed at exit.
 */
#pragma D option quiet

BEGIN
{
	@s["a"] = sum(10);
	@s["b"] = sum(40);
	@s["c"] = sum(20);
	@s["d"] = sum(30);
	@s["e"] = sum(30);
	@t["a"] = count();
	@t["b"] = count();
	@t["b"] = count();
	@t["c"] = count();
	@t["c"] = count();
	@t["c"] = count();
	@u = count();
	@z["x"] = count();
	@big = sum(1);
}

tick-1ms
{
	n++;
}

tick-1ms
/n == 1/
{
	trunc(@s, 3);
	printa(@s);
	trunc(@t, -2);
	printa(@t);
	trunc(@u);
	printa(@u);
	trunc(@z, 0);
	trunc(@big, 5);
}

tick-1ms
/n == 2/
{
	@s["a"] = sum(5);
	@s["b"] = sum(1);
	@u = count();
}

tick-1ms
/n == 3/
{
	printa(@s);
	exit(0);
}
