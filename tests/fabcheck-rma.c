/* fabcheck-rma: RMA write, read and write-with-data bandwidth and latency. */
#include <string.h>

#include "bench.h"
#include "errors.h"
#include "log.h"
#include "options.h"
#include "run.h"

static const struct fc_prog prog = {
	.name = "fabcheck-rma",
	.summary = "RMA bandwidth (windows of operations) and latency (one at a time) over\n"
		   "libfabric: fi_write, fi_read or fi_writedata (--op). Says when a provider\n"
		   "has no RMA, and when EFA emulates it in software instead of device RDMA.",
	.default_sizes = "8:4M",
	.groups = FC_OPTS_RMA,
};

int main(int argc, char **argv)
{
	struct fc_opts opts;
	struct fc_run run;
	int rc = fc_opts_parse(&opts, &prog, argc, argv);

	if (rc)
		return rc > 0 ? FC_EXIT_OK : fc_exit_status(rc);
	if (strcmp(opts.transport, "ofi")) {
		fc_err("the socket transport has no RMA: kernel TCP cannot write into the peer's memory; "
		       "use -x ofi (fabcheck-bw measures the socket baseline)");
		return FC_EXIT_USAGE;
	}
	rc = fc_run_setup(&run, &opts, &(struct fc_run_spec){
		.tool = prog.name, .test = "rma", .table = fc_rma_columns, .rma = true,
		.buffer_bytes = fc_rma_buffer_bytes,
		.params = json_pack("{s:I, s:s}", "window", (json_int_t)opts.window, "op", opts.rma_op)});
	if (!rc)
		rc = fc_bench_rma(&run);
	return fc_exit_status(fc_run_finish(&run, rc));
}
