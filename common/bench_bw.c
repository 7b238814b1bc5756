/* Streaming bandwidth and message rate. Each iteration is a window of W
 * messages closed by a small ack from the receiver: the window's time ends
 * when the data has arrived, not when it left. Buffers (--buffers): reuse
 * sends and receives every message of a window from one buffer each, as
 * fabtests, perftest and iperf3 do; slots gives every message its own
 * buffer (the copy paths of shm and kernel TCP then run out of cache), and
 * -v always uses slots, receive slots double buffered so the check of one
 * window overlaps the next. */
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "pattern.h"
#include "timing.h"

#define WINDOW_BYTES (32u << 20) /* default window: up to 64 messages, about 32 MiB */
#define ACK_BYTES 8
#define ACK_AREA 4096

static const struct fc_column columns[] = {
	{"size", "size", 8, -1},
	{"lane", "lane", 5, 0},
	{"iters", "windows", 9, 0},
	{"window", "window", 7, 0},
	{"bw_gbps", "GB/s", 10, 3},
	{"msg_rate", "msg/s", 12, 0},
	{0},
};

enum { TO_SERVER = 0, TO_CLIENT = 1 };

long fc_bw_window(const struct fc_params *p, size_t size)
{
	long w = (long)(WINDOW_BYTES / size);

	if (p->window)
		return p->window;
	return w < 2 ? 2 : w > 64 ? 64 : w;
}

static bool use_slots(const struct fc_params *p)
{
	return p->verify || !strcmp(p->buffers, "slots");
}

/* Bytes of message data one side's buffer holds before the ack area. */
static size_t data_bytes(const struct fc_params *p, size_t size)
{
	return use_slots(p) ? 2 * (size_t)fc_bw_window(p, size) * size : size;
}

static size_t buffer_bytes(const struct fc_params *p, size_t size)
{
	return data_bytes(p, size) + ACK_AREA;
}

/* Per-lane state for one size. */
struct bw {
	struct fc_lane_state h;
	size_t size, data;
	long w, streams;
	bool sends, recvs, slots, verify, client;
	struct fc_op *sendop, *recvop, ack_send, ack_recv;
};

static void *slot(struct fc_lane *l, bool recv, long set, long i)
{
	struct bw *b = l->bench;
	char *base = recv ? l->rbuf : l->sbuf;
	return b->slots ? base + ((size_t)(set * b->w + i)) * b->size : base;
}

static void *ack_buf(struct fc_lane *l, bool recv)
{
	struct bw *b = l->bench;
	return (char *)(recv ? l->rbuf : l->sbuf) + b->data;
}

static int post_window_recvs(struct fc_lane *l, long set)
{
	struct bw *b = l->bench;
	int rc = 0;

	for (long i = 0; i < b->w && !rc; i++)
		rc = fc_lane_recv(l, &b->recvop[i], slot(l, true, set, i), b->size, (int)(i % b->streams));
	return rc;
}

static uint64_t seed(const struct fc_lane *l, uint64_t window, long i, bool from_client)
{
	const struct bw *b = l->bench;
	/* every message of every window and lane has its own pattern */
	return fc_pattern_seed(b->size, fc_window_msg_iter(window, b->w, i, l->index), from_client ? TO_SERVER : TO_CLIENT);
}

static int window_loop(struct fc_lane *l, void *arg)
{
	const struct fc_phase *ph = arg;
	struct bw *b = l->bench;
	uint64_t busy = 0;
	int rc = 0;

	if (ph->count == 0)
		return 0;
	/* receives for the first window, and the first ack, before anything moves */
	if (b->recvs && (rc = post_window_recvs(l, 0)))
		return rc;
	if (b->sends && (rc = fc_lane_recv(l, &b->ack_recv, ack_buf(l, true), ACK_BYTES, 0)))
		return rc;
	if (ph->timed)
		l->t_start = fc_now_ns();
	for (long k = 0; k < ph->count; k++) {
		uint64_t win = ph->iter0 + (uint64_t)k, t0;
		long set = k % 2;
		bool more = k + 1 < ph->count;

		for (long i = 0; b->sends && b->verify && i < b->w && !rc; i++)
			rc = fc_lane_fill(l, slot(l, false, 0, i), b->size, seed(l, win, i, b->client));
		t0 = fc_now_ns();
		for (long i = 0; b->sends && i < b->w && !rc; i++)
			rc = fc_lane_send(l, &b->sendop[i], slot(l, false, 0, i), b->size, (int)(i % b->streams));
		for (long i = 0; b->recvs && i < b->w && !rc; i++)
			rc = fc_lane_wait(l, &b->recvop[i], "window receive", k);
		if (rc)
			return rc;
		if (b->recvs) {
			/* next window's slots before the ack that lets the peer send it */
			if ((more && (rc = post_window_recvs(l, (k + 1) % 2))) ||
			    (rc = fc_lane_send(l, &b->ack_send, ack_buf(l, false), ACK_BYTES, 0)))
				return rc;
		}
		for (long i = 0; b->sends && i < b->w && !rc; i++)
			rc = fc_lane_wait(l, &b->sendop[i], "window send", k);
		if (!rc && b->sends)
			rc = fc_lane_wait(l, &b->ack_recv, "peer's ack", k);
		if (!rc && b->recvs)
			rc = fc_lane_wait(l, &b->ack_send, "ack", k);
		if (!rc && b->sends && more)
			rc = fc_lane_recv(l, &b->ack_recv, ack_buf(l, true), ACK_BYTES, 0);
		if (rc)
			return rc;
		if (ph->timed) {
			uint64_t t1 = fc_now_ns();
			b->h.samples[k] = t1 - t0;
			busy += t1 - t0;
			l->t_end = t1;
		}
		for (long i = 0; b->recvs && b->verify && i < b->w && !rc; i++)
			rc = fc_mismatch_check(&b->h.bad, l, slot(l, true, set, i), b->size, seed(l, win, i, !b->client), k, i);
		if (rc)
			return rc;
	}
	if (ph->timed) {
		double dirs = b->sends && b->recvs ? 2 : 1;
		b->h.msgs = dirs * (double)b->w * (double)ph->count;
		b->h.bytes = b->h.msgs * (double)b->size;
		b->h.busy_ns = busy;
	}
	return 0;
}

static struct fc_lane_state *lane_begin(struct fc_run *r, struct fc_lane *l, size_t size)
{
	struct bw *b = calloc(1, sizeof(*b));

	(void)l;
	if (!b)
		return NULL;
	b->size = size;
	b->w = fc_bw_window(&r->params, size);
	b->streams = r->params.streams;
	b->slots = use_slots(&r->params);
	b->data = data_bytes(&r->params, size);
	b->verify = r->params.verify;
	b->client = r->is_client;
	b->sends = r->is_client || r->params.bidir;
	b->recvs = !r->is_client || r->params.bidir;
	b->sendop = calloc((size_t)b->w, sizeof(struct fc_op));
	b->recvop = calloc((size_t)b->w, sizeof(struct fc_op));
	if (!b->sendop || !b->recvop) {
		free(b->sendop);
		free(b->recvop);
		free(b);
		return NULL;
	}
	return &b->h;
}

static void lane_end(struct fc_lane *l)
{
	struct bw *b = l->bench;

	free(b->sendop);
	free(b->recvop);
	free(b);
}

static void describe(const struct fc_run *r, const struct fc_lane *l, size_t size, struct fc_rec *rec)
{
	(void)l;
	rec->window = FC_I(fc_bw_window(&r->params, size));
	rec->direction = r->params.bidir ? "bidir" : "uni";
	rec->streams = FC_I(r->params.streams);
	rec->buffers = use_slots(&r->params) ? "slots" : "reuse";
}

const struct fc_run_spec fc_bw_spec = {
	.table = columns,
	.buffer_bytes = buffer_bytes,
	.window = fc_bw_window,
};

const struct fc_bench fc_bench_bw = {
	.test = "bw",
	.spec = &fc_bw_spec,
	.loop = window_loop,
	.lane_begin = lane_begin,
	.lane_end = lane_end,
	.describe = describe,
	.client_dir = "server to client",
	.server_dir = "client to server",
};
