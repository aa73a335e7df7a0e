BEGIN {
	trace(1);
	trace((char)-1);
	trace((short)-1);
	trace(-1);
	trace(-1L);
	trace("hello");
	exit(0);
}
