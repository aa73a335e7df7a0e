/*
 * printa() prints the aggregation as it is when its record is consumed:
 * every update made before the printing probe fired is included, and
 * printa() of a scalar aggregation prints its single value.
 */
#pragma D option quiet

syscall::getppid:entry
/pid == $target/
{
	@calls = count();
	@each[pid == $target] = sum(2);
}

syscall::exit_group:entry
/pid == $target/
{
	printa("getppid calls: %@d\n", @calls);
	printa(@calls);
}
