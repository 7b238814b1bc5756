/* Gathering what a node is, each fact from one place, through the root. */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <rdma/fabric.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <infiniband/efadv.h>
#include <infiniband/verbs.h>

#include "diag.h"
#include "errors.h"
#include "log.h"

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	if (!f)
		return -1;
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return buf[0] ? 0 : -1;
}

static int readf(const struct facts *f, const char *rel, char *buf, size_t len)
{
	char path[1200];
	snprintf(path, sizeof(path), "%s/%s", f->root, rel);
	return read_line(path, buf, len);
}

struct itype *diag_load_table(const char *path, int *n)
{
	FILE *fp = fopen(path, "r");
	struct itype *t = NULL;
	char line[512];
	int cap = 0;

	*n = 0;
	if (!fp)
		return NULL;
	while (fgets(line, sizeof(line), fp)) {
		struct itype it = {0};
		char rd[8], wr[8], npg[16], gdr[8];
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%39s %15s %d %d %d %7s %7s %15s %7s", it.type, it.accel, &it.gpus, &it.efa,
			   &it.nic_gbps, rd, wr, npg, gdr) != 9)
			continue;
		it.rdma_read = !strcmp(rd, "yes");
		it.rdma_write = !strcmp(wr, "yes");
		it.gdr_required = !strcmp(gdr, "yes");
		it.nics_per_gpu = strcmp(npg, "-") ? atof(npg) : 0;
		if (*n == cap) {
			struct itype *nt;
			cap = cap ? cap * 2 : 32;
			if (!(nt = realloc(t, (size_t)cap * sizeof(*t)))) {
				free(t);
				fclose(fp);
				*n = 0;
				return NULL;
			}
			t = nt;
		}
		t[(*n)++] = it;
	}
	fclose(fp);
	return t;
}

/* PCI address and full device path behind a sysfs device link. */
static void pci_of(const char *devlink, char *pci, size_t plen, char *path, size_t len)
{
	char real[PATH_MAX];
	const char *slash;

	pci[0] = path[0] = '\0';
	if (!realpath(devlink, real))
		return;
	diag_copy(path, len, real);
	slash = strrchr(real, '/');
	diag_copy(pci, plen, slash ? slash + 1 : real);
}

static void gather_devices(struct facts *f)
{
	char dir[700], p[1400], vendor[32];
	DIR *d;
	struct dirent *e;

	snprintf(dir, sizeof(dir), "%s/class/infiniband", f->sys);
	if (!(d = opendir(dir)))
		return;
	while ((e = readdir(d)) && f->ndevs < DIAG_MAX_DEVS) {
		struct efa_dev *v;
		char line[64];
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s/device/vendor", dir, e->d_name);
		/* EFA is Amazon's PCI vendor 0x1d0f: mlx5 and NVLink ibp* devices are not EFA */
		if (read_line(p, vendor, sizeof(vendor)) || strcasecmp(vendor, "0x1d0f")) {
			f->non_efa++;
			continue;
		}
		v = &f->devs[f->ndevs++];
		memset(v, 0, sizeof(*v));
		diag_copy(v->name, sizeof(v->name), e->d_name);
		snprintf(p, sizeof(p), "%s/%s/device", dir, e->d_name);
		pci_of(p, v->pci, sizeof(v->pci), v->pcipath, sizeof(v->pcipath));
		snprintf(p, sizeof(p), "%s/%s/device/numa_node", dir, e->d_name);
		v->numa = read_line(p, line, sizeof(line)) ? -1 : atoi(line);
		snprintf(p, sizeof(p), "%s/%s/ports/1/rate", dir, e->d_name);
		read_line(p, v->rate, sizeof(v->rate));
		snprintf(p, sizeof(p), "%s/%s/device/p2p", dir, e->d_name);
		read_line(p, v->p2p, sizeof(v->p2p));
		fc_nic_read(f->sys, "efa", v->name, &v->counters);
	}
	closedir(d);
	/* the same order on every node: by name */
	for (int i = 1; i < f->ndevs; i++)
		for (int j = i; j > 0 && strcmp(f->devs[j - 1].name, f->devs[j].name) > 0; j--) {
			struct efa_dev t = f->devs[j];
			f->devs[j] = f->devs[j - 1];
			f->devs[j - 1] = t;
		}
}

static void gather_gpus(struct facts *f)
{
	char dir[700], p[1400], vendor[32], cls[32];
	DIR *d;
	struct dirent *e;

	snprintf(dir, sizeof(dir), "%s/bus/pci/devices", f->sys);
	if (!(d = opendir(dir)))
		return;
	while ((e = readdir(d)) && f->ngpus < DIAG_MAX_DEVS) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s/vendor", dir, e->d_name);
		if (read_line(p, vendor, sizeof(vendor)) || strcasecmp(vendor, "0x10de"))
			continue;
		snprintf(p, sizeof(p), "%s/%s/class", dir, e->d_name);
		/* 3D controller (0x0302) or VGA (0x0300); NVSwitch bridges are 0x0680 */
		if (read_line(p, cls, sizeof(cls)) || (strncmp(cls, "0x0302", 6) && strncmp(cls, "0x0300", 6)))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		pci_of(p, f->gpus[f->ngpus].pci, sizeof(f->gpus[0].pci), f->gpus[f->ngpus].pcipath,
		       sizeof(f->gpus[0].pcipath));
		f->ngpus++;
	}
	closedir(d);
}

static void gather_proc(struct facts *f)
{
	char p[700], line[256];
	FILE *fp;

	f->memlock = -2;
	snprintf(p, sizeof(p), "%s/proc/self/limits", f->root);
	if ((fp = fopen(p, "r"))) {
		while (fgets(line, sizeof(line), fp)) {
			char soft[64];
			if (sscanf(line, "Max locked memory %63s", soft) == 1)
				f->memlock = !strcmp(soft, "unlimited") ? -1 : atoll(soft);
		}
		fclose(fp);
	}
	snprintf(p, sizeof(p), "%s/proc/meminfo", f->root);
	if ((fp = fopen(p, "r"))) {
		while (fgets(line, sizeof(line), fp))
			sscanf(line, "HugePages_Total: %ld", &f->hugepages);
		fclose(fp);
	}
	readf(f, "proc/sys/kernel/osrelease", f->kernel, sizeof(f->kernel));
}

static bool exists_glob(const struct facts *f, const char *dir, const char *prefix)
{
	char p[1200];
	DIR *d;
	struct dirent *e;
	bool found = false;

	snprintf(p, sizeof(p), "%s/%s", f->root, dir);
	if (!(d = opendir(p)))
		return false;
	while ((e = readdir(d)) && !found)
		found = !strncmp(e->d_name, prefix, strlen(prefix));
	closedir(d);
	return found;
}

static void live_libfabric(struct facts *f)
{
	struct fi_info *h = fi_allocinfo(), *all = NULL;
	uint32_t v = fi_version();
	Dl_info dl;
	char real[PATH_MAX];

	f->lf_known = true;
	snprintf(f->lf_version, sizeof(f->lf_version), "%u.%u", FI_MAJOR(v), FI_MINOR(v));
	if (dladdr((void *)fi_getinfo, &dl) && dl.dli_fname)
		diag_copy(f->lf_path, sizeof(f->lf_path), realpath(dl.dli_fname, real) ? real : dl.dli_fname);
	h->fabric_attr->prov_name = strdup("efa");
	h->mode = ~0ull;
	h->domain_attr->mr_mode = FI_MR_LOCAL | FI_MR_VIRT_ADDR | FI_MR_ALLOCATED | FI_MR_PROV_KEY;
	h->ep_attr->type = FI_EP_RDM;
	if (fi_getinfo(FI_VERSION(1, 9), NULL, NULL, 0, h, &all) == 0)
		for (struct fi_info *i = all; i; i = i->next)
			f->efa_rdm_domains++;
	fi_freeinfo(all);
	all = NULL;
	h->ep_attr->type = FI_EP_DGRAM;
	if (fi_getinfo(FI_VERSION(1, 9), NULL, NULL, 0, h, &all) == 0)
		for (struct fi_info *i = all; i; i = i->next)
			f->efa_dgram_domains++;
	fi_freeinfo(all);
	all = NULL;
	h->ep_attr->type = FI_EP_RDM;
	h->caps = FI_HMEM;
	h->domain_attr->mr_mode |= FI_MR_HMEM;
	f->efa_hmem = fi_getinfo(FI_VERSION(1, 9), NULL, NULL, 0, h, &all) == 0;
	fi_freeinfo(all);
	fi_freeinfo(h);
}

/* Device attributes through rdma-core: efadv_query_device answers only for
 * EFA devices (EOPNOTSUPP otherwise). */
static void live_rdma_core(struct facts *f)
{
	int n = 0;
	struct ibv_device **list = ibv_get_device_list(&n);
	Dl_info dl;
	char real[PATH_MAX];

	if (dladdr((void *)ibv_get_device_list, &dl) && dl.dli_fname && realpath(dl.dli_fname, real)) {
		/* libibverbs.so.1.14.<rdma-core major>.0 */
		const char *s = strstr(real, ".so.1.");
		int a, b;
		if (s && sscanf(s, ".so.1.%d.%d", &a, &b) == 2)
			f->rdma_core = b;
	}
	for (int i = 0; list && i < n; i++) {
		struct ibv_context *ctx = ibv_open_device(list[i]);
		struct efadv_device_attr attr = {0};
		struct ibv_port_attr port = {0};
		const char *name = ibv_get_device_name(list[i]);
		if (!ctx)
			continue;
		for (int d = 0; d < f->ndevs; d++) {
			struct efa_dev *v = &f->devs[d];
			if (strcmp(v->name, name) || efadv_query_device(ctx, &attr, sizeof(attr)))
				continue;
			v->have_caps = true;
			v->inline_size = attr.inline_buf_size;
			v->max_rdma = attr.max_rdma_size;
			v->rdma_read = attr.device_caps & EFADV_DEVICE_ATTR_CAPS_RDMA_READ;
#ifdef EFADV_DEVICE_ATTR_CAPS_RDMA_WRITE
			v->rdma_write = attr.device_caps & EFADV_DEVICE_ATTR_CAPS_RDMA_WRITE;
#endif
			if (ibv_query_port(ctx, 1, &port) == 0)
				v->max_msg = port.max_msg_sz;
		}
		ibv_close_device(ctx);
	}
	if (list)
		ibv_free_device_list(list);
}

static const char *jstr(json_t *o, const char *k, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : dflt;
}

/* A facts file stands in for the libraries (fixtures, or facts collected
 * on another node): {"libfabric": {...}, "rdma_core": N, "cuda_dmabuf": b,
 * "devices": {"<name>": {"max_msg", "inline", "max_rdma", "rdma_read", "rdma_write"}}} */
static int file_facts(struct facts *f, const char *path)
{
	json_error_t err;
	json_t *j = json_load_file(path, 0, &err), *lf, *devs;

	if (!j) {
		fc_err("facts file %s: %s (line %d)", path, err.text, err.line);
		return -FC_EXIT_USAGE;
	}
	if ((lf = json_object_get(j, "libfabric"))) {
		f->lf_known = true;
		snprintf(f->lf_version, sizeof(f->lf_version), "%s", jstr(lf, "version", "?"));
		snprintf(f->lf_path, sizeof(f->lf_path), "%s", jstr(lf, "path", "?"));
		f->efa_rdm_domains = (int)json_integer_value(json_object_get(lf, "efa_rdm_domains"));
		f->efa_dgram_domains = (int)json_integer_value(json_object_get(lf, "efa_dgram_domains"));
		f->efa_hmem = json_is_true(json_object_get(lf, "hmem"));
	}
	f->rdma_core = (int)json_integer_value(json_object_get(j, "rdma_core"));
	if (json_is_boolean(json_object_get(j, "cuda_dmabuf")))
		f->cuda_dmabuf = json_is_true(json_object_get(j, "cuda_dmabuf"));
	devs = json_object_get(j, "devices");
	for (int d = 0; d < f->ndevs; d++) {
		json_t *o = json_object_get(devs, f->devs[d].name);
		if (!o)
			continue;
		f->devs[d].have_caps = true;
		f->devs[d].max_msg = (long)json_integer_value(json_object_get(o, "max_msg"));
		f->devs[d].inline_size = (long)json_integer_value(json_object_get(o, "inline"));
		f->devs[d].max_rdma = (uint64_t)json_integer_value(json_object_get(o, "max_rdma"));
		f->devs[d].rdma_read = json_is_true(json_object_get(o, "rdma_read"));
		f->devs[d].rdma_write = json_is_true(json_object_get(o, "rdma_write"));
	}
	json_decref(j);
	return 0;
}

int diag_gather(struct facts *f, const char *root, const char *facts_file, const char *instance,
		const struct itype *table, int ntable)
{
	int rc = 0;
	const char *name;

	memset(f, 0, sizeof(*f));
	f->cuda_dmabuf = -1;
	snprintf(f->root, sizeof(f->root), "%s", strcmp(root, "/") ? root : "");
	snprintf(f->sys, sizeof(f->sys), "%s/sys", f->root);
	f->live = !*f->root && !facts_file;
	readf(f, "sys/devices/virtual/dmi/id/product_name", f->product, sizeof(f->product));
	name = instance && *instance ? instance : f->product;
	/* HyperPod names its types ml.p5.48xlarge */
	snprintf(f->instance, sizeof(f->instance), "%s", strncmp(name, "ml.", 3) ? name : name + 3);
	for (int i = 0; i < ntable; i++)
		if (!strcmp(table[i].type, f->instance))
			f->it = &table[i];
	readf(f, "sys/module/efa/version", f->efa_driver, sizeof(f->efa_driver));
	gather_devices(f);
	gather_gpus(f);
	gather_proc(f);
	f->lf_installer_present = exists_glob(f, "opt/amazon/efa/lib", "libfabric.so") ||
				  exists_glob(f, "opt/amazon/efa/lib64", "libfabric.so");
	f->lf_system_present = exists_glob(f, "usr/lib/x86_64-linux-gnu", "libfabric.so") ||
			       exists_glob(f, "usr/lib64", "libfabric.so") ||
			       exists_glob(f, "usr/lib/aarch64-linux-gnu", "libfabric.so");
	f->k8s = getenv("KUBERNETES_SERVICE_HOST") != NULL;
	if (facts_file)
		rc = file_facts(f, facts_file);
	else if (f->live) {
		live_libfabric(f);
		live_rdma_core(f);
	}
	f->lf_at_efa_installer = strstr(f->lf_path, "/opt/amazon/efa") != NULL;
	return rc;
}
