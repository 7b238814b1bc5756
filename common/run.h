/* One benchmark run between two processes: everything a benchmark loop
 * needs, passed explicitly (no process-wide state). */
#ifndef FC_RUN_H
#define FC_RUN_H

#include <jansson.h>
#include <stdbool.h>

#include "bootstrap.h"
#include "options.h"
#include "output.h"
#include "sizes.h"
#include "xport.h"

struct fc_run {
	const struct fc_opts *opts;
	const char *tool; /* program name, e.g. fabcheck-pingpong */
	const char *test; /* pingpong, bw, ... */
	bool is_client;
	uint64_t deadline; /* whole run, CLOCK_MONOTONIC ns */

	struct fc_boot boot;
	const struct fc_xport_ops *ops;
	struct fc_xport *x;
	struct fc_xport_cfg cfg;
	struct fc_xport_info info;
	char local_host[256], peer_host[256];

	struct fc_sizes sizes;
	void *sbuf, *rbuf; /* registered, page aligned, fc_sizes_max bytes */
	struct fc_out out;
};

/* Bootstrap, hello and parameter check, transport setup, address exchange,
 * size list, buffers. On failure the peer is told why. */
int fc_run_setup(struct fc_run *r, const struct fc_opts *o, const char *tool, const char *test,
		 const struct fc_column *table);
/* Tears everything down; returns rc, or an output error if rc was 0. */
int fc_run_finish(struct fc_run *r, int rc);

/* Deadline for one wait: the op timeout, but never past the run deadline. */
uint64_t fc_run_op_deadline(const struct fc_run *r);

/* A record with this run's provenance filled in. */
json_t *fc_run_record(const struct fc_run *r, size_t size);

/* Waits until op completes (marking every completion it reaps done).
 * `what` names the wait for the error message. */
int fc_run_wait(struct fc_run *r, struct fc_op *op, const char *what, size_t size, long iter);

/* Checks the whole-run deadline before starting a size. */
int fc_run_check_deadline(struct fc_run *r, size_t index);

#endif
