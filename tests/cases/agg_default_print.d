/*
 * Every aggregating function printed by the listing at exit: entries
 * sorted by value with ties broken by key, aggregations in the order the
 * program first uses them.
 */
#pragma D option quiet

BEGIN
{
	@count["b"] = count();
	@count["a"] = count();
	@count["b"] = count();
	@count["c"] = count();

	@sum["neg"] = sum(-7);
	@sum["neg"] = sum(-8);
	@sum["pos"] = sum(5);
	@sum["zero"] = sum(-5);
	@sum["zero"] = sum(5);

	@avg["up"] = avg(1);
	@avg["up"] = avg(2);
	@avg["down"] = avg(-1);
	@avg["down"] = avg(-2);
	@avg["one"] = avg(7);

	@min["a"] = min(3);
	@min["a"] = min(-4);
	@min["b"] = min(10);
	@min["b"] = min(12);

	@max["a"] = max(-3);
	@max["a"] = max(-9);
	@max["b"] = max(10);
	@max["b"] = max(2);

	@sd["small"] = stddev(1);
	@sd["small"] = stddev(2);
	@sd["mixed"] = stddev(-3);
	@sd["mixed"] = stddev(5);
	@sd["flat"] = stddev(4);
	@sd["flat"] = stddev(4);
	@sd["wide"] = stddev(1000000000);
	@sd["wide"] = stddev(3000000000);

	@total = sum(100);
	@calls = count();
	@calls = count();
	@least = min(-1);
	@most = max(0);
	@mean = avg(-5);
	exit(0);
}
