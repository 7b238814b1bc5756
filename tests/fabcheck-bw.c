/* fabcheck-bw: streaming bandwidth and message rate, uni- or bidirectional,
 * on one NIC or every NIC at once. */
#include "bench.h"
#include "errors.h"
#include "options.h"
#include "run.h"

static const struct fc_prog prog = {
	.name = "fabcheck-bw",
	.summary = "Streaming bandwidth and message rate, size by size, over libfabric (-x ofi)\n"
		   "or kernel TCP (-x socket, -n parallel streams). -d all runs every NIC at\n"
		   "once and proves from each NIC's own counters that it carried its traffic.",
	.default_sizes = "4K:4M",
	.groups = FC_OPTS_STREAM,
};

int main(int argc, char **argv)
{
	struct fc_opts opts;
	struct fc_run run;
	int rc = fc_opts_parse(&opts, &prog, argc, argv);

	if (rc)
		return rc > 0 ? FC_EXIT_OK : fc_exit_status(rc);
	rc = fc_run_setup(&run, &opts, &(struct fc_run_spec){
		.tool = prog.name, .test = "bw", .table = fc_bw_columns,
		.buffer_bytes = fc_bw_buffer_bytes,
		.params = json_pack("{s:I, s:b, s:I}", "window", (json_int_t)opts.window, "bidir",
				    opts.bidir, "streams", (json_int_t)opts.streams)});
	if (!rc)
		rc = fc_bench_bw(&run);
	return fc_exit_status(fc_run_finish(&run, rc));
}
