/* Fault injection for the ordering tests: an LD_PRELOAD shim that makes
 * every provider look like EFA's efa-direct fabric, which offers no message
 * ordering. fi_getinfo answers "no match" to hints asking for any msg_order,
 * and reports no ordering in what it returns, so a program that asks for
 * ordering it does not need cannot open this fabric. FABCHECK_MAX_MSG=N
 * also caps every answer's max_msg_size at N bytes, as efa-direct's sends
 * stop at the device MTU. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <rdma/fabric.h>
#include <rdma/fi_errno.h>
#include <stdlib.h>

int fi_getinfo(uint32_t version, const char *node, const char *service, uint64_t flags, const struct fi_info *hints,
	       struct fi_info **info)
{
	static int (*real)(uint32_t, const char *, const char *, uint64_t, const struct fi_info *, struct fi_info **);
	int ret;

	if (!real)
		real = (int (*)(uint32_t, const char *, const char *, uint64_t, const struct fi_info *,
				struct fi_info **))dlsym(RTLD_NEXT, "fi_getinfo");
	if (hints && ((hints->tx_attr && hints->tx_attr->msg_order) || (hints->rx_attr && hints->rx_attr->msg_order)))
		return -FI_ENODATA;
	ret = real(version, node, service, flags, hints, info);
	const char *cap = getenv("FABCHECK_MAX_MSG");
	for (struct fi_info *fi = ret ? NULL : *info; fi; fi = fi->next) {
		if (cap && fi->ep_attr && fi->ep_attr->max_msg_size > strtoull(cap, NULL, 10))
			fi->ep_attr->max_msg_size = strtoull(cap, NULL, 10);
		if (fi->tx_attr)
			fi->tx_attr->msg_order = 0;
		if (fi->rx_attr)
			fi->rx_attr->msg_order = 0;
	}
	return ret;
}
