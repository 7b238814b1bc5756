/* Accepting a connection that proves who it is, without letting others
 * starve it: every pending connection is served at once, each with its own
 * deadline, and its first bytes are checked as they arrive. Idle,
 * half-open, garbage and wrong-version connections are answered (where the
 * check wants to) and dropped while the real peer is taken. Used by the
 * bootstrap listener (a hello frame) and by the socket transport's data
 * listener (a stream greeting with the run's cookie). */
#ifndef FC_ACCEPT_H
#define FC_ACCEPT_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define FC_ACCEPT_PENDING 64 /* connections served at once; the oldest gives way */

struct fc_greeting {
	int fd;
	char peer_ip[INET6_ADDRSTRLEN]; /* numeric; IPv4-mapped IPv6 shown as IPv4 */
	unsigned char *buf;             /* the bytes it sent so far (malloc'd, caller frees) */
	size_t len;
};

enum fc_greet { FC_GREET_MORE, FC_GREET_OK, FC_GREET_BAD };

/* Looks at what a connection sent so far: FC_GREET_MORE to wait for more
 * (up to max_len bytes), OK to take it, BAD (with *why) to drop it. It may
 * write an answer on g->fd before returning BAD. */
typedef enum fc_greet (*fc_greet_check)(const struct fc_greeting *g, void *arg, const char **why);

struct fc_accept_spec {
	int lfd;
	uint64_t deadline;  /* whole wait, CLOCK_MONOTONIC ns */
	double per_conn_s;  /* how long one connection may take to greet */
	size_t max_len;     /* longest greeting */
	fc_greet_check check;
	void *arg;
	const char *what;   /* "bootstrap port 47592", for warnings */
};

/* Connections accepted but not yet taken: they wait here between calls,
 * so a listener taking one peer after another (a coordinator's agents, a
 * server's data streams) loses none that arrived together. */
struct fc_pending;
struct fc_acceptor {
	struct fc_pending *p;
	int np;
	int warned;
};

/* 0 with *out the accepted connection, -ETIMEDOUT at the deadline, -EINTR
 * when a stop was requested, or another negative errno. */
int fc_accept_greeted(const struct fc_accept_spec *s, struct fc_acceptor *a, struct fc_greeting *out);
/* Closes what is still pending. */
void fc_acceptor_close(struct fc_acceptor *a);

/* The numeric address of a socket's peer (getpeername) or own side. */
void fc_sock_peer_ip(int fd, char *buf, size_t len);
void fc_sock_local_ip(int fd, char *buf, size_t len);

#endif
