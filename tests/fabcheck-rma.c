/* fabcheck-rma: RMA write, read and write-with-data bandwidth and latency. */
#include "benches.h"
#include "program.h"

static const struct fc_prog prog = {
	.name = "fabcheck-rma",
	.test = "rma",
	.summary = "RMA bandwidth (windows of operations) and latency (one at a time) over\n"
		   "libfabric: fi_write, fi_read or fi_writedata (--op). Says when a provider\n"
		   "has no RMA, and when EFA emulates it in software instead of device RDMA.",
	.default_sizes = "8:4M",
	.groups = FC_OPTS_PAIR | FC_OPTS_RMA,
	.ofi_only = "the socket transport has no RMA: kernel TCP cannot write into the peer's memory; "
		    "fabcheck-bw -x socket measures the kernel TCP baseline",
};

int main(int argc, char **argv)
{
	return fc_program_main(&prog, &fc_bench_rma, argc, argv);
}
