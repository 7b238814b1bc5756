/* fabcheck-diag: is this node ready for NCCL over EFA, and if not, why.
 * A verdict per check (PASS, WARN, FAIL, SKIP) with the remedy; exit 0 when
 * nothing FAILs, 1 otherwise. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "errors.h"
#include "log.h"
#include "record.h"

#define MAX_CHECKS 64

static const char *names[] = {"PASS", "WARN", "FAIL", "SKIP"};
static const char *colours[] = {"\033[32m", "\033[33m", "\033[31m", "\033[90m"};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: fabcheck-diag [options]\n"
		"Checks this node for NCCL over EFA: libfabric and its efa provider, EFA devices\n"
		"against the instance type, RDMA capabilities, GPUs and their closest NICs,\n"
		"GPUDirect, locked memory, fork safety, environment, Kubernetes, error counters.\n\n"
		"  --instance-type TYPE  compare against TYPE (default: the DMI product name;\n"
		"                        HyperPod's ml. prefix is stripped)\n"
		"  --expect-efa          a node without EFA hardware is a failure\n"
		"  --json FILE|-         the checks as JSON\n"
		"  --root DIR            read /sys, /proc and /opt under DIR (fixtures; default /)\n"
		"  --sysfs-root DIR      the same, naming DIR/sys (DIR/.. is the root)\n"
		"  --facts FILE          libfabric and device attributes from FILE instead of\n"
		"                        asking the libraries (used with --root)\n"
		"  --table FILE          instance table (default: instance-types.tsv beside the\n"
		"                        program, installed or in the source tree)\n"
		"  -h, --help            this help\n"
		"Exit: 0 nothing failed, 1 a check failed, 2 usage.\n");
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

static json_t *to_json(const struct facts *f, const struct check *k, int n)
{
	json_t *arr = json_array();

	for (int i = 0; i < n; i++) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "check", k[i].id, "title", k[i].title, "verdict",
				      names[k[i].v], "reason", k[i].reason, "remedy", k[i].remedy);
		if (k[i].details)
			json_object_set(o, "details", k[i].details);
		json_array_append_new(arr, o);
	}
	return json_pack("{s:i, s:s, s:s, s:s, s:i, s:i, s:o}", "schema", FC_SCHEMA_VERSION, "tool", "fabcheck-diag",
			 "fabcheck_version", FC_VERSION, "instance_type", f->instance, "efa_devices", f->ndevs,
			 "gpus", f->ngpus, "checks", arr);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"instance-type", required_argument, NULL, 'i'}, {"expect-efa", no_argument, NULL, 'e'},
		{"json", required_argument, NULL, 'j'},          {"root", required_argument, NULL, 'r'},
		{"sysfs-root", required_argument, NULL, 's'},    {"facts", required_argument, NULL, 'f'},
		{"table", required_argument, NULL, 't'},         {"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *instance = NULL, *json_path = NULL, *facts_file = NULL;
	char root[PATH_MAX] = "/", table_path[PATH_MAX] = "";
	bool expect_efa = false, colour = isatty(STDOUT_FILENO);
	static struct facts f;
	struct check checks[MAX_CHECKS];
	struct itype *table;
	int c, ntable, n, fails = 0, rc;

	fc_log_set_prog("fabcheck-diag");
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'i': instance = optarg; break;
		case 'e': expect_efa = true; break;
		case 'j': json_path = optarg; break;
		case 'r': snprintf(root, sizeof(root), "%s", optarg); break;
		case 's':
			snprintf(root, sizeof(root), "%s/..", optarg);
			break;
		case 'f': facts_file = optarg; break;
		case 't': snprintf(table_path, sizeof(table_path), "%s", optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return FC_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fc_err("unexpected argument '%s' (see --help)", argv[optind]);
		return FC_EXIT_USAGE;
	}
	if (!*table_path)
		find_table(table_path, sizeof(table_path));
	if (!(table = diag_load_table(table_path, &ntable)) || ntable == 0) {
		fc_err("cannot read the instance table %s: name it with --table", table_path);
		return FC_EXIT_USAGE;
	}
	if ((rc = diag_gather(&f, root, facts_file, instance, table, ntable))) {
		free(table);
		return fc_exit_status(rc);
	}
	n = diag_run_checks(&f, checks, MAX_CHECKS, expect_efa);
	for (int i = 0; i < n; i++) {
		const struct check *k = &checks[i];
		fails += k->v == FAIL;
		if (json_path && !strcmp(json_path, "-"))
			continue;
		printf("%s%-4s%s  %-24s %s\n", colour ? colours[k->v] : "", names[k->v], colour ? "\033[0m" : "",
		       k->title, k->reason);
		if (*k->remedy && (k->v == WARN || k->v == FAIL))
			printf("      %-24s remedy: %s\n", "", k->remedy);
	}
	if (json_path) {
		json_t *j = to_json(&f, checks, n);
		FILE *out = strcmp(json_path, "-") ? fopen(json_path, "w") : stdout;
		if (!out || json_dumpf(j, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) || fputc('\n', out) == EOF) {
			fc_err("cannot write %s", json_path);
			fails = fails ? fails : -1;
		}
		if (out && out != stdout)
			fclose(out);
		json_decref(j);
	}
	if (!json_path || strcmp(json_path, "-"))
		printf("%d check(s): %d failed\n", n, fails > 0 ? fails : 0);
	for (int i = 0; i < n; i++)
		json_decref(checks[i].details);
	free(table);
	return fails > 0 ? FC_EXIT_BELOW : fails < 0 ? FC_EXIT_USAGE : FC_EXIT_OK;
}
