/* The checks: each turns facts into PASS, WARN, FAIL or SKIP, a one-line
 * reason and, when not PASS, the remedy. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

struct ctx {
	const struct facts *f;
	struct check *out;
	int n, max;
	bool expect_efa;
};

static struct check *add(struct ctx *c, const char *id, const char *title, enum verdict v, const char *remedy,
			 const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static struct check *add(struct ctx *c, const char *id, const char *title, enum verdict v, const char *remedy,
			 const char *fmt, ...)
{
	struct check *k;
	va_list ap;

	if (c->n == c->max)
		return NULL;
	k = &c->out[c->n++];
	memset(k, 0, sizeof(*k));
	k->id = id;
	k->title = title;
	k->v = v;
	va_start(ap, fmt);
	vsnprintf(k->reason, sizeof(k->reason), fmt, ap);
	va_end(ap);
	/* a remedy only where something is to be done */
	snprintf(k->remedy, sizeof(k->remedy), "%s", (v != WARN && v != FAIL) || !remedy ? "" : remedy);
	return k;
}

/* Does this node need EFA at all: the table says so, or the user does. */
static bool efa_expected(const struct ctx *c)
{
	return c->expect_efa || (c->f->it && c->f->it->efa > 0);
}

static bool has_gpus(const struct facts *f)
{
	return f->it ? f->it->gpus > 0 && strcmp(f->it->accel, "trainium") && strcmp(f->it->accel, "trainium2")
		     : f->ngpus > 0;
}

static void check_instance(struct ctx *c)
{
	const struct facts *f = c->f;

	if (f->it)
		add(c, "instance_type", "instance type", PASS, NULL,
		    "%s: %d x %s, %d EFA at %d Gb/s each, RDMA read %s, write %s", f->instance, f->it->gpus,
		    f->it->accel, f->it->efa, f->it->nic_gbps, f->it->rdma_read ? "yes" : "no",
		    f->it->rdma_write ? "yes" : "no");
	else
		add(c, "instance_type", "instance type", WARN,
		    "name the type with --instance-type (e.g. p5.48xlarge) to compare counts against it",
		    "'%s' is not an instance type fabcheck knows: counts are not compared",
		    *f->instance ? f->instance : "(no DMI product name)");
}

static int version_num(const char *v)
{
	int a = 0, b = 0;
	sscanf(v, "%d.%d", &a, &b);
	return a * 100 + b;
}

static void check_libfabric(struct ctx *c)
{
	const struct facts *f = c->f;
	char where[1200];

	if (!f->lf_known) {
		add(c, "libfabric", "libfabric", SKIP, NULL, "not queried (no facts for it)");
		return;
	}
	snprintf(where, sizeof(where), "libfabric %s at %s%s", f->lf_version, f->lf_path,
		 f->lf_installer_present && f->lf_system_present
			 ? (f->lf_at_efa_installer ? " (the EFA installer's wins over the system one)"
						   : " (the system one wins over /opt/amazon/efa)")
			 : "");
	if (efa_expected(c) && f->lf_installer_present && !f->lf_at_efa_installer)
		add(c, "libfabric", "libfabric", FAIL,
		    "put /opt/amazon/efa/lib first (LD_LIBRARY_PATH, or build fabcheck with "
		    "LIBFABRIC_PREFIX=/opt/amazon/efa) so NCCL and fabcheck use the EFA installer's libfabric",
		    "%s", where);
	else if (efa_expected(c) && version_num(f->lf_version) < 122)
		add(c, "libfabric", "libfabric", WARN,
		    "install a current EFA installer: aws-ofi-nccl refuses EFA with libfabric below 1.22",
		    "%s: older than 1.22", where);
	else
		add(c, "libfabric", "libfabric", PASS, NULL, "%s", where);
}

static void check_efa_provider(struct ctx *c)
{
	const struct facts *f = c->f;

	if (!f->lf_known) {
		add(c, "efa_provider", "libfabric efa provider", SKIP, NULL, "not queried");
		return;
	}
	if (f->efa_rdm_domains == 0) {
		add(c, "efa_provider", "libfabric efa provider", efa_expected(c) ? FAIL : SKIP,
		    "check `fi_info -p efa`, the efa kernel module, and that this libfabric has the efa "
		    "provider (the EFA installer's does)",
		    "no efa provider: fi_getinfo(-p efa) finds nothing%s",
		    efa_expected(c) ? ", so NCCL would fall back to TCP sockets" : " (no EFA expected here)");
		return;
	}
	add(c, "efa_provider", "libfabric efa provider", PASS, NULL, "%d RDM and %d DGRAM domain(s)",
	    f->efa_rdm_domains, f->efa_dgram_domains);
	if (has_gpus(f))
		add(c, "efa_hmem", "FI_HMEM on efa", f->efa_hmem ? PASS : f->it && f->it->gdr_required ? FAIL : WARN,
		    "use the EFA installer's libfabric, built with CUDA support",
		    f->efa_hmem ? "the efa provider offers FI_HMEM (GPU memory)"
				: "the efa provider offers no FI_HMEM: GPU memory cannot go over EFA");
}

static void check_devices(struct ctx *c)
{
	const struct facts *f = c->f;
	int want = f->it ? f->it->efa : 0;

	if (f->ndevs == 0) {
		add(c, "efa_devices", "EFA devices", efa_expected(c) ? FAIL : SKIP,
		    "attach EFA interfaces to the instance (launch template / SkyPilot network_tier: best); "
		    "on Kubernetes request vpc.amazonaws.com/efa",
		    "no EFA hardware: no device with PCI vendor 0x1d0f under %s/class/infiniband%s", f->sys,
		    f->non_efa ? " (only non-EFA RDMA devices)" : "");
		return;
	}
	if (!want) {
		add(c, "efa_devices", "EFA devices", PASS, NULL, "%d EFA device(s); instance type unknown", f->ndevs);
	} else if (f->ndevs < want) {
		add(c, "efa_devices", "EFA devices", FAIL,
		    "attach every EFA interface the type offers (one per network card); on Kubernetes request "
		    "all of them: vpc.amazonaws.com/efa",
		    "%d of %d EFA devices present on %s", f->ndevs, want, f->instance);
	} else if (f->ndevs > want) {
		add(c, "efa_devices", "EFA devices", WARN, "check the instance type (--instance-type)",
		    "%d EFA devices, more than the %d a %s has", f->ndevs, want, f->instance);
	} else {
		add(c, "efa_devices", "EFA devices", PASS, NULL, "%d of %d EFA devices present", f->ndevs, want);
	}
}

static void check_caps(struct ctx *c)
{
	const struct facts *f = c->f;
	char bad[512] = "", unknown[512] = "";
	int nbad = 0, nunknown = 0;

	if (f->ndevs == 0)
		return;
	for (int i = 0; i < f->ndevs; i++) {
		const struct efa_dev *v = &f->devs[i];
		char *list = v->have_caps ? bad : unknown;
		bool wrong = v->have_caps && f->it &&
			     ((f->it->rdma_read && !v->rdma_read) || (f->it->rdma_write && !v->rdma_write));
		if (v->have_caps && !wrong)
			continue;
		if (v->have_caps)
			nbad++;
		else
			nunknown++;
		if (strlen(list) < 400)
			snprintf(list + strlen(list), 512 - strlen(list), "%s%s%s", *list ? ", " : "", v->name,
				 v->have_caps ? (!v->rdma_write && f->it->rdma_write ? " (no RDMA write)" : " (no RDMA read)")
					      : "");
	}
	if (nbad)
		add(c, "efa_rdma", "EFA RDMA capabilities", FAIL,
		    "the device firmware or driver does not expose RDMA: update the EFA driver (EFA installer) "
		    "and check FI_EFA_USE_DEVICE_RDMA is not set to 0",
		    "%d device(s) lack what a %s has: %s", nbad, f->instance, bad);
	else if (nunknown == f->ndevs)
		add(c, "efa_rdma", "EFA RDMA capabilities", SKIP, NULL,
		    "device attributes not known (rdma-core not queried)");
	else
		add(c, "efa_rdma", "EFA RDMA capabilities", PASS, NULL, "every device: RDMA read %s, write %s",
		    f->devs[0].rdma_read ? "yes" : "no", f->devs[0].rdma_write ? "yes" : "no");
}

static int kernel_at_least(const char *k, int maj, int min)
{
	int a = 0, b = 0;
	sscanf(k, "%d.%d", &a, &b);
	return a > maj || (a == maj && b >= min);
}

static void check_gpudirect(struct ctx *c)
{
	const struct facts *f = c->f;
	int with_p2p = 0;
	bool dmabuf;

	if (f->ndevs == 0 || !has_gpus(f))
		return;
	for (int i = 0; i < f->ndevs; i++)
		with_p2p += f->devs[i].p2p[0] != '\0';
	dmabuf = kernel_at_least(f->kernel, 5, 12) && f->cuda_dmabuf == 1;
	if (with_p2p == f->ndevs)
		add(c, "gpudirect", "GPUDirect RDMA", PASS, NULL, "every EFA device has a p2p provider ('%s')",
		    f->devs[0].p2p);
	else if (dmabuf)
		add(c, "gpudirect", "GPUDirect RDMA", PASS, NULL,
		    "dmabuf: kernel %s >= 5.12 and CUDA reports dmabuf support", f->kernel);
	else
		add(c, "gpudirect", "GPUDirect RDMA", f->it && f->it->gdr_required ? FAIL : WARN,
		    "install the EFA driver from the EFA installer (NVIDIA p2p) with the NVIDIA driver loaded, "
		    "or use a kernel >= 5.12 with the NVIDIA open kernel modules (dmabuf)",
		    "%d of %d EFA devices have a p2p provider (device/p2p), and dmabuf is %s%s", with_p2p, f->ndevs,
		    f->cuda_dmabuf == 1 ? "supported but the kernel is older than 5.12" : "not known to work",
		    f->it && f->it->gdr_required ? ": aws-ofi-nccl requires GPUDirect on this type" : "");
}

/* Common depth of two PCI paths, in path components. */
static int common_depth(const char *a, const char *b)
{
	int depth = 0;
	while (*a && *a == *b) {
		if (*a == '/')
			depth++;
		a++;
		b++;
	}
	return depth;
}

static void check_gpus(struct ctx *c)
{
	const struct facts *f = c->f;
	json_t *map;
	int want_gpus = f->it ? f->it->gpus : 0, thin = 0;
	double per = f->it ? f->it->nics_per_gpu : 0;
	struct check *k;

	if (!has_gpus(f))
		return;
	if (want_gpus && f->ngpus != want_gpus)
		add(c, "gpus", "GPUs", FAIL, "check nvidia-smi and the NVIDIA driver; a missing GPU needs a new instance",
		    "%d of %d NVIDIA GPUs on the PCI bus", f->ngpus, want_gpus);
	else
		add(c, "gpus", "GPUs", f->ngpus ? PASS : SKIP, NULL, "%d NVIDIA GPU(s) on the PCI bus", f->ngpus);
	if (!f->ngpus || !f->ndevs || per == 0)
		return;
	/* each GPU's closest NICs: those sharing the deepest PCI ancestor */
	map = json_object();
	for (int g = 0; g < f->ngpus; g++) {
		int best = -1, count = 0;
		json_t *nics = json_array();
		for (int d = 0; d < f->ndevs; d++) {
			int depth = common_depth(f->gpus[g].pcipath, f->devs[d].pcipath);
			if (depth > best) {
				best = depth;
				json_array_clear(nics);
			}
			if (depth == best)
				json_array_append_new(nics, json_string(f->devs[d].name));
		}
		count = (int)json_array_size(nics);
		if (count < (per < 1 ? 1 : (int)per) || (per < 1 && count > 1))
			thin++;
		json_object_set_new(map, f->gpus[g].pci, nics);
	}
	if (thin)
		k = add(c, "gpu_efa_affinity", "GPU-to-EFA topology", WARN,
			"check the PCIe topology (nvidia-smi topo -m) and that every EFA device is attached",
			"%d of %d GPUs lack the %g closest EFA device(s) per GPU a %s has", thin, f->ngpus, per,
			f->instance);
	else
		k = add(c, "gpu_efa_affinity", "GPU-to-EFA topology", PASS, NULL,
			"every GPU has its closest EFA device(s), %g per GPU as a %s should", per, f->instance);
	if (k)
		k->details = map;
	else
		json_decref(map);
}

static void check_system(struct ctx *c)
{
	const struct facts *f = c->f;
	const char *fork_env = getenv("FI_EFA_FORK_SAFE");

	if (f->memlock == -2)
		add(c, "memlock", "locked memory limit", SKIP, NULL, "no %s/proc/self/limits", f->root);
	else if (f->memlock == -1)
		add(c, "memlock", "locked memory limit", PASS, NULL, "unlimited");
	else
		add(c, "memlock", "locked memory limit", efa_expected(c) ? FAIL : WARN,
		    "raise it: `ulimit -l unlimited`, LimitMEMLOCK=infinity for systemd services, "
		    "--ulimit memlock=-1 for containers",
		    "%lld KiB: EFA registers (pins) every buffer it sends from, and needs it unlimited",
		    f->memlock / 1024);
	add(c, "hugepages", "huge pages", PASS, NULL, "%ld reserved%s", f->hugepages,
	    f->hugepages ? "" : " (libfabric uses transparent huge pages or regular pages)");
	if (*f->kernel && kernel_at_least(f->kernel, 5, 13) && (f->rdma_core == 0 || f->rdma_core >= 35))
		add(c, "fork_safety", "fork safety", PASS, NULL, "kernel %s >= 5.13%s: fork after registration is safe",
		    f->kernel, f->rdma_core ? " and rdma-core >= 35" : "");
	else if (fork_env && strcmp(fork_env, "0"))
		add(c, "fork_safety", "fork safety", PASS, NULL, "FI_EFA_FORK_SAFE=%s", fork_env);
	else
		add(c, "fork_safety", "fork safety", *f->kernel ? WARN : SKIP,
		    "use kernel 5.13+ with rdma-core 35+, or set FI_EFA_FORK_SAFE=1 (the efa provider aborts a "
		    "process that forks otherwise)",
		    "kernel %s, rdma-core %d: forking after EFA registration aborts the process",
		    *f->kernel ? f->kernel : "unknown", f->rdma_core);
}

static void check_env(struct ctx *c)
{
	static const char *deprecated[] = {"FI_EFA_MTU_SIZE", "FI_EFA_TX_IOV_LIMIT", "FI_EFA_RX_IOV_LIMIT"};
	const struct facts *f = c->f;
	const char *prov = getenv("FI_PROVIDER"), *rdma = getenv("FI_EFA_USE_DEVICE_RDMA");
	char bad[512] = "";
	bool fail = false;

	for (size_t i = 0; i < 3; i++)
		if (getenv(deprecated[i])) {
			snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad), "%s%s is set (libfabric aborts on it)",
				 *bad ? "; " : "", deprecated[i]);
			fail = true;
		}
	if (prov && *prov && !strstr(prov, "efa") && efa_expected(c)) {
		snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad), "%sFI_PROVIDER=%s hides the efa provider",
			 *bad ? "; " : "", prov);
		fail = true;
	}
	if (rdma && !strcmp(rdma, "1"))
		for (int i = 0; i < f->ndevs; i++)
			if (f->devs[i].have_caps && !f->devs[i].rdma_read) {
				snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad),
					 "%sFI_EFA_USE_DEVICE_RDMA=1 on %s, which has no RDMA read (libfabric aborts)",
					 *bad ? "; " : "", f->devs[i].name);
				fail = true;
				break;
			}
	if (fail)
		add(c, "environment", "environment", FAIL, "unset the variables named", "%s", bad);
	else
		add(c, "environment", "environment", PASS, NULL, "no variable that aborts or misleads libfabric");
}

static void check_k8s(struct ctx *c)
{
	const struct facts *f = c->f;

	if (!f->k8s)
		return;
	if (f->it && f->ndevs < f->it->efa)
		add(c, "kubernetes", "Kubernetes pod", FAIL,
		    "request every EFA device in the pod; with SkyPilot: config: kubernetes: pod_config: spec: "
		    "containers: [{resources: {limits: {vpc.amazonaws.com/efa: N}, requests: {vpc.amazonaws.com/efa: N}}}] "
		    "(N = the instance's EFA count), plus the IPC_LOCK capability",
		    "the pod sees %d of the %d EFA devices a %s has", f->ndevs, f->it->efa, f->instance);
	else
		add(c, "kubernetes", "Kubernetes pod", PASS, NULL, "the pod sees %d EFA device(s)", f->ndevs);
}

static void check_counters(struct ctx *c)
{
	const struct facts *f = c->f;
	char busy[600] = "";
	json_t *all = json_object();
	struct check *k;

	if (f->ndevs == 0) {
		json_decref(all);
		return;
	}
	for (int i = 0; i < f->ndevs; i++) {
		const struct fc_nic_snapshot *s = &f->devs[i].counters;
		int64_t v[] = {s->retrans, s->timeouts, s->unresponsive, s->impaired, s->drops};
		static const char *names[] = {"retrans_pkts", "retrans_timeout_events", "unresponsive_remote_events",
					      "impaired_remote_conn_events", "rx_drops"};
		json_t *o = json_object();
		for (int n = 0; n < 5; n++) {
			if (v[n] < 0)
				continue;
			json_object_set_new(o, names[n], json_integer(v[n]));
			if (v[n] > 0 && strlen(busy) < 500)
				snprintf(busy + strlen(busy), sizeof(busy) - strlen(busy), "%s%s %s=%lld", *busy ? ", " : "",
					 f->devs[i].name, names[n], (long long)v[n]);
		}
		json_object_set_new(all, f->devs[i].name, o);
	}
	k = add(c, "error_counters", "EFA error counters", *busy ? WARN : PASS,
		"errors since boot: run fabcheck-bw -d all against a known-good node and watch whether they grow",
		*busy ? "non-zero: %s" : "no retransmits, timeouts, unresponsive remotes or drops%s", *busy ? busy : "");
	if (k)
		k->details = all;
	else
		json_decref(all);
}

static void check_driver(struct ctx *c)
{
	const struct facts *f = c->f;

	if (f->ndevs == 0)
		return;
	add(c, "efa_driver", "EFA kernel driver", *f->efa_driver ? PASS : WARN,
	    "the in-tree efa driver lacks NVIDIA p2p: install the EFA installer's driver",
	    *f->efa_driver ? "version %s" : "no version in /sys/module/efa/version (the in-tree driver?)%s",
	    *f->efa_driver ? f->efa_driver : "");
}

int diag_run_checks(const struct facts *f, struct check *out, int max, bool expect_efa)
{
	struct ctx c = {.f = f, .out = out, .max = max, .expect_efa = expect_efa};

	check_instance(&c);
	check_libfabric(&c);
	check_efa_provider(&c);
	check_devices(&c);
	check_caps(&c);
	check_driver(&c);
	check_gpus(&c);
	check_gpudirect(&c);
	check_system(&c);
	check_env(&c);
	check_k8s(&c);
	check_counters(&c);
	return c.n;
}
