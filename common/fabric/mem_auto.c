/* -D auto: device memory where the node has devices, each lane's on the
 * device nearest its NIC, as aws-ofi-nccl pairs a GPU with the NICs behind
 * its PCIe switch; host memory, and why, where no backend sees a device. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "topo.h"

void fc_mem_auto_backend(struct fc_mem *m, char *why, size_t len)
{
	char busids[FC_MEM_MAX_DEVICES][16];
	char reason[800] = "";

	if (!m->pick)
		return;
	for (const struct fc_mem_ops *const *b = fc_mem_backends; *b; b++) {
		if (!(*b)->devices)
			continue;
		if ((*b)->devices(busids, FC_MEM_MAX_DEVICES, reason, sizeof(reason)) > 0) {
			*m = (struct fc_mem){.ops = *b, .device = 0, .pick = true};
			snprintf(why, len, "%s", "");
			return;
		}
	}
	*m = (struct fc_mem){.ops = &fc_mem_host, .pick = true};
	snprintf(why, len, "host memory: %s", *reason ? reason : "no device memory backend sees a device");
}

int fc_mem_auto_device(const struct fc_mem *m, struct fc_topo *topo, const char *nic, int lane, char *why,
		       size_t len)
{
	char busids[FC_MEM_MAX_DEVICES][16], nic_bus[32] = "", reason[800];
	const struct fc_mem_ops *ops = fc_mem_ops_of(m);
	int n = ops->devices ? ops->devices(busids, FC_MEM_MAX_DEVICES, reason, sizeof(reason)) : 0;
	int best = -1, best_hops = 0;

	if (n <= 0)
		return 0;
	if (topo && nic && *nic && !fc_topo_nic_busid(topo, nic, nic_bus, sizeof(nic_bus)))
		for (int d = 0; d < n; d++) {
			int hops = *busids[d] ? fc_topo_pci_hops(topo, busids[d], nic_bus) : -ENOENT;
			if (hops >= 0 && (best < 0 || hops < best_hops))
				best = d, best_hops = hops;
		}
	if (best >= 0) {
		snprintf(why, len, "%s:%d nearest NIC %s (%s, %d PCI hops)", ops->name, best, nic, busids[best],
			 best_hops);
		return best;
	}
	snprintf(why, len, "%s:%d by lane order: no PCI path from NIC %s to a device", ops->name, lane % n,
		 nic && *nic ? nic : "?");
	return lane % n;
}
