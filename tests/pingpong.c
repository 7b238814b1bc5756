/* RDM ping-pong: the client sends, the server echoes, one message each way
 * per iteration; latency is half the round trip. */
#include <stdlib.h>
#include <string.h>

#include "benches.h"
#include "pattern.h"
#include "timing.h"

static const struct fc_column columns[] = {
	{"size", "size", 8, -1},
	{"lane", "lane", 5, 0},
	{"iters", "iters", 9, 0},
	{"lat_us_min", "min_us", 11, 2},
	{"lat_us_p50", "p50_us", 11, 2},
	{"lat_us_p99", "p99_us", 11, 2},
	{"lat_us_max", "max_us", 11, 2},
	{"bw_gbps", "GB/s", 10, 4},
	{0},
};

enum { TO_SERVER = 0, TO_CLIENT = 1 };

/* Per-lane state for one size. */
struct pp {
	struct fc_lane_state h;
	size_t size;
	bool verify, client;
	struct fc_op send, recv;
};

static int post_recv(struct fc_lane *l)
{
	struct pp *p = l->bench;
	return fc_lane_recv(l, &p->recv, l->rbuf, p->size, 0);
}

static int fill(struct fc_lane *l, uint64_t iter, int dir)
{
	struct pp *p = l->bench;
	return p->verify ? fc_lane_fill(l, l->sbuf, p->size, fc_pattern_seed(p->size, iter, dir)) : 0;
}

static int check(struct fc_lane *l, uint64_t iter, int dir, long shown_iter)
{
	struct pp *p = l->bench;
	return p->verify ? fc_mismatch_check(&p->h.bad, l, l->rbuf, p->size, fc_pattern_seed(p->size, iter, dir),
					     shown_iter, -1)
			 : 0;
}

/* Client side: count round trips, timing each into samples when timed. */
static int client_loop(struct fc_lane *l, const struct fc_phase *ph)
{
	struct pp *p = l->bench;
	uint64_t busy = 0;
	int rc;

	/* Each loop posts its first receive and leaves none behind: a receive
	 * left posted would catch the next size's first message. */
	if (ph->count > 0 && (rc = post_recv(l)))
		return rc;
	if (ph->timed)
		l->t_start = fc_now_ns();
	for (long i = 0; i < ph->count; i++) {
		uint64_t t0, t1, it = ph->iter0 + (uint64_t)i;

		if ((rc = fill(l, it, TO_SERVER)))
			return rc;
		t0 = fc_now_ns();
		if ((rc = fc_lane_send(l, &p->send, l->sbuf, p->size, 0)) ||
		    (rc = fc_lane_wait(l, &p->recv, "reply", i)) || (rc = fc_lane_wait(l, &p->send, "send", i)))
			return rc;
		t1 = fc_now_ns();
		if (ph->timed) {
			p->h.samples[i] = (t1 - t0) / 2;
			busy += t1 - t0;
		}
		if ((rc = check(l, it, TO_CLIENT, i)))
			return rc;
		if (i + 1 < ph->count && (rc = post_recv(l)))
			return rc;
	}
	if (ph->timed) {
		l->t_end = fc_now_ns();
		p->h.nsamples = (size_t)ph->count;
		/* a message each way per round trip */
		p->h.bytes = 2.0 * (double)ph->count * (double)p->size;
		p->h.msgs = 2.0 * (double)ph->count;
		p->h.busy_ns = busy;
	}
	return 0;
}

/* Server side: echo count messages. Without -v the receive is re-posted
 * before the reply goes out, so the next ping never waits for a buffer. */
static int server_loop(struct fc_lane *l, const struct fc_phase *ph)
{
	struct pp *p = l->bench;
	int rc;

	if (ph->count > 0 && (rc = post_recv(l)))
		return rc;
	for (long i = 0; i < ph->count; i++) {
		uint64_t it = ph->iter0 + (uint64_t)i;
		bool more = i + 1 < ph->count;

		if ((rc = fill(l, it, TO_CLIENT)) || (rc = fc_lane_wait(l, &p->recv, "ping", i)))
			return rc;
		if (!p->verify && more && (rc = post_recv(l)))
			return rc;
		if ((rc = fc_lane_send(l, &p->send, l->sbuf, p->size, 0)) || (rc = fc_lane_wait(l, &p->send, "reply", i)))
			return rc;
		if (p->verify && ((rc = check(l, it, TO_SERVER, i)) || (more && (rc = post_recv(l)))))
			return rc;
	}
	return 0;
}

static int loop(struct fc_lane *l, void *arg)
{
	struct pp *p = l->bench;
	return p->client ? client_loop(l, arg) : server_loop(l, arg);
}

static struct fc_lane_state *lane_begin(struct fc_run *r, struct fc_lane *l, size_t size)
{
	struct pp *p = calloc(1, sizeof(*p));

	(void)l;
	if (!p)
		return NULL;
	p->size = size;
	p->verify = r->params.verify;
	p->client = r->is_client;
	return &p->h;
}

static void lane_end(struct fc_lane *l)
{
	free(l->bench);
}

static void describe(const struct fc_run *r, const struct fc_lane *l, size_t size, struct fc_rec *rec)
{
	(void)r;
	(void)l;
	(void)size;
	(void)rec; /* latency and rates say it all */
}

static size_t buffer_bytes(const struct fc_params *p, size_t size)
{
	(void)p;
	return size;
}

const struct fc_run_spec fc_pingpong_spec = {
	.table = columns,
	.buffer_bytes = buffer_bytes,
};

const struct fc_bench fc_bench_pingpong = {
	.test = "pingpong",
	.spec = &fc_pingpong_spec,
	.loop = loop,
	.lane_begin = lane_begin,
	.lane_end = lane_end,
	.describe = describe,
	.client_dir = "server to client",
	.server_dir = "client to server",
};
