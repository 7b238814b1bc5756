/* Memory registration cost, the number no public tool reports: register
 * and deregister host or GPU buffers size by size, cold (a fresh buffer each
 * time: pinning, page faults, no cache) and repeated (the same buffer again:
 * what a registration cache saves), by virtual address and, for GPU memory
 * with libfabric >= 1.20, by dmabuf. Local only: no peer. */
#include "mr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "log.h"
#include "mem.h"
#include "output.h"
#include "record.h"
#include "sizes.h"
#include "stats.h"
#include "timing.h"

const struct fc_column fc_mr_columns[] = {
	{"size", "size", 8, -1},
	{"mr_phase", "phase", 8, 0},
	{"mr_path", "path", 8, 0},
	{"iters", "iters", 7, 0},
	{"lat_us_p50", "reg_p50_us", 12, 1},
	{"lat_us_p99", "reg_p99_us", 12, 1},
	{"dereg_us_p50", "dereg_p50_us", 14, 1},
	{0},
};

/* Half of what the memory could give now: a benchmark must not push the
 * node into swap or the GPU out of memory. */
static size_t memory_bound(const struct fc_mem *m)
{
	return fc_mem_ops_of(m)->available() / 2;
}

static void touch(const struct fc_mem *m, void *p, size_t len)
{
	if (!fc_mem_is_device(m))
		memset(p, 0x5a, len); /* fault the pages in: "repeat" measures registration only */
}

/* One phase at one size: iters registrations (cold: each of a fresh buffer). */
static int phase(struct fc_mr_run *b, size_t size, bool cold, bool dmabuf, long iters, uint64_t *reg,
		 uint64_t *dereg)
{
	const struct fc_mem *m = &b->opts->mem;
	void *buf = NULL;
	int rc = 0;

	for (long i = 0; i < iters && !rc; i++) {
		if (!buf || cold) {
			if (buf)
				fc_mem_free(m, buf, size);
			if (!(buf = fc_mem_alloc(m, size))) {
				fc_err("cannot allocate %zu bytes of %s memory", size, b->memory);
				return -FC_EXIT_FABRIC;
			}
			if (!cold)
				touch(m, buf, size);
		}
		rc = b->ops->mr_time(b->x, buf, size, dmabuf, &reg[i], &dereg[i]);
		if (fc_now_ns() >= b->deadline && !rc) {
			fc_err("the run deadline (-t %.0f s) passed during %zu-byte registrations: raise -t",
			       b->opts->deadline_s, size);
			rc = -FC_EXIT_PEER;
		}
	}
	fc_mem_free(m, buf, size);
	return rc;
}

static int record(struct fc_mr_run *b, size_t size, const char *ph, const char *path, long iters,
		  uint64_t *reg, uint64_t *dereg)
{
	struct fc_stats rs, ds;
	char ts[40];
	json_t *rec;
	int rc;

	if ((rc = fc_stats_compute(reg, (size_t)iters, &rs)) || (rc = fc_stats_compute(dereg, (size_t)iters, &ds)))
		return rc;
	fc_timestamp(ts, sizeof(ts));
	rec = fc_rec_json(&(struct fc_rec){
		.schema = FC_I(FC_SCHEMA_VERSION),
		.tool = "fabcheck-mr",
		.fabcheck_version = FC_VERSION,
		.test = "mr",
		.transport = "ofi",
		.provider = b->info.provider,
		.fabric = b->info.fabric,
		.domain = b->info.domain,
		.libfabric = b->info.libfabric,
		.memory = b->memory,
		.local_host = b->host,
		.timestamp = ts,
		.run = b->run_id,
		.label = b->opts->label,
		.size = FC_I(size),
		.iters = FC_I(iters),
		.mr_phase = ph,
		.mr_path = path,
		.gpu_path = b->info.gpu_path,
		.dereg_us_p50 = FC_R(ds.p50 / 1e3),
		.lat_us_min = FC_R(rs.min / 1e3),
		.lat_us_p50 = FC_R(rs.p50 / 1e3),
		.lat_us_p99 = FC_R(rs.p99 / 1e3),
		.lat_us_max = FC_R(rs.max / 1e3),
		.lat_us_mean = FC_R(rs.mean / 1e3),
	});
	rc = fc_out_record(&b->out, rec);
	json_decref(rec);
	return rc;
}

int fc_bench_mr(struct fc_mr_run *b)
{
	const struct fc_opts *o = b->opts;
	/* --mr-path: the dmabuf path where the backend exports one (CUDA),
	 * by address always; asked for one path, only that one, and its
	 * failure is the run's (fabcheck-diag --traffic tries each alone) */
	bool both = !o->mr_path || !strcmp(o->mr_path, "both");
	int first = both || !strcmp(o->mr_path, "va") ? 0 : 1;
	int last = both ? (fc_mem_ops_of(&o->mem)->dmabuf ? 1 : 0) : first;
	size_t bound = memory_bound(&o->mem), skipped = 0;
	long iters = o->params.iters;
	uint64_t *reg = calloc((size_t)iters, sizeof(uint64_t)), *dereg = calloc((size_t)iters, sizeof(uint64_t));
	int rc = reg && dereg ? 0 : -FC_EXIT_FABRIC;
	char bb[32];

	for (size_t i = 0; i < b->sizes.n && !rc; i++) {
		size_t size = b->sizes.v[i];
		static const bool colds[] = {true, false};
		if (size > bound) {
			skipped++;
			continue;
		}
		for (int path = first; path <= last && !rc; path++) {
			for (int c = 0; c < 2 && !rc; c++) {
				fc_progress("size %s (%zu of %zu), %s, %s", fc_size_format(size, bb, sizeof(bb)), i + 1,
					    b->sizes.n, colds[c] ? "cold" : "repeat", path ? "dmabuf" : "va");
				rc = phase(b, size, colds[c], path == 1, iters, reg, dereg);
				if (path == 1 && rc == -FC_EXIT_USAGE) {
					/* dmabuf not built in: with both, say so once
					 * and keep the VA numbers; asked for alone, it
					 * is this build's limit, not a usage error */
					rc = both ? 0 : -FC_EXIT_FABRIC;
					last = 0;
					break;
				}
				if (!rc)
					rc = record(b, size, colds[c] ? "cold" : "repeat", path ? "dmabuf" : "va", iters,
						    reg, dereg);
			}
		}
	}
	fc_progress_done();
	if (!rc && skipped)
		fc_out_banner(&b->out, "%zu size(s) above %s skipped: half of the %s memory available now", skipped,
			      fc_size_format(bound, bb, sizeof(bb)), b->memory);
	free(reg);
	free(dereg);
	return rc;
}
