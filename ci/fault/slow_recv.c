/* Fault injection for the size-time bound: an LD_PRELOAD shim that makes
 * every recv() sleep FABCHECK_SLOW_US microseconds once FABCHECK_SLOW_AFTER
 * bytes have come in, so a run slows down after its warmup, on cue and
 * whatever else the machine is doing. fabcheck's socket transport reads
 * data with recv(), the bootstrap with read(): only the data path slows. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	static ssize_t (*real)(int, void *, size_t, int);
	static unsigned long long seen, after = (unsigned long long)-1;
	static long us;
	static int init;
	ssize_t n;

	if (!real)
		real = (ssize_t(*)(int, void *, size_t, int))dlsym(RTLD_NEXT, "recv");
	if (!init) {
		const char *a = getenv("FABCHECK_SLOW_AFTER"), *u = getenv("FABCHECK_SLOW_US");
		if (a)
			after = strtoull(a, NULL, 10);
		us = u ? strtol(u, NULL, 10) : 1000;
		init = 1;
	}
	if (seen >= after) {
		struct timespec ts = {us / 1000000, us % 1000000 * 1000};
		nanosleep(&ts, NULL);
	}
	n = real(fd, buf, len, flags);
	if (n > 0)
		seen += (unsigned long long)n;
	return n;
}
