/* The per-size protocol shared by every benchmark: start, warmup, adaptive
 * iteration count, verification verdicts, records to both sides. */
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "errors.h"
#include "log.h"
#include "pattern.h"
#include "timing.h"

#define MIN_ADAPTIVE_ITERS 10
#define MAX_ADAPTIVE_ITERS 1000000

void fc_mismatch_check(struct fc_mismatch *m, struct fc_lane *l, const void *buf, size_t len,
		       uint64_t seed, long iter, long msg)
{
	size_t off;

	if (m->seen)
		return;
	off = fc_lane_check(l, buf, len, seed);
	if (off != (size_t)-1)
		*m = (struct fc_mismatch){true, iter, msg, off};
}

uint64_t fc_window_msg_iter(uint64_t window, long w, long i, int lane)
{
	uint64_t n = ((window & ~FC_WARMUP_ITER) * (uint64_t)w + (uint64_t)i) << 8 | (uint64_t)(lane & 0xff);
	/* bit 62 (bit 63 once fc_pattern_seed shifts it) marks the warmup */
	return (n & ~FC_WARMUP_ITER) | (window & FC_WARMUP_ITER);
}

long fc_warmup_count(const struct fc_opts *o)
{
	/* adaptive iterations need at least one iteration to size from */
	return o->iters == 0 && o->warmup == 0 ? 1 : o->warmup;
}

static long adaptive_iters(const struct fc_opts *o, uint64_t warm_ns, long warm)
{
	double per = (double)warm_ns / (double)warm;
	double n = per > 0 ? o->size_budget_s * 1e9 / per : MAX_ADAPTIVE_ITERS;

	if (n < MIN_ADAPTIVE_ITERS)
		return MIN_ADAPTIVE_ITERS;
	return n > MAX_ADAPTIVE_ITERS ? MAX_ADAPTIVE_ITERS : (long)n;
}

int fc_size_sync(struct fc_run *r, size_t idx, size_t size, long warm,
		 int (*loop)(struct fc_lane *, void *), long *iters)
{
	json_t *msg = NULL;
	json_int_t n;
	char b[32];
	int rc;

	if (r->is_client) {
		/* Size adaptive iterations from the warmup, per half: the first
		 * round trips may include connection setup (rxm and EFA connect
		 * lazily), the second may hit a hiccup. */
		struct fc_phase first = {.count = warm - (warm + 1) / 2, .iter0 = FC_WARMUP_ITER};
		struct fc_phase second = {.count = (warm + 1) / 2, .iter0 = FC_WARMUP_ITER + (uint64_t)first.count};
		uint64_t t0;

		fc_progress("size %s (%zu of %zu)", fc_size_format(size, b, sizeof(b)), idx + 1, r->sizes.n);
		if ((rc = fc_boot_send(&r->boot, FC_MSG_BEGIN, json_pack("{s:I}", "size", (json_int_t)size))) ||
		    (rc = fc_boot_expect(&r->boot, FC_MSG_READY, r->deadline, "waiting for the server to get ready", NULL)))
			return rc;
		t0 = fc_now_ns();
		if ((rc = fc_run_lanes(r, loop, &first)))
			return rc;
		uint64_t t1 = fc_now_ns(), warm_ns;
		if ((rc = fc_run_lanes(r, loop, &second)))
			return rc;
		*iters = r->opts->iters;
		if (!*iters) { /* adaptive: warm >= 1, so second.count >= 1 */
			/* per iteration, the faster half: one hiccup must not cut a size short */
			warm_ns = (fc_now_ns() - t1) / (uint64_t)second.count;
			if (first.count > 0 && (t1 - t0) / (uint64_t)first.count < warm_ns)
				warm_ns = (t1 - t0) / (uint64_t)first.count;
			*iters = adaptive_iters(r->opts, warm_ns, 1);
		}
		return fc_boot_send(&r->boot, FC_MSG_ITERS, json_pack("{s:I}", "iters", (json_int_t)*iters));
	}
	struct fc_phase all = {.count = warm, .iter0 = FC_WARMUP_ITER};
	if ((rc = fc_boot_send(&r->boot, FC_MSG_READY, NULL)) || (rc = fc_run_lanes(r, loop, &all)) ||
	    (rc = fc_boot_expect(&r->boot, FC_MSG_ITERS, r->deadline, "waiting for the iteration count", &msg)))
		return rc;
	n = json_integer_value(json_object_get(msg, "iters"));
	json_decref(msg);
	if (n < 1 || n > FC_MAX_ITERS)
		return fc_boot_fail(&r->boot, FC_EXIT_PEER, "the client sent an invalid iteration count");
	*iters = (long)n;
	return 0;
}

static int report_mismatch(struct fc_run *r, size_t size, const struct fc_mismatch *m, int lane,
			   const char *dir)
{
	char b[32], msg[48] = "";

	if (m->msg >= 0)
		snprintf(msg, sizeof(msg), ", message %ld of the window", m->msg);
	return fc_boot_fail(&r->boot, FC_EXIT_VERIFY,
			    "data verification failed: size %s, iteration %ld%s, byte offset %zu, %s, lane %d (%s): "
			    "the fabric delivered wrong data",
			    fc_size_format(size, b, sizeof(b)), m->iter, msg, m->offset, dir, lane,
			    r->lanes[lane].info.domain);
}

int fc_size_finish(struct fc_run *r, size_t size, const struct fc_mismatch *bad, int lane,
		   const char *direction)
{
	int rc;

	if (r->is_client) {
		/* the server's verdict first: its mismatch arrives as an ERROR */
		rc = fc_boot_expect(&r->boot, FC_MSG_RESULT, fc_run_op_deadline(r), "waiting for the server's check", NULL);
		if (!rc && bad)
			rc = report_mismatch(r, size, bad, lane, direction);
		return rc;
	}
	if (bad)
		return report_mismatch(r, size, bad, lane, direction);
	return fc_boot_send(&r->boot, FC_MSG_RESULT, json_pack("{s:b}", "ok", 1));
}

int fc_size_results(struct fc_run *r, json_t *records)
{
	json_t *msg = NULL, *rec;
	size_t i;
	int rc;

	if (r->is_client)
		return fc_boot_send(&r->boot, FC_MSG_RESULT, json_pack("{s:O}", "records", records));
	rc = fc_boot_expect(&r->boot, FC_MSG_RESULT, fc_run_op_deadline(r), "waiting for the client's results", &msg);
	/* Both sides print the same records: the client's measurement. */
	json_array_foreach(json_object_get(msg, "records"), i, rec)
		if (!rc)
			rc = fc_out_record(&r->out, rec);
	json_decref(msg);
	return rc;
}

static int one_size(struct fc_run *r, const struct fc_bench *b, size_t idx, size_t size)
{
	long warm = fc_warmup_count(r->opts), iters = 0;
	const struct fc_mismatch *bad = NULL;
	json_t *recs = json_array();
	int rc = 0, lane = 0;

	for (int i = 0; i < r->nlanes && !rc; i++)
		if (!(r->lanes[i].bench = b->lane_begin(&r->lanes[i], size)))
			rc = fc_boot_fail(&r->boot, FC_EXIT_FABRIC, "out of memory for size %zu", size);
	if (!rc)
		rc = fc_size_sync(r, idx, size, warm, b->loop, &iters);
	for (int i = 0; !rc && i < r->nlanes; i++) {
		struct fc_lane_state *st = r->lanes[i].bench;
		if (!(st->samples = calloc((size_t)iters, sizeof(uint64_t))))
			rc = fc_boot_fail(&r->boot, FC_EXIT_FABRIC, "cannot allocate %ld samples", iters);
	}
	if (!rc) {
		struct fc_phase timed = {.count = iters, .iter0 = 0, .timed = true};
		rc = fc_run_lanes(r, b->loop, &timed);
	}
	for (int i = 0; !rc && i < r->nlanes && !bad; i++) {
		struct fc_lane_state *st = r->lanes[i].bench;
		if (st->bad.seen) {
			bad = &st->bad;
			lane = i;
		}
	}
	if (!rc)
		rc = fc_size_finish(r, size, bad, lane, r->is_client ? b->client_dir : b->server_dir);
	if (!rc && r->is_client)
		rc = b->records(r, size, iters, warm, recs);
	if (!rc)
		rc = fc_size_results(r, recs);
	json_decref(recs);
	/* after a failure operations may still be posted, their contexts inside
	 * the state freed below: close the endpoints first */
	for (int i = 0; rc && i < r->nlanes; i++) {
		if (r->lanes[i].x)
			r->ops->close(r->lanes[i].x);
		r->lanes[i].x = NULL;
	}
	for (int i = 0; i < r->nlanes; i++) {
		struct fc_lane_state *st = r->lanes[i].bench;
		if (!st)
			continue;
		free(st->samples);
		b->lane_end(&r->lanes[i]);
		r->lanes[i].bench = NULL;
	}
	return rc;
}

int fc_bench_run(struct fc_run *r, const struct fc_bench *b)
{
	json_t *msg = NULL;
	int rc = 0;

	if (r->is_client) {
		for (size_t i = 0; i < r->sizes.n && !rc; i++)
			if (!(rc = fc_run_check_deadline(r, i)))
				rc = one_size(r, b, i, r->sizes.v[i]);
		if (!rc)
			rc = fc_boot_send(&r->boot, FC_MSG_BEGIN, json_pack("{s:i}", "size", 0));
		fc_progress_done();
		return rc;
	}
	for (size_t i = 0;; i++) {
		json_int_t size;

		if ((rc = fc_boot_expect(&r->boot, FC_MSG_BEGIN, r->deadline, "waiting for the next size", &msg)))
			return rc;
		size = json_integer_value(json_object_get(msg, "size"));
		json_decref(msg);
		if (size == 0)
			return 0; /* the client is done */
		if (size < 0 || (size_t)size > fc_sizes_max(&r->sizes))
			return fc_boot_fail(&r->boot, FC_EXIT_PEER, "the client asked for size %lld outside the agreed list",
					    (long long)size);
		if ((rc = one_size(r, b, i, (size_t)size)))
			return rc;
	}
}
