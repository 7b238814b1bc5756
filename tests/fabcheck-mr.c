/* fabcheck-mr: how long registering memory takes, host and GPU, cold and
 * repeated, by address and by dmabuf. Runs on one node, no peer. */
#include <string.h>
#include <unistd.h>

#include "mr.h"
#include "errors.h"
#include "log.h"
#include "options.h"
#include "record.h"
#include "stop.h"
#include "timing.h"

static const struct fc_prog prog = {
	.name = "fabcheck-mr",
	.usage = "usage: fabcheck-mr [options]\n",
	.summary = "Memory registration cost (fi_mr_regattr and close), size by size: -D host or\n"
		   "cuda[:N], cold (fresh buffers) and repeat (same buffer: the MR cache), VA and\n"
		   "dmabuf paths. One node, no peer.",
	.default_sizes = "4K:4G",
	.default_iters = 20,
	.max_size = 4ull << 30,
	.groups = FC_OPTS_MR,
};

int main(int argc, char **argv)
{
	struct fc_opts opts;
	struct fc_mr_run b = {0};
	int rc = fc_opts_parse(&opts, &prog, argc, argv);

	if (rc)
		return rc > 0 ? FC_EXIT_OK : fc_exit_status(rc);
	if (opts.mem.pick) {
		fc_err("-D auto picks memory per NIC lane, and fabcheck-mr has none: name the device (-D cuda:N) "
		       "or host memory");
		return FC_EXIT_USAGE;
	}
	if (opts.mr_path && !strcmp(opts.mr_path, "dmabuf") && !fc_mem_ops_of(&opts.mem)->dmabuf) {
		fc_err("--mr-path dmabuf needs device memory that exports a dmabuf (-D cuda); %s memory is "
		       "registered by address only", fc_mem_ops_of(&opts.mem)->name);
		return FC_EXIT_USAGE;
	}
	fc_stop_install();
	b.opts = &opts;
	b.ops = &fc_xport_ofi;
	b.deadline = fc_deadline_in(opts.deadline_s);
	fc_mem_name(&opts.mem, b.memory, sizeof(b.memory));
	if (gethostname(b.host, sizeof(b.host)))
		strcpy(b.host, "unknown");
	fc_run_id(b.run_id, sizeof(b.run_id), b.host);
	b.cfg = (struct fc_xport_cfg){.provider = opts.params.provider, .fabric = opts.params.fabric,
				      .domain = opts.domain, .mem = opts.mem, .depth = 2};
	b.info.rma_emulated = -1;
	if (!(rc = fc_sizes_expand_max(opts.sizes, NULL, 0, prog.max_size, &b.sizes)) &&
	    !(rc = fc_out_open(&b.out, &opts.sinks, fc_mr_columns)) && !(rc = fc_mem_use(&opts.mem)) &&
	    !(rc = b.ops->open(&b.x, &b.cfg, &b.info))) {
		fc_out_banner(&b.out, "fabcheck-mr: provider %s, domain %s, libfabric %s (API %s), %s memory",
			      b.info.provider, b.info.domain, b.info.libfabric, b.info.fi_api, b.memory);
		rc = fc_bench_mr(&b);
	}
	if (b.x)
		b.ops->close(b.x);
	fc_sizes_free(&b.sizes);
	if (b.out.table) {
		int orc = fc_out_close(&b.out, rc);
		rc = rc ? rc : orc;
	}
	return fc_exit_status(rc);
}
