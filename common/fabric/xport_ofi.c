/* libfabric transport: FI_EP_RDM on any provider (efa in production; tcp,
 * sockets, shm, udp on a machine without EFA). */
#include "xport.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <rdma/fabric.h>
#include <rdma/fi_cm.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_endpoint.h>
#include <rdma/fi_errno.h>
#include <rdma/fi_ext.h>
#include <rdma/fi_rma.h>
#include <rdma/fi_eq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "log.h"
#include "ofi_api.h"
#include "timing.h"

#define PENDING_MAX 4096
#define MAX_REGIONS 4

/* The API version fi_getinfo is asked for: see ofi_api.h. */
static uint32_t fi_api(void)
{
	return fc_fi_api_pick(FI_VERSION(FI_MAJOR_VERSION, FI_MINOR_VERSION), fi_version());
}
#define FC_GETINFO_VERSION fi_api()

struct fc_xport {
	const struct fc_xport_cfg *cfg;
	struct fc_xport_info *xinfo; /* the caller's, for what registration learns (mr_path) */
	struct fi_info *info;
	struct fid_fabric *fabric;
	struct fid_domain *domain;
	struct fid_av *av;
	struct fid_cq *cq;
	struct fid_ep *ep;
	/* one registration per buffer region; ops find theirs by address */
	struct region {
		char *base;
		size_t len;
		struct fid_mr *mr;
		void *desc;
	} regions[MAX_REGIONS];
	int nregions;
	fi_addr_t peer;
	uint64_t remote_events; /* completions of the peer's writes with data */
	char libfabric_path[4096];
	size_t inject_size;     /* sends this small go out with fi_inject */
	bool draining;          /* disconnect: the errors of cancelled operations are expected */
	bool stuck;             /* operations never came back: never close (it would crash) */
	struct fc_op_list posted; /* posted, not completed: cancelled before close */
	/* Completions reaped while a post waited for queue space, and
	 * injected sends (complete when posted). */
	struct fc_op *pending[PENDING_MAX];
	int npending;
};

static bool is_ip_format(uint32_t f)
{
	return f == FI_SOCKADDR || f == FI_SOCKADDR_IN || f == FI_SOCKADDR_IN6;
}

/* prov_name is "core;utility" (e.g. "tcp;ofi_rxm"): the provider asked for
 * must be one of its parts, never a silent substitute. */
static bool prov_matches(const char *prov_name, const char *want)
{
	size_t n = strlen(want);
	const char *p = prov_name;

	while (p && *p) {
		if (!strncmp(p, want, n) && (p[n] == ';' || p[n] == '\0'))
			return true;
		p = strchr(p, ';');
		if (p)
			p++;
	}
	return false;
}

static struct fi_info *make_hints(const struct fc_xport_cfg *cfg, bool with_domain)
{
	struct fi_info *h = fi_allocinfo();

	if (!h)
		return NULL;
	h->ep_attr->type = FI_EP_RDM;
	h->caps = FI_MSG;
	/* FI_CONTEXT2 is required by efa-direct and harmless elsewhere. */
	h->mode = FI_CONTEXT | FI_CONTEXT2;
	/* What EFA requires (efa-facts 1.3); providers that need less accept it. */
	h->domain_attr->mr_mode = FI_MR_LOCAL | FI_MR_VIRT_ADDR | FI_MR_ALLOCATED | FI_MR_PROV_KEY;
	h->domain_attr->threading = FI_THREAD_DOMAIN;
	/* Only a test that needs sends to land in order asks for it (the
	 * bandwidth loop's acks follow its data on the same endpoint): a
	 * fabric that offers no ordering (EFA's efa-direct) still opens for
	 * ping-pong and RMA. */
	if (cfg->ordered) {
		h->tx_attr->msg_order = FI_ORDER_SAS;
		h->rx_attr->msg_order = FI_ORDER_SAS;
	}
	if (cfg->rma)
		h->caps |= FI_RMA | FI_READ | FI_WRITE | FI_REMOTE_READ | FI_REMOTE_WRITE;
	/* GPU memory only when asked for: FI_HMEM narrows what providers offer */
	if (fc_mem_ops_of(&cfg->mem)->fi_iface != FI_HMEM_SYSTEM) {
		h->caps |= FI_HMEM;
		h->domain_attr->mr_mode |= FI_MR_HMEM;
	}
	if (cfg->provider)
		h->fabric_attr->prov_name = strdup(cfg->provider);
	if (cfg->fabric && *cfg->fabric)
		h->fabric_attr->name = strdup(cfg->fabric);
	if (with_domain && cfg->domain)
		h->domain_attr->name = strdup(cfg->domain);
	return h;
}

static void append_unique(char *list, size_t len, const char *name)
{
	char token[72];

	snprintf(token, sizeof(token), " %s,", name);
	if (strstr(list, token))
		return;
	strncat(list, token, len - strlen(list) - 1);
}

/* "tcp, sockets, shm": what fi_getinfo offers here, for error messages. */
static void list_providers(char *out, size_t len)
{
	struct fi_info *h = fi_allocinfo(), *all = NULL;
	char list[512] = "";

	h->ep_attr->type = FI_EP_RDM;
	if (fi_getinfo(FC_GETINFO_VERSION, NULL, NULL, 0, h, &all) == 0)
		for (struct fi_info *fi = all; fi; fi = fi->next) {
			char core[64];
			snprintf(core, sizeof(core), "%s", fi->fabric_attr->prov_name);
			core[strcspn(core, ";")] = '\0';
			append_unique(list, sizeof(list), core);
		}
	fi_freeinfo(all);
	fi_freeinfo(h);
	if (!*list)
		snprintf(list, sizeof(list), " (none),");
	list[strlen(list) - 1] = '\0';
	snprintf(out, len, "%s", list + 1);
}

static void list_domains(const struct fc_xport_cfg *cfg, char *out, size_t len)
{
	struct fi_info *h = make_hints(cfg, false), *all = NULL;
	char list[1024] = "";

	if (h && fi_getinfo(FC_GETINFO_VERSION, NULL, NULL, 0, h, &all) == 0)
		for (struct fi_info *fi = all; fi; fi = fi->next)
			append_unique(list, sizeof(list), fi->domain_attr->name);
	fi_freeinfo(all);
	fi_freeinfo(h);
	if (!*list)
		snprintf(list, sizeof(list), " (none),");
	list[strlen(list) - 1] = '\0';
	snprintf(out, len, "%s", list + 1);
}

static void libfabric_identity(struct fc_xport_info *info)
{
	uint32_t v = fi_version();
	Dl_info dl;
	char real[PATH_MAX];

	snprintf(info->libfabric, sizeof(info->libfabric), "%u.%u", FI_MAJOR(v), FI_MINOR(v));
	fc_fi_api_string(fi_api(), info->fi_api, sizeof(info->fi_api));
	if (dladdr((void *)fi_getinfo, &dl) && dl.dli_fname)
		snprintf(info->libfabric_path, sizeof(info->libfabric_path), "%s",
			 realpath(dl.dli_fname, real) ? real : dl.dli_fname);
}

/* Whether any provider matches cfg (fabric: the first one's name). */
static bool offered(const struct fc_xport_cfg *cfg, char *fabric, size_t len)
{
	struct fi_info *h = make_hints(cfg, true), *l = NULL;
	bool ok = h && fi_getinfo(FC_GETINFO_VERSION, NULL, NULL, 0, h, &l) == 0 && l;

	if (ok && fabric)
		snprintf(fabric, len, "%s", l->fabric_attr->name ? l->fabric_attr->name : "");
	fi_freeinfo(l);
	fi_freeinfo(h);
	return ok;
}

static int ofi_fabric_of(const struct fc_xport_cfg *cfg, char *name, size_t len)
{
	struct fi_info *h = make_hints(cfg, true), *l = NULL;
	int rc = -FC_EXIT_FABRIC;

	/* the first entry of the provider on cfg's domain, as ofi_open picks
	 * (tcp in 1.17 ignores the domain hint and answers every NIC's) */
	if (h && fi_getinfo(FC_GETINFO_VERSION, NULL, NULL, 0, h, &l) == 0)
		for (struct fi_info *fi = l; fi && rc; fi = fi->next)
			if (prov_matches(fi->fabric_attr->prov_name, cfg->provider) &&
			    (!cfg->domain || !strcmp(fi->domain_attr->name, cfg->domain))) {
				snprintf(name, len, "%s", fi->fabric_attr->name ? fi->fabric_attr->name : "");
				rc = 0;
			}
	fi_freeinfo(l);
	fi_freeinfo(h);
	return rc;
}

static int no_provider_error(const struct fc_xport_cfg *cfg, const struct fc_xport_info *info)
{
	char provs[512], doms[1024];

	list_providers(provs, sizeof(provs));
	if (cfg->domain) {
		list_domains(cfg, doms, sizeof(doms));
		fc_err("provider '%s' has no domain '%s' here; its domains: %s (pick one with -d)",
		       cfg->provider, cfg->domain, doms);
	} else if (!strcmp(cfg->provider, "efa")) {
		fc_err("libfabric %s (%s) finds no EFA device: check `fi_info -p efa`, that the efa kernel "
		       "module is loaded, that the instance type has EFA and, on Kubernetes, that the pod "
		       "requests vpc.amazonaws.com/efa; providers available here: %s (-p tcp tests without EFA)",
		       info->libfabric, info->libfabric_path, provs);
	} else {
		fc_err("libfabric provider '%s' is not available here (libfabric %s, %s); "
		       "providers available: %s",
		       cfg->provider, info->libfabric, info->libfabric_path, provs);
	}
	return -FC_EXIT_FABRIC;
}

static int fi_fail(const char *what, int ret)
{
	fc_err("%s failed: %s (%d)", what, fi_strerror(-ret), ret);
	return -FC_EXIT_FABRIC;
}

/* The tcp provider offers one domain per interface, eth0 first: taking the
 * first fi_info would put a loopback run on the external address. Asking
 * for the bootstrap's own local address (FI_SOURCE) keeps the data path on
 * the interface that reaches the peer. */
static int get_info(const struct fc_xport_cfg *cfg, struct fc_xport_info *info, struct fi_info **out)
{
	struct fi_info *hints = make_hints(cfg, true), *list = NULL, *pick = NULL;
	int ret;

	if (!hints)
		return -FC_EXIT_FABRIC;
	ret = fi_getinfo(FC_GETINFO_VERSION, NULL, NULL, 0, hints, &list);
	if (ret == 0 && !cfg->domain && cfg->local_ip && *cfg->local_ip && is_ip_format(list->addr_format)) {
		fi_freeinfo(list);
		list = NULL;
		ret = fi_getinfo(FC_GETINFO_VERSION, cfg->local_ip, NULL, FI_SOURCE, hints, &list);
		if (ret) {
			fi_freeinfo(hints);
			fc_err("provider '%s' offers no domain on %s, the address that reaches the peer: %s; "
			       "name a domain with -d", cfg->provider, cfg->local_ip, fi_strerror(-ret));
			return -FC_EXIT_FABRIC;
		}
	}
	fi_freeinfo(hints);
	if (ret) {
		/* which one need of this test the provider lacks, if one: it
		 * would open without it */
		struct fc_xport_cfg plain = *cfg;
		char fabric[128] = "";
		plain.mem = (struct fc_mem){.ops = &fc_mem_host};
		if (fc_mem_ops_of(&cfg->mem)->fi_iface != FI_HMEM_SYSTEM && offered(&plain, NULL, 0)) {
			fc_err("libfabric %s at %s offers no FI_HMEM for provider %s: it was built without %s "
			       "support, so %s memory cannot be registered; on AWS use the EFA installer's "
			       "libfabric (/opt/amazon/efa, build with LIBFABRIC_PREFIX=/opt/amazon/efa)",
			       info->libfabric, info->libfabric_path, cfg->provider, fc_mem_ops_of(&cfg->mem)->label,
			       fc_mem_ops_of(&cfg->mem)->label);
			return -FC_EXIT_FABRIC;
		}
		plain = *cfg;
		plain.rma = false;
		if (cfg->rma && offered(&plain, NULL, 0)) {
			fc_err("provider '%s' offers no RMA (FI_RMA with read and write) here: fabcheck-rma "
			       "cannot run on it; fabcheck-bw measures its send/receive path", cfg->provider);
			return -FC_EXIT_FABRIC;
		}
		plain = *cfg;
		plain.ordered = false;
		if (cfg->ordered && offered(&plain, fabric, sizeof(fabric))) {
			fc_err("provider '%s'%s%s offers no send-after-send ordering (FI_ORDER_SAS), which the "
			       "bandwidth test needs: measure this fabric's bandwidth with fabcheck-rma", cfg->provider,
			       *fabric ? " fabric " : "", fabric);
			return -FC_EXIT_FABRIC;
		}
		return no_provider_error(cfg, info);
	}
	/* Some providers (tcp in 1.17) ignore the domain hint: check it here. */
	for (struct fi_info *fi = list; fi && !pick; fi = fi->next)
		if (prov_matches(fi->fabric_attr->prov_name, cfg->provider) &&
		    (!cfg->domain || !strcmp(fi->domain_attr->name, cfg->domain)))
			pick = fi;
	if (!pick && cfg->domain) {
		fi_freeinfo(list);
		return no_provider_error(cfg, info);
	}
	if (!pick) {
		fc_err("asked for provider '%s' but libfabric offered only '%s': refusing to measure a "
		       "substitute", cfg->provider, list->fabric_attr->prov_name);
		fi_freeinfo(list);
		return -FC_EXIT_FABRIC;
	}
	*out = fi_dupinfo(pick);
	fi_freeinfo(list);
	return *out ? 0 : -FC_EXIT_FABRIC;
}

static void addr_string(struct fc_xport *x, const void *addr, char *buf, size_t len)
{
	size_t l = len;

	buf[0] = '\0';
	fi_av_straddr(x->av, addr, buf, &l);
}

static void switch_point(struct fc_xport_info *info, const char *name, size_t v)
{
	if (info->nswitch < FC_MAX_SWITCH && v > 0) {
		info->switch_names[info->nswitch] = name;
		info->switch_pts[info->nswitch++] = v;
	}
}

static size_t env_size(const char *var, size_t dflt)
{
	const char *s = getenv(var);
	char *end;
	unsigned long long v;

	if (!s || !*s)
		return dflt;
	v = strtoull(s, &end, 0);
	return *end ? dflt : (size_t)v;
}

/* Where the provider changes protocol, so -S all samples both sides of each
 * switch. Values follow the providers' documented defaults and the same
 * environment variables the providers read. */
static void find_switch_points(const struct fi_info *fi, struct fc_xport_info *info)
{
	const char *p = fi->fabric_attr->prov_name;

	switch_point(info, "inject", fi->tx_attr->inject_size);
	if (prov_matches(p, "ofi_rxm")) {
		switch_point(info, "rxm eager", env_size("FI_OFI_RXM_BUFFER_SIZE", 16384));
		switch_point(info, "rxm SAR", env_size("FI_OFI_RXM_SAR_LIMIT", 131072));
	}
	if (prov_matches(p, "efa")) {
		switch_point(info, "efa medium", env_size("FI_EFA_INTER_MAX_MEDIUM_MESSAGE_SIZE", 65536));
		switch_point(info, "efa runt", env_size("FI_EFA_RUNT_SIZE", 307200));
		switch_point(info, "efa read", env_size("FI_EFA_INTER_MIN_READ_MESSAGE_SIZE", 1048576));
	}
}

static int ofi_probe(const struct fc_xport_cfg *cfg, struct fc_xport_info *info)
{
	struct fc_xport_cfg any = *cfg;
	struct fi_info *fi = NULL;
	int rc;

	any.local_ip = NULL;
	libfabric_identity(info);
	rc = get_info(&any, info, &fi);
	fi_freeinfo(fi);
	return rc;
}

static void probe_rma_emulation(struct fc_xport *x, struct fc_xport_info *info);
static void probe_gpudirect(struct fc_xport *x, struct fc_xport_info *info);

static int cmp_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Every NIC the provider offers, loopback excluded, sorted so NIC i means
 * the same position on both nodes. */
static int ofi_list_domains(const struct fc_xport_cfg *cfg, char names[][128], int max)
{
	struct fi_info *h = make_hints(cfg, false), *all = NULL;
	int n = 0, ret;

	if (!h)
		return -FC_EXIT_FABRIC;
	ret = fi_getinfo(FC_GETINFO_VERSION, NULL, NULL, 0, h, &all);
	fi_freeinfo(h);
	if (ret) {
		struct fc_xport_info info = {0};
		libfabric_identity(&info);
		return no_provider_error(cfg, &info);
	}
	for (struct fi_info *fi = all; fi && n < max; fi = fi->next) {
		const char *d = fi->domain_attr->name;
		bool seen = false;
		if (!d || !strcmp(d, "lo") || !prov_matches(fi->fabric_attr->prov_name, cfg->provider))
			continue;
		for (int i = 0; i < n && !seen; i++)
			seen = !strcmp(names[i], d);
		if (!seen)
			snprintf(names[n++], 128, "%s", d);
	}
	fi_freeinfo(all);
	qsort(names, (size_t)n, 128, cmp_name);
	return n;
}

static int ofi_open(struct fc_xport **out, const struct fc_xport_cfg *cfg, struct fc_xport_info *info)
{
	struct fc_xport *x = calloc(1, sizeof(*x));
	/* DATA format: the flags tell the peer's writes with data apart */
	struct fi_cq_attr cq_attr = {.format = FI_CQ_FORMAT_DATA};
	/* one peer at a time; a new one replaces it (fi_av_remove) */
	struct fi_av_attr av_attr = {.type = FI_AV_TABLE, .count = 4};
	char name[256];
	size_t nlen = sizeof(name), tx, rx;
	int ret;

	if (!x)
		return -FC_EXIT_FABRIC;
	*out = x;
	x->cfg = cfg;
	x->xinfo = info;
	x->peer = FI_ADDR_UNSPEC;
	libfabric_identity(info);
	snprintf(x->libfabric_path, sizeof(x->libfabric_path), "%s", info->libfabric_path);
	if ((ret = get_info(cfg, info, &x->info)))
		return ret;
	snprintf(info->provider, sizeof(info->provider), "%s", x->info->fabric_attr->prov_name);
	snprintf(info->fabric, sizeof(info->fabric), "%s", x->info->fabric_attr->name);
	snprintf(info->domain, sizeof(info->domain), "%s", x->info->domain_attr->name);
	find_switch_points(x->info, info);
	tx = x->info->tx_attr->size;
	rx = x->info->rx_attr->size;
	info->queue_depth = rx < tx ? rx : tx;
	/* as fabtests and NCCL's plugin do: sends that fit go out inline */
	x->inject_size = info->inject_size = x->info->tx_attr->inject_size;
	info->max_send = x->info->ep_attr->max_msg_size;

	if ((ret = fi_fabric(x->info->fabric_attr, &x->fabric, NULL)))
		return fi_fail("fi_fabric", ret);
	if ((ret = fi_domain(x->fabric, x->info, &x->domain, NULL)))
		return fi_fail("fi_domain", ret);
	/* Every posted operation completes into this CQ: it holds what both
	 * queues can hold, and at least the deepest window both ways (the
	 * provider's default size is smaller than a 1024-message window). */
	cq_attr.size = tx + rx;
	if (cq_attr.size < 2 * cfg->depth + 64)
		cq_attr.size = 2 * cfg->depth + 64;
	cq_attr.wait_obj = cfg->block ? FI_WAIT_UNSPEC : FI_WAIT_NONE;
	if ((ret = fi_cq_open(x->domain, &cq_attr, &x->cq, NULL))) {
		if (cfg->block)
			fc_err("provider %s cannot block on completions (fi_cq_open: %s): run without -b",
			       info->provider, fi_strerror(-ret));
		return cfg->block ? -FC_EXIT_FABRIC : fi_fail("fi_cq_open", ret);
	}
	if ((ret = fi_av_open(x->domain, &av_attr, &x->av, NULL)))
		return fi_fail("fi_av_open", ret);
	if ((ret = fi_endpoint(x->domain, x->info, &x->ep, NULL)))
		return fi_fail("fi_endpoint", ret);
	if ((ret = fi_ep_bind(x->ep, &x->av->fid, 0)) ||
	    (ret = fi_ep_bind(x->ep, &x->cq->fid, FI_TRANSMIT | FI_RECV)))
		return fi_fail("fi_ep_bind", ret);
	if ((ret = fi_enable(x->ep)))
		return fi_fail("fi_enable", ret);
	if ((ret = fi_getname(&x->ep->fid, name, &nlen)))
		return fi_fail("fi_getname", ret);
	addr_string(x, name, info->local_addr, sizeof(info->local_addr));
#ifdef FI_OPT_MAX_MSG_SIZE
	{
		/* with FI_RMA asked, efa-direct reports the RMA maximum in
		 * ep_attr; the endpoint knows its send limit (the device MTU) */
		size_t m = 0, mlen = sizeof(m);
		if (!fi_getopt(&x->ep->fid, FI_OPT_ENDPOINT, FI_OPT_MAX_MSG_SIZE, &m, &mlen) && m && m < info->max_send)
			info->max_send = m;
	}
#endif
	probe_rma_emulation(x, info);
	probe_gpudirect(x, info);
	return 0;
}

static int ofi_get_addr(struct fc_xport *x, void *buf, size_t *len)
{
	int ret = fi_getname(&x->ep->fid, buf, len);
	return ret ? fi_fail("fi_getname", ret) : 0;
}

static int ofi_disconnect(struct fc_xport *x, uint64_t deadline);

static int ofi_connect(struct fc_xport *x, const void *peer, size_t len, const char *peer_ip,
		       const unsigned char cookie[FC_COOKIE_LEN], bool as_server, uint64_t deadline,
		       struct fc_xport_info *info)
{
	int ret;

	(void)len;
	(void)as_server; /* RDM: both sides only insert the other's address */
	(void)peer_ip; /* the fabric address is the provider's to check */
	(void)cookie;
	/* RDM: no handshake here, the first send connects */
	if (x->peer != FI_ADDR_UNSPEC && (ret = ofi_disconnect(x, deadline)))
		return ret;
	ret = fi_av_insert(x->av, peer, 1, &x->peer, 0, NULL);
	if (ret != 1) {
		x->peer = FI_ADDR_UNSPEC;
		fc_err("the peer's fabric address was rejected by fi_av_insert (%s): both sides must use "
		       "the same provider and fabric", ret < 0 ? fi_strerror(-ret) : "not inserted");
		return -FC_EXIT_USAGE;
	}
	addr_string(x, peer, info->peer_addr, sizeof(info->peer_addr));
	return 0;
}

/* Device memory as aws-ofi-nccl registers it: by a dmabuf fd where the
 * backend exports one and the provider takes it (libfabric >= 1.20), else
 * by address, the peer-memory path. Which one worked is the lane's
 * mr_path; why dmabuf did not goes into why for the failure message. */
static int reg_device(struct fc_xport *x, void *buf, size_t len, uint64_t access, struct fid_mr **mr, char *why,
		      size_t whylen)
{
	const struct fc_mem_ops *mem = fc_mem_ops_of(&x->cfg->mem);
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct fi_mr_attr attr = {
		.mr_iov = &iov,
		.iov_count = 1,
		.access = access,
		.requested_key = (uint64_t)x->nregions + 1,
		.iface = (enum fi_hmem_iface)mem->fi_iface,
	};
	int ret;

	if (mem->fi_device)
		mem->fi_device(&attr, x->cfg->mem.device);
#ifdef FI_MR_DMABUF
	if (mem->dmabuf) {
		int fd;
		uint64_t off;
		if (!mem->dmabuf(buf, len, &fd, &off, why, whylen)) {
			struct fi_mr_dmabuf db = {.fd = fd, .offset = off, .len = len, .base_addr = (char *)buf - off};
			struct fi_mr_attr da = attr;
			da.dmabuf = &db;
			ret = fi_mr_regattr(x->domain, &da, FI_MR_DMABUF, mr);
			close(fd);
			if (!ret) {
				x->xinfo->mr_path = "dmabuf";
				return 0;
			}
			snprintf(why, whylen, "the provider refused the dmabuf: %s", fi_strerror(-ret));
		}
	}
#else
	snprintf(why, whylen, "no dmabuf path in this build (libfabric headers %d.%d < 1.20)", FI_MAJOR_VERSION,
		 FI_MINOR_VERSION);
#endif
	ret = fi_mr_regattr(x->domain, &attr, 0, mr);
	if (!ret)
		x->xinfo->mr_path = "va";
	return ret;
}

static int ofi_reg(struct fc_xport *x, void *buf, size_t len)
{
	const struct fc_mem_ops *mem = fc_mem_ops_of(&x->cfg->mem);
	struct region *g;
	uint64_t access = FI_SEND | FI_RECV;
	int ret;

	if (x->cfg->rma)
		access |= FI_READ | FI_WRITE | FI_REMOTE_READ | FI_REMOTE_WRITE;
	/* Providers without FI_MR_LOCAL still need keys for RMA targets, and
	 * GPU memory is always registered (FI_MR_HMEM). */
	if (!(x->info->domain_attr->mr_mode & FI_MR_LOCAL) && !x->cfg->rma && !fc_mem_is_device(&x->cfg->mem))
		return 0;
	if (x->nregions == MAX_REGIONS) {
		fc_err("more than %d registered buffer regions", MAX_REGIONS);
		return -FC_EXIT_FABRIC;
	}
	g = &x->regions[x->nregions];
	/* the requested key matters where the provider does not pick keys
	 * (no FI_MR_PROV_KEY): it must differ between regions */
	if (mem->fi_iface != FI_HMEM_SYSTEM) {
		char dmabuf_why[400] = "";
		ret = reg_device(x, buf, len, access, &g->mr, dmabuf_why, sizeof(dmabuf_why));
		if (ret) {
			fc_err("registering %zu bytes of %s memory on device %d with provider %s failed: %s (by "
			       "address; by dmabuf: %s); libfabric at %s cannot register %s memory here (built "
			       "without %s support, no GPUDirect path: neither the EFA driver's p2p nor dmabuf, or "
			       "no %s context); on AWS use the EFA installer's libfabric (/opt/amazon/efa)",
			       len, mem->label, x->cfg->mem.device, x->info->fabric_attr->prov_name, fi_strerror(-ret),
			       *dmabuf_why ? dmabuf_why : "not tried", x->libfabric_path, mem->label, mem->label,
			       mem->label);
			return -FC_EXIT_FABRIC;
		}
	} else {
		ret = fi_mr_reg(x->domain, buf, len, access, 0, (uint64_t)x->nregions + 1, 0, &g->mr, NULL);
	}
	if (ret) {
		fc_err("registering %zu bytes of host memory failed: %s%s", len, fi_strerror(-ret),
		       ret == -FI_ENOMEM || ret == -FI_EFAULT
			       ? "; raise the locked-memory limit (ulimit -l unlimited; EFA needs it)" : "");
		return -FC_EXIT_FABRIC;
	}
	if ((x->info->domain_attr->mr_mode & FI_MR_ENDPOINT) &&
	    ((ret = fi_mr_bind(g->mr, &x->ep->fid, 0)) || (ret = fi_mr_enable(g->mr))))
		return fi_fail("fi_mr_bind", ret);
	g->base = buf;
	g->len = len;
	g->desc = fi_mr_desc(g->mr);
	x->nregions++;
	return 0;
}

static struct region *region_of(struct fc_xport *x, const void *p)
{
	for (int i = 0; i < x->nregions; i++)
		if ((const char *)p >= x->regions[i].base && (const char *)p < x->regions[i].base + x->regions[i].len)
			return &x->regions[i];
	return NULL;
}

static void *desc_of(struct fc_xport *x, const void *p)
{
	struct region *g = region_of(x, p);
	return g ? g->desc : NULL;
}

static void ofi_dereg(struct fc_xport *x, void *buf)
{
	struct region *g = region_of(x, buf);
	int ret;

	if (!g)
		return;
	if ((ret = fi_close(&g->mr->fid)))
		fc_warn("closing a memory registration failed: %s", fi_strerror(-ret));
	*g = x->regions[--x->nregions];
}

/* The key, target address and length the peer uses to reach buf by RMA. */
static int ofi_rma_target(struct fc_xport *x, void *buf, size_t len, struct fc_rma_target *t)
{
	struct region *g = region_of(x, buf);

	if (!g || (char *)buf + len > g->base + g->len) {
		fc_err("RMA target buffer is not registered");
		return -FC_EXIT_FABRIC;
	}
	t->key = fi_mr_key(g->mr);
	/* FI_MR_VIRT_ADDR: target by virtual address; otherwise by offset */
	t->addr = (x->info->domain_attr->mr_mode & FI_MR_VIRT_ADDR) ? (uint64_t)(uintptr_t)buf
								       : (uint64_t)((char *)buf - g->base);
	t->len = len;
	return 0;
}

static const char *const op_names[] = {"fi_send", "fi_recv", "fi_write", "fi_read", "fi_writedata"};

static bool peer_gone(int err)
{
	return err == FI_ECONNRESET || err == FI_ECONNREFUSED || err == FI_ETIMEDOUT ||
	       err == FI_EHOSTUNREACH || err == FI_ECONNABORTED || err == FI_ENOTCONN ||
	       err == FI_ESHUTDOWN || err == EPIPE;
}

static int cq_error(struct fc_xport *x)
{
	struct fi_cq_err_entry e = {0};
	char pbuf[256];
	const char *pstr;
	struct fc_op *op;

	if (fi_cq_readerr(x->cq, &e, 0) < 0) {
		fc_err("completion queue reported an error that could not be read");
		return -FC_EXIT_FABRIC;
	}
	/* the peer's writes with data fail here with a context that is not ours */
	op = e.flags & (FI_REMOTE_WRITE | FI_REMOTE_CQ_DATA) ? NULL : e.op_context;
	if (op)
		fc_op_list_del(&x->posted, op);
	if (e.err == FI_ECANCELED || x->draining)
		return 0; /* asked for by disconnect, or the peer's failure, already said */
	pstr = e.prov_errno ? fi_cq_strerror(x->cq, e.prov_errno, e.err_data, pbuf, sizeof(pbuf)) : NULL;
	fc_err("%s of %zu bytes failed: %s (provider %s: %s)%s",
	       op ? op_names[op->kind] : "the peer's RMA write", op ? op->len : 0,
	       fi_strerror(e.err), x->info->fabric_attr->prov_name, pstr ? pstr : "no detail",
	       peer_gone(e.err) ? "; the peer went away or is unreachable" : "");
	return peer_gone(e.err) ? -FC_EXIT_PEER : -FC_EXIT_FABRIC;
}

/* One CQ read. >0 completions written to done, 0 nothing yet, <0 error. */
static int reap(struct fc_xport *x, struct fc_op **done, int max, int wait_ms)
{
	struct fi_cq_data_entry e[64];
	ssize_t n;

	if (max > 64)
		max = 64;
	if (wait_ms > 0)
		n = fi_cq_sread(x->cq, e, (size_t)max, NULL, wait_ms);
	else
		n = fi_cq_read(x->cq, e, (size_t)max);
	if (n > 0) {
		int k = 0;
		/* the peer's writes with data complete here, flagged, and with a
		 * context that is not ours (undefined unless a receive was used) */
		for (ssize_t i = 0; i < n; i++) {
			if (e[i].op_context && !(e[i].flags & (FI_REMOTE_CQ_DATA | FI_REMOTE_WRITE))) {
				done[k] = e[i].op_context;
				fc_op_list_del(&x->posted, done[k++]);
			} else {
				x->remote_events++;
			}
		}
		return k;
	}
	if (n == -FI_EAGAIN || n == -FI_ETIMEDOUT || n == -FI_EINTR)
		return 0;
	if (n == -FI_EAVAIL)
		return cq_error(x);
	return fi_fail("fi_cq_read", (int)n);
}

static bool pend(struct fc_xport *x, struct fc_op *op)
{
	if (x->npending == PENDING_MAX) {
		fc_err("more completions outstanding than fabcheck can hold (%d)", PENDING_MAX);
		return false;
	}
	x->pending[x->npending++] = op;
	return true;
}

/* Retries a post that hit a full queue, reaping completions meanwhile so
 * the provider progresses; they are handed out by the next poll. */
static int post_retry(struct fc_xport *x, struct fc_op *op, uint64_t deadline)
{
	unsigned spins = 0;

	for (;;) {
		void *d = desc_of(x, op->buf);
		bool inject = op->kind == FC_OP_SEND && op->len <= x->inject_size;
		ssize_t ret;
		int n;

		switch (op->kind) {
		case FC_OP_SEND:
			/* no completion: the buffer is free once the call returns */
			ret = inject ? fi_inject(x->ep, op->buf, op->len, x->peer)
				     : fi_send(x->ep, op->buf, op->len, d, x->peer, op->xport_ctx);
			break;
		case FC_OP_RECV: ret = fi_recv(x->ep, op->buf, op->len, d, x->peer, op->xport_ctx); break;
		case FC_OP_WRITE:
			ret = fi_write(x->ep, op->buf, op->len, d, x->peer, op->raddr, op->rkey, op->xport_ctx);
			break;
		case FC_OP_READ:
			ret = fi_read(x->ep, op->buf, op->len, d, x->peer, op->raddr, op->rkey, op->xport_ctx);
			break;
		default:
			ret = fi_writedata(x->ep, op->buf, op->len, d, (uint64_t)op->slot, x->peer, op->raddr,
					   op->rkey, op->xport_ctx);
		}
		if (ret == 0) {
			if (inject)
				return pend(x, op) ? 0 : -FC_EXIT_FABRIC;
			fc_op_list_add(&x->posted, op);
			return 0;
		}
		if (ret != -FI_EAGAIN)
			return fi_fail(op_names[op->kind], (int)ret);
		if (x->npending == PENDING_MAX) {
			fc_err("more completions outstanding than fabcheck can hold (%d)", PENDING_MAX);
			return -FC_EXIT_FABRIC;
		}
		n = reap(x, x->pending + x->npending, PENDING_MAX - x->npending, 0);
		if (n < 0)
			return n;
		x->npending += n;
		if ((++spins & 1023) == 0 && fc_now_ns() >= deadline) {
			fc_err("%s of %zu bytes could not be posted before the deadline: the provider's "
			       "queue stayed full (peer not receiving?)", op_names[op->kind], op->len);
			return -FC_EXIT_PEER;
		}
	}
}

static int ofi_post_send(struct fc_xport *x, struct fc_op *op, uint64_t deadline)
{
	op->kind = FC_OP_SEND;
	return post_retry(x, op, deadline);
}

static int ofi_post_recv(struct fc_xport *x, struct fc_op *op, uint64_t deadline)
{
	op->kind = FC_OP_RECV;
	return post_retry(x, op, deadline);
}

static int ofi_post_rma(struct fc_xport *x, struct fc_op *op, uint64_t deadline)
{
	return post_retry(x, op, deadline);
}

static int ofi_mr_time(struct fc_xport *x, void *buf, size_t len, bool dmabuf, uint64_t *reg_ns,
		       uint64_t *dereg_ns)
{
	const struct fc_mem_ops *mem = fc_mem_ops_of(&x->cfg->mem);
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct fi_mr_attr attr = {
		.mr_iov = &iov,
		.iov_count = 1,
		.access = FI_SEND | FI_RECV | FI_READ | FI_WRITE | FI_REMOTE_READ | FI_REMOTE_WRITE,
		.requested_key = 0x4d52,
		.iface = (enum fi_hmem_iface)mem->fi_iface,
	};
	uint64_t flags = 0, t0;
	struct fid_mr *mr = NULL;
	int ret;

	if (mem->fi_device)
		mem->fi_device(&attr, x->cfg->mem.device);
	if (dmabuf && !mem->dmabuf) {
		fc_err("%s memory has no dmabuf export: register it by address", mem->label);
		return -FC_EXIT_USAGE;
	}
	if (dmabuf) {
#ifdef FI_MR_DMABUF
		/* the fd is exported outside the timed call: the registration is measured */
		struct fi_mr_dmabuf db = {0};
		int fd;
		uint64_t off;
		if (mem->dmabuf(buf, len, &fd, &off, NULL, 0))
			return -FC_EXIT_FABRIC;
		db = (struct fi_mr_dmabuf){.fd = fd, .offset = off, .len = len, .base_addr = (char *)buf - off};
		attr.dmabuf = &db;
		flags = FI_MR_DMABUF;
		t0 = fc_now_ns();
		ret = fi_mr_regattr(x->domain, &attr, flags, &mr);
		*reg_ns = fc_now_ns() - t0;
		close(fd);
		goto registered;
#else
		fc_err("the dmabuf registration path needs libfabric headers >= 1.20 (FI_MR_DMABUF); this "
		       "build has %d.%d: rebuild with the EFA installer's libfabric", FI_MAJOR_VERSION,
		       FI_MINOR_VERSION);
		return -FC_EXIT_USAGE;
#endif
	}
	t0 = fc_now_ns();
	ret = fi_mr_regattr(x->domain, &attr, flags, &mr);
	*reg_ns = fc_now_ns() - t0;
#ifdef FI_MR_DMABUF
registered:
#endif
	if (ret) {
		fc_err("registering %zu bytes of %s memory with provider %s failed: %s%s", len,
		       mem->label, x->info->fabric_attr->prov_name, fi_strerror(-ret),
		       mem->fi_iface != FI_HMEM_SYSTEM
			       ? "; this libfabric cannot register device memory (built without its HMEM "
				 "support, or no GPUDirect path); on AWS use /opt/amazon/efa"
			       : ret == -FI_ENOMEM ? "; raise the locked-memory limit (ulimit -l unlimited)" : "");
		return -FC_EXIT_FABRIC;
	}
	t0 = fc_now_ns();
	ret = fi_close(&mr->fid);
	*dereg_ns = fc_now_ns() - t0;
	return ret ? fi_fail("fi_close(mr)", ret) : 0;
}

static uint64_t ofi_remote_events(struct fc_xport *x)
{
	return x->remote_events;
}

/* On EFA, RMA may be done by the device or emulated in software over
 * sends; aws-ofi-nccl refuses the latter for its RDMA protocol. The probe
 * (FI_OPT_EFA_EMULATED_*) exists from libfabric 1.18 on. */
static void probe_rma_emulation(struct fc_xport *x, struct fc_xport_info *info)
{
	info->rma_emulated = -1;
#if FI_MAJOR_VERSION > 1 || (FI_MAJOR_VERSION == 1 && FI_MINOR_VERSION >= 18)
	if (x->cfg->rma && prov_matches(x->info->fabric_attr->prov_name, "efa")) {
		bool w = false, r = false;
		size_t l = sizeof(w);
		if (fi_getopt(&x->ep->fid, FI_OPT_ENDPOINT, FI_OPT_EFA_EMULATED_WRITE, &w, &l) == 0 &&
		    (l = sizeof(r), fi_getopt(&x->ep->fid, FI_OPT_ENDPOINT, FI_OPT_EFA_EMULATED_READ, &r, &l)) == 0)
			info->rma_emulated = w || r;
	}
#else
	(void)x;
#endif
}

/* With device memory on EFA: does the NIC reach it directly (GPUDirect),
 * or does the provider stage through host copies? Forbidding the device
 * runtime's API calls succeeds only with a peer-to-peer path; this is the
 * probe aws-ofi-nccl makes (FI_OPT_CUDA_API_PERMITTED, libfabric >= 1.18).
 * The backend names its option (fi_p2p_opt; 0 where it has none). */
static void probe_gpudirect(struct fc_xport *x, struct fc_xport_info *info)
{
	const struct fc_mem_ops *mem = fc_mem_ops_of(&x->cfg->mem);
	bool permitted = false;
	int ret;

	info->gpu_path = NULL;
	if (!mem->fi_p2p_opt || !prov_matches(x->info->fabric_attr->prov_name, "efa"))
		return;
	ret = fi_setopt(&x->ep->fid, FI_OPT_ENDPOINT, mem->fi_p2p_opt, &permitted, sizeof(permitted));
	info->gpu_path = ret == 0 ? "gpudirect" : ret == -FI_EOPNOTSUPP ? "staged" : NULL;
}

static int ofi_poll(struct fc_xport *x, struct fc_op **done, int max, uint64_t deadline)
{
	unsigned spins = 0;

	if (x->npending) {
		int n = x->npending < max ? x->npending : max;
		memcpy(done, x->pending, (size_t)n * sizeof(*done));
		memmove(x->pending, x->pending + n, (size_t)(x->npending - n) * sizeof(*done));
		x->npending -= n;
		return n;
	}
	for (;;) {
		int wait_ms = 0, n;

		if (x->cfg->block) {
			wait_ms = fc_ms_left(deadline);
			if (wait_ms > 100)
				wait_ms = 100; /* wake up to check the deadline */
			if (wait_ms == 0)
				return 0;
		}
		uint64_t events = x->remote_events;
		n = reap(x, done, max, wait_ms);
		/* 0 as well when only the peer's writes with data completed:
		 * the caller counts those with remote_events() */
		if (n != 0 || x->remote_events != events)
			return n;
		/* Busy polling: read the clock only now and then. */
		if (x->cfg->block || (++spins & 255) == 0)
			if (fc_now_ns() >= deadline)
				return 0;
	}
}

/* Cancels what is posted and reads the CQ until every cancelled operation
 * has come back, so no operation is left in the provider when its memory
 * is reused or the endpoint closed (libfabric 1.17's rxm crashes in
 * fi_close(ep) with receives still posted after a peer stalled). */
static void drain(struct fc_xport *x, uint64_t deadline)
{
	x->draining = true;
	while (x->posted.n && fc_now_ns() < deadline) {
		struct fc_op *done[64];
		reap(x, done, 64, 0); /* errors of cancelled operations are expected */
	}
	x->draining = false;
}

static int ofi_disconnect(struct fc_xport *x, uint64_t deadline)
{
	for (struct fc_op *op = x->posted.head; op; op = op->next)
		fi_cancel(&x->ep->fid, op->xport_ctx);
	drain(x, deadline);
	x->npending = 0;
	if (x->peer != FI_ADDR_UNSPEC) {
		int ret = fi_av_remove(x->av, &x->peer, 1, 0);
		if (ret)
			fc_warn("fi_av_remove of the old peer failed: %s", fi_strerror(-ret));
		x->peer = FI_ADDR_UNSPEC;
		drain(x, fc_deadline_min(deadline, fc_deadline_in(0.1)));
	}
	if (x->posted.n) {
		/* fi_cancel reaches receives only; sends queued on a connection
		 * whose peer stalled stay inside rxm (libfabric 1.17). Their
		 * operations and buffers now belong to the provider for good:
		 * the caller keeps them, and this endpoint is never closed. */
		fc_warn("%zu send(s) on %s are stuck in the provider after the peer stopped; this endpoint "
			"is abandoned", x->posted.n, x->info->domain_attr->name);
		x->posted = (struct fc_op_list){0};
		x->stuck = true;
		return -FC_EXIT_FABRIC;
	}
	return x->stuck ? -FC_EXIT_FABRIC : 0;
}

static void close_fid(struct fid *fid, const char *what)
{
	int ret = fid ? fi_close(fid) : 0;

	if (ret)
		fc_warn("fi_close(%s) failed: %s (%d)", what, fi_strerror(-ret), ret);
}

static void ofi_close(struct fc_xport *x)
{
	if (!x)
		return;
	if (x->ep && ofi_disconnect(x, fc_deadline_in(1.0)))
		return; /* operations still inside the provider: closing would crash it (see disconnect) */
	close_fid(x->ep ? &x->ep->fid : NULL, "endpoint");
	for (int i = 0; i < x->nregions; i++)
		close_fid(&x->regions[i].mr->fid, "memory registration");
	close_fid(x->av ? &x->av->fid : NULL, "address vector");
	close_fid(x->cq ? &x->cq->fid : NULL, "completion queue");
	close_fid(x->domain ? &x->domain->fid : NULL, "domain");
	close_fid(x->fabric ? &x->fabric->fid : NULL, "fabric");
	fi_freeinfo(x->info);
	free(x);
}

const struct fc_xport_ops fc_xport_ofi = {
	.name = "ofi",
	.probe = ofi_probe,
	.list_domains = ofi_list_domains,
	.fabric_of = ofi_fabric_of,
	.open = ofi_open,
	.get_addr = ofi_get_addr,
	.connect = ofi_connect,
	.disconnect = ofi_disconnect,
	.reg = ofi_reg,
	.dereg = ofi_dereg,
	.post_send = ofi_post_send,
	.post_recv = ofi_post_recv,
	.poll = ofi_poll,
	.post_rma = ofi_post_rma,
	.rma_target = ofi_rma_target,
	.remote_events = ofi_remote_events,
	.mr_time = ofi_mr_time,
	.close = ofi_close,
};
