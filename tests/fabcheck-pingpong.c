/* fabcheck-pingpong: RDM ping-pong latency over libfabric or kernel TCP. */
#include "benches.h"
#include "program.h"

static const struct fc_prog prog = {
	.name = "fabcheck-pingpong",
	.test = "pingpong",
	.summary = "RDM ping-pong latency, size by size, over libfabric (-x ofi) or kernel TCP\n"
		   "(-x socket). Latency is half the round trip; records go to --json/--csv.",
	.default_sizes = "8:1M",
	.groups = FC_OPTS_PAIR | FC_OPTS_SOCKET,
};

int main(int argc, char **argv)
{
	return fc_program_main(&prog, &fc_bench_pingpong, argc, argv);
}
