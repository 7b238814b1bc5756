/* Which EFA devices are closest to each GPU, from the PCI tree hwloc reads
 * (common/topo.c): those reached through the fewest bridges, counting only
 * devices that share a PCI bridge or host bridge with the GPU. Devices that
 * meet the GPU only at a CPU package, NUMA node or the machine are not
 * close at all: counting them (they all "share /sys/devices") once gave
 * every GPU of a p5 with 4 NICs left the same 4 NICs, and a PASS. */
#include "diag.h"
#include "topo.h"

void diag_affinity(struct facts *f)
{
	struct fc_topo *t;

	f->topo_known = false;
	if (fc_topo_open(f->root[0] ? f->root : "/", &t))
		return;
	f->topo_known = true;
	for (int g = 0; g < f->ngpus; g++) {
		struct gpu *gp = &f->gpus[g];
		int best = -1;
		gp->nclosest = 0;
		for (int d = 0; d < f->ndevs; d++) {
			int hops = fc_topo_pci_hops(t, gp->pci, f->devs[d].pci);
			if (hops < 0 || (best >= 0 && hops > best))
				continue;
			if (hops < best || best < 0)
				gp->nclosest = 0;
			best = hops;
			gp->closest[gp->nclosest++] = d;
		}
		gp->closest_hops = best;
	}
	fc_topo_close(t);
}
