/* fabcheck-bw: streaming bandwidth and message rate, uni- or bidirectional,
 * on one NIC or every NIC at once. */
#include "bench.h"
#include "program.h"

static const struct fc_prog prog = {
	.name = "fabcheck-bw",
	.summary = "Streaming bandwidth and message rate, size by size, over libfabric (-x ofi)\n"
		   "or kernel TCP (-x socket, -n parallel streams). -d all runs every NIC at\n"
		   "once and proves from each NIC's own counters that it carried its traffic.",
	.default_sizes = "4K:4M",
	.groups = FC_OPTS_STREAM,
};

static void spec(const struct fc_opts *o, struct fc_run_spec *s)
{
	s->test = "bw";
	s->table = fc_bw_columns;
	s->buffer_bytes = fc_bw_buffer_bytes;
	s->window = fc_bw_window;
	s->params = json_pack("{s:I, s:b, s:I}", "window", (json_int_t)o->window, "bidir", o->bidir,
			      "streams", (json_int_t)o->streams);
}

int main(int argc, char **argv)
{
	return fc_program_main(&prog, argc, argv, spec, fc_bench_bw);
}
