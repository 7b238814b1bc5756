/* The per-size protocol shared by every benchmark: start, warmup, adaptive
 * iteration count, the timed phase, verification verdicts, records to both
 * sides. The session knows the order of the messages; this file knows what
 * the lanes do between them. */
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "errors.h"
#include "log.h"
#include "pattern.h"
#include "timing.h"

#define MIN_ADAPTIVE_ITERS 10
#define MAX_ADAPTIVE_ITERS 1000000

int fc_mismatch_check(struct fc_mismatch *m, struct fc_lane *l, const void *buf, size_t len, uint64_t seed,
		      long iter, long msg)
{
	size_t off;
	int rc;

	if (m->seen)
		return 0;
	if ((rc = fc_lane_check(l, buf, len, seed, &off)))
		return rc;
	if (off != (size_t)-1)
		*m = (struct fc_mismatch){true, iter, msg, off};
	return 0;
}

uint64_t fc_window_msg_iter(uint64_t window, long w, long i, int lane)
{
	uint64_t n = ((window & ~FC_WARMUP_ITER) * (uint64_t)w + (uint64_t)i) << 8 | (uint64_t)(lane & 0xff);
	/* bit 62 (bit 63 once fc_pattern_seed shifts it) marks the warmup */
	return (n & ~FC_WARMUP_ITER) | (window & FC_WARMUP_ITER);
}

static long warmup_count(const struct fc_params *p)
{
	/* adaptive iterations need at least one iteration to size from */
	return p->iters == 0 && p->warmup == 0 ? 1 : p->warmup;
}

long fc_adaptive_iters(const struct fc_params *p, uint64_t per_iter_ns)
{
	double n = per_iter_ns > 0 ? p->size_time * 1e9 / (double)per_iter_ns : MAX_ADAPTIVE_ITERS;

	if (n < MIN_ADAPTIVE_ITERS)
		return MIN_ADAPTIVE_ITERS;
	return n > MAX_ADAPTIVE_ITERS ? MAX_ADAPTIVE_ITERS : (long)n;
}

/* Warmup on every lane; the client sizes adaptive iterations from it, per
 * half: the first round trips may include connection setup (rxm and EFA
 * connect lazily), the second may hit a hiccup; the faster half counts. */
static int warmup(struct fc_run *r, const struct fc_bench *b, long warm, long *iters)
{
	struct fc_phase first = {.count = warm - (warm + 1) / 2, .iter0 = FC_WARMUP_ITER};
	struct fc_phase second = {.count = (warm + 1) / 2, .iter0 = FC_WARMUP_ITER + (uint64_t)first.count};
	struct fc_phase all = {.count = warm, .iter0 = FC_WARMUP_ITER};
	uint64_t t0, t1, per;
	int rc;

	if (!r->is_client)
		return fc_lanes_run(r->lanes, b->loop, &all);
	t0 = fc_now_ns();
	if ((rc = fc_lanes_run(r->lanes, b->loop, &first)))
		return rc;
	t1 = fc_now_ns();
	if ((rc = fc_lanes_run(r->lanes, b->loop, &second)))
		return rc;
	*iters = r->params.iters;
	if (!*iters) { /* adaptive: warm >= 1, so second.count >= 1 */
		per = (fc_now_ns() - t1) / (uint64_t)second.count;
		if (first.count > 0 && (t1 - t0) / (uint64_t)first.count < per)
			per = (t1 - t0) / (uint64_t)first.count;
		*iters = fc_adaptive_iters(&r->params, per);
	}
	return 0;
}

static int report_mismatch(struct fc_run *r, size_t size, const struct fc_mismatch *m, int lane, const char *dir)
{
	char b[32], msg[48] = "";

	if (m->msg >= 0)
		snprintf(msg, sizeof(msg), ", message %ld of the window", m->msg);
	return fc_session_fail(&r->s, FC_EXIT_VERIFY,
			       "data verification failed: size %s, iteration %ld%s, byte offset %zu, %s, lane %d (%s): "
			       "the fabric delivered wrong data",
			       fc_size_format(size, b, sizeof(b)), m->iter, msg, m->offset, dir, lane,
			       r->lanes->lane[lane].info.domain);
}

/* Each side's verdict reaches the other before any number is printed: the
 * server's first (its mismatch arrives as an ERROR), then the client's. */
static int verdicts(struct fc_run *r, const struct fc_bench *b, size_t size)
{
	const struct fc_mismatch *bad = NULL;
	int lane = 0, rc;

	for (int i = 0; i < r->lanes->n && !bad; i++) {
		struct fc_lane_state *st = r->lanes->lane[i].bench;
		if (st->bad.seen) {
			bad = &st->bad;
			lane = i;
		}
	}
	if (!r->is_client && bad)
		return report_mismatch(r, size, bad, lane, b->server_dir);
	if ((rc = fc_session_verdict(&r->s)))
		return rc;
	return bad ? report_mismatch(r, size, bad, lane, b->client_dir) : 0;
}

/* The client's records, printed here and sent; the server prints what it
 * receives (checked): both sides show the client's measurement. */
static int results(struct fc_run *r, const struct fc_bench *b, size_t size, long iters, long warm)
{
	json_t *recs = json_array(), *theirs = NULL, *rec;
	size_t i;
	int rc;

	if (r->is_client) {
		rc = fc_emit_size(r, b, size, iters, warm, recs);
		if (!rc)
			rc = fc_session_records(&r->s, recs, NULL);
	} else if (!(rc = fc_session_records(&r->s, NULL, &theirs))) {
		json_array_foreach(theirs, i, rec)
			if (!rc)
				rc = fc_out_record_peer(r->out, rec);
		json_decref(theirs);
	}
	json_decref(recs);
	return rc;
}

static int one_size(struct fc_run *r, const struct fc_bench *b, size_t idx, size_t size)
{
	struct fc_lanes *set = r->lanes;
	long warm = warmup_count(&r->params), iters = 0;
	char sb[32];
	int rc = 0;

	for (int i = 0; i < set->n && !rc; i++) {
		set->lane[i].size = size;
		if (!(set->lane[i].bench = b->lane_begin(r, &set->lane[i], size)))
			rc = fc_session_fail(&r->s, FC_EXIT_FABRIC, "out of memory for size %zu", size);
	}
	if (!rc && r->is_client) {
		fc_progress("size %s (%zu of %zu)", fc_size_format(size, sb, sizeof(sb)), idx + 1, r->s.sizes.n);
		rc = fc_session_begin(&r->s, idx);
	} else if (!rc) {
		rc = fc_session_ready(&r->s);
	}
	if (!rc)
		rc = warmup(r, b, warm, &iters);
	if (!rc)
		rc = fc_session_iters(&r->s, &iters);
	for (int i = 0; !rc && i < set->n; i++) {
		struct fc_lane_state *st = set->lane[i].bench;
		if (!(st->samples = calloc((size_t)iters, sizeof(uint64_t))))
			rc = fc_session_fail(&r->s, FC_EXIT_FABRIC, "cannot allocate %ld samples", iters);
	}
	if (!rc) {
		struct fc_phase timed = {.count = iters, .iter0 = 0, .timed = true};
		rc = fc_lanes_run(set, b->loop, &timed);
	}
	if (!rc)
		rc = verdicts(r, b, size);
	if (!rc)
		rc = results(r, b, size, iters, warm);
	/* after a failure operations may still be posted, their contexts in
	 * the state freed below: cancel and drain them first */
	if (rc)
		fc_lanes_disconnect(set); /* fc_run_finish taints lanes kept for the next peer */
	for (int i = 0; i < set->n; i++) {
		struct fc_lane_state *st = set->lane[i].bench;
		if (!st || set->lane[i].stuck)
			continue; /* the provider still holds operations in it */
		free(st->samples);
		b->lane_end(&set->lane[i]);
		set->lane[i].bench = NULL;
	}
	return rc;
}

int fc_bench_run(struct fc_run *r, const struct fc_bench *b)
{
	char dd[96];
	size_t size;
	int rc = 0;

	fc_run_banner(r, b->banner);
	if (r->is_client) {
		for (size_t i = 0; i < r->s.sizes.n && !rc; i++) {
			if (fc_now_ns() >= r->deadline)
				rc = fc_session_fail(&r->s, FC_EXIT_PEER,
						     "the %s passed after %zu of %zu sizes: raise %s or give fewer sizes or "
						     "iterations",
						     fc_lanes_deadline_desc(r->lanes, dd, sizeof(dd)), i, r->s.sizes.n,
						     r->lanes->deadline_option ? r->lanes->deadline_option : "-t");
			else
				rc = one_size(r, b, i, r->s.sizes.v[i]);
		}
		if (!rc)
			rc = fc_session_end(&r->s);
		fc_progress_done();
		return rc;
	}
	for (size_t i = 0; !rc; i++) {
		rc = fc_session_next(&r->s, &size);
		if (rc == 1)
			return 0; /* the client is done */
		if (!rc)
			rc = one_size(r, b, i, size);
	}
	return rc;
}
