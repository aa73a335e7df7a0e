/*
 * -x aggpack: quantize() and lquantize() values on one line each, with a
 * header spanning the buckets used by any entry (ASCII bars, as chosen for
 * TERM=dumb).
 */
#pragma D option quiet
#pragma D option aggpack

BEGIN
{
	@q["a"] = quantize(1);
	@q["a"] = quantize(2);
	@q["a"] = quantize(3);
	@q["a"] = quantize(2);
	@q["b"] = quantize(8);
	@q["b"] = quantize(9);
	@l["x"] = lquantize(-1, 0, 4, 1);
	@l["x"] = lquantize(2, 0, 4, 1);
	@l["x"] = lquantize(2, 0, 4, 1);
	@l["y"] = lquantize(7, 0, 4, 1);
	exit(0);
}
