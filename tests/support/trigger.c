/*
 * A small program whose system calls the end-to-end tests trace. Each
 * subcommand makes a known, deterministic sequence of calls so that the
 * expected output of a D script can be written down exactly.
 *
 *   trigger getppid N          getppid() N times
 *   trigger badopen            open("/nonexistent/dtrace-test", O_RDONLY): ENOENT
 *   trigger write TEXT         write(fd, TEXT, strlen(TEXT)) to /dev/null
 *   trigger args               lseek(-1, 1234, SEEK_CUR): EBADF, then getppid()
 *   trigger sleep MS           nanosleep for MS milliseconds
 *   trigger exit N             exit with status N
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	const char *arg = argc > 2 ? argv[2] : "0";

	if (strcmp(cmd, "getppid") == 0) {
		int n = atoi(arg);
		for (int i = 0; i < n; i++)
			(void) getppid();
	} else if (strcmp(cmd, "badopen") == 0) {
		if (open("/nonexistent/dtrace-test", O_RDONLY) >= 0)
			return 1;
	} else if (strcmp(cmd, "write") == 0) {
		int fd = open("/dev/null", O_WRONLY);
		if (fd < 0 || write(fd, arg, strlen(arg)) < 0)
			return 1;
	} else if (strcmp(cmd, "args") == 0) {
		(void) lseek(-1, 1234, SEEK_CUR);
		(void) getppid();
	} else if (strcmp(cmd, "sleep") == 0) {
		struct timespec ts = { atoi(arg) / 1000, (atoi(arg) % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	} else if (strcmp(cmd, "exit") == 0) {
		return atoi(arg);
	}
	return 0;
}
