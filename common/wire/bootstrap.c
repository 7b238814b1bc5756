#include "bootstrap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "accept.h"
#include "errors.h"
#include "log.h"
#include "stop.h"
#include "timing.h"

#define HDR_LEN 12

struct frame_hdr {
	uint32_t magic, len;
	uint16_t version, type;
};

const char *fc_boot_type_name(unsigned type)
{
	static const char *const names[] = {"?",     "HELLO", "ERROR", "PARAMS", "ADDR", "SIZES",  "BEGIN",
					    "READY", "ITERS", "RESULT", "END",   "ROUND", "REPORT", "FINISH", "CUT",
					    "MORE"};
	return type < FC_MSG_TYPES_END ? names[type] : "unknown";
}

bool fc_boot_peer_stopped(int fd)
{
	unsigned char h[12];
	uint16_t type;
	ssize_t n;

	if (fd < 0)
		return false;
	n = recv(fd, h, sizeof(h), MSG_PEEK | MSG_DONTWAIT);
	if (n == 0)
		return true; /* closed */
	if (n < 0)
		return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
	if ((size_t)n < sizeof(h))
		return false;
	memcpy(&type, h + 6, sizeof(type)); /* encode_hdr: magic, version, type, length */
	return ntohs(type) == FC_MSG_ERROR;
}

bool fc_boot_peer_stops_within(int fd, double seconds)
{
	uint64_t end = fc_deadline_in(seconds);

	if (fd < 0)
		return false;
	while (!fc_boot_peer_stopped(fd)) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		uint64_t now = fc_now_ns();
		if (now >= end)
			return false;
		/* readable once a frame or the close arrives; a frame that is
		 * not an ERROR stays readable: then only the time runs out */
		if (poll(&p, 1, (int)((end - now) / 1000000 + 1)) > 0 && !fc_boot_peer_stopped(fd))
			return false;
	}
	return true;
}

static void encode_hdr(unsigned char *p, uint16_t type, uint32_t len)
{
	uint32_t m = htonl(FC_BOOT_MAGIC), l = htonl(len);
	uint16_t v = htons(FC_BOOT_VERSION), t = htons(type);

	memcpy(p, &m, 4);
	memcpy(p + 4, &v, 2);
	memcpy(p + 6, &t, 2);
	memcpy(p + 8, &l, 4);
}

static void decode_hdr(const unsigned char *p, struct frame_hdr *h)
{
	memcpy(&h->magic, p, 4);
	memcpy(&h->version, p + 4, 2);
	memcpy(&h->type, p + 6, 2);
	memcpy(&h->len, p + 8, 4);
	h->magic = ntohl(h->magic);
	h->version = ntohs(h->version);
	h->type = ntohs(h->type);
	h->len = ntohl(h->len);
}

/* 0 when all len bytes arrived, -ETIMEDOUT, -EINTR (stop requested), or
 * -EPIPE on EOF / error. Reads with read(), never recv(): the data-path
 * fault shims in ci/ hook recv() alone. */
static int read_full(int fd, void *buf, size_t len, uint64_t deadline)
{
	char *p = buf;

	while (len) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		uint64_t slice = fc_deadline_min(deadline, fc_deadline_in(FC_STOP_SLICE_S));
		ssize_t n;

		if (fc_stop_signal())
			return -EINTR;
		if (fc_now_ns() >= deadline)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, fc_ms_left(slice)) <= 0)
			continue;
		n = read(fd, p, len);
		if (n == 0)
			return -EPIPE;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -EPIPE;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t len, uint64_t deadline)
{
	const char *p = buf;

	while (len) {
		struct pollfd pfd = {.fd = fd, .events = POLLOUT};
		ssize_t n;

		if (fc_now_ns() >= deadline)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, fc_ms_left(fc_deadline_min(deadline, fc_deadline_in(FC_STOP_SLICE_S)))) <= 0)
			continue;
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -EPIPE;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* 0, or -FC_EXIT_PEER without a message (the callers decide what to say). */
static int send_frame(int fd, double timeout_s, enum fc_boot_type type, json_t *payload)
{
	char *text = payload ? json_dumps(payload, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	size_t len = text ? strlen(text) : 0;
	unsigned char hdr[HDR_LEN];
	uint64_t deadline = fc_deadline_in(timeout_s);
	int rc;

	json_decref(payload);
	if (payload && !text)
		return -FC_EXIT_FABRIC;
	encode_hdr(hdr, (uint16_t)type, (uint32_t)len);
	rc = write_full(fd, hdr, sizeof(hdr), deadline);
	if (!rc && len)
		rc = write_full(fd, text, len, deadline);
	free(text);
	return rc ? -FC_EXIT_PEER : 0;
}

/* A payload is a JSON object (jansson refuses nesting deeper than its own
 * limit, so a deep document is a parse error, not a stack overflow). */
static json_t *parse_payload(const void *text, size_t len, const char **why)
{
	json_error_t jerr;
	json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);

	if (!j) {
		*why = "its payload is not valid JSON";
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		*why = "its payload is not a JSON object";
		return NULL;
	}
	return j;
}

/* Reads one frame. Returns 0, -ETIMEDOUT, -EINTR, -EPIPE, or -EPROTO with
 * *why set. */
static int recv_frame(int fd, uint64_t deadline, struct frame_hdr *h, json_t **payload, const char **why)
{
	unsigned char raw[HDR_LEN];
	char *text;
	int rc;

	*payload = NULL;
	if ((rc = read_full(fd, raw, sizeof(raw), deadline)))
		return rc;
	decode_hdr(raw, h);
	if (h->magic != FC_BOOT_MAGIC) {
		*why = "it is not a fabcheck peer (bad magic)";
		return -EPROTO;
	}
	if (h->len > FC_BOOT_MAX_PAYLOAD) {
		*why = "its frame length is over the 4 MiB limit";
		return -EPROTO;
	}
	if (h->len == 0)
		return 0;
	text = malloc(h->len);
	if (!text)
		return -ENOMEM;
	rc = read_full(fd, text, h->len, deadline);
	if (!rc && !(*payload = parse_payload(text, h->len, why)))
		rc = -EPROTO;
	free(text);
	return rc;
}

static int peer_error(struct fc_boot *b, json_t *payload)
{
	const char *msg = json_string_value(json_object_get(payload, "message"));
	json_int_t code = json_integer_value(json_object_get(payload, "exit"));
	char text[1024];

	b->peer_failed = true;
	fc_err("peer %s stopped: %s", b->peer_host, msg ? fc_printable(text, sizeof(text), msg) : "(no reason given)");
	if (code < FC_EXIT_BELOW || code > FC_EXIT_VERIFY)
		code = FC_EXIT_PEER;
	return -(int)code;
}

/* After a failure: the ERROR frame the peer sent before it closed, if
 * one arrives within 0.5 s, reported as its reason. Returns its exit
 * code (negative), or 0 when the peer said nothing. */
static int peer_reason(struct fc_boot *b)
{
	struct frame_hdr h;
	const char *why = "";
	json_t *p = NULL;
	int rc = 0;

	if (!recv_frame(b->fd, fc_deadline_in(0.5), &h, &p, &why) && h.type == FC_MSG_ERROR)
		rc = peer_error(b, p);
	json_decref(p);
	return rc;
}

int fc_boot_send(struct fc_boot *b, enum fc_boot_type type, json_t *payload)
{
	int rc = send_frame(b->fd, b->op_timeout_s, type, payload), said;

	if (!rc)
		return 0;
	/* A peer that refused us (busy, wrong cookie) said why before it
	 * closed: its reason, still in our receive queue, beats "lost". */
	if (rc == -FC_EXIT_PEER && (said = peer_reason(b)))
		return said;
	fc_err("bootstrap connection to %s lost while sending %s: the peer exited or the network dropped it",
	       b->peer_host, fc_boot_type_name(type));
	return rc;
}

/* The deadline that passed, named by the option that sets it: the run's
 * (-t), or a cluster step's (a third of --pair-timeout). */
static void deadline_passed(const struct fc_boot *b, const char *when, const char *what, const char *more)
{
	if (b->deadline_option)
		fc_err("the step deadline (a third of %s) passed %s %s: raise %s%s", b->deadline_option, when, what,
		       b->deadline_option, more);
	else
		fc_err("the run deadline (-t) passed %s %s: raise -t%s", when, what, more);
}

int fc_boot_expect(struct fc_boot *b, enum fc_boot_type type, uint64_t deadline, const char *during,
		   json_t **payload)
{
	return fc_boot_expect_any(b, 1u << type, deadline, during, NULL, payload);
}

int fc_boot_expect_any(struct fc_boot *b, unsigned types, uint64_t deadline, const char *during,
		       enum fc_boot_type *got, json_t **payload)
{
	struct frame_hdr h;
	const char *why = "";
	json_t *p = NULL;
	uint64_t t0 = fc_now_ns();
	uint64_t dl = fc_deadline_min(deadline, fc_deadline_in(b->op_timeout_s));
	int rc = recv_frame(b->fd, dl, &h, &p, &why);

	if (payload)
		*payload = NULL;
	if (rc == -EINTR)
		return fc_stop_check();
	if (rc == -ETIMEDOUT) {
		if (fc_now_ns() >= deadline)
			deadline_passed(b, "while", during, ", or give fewer sizes or iterations");
		else
			fc_err("peer %s sent nothing for %.1f s while %s: it hung or is overloaded (raise -T if it is slow)",
			       b->peer_host, (double)(fc_now_ns() - t0) / 1e9, during);
		return -FC_EXIT_PEER;
	}
	if (rc == -EPIPE) {
		fc_err("peer %s closed the bootstrap connection while %s: it failed or was stopped; see its output",
		       b->peer_host, during);
		return -FC_EXIT_PEER;
	}
	if (rc) {
		b->told_peer = true; /* a peer that cannot frame cannot read our reason either */
		fc_err("bootstrap frame from %s is unreadable while %s: %s", b->peer_host, during, why);
		return -FC_EXIT_USAGE;
	}
	if (h.type == FC_MSG_ERROR) {
		rc = peer_error(b, p);
		json_decref(p);
		return rc;
	}
	if (h.version != FC_BOOT_VERSION) {
		json_decref(p);
		return fc_boot_fail(b, FC_EXIT_USAGE,
				    "bootstrap protocol version mismatch: %s speaks version %u, %s speaks %u; "
				    "run the same fabcheck version on both sides",
				    b->peer_host, h.version, b->local_ip, FC_BOOT_VERSION);
	}
	if (h.type >= FC_MSG_TYPES_END || !(types & (1u << h.type))) {
		json_decref(p);
		return fc_boot_fail(b, FC_EXIT_USAGE, "bootstrap out of step with %s while %s: got %s (type %u)",
				    b->peer_host, during, fc_boot_type_name(h.type), h.type);
	}
	if (got)
		*got = (enum fc_boot_type)h.type;
	if (!p && h.type != FC_MSG_READY && h.type != FC_MSG_END && h.type != FC_MSG_FINISH)
		return fc_boot_fail(b, FC_EXIT_USAGE, "%s from %s has no payload while %s",
				    fc_boot_type_name(h.type), b->peer_host, during);
	if (payload)
		*payload = p;
	else
		json_decref(p);
	return 0;
}

void fc_boot_tell(int fd, int exit_code, const char *msg)
{
	/* one second at most: never hang on a peer that is already gone */
	send_frame(fd, 1.0, FC_MSG_ERROR, json_pack("{s:s, s:i}", "message", msg, "exit", exit_code));
}

int fc_boot_fail(struct fc_boot *b, int exit_code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fc_status_set(b->status, -exit_code, msg);
	fc_err("%s", msg);
	if (b->fd >= 0 && !b->told_peer && !b->peer_failed)
		fc_boot_tell(b->fd, exit_code, msg);
	b->told_peer = true;
	return -exit_code;
}

int fc_boot_forward(struct fc_boot *b, int rc)
{
	/* "the peer went away" on the data path often has a reason behind it
	 * that the peer sent on this connection just before it closed its
	 * endpoints (a signal, a failed check): say it, and say nothing back */
	if (b->fd >= 0 && rc == -FC_EXIT_PEER && !b->told_peer && !b->peer_failed)
		peer_reason(b);
	if (b->fd >= 0 && rc < 0 && !b->told_peer && !b->peer_failed) {
		int code = fc_exit_status(rc);
		/* a signal here is the peer's "gone" */
		fc_boot_tell(b->fd, code > FC_EXIT_VERIFY ? FC_EXIT_PEER : code,
			     fc_status_msg(b->status, "the peer failed (no reason recorded)"));
		b->told_peer = true;
	}
	return rc;
}

static void note_endpoints(struct fc_boot *b)
{
	int one = 1;

	setsockopt(b->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fc_sock_local_ip(b->fd, b->local_ip, sizeof(b->local_ip));
	fc_sock_peer_ip(b->fd, b->peer_ip, sizeof(b->peer_ip));
}

static int try_connect(const struct addrinfo *ai, uint64_t deadline, int *err)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	struct pollfd pfd;
	socklen_t el = sizeof(*err);

	if (fd < 0) {
		*err = errno;
		return -1;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS) {
		*err = errno;
		close(fd);
		return -1;
	}
	pfd = (struct pollfd){.fd = fd, .events = POLLOUT};
	if (poll(&pfd, 1, fc_ms_left(fc_deadline_min(deadline, fc_deadline_in(1.0)))) <= 0) {
		*err = ETIMEDOUT;
		close(fd);
		return -1;
	}
	getsockopt(fd, SOL_SOCKET, SO_ERROR, err, &el);
	if (*err) {
		close(fd);
		return -1;
	}
	return fd;
}

int fc_boot_connect(struct fc_boot *b, const char *host, uint16_t port, uint64_t deadline, json_t *hello,
		    json_t **peer_hello)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	char service[8], during[160];
	int err = 0, rc;
	uint64_t start = fc_now_ns();
	bool tried = false;

	b->fd = -1;
	b->told_peer = b->peer_failed = false;
	snprintf(b->peer_host, sizeof(b->peer_host), "%s", host);
	snprintf(service, sizeof(service), "%u", port);
	rc = getaddrinfo(host, service, &hints, &res);
	if (rc) {
		json_decref(hello);
		fc_err("cannot resolve peer host '%s': %s; check the name or give an IP address", host,
		       gai_strerror(rc));
		return -FC_EXIT_PEER;
	}
	/* The server may not be listening yet: keep trying until the deadline. */
	while (b->fd < 0 && fc_now_ns() < deadline && !fc_stop_signal()) {
		tried = true;
		for (struct addrinfo *ai = res; ai && b->fd < 0; ai = ai->ai_next)
			b->fd = try_connect(ai, deadline, &err);
		if (b->fd < 0) {
			struct timespec ts = {0, 100 * 1000 * 1000};
			fc_progress("waiting for the server on %s port %u (%s)", host, port, strerror(err));
			nanosleep(&ts, NULL);
		}
	}
	freeaddrinfo(res);
	if (b->fd < 0) {
		json_decref(hello);
		if (fc_stop_signal())
			return fc_stop_check();
		if (!tried) {
			/* the deadline had passed before the first try (a start that
			 * took it all: a loaded machine, a slow library load) */
			snprintf(during, sizeof(during), "%s port %u was tried", host, port);
			deadline_passed(b, "before", during, "");
			return -FC_EXIT_PEER;
		}
		fc_err("no fabcheck server answered on %s port %u within %.1f s (%s): %s", host, port,
		       (double)(fc_now_ns() - start) / 1e9, strerror(err ? err : ETIMEDOUT),
		       b->no_answer_remedy ? b->no_answer_remedy
					   : "start the server side first with the same -B port, and check that the port "
					     "is open between the nodes");
		return -FC_EXIT_PEER;
	}
	fc_progress_done();
	note_endpoints(b);
	if ((rc = fc_boot_send(b, FC_MSG_HELLO, hello)))
		return rc;
	/* a fabcheck server answers a hello at once: silence is another
	 * program on that port, or a server too loaded to run */
	snprintf(during, sizeof(during),
		 "waiting for the server's hello (something accepted on port %u but said nothing: is it fabcheck's "
		 "-B port?)",
		 port);
	return fc_boot_expect(b, FC_MSG_HELLO, deadline, during, peer_hello);
}

int fc_listener_open(struct fc_listener *l, uint16_t port)
{
	int one = 1, zero = 0, fd;
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
	struct sockaddr_in s4 = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	l->fd = -1;
	/* Dual stack when the host has IPv6, plain IPv4 otherwise (some
	 * namespaces and containers have IPv6 disabled). */
	fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		if (bind(fd, (struct sockaddr *)&s6, sizeof(s6)) || listen(fd, 64)) {
			int e = errno;
			close(fd);
			fd = e == EADDRINUSE ? -EADDRINUSE : -1;
		}
	}
	if (fd == -1) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0) {
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (bind(fd, (struct sockaddr *)&s4, sizeof(s4)) || listen(fd, 64)) {
				int e = errno;
				close(fd);
				fd = -e;
			}
		} else {
			fd = -errno;
		}
	}
	if (fd < 0) {
		fc_err("cannot listen on bootstrap port %u: %s; %s", port, strerror(-fd),
		       fd == -EADDRINUSE ? "another server (fabcheck?) is running there; stop it or pick another port with -B"
					 : "pick another port with -B");
		return -FC_EXIT_FABRIC;
	}
	l->fd = fd;
	l->port = port;
	l->pending = (struct fc_acceptor){0};
	if (port == 0 && getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		l->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
							 : ((struct sockaddr_in *)&ss)->sin_port);
	return 0;
}

/* A hello frame of this version, whole; anything else is answered (another
 * version: told why) and dropped. */
static enum fc_greet check_hello(const struct fc_greeting *g, void *arg, const char **why)
{
	struct frame_hdr h;

	(void)arg;
	if (g->len < HDR_LEN)
		return FC_GREET_MORE;
	decode_hdr(g->buf, &h);
	if (h.magic != FC_BOOT_MAGIC) {
		*why = "it is not a fabcheck peer (bad magic)";
		return FC_GREET_BAD;
	}
	if (h.type != FC_MSG_HELLO) {
		*why = "its first message is not a hello";
		return FC_GREET_BAD;
	}
	if (h.len > FC_BOOT_MAX_HELLO) {
		*why = "its hello is over the 64 KiB limit";
		return FC_GREET_BAD;
	}
	if (h.version != FC_BOOT_VERSION) {
		char msg[256], me[INET6_ADDRSTRLEN];
		fc_sock_local_ip(g->fd, me, sizeof(me));
		snprintf(msg, sizeof(msg),
			 "bootstrap protocol version mismatch: the fabcheck server at %s speaks version %u, "
			 "you sent %u; run the same fabcheck version on both sides", me, FC_BOOT_VERSION, h.version);
		fc_boot_tell(g->fd, FC_EXIT_USAGE, msg);
		*why = "it speaks another bootstrap protocol version (told so)";
		return FC_GREET_BAD;
	}
	if (g->len < HDR_LEN + (size_t)h.len)
		return FC_GREET_MORE;
	return FC_GREET_OK;
}

int fc_listener_accept(struct fc_listener *l, uint64_t deadline, double hello_timeout_s, struct fc_boot *b,
		       json_t **peer_hello)
{
	char what[48];
	struct fc_greeting g;
	struct frame_hdr h;
	const char *why = "";
	int rc;

	snprintf(what, sizeof(what), "bootstrap port %u", l->port);
	b->fd = -1;
	b->told_peer = b->peer_failed = false;
	*peer_hello = NULL;
	fc_progress("waiting for a client on port %u", l->port);
	for (;;) {
		struct fc_accept_spec spec = {.lfd = l->fd, .deadline = deadline, .per_conn_s = hello_timeout_s,
					      .max_len = HDR_LEN + FC_BOOT_MAX_HELLO, .check = check_hello,
					      .what = what};
		rc = fc_accept_greeted(&spec, &l->pending, &g);
		if (rc == -EINTR)
			return fc_stop_check();
		if (rc == -ETIMEDOUT) {
			if (l->no_client_remedy)
				fc_err("no client connected to port %u before the deadline: %s", l->port, l->no_client_remedy);
			else
				fc_err("no client connected to port %u before the deadline: start the client side "
				       "(`%s HOST`) or raise -t", l->port, fc_log_prog());
			return -FC_EXIT_PEER;
		}
		if (rc) {
			fc_err("accepting on port %u failed: %s", l->port, strerror(-rc));
			return -FC_EXIT_FABRIC;
		}
		decode_hdr(g.buf, &h);
		*peer_hello = h.len ? parse_payload(g.buf + HDR_LEN, h.len, &why) : NULL;
		free(g.buf);
		if (*peer_hello)
			break;
		fc_warn("ignoring connection from %s on %s: %s; still waiting", g.peer_ip, what,
			h.len ? why : "its hello is empty");
		close(g.fd);
	}
	fc_progress_done();
	b->fd = g.fd;
	note_endpoints(b);
	snprintf(b->peer_host, sizeof(b->peer_host), "%s", b->peer_ip);
	return 0;
}

struct fc_busy {
	pthread_t tid;
	int wake[2]; /* closing wake[1] stops the thread */
	int lfd;
	char msg[512];
};

/* Closes after the peer has had its say: closing with its HELLO unread
 * would send a reset, and a reset can reach the peer before it reads our
 * reason. Half-close, then drain until it closes too or 1 s passes. */
static void linger_close(int fd)
{
	uint64_t deadline = fc_deadline_in(1.0);
	char sink[4096];
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	shutdown(fd, SHUT_WR);
	while (poll(&pfd, 1, fc_ms_left(deadline)) > 0 && recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0)
		;
	close(fd);
}

static void *answer_busy(void *p)
{
	struct fc_busy *b = p;

	for (;;) {
		struct pollfd pfd[2] = {{.fd = b->lfd, .events = POLLIN}, {.fd = b->wake[0], .events = POLLIN}};
		int fd;
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents)
			break;
		if (!(pfd[0].revents & POLLIN))
			continue;
		fd = accept4(b->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0) {
			fc_boot_tell(fd, FC_EXIT_PEER, b->msg);
			linger_close(fd);
		}
	}
	return NULL;
}

int fc_listener_answer_busy(struct fc_listener *l, const char *msg)
{
	struct fc_busy *b = calloc(1, sizeof(*b));
	sigset_t all, old;
	int err;

	if (!b || pipe2(b->wake, O_CLOEXEC)) {
		free(b);
		return -FC_EXIT_FABRIC;
	}
	b->lfd = l->fd;
	snprintf(b->msg, sizeof(b->msg), "%s", msg);
	/* signals stay with the main thread, which checks for a stop */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&b->tid, NULL, answer_busy, b);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		close(b->wake[0]);
		close(b->wake[1]);
		free(b);
		return -FC_EXIT_FABRIC;
	}
	l->busy = b;
	return 0;
}

void fc_listener_close(struct fc_listener *l)
{
	if (l->busy) {
		close(l->busy->wake[1]);
		pthread_join(l->busy->tid, NULL);
		close(l->busy->wake[0]);
		free(l->busy);
		l->busy = NULL;
	}
	fc_acceptor_close(&l->pending);
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

void fc_boot_keepalive(struct fc_boot *b, int idle)
{
	int on = 1, interval = 2, count = 3;
	/* keepalive probes only an idle connection; data left unacknowledged
	 * (a report sent into a dead link) is bounded by the user timeout */
	unsigned user_ms = (unsigned)(idle + interval * count) * 1000;

	setsockopt(b->fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_ms, sizeof(user_ms));
	setsockopt(b->fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	setsockopt(b->fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(b->fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof(interval));
	setsockopt(b->fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof(count));
}

void fc_boot_close(struct fc_boot *b)
{
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
}
