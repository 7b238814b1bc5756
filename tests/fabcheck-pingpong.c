/* fabcheck-pingpong: RDM ping-pong latency over libfabric or kernel TCP. */
#include "bench.h"
#include "program.h"

static const struct fc_prog prog = {
	.name = "fabcheck-pingpong",
	.summary = "RDM ping-pong latency, size by size, over libfabric (-x ofi) or kernel TCP\n"
		   "(-x socket). Latency is half the round trip; records go to --json/--csv.",
	.default_sizes = "8:1M",
};

static void spec(const struct fc_opts *o, struct fc_run_spec *s)
{
	(void)o;
	s->test = "pingpong";
	s->table = fc_pingpong_columns;
}

int main(int argc, char **argv)
{
	return fc_program_main(&prog, argc, argv, spec, fc_bench_pingpong);
}
