/*
 * The aggregation sorting options at exit: aggsortkey sorts by key alone,
 * aggsortkeypos starts the key comparison at the given key (wrapping
 * around), aggsortrev reverses everything, the order of the aggregations
 * included.
 */
#pragma D option quiet
#pragma D option aggsortkey
#pragma D option aggsortkeypos=1
#pragma D option aggsortrev

BEGIN
{
	@a["b", 1] = count();
	@a["a", 2] = count();
	@a["a", 2] = count();
	@a["c", 0] = count();
	@a["a", 1] = count();
	@b["x"] = sum(5);
	@b["y"] = sum(1);
	exit(0);
}
