/* The plain TCP round trip fabcheck's socket transport is compared with in
 * `make bench`: blocking read/write of one message each way, TCP_NODELAY,
 * nothing else. Prints the mean one-way latency in microseconds.
 *   tcp_rtt server PORT SIZE ITERS      tcp_rtt client HOST PORT SIZE ITERS */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int xfer(int fd, char *buf, size_t len, int out)
{
	while (len) {
		ssize_t n = out ? write(fd, buf, len) : read(fd, buf, len);
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int server = argc == 5 && !strcmp(argv[1], "server");
	int one = 1, fd;
	struct sockaddr_in sa = {.sin_family = AF_INET};
	size_t size;
	long iters;
	char *buf;

	if (!server && !(argc == 6 && !strcmp(argv[1], "client"))) {
		fprintf(stderr, "usage: tcp_rtt server PORT SIZE ITERS | client HOST PORT SIZE ITERS\n");
		return 2;
	}
	sa.sin_port = htons((uint16_t)atoi(argv[server ? 2 : 3]));
	size = strtoul(argv[server ? 3 : 4], NULL, 10);
	iters = atol(argv[server ? 4 : 5]);
	buf = calloc(1, size);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (server) {
		int lfd = fd;
		setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 1))
			return 1;
		fd = accept(lfd, NULL, NULL);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		for (long i = 0; i < iters; i++)
			if (xfer(fd, buf, size, 0) || xfer(fd, buf, size, 1))
				return 1;
		return 0;
	}
	inet_pton(AF_INET, argv[2], &sa.sin_addr);
	for (int tries = 0; connect(fd, (struct sockaddr *)&sa, sizeof(sa)); tries++) {
		if (tries > 100)
			return 1;
		usleep(20000);
		close(fd);
		fd = socket(AF_INET, SOCK_STREAM, 0);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < iters; i++)
		if (xfer(fd, buf, size, 1) || xfer(fd, buf, size, 0))
			return 1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%.3f\n", ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / 1e3 / iters / 2);
	return 0;
}
