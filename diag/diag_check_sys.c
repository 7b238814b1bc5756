/* Checks of the process and its container: locked memory, the memory
 * limit, huge pages, the environment, the Kubernetes pod. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "diag_check.h"
#include "diag_parse.h"

/* The memory AWS's EKS EFA examples give an EFA test pod; fabcheck's
 * threshold, not an EFA requirement: below it, the efa provider's packet
 * and bounce buffers (per endpoint and device) plus a CUDA context leave
 * little for the job, and an OOM kill looks like a hung NCCL rank. */
#define CONTAINER_MIN_BYTES (8LL << 30)

void diag_check_memlock(const struct diag_ctx *c, struct diag_check *k)
{
	const struct diag_facts *f = c->f;

	if (f->memlock == -2)
		diag_set(k, DIAG_SKIP, DIAG_ACT_NONE, NULL, "no readable %s/proc/self/limits", f->root);
	else if (f->memlock == -1)
		diag_set(k, DIAG_PASS, DIAG_ACT_NONE, NULL, "unlimited");
	/* the kernel holds a pinning process to the limit only without
	 * CAP_IPC_LOCK (ib_umem_get): a pod given IPC_LOCK, or root, pins
	 * whatever the limit says */
	else if (f->ipc_lock == 1)
		diag_set(k, DIAG_PASS, DIAG_ACT_NONE, NULL,
			 "%lld KiB, but this process has CAP_IPC_LOCK, which the kernel lets pin memory past the limit",
			 f->memlock / 1024);
	else
		diag_set(k, diag_efa_expected(c) ? DIAG_FAIL : DIAG_WARN, DIAG_ACT_CONFIG,
			 "raise it: `ulimit -l unlimited`, LimitMEMLOCK=infinity for systemd services, "
			 "--ulimit memlock=-1 for containers",
			 "%lld KiB: EFA registers (pins) every buffer it sends from, and needs it unlimited",
			 f->memlock / 1024);
}

void diag_check_container_memory(const struct diag_ctx *c, struct diag_check *k)
{
	const struct diag_facts *f = c->f;

	if (f->cgroup_max == -2)
		diag_set(k, DIAG_SKIP, DIAG_ACT_NONE, NULL, "no cgroup memory limit to read");
	else if (f->cgroup_max == -1)
		diag_set(k, DIAG_PASS, DIAG_ACT_NONE, NULL, "no memory limit on this cgroup");
	else if (!diag_efa_expected(c))
		diag_set(k, DIAG_SKIP, DIAG_ACT_NONE, NULL, "limit %lld MiB; no EFA expected here", f->cgroup_max >> 20);
	else if (f->cgroup_max < CONTAINER_MIN_BYTES)
		diag_set(k, DIAG_WARN, DIAG_ACT_CONFIG,
			 "raise the container's memory limit (resources.limits.memory) to 8 GiB or more; the "
			 "efa provider allocates packet and bounce buffers per endpoint and device",
			 "limit %lld MiB: an out-of-memory kill shows up as a hung or vanished NCCL rank",
			 f->cgroup_max >> 20);
	else
		diag_set(k, DIAG_PASS, DIAG_ACT_NONE, NULL, "limit %lld MiB", f->cgroup_max >> 20);
}

static bool truthy(const struct diag_facts *f, const char *name)
{
	const char *v = diag_env_get(f, name);
	return v && diag_parse_bool(v) == 1;
}

void diag_check_hugepages(const struct diag_ctx *c, struct diag_check *k)
{
	const struct diag_facts *f = c->f;
	const char *use = diag_env_get(f, "FI_EFA_USE_HUGE_PAGE");
	int use_b = use ? diag_parse_bool(use) : -2;
	/* the efa provider turns fork support on for these; aws-ofi-nccl sets
	 * FI_EFA_FORK_SAFE=1 itself on GPU nodes (src/platform-aws.cpp) */
	bool fork_on = truthy(f, "FI_EFA_FORK_SAFE") || diag_env_get(f, "RDMAV_FORK_SAFE") ||
		       diag_env_get(f, "IBV_FORK_SAFE") || diag_nvidia_gpus(f);

	if (!diag_efa_expected(c)) {
		diag_set(k, DIAG_SKIP, DIAG_ACT_NONE, NULL, "no EFA expected here");
		return;
	}
	/* libfabric efa_fork_support.c: huge pages with fork support abort,
	 * unless rdma-core says fork support is unneeded */
	if (use_b == 1 && fork_on && f->fork_unneeded != 1) {
		diag_set(k, DIAG_FAIL, DIAG_ACT_CONFIG, "unset FI_EFA_USE_HUGE_PAGE (or set it to 0)",
			 "FI_EFA_USE_HUGE_PAGE=%s with fork support on (FI_EFA_FORK_SAFE%s): the efa provider "
			 "aborts the process",
			 use, diag_nvidia_gpus(f) ? ", which aws-ofi-nccl sets" : "");
		return;
	}
	if (use && use_b < 0) {
		diag_set(k, DIAG_WARN, DIAG_ACT_CONFIG,
			 "use 0 or 1", "FI_EFA_USE_HUGE_PAGE=%s is not a boolean libfabric reads; it is ignored",
			 use);
		return;
	}
	if (f->hugepages_total < 0) {
		diag_set(k, DIAG_SKIP, DIAG_ACT_NONE, NULL, "no HugePages_Total in %s/proc/meminfo", f->root);
		return;
	}
	/* Huge pages for the efa provider are what AWS's EKS setup reserves
	 * (and fabcheck's own Job requests): a healthy node, not a finding.
	 * aws-ofi-nccl's doc/efa-env-var.md names the one risk (forking
	 * PyTorch data loaders failing with ENOMEM) and its fix: said, not
	 * warned. */
	if (f->hugepages_total > 0 && use_b != 0) {
		diag_set(k, DIAG_PASS, DIAG_ACT_NONE, NULL,
			 "%ld huge pages reserved (%ld free): the efa provider takes its buffers from them; should "
			 "forking data loaders fail with ENOMEM, export FI_EFA_USE_HUGE_PAGE=0",
			 f->hugepages_total, f->hugepages_free);
		return;
	}
	diag_set(k, DIAG_PASS, DIAG_ACT_NONE, NULL, "%s",
		 use_b == 0 ? "FI_EFA_USE_HUGE_PAGE=0: regular pages, fork is not at risk"
			    : "no huge pages reserved: the efa provider uses regular pages");
}

static void note(char *buf, size_t len, const char *fmt, const char *a, const char *b)
{
	size_t n = strlen(buf);
	if (n + 2 < len)
		snprintf(buf + n, len - n, fmt, *buf ? "; " : "", a, b);
}

/* NCCL_SOCKET_IFNAME as NCCL reads it: a comma list of name prefixes,
 * "^" first excludes them, "=" (after it) wants exact names. NCCL's
 * bootstrap and socket transport need an interface it selects that is
 * up; loopback alone reaches no other node. */
static bool ifname_matches(const char *list, const char *name, bool exact)
{
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");
		if (n && (exact ? strlen(name) == n && !strncmp(name, p, n) : !strncmp(name, p, n)))
			return true;
		p += n;
		p += *p == ',';
	}
	return false;
}

static void socket_ifname(const struct diag_facts *f, const char *v, char *bad, size_t blen, char *warn, size_t wlen)
{
	const char *list = v;
	bool exclude = *list == '^', exact;
	int good = 0, loop = 0;
	char here[200] = "";

	if (!f->nnetifs)
		return; /* sys/class/net unreadable: nothing to judge against */
	list += exclude;
	exact = *list == '=';
	list += exact;
	for (int i = 0; i < f->nnetifs; i++) {
		const struct diag_netif *n = &f->netifs[i];
		bool selected = ifname_matches(list, n->name, exact) != exclude;
		if (strlen(here) < 150)
			snprintf(here + strlen(here), sizeof(here) - strlen(here), "%s%s %s", *here ? ", " : "", n->name,
				 n->up ? "up" : "down");
		if (selected && n->up)
			n->loopback ? loop++ : good++;
	}
	if (good)
		return;
	if (loop)
		note(warn, wlen, "%sNCCL_SOCKET_IFNAME=%s selects only loopback: NCCL's bootstrap reaches no other node%s",
		     v, "");
	else
		note(bad, blen, "%sNCCL_SOCKET_IFNAME=%s selects no interface that is up (here: %s): NCCL fails "
		     "to bootstrap", v, here);
}

void diag_check_env(const struct diag_ctx *c, struct diag_check *k)
{
	static const char *deprecated[] = {"FI_EFA_MTU_SIZE", "FI_EFA_TX_IOV_LIMIT", "FI_EFA_RX_IOV_LIMIT"};
	const struct diag_facts *f = c->f;
	const char *prov = diag_env_get(f, "FI_PROVIDER"), *rdma = diag_env_get(f, "FI_EFA_USE_DEVICE_RDMA");
	const char *iface = diag_env_get(f, "FI_EFA_IFACE"), *net = diag_env_get(f, "NCCL_NET");
	bool want = diag_efa_expected(c), required = f->it && f->it->gdr_required;
	char bad[700] = "", warn[400] = "";

	for (size_t i = 0; i < 3; i++)
		if (diag_env_get(f, deprecated[i]))
			note(bad, sizeof(bad), "%s%s is set (libfabric aborts on it)%s", deprecated[i], "");
	/* libfabric reads FI_PROVIDER as a list, "^" excluding it (ofi_create_filter) */
	if (prov && want && !diag_provider_allowed(prov, "efa"))
		note(bad, sizeof(bad), "%sFI_PROVIDER=%s hides the efa provider%s", prov, "");
	else if (prov && want && diag_nvidia_gpus(f) && strcmp(prov, "efa"))
		note(warn, sizeof(warn), "%sFI_PROVIDER=%s: aws-ofi-nccl applies its EFA defaults only when it is unset or 'efa'%s",
		     prov, "");
	if (iface && !*iface)
		note(bad, sizeof(bad), "%sFI_EFA_IFACE is empty (libfabric aborts)%s%s", "", "");
	if (rdma) {
		int b = diag_parse_bool(rdma);
		bool no_read = false;
		for (int i = 0; i < f->ndevs; i++)
			no_read |= f->devs[i].have_caps && !f->devs[i].rdma_read;
		/* efa_rdm_get_use_device_rdma(): an unreadable value, or "on" without
		 * RDMA read, abort the process; off on a GDR type makes aws-ofi-nccl
		 * refuse ("GDR disabled on GDR-supported instance type") */
		if (b < 0)
			note(bad, sizeof(bad), "%sFI_EFA_USE_DEVICE_RDMA=%s is not a boolean libfabric reads (it aborts)%s",
			     rdma, "");
		else if (b == 1 && no_read)
			note(bad, sizeof(bad), "%sFI_EFA_USE_DEVICE_RDMA=%s on a device without RDMA read (libfabric aborts)%s",
			     rdma, "");
		else if (b == 0 && required)
			note(bad, sizeof(bad), "%sFI_EFA_USE_DEVICE_RDMA=%s on a %s, where aws-ofi-nccl requires GPUDirect",
			     rdma, f->instance);
	}
	if (truthy(f, "FI_HMEM_DISABLE_P2P"))
		note(required ? bad : warn, required ? sizeof(bad) : sizeof(warn),
		     "%sFI_HMEM_DISABLE_P2P=%s turns GPUDirect off%s", diag_env_get(f, "FI_HMEM_DISABLE_P2P"),
		     required ? " (aws-ofi-nccl requires it on this type)" : "");
	/* NCCL_NET names the network NCCL must use: Socket and IB are not EFA */
	if (net && want && (!strcasecmp(net, "Socket") || !strcasecmp(net, "IB")))
		note(bad, sizeof(bad), "%sNCCL_NET=%s makes NCCL use %s, not EFA", net,
		     !strcasecmp(net, "IB") ? "InfiniBand verbs" : "TCP sockets");
	if (diag_env_get(f, "NCCL_SOCKET_IFNAME"))
		socket_ifname(f, diag_env_get(f, "NCCL_SOCKET_IFNAME"), bad, sizeof(bad), warn, sizeof(warn));
	if (*bad)
		diag_set(k, DIAG_FAIL, DIAG_ACT_CONFIG,
			 "unset or correct the variables named", "%s%s%s", bad, *warn ? "; " : "", warn);
	else if (*warn)
		diag_set(k, DIAG_WARN, DIAG_ACT_CONFIG, "unset or correct the variables named", "%s", warn);
	else
		diag_set(k, DIAG_PASS, DIAG_ACT_NONE, NULL, "no variable that aborts, hides or slows libfabric or NCCL");
}

void diag_check_k8s(const struct diag_ctx *c, struct diag_check *k)
{
	static const char pod_config[] =
		"request the EFA devices in the pod: resources limits and requests vpc.amazonaws.com/efa: N (with "
		"SkyPilot: config: kubernetes: pod_config: spec: containers: [{resources: {limits: "
		"{vpc.amazonaws.com/efa: N}, requests: {vpc.amazonaws.com/efa: N}}}]), plus the IPC_LOCK capability";
	const struct diag_facts *f = c->f;
	double per = f->it ? f->it->nics_per_gpu : 0;
	int want;

	if (!f->k8s) {
		diag_set(k, DIAG_SKIP, DIAG_ACT_NONE, NULL, "not in a Kubernetes pod (KUBERNETES_SERVICE_HOST unset)");
		return;
	}
	if (!diag_efa_expected(c)) {
		diag_set(k, DIAG_SKIP, DIAG_ACT_NONE, NULL, "no EFA expected on this node");
		return;
	}
	/* /sys/class/infiniband in a pod lists the host's devices; the pod can
	 * use only the uverbs nodes the EFA device plugin put in its /dev */
	if (f->uverbs < 0) {
		diag_set(k, DIAG_FAIL, DIAG_ACT_CONFIG, pod_config,
			 "the pod has no /dev/infiniband: no EFA device was allocated to it (the host has %d)", f->ndevs);
		return;
	}
	if (f->dev_gpus > 0 && per > 0)
		want = (int)ceil(f->dev_gpus * per);
	else
		want = f->it ? f->it->efa : f->ndevs;
	if (f->uverbs < want) {
		if (f->dev_gpus > 0 && per > 0)
			diag_set(k, DIAG_FAIL, DIAG_ACT_CONFIG, pod_config,
				 "the pod can open %d EFA device(s) (/dev/infiniband/uverbs*), and its %d GPU(s) on a %s "
				 "need %d (%g per GPU)",
				 f->uverbs, f->dev_gpus, f->instance, want, per);
		else
			diag_set(k, DIAG_FAIL, DIAG_ACT_CONFIG, pod_config, "the pod can open %d of the %d EFA devices%s%s",
				 f->uverbs, want, f->it ? " a " : "", f->it ? f->instance : " the host has");
		return;
	}
	if (f->dev_gpus > 0)
		diag_set(k, DIAG_PASS, DIAG_ACT_NONE, NULL, "the pod can open %d EFA device(s) for its %d GPU(s)", f->uverbs,
			 f->dev_gpus);
	else
		diag_set(k, DIAG_PASS, DIAG_ACT_NONE, NULL, "the pod can open %d EFA device(s)", f->uverbs);
}
