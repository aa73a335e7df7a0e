#pragma D option quiet
BEGIN {
	trace(1);
	trace(" ");
	trace(-2L);
	trace("\n");
	exit(0);
}
