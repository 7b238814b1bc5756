/* One emitter for every benchmark: per-lane records from what each lane's
 * loop measured, and the aggregate of all lanes (lane "all": every byte
 * over the span from the first lane's start to the last lane's end,
 * latency over every lane's samples), checked against the schema before
 * anyone sees them. */
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "errors.h"
#include "log.h"
#include "stats.h"

static int put(struct fc_run *r, struct fc_rec *rec, json_t *out)
{
	json_t *j = fc_rec_json(rec);
	char why[256];
	int rc;

	if (fc_rec_validate(j, why, sizeof(why))) {
		json_decref(j);
		fc_err("internal: a %s record is invalid: %s", r->params.test, why);
		return -FC_EXIT_FABRIC;
	}
	rc = fc_out_record(r->out, j);
	json_array_append_new(out, j);
	return rc;
}

static void common_fields(struct fc_run *r, const struct fc_bench *b, const struct fc_lane *l, size_t size,
			  long iters, long planned, long warm, struct fc_rec *rec)
{
	fc_run_rec(r, l, size, rec);
	rec->iters = FC_I(iters);
	if (planned)
		rec->iters_planned = FC_I(planned);
	rec->warmup = FC_I(warm);
	rec->verified = FC_B(r->params.verify);
	b->describe(r, l, size, rec);
}

static void rates(struct fc_rec *rec, double bytes, double msgs, uint64_t ns)
{
	if (ns == 0)
		return;
	rec->bw_gbps = FC_R(bytes / (double)ns);
	rec->msg_rate = FC_R(msgs * 1e9 / (double)ns);
}

/* The timed phase's repeats (its slices) and the median of their rates,
 * where there are enough to take one. */
static void repeats(struct fc_rec *rec, double *gbps, int n)
{
	if (n < FC_MIN_REPEATS)
		return;
	rec->repeats = FC_I(n);
	rec->bw_gbps_repeat_p50 = FC_R(fc_median(gbps, (size_t)n));
}

static fc_real_t per_second(uint64_t n, uint64_t ns)
{
	return FC_R(ns ? (double)n * 1e9 / (double)ns : 0);
}

static int latency(struct fc_rec *rec, uint64_t *samples, size_t n)
{
	struct fc_stats st;
	int rc;

	if (n == 0)
		return 0;
	if ((rc = fc_stats_compute(samples, n, &st)))
		return rc;
	fc_rec_set_latency(rec, &st);
	return 0;
}

int fc_emit_size(struct fc_run *r, const struct fc_bench *b, size_t size, long iters, long planned, long warm,
		 json_t *out)
{
	struct fc_lanes *set = r->lanes;
	uint64_t first = UINT64_MAX, last = 0, *all = NULL;
	double bytes = 0, msgs = 0;
	uint64_t preempted = 0, worked_ns = 0;
	size_t nall = 0;
	struct fc_rec rec;
	/* the aggregate's repeats: slice k of every lane together */
	double all_gbps[FC_MAX_REPEATS] = {0}, gbps[FC_MAX_REPEATS];
	int all_n = FC_MAX_REPEATS;
	int rc = 0;

	for (int i = 0; i < set->n && !rc; i++) {
		struct fc_lane *l = &set->lane[i];
		struct fc_lane_state *st = l->bench;

		if (!l->active)
			continue;
		common_fields(r, b, l, size, iters, planned, warm, &rec);
		rates(&rec, st->bytes, st->msgs, st->busy_ns);
		memcpy(gbps, st->repeat_gbps, sizeof(gbps)); /* the median sorts */
		repeats(&rec, gbps, st->nrepeats);
		for (int k = 0; k < st->nrepeats; k++)
			all_gbps[k] += st->repeat_gbps[k];
		all_n = st->nrepeats < all_n ? st->nrepeats : all_n;
		rec.preempt_per_s = per_second(st->preempted, st->worked_ns);
		preempted += st->preempted;
		worked_ns += st->worked_ns;
		/* stats sort the samples: copy them for the aggregate first */
		if (fc_lanes_active(set) > 1 && st->nsamples) {
			uint64_t *grown = realloc(all, (nall + st->nsamples) * sizeof(*all));
			if (!grown) {
				rc = -FC_EXIT_FABRIC;
				break;
			}
			all = grown;
			memcpy(all + nall, st->samples, st->nsamples * sizeof(*all));
			nall += st->nsamples;
		}
		if (!(rc = latency(&rec, st->samples, st->nsamples)))
			rc = put(r, &rec, out);
		bytes += st->bytes;
		msgs += st->msgs;
		first = l->t_start < first ? l->t_start : first;
		last = l->t_end > last ? l->t_end : last;
	}
	if (!rc && fc_lanes_active(set) > 1) {
		common_fields(r, b, NULL, size, iters, planned, warm, &rec);
		rates(&rec, bytes, msgs, last > first ? last - first : 0);
		repeats(&rec, all_gbps, all_n);
		rec.preempt_per_s = per_second(preempted, worked_ns);
		if (!(rc = latency(&rec, all, nall)))
			rc = put(r, &rec, out);
	}
	free(all);
	return rc;
}
