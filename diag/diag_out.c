#include "diag_out.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "log.h"
#include "record.h"

void diag_escape(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)in; *p && o + 5 < len; p++) {
		if (*p < 0x20 || *p == 0x7f)
			o += (size_t)snprintf(out + o, len - o, "\\x%02x", *p);
		else
			out[o++] = (char)*p;
	}
	out[o < len ? o : len - 1] = '\0';
}

void diag_print(FILE *out, const struct diag_check *k, int n, bool colour)
{
	static const char *colours[] = {"\033[32m", "\033[33m", "\033[31m", "\033[90m"};
	char reason[3200], remedy[3200];

	for (int i = 0; i < n; i++) {
		diag_escape(k[i].reason, reason, sizeof(reason));
		diag_escape(k[i].remedy, remedy, sizeof(remedy));
		fprintf(out, "%s%-4s%s  %-26s %s\n", colour ? colours[k[i].v] : "", diag_verdict_name(k[i].v),
			colour ? "\033[0m" : "", k[i].title, reason);
		if (*remedy)
			fprintf(out, "      %-26s remedy (%s): %s\n", "", diag_action_name(k[i].act), remedy);
	}
}

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

json_t *diag_json(const struct diag_facts *f, const struct diag_check *k, int n)
{
	json_t *arr = json_array(), *versions, *summary;
	int count[4] = {0};

	for (int i = 0; i < n; i++) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "check", k[i].id, "title", k[i].title, "verdict",
				      diag_verdict_name(k[i].v), "action", diag_action_name(k[i].act), "reason",
				      k[i].reason, "remedy", str_or_null(k[i].remedy));
		json_object_set(o, "details", k[i].details ? k[i].details : json_null());
		json_array_append_new(arr, o);
		count[k[i].v]++;
	}
	/* what differs between nodes that should be the same: compared by the
	 * cluster runner across nodes */
	versions = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "libfabric",
			     str_or_null(f->lf.version), "libfabric_api", str_or_null(f->lf_api), "libfabric_path",
			     str_or_null(f->plugin_lf_path[0] ? f->plugin_lf_path : f->lf.path), "efa_driver",
			     str_or_null(f->efa_driver), "efa_installer", str_or_null(f->installer), "aws_ofi_nccl",
			     str_or_null(f->plugin_version), "nccl", str_or_null(f->nccl_version), "nvidia_driver",
			     str_or_null(f->nvidia_driver), "cuda_driver",
			     str_or_null(f->cuda_driver[0] ? f->cuda_driver : f->cuda.version), "rdma_core",
			     str_or_null(f->ibverbs.version), "kernel", str_or_null(f->kernel));
	summary = json_pack("{s:i, s:i, s:i, s:i}", "pass", count[DIAG_PASS],
			    "warn", count[DIAG_WARN], "fail", count[DIAG_FAIL],
			    "skip", count[DIAG_SKIP]);
	return json_pack("{s:i, s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:i, s:i, s:o, s:o, s:o}", "schema",
			 FC_SCHEMA_VERSION, "tool", "fabcheck-diag", "fabcheck_version", FC_VERSION, "hostname",
			 f->hostname, "timestamp", f->timestamp, "instance_type", str_or_null(f->instance),
			 "instance_type_from", str_or_null(f->instance_from), "product_name", f->product, "efa_devices",
			 f->ndevs, "gpus", f->ngpus, "versions", versions, "summary", summary, "checks", arr);
}

int diag_write_json(json_t *doc, struct fc_resfile *out, bool ok)
{
	char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	int rc;

	if (!text) {
		fc_resfile_close(out, -FC_EXIT_FABRIC);
		return -FC_EXIT_FABRIC;
	}
	fprintf(out->f, "%s\n", text);
	free(text);
	rc = fc_resfile_commit(out);
	/* a FAIL verdict is a whole report too: it is written into place */
	(void)ok;
	return fc_resfile_close(out, rc) ? -FC_EXIT_FABRIC : rc;
}
