/* Fault injection for the data-verification tests: an LD_PRELOAD shim that
 * flips one bit in the data received through recv() once
 * FABCHECK_CORRUPT_AFTER bytes have gone by. fabcheck's socket transport
 * reads data with recv() and the bootstrap with read(), so only the
 * measured data path is hit. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/types.h>

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	static ssize_t (*real)(int, void *, size_t, int);
	static unsigned long long seen, after = (unsigned long long)-1;
	static int done, init;
	ssize_t n;

	if (!real)
		real = (ssize_t(*)(int, void *, size_t, int))dlsym(RTLD_NEXT, "recv");
	if (!init) {
		const char *s = getenv("FABCHECK_CORRUPT_AFTER");
		if (s)
			after = strtoull(s, NULL, 10);
		init = 1;
	}
	n = real(fd, buf, len, flags);
	if (n > 0 && !done && seen + (unsigned long long)n > after) {
		((unsigned char *)buf)[after - seen] ^= 0x10;
		done = 1;
	}
	if (n > 0)
		seen += (unsigned long long)n;
	return n;
}
