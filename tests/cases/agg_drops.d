/*
 * A full aggregation map: updates of keys that do not fit are counted and
 * reported as aggregation drops on the CPU where they happened, and the
 * keys that fit keep their data. (-x aggsize=1k leaves room for the
 * smallest map there is: 64 keys.)
 */
#pragma D option quiet

syscall::getppid:entry
/pid == $target/
{
	@[i++] = count();
}

END
{
	printa("%@d", @);
	printf("\n");
}
