#include "bootstrap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "errors.h"
#include "log.h"
#include "timing.h"

#define MAX_PAYLOAD (16u << 20)

struct frame_hdr {
	uint32_t magic, len;
	uint16_t version, type;
};

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

/* 0 when all len bytes arrived, -ETIMEDOUT, or -EPIPE on EOF / error. */
static int read_full(int fd, void *buf, size_t len, uint64_t deadline)
{
	char *p = buf;

	while (len) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int ms = fc_ms_left(deadline);
		ssize_t n;

		if (ms == 0)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, ms) < 0) {
			if (errno == EINTR)
				continue;
			return -EPIPE;
		}
		if (!pfd.revents)
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
		int ms = fc_ms_left(deadline);
		ssize_t n;

		if (ms == 0)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, ms) < 0 && errno != EINTR)
			return -EPIPE;
		if (!pfd.revents)
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
static int send_frame(struct fc_boot *b, enum fc_boot_type type, json_t *payload)
{
	char *text = payload ? json_dumps(payload, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	size_t len = text ? strlen(text) : 0;
	unsigned char hdr[12];
	uint64_t deadline = fc_deadline_in(b->op_timeout_s);
	int rc;

	json_decref(payload);
	if (payload && !text)
		return -FC_EXIT_FABRIC;
	encode_hdr(hdr, (uint16_t)type, (uint32_t)len);
	rc = write_full(b->fd, hdr, sizeof(hdr), deadline);
	if (!rc && len)
		rc = write_full(b->fd, text, len, deadline);
	free(text);
	return rc ? -FC_EXIT_PEER : 0;
}

int fc_boot_send(struct fc_boot *b, enum fc_boot_type type, json_t *payload)
{
	int rc = send_frame(b, type, payload);

	if (rc)
		fc_err("bootstrap connection to %s lost while sending: the peer exited or the network dropped it",
		       b->peer_host);
	return rc;
}

/* Reads one frame. Returns 0, -ETIMEDOUT, -EPIPE, or -EPROTO with *why set. */
static int recv_frame(int fd, uint64_t deadline, struct frame_hdr *h, json_t **payload,
		      const char **why)
{
	unsigned char raw[12];
	char *text;
	json_error_t jerr;
	int rc;

	*payload = NULL;
	if ((rc = read_full(fd, raw, sizeof(raw), deadline)))
		return rc;
	decode_hdr(raw, h);
	if (h->magic != FC_BOOT_MAGIC) {
		*why = "it is not a fabcheck peer (bad magic)";
		return -EPROTO;
	}
	if (h->len > MAX_PAYLOAD) {
		*why = "frame length is implausible";
		return -EPROTO;
	}
	if (h->len == 0)
		return 0;
	text = malloc(h->len);
	if (!text)
		return -ENOMEM;
	rc = read_full(fd, text, h->len, deadline);
	if (!rc) {
		*payload = json_loadb(text, h->len, 0, &jerr);
		if (!*payload) {
			*why = "its payload is not valid JSON";
			rc = -EPROTO;
		}
	}
	free(text);
	return rc;
}

static int peer_error(struct fc_boot *b, json_t *payload)
{
	const char *msg = json_string_value(json_object_get(payload, "message"));
	json_int_t code = json_integer_value(json_object_get(payload, "exit"));

	b->peer_failed = true;
	fc_err("peer %s stopped: %s", b->peer_host, msg ? msg : "(no reason given)");
	if (code < FC_EXIT_BELOW || code > FC_EXIT_VERIFY)
		code = FC_EXIT_PEER;
	return -(int)code;
}

static int version_mismatch(struct fc_boot *b, unsigned peer_version)
{
	fc_err("bootstrap protocol version mismatch: %s speaks version %u, this fabcheck speaks %u; "
	       "run the same fabcheck version on both sides",
	       b->peer_host, peer_version, FC_BOOT_VERSION);
	return -FC_EXIT_USAGE;
}

int fc_boot_expect(struct fc_boot *b, enum fc_boot_type type, uint64_t deadline,
		   const char *during, json_t **payload)
{
	struct frame_hdr h;
	const char *why = "";
	json_t *p = NULL;
	uint64_t t0 = fc_now_ns();
	uint64_t dl = fc_deadline_min(deadline, fc_deadline_in(b->op_timeout_s));
	int rc = recv_frame(b->fd, dl, &h, &p, &why);

	if (payload)
		*payload = NULL;
	if (rc == -ETIMEDOUT) {
		fc_err("peer %s sent nothing for %.1f s while %s: it hung, or the deadline (-t/-T) is too short",
		       b->peer_host, (double)(fc_now_ns() - t0) / 1e9, during);
		return -FC_EXIT_PEER;
	}
	if (rc == -EPIPE) {
		fc_err("peer %s closed the bootstrap connection while %s: it failed or was stopped; see its output",
		       b->peer_host, during);
		return -FC_EXIT_PEER;
	}
	if (rc) {
		fc_err("bootstrap frame from %s is unreadable while %s: %s", b->peer_host, during, why);
		return -FC_EXIT_PEER;
	}
	if (h.type == FC_MSG_ERROR) {
		rc = peer_error(b, p);
		json_decref(p);
		return rc;
	}
	if (h.version != FC_BOOT_VERSION) {
		json_decref(p);
		return version_mismatch(b, h.version);
	}
	if (h.type != type) {
		json_decref(p);
		fc_err("bootstrap out of step with %s while %s: got message type %u, expected %u",
		       b->peer_host, during, h.type, type);
		return -FC_EXIT_PEER;
	}
	if (payload)
		*payload = p;
	else
		json_decref(p);
	return 0;
}

int fc_boot_fail(struct fc_boot *b, int exit_code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fc_err("%s", msg);
	return fc_boot_forward(b, -exit_code);
}

int fc_boot_forward(struct fc_boot *b, int rc)
{
	if (b->fd >= 0 && rc < 0 && !b->told_peer && !b->peer_failed) {
		double saved = b->op_timeout_s;
		b->op_timeout_s = 1.0; /* never hang on a peer that is already gone */
		send_frame(b, FC_MSG_ERROR,
			     json_pack("{s:s, s:i}", "message", fc_last_error(), "exit", fc_exit_status(rc)));
		b->op_timeout_s = saved;
		b->told_peer = true;
	}
	return rc;
}

static void numeric_addr(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const struct sockaddr_in6 *s6 = (const void *)ss;

	if (ss->ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		/* dual-stack listener: report the IPv4 address the peer really used */
		inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], buf, len);
		return;
	}
	if (getnameinfo((const struct sockaddr *)ss, sizeof(*ss), buf, len, NULL, 0, NI_NUMERICHOST))
		snprintf(buf, len, "?");
}

static void note_endpoints(struct fc_boot *b)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int one = 1;

	setsockopt(b->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (getsockname(b->fd, (struct sockaddr *)&ss, &sl) == 0)
		numeric_addr(&ss, b->local_ip, sizeof(b->local_ip));
	sl = sizeof(ss);
	if (getpeername(b->fd, (struct sockaddr *)&ss, &sl) == 0)
		numeric_addr(&ss, b->peer_ip, sizeof(b->peer_ip));
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

int fc_boot_connect(struct fc_boot *b, const char *host, uint16_t port, uint64_t deadline,
		    json_t *hello, json_t **peer_hello)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	char service[8];
	int err = 0, rc;
	uint64_t start = fc_now_ns();

	b->fd = -1;
	snprintf(b->peer_host, sizeof(b->peer_host), "%s", host);
	snprintf(service, sizeof(service), "%u", port);
	rc = getaddrinfo(host, service, &hints, &res);
	if (rc) {
		json_decref(hello);
		fc_err("cannot resolve peer host '%s': %s; check the name or give an IP address",
		       host, gai_strerror(rc));
		return -FC_EXIT_PEER;
	}
	/* The server may not be listening yet: keep trying until the deadline. */
	while (b->fd < 0 && fc_now_ns() < deadline) {
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
		fc_err("no fabcheck server answered on %s port %u within %.1f s (%s): start the server side "
		       "first with the same -B port, and check that the port is open between the nodes",
		       host, port, (double)(fc_now_ns() - start) / 1e9, strerror(err ? err : ETIMEDOUT));
		return -FC_EXIT_PEER;
	}
	fc_progress_done();
	note_endpoints(b);
	if ((rc = fc_boot_send(b, FC_MSG_HELLO, hello)))
		return rc;
	return fc_boot_expect(b, FC_MSG_HELLO, deadline, "waiting for the server's hello", peer_hello);
}

static int listen_on(uint16_t port)
{
	int one = 1, zero = 0;
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
	struct sockaddr_in s4 = {.sin_family = AF_INET, .sin_port = htons(port)};

	/* Dual stack when the host has IPv6, plain IPv4 otherwise (some
	 * namespaces and containers have IPv6 disabled). */
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		if (bind(fd, (struct sockaddr *)&s6, sizeof(s6)) == 0 && listen(fd, 16) == 0)
			return fd;
		if (errno == EADDRINUSE) {
			close(fd);
			return -EADDRINUSE;
		}
		close(fd);
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&s4, sizeof(s4)) || listen(fd, 16)) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

int fc_boot_accept(struct fc_boot *b, uint16_t port, uint64_t deadline, json_t **peer_hello)
{
	int lfd = listen_on(port);
	double hello_timeout = b->op_timeout_s < FC_BOOT_HELLO_TIMEOUT_S ? b->op_timeout_s
									 : FC_BOOT_HELLO_TIMEOUT_S;

	b->fd = -1;
	if (lfd < 0) {
		fc_err("cannot listen on bootstrap port %u: %s; %s", port, strerror(-lfd),
		       lfd == -EADDRINUSE ? "another server (fabcheck?) is running there; stop it or pick another port with -B"
					  : "pick another port with -B");
		return -FC_EXIT_FABRIC;
	}
	fc_progress("waiting for a client on port %u", port);
	for (;;) {
		struct pollfd pfd = {.fd = lfd, .events = POLLIN};
		struct frame_hdr h;
		const char *why = "";
		int ms = fc_ms_left(deadline), rc;

		if (ms == 0) {
			close(lfd);
			fc_err("no client connected to port %u before the deadline: start the client side "
			       "(`%s HOST`) or raise -t", port, fc_log_prog());
			return -FC_EXIT_PEER;
		}
		if (poll(&pfd, 1, ms) <= 0)
			continue;
		b->fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (b->fd < 0)
			continue;
		note_endpoints(b);
		snprintf(b->peer_host, sizeof(b->peer_host), "%s", b->peer_ip);
		rc = recv_frame(b->fd, fc_deadline_min(deadline, fc_deadline_in(hello_timeout)),
				&h, peer_hello, &why);
		if (rc == 0 && h.version != FC_BOOT_VERSION) {
			json_decref(*peer_hello);
			*peer_hello = NULL;
			rc = version_mismatch(b, h.version);
			fc_boot_fail(b, FC_EXIT_USAGE,
				     "bootstrap protocol version mismatch: this server speaks version %u, you sent %u; "
				     "run the same fabcheck version on both sides", FC_BOOT_VERSION, h.version);
			close(lfd);
			return rc;
		}
		if (rc == 0 && h.type == FC_MSG_HELLO && *peer_hello) {
			close(lfd);
			fc_progress_done();
			return 0;
		}
		if (rc == 0)
			why = "its first message is not a hello";
		else if (rc == -ETIMEDOUT)
			why = "it sent no hello in time (half-open or idle connection)";
		else if (rc == -EPIPE)
			why = "it closed before sending a hello";
		fc_warn("ignoring connection from %s on port %u: %s; still waiting for a client",
			b->peer_ip, port, why);
		json_decref(*peer_hello);
		*peer_hello = NULL;
		close(b->fd);
		b->fd = -1;
	}
}

void fc_boot_close(struct fc_boot *b)
{
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
}
