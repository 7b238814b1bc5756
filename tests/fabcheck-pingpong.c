/* fabcheck-pingpong: RDM ping-pong latency over libfabric or kernel TCP. */
#include "bench.h"
#include "errors.h"
#include "options.h"
#include "run.h"

static const struct fc_prog prog = {
	.name = "fabcheck-pingpong",
	.summary = "RDM ping-pong latency, size by size, over libfabric (-x ofi) or kernel TCP\n"
		   "(-x socket). Latency is half the round trip; records go to --json/--csv.",
	.default_sizes = "8:1M",
};

int main(int argc, char **argv)
{
	struct fc_opts opts;
	struct fc_run run;
	int rc = fc_opts_parse(&opts, &prog, argc, argv);

	if (rc)
		return rc > 0 ? FC_EXIT_OK : fc_exit_status(rc);
	rc = fc_run_setup(&run, &opts, &(struct fc_run_spec){
		.tool = prog.name, .test = "pingpong", .table = fc_pingpong_columns});
	if (!rc)
		rc = fc_bench_pingpong(&run);
	return fc_exit_status(fc_run_finish(&run, rc));
}
