/* A stand-in for libfabric 2.x's EFA provider, which offers each device
 * twice: as fabric "efa-direct" (first; no message ordering, no tagged
 * messages) and as fabric "efa". This LD_PRELOAD shim gives every provider
 * here the same shape: each entry fi_getinfo returns is preceded by a twin
 * whose fabric is "direct@<name>", offering no ordering and no FI_TAGGED,
 * so hints that ask for either get only the original. Hints naming a twin
 * fabric get twins only. The twin is the original underneath: fi_fabric
 * opens the original name. FABCHECK_DIRECT_DOWN=1 makes a twin fabric that
 * is offered but does not open (a broken fast path beside a working one). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <rdma/fabric.h>
#include <rdma/fi_errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TWIN "direct@"

typedef int (*getinfo_fn)(uint32_t, const char *, const char *, uint64_t, const struct fi_info *, struct fi_info **);
typedef int (*fabric_fn)(struct fi_fabric_attr *, struct fid_fabric **, void *);

static bool is_twin(const char *name)
{
	return name && !strncmp(name, TWIN, strlen(TWIN));
}

static bool rdm(const struct fi_info *fi)
{
	return !fi->ep_attr || fi->ep_attr->type == FI_EP_RDM || fi->ep_attr->type == FI_EP_UNSPEC;
}

static bool wants_order_or_tags(const struct fi_info *h)
{
	return h && ((h->tx_attr && h->tx_attr->msg_order) || (h->rx_attr && h->rx_attr->msg_order) ||
		     (h->caps & FI_TAGGED));
}

/* The twin of fi: same domain and provider, another fabric name, none of
 * what efa-direct lacks. */
static struct fi_info *twin_of(const struct fi_info *fi, bool strip)
{
	struct fi_info *t = fi_dupinfo(fi);
	char name[256];

	if (!t)
		return NULL;
	snprintf(name, sizeof(name), TWIN "%s", fi->fabric_attr->name ? fi->fabric_attr->name : "");
	free(t->fabric_attr->name);
	t->fabric_attr->name = strdup(name);
	t->next = NULL;
	if (!strip)
		return t;
	t->caps &= ~FI_TAGGED;
	if (t->tx_attr) {
		t->tx_attr->msg_order = 0;
		t->tx_attr->caps &= ~FI_TAGGED;
	}
	if (t->rx_attr) {
		t->rx_attr->msg_order = 0;
		t->rx_attr->caps &= ~FI_TAGGED;
	}
	return t;
}

int fi_getinfo(uint32_t version, const char *node, const char *service, uint64_t flags, const struct fi_info *hints,
	       struct fi_info **info)
{
	static getinfo_fn real;
	struct fi_info *h = NULL, *list = NULL, *out = NULL, **tail = &out;
	bool twins_only = false;
	int ret;

	if (!real)
		real = (getinfo_fn)dlsym(RTLD_NEXT, "fi_getinfo");
	if (hints && hints->fabric_attr && is_twin(hints->fabric_attr->name)) {
		/* ask the original underneath; a utility provider's own
		 * question for its core (ofi_rxm asks tcp for FI_EP_MSG
		 * endpoints, ordered) gets the core's answer, renamed */
		if (wants_order_or_tags(hints) && rdm(hints))
			return -FI_ENODATA;
		h = fi_dupinfo(hints);
		if (!h)
			return -FI_ENOMEM;
		char *orig = strdup(h->fabric_attr->name + strlen(TWIN));
		free(h->fabric_attr->name);
		h->fabric_attr->name = *orig ? orig : NULL;
		if (!*orig)
			free(orig);
		twins_only = true;
	}
	ret = real(version, node, service, flags, h ? h : hints, &list);
	fi_freeinfo(h);
	if (ret)
		return ret;
	for (struct fi_info *fi = list; fi; fi = fi->next) {
		if (twins_only || (!wants_order_or_tags(hints) && rdm(fi))) {
			*tail = twin_of(fi, rdm(fi));
			if (*tail)
				tail = &(*tail)->next;
		}
		if (!twins_only) {
			*tail = fi_dupinfo(fi);
			if (*tail)
				tail = &(*tail)->next;
		}
	}
	fi_freeinfo(list);
	if (!out)
		return -FI_ENODATA;
	*info = out;
	return 0;
}

int fi_fabric(struct fi_fabric_attr *attr, struct fid_fabric **fabric, void *context)
{
	static fabric_fn real;
	struct fi_fabric_attr a;

	if (!real)
		real = (fabric_fn)dlsym(RTLD_NEXT, "fi_fabric");
	if (!attr || !is_twin(attr->name))
		return real(attr, fabric, context);
	if (getenv("FABCHECK_DIRECT_DOWN"))
		return -FI_ENODEV;
	a = *attr;
	a.name = attr->name + strlen(TWIN);
	return real(&a, fabric, context);
}
