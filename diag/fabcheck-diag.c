/* fabcheck-diag: is this node ready for NCCL over EFA, and if not, why.
 * A verdict per check (PASS, WARN, FAIL, SKIP) with the remedy and the kind
 * of action; exit 0 when nothing FAILs, 1 otherwise. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "diag_check.h"
#include "diag_out.h"
#include "errors.h"
#include "log.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: fabcheck-diag [options]\n"
		"Checks this node for NCCL over EFA: libfabric, the NCCL plugin and the libfabric it\n"
		"loads, the efa provider, rdma-core, EFA devices against the instance type, RDMA\n"
		"capabilities, ports and link rate, the EFA driver, error counters, GPUs and their\n"
		"health (NVML), NVLink, the NVSwitch fabric, GPU-to-EFA topology, GPUDirect, locked\n"
		"and container memory, huge pages, fork safety, environment, Kubernetes.\n\n"
		"  --instance-type TYPE    compare against TYPE (default: OFI_NCCL_FORCE_PRODUCT_NAME,\n"
		"                          else the DMI product name; HyperPod's ml. is stripped)\n"
		"  --expect-efa            a node without EFA hardware is a failure\n"
		"  --json FILE|-           the checks as JSON (- : stdout, instead of the checklist)\n"
		"  --counter-interval S    sample EFA error counters over S seconds (default 1; 0: no)\n"
		"  --traffic               one-node traffic self-test: two endpoints on every EFA device\n"
		"                          (fabcheck-pingpong and fabcheck-bw beside this program, the\n"
		"                          shared-memory shortcut off), latency, bandwidth and counters\n"
		"  --traffic-provider P    the self-test's provider (default efa; tcp where there is none)\n"
		"  --traffic-domains LIST  its devices, as -d (default all)\n"
		"  --root DIR              read sys/, proc/, dev/, etc/ and opt/ under DIR (default /)\n"
		"  --sysfs-root DIR        the same, naming DIR/sys (DIR/.. is the root)\n"
		"  --facts FILE            libfabric, rdma-core and CUDA answers from FILE (its sections\n"
		"                          stand in for those libraries)\n"
		"  --table FILE            instance table (default: instance-types.tsv beside the\n"
		"                          program, installed or in the source tree)\n"
		"  -h, --help              this help\n"
		"Exit: 0 nothing failed, 1 a check failed, 2 usage, 3 the JSON could not be written.\n");
}

static void find_table(char *out, size_t len)
{
	char exe[PATH_MAX], probe[PATH_MAX + 64], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')))
			*slash = '\0';
		if (snprintf(probe, sizeof(probe), "%s/../share/fabcheck/instance-types.tsv", exe) < (int)sizeof(probe) &&
		    access(probe, R_OK) == 0 && snprintf(out, len, "%s", probe) < (int)len)
			return;
	}
	snprintf(out, len, "%s", FC_SOURCE_DIAG "/instance-types.tsv");
}

static int parse_seconds(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !(v >= 0 && v <= 600))
		return -1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"instance-type", required_argument, NULL, 'i'}, {"expect-efa", no_argument, NULL, 'e'},
		{"json", required_argument, NULL, 'j'},          {"root", required_argument, NULL, 'r'},
		{"sysfs-root", required_argument, NULL, 's'},    {"facts", required_argument, NULL, 'f'},
		{"table", required_argument, NULL, 't'},         {"counter-interval", required_argument, NULL, 'c'},
		{"traffic", no_argument, NULL, 'T'},             {"traffic-provider", required_argument, NULL, 'P'},
		{"traffic-domains", required_argument, NULL, 'D'},
		{"help", no_argument, NULL, 'h'},                {0},
	};
	const char *json_path = NULL;
	char root[PATH_MAX] = "/", table_path[PATH_MAX] = "";
	struct diag_options o = {.sample_seconds = 1, .traffic_provider = "efa"};
	bool expect_efa = false, colour = isatty(STDOUT_FILENO);
	static struct facts f;
	static struct check checks[DIAG_NCHECKS];
	struct itype *table = NULL;
	struct fc_resfile out = {0};
	int c, ntable, n, fails = 0, rc;

	fc_log_set_prog("fabcheck-diag");
	opterr = 0; /* our own messages, in the suite's words */
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'i': o.instance = optarg; break;
		case 'e': expect_efa = true; break;
		case 'j': json_path = optarg; break;
		case 'r': snprintf(root, sizeof(root), "%s", optarg); break;
		case 's': snprintf(root, sizeof(root), "%s/..", optarg); break;
		case 'f': o.facts_file = optarg; break;
		case 'T': o.traffic = true; break;
		case 'P': o.traffic_provider = optarg; break;
		case 'D': o.traffic_domains = optarg; break;
		case 't': snprintf(table_path, sizeof(table_path), "%s", optarg); break;
		case 'c':
			if (parse_seconds(optarg, &o.sample_seconds)) {
				fc_err("--counter-interval takes seconds from 0 to 600, not '%s'", optarg);
				return FC_EXIT_USAGE;
			}
			break;
		case 'h': usage(stdout); return 0;
		case ':': fc_err("option '%s' needs a value (see --help)", argv[optind - 1]); return FC_EXIT_USAGE;
		default: fc_err("unknown option '%s' (see --help)", argv[optind - 1]); return FC_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fc_err("unexpected argument '%s' (see --help)", argv[optind]);
		return FC_EXIT_USAGE;
	}
	o.root = root;
	/* the output path is checked before anything is gathered: a folder,
	 * a missing folder or a FIFO nobody reads is a usage error now */
	if (json_path && (rc = fc_resfile_open(&out, json_path)))
		return fc_exit_status(rc);
	if (!*table_path)
		find_table(table_path, sizeof(table_path));
	if ((rc = diag_table_load(table_path, &table, &ntable)) || (rc = diag_gather(&f, &o, table, ntable))) {
		free(table);
		if (json_path)
			fc_resfile_close(&out, rc);
		return fc_exit_status(rc);
	}
	n = diag_run_checks(&f, expect_efa, checks);
	for (int i = 0; i < n; i++)
		fails += checks[i].v == FAIL;
	if (!json_path || strcmp(json_path, "-")) {
		diag_print(stdout, checks, n, colour);
		printf("%d check(s): %d failed\n", n, fails);
		fflush(stdout);
	}
	rc = 0;
	if (json_path) {
		json_t *doc = diag_json(&f, checks, n);
		rc = diag_write_json(doc, &out, fails == 0);
		json_decref(doc);
	}
	diag_free_checks(checks, n);
	free(table);
	if (rc)
		return fc_exit_status(rc);
	return fails ? FC_EXIT_BELOW : FC_EXIT_OK;
}
