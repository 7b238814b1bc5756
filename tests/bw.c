/* Streaming bandwidth and message rate. Each iteration is a window of W
 * messages closed by a small ack from the receiver: the window's time ends
 * when the data has arrived, not when it left. One way, two windows are in
 * flight: the sender posts window k+1 before it waits for window k's ack,
 * so the ack's round trip costs no idle wire (one window when the
 * provider's queues cannot hold two). Both ways, each side's receives
 * would have to tell acks from data in arrival order, so one window at a
 * time. Buffers (--buffers): reuse
 * sends and receives every message of a window from one buffer each, as
 * fabtests, perftest and iperf3 do; slots gives every message its own
 * buffer (the copy paths of shm and kernel TCP then run out of cache), and
 * -v always uses slots, receive slots double buffered so the check of one
 * window overlaps the next. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benches.h"
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

#define MAX_INFLIGHT 2

/* Per-lane state for one size. */
struct bw {
	struct fc_lane_state h;
	size_t size, data;
	long w, streams;
	long inflight;           /* windows in flight: 2 one way, 1 both ways */
	bool sends, recvs, slots, verify, client;
	struct fc_op *sendop, *recvop; /* MAX_INFLIGHT windows' worth each */
	struct fc_op ack_send, ack_recv[MAX_INFLIGHT];
	uint64_t t0[MAX_INFLIGHT];  /* when window k % inflight was posted */
};

static void *slot(struct fc_lane *l, bool recv, long set, long i)
{
	struct bw *b = l->bench;
	char *base = recv ? l->rbuf : l->sbuf;
	return b->slots ? base + ((size_t)(set * b->w + i)) * b->size : base;
}

/* Ack j of those in flight: its own bytes in the ack area */
static void *ack_buf(struct fc_lane *l, bool recv, long j)
{
	struct bw *b = l->bench;
	return (char *)(recv ? l->rbuf : l->sbuf) + b->data + (size_t)j * 64;
}

/* Receives of a window into slot set `set`, with the ops of in-flight
 * position `pos`. */
static int post_window_recvs(struct fc_lane *l, long set, long pos)
{
	struct bw *b = l->bench;
	int rc = 0;

	for (long i = 0; i < b->w && !rc; i++)
		rc = fc_lane_recv(l, &b->recvop[pos * b->w + i], slot(l, true, set, i), b->size, (int)(i % b->streams));
	return rc;
}

static uint64_t seed(const struct fc_lane *l, uint64_t window, long i, bool from_client)
{
	const struct bw *b = l->bench;
	/* every message of every window and lane has its own pattern */
	return fc_pattern_seed(b->size, fc_window_msg_iter(window, b->w, i, l->index), from_client ? TO_SERVER : TO_CLIENT);
}

/* Both ways: one window at a time, each side sending and receiving. */
static int window_loop_bidir(struct fc_lane *l, const struct fc_phase *ph)
{
	struct bw *b = l->bench;
	uint64_t busy = 0;
	int rc = 0;

	/* receives for the first window, and the first ack, before anything moves */
	if (b->recvs && (rc = post_window_recvs(l, 0, 0)))
		return rc;
	if (b->sends && (rc = fc_lane_recv(l, &b->ack_recv[0], ack_buf(l, true, 0), ACK_BYTES, 0)))
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
			if ((more && (rc = post_window_recvs(l, (k + 1) % 2, 0))) ||
			    (rc = fc_lane_send(l, &b->ack_send, ack_buf(l, false, 0), ACK_BYTES, 0)))
				return rc;
		}
		for (long i = 0; b->sends && i < b->w && !rc; i++)
			rc = fc_lane_wait(l, &b->sendop[i], "window send", k);
		if (!rc && b->sends)
			rc = fc_lane_wait(l, &b->ack_recv[0], "peer's ack", k);
		if (!rc && b->recvs)
			rc = fc_lane_wait(l, &b->ack_send, "ack", k);
		if (!rc && b->sends && more)
			rc = fc_lane_recv(l, &b->ack_recv[0], ack_buf(l, true, 0), ACK_BYTES, 0);
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
		b->h.msgs = 2 * (double)b->w * (double)ph->count;
		b->h.bytes = b->h.msgs * (double)b->size;
		b->h.busy_ns = busy;
	}
	return 0;
}

/* One way, sender: windows k+1.. are posted before window k's ack is
 * awaited; the slot set and ops of window k are free again once its sends
 * completed and its ack came. */
static int send_window(struct fc_lane *l, uint64_t win, long k)
{
	struct bw *b = l->bench;
	long pos = k % b->inflight, set = k % 2;
	int rc = 0;

	for (long i = 0; b->verify && i < b->w && !rc; i++)
		rc = fc_lane_fill(l, slot(l, false, set, i), b->size, seed(l, win, i, b->client));
	b->t0[pos] = fc_now_ns();
	for (long i = 0; i < b->w && !rc; i++)
		rc = fc_lane_send(l, &b->sendop[pos * b->w + i], slot(l, false, set, i), b->size, (int)(i % b->streams));
	return rc;
}

static int window_loop_sender(struct fc_lane *l, const struct fc_phase *ph)
{
	struct bw *b = l->bench;
	long d = b->inflight;
	int rc = 0;

	for (long j = 0; j < d && j < ph->count && !rc; j++)
		rc = fc_lane_recv(l, &b->ack_recv[j], ack_buf(l, true, j), ACK_BYTES, 0);
	if (ph->timed)
		l->t_start = fc_now_ns();
	for (long j = 0; j < d && j < ph->count && !rc; j++)
		rc = send_window(l, ph->iter0 + (uint64_t)j, j);
	for (long k = 0; k < ph->count && !rc; k++) {
		long pos = k % d;
		for (long i = 0; i < b->w && !rc; i++)
			rc = fc_lane_wait(l, &b->sendop[pos * b->w + i], "window send", k);
		if (!rc)
			rc = fc_lane_wait(l, &b->ack_recv[pos], "peer's ack", k);
		if (rc)
			break;
		if (ph->timed) {
			uint64_t t1 = fc_now_ns();
			b->h.samples[k] = t1 - b->t0[pos];
			l->t_end = t1;
		}
		if (k + d < ph->count && !(rc = fc_lane_recv(l, &b->ack_recv[pos], ack_buf(l, true, pos), ACK_BYTES, 0)))
			rc = send_window(l, ph->iter0 + (uint64_t)(k + d), k + d);
	}
	return rc;
}

/* One way, receiver: the receives of windows k+1.. are posted when window
 * k completes; its slots are checked (-v), reposted for window k+d, and
 * acked. */
static int window_loop_receiver(struct fc_lane *l, const struct fc_phase *ph)
{
	struct bw *b = l->bench;
	long d = b->inflight;
	int rc = 0;

	for (long j = 0; j < d && j < ph->count && !rc; j++)
		rc = post_window_recvs(l, j % 2, j);
	if (ph->timed)
		l->t_start = fc_now_ns();
	for (long k = 0; k < ph->count && !rc; k++) {
		uint64_t win = ph->iter0 + (uint64_t)k, t0 = fc_now_ns();
		long pos = k % d, set = k % 2;
		for (long i = 0; i < b->w && !rc; i++)
			rc = fc_lane_wait(l, &b->recvop[pos * b->w + i], "window receive", k);
		for (long i = 0; b->verify && i < b->w && !rc; i++)
			rc = fc_mismatch_check(&b->h.bad, l, slot(l, true, set, i), b->size, seed(l, win, i, !b->client), k, i);
		/* window k+d's receives before the ack that lets the peer send it */
		if (!rc && k + d < ph->count)
			rc = post_window_recvs(l, (k + d) % 2, (k + d) % d);
		if (!rc)
			rc = fc_lane_send(l, &b->ack_send, ack_buf(l, false, 0), ACK_BYTES, 0);
		if (!rc)
			rc = fc_lane_wait(l, &b->ack_send, "ack", k);
		if (!rc && ph->timed) {
			uint64_t t1 = fc_now_ns();
			b->h.samples[k] = t1 - t0;
			l->t_end = t1;
		}
	}
	return rc;
}

static int window_loop(struct fc_lane *l, void *arg)
{
	const struct fc_phase *ph = arg;
	struct bw *b = l->bench;
	int rc;

	if (ph->count == 0)
		return 0;
	if (b->sends && b->recvs)
		return window_loop_bidir(l, ph);
	rc = b->sends ? window_loop_sender(l, ph) : window_loop_receiver(l, ph);
	if (!rc && ph->timed) {
		/* windows overlap: the time is the span, not a sum */
		b->h.msgs = (double)b->w * (double)ph->count;
		b->h.bytes = b->h.msgs * (double)b->size;
		b->h.busy_ns = l->t_end - l->t_start;
	}
	return rc;
}

static struct fc_lane_state *lane_begin(struct fc_run *r, struct fc_lane *l, size_t size)
{
	struct bw *b = calloc(1, sizeof(*b));

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
	/* two windows in flight one way, when the queues hold both and their acks */
	b->inflight = b->sends && b->recvs ? 1 : MAX_INFLIGHT;
	if (l->info.queue_depth && (size_t)(MAX_INFLIGHT * b->w + MAX_INFLIGHT) > l->info.queue_depth)
		b->inflight = 1;
	b->sendop = calloc((size_t)(MAX_INFLIGHT * b->w), sizeof(struct fc_op));
	b->recvop = calloc((size_t)(MAX_INFLIGHT * b->w), sizeof(struct fc_op));
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

static void banner(struct fc_run *r)
{
	const struct fc_params *p = &r->params;
	char w[32];

	fc_out_banner(r->out, "bandwidth: %s, window %s, %ld stream(s), buffers %s",
		      p->bidir ? "bidirectional (both send; aggregate)" : "one way (client to server)",
		      p->window ? (snprintf(w, sizeof(w), "%ld", p->window), w) : "by size", p->streams,
		      use_slots(p) ? "slots" : "reuse");
}

const struct fc_run_spec fc_bw_spec = {
	.table = columns,
	.buffer_bytes = buffer_bytes,
	.window = fc_bw_window,
	.ordered = true, /* a window's ack follows its data: send after send */
};

const struct fc_bench fc_bench_bw = {
	.test = "bw",
	.spec = &fc_bw_spec,
	.loop = window_loop,
	.lane_begin = lane_begin,
	.lane_end = lane_end,
	.describe = describe,
	.banner = banner,
	.client_dir = "server to client",
	.server_dir = "client to server",
};
