/* fabcheck-mr's loop: memory registration cost, size by size. */
#ifndef FC_TESTS_MR_H
#define FC_TESTS_MR_H

#include "options.h"
#include "output.h"
#include "sizes.h"
#include "xport.h"


struct fc_mr_run {
	const struct fc_opts *opts;
	const struct fc_xport_ops *ops;
	struct fc_xport *x;
	struct fc_xport_cfg cfg;
	struct fc_xport_info info;
	struct fc_sizes sizes;
	struct fc_out out;
	char memory[32], host[256], run_id[128];
	uint64_t deadline;
};

extern const struct fc_column fc_mr_columns[];
int fc_bench_mr(struct fc_mr_run *b);

#endif
