/* fabcheck-rma: RMA write, read and write-with-data bandwidth and latency. */
#include "bench.h"
#include "program.h"

static const struct fc_prog prog = {
	.name = "fabcheck-rma",
	.summary = "RMA bandwidth (windows of operations) and latency (one at a time) over\n"
		   "libfabric: fi_write, fi_read or fi_writedata (--op). Says when a provider\n"
		   "has no RMA, and when EFA emulates it in software instead of device RDMA.",
	.default_sizes = "8:4M",
	.groups = FC_OPTS_RMA,
	.ofi_only = "the socket transport has no RMA: kernel TCP cannot write into the peer's memory; "
		    "use -x ofi (fabcheck-bw measures the socket baseline)",
};

static void spec(const struct fc_opts *o, struct fc_run_spec *s)
{
	s->test = "rma";
	s->table = fc_rma_columns;
	s->rma = true;
	s->buffer_bytes = fc_rma_buffer_bytes;
	s->window = fc_bw_window;
	s->params = json_pack("{s:I, s:s}", "window", (json_int_t)o->window, "op", o->rma_op);
}

int main(int argc, char **argv)
{
	return fc_program_main(&prog, argc, argv, spec, fc_bench_rma);
}
