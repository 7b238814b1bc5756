#include "accept.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "stop.h"
#include "timing.h"

#define WARN_MAX 5 /* a connect storm gets a few lines and a count, not thousands */

struct fc_pending {
	struct fc_greeting g;
	uint64_t deadline;
};

static void numeric(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const struct sockaddr_in6 *s6 = (const void *)ss;

	if (ss->ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		/* dual-stack listener: the IPv4 address the peer really used */
		inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], buf, (socklen_t)len);
		return;
	}
	if (getnameinfo((const struct sockaddr *)ss, sizeof(*ss), buf, (socklen_t)len, NULL, 0, NI_NUMERICHOST))
		snprintf(buf, len, "?");
}

void fc_sock_peer_ip(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (getpeername(fd, (struct sockaddr *)&ss, &sl))
		snprintf(buf, len, "?");
	else
		numeric(&ss, buf, len);
}

void fc_sock_local_ip(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &sl))
		snprintf(buf, len, "?");
	else
		numeric(&ss, buf, len);
}

static void drop(struct fc_pending *p, const struct fc_accept_spec *s, const char *why, int *warned)
{
	if ((*warned)++ < WARN_MAX)
		fc_warn("ignoring connection from %s on %s: %s; still waiting", p->g.peer_ip, s->what, why);
	close(p->g.fd);
	free(p->g.buf);
	p->g.fd = -1;
	p->g.buf = NULL;
}

/* Reads what arrived; 1 when the check took the connection. */
static int serve(struct fc_pending *p, const struct fc_accept_spec *s, int *warned)
{
	const char *why = "";
	ssize_t n;
	enum fc_greet v;

	n = read(p->g.fd, p->g.buf + p->g.len, s->max_len - p->g.len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		drop(p, s, n == 0 ? "it closed before greeting" : strerror(errno), warned);
		return 0;
	}
	p->g.len += (size_t)n;
	v = s->check(&p->g, s->arg, &why);
	if (v == FC_GREET_OK)
		return 1;
	if (v == FC_GREET_BAD)
		drop(p, s, why, warned);
	else if (p->g.len == s->max_len)
		drop(p, s, "its greeting is too long", warned);
	return 0;
}

static int take(const struct fc_accept_spec *s, struct fc_pending *p, int *np, int *warned)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd = accept4(s->lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return 0;
	if (*np == FC_ACCEPT_PENDING) {
		drop(&p[0], s, "too many connections at once (this one was the oldest)", warned);
		memmove(&p[0], &p[1], sizeof(*p) * (FC_ACCEPT_PENDING - 1));
		(*np)--;
	}
	p[*np] = (struct fc_pending){.g = {.fd = fd, .buf = malloc(s->max_len)},
				  .deadline = fc_deadline_min(s->deadline, fc_deadline_in(s->per_conn_s))};
	if (!p[*np].g.buf) {
		close(fd);
		return -ENOMEM;
	}
	numeric(&ss, p[*np].g.peer_ip, sizeof(p[*np].g.peer_ip));
	(*np)++;
	return 0;
}

int fc_accept_greeted(const struct fc_accept_spec *s, struct fc_acceptor *a, struct fc_greeting *out)
{
	struct pollfd *pfd = calloc(FC_ACCEPT_PENDING + 1, sizeof(*pfd));
	int rc = -ETIMEDOUT;

	if (!a->p && !(a->p = calloc(FC_ACCEPT_PENDING, sizeof(*a->p)))) {
		free(pfd);
		return -ENOMEM;
	}
	if (!pfd)
		return -ENOMEM;
	for (;;) {
		struct fc_pending *p = a->p;
		uint64_t now = fc_now_ns(), wake = fc_deadline_min(s->deadline, now + (uint64_t)(FC_STOP_SLICE_S * 1e9));
		int k = 0;

		if (fc_stop_signal()) {
			rc = -EINTR;
			break;
		}
		/* connections past their own deadline give way */
		for (int i = 0; i < a->np; i++) {
			if (p[i].g.fd >= 0 && now >= p[i].deadline)
				drop(&p[i], s, "it sent no greeting in time (idle or half-open)", &a->warned);
			if (p[i].g.fd >= 0) {
				p[k++] = p[i];
				wake = fc_deadline_min(wake, p[i].deadline);
			}
		}
		a->np = k;
		if (now >= s->deadline)
			break;
		pfd[0] = (struct pollfd){.fd = s->lfd, .events = POLLIN};
		for (int i = 0; i < a->np; i++)
			pfd[i + 1] = (struct pollfd){.fd = p[i].g.fd, .events = POLLIN};
		/* what already arrived on a pending connection is looked at first */
		if (poll(pfd, (nfds_t)a->np + 1, fc_ms_left(wake)) <= 0)
			continue;
		for (int i = 0; i < a->np; i++) {
			if (!pfd[i + 1].revents || p[i].g.fd < 0)
				continue;
			if (serve(&p[i], s, &a->warned)) {
				*out = p[i].g;
				p[i].g.fd = -1;
				p[i].g.buf = NULL;
				rc = 0;
				goto done;
			}
		}
		if ((pfd[0].revents & POLLIN) && (rc = take(s, p, &a->np, &a->warned)) < 0)
			goto done;
		rc = -ETIMEDOUT;
	}
done:
	if (a->warned > WARN_MAX) {
		fc_warn("%d more connections on %s were ignored", a->warned - WARN_MAX, s->what);
		a->warned = WARN_MAX;
	}
	free(pfd);
	return rc;
}

void fc_acceptor_close(struct fc_acceptor *a)
{
	for (int i = 0; a->p && i < a->np; i++) {
		if (a->p[i].g.fd >= 0)
			close(a->p[i].g.fd);
		free(a->p[i].g.buf);
	}
	free(a->p);
	*a = (struct fc_acceptor){0};
}
