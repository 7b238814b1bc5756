/* Kernel TCP transport: the "without EFA" baseline. One or more connections
 * (-n, the way NCCL's socket transport stripes), messages framed by the sizes
 * both sides already agreed on through the bootstrap; op->stream picks the
 * connection, and each connection keeps its sends and receives in order.
 * GPU memory goes through pinned host copies of the registered buffers, as
 * NCCL does without EFA: the honest baseline for GPU-to-GPU over TCP. */
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

#include "cuda.h"
#include "errors.h"
#include "log.h"
#include "netif.h"
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

struct fc_xport {
	const struct fc_xport_cfg *cfg;
	struct stage {
		char *base, *host;
		size_t len;
	} stages[MAX_STAGES];
	int nstages;
	int lfd, nstreams;
	char addr[128]; /* "ip port" of the listener (server) */
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
	char port[16];

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
	if (cfg->mem.kind == FC_MEM_CUDA)
		info->gpu_path = "staged";
	if (fc_netif_for_addr(cfg->local_ip, info->domain, sizeof(info->domain)))
		snprintf(info->domain, sizeof(info->domain), "%s", cfg->local_ip);
	if (!cfg->is_server)
		return 0;
	/* The data connection listens on the bootstrap's local address, so it
	 * takes the same interface as the path to the peer. */
	if (resolve(cfg->local_ip, "0", &ss, &sl)) {
		fc_err("cannot use local address %s for the data connection", cfg->local_ip);
		return -FC_EXIT_FABRIC;
	}
	x->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (x->lfd < 0 || bind(x->lfd, (struct sockaddr *)&ss, sl) || listen(x->lfd, 4) ||
	    getsockname(x->lfd, (struct sockaddr *)&ss, &sl) ||
	    getnameinfo((struct sockaddr *)&ss, sl, NULL, 0, port, sizeof(port), NI_NUMERICSERV)) {
		fc_err("cannot listen for the data connection on %s: %s", cfg->local_ip, strerror(errno));
		return -FC_EXIT_FABRIC;
	}
	snprintf(x->addr, sizeof(x->addr), "%s %s", cfg->local_ip, port);
	snprintf(info->local_addr, sizeof(info->local_addr), "tcp://%s:%s", cfg->local_ip, port);
	return 0;
}

static int sock_get_addr(struct fc_xport *x, void *buf, size_t *len)
{
	size_t n = strlen(x->addr) + 1;

	if (n > *len)
		return -FC_EXIT_FABRIC;
	memcpy(buf, x->addr, n);
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
	int one = 1, b = x->cfg->sockbuf;

	/* Latency tests need every message on the wire at once. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (b && (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &b, sizeof(b)) ||
		  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &b, sizeof(b)))) {
		fc_err("cannot set socket buffers to %d bytes: %s", b, strerror(errno));
		return -FC_EXIT_FABRIC;
	}
	return 0;
}

/* Accepts the client's connections; each names its stream in one byte. */
static int accept_peer(struct fc_xport *x, uint64_t deadline)
{
	int have = 0;

	while (have < x->nstreams) {
		struct pollfd pfd = {.fd = x->lfd, .events = POLLIN};
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		char host[INET6_ADDRSTRLEN] = "?";
		unsigned char idx;
		int ms = fc_ms_left(deadline), fd;

		if (ms == 0) {
			fc_err("the client did not open its %d data connection(s) in time", x->nstreams);
			return -FC_EXIT_PEER;
		}
		if (poll(&pfd, 1, ms) <= 0)
			continue;
		fd = accept4(x->lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), NULL, 0, NI_NUMERICHOST);
		pfd = (struct pollfd){.fd = fd, .events = POLLIN};
		if ((strcmp(host, x->cfg->peer_ip) &&
		     (strncmp(host, "::ffff:", 7) || strcmp(host + 7, x->cfg->peer_ip))) ||
		    poll(&pfd, 1, fc_ms_left(fc_deadline_min(deadline, fc_deadline_in(2.0)))) <= 0 ||
		    recv(fd, &idx, 1, 0) != 1 || idx >= x->nstreams || x->st[idx].fd >= 0) {
			fc_warn("ignoring data connection from %s: not one of the bootstrap peer %s's streams",
				host, x->cfg->peer_ip);
			close(fd);
			continue;
		}
		x->st[idx].fd = fd;
		if (tune(x, fd))
			return -FC_EXIT_FABRIC;
		have++;
	}
	return 0;
}

static int connect_one(struct fc_xport *x, const char *ip, const char *port,
		       const struct sockaddr_storage *ss, socklen_t sl, int idx, uint64_t deadline)
{
	struct pollfd pfd;
	int err = 0, fd;
	socklen_t el = sizeof(err);
	unsigned char b = (unsigned char)idx;

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
	if (!err && send(fd, &b, 1, MSG_NOSIGNAL) != 1)
		err = errno;
	if (err) {
		fc_err("data connection %d to %s port %s failed: %s (a firewall between the nodes?)", idx, ip,
		       port, strerror(err));
		return -FC_EXIT_PEER;
	}
	return 0;
}

static int connect_peer(struct fc_xport *x, const char *addr, uint64_t deadline)
{
	char ip[INET6_ADDRSTRLEN] = "", port[16] = "";
	struct sockaddr_storage ss;
	socklen_t sl;
	int rc = 0;

	if (sscanf(addr, "%45s %15s", ip, port) != 2 || resolve(ip, port, &ss, &sl)) {
		fc_err("the server sent an unusable data address '%s'", addr);
		return -FC_EXIT_PEER;
	}
	for (int i = 0; i < x->nstreams && !rc; i++)
		rc = connect_one(x, ip, port, &ss, sl, i, deadline);
	return rc;
}

static int sock_connect(struct fc_xport *x, const void *peer, size_t len, uint64_t deadline,
			struct fc_xport_info *info)
{
	int rc;

	if (x->cfg->is_server) {
		(void)peer;
		(void)len;
		rc = accept_peer(x, deadline);
	} else {
		rc = connect_peer(x, peer, deadline);
	}
	if (rc)
		return rc;
	describe_conn(x, info);
	return 0;
}

static int sock_reg(struct fc_xport *x, void *buf, size_t len)
{
	struct stage *st;

	if (x->cfg->mem.kind != FC_MEM_CUDA)
		return 0;
	if (x->nstages == MAX_STAGES) {
		fc_err("more than %d GPU buffers to stage", MAX_STAGES);
		return -FC_EXIT_FABRIC;
	}
	st = &x->stages[x->nstages];
	if (fc_cuda_host_alloc((void **)&st->host, len))
		return -FC_EXIT_FABRIC;
	st->base = buf;
	st->len = len;
	x->nstages++;
	return 0;
}

/* Where the kernel reads or writes an op's bytes: the op's own buffer, or
 * for GPU memory its place in the pinned host stage. */
static char *host_side(struct fc_xport *x, struct fc_op *op)
{
	for (int i = 0; i < x->nstages; i++)
		if ((char *)op->buf >= x->stages[i].base && (char *)op->buf < x->stages[i].base + x->stages[i].len)
			return x->stages[i].host + ((char *)op->buf - x->stages[i].base);
	return op->buf;
}

/* Moves bytes for the head ops of one stream without blocking. Completed
 * ops go to done. Returns the number completed, or negative on failure. */
static int progress_stream(struct stream *st, struct fc_op **done, int max)
{
	int n = 0;
	struct fc_op *op;

	while (n < max && (op = opq_head(&st->sendq))) {
		ssize_t w = send(st->fd, (char *)op->xport_ctx[1] + op->xport_ctx[0], op->len - op->xport_ctx[0],
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			fc_err("data connection send failed: %s; the peer went away", strerror(errno));
			return -FC_EXIT_PEER;
		}
		op->xport_ctx[0] += (uint64_t)w;
		if (op->xport_ctx[0] < op->len)
			break;
		st->sendq.head++;
		done[n++] = op;
	}
	while (n < max && (op = opq_head(&st->recvq))) {
		ssize_t r = recv(st->fd, (char *)op->xport_ctx[1] + op->xport_ctx[0], op->len - op->xport_ctx[0],
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
		op->xport_ctx[0] += (uint64_t)r;
		if (op->xport_ctx[0] < op->len)
			break;
		st->recvq.head++;
		/* staged GPU receive: into device memory before it counts as done */
		if ((char *)op->xport_ctx[1] != (char *)op->buf &&
		    fc_cuda_h2d(op->buf, (char *)op->xport_ctx[1], op->len))
			return -FC_EXIT_FABRIC;
		done[n++] = op;
	}
	return n;
}

static int progress(struct fc_xport *x, struct fc_op **done, int max)
{
	int n = 0;

	for (int i = 0; i < x->nstreams && n < max; i++) {
		int k = progress_stream(&x->st[i], done + n, max - n);
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
	op->xport_ctx[0] = 0;
	op->xport_ctx[1] = (uint64_t)(uintptr_t)host_side(x, op);
	/* staged GPU send: out of device memory first */
	if ((char *)op->xport_ctx[1] != (char *)op->buf &&
	    fc_cuda_d2h((char *)op->xport_ctx[1], op->buf, op->len))
		return -FC_EXIT_FABRIC;
	return opq_push(&stream_of(x, op)->sendq, op);
}

static int sock_post_recv(struct fc_xport *x, struct fc_op *op, uint64_t deadline)
{
	(void)deadline;
	op->kind = FC_OP_RECV;
	op->xport_ctx[0] = 0;
	op->xport_ctx[1] = (uint64_t)(uintptr_t)host_side(x, op);
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
		fc_cuda_host_free(x->stages[i].host);
	if (x->lfd >= 0)
		close(x->lfd);
	free(x);
}

const struct fc_xport_ops fc_xport_socket = {
	.name = "socket",
	.open = sock_open,
	.get_addr = sock_get_addr,
	.connect = sock_connect,
	.reg = sock_reg,
	.post_send = sock_post_send,
	.post_recv = sock_post_recv,
	.poll = sock_poll,
	.close = sock_close,
};
