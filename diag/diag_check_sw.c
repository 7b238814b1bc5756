/* Checks of the software NCCL over EFA goes through: libfabric, the NCCL
 * net plugin, rdma-core, fork safety. */
#include <stdio.h>
#include <string.h>

#include "diag_check.h"
#include "diag_parse.h"

static bool at_installer(const char *path)
{
	return strstr(path, "/opt/amazon/efa/") != NULL;
}

void diag_check_libfabric(const struct diag_ctx *c, struct diag_check *k)
{
	const struct diag_facts *f = c->f;
	bool want = diag_efa_expected(c), gpus = c->nccl_env || diag_nvidia_gpus(f);
	/* the libfabric that matters is the one NCCL's plugin loads */
	const char *which = f->plugin_lf_path[0] ? f->plugin_lf_path : f->lf.path;
	char where[900];

	if (f->lf.state != DIAG_LIB_LOADED) {
		if (!want) {
			diag_set(k, DIAG_SKIP, DIAG_ACT_NONE, NULL, "no libfabric could be loaded (%s), and no EFA is expected here",
				 f->lf.error);
			return;
		}
		diag_set(k, DIAG_FAIL, DIAG_ACT_CONFIG,
			 "install the EFA installer (libfabric in /opt/amazon/efa/lib) and put that folder on "
			 "LD_LIBRARY_PATH or in ld.so.conf",
			 "no libfabric could be loaded: %s", f->lf.error);
		return;
	}
	snprintf(where, sizeof(where), "libfabric %s at %s%s%s (API %s)", f->lf.version, f->lf.path,
		 f->plugin_lf_path[0] && strcmp(f->plugin_lf_path, f->lf.path) ? "; NCCL's plugin loads " : "",
		 f->plugin_lf_path[0] && strcmp(f->plugin_lf_path, f->lf.path) ? f->plugin_lf_path : "", f->lf_api);
	if (want && f->lf_installer_present && !at_installer(which)) {
		diag_set(k, DIAG_FAIL, DIAG_ACT_CONFIG,
			 "put /opt/amazon/efa/lib first (LD_LIBRARY_PATH, the plugin's RUNPATH, ld.so.conf) so "
			 "NCCL's plugin and fabcheck use the EFA installer's libfabric",
			 "%s: not the EFA installer's, which is present", where);
		return;
	}
	/* aws-ofi-nccl from v1.13.0 refuses the efa provider below 1.22
	 * (src/nccl_ofi_net.cpp "EFA provider requires at least libfabric
	 * 1.22.0"); older plugins run on 1.18 and later. Unknown plugin: the
	 * current rule. */
	{
		bool old_plugin = f->plugin_version[0] && diag_version_cmp(f->plugin_version, "1.13") < 0;
		const char *min = old_plugin ? "1.18" : "1.22";
		if (want && diag_version_cmp(f->lf.version, min) < 0) {
			/* the reason stays short: a node's failed checks travel
			 * to the cluster verdict in one line */
			diag_set(k, gpus ? DIAG_FAIL : DIAG_WARN, DIAG_ACT_CONFIG,
				 old_plugin ? "install a current EFA installer: this aws-ofi-nccl refuses EFA below "
					      "libfabric 1.18"
					    : "install a current EFA installer: aws-ofi-nccl 1.13 and later refuse EFA below "
					      "libfabric 1.22 (older plugins: 1.18)",
				 "%s: older than %s%s", where, min, gpus ? ", so NCCL would not use EFA" : "");
			return;
		}
	}
	diag_set(k, DIAG_PASS, DIAG_ACT_NONE, NULL, "%s", where);
}

/* A library installed where the loader does not look: the remedy names
 * its folder. */
static void off_path_remedy(const char *file, const char *or_else, char *out, size_t len)
{
	const char *slash = strrchr(file, '/');
	int dir = slash ? (int)(slash - file) : (int)strlen(file);

	snprintf(out, len,
		 "put %.*s on the library path where NCCL runs (export LD_LIBRARY_PATH=%.*s:$LD_LIBRARY_PATH in "
		 "the job, or a file in the image's /etc/ld.so.conf.d), %s",
		 dir, file, dir, file, or_else);
}

void diag_check_nccl_plugin(const struct diag_ctx *c, struct diag_check *k)
{
	const struct diag_facts *f = c->f;

	if (!c->nccl_env && !diag_nvidia_gpus(f)) {
		diag_set(k, DIAG_SKIP, DIAG_ACT_NONE, NULL, "no NVIDIA GPUs: NCCL is not expected here");
		return;
	}
	if (!diag_efa_expected(c)) {
		diag_set(k, DIAG_SKIP, DIAG_ACT_NONE, NULL, "no EFA here: NCCL would use its own sockets anyway");
		return;
	}
	if (!f->plugin_path[0] && f->plugin_offpath[0]) {
		char remedy[700];
		off_path_remedy(f->plugin_offpath, "or name the plugin with NCCL_NET_PLUGIN", remedy, sizeof(remedy));
		diag_set(k, DIAG_FAIL, DIAG_ACT_CONFIG, remedy,
			 "%s: aws-ofi-nccl is installed at %s, off the search path, so NCCL would fall back to its own "
			 "sockets (NET/Socket) without a word",
			 f->plugin_error, f->plugin_offpath);
		return;
	}
	if (!f->plugin_path[0]) {
		diag_set(k, DIAG_FAIL, DIAG_ACT_CONFIG,
			 "install aws-ofi-nccl (the EFA installer puts it in /opt/amazon/ofi-nccl/lib) and put its "
			 "folder on LD_LIBRARY_PATH, or name it with NCCL_NET_PLUGIN",
			 "%s: NCCL would fall back to its own sockets (NET/Socket) without a word", f->plugin_error);
		return;
	}
	if (!f->plugin_needs_lf[0]) {
		diag_set(k, DIAG_WARN, DIAG_ACT_CONFIG,
			 "point NCCL_NET_PLUGIN at aws-ofi-nccl (libnccl-net-ofi.so in /opt/amazon/ofi-nccl/lib)",
			 "%s needs no libfabric: it is not aws-ofi-nccl, so NCCL will not use EFA through it",
			 f->plugin_path);
		return;
	}
	if (!f->plugin_lf_path[0] && f->lf_offpath[0]) {
		char remedy[700];
		off_path_remedy(f->lf_offpath, "or the plugin's RUNPATH", remedy, sizeof(remedy));
		diag_set(k, DIAG_FAIL, DIAG_ACT_CONFIG, remedy,
			 "%s (%s is installed, off that path): NCCL cannot load the plugin and falls back to sockets",
			 f->plugin_error, f->lf_offpath);
		return;
	}
	if (!f->plugin_lf_path[0]) {
		diag_set(k, DIAG_FAIL, DIAG_ACT_CONFIG,
			 "add the EFA installer's libfabric folder (/opt/amazon/efa/lib) to LD_LIBRARY_PATH or "
			 "ld.so.conf",
			 "%s: NCCL cannot load the plugin and falls back to sockets", f->plugin_error);
		return;
	}
	if (f->plugin_version[0])
		diag_set(k, DIAG_PASS, DIAG_ACT_NONE, NULL, "%s (aws-ofi-nccl %s) loads %s", f->plugin_path, f->plugin_version,
			 f->plugin_lf_path);
	else
		diag_set(k, DIAG_PASS, DIAG_ACT_NONE, NULL, "%s loads %s", f->plugin_path, f->plugin_lf_path);
}

void diag_check_rdma_core(const struct diag_ctx *c, struct diag_check *k)
{
	const struct diag_facts *f = c->f;
	const struct diag_libinfo *bad = f->ibverbs.state != DIAG_LIB_LOADED ? &f->ibverbs
				       : f->efadv.state != DIAG_LIB_LOADED ? &f->efadv
								      : NULL;

	if (!bad) {
		if (f->rdma_core)
			diag_set(k, DIAG_PASS, DIAG_ACT_NONE, NULL, "rdma-core %d: libibverbs and libefa load", f->rdma_core);
		else
			diag_set(k, DIAG_PASS, DIAG_ACT_NONE, NULL, "libibverbs and libefa load (%s)", f->ibverbs.path);
		return;
	}
	if (!diag_efa_expected(c)) {
		diag_set(k, DIAG_SKIP, DIAG_ACT_NONE, NULL, "%s cannot be loaded (%s), and no EFA is expected here",
			 bad == &f->ibverbs ? "libibverbs" : "libefa", bad->error);
		return;
	}
	diag_set(k, DIAG_FAIL, DIAG_ACT_CONFIG,
		 "install rdma-core in this image (the EFA installer's, or libibverbs1 and ibverbs-providers): "
		 "libfabric's efa provider opens EFA devices through libefa",
		 "%s cannot be loaded: %s", bad == &f->ibverbs ? "libibverbs" : "libefa", bad->error);
}

void diag_check_fork(const struct diag_ctx *c, struct diag_check *k)
{
	const struct diag_facts *f = c->f;
	const char *env = diag_env_get(f, "FI_EFA_FORK_SAFE");
	bool env_safe = (env && diag_parse_bool(env) == 1) || diag_env_get(f, "RDMAV_FORK_SAFE") ||
			diag_env_get(f, "IBV_FORK_SAFE");
	/* aws-ofi-nccl (src/platform-aws.cpp): kernel 5.13+ and rdma-core 38+
	 * copy pinned memory on fork; older pairs need MADV_DONTFORK */
	bool versions_ok = diag_kernel_at_least(f->kernel, 5, 13) && f->rdma_core >= 38;

	if (!diag_efa_expected(c)) {
		diag_set(k, DIAG_SKIP, DIAG_ACT_NONE, NULL, "no EFA expected here");
		return;
	}
	if (f->fork_unneeded == 1) {
		diag_set(k, DIAG_PASS, DIAG_ACT_NONE, NULL,
			 "rdma-core reports fork support unneeded (IBV_FORK_UNNEEDED: the kernel copies pinned "
			 "memory on fork)");
		return;
	}
	if (f->fork_unneeded < 0 && versions_ok) {
		diag_set(k, DIAG_PASS, DIAG_ACT_NONE,
			NULL, "kernel %s >= 5.13 and rdma-core %d >= 38: fork after registration is safe",
			 f->kernel, f->rdma_core);
		return;
	}
	if (f->fork_unneeded < 0 && (!*f->kernel || !f->rdma_core)) {
		diag_set(k, DIAG_SKIP, DIAG_ACT_NONE, NULL, "kernel or rdma-core version unknown, and rdma-core not asked");
		return;
	}
	if (env_safe) {
		diag_set(k, DIAG_PASS, DIAG_ACT_NONE, NULL,
			 "fork support on by environment: safe, at the cost of MADV_DONTFORK per registration and "
			 "no huge pages");
		return;
	}
	diag_set(k, DIAG_WARN, DIAG_ACT_CONFIG,
		 "use kernel 5.13+ with rdma-core 38+, or set FI_EFA_FORK_SAFE=1 (aws-ofi-nccl sets it for NCCL "
		 "itself; other EFA programs need it)",
		 "kernel %s, rdma-core %d: a process that forks after registering memory is aborted by the efa "
		 "provider",
		 *f->kernel ? f->kernel : "unknown", f->rdma_core);
}
