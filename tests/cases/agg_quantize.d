/*
 * quantize(): power-of-two buckets for positive, negative, zero and
 * extreme values, explicit (also negative) increments, and the order of
 * several histograms (by their weighted sums).
 */
#pragma D option quiet

BEGIN
{
	@x["zero"] = quantize(0);
	@x["one"] = quantize(1);
	@x["minus one"] = quantize(-1);
	@x["largest"] = quantize(0x7fffffffffffffff);
	@x["largest"] = quantize(1);
	@x["smallest"] = quantize(-0x7fffffffffffffff - 1);
	@x["2^62"] = quantize(0x4000000000000000);
	@x["2^62"] = quantize(0x3fffffffffffffff);
	@x["counts"] = quantize(5, -2);
	@x["counts"] = quantize(100, 3);
	@x["minus"] = quantize(-3, -1);
	@x["minus"] = quantize(-40, -4);
	@top = quantize(0x7fffffffffffffff);
}

syscall::getppid:entry
/pid == $target/
{
	i++;
	@q["linear"] = quantize(i);
	@q["negative"] = quantize(-i * 1000);
	@q["weighted"] = quantize(i - 10, i);
}
