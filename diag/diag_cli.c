#include "diag_cli.h"

#include <string.h>

#include "errors.h"
#include "log.h"
#include "optable.h"
#include "optrows.h"

#define ROW(t, l, i, a, h, ...) \
	{.type = (t), .lng = (l), .id = (i), .groups = FC_OPTS_DIAG, .arg = (a), .help = (h), __VA_ARGS__}
#define HEAD(text) {.type = FC_OPT_HEADING, .lng = (text)}

enum { O_EXPECT_EFA = FC_O_PROGRAM, O_NCCL_ENV, O_INTERVAL, O_TRAFFIC, O_TRAFFIC_PROVIDER, O_TRAFFIC_DOMAINS, O_ROOT, O_FACTS };

static const struct fc_optrow diag_rows[] = {
	HEAD("what to check"),
	ROW(FC_OPT_FLAG, "expect-efa", O_EXPECT_EFA, NULL, "a node without EFA hardware is a failure"),
	ROW(FC_OPT_FLAG, "nccl-env", O_NCCL_ENV, NULL,
	    "only what NCCL would load in this environment: its net plugin\n"
	    "(NCCL_NET_PLUGIN, LD_LIBRARY_PATH, ld.so.conf), the libfabric\n"
	    "the plugin loads, and NCCL's variables; judged as for EFA, no\n"
	    "GPU or EFA needed: run it inside your training image"),
	ROW(FC_OPT_REAL, "counter-interval", O_INTERVAL, "S", "sample EFA error counters over S seconds, 0: not at all",
	    .lo = 0, .hi = 600, .def = "1"),
	ROW(FC_OPT_FLAG, "traffic", O_TRAFFIC, NULL,
	    "one-node traffic self-test: two endpoints on every EFA device\n"
	    "(fabcheck-pingpong and fabcheck-bw beside this program, the\n"
	    "shared-memory shortcut off), latency, bandwidth and counters;\n"
	    "with GPUs visible, GPU memory registered on each GPU with its\n"
	    "closest EFA device as aws-ofi-nccl does (fabcheck-mr), by\n"
	    "address and by dmabuf"),
	ROW(FC_OPT_TEXT, "traffic-provider", O_TRAFFIC_PROVIDER, "P",
	    "the self-test's provider: tcp where there is no EFA", .def = "efa"),
	ROW(FC_OPT_TEXT, "traffic-domains", O_TRAFFIC_DOMAINS, "LIST", "its devices, as -d (default all)"),
	HEAD("where to read"),
	ROW(FC_OPT_TEXT, "root", O_ROOT, "DIR", "read sys/, proc/, dev/, etc/ and opt/ under DIR", .def = "/"),
	ROW(FC_OPT_TEXT, "facts", O_FACTS, "FILE",
	    "libfabric, rdma-core and CUDA answers from FILE (its sections\nstand in for those libraries)"),
	{.type = FC_OPT_END},
};

static const struct fc_optrow *const diag_tables[] = {diag_rows, fc_shared_rows, NULL};

/* The shared rows in the node check's words. */
static const char *diag_help(const void *ctx, const struct fc_optrow *row, char *buf, size_t len)
{
	(void)ctx, (void)buf, (void)len;
	switch (row->id) {
	case FC_O_SYSFS_ROOT: return "the same as --root, naming DIR/sys (DIR/.. is the root)";
	case FC_O_INSTANCE_TYPE:
		return "compare against TYPE (default: OFI_NCCL_FORCE_PRODUCT_NAME,\n"
		       "else the DMI product name; HyperPod's ml. is stripped)";
	case FC_O_TABLE:
		return "instance table (default: instance-types.tsv beside the\n"
		       "program, installed or in the source tree)";
	case FC_O_JSON: return "the checks as JSON (- : stdout, instead of the checklist)";
	default: return NULL;
	}
}

static void diag_usage(const struct fc_optprog *p, FILE *f)
{
	fprintf(f, "usage: fabcheck-diag [options]\n"
		   "Checks this node for NCCL over EFA: libfabric, the NCCL plugin and the libfabric it\n"
		   "loads, the efa provider, rdma-core, EFA devices against the instance type, RDMA\n"
		   "capabilities, ports and link rate, the EFA driver, error counters, GPUs and their\n"
		   "health (NVML), NVLink, the NVSwitch fabric, GPU-to-EFA topology, GPUDirect, locked\n"
		   "and container memory, huge pages, fork safety, environment, Kubernetes.\n\n");
	fc_optable_rows_help(p, f);
	fprintf(f, "Exit: 0 nothing failed, 1 a check failed, 2 usage, 3 the JSON could not be written.\n");
}

static int set_row(void *ctx, const struct fc_optrow *row, const struct fc_optarg *a)
{
	struct fc_diag_cli *c = ctx;

	switch (row->id) {
	case O_EXPECT_EFA: c->expect_efa = true; break;
	case O_NCCL_ENV: c->nccl_env = true; break;
	case O_INTERVAL: c->o.sample_seconds = a->v.d; break;
	case O_TRAFFIC: c->o.traffic = true; break;
	case O_TRAFFIC_PROVIDER: c->o.traffic_provider = a->v.s; break;
	case O_TRAFFIC_DOMAINS: c->o.traffic_domains = a->v.s; break;
	case O_ROOT: snprintf(c->root, sizeof(c->root), "%s", a->v.s); break;
	case FC_O_SYSFS_ROOT: snprintf(c->root, sizeof(c->root), "%s/..", a->v.s); break;
	case O_FACTS: c->o.facts_file = a->v.s; break;
	case FC_O_INSTANCE_TYPE: c->o.instance = a->v.s; break;
	case FC_O_TABLE: snprintf(c->table_path, sizeof(c->table_path), "%s", a->v.s); break;
	case FC_O_JSON: c->json_path = a->v.s; break;
	default: break;
	}
	return 0;
}

static void diag_prog(struct fc_optprog *p, struct fc_diag_cli *c)
{
	*p = (struct fc_optprog){.name = "fabcheck-diag", .takes = FC_OPTS_DIAG, .tables = diag_tables,
				 .set = set_row, .ctx = c, .help = diag_help, .usage = diag_usage};
}

int fc_diag_parse(struct fc_diag_cli *c, int argc, char **argv)
{
	struct fc_optprog p;
	int rc, arg;

	memset(c, 0, sizeof(*c));
	diag_prog(&p, c);
	if ((rc = fc_optable_defaults(&p, false)) || (rc = fc_optable_parse(&p, argc, argv, &arg)))
		return rc;
	if (arg < argc) {
		fc_err("unexpected argument '%s' (see --help)", argv[arg]);
		return -FC_EXIT_USAGE;
	}
	if (c->nccl_env && c->o.traffic) {
		fc_err("--nccl-env checks what NCCL would load, not the node: run --traffic without it");
		return -FC_EXIT_USAGE;
	}
	if (c->nccl_env)
		c->o.sample_seconds = 0; /* no counters to sample: the image is judged */
	c->o.root = c->root;
	return 0;
}

void fc_diag_usage(FILE *f)
{
	struct fc_optprog p;

	diag_prog(&p, NULL);
	diag_usage(&p, f);
}

int fc_diag_accepted(const char **names, int max)
{
	struct fc_optprog p;

	diag_prog(&p, NULL);
	return fc_optable_accepted(&p, names, max);
}
