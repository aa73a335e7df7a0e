/*
 * llquantize(): log-linear buckets below the lowest magnitude, across
 * magnitudes (where the step widens), at the top of the range and beyond
 * it, for negative and very large values, and with increments.
 */
#pragma D option quiet

BEGIN
{
	@l["edges"] = llquantize(-1, 10, 0, 2, 20);
	@l["edges"] = llquantize(0, 10, 0, 2, 20);
	@l["edges"] = llquantize(1, 10, 0, 2, 20);
	@l["edges"] = llquantize(9, 10, 0, 2, 20);
	@l["edges"] = llquantize(10, 10, 0, 2, 20);
	@l["edges"] = llquantize(14, 10, 0, 2, 20);
	@l["edges"] = llquantize(15, 10, 0, 2, 20);
	@l["edges"] = llquantize(999, 10, 0, 2, 20);
	@l["edges"] = llquantize(1000, 10, 0, 2, 20);
	@l["edges"] = llquantize(0x7fffffffffffffff, 10, 0, 2, 20);
	@l["weights"] = llquantize(50, 10, 0, 2, 20, 4);
	@l["weights"] = llquantize(500, 10, 0, 2, 20, -1);

	@p2 = llquantize(1, 2, 2, 5, 4);
	@p2 = llquantize(4, 2, 2, 5, 4);
	@p2 = llquantize(5, 2, 2, 5, 4);
	@p2 = llquantize(6, 2, 2, 5, 4);
	@p2 = llquantize(7, 2, 2, 5, 4);
	@p2 = llquantize(8, 2, 2, 5, 4);
	@p2 = llquantize(13, 2, 2, 5, 4);
	@p2 = llquantize(63, 2, 2, 5, 4);
	@p2 = llquantize(64, 2, 2, 5, 4);

	@huge = llquantize(0x7fffffffffffffff, 10, 15, 18, 10);
	@huge = llquantize(5000000000000000000, 10, 15, 18, 10);
	@huge = llquantize(999999999999999, 10, 15, 18, 10);
}

syscall::getppid:entry
/pid == $target/
{
	i++;
	@l["squares"] = llquantize(i * i, 10, 0, 2, 20);
}
