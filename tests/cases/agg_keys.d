/*
 * Aggregation keys: integers of every size (printed with the width of
 * their size, 1- and 2-byte ones unsigned, and sorted as unsigned
 * numbers), strings (an empty one is dumped as bytes, as in DTrace) and
 * tuples of several keys.
 */
#pragma D option quiet

BEGIN
{
	@c[(char)-1] = count();
	@c[(char)1] = count();
	@c[(char)127] = count();
	@s[(short)-2] = count();
	@s[(short)300] = count();
	@i[-3] = count();
	@i[7] = count();
	@i[7] = count();
	@l[(long)-4] = count();
	@l[0x100000000] = count();
	@u[(unsigned int)0xffffffff] = count();
	@m["b", 2] = sum(5);
	@m["a", 2] = sum(5);
	@m["a", 1] = sum(5);
	@m["b", 1] = sum(1);
	@str["a much longer key that goes past fifty characters in width!"] = count();
	@str["short"] = count();
	@str["short"] = count();
	@empty[""] = count();
	exit(0);
}
