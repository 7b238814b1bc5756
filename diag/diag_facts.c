/* Gathering what a node is, each fact from one place, through the root. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "diag_parse.h"
#include "readfile.h"
#include "errors.h"
#include "log.h"
#include "nic.h"

/* The first line of root/rel, "" when it cannot be read. */
static int rel_line(const struct diag_facts *f, const char *rel, char *buf, size_t len)
{
	char path[1200];

	buf[0] = '\0';
	if (fc_path_join(path, sizeof(path), f->root, rel))
		return -ENAMETOOLONG;
	return fc_read_line(path, buf, len);
}

static int rel_fmt_line(const struct diag_facts *f, char *buf, size_t len, const char *fmt, const char *a,
			const char *b)
{
	char rel[700];

	snprintf(rel, sizeof(rel), fmt, a, b);
	return rel_line(f, rel, buf, len);
}

/* PCI address behind a sysfs device link: the last component of its real path. */
static void pci_of(const struct diag_facts *f, const char *rel, char *pci, size_t len)
{
	char path[1200], real[PATH_MAX];
	const char *slash;

	pci[0] = '\0';
	if (fc_path_join(path, sizeof(path), f->root, rel) || !realpath(path, real))
		return;
	slash = strrchr(real, '/');
	diag_copy(pci, len, slash ? slash + 1 : real);
}

static int64_t counter(const char *dir, const char *name)
{
	char path[1200], line[64], *end;
	long long v;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (fc_read_line(path, line, sizeof(line)))
		return -1;
	v = strtoll(line, &end, 10);
	return end == line || v < 0 ? -1 : v;
}

void diag_counters_read(const struct diag_facts *f, const struct diag_efa_dev *d, struct diag_counters *c)
{
	char dir[1000];

	snprintf(dir, sizeof(dir), "%s/sys/class/infiniband/%s/ports/1/hw_counters", f->root, d->name);
	c->read = counter(dir, "tx_bytes") >= 0;
	/* the network counters came with EFA driver r2.17.0 ("Add Network HW
	 * statistics counters", amzn-drivers RELEASENOTES); rx_drops is older */
	c->retrans = counter(dir, "retrans_pkts");
	c->timeouts = counter(dir, "retrans_timeout_events");
	c->unresponsive = counter(dir, "unresponsive_remote_events");
	c->impaired = counter(dir, "impaired_remote_conn_events");
	c->drops = counter(dir, "rx_drops");
	c->tx_pkts = counter(dir, "tx_pkts");
}

static void gather_devices(struct diag_facts *f)
{
	char dir[700];
	DIR *d;
	struct dirent *e;

	snprintf(dir, sizeof(dir), "%s/sys/class/infiniband", f->root);
	if (!(d = opendir(dir)))
		return;
	while ((e = readdir(d)) && f->ndevs < DIAG_MAX_DEVS) {
		struct diag_efa_dev *v;
		char vendor[32], line[64], rel[600];
		if (e->d_name[0] == '.' || strlen(e->d_name) >= sizeof(v->name))
			continue;
		/* EFA is Amazon's PCI vendor 0x1d0f: mlx5 and NVLink ibp* devices are not EFA */
		if (rel_fmt_line(f, vendor, sizeof(vendor), "sys/class/infiniband/%s/device/vendor%s", e->d_name, "") ||
		    strcasecmp(vendor, "0x1d0f")) {
			f->non_efa++;
			continue;
		}
		v = &f->devs[f->ndevs++];
		memset(v, 0, sizeof(*v));
		diag_copy(v->name, sizeof(v->name), e->d_name);
		snprintf(rel, sizeof(rel), "sys/class/infiniband/%s/device", e->d_name);
		pci_of(f, rel, v->pci, sizeof(v->pci));
		v->numa = rel_fmt_line(f, line, sizeof(line), "sys/class/infiniband/%s/device/numa_node%s", e->d_name, "")
				  ? -1
				  : atoi(line);
		rel_fmt_line(f, v->rate, sizeof(v->rate), "sys/class/infiniband/%s/ports/1/rate%s", e->d_name, "");
		v->rate_gbps = diag_parse_rate(v->rate);
		rel_fmt_line(f, v->state, sizeof(v->state), "sys/class/infiniband/%s/ports/1/state%s", e->d_name, "");
		rel_fmt_line(f, v->p2p, sizeof(v->p2p), "sys/class/infiniband/%s/device/p2p%s", e->d_name, "");
		rel_fmt_line(f, v->pci_device, sizeof(v->pci_device), "sys/class/infiniband/%s/device/device%s", e->d_name,
			     "");
		diag_counters_read(f, v, &v->before);
	}
	closedir(d);
	/* the same order on every node: by name */
	for (int i = 1; i < f->ndevs; i++)
		for (int j = i; j > 0 && strcmp(f->devs[j - 1].name, f->devs[j].name) > 0; j--) {
			struct diag_efa_dev t = f->devs[j];
			f->devs[j] = f->devs[j - 1];
			f->devs[j - 1] = t;
		}
}

static void gather_unbound(struct diag_facts *f)
{
	char sys[700];

	snprintf(sys, sizeof(sys), "%s/sys", f->root);
	f->nunbound = fc_efa_unbound(sys, f->unbound, (int)(sizeof(f->unbound) / sizeof(f->unbound[0])));
}

static int netif_by_name(const void *a, const void *b)
{
	return strcmp(((const struct diag_netif *)a)->name, ((const struct diag_netif *)b)->name);
}

/* up: administratively up (IFF_UP in flags) and not down by operstate
 * (lo says "unknown") */
static void gather_netifs(struct diag_facts *f)
{
	char dir[700], line[64];
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/sys/class/net", f->root);
	if (!(d = opendir(dir)))
		return;
	while ((e = readdir(d)) && f->nnetifs < DIAG_MAX_NETIFS) {
		struct diag_netif *n;
		unsigned long flags;
		if (e->d_name[0] == '.' || strlen(e->d_name) >= sizeof(n->name))
			continue;
		if (rel_fmt_line(f, line, sizeof(line), "sys/class/net/%s/flags%s", e->d_name, ""))
			continue;
		flags = strtoul(line, NULL, 16);
		n = &f->netifs[f->nnetifs++];
		diag_copy(n->name, sizeof(n->name), e->d_name);
		n->loopback = flags & 0x8;
		n->up = flags & 0x1;
		if (!rel_fmt_line(f, line, sizeof(line), "sys/class/net/%s/operstate%s", e->d_name, "") &&
		    (!strcmp(line, "down") || !strcmp(line, "lowerlayerdown") || !strcmp(line, "notpresent")))
			n->up = false;
	}
	closedir(d);
	qsort(f->netifs, (size_t)f->nnetifs, sizeof(f->netifs[0]), netif_by_name); /* the same order on every node */
}

static void gather_gpus(struct diag_facts *f)
{
	char dir[700];
	DIR *d;
	struct dirent *e;

	snprintf(dir, sizeof(dir), "%s/sys/bus/pci/devices", f->root);
	if (!(d = opendir(dir)))
		return;
	while ((e = readdir(d)) && f->ngpus < DIAG_MAX_GPUS) {
		char vendor[32], cls[32];
		struct diag_gpu *g;
		if (e->d_name[0] == '.' || strlen(e->d_name) >= sizeof(g->pci))
			continue;
		if (rel_fmt_line(f, vendor, sizeof(vendor), "sys/bus/pci/devices/%s/vendor%s", e->d_name, "") ||
		    strcasecmp(vendor, "0x10de") ||
		    rel_fmt_line(f, cls, sizeof(cls), "sys/bus/pci/devices/%s/class%s", e->d_name, ""))
			continue;
		/* NVSwitch bridges: class 0x0680 */
		if (!strncmp(cls, "0x0680", 6)) {
			f->nvswitches++;
			continue;
		}
		/* 3D controller (0x0302) or VGA (0x0300) */
		if (strncmp(cls, "0x0302", 6) && strncmp(cls, "0x0300", 6))
			continue;
		g = &f->gpus[f->ngpus++];
		memset(g, 0, sizeof(*g));
		diag_copy(g->pci, sizeof(g->pci), e->d_name);
		g->ecc_volatile_unc = g->ecc_aggregate_unc = -1;
		g->retired_pages = g->retired_pending = g->remap_unc = g->remap_pending = g->remap_failed = -1;
		g->fabric_state = g->fabric_status = -1;
		g->closest_hops = -1;
	}
	closedir(d);
	for (int i = 1; i < f->ngpus; i++)
		for (int j = i; j > 0 && strcmp(f->gpus[j - 1].pci, f->gpus[j].pci) > 0; j--) {
			struct diag_gpu t = f->gpus[j];
			f->gpus[j] = f->gpus[j - 1];
			f->gpus[j - 1] = t;
		}
}

static void gather_proc(struct diag_facts *f)
{
	char path[1200], *text, line[64];

	f->memlock = -2;
	f->hugepages_total = f->hugepages_free = -1;
	f->cgroup_max = -2;
	if (!fc_path_join(path, sizeof(path), f->root, "proc/self/limits") && fc_read_alloc(path, &text) >= 0) {
		f->memlock = diag_parse_memlock(text);
		free(text);
	}
	f->ipc_lock = -1;
	if (!fc_path_join(path, sizeof(path), f->root, "proc/self/status") && fc_read_alloc(path, &text) >= 0) {
		f->ipc_lock = diag_parse_cap_ipc_lock(text);
		free(text);
	}
	if (!fc_path_join(path, sizeof(path), f->root, "proc/meminfo") && fc_read_alloc(path, &text) >= 0) {
		diag_parse_hugepages(text, &f->hugepages_total, &f->hugepages_free);
		free(text);
	}
	rel_line(f, "proc/sys/kernel/osrelease", f->kernel, sizeof(f->kernel));
	/* the error counters count since boot: their rate needs the uptime */
	f->uptime_s = -1;
	if (!rel_line(f, "proc/uptime", line, sizeof(line))) {
		char *end;
		double up = strtod(line, &end);
		if (end != line && up > 0)
			f->uptime_s = up;
	}
	/* the container's memory limit: cgroup v2, then v1 */
	if (!rel_line(f, "sys/fs/cgroup/memory.max", line, sizeof(line)) ||
	    !rel_line(f, "sys/fs/cgroup/memory/memory.limit_in_bytes", line, sizeof(line)))
		f->cgroup_max = diag_parse_cgroup_max(line);
}

/* Device nodes this process could open: in a pod, the EFA device plugin and
 * the NVIDIA device plugin put only the allocated ones in /dev. */
static int count_nodes(const struct diag_facts *f, const char *rel, const char *prefix, bool digits_only)
{
	char dir[700], path[1000];
	DIR *d;
	struct dirent *e;
	int n = 0;
	size_t k = strlen(prefix);

	if (fc_path_join(dir, sizeof(dir), f->root, rel) || !(d = opendir(dir)))
		return -1;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, prefix, k) || !e->d_name[k] ||
		    (digits_only && strspn(e->d_name + k, "0123456789") != strlen(e->d_name + k)))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		n += access(path, R_OK | W_OK) == 0;
	}
	closedir(d);
	return n;
}

static bool any_file(const struct diag_facts *f, const char *rel, const char *prefix)
{
	char dir[700];
	DIR *d;
	struct dirent *e;
	bool found = false;

	if (fc_path_join(dir, sizeof(dir), f->root, rel) || !(d = opendir(dir)))
		return false;
	while (!found && (e = readdir(d)))
		found = !strncmp(e->d_name, prefix, strlen(prefix));
	closedir(d);
	return found;
}

static void identity(struct diag_facts *f, const struct diag_options *o, const struct diag_itype *table, int ntable)
{
	const char *forced = diag_env_get(f, "OFI_NCCL_FORCE_PRODUCT_NAME"), *name;
	time_t now = time(NULL);
	struct tm tm;
	char sys[sizeof(f->root) + 8];

	if (gethostname(f->hostname, sizeof(f->hostname)))
		f->hostname[0] = '\0';
	f->hostname[sizeof(f->hostname) - 1] = '\0';
	gmtime_r(&now, &tm);
	strftime(f->timestamp, sizeof(f->timestamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!fc_path_join(sys, sizeof(sys), f->root, "sys"))
		diag_dmi_product(sys, f->product, sizeof(f->product));
	/* aws-ofi-nccl takes OFI_NCCL_FORCE_PRODUCT_NAME over the DMI name
	 * (src/nccl_ofi_system.cpp), so its platform defaults follow that */
	if (o->instance && *o->instance) {
		name = o->instance;
		f->instance_from = "--instance-type";
	} else if (forced && *forced) {
		name = forced;
		f->instance_from = "OFI_NCCL_FORCE_PRODUCT_NAME";
	} else {
		name = f->product;
		f->instance_from = "DMI product name";
	}
	/* HyperPod names its types ml.p5.48xlarge */
	diag_copy(f->instance, sizeof(f->instance), strncmp(name, "ml.", 3) ? name : name + 3);
	f->it = diag_table_find(table, ntable, f->instance);
}

static void sample_counters(struct diag_facts *f, const struct timespec *t0)
{
	struct timespec now, wait;
	double spent, left;

	if (f->sample_seconds <= 0 || f->ndevs == 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	spent = (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
	left = f->sample_seconds - spent;
	if (left > 0) {
		fc_note("sampling EFA error counters for %.1f s", left);
		wait.tv_sec = (time_t)left;
		wait.tv_nsec = (long)((left - (double)wait.tv_sec) * 1e9);
		while (nanosleep(&wait, &wait) && errno == EINTR)
			;
	}
	for (int i = 0; i < f->ndevs; i++)
		diag_counters_read(f, &f->devs[i], &f->devs[i].after);
}

int diag_gather(struct diag_facts *f, const struct diag_options *o, const struct diag_itype *table, int ntable)
{
	struct stat st;
	struct timespec t0;
	const char *root = o->root && *o->root ? o->root : "/";

	memset(f, 0, sizeof(*f));
	f->cuda_dmabuf = -1;
	f->cuda_init_rc = -1;
	f->fork_unneeded = -1;
	f->nvml_gpus = -1;
	if (stat(root, &st) || !S_ISDIR(st.st_mode)) {
		fc_err("--root %s is not a folder: name the copy of a node's /sys, /proc and /opt to read", root);
		return -FC_EXIT_USAGE;
	}
	diag_copy(f->root, sizeof(f->root), strcmp(root, "/") ? root : "");
	f->sample_seconds = o->sample_seconds;
	diag_env_capture(f);
	identity(f, o, table, ntable);
	rel_line(f, "sys/module/efa/version", f->efa_driver, sizeof(f->efa_driver));
	{
		char *text, path[1200];
		if (!fc_path_join(path, sizeof(path), f->root, "opt/amazon/efa_installed_packages") &&
		    fc_read_alloc(path, &text) >= 0) {
			diag_parse_installer(text, f->installer, sizeof(f->installer));
			free(text);
		}
	}
	gather_devices(f);
	gather_unbound(f);
	gather_netifs(f);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	gather_gpus(f);
	gather_proc(f);
	f->uverbs = count_nodes(f, "dev/infiniband", "uverbs", true);
	f->dev_gpus = count_nodes(f, "dev", "nvidia", true);
	f->lf_installer_present = any_file(f, "opt/amazon/efa/lib", "libfabric.so") ||
				  any_file(f, "opt/amazon/efa/lib64", "libfabric.so");
	f->lf_system_present = any_file(f, "usr/lib/x86_64-linux-gnu", "libfabric.so") ||
			       any_file(f, "usr/lib64", "libfabric.so") ||
			       any_file(f, "usr/lib/aarch64-linux-gnu", "libfabric.so");
	f->k8s = diag_env_get(f, "KUBERNETES_SERVICE_HOST") != NULL;
	diag_nccl_find(f);
	diag_affinity(f);
	/* the facts file's sections stand in for the libraries they name */
	if (o->facts_file) {
		int rc = diag_facts_file(f, o->facts_file);
		if (rc)
			return rc;
	}
	if (!f->lf_known)
		diag_ofi_query(f);
	if (f->ibverbs.state == DIAG_LIB_NOT_ASKED)
		diag_rdma_query(f);
	diag_nvml_query(f);
	if (f->cuda_dmabuf < 0)
		diag_cuda_query(f);
	sample_counters(f, &t0);
	/* traffic last: after the counters were sampled on a quiet node */
	if (o->traffic)
		diag_traffic_run(f, o);
	return 0;
}
