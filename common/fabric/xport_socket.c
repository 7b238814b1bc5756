/* Kernel TCP transport: the "without EFA" baseline. One or more connections
 * (-n, the way NCCL's socket transport stripes), messages framed by the sizes
 * both sides already agreed on through the bootstrap; op->stream picks the
 * connection, and each connection keeps its sends and receives in order.
 * GPU memory goes through pinned host copies of the registered buffers, as
 * NCCL does without EFA: the honest baseline for GPU-to-GPU over TCP.
 * The server tells only its data port; the client connects to the address
 * it already reached the server's bootstrap on, and each data connection
 * presents the run's cookie, so neither side can be sent elsewhere. */
#include "xport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "accept.h"
#include "errors.h"
#include "log.h"
#include "netif.h"
#include "stop.h"
#include "timing.h"

#define QMAX 4096
#define MAX_STREAMS 64

struct opq {
	struct fc_op *op[QMAX];
	unsigned head, tail; /* tail - head ops queued */
};

struct stream {
	int fd;
	struct opq sendq, recvq;
};

#define MAX_STAGES 4
#define GREET_MAGIC "FCDT"
#define GREET_LEN (4 + FC_COOKIE_LEN + 1) /* magic, cookie, stream index */

struct fc_xport {
	const struct fc_xport_cfg *cfg;
	struct stage {
		char *base, *host;
		size_t len;
	} stages[MAX_STAGES];
	int nstages;
	int lfd, nstreams;
	char port[8]; /* of the listener (server) */
	struct stream st[MAX_STREAMS];
};

static int opq_push(struct opq *q, struct fc_op *op)
{
	if (q->tail - q->head == QMAX) {
		fc_err("more than %d operations outstanding on the socket transport", QMAX);
		return -FC_EXIT_FABRIC;
	}
	q->op[q->tail++ % QMAX] = op;
	return 0;
}

static struct fc_op *opq_head(struct opq *q)
{
	return q->tail == q->head ? NULL : q->op[q->head % QMAX];
}

static int resolve(const char *ip, const char *port, struct sockaddr_storage *ss, socklen_t *sl)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST}, *res;

	if (getaddrinfo(ip, port, &hints, &res))
		return -1;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sl = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int sock_open(struct fc_xport **out, const struct fc_xport_cfg *cfg, struct fc_xport_info *info)
{
	struct fc_xport *x = calloc(1, sizeof(*x));
	struct sockaddr_storage ss;
	socklen_t sl;

	if (!x)
		return -FC_EXIT_FABRIC;
	*out = x;
	x->cfg = cfg;
	x->lfd = -1;
	x->nstreams = cfg->streams > 0 ? cfg->streams : 1;
	if (x->nstreams > MAX_STREAMS)
		x->nstreams = MAX_STREAMS;
	for (int i = 0; i < MAX_STREAMS; i++)
		x->st[i].fd = -1;
	snprintf(info->provider, sizeof(info->provider), "kernel-tcp");
	if (fc_mem_is_device(&cfg->mem))
		info->gpu_path = "staged";
	if (fc_netif_for_addr(cfg->local_ip, info->domain, sizeof(info->domain)))
		snprintf(info->domain, sizeof(info->domain), "%s", cfg->local_ip);
	/* the interface is the fabric here: records name where the bytes went */
	snprintf(info->fabric, sizeof(info->fabric), "%s", info->domain);
	if (!cfg->is_server)
		return 0;
	/* The data connection listens on the bootstrap's local address, so it
	 * takes the same interface as the path to the peer. */
	if (resolve(cfg->local_ip, "0", &ss, &sl)) {
		fc_err("cannot use local address %s for the data connection", cfg->local_ip);
		return -FC_EXIT_FABRIC;
	}
	x->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (x->lfd < 0 || bind(x->lfd, (struct sockaddr *)&ss, sl) || listen(x->lfd, 64) ||
	    getsockname(x->lfd, (struct sockaddr *)&ss, &sl) ||
	    getnameinfo((struct sockaddr *)&ss, sl, NULL, 0, x->port, sizeof(x->port), NI_NUMERICSERV)) {
		fc_err("cannot listen for the data connection on %s: %s", cfg->local_ip, strerror(errno));
		return -FC_EXIT_FABRIC;
	}
	snprintf(info->local_addr, sizeof(info->local_addr), "tcp://%s:%s", cfg->local_ip, x->port);
	return 0;
}

/* The server's data port, as text; the client has nothing to tell. */
static int sock_get_addr(struct fc_xport *x, void *buf, size_t *len)
{
	size_t n = strlen(x->port) + 1;

	if (n > *len)
		return -FC_EXIT_FABRIC;
	memcpy(buf, x->port, n);
	*len = n;
	return 0;
}

static void describe_conn(struct fc_xport *x, struct fc_xport_info *info)
{
	int fd = x->st[0].fd;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss), il = sizeof(int);
	char host[INET6_ADDRSTRLEN], port[16];

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 &&
	    getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), port, sizeof(port),
			NI_NUMERICHOST | NI_NUMERICSERV) == 0)
		snprintf(info->local_addr, sizeof(info->local_addr), "tcp://%s:%s", host, port);
	sl = sizeof(ss);
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0 &&
	    getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), port, sizeof(port),
			NI_NUMERICHOST | NI_NUMERICSERV) == 0)
		snprintf(info->peer_addr, sizeof(info->peer_addr), "tcp://%s:%s", host, port);
	getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &info->sndbuf, &il);
	il = sizeof(int);
	getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &info->rcvbuf, &il);
}

static int tune(struct fc_xport *x, int fd)
{
	int one = 1, b = (int)x->cfg->sockbuf;

	/* Latency tests need every message on the wire at once. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (b && (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &b, sizeof(b)) ||
		  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &b, sizeof(b)))) {
		fc_err("cannot set socket buffers to %d bytes: %s", b, strerror(errno));
		return -FC_EXIT_FABRIC;
	}
	return 0;
}

struct greet_arg {
	struct fc_xport *x;
	const char *peer_ip;
	const unsigned char *cookie;
};

static bool same_ip(const char *a, const char *b)
{
	return !strcmp(a, b) || (!strncmp(a, "::ffff:", 7) && !strcmp(a + 7, b)) ||
	       (!strncmp(b, "::ffff:", 7) && !strcmp(b + 7, a));
}

/* A data connection from the bootstrap peer, with the run's cookie, for a
 * stream not taken yet. */
static enum fc_greet check_stream(const struct fc_greeting *g, void *arg, const char **why)
{
	const struct greet_arg *a = arg;
	unsigned idx;

	if (!same_ip(g->peer_ip, a->peer_ip)) {
		*why = "it does not come from the bootstrap peer";
		return FC_GREET_BAD;
	}
	if (g->len < GREET_LEN)
		return FC_GREET_MORE;
	idx = g->buf[4 + FC_COOKIE_LEN];
	if (memcmp(g->buf, GREET_MAGIC, 4) || memcmp(g->buf + 4, a->cookie, FC_COOKIE_LEN)) {
		*why = "it did not present this run's cookie";
		return FC_GREET_BAD;
	}
	if (idx >= (unsigned)a->x->nstreams || a->x->st[idx].fd >= 0) {
		*why = "it names a stream that does not exist or is taken";
		return FC_GREET_BAD;
	}
	return FC_GREET_OK;
}

/* Accepts the client's connections, each naming its stream. */
static int accept_peer(struct fc_xport *x, const char *peer_ip, const unsigned char *cookie, uint64_t deadline)
{
	struct greet_arg arg = {x, peer_ip, cookie};
	struct fc_accept_spec spec = {.lfd = x->lfd, .deadline = deadline, .per_conn_s = 2.0, .max_len = GREET_LEN,
				      .check = check_stream, .arg = &arg, .what = "the data port"};
	struct fc_acceptor pending = {0};
	int rc = 0;

	for (int have = 0; have < x->nstreams && !rc; have++) {
		struct fc_greeting g;
		rc = fc_accept_greeted(&spec, &pending, &g);
		if (rc == -EINTR) {
			rc = fc_stop_check();
		} else if (rc) {
			fc_err("the client did not open its %d data connection(s) in time (%d arrived)", x->nstreams, have);
			rc = -FC_EXIT_PEER;
		} else {
			x->st[g.buf[4 + FC_COOKIE_LEN]].fd = g.fd;
			free(g.buf);
			rc = tune(x, g.fd) ? -FC_EXIT_FABRIC : 0;
		}
	}
	fc_acceptor_close(&pending);
	return rc;
}

static int connect_one(struct fc_xport *x, const char *ip, const char *port, const struct sockaddr_storage *ss,
		       socklen_t sl, int idx, const unsigned char *cookie, uint64_t deadline)
{
	struct pollfd pfd;
	int err = 0, fd;
	socklen_t el = sizeof(err);
	unsigned char greet[GREET_LEN];

	memcpy(greet, GREET_MAGIC, 4);
	memcpy(greet + 4, cookie, FC_COOKIE_LEN);
	greet[4 + FC_COOKIE_LEN] = (unsigned char)idx;
	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -FC_EXIT_FABRIC;
	x->st[idx].fd = fd;
	if (tune(x, fd))
		return -FC_EXIT_FABRIC;
	if (connect(fd, (const struct sockaddr *)ss, sl) && errno != EINPROGRESS)
		err = errno;
	pfd = (struct pollfd){.fd = fd, .events = POLLOUT};
	if (!err && poll(&pfd, 1, fc_ms_left(deadline)) <= 0)
		err = ETIMEDOUT;
	if (!err)
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
	if (!err && send(fd, greet, sizeof(greet), MSG_NOSIGNAL) != (ssize_t)sizeof(greet))
		err = errno ? errno : EPIPE;
	if (err) {
		fc_err("data connection %d to %s port %s failed: %s (a firewall between the nodes?)", idx, ip, port,
		       strerror(err));
		return -FC_EXIT_PEER;
	}
	return 0;
}

/* The server names only its port: the data path goes where the bootstrap
 * already reached it. */
static int connect_peer(struct fc_xport *x, const void *addr, size_t len, const char *peer_ip,
			const unsigned char *cookie, uint64_t deadline)
{
	char port[8];
	struct sockaddr_storage ss;
	socklen_t sl;
	char *end;
	long v;
	int rc = 0;

	if (len == 0 || len >= sizeof(port) || memchr(addr, '\0', len) != (const char *)addr + len - 1) {
		char shown[40];
		size_t n = len < sizeof(shown) ? len : sizeof(shown) - 1;
		memcpy(shown, addr, n);
		shown[n] = '\0';
		fc_err("the server sent an unusable data port ('%s', %zu bytes): the data path goes only to the "
		       "bootstrap peer's address, and a fabcheck server of this version names only its port",
		       fc_printable(shown, sizeof(shown), shown), len);
		return -FC_EXIT_USAGE;
	}
	memcpy(port, addr, len);
	v = strtol(port, &end, 10);
	if (*end || v < 1 || v > 65535 || resolve(peer_ip, port, &ss, &sl)) {
		fc_err("the server sent an unusable data port '%s'", port);
		return -FC_EXIT_USAGE;
	}
	for (int i = 0; i < x->nstreams && !rc; i++)
		rc = connect_one(x, peer_ip, port, &ss, sl, i, cookie, deadline);
	return rc;
}

static int sock_disconnect(struct fc_xport *x, uint64_t deadline)
{
	(void)deadline; /* nothing is inside a provider: closing is enough */
	for (int i = 0; i < MAX_STREAMS; i++) {
		if (x->st[i].fd >= 0)
			close(x->st[i].fd);
		x->st[i] = (struct stream){.fd = -1};
	}
	return 0;
}

static int sock_connect(struct fc_xport *x, const void *peer, size_t len, const char *peer_ip,
			const unsigned char cookie[FC_COOKIE_LEN], bool as_server, uint64_t deadline,
			struct fc_xport_info *info)
{
	int rc;

	sock_disconnect(x, deadline);
	if (as_server && x->lfd < 0) {
		fc_err("internal: the socket transport was opened without a data listener");
		return -FC_EXIT_FABRIC;
	}
	if (as_server)
		rc = accept_peer(x, peer_ip, cookie, deadline);
	else
		rc = connect_peer(x, peer, len, peer_ip, cookie, deadline);
	if (rc)
		return rc;
	describe_conn(x, info);
	return 0;
}

static int sock_reg(struct fc_xport *x, void *buf, size_t len)
{
	const struct fc_mem_ops *m = fc_mem_ops_of(&x->cfg->mem);
	struct stage *st;

	if (!fc_mem_is_device(&x->cfg->mem))
		return 0;
	if (x->nstages == MAX_STAGES) {
		fc_err("more than %d GPU buffers to stage", MAX_STAGES);
		return -FC_EXIT_FABRIC;
	}
	st = &x->stages[x->nstages];
	if (!(st->host = m->host_alloc(len))) {
		fc_err("cannot allocate %zu bytes of pinned host memory to stage GPU buffers", len);
		return -FC_EXIT_FABRIC;
	}
	st->base = buf;
	st->len = len;
	x->nstages++;
	return 0;
}

static void sock_dereg(struct fc_xport *x, void *buf)
{
	for (int i = 0; i < x->nstages; i++)
		if (x->stages[i].base == buf) {
			fc_mem_ops_of(&x->cfg->mem)->host_free(x->stages[i].host, x->stages[i].len);
			x->stages[i] = x->stages[--x->nstages];
			return;
		}
}

/* Where the kernel reads or writes an op's bytes: the op's own buffer, or
 * for GPU memory its place in the pinned host stage. */
static char *host_side(struct fc_xport *x, const struct fc_op *op)
{
	for (int i = 0; i < x->nstages; i++)
		if ((char *)op->buf >= x->stages[i].base && (char *)op->buf < x->stages[i].base + x->stages[i].len)
			return x->stages[i].host + ((char *)op->buf - x->stages[i].base);
	return op->buf;
}

/* Moves bytes for the head ops of one stream without blocking. Completed
 * ops go to done. Returns the number completed, or negative on failure. */
static int progress_stream(struct fc_xport *x, struct stream *st, struct fc_op **done, int max)
{
	int n = 0;
	struct fc_op *op;

	while (n < max && (op = opq_head(&st->sendq))) {
		ssize_t w = send(st->fd, op->host + op->moved, op->len - op->moved,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			fc_err("data connection send failed: %s; the peer went away", strerror(errno));
			return -FC_EXIT_PEER;
		}
		op->moved += (size_t)w;
		if (op->moved < op->len)
			break;
		st->sendq.head++;
		done[n++] = op;
	}
	while (n < max && (op = opq_head(&st->recvq))) {
		ssize_t r = recv(st->fd, op->host + op->moved, op->len - op->moved,
				 MSG_DONTWAIT);
		if (r == 0) {
			fc_err("the peer closed the data connection: it exited or failed");
			return -FC_EXIT_PEER;
		}
		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			fc_err("data connection receive failed: %s", strerror(errno));
			return -FC_EXIT_PEER;
		}
		op->moved += (size_t)r;
		if (op->moved < op->len)
			break;
		st->recvq.head++;
		/* staged GPU receive: into device memory before it counts as done */
		if (op->host != op->buf && fc_mem_ops_of(&x->cfg->mem)->from_host(op->buf, op->host, op->len)) {
			fc_err("copying %zu received bytes from the pinned stage into GPU memory failed", op->len);
			return -FC_EXIT_FABRIC;
		}
		done[n++] = op;
	}
	return n;
}

static int progress(struct fc_xport *x, struct fc_op **done, int max)
{
	int n = 0;

	for (int i = 0; i < x->nstreams && n < max; i++) {
		int k = progress_stream(x, &x->st[i], done + n, max - n);
		if (k < 0)
			return k;
		n += k;
	}
	return n;
}

static struct stream *stream_of(struct fc_xport *x, const struct fc_op *op)
{
	return &x->st[(unsigned)op->stream < (unsigned)x->nstreams ? op->stream : 0];
}

static int sock_post_send(struct fc_xport *x, struct fc_op *op, uint64_t deadline)
{
	(void)deadline;
	op->kind = FC_OP_SEND;
	op->moved = 0;
	op->host = host_side(x, op);
	/* staged GPU send: out of device memory first */
	if (op->host != op->buf && fc_mem_ops_of(&x->cfg->mem)->to_host(op->host, op->buf, op->len)) {
		fc_err("copying %zu bytes out of GPU memory into the pinned stage failed", op->len);
		return -FC_EXIT_FABRIC;
	}
	return opq_push(&stream_of(x, op)->sendq, op);
}

static int sock_post_recv(struct fc_xport *x, struct fc_op *op, uint64_t deadline)
{
	(void)deadline;
	op->kind = FC_OP_RECV;
	op->moved = 0;
	op->host = host_side(x, op);
	return opq_push(&stream_of(x, op)->recvq, op);
}

/* Busy polling spins on non-blocking syscalls, then blocks in poll() once
 * a wait has lasted a while: a socket stream that is only waiting for the
 * kernel to drain gives the CPU back (on a 2-core box the kernel's own TCP
 * work needs it), while a ping-pong reply still lands in the spin. */
#define SPIN_NS 50000

static int wait_fds(struct fc_xport *x, int ms)
{
	struct pollfd pfd[MAX_STREAMS];

	for (int i = 0; i < x->nstreams; i++) {
		pfd[i] = (struct pollfd){.fd = x->st[i].fd};
		if (opq_head(&x->st[i].sendq))
			pfd[i].events |= POLLOUT;
		if (opq_head(&x->st[i].recvq))
			pfd[i].events |= POLLIN;
	}
	return poll(pfd, (nfds_t)x->nstreams, ms);
}

static int sock_poll(struct fc_xport *x, struct fc_op **done, int max, uint64_t deadline)
{
	uint64_t spin_until = x->cfg->block ? 0 : fc_now_ns() + SPIN_NS;
	unsigned spins = 0;

	for (;;) {
		int n = progress(x, done, max);

		if (n != 0)
			return n;
		if ((++spins & 15) == 0 || x->cfg->block) {
			uint64_t now = fc_now_ns();
			int ms = fc_ms_left(deadline);
			if (now >= deadline)
				return 0;
			if (now >= spin_until)
				wait_fds(x, ms > 1 && !x->cfg->block ? 1 : ms > 100 ? 100 : ms);
		}
	}
}

static void sock_close(struct fc_xport *x)
{
	if (!x)
		return;
	for (int i = 0; i < MAX_STREAMS; i++)
		if (x->st[i].fd >= 0)
			close(x->st[i].fd);
	for (int i = 0; i < x->nstages; i++)
		fc_mem_ops_of(&x->cfg->mem)->host_free(x->stages[i].host, x->stages[i].len);
	if (x->lfd >= 0)
		close(x->lfd);
	free(x);
}

const struct fc_xport_ops fc_xport_socket = {
	.name = "socket",
	.open = sock_open,
	.get_addr = sock_get_addr,
	.connect = sock_connect,
	.disconnect = sock_disconnect,
	.reg = sock_reg,
	.dereg = sock_dereg,
	.post_send = sock_post_send,
	.post_recv = sock_post_recv,
	.poll = sock_poll,
	.close = sock_close,
};
