/* fabcheck-bw: streaming bandwidth and message rate, uni- or bidirectional,
 * on one NIC or every NIC at once. */
#include "benches.h"
#include "program.h"

static const struct fc_prog prog = {
	.name = "fabcheck-bw",
	.test = "bw",
	.summary = "Streaming bandwidth and message rate, size by size, over libfabric (-x ofi)\n"
		   "or kernel TCP (-x socket, -n parallel streams). -d all runs every NIC at\n"
		   "once and proves from each NIC's own counters that it carried its traffic.",
	.default_sizes = "4K:4M",
	.groups = FC_OPTS_PAIR | FC_OPTS_STREAM | FC_OPTS_SOCKET,
};

int main(int argc, char **argv)
{
	return fc_program_main(&prog, &fc_bench_bw, argc, argv);
}
