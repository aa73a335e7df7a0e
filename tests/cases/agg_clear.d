/*
 * clear(): values become zero and keys stay, for every function; data
 * gathered afterwards counts from zero (min() and max() from a zero, as in
 * DTrace); keys created afterwards appear.
 */
#pragma D option quiet

BEGIN
{
	@c["a"] = count();
	@c["a"] = count();
	@c["b"] = count();
	@s["a"] = sum(10);
	@s["b"] = sum(-3);
	@mn["a"] = min(5);
	@mn["b"] = min(-5);
	@mx["a"] = max(5);
	@mx["b"] = max(-5);
	@av["a"] = avg(10);
	@sd["a"] = stddev(10);
	@q = quantize(4);
	@l = lquantize(4, 0, 10, 2);
	@one = count();
}

tick-1ms
{
	n++;
}

tick-1ms
/n == 1/
{
	printf("before");
	printa(@c);
	printa(@mn);
	clear(@c);
	clear(@s);
	clear(@mn);
	clear(@mx);
	clear(@av);
	clear(@sd);
	clear(@q);
	clear(@l);
	clear(@one);
	printf("cleared");
	printa(@c);
	printa(@s);
	printa(@mn);
	printa(@mx);
	printa(@av);
	printa(@sd);
	printa(@q);
	printa(@l);
	printa(@one);
}

tick-1ms
/n == 2/
{
	@c["b"] = count();
	@c["c"] = count();
	@s["a"] = sum(1);
	@mn["a"] = min(7);
	@mn["b"] = min(-1);
	@mx["a"] = max(-7);
	@mx["b"] = max(3);
	@av["a"] = avg(4);
	@av["a"] = avg(5);
	@sd["a"] = stddev(2);
	@sd["a"] = stddev(6);
	@q = quantize(-2);
	@l = lquantize(9, 0, 10, 2);
}

tick-1ms
/n == 3/
{
	printf("after");
	printa(@c);
	printa(@s);
	printa(@mn);
	printa(@mx);
	printa(@av);
	printa(@sd);
	printa(@q);
	printa(@l);
	printa(@one);
	exit(0);
}
