#pragma D option quiet
BEGIN {
	printf("%d %d\n", pid == $pid, ppid == $ppid);
	printf("%d %d\n", uid, gid);
	printf("%s\n", execname);
	printf("%d %d %d\n", timestamp > 0, vtimestamp > 0, walltimestamp > 1600000000000000000);
	printf("%d %d\n", cpu, id);
	printf("%s:%s:%s:%s\n", probeprov, probemod, probefunc, probename);
	printf("%d %d\n", tid == pid, curthread != 0);
	exit(0);
}
