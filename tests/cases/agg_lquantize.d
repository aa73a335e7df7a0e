/*
 * lquantize(): values below the base, inside, at and above the limit; a
 * negative base; the default step; a limit that is not a multiple of the
 * step; explicit increments; and the truncation of every value to 32 bits
 * before it is placed.
 */
#pragma D option quiet

BEGIN
{
	@l["edges"] = lquantize(-5, 0, 100, 10);
	@l["edges"] = lquantize(0, 0, 100, 10);
	@l["edges"] = lquantize(99, 0, 100, 10);
	@l["edges"] = lquantize(100, 0, 100, 10);
	@l["edges"] = lquantize(1000, 0, 100, 10);
	@l["truncated"] = lquantize(0x100000005, 0, 100, 10);
	@l["truncated"] = lquantize(0x80000000, 0, 100, 10);
	@l["truncated"] = lquantize(0xffffffff, 0, 100, 10);
	@l["truncated"] = lquantize(0x7fffffff, 0, 100, 10);
	@l["weights"] = lquantize(10, 0, 100, 10, 5);
	@l["weights"] = lquantize(20, 0, 100, 10, -2);

	@signed["all"] = lquantize(-51, -50, 50, 25);
	@signed["all"] = lquantize(-50, -50, 50, 25);
	@signed["all"] = lquantize(-26, -50, 50, 25);
	@signed["all"] = lquantize(-25, -50, 50, 25);
	@signed["all"] = lquantize(0, -50, 50, 25);
	@signed["all"] = lquantize(49, -50, 50, 25);
	@signed["all"] = lquantize(50, -50, 50, 25);

	@unit = lquantize(3, 0, 5);
	@unit = lquantize(3, 0, 5);
	@unit = lquantize(4, 0, 5);

	@uneven = lquantize(8, 0, 10, 3);
	@uneven = lquantize(9, 0, 10, 3);
	@uneven = lquantize(10, 0, 10, 3);
}

syscall::getppid:entry
/pid == $target/
{
	i++;
	@l["linear"] = lquantize(i * 7, 0, 100, 10);
}
