/* Which EFA devices are closest to each GPU, from the PCI tree hwloc reads
 * (common/fabric/topo.c): those reached through the fewest bridges, counting only
 * devices that share a PCI bridge or host bridge with the GPU. Devices that
 * meet the GPU only at a CPU package, NUMA node or the machine are not
 * close at all: counting them (they all "share /sys/devices") once gave
 * every GPU of a p5 with 4 NICs left the same 4 NICs, and a PASS.
 *
 * hwloc opens what it reads under the root with blocking open(): a FIFO
 * there (a hostile or broken copy of /sys) would hang it. It runs on its
 * own thread, with a deadline; past it diag goes on without topology and
 * the thread is left to the process's exit. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "diag.h"
#include "log.h"
#include "topo.h"

#define TOPO_DEADLINE_S 5

struct job {
	pthread_mutex_t m;
	pthread_cond_t c;
	int refs;
	bool done, ok;
	char root[512];
	int ngpus, ndevs;
	char gpu[DIAG_MAX_GPUS][32], dev[DIAG_MAX_DEVS][32];
	int nclosest[DIAG_MAX_GPUS], closest[DIAG_MAX_GPUS][DIAG_MAX_DEVS], hops[DIAG_MAX_GPUS];
};

static void put(struct job *j)
{
	bool last;

	pthread_mutex_lock(&j->m);
	last = --j->refs == 0;
	pthread_mutex_unlock(&j->m);
	if (last) {
		pthread_mutex_destroy(&j->m);
		pthread_cond_destroy(&j->c);
		free(j);
	}
}

static void compute(struct job *j, struct fc_topo *t)
{
	for (int g = 0; g < j->ngpus; g++) {
		int best = -1, n = 0;
		for (int d = 0; d < j->ndevs; d++) {
			int hops = fc_topo_pci_hops(t, j->gpu[g], j->dev[d]);
			if (hops < 0 || (best >= 0 && hops > best))
				continue;
			if (best < 0 || hops < best)
				n = 0;
			best = hops;
			j->closest[g][n++] = d;
		}
		j->nclosest[g] = n;
		j->hops[g] = best;
	}
}

static void *run(void *arg)
{
	struct job *j = arg;
	struct fc_topo *t;
	bool ok = fc_topo_open(j->root[0] ? j->root : "/", &t) == 0;

	if (ok) {
		compute(j, t);
		fc_topo_close(t);
	}
	pthread_mutex_lock(&j->m);
	j->done = true;
	j->ok = ok;
	pthread_cond_signal(&j->c);
	pthread_mutex_unlock(&j->m);
	put(j);
	return NULL;
}

void diag_affinity(struct diag_facts *f)
{
	struct job *j = calloc(1, sizeof(*j));
	struct timespec deadline;
	pthread_t th;
	bool done;

	f->topo_known = false;
	if (!j)
		return;
	pthread_mutex_init(&j->m, NULL);
	pthread_cond_init(&j->c, NULL);
	j->refs = 2;
	diag_copy(j->root, sizeof(j->root), f->root);
	j->ngpus = f->ngpus;
	j->ndevs = f->ndevs;
	for (int g = 0; g < f->ngpus; g++)
		diag_copy(j->gpu[g], sizeof(j->gpu[g]), f->gpus[g].pci);
	for (int d = 0; d < f->ndevs; d++)
		diag_copy(j->dev[d], sizeof(j->dev[d]), f->devs[d].pci);
	if (pthread_create(&th, NULL, run, j)) {
		j->refs = 1;
		put(j);
		return;
	}
	pthread_detach(th);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += TOPO_DEADLINE_S;
	pthread_mutex_lock(&j->m);
	while (!j->done && pthread_cond_timedwait(&j->c, &j->m, &deadline) != ETIMEDOUT)
		;
	done = j->done;
	pthread_mutex_unlock(&j->m);
	if (!done) {
		fc_warn("hwloc did not finish reading the PCI tree under %s in %d s (a FIFO or a hung device "
			"file?): GPU-to-EFA topology is not checked",
			f->root[0] ? f->root : "/", TOPO_DEADLINE_S);
		put(j);
		return;
	}
	if (j->ok) {
		f->topo_known = true;
		for (int g = 0; g < f->ngpus; g++) {
			f->gpus[g].nclosest = j->nclosest[g];
			f->gpus[g].closest_hops = j->hops[g];
			for (int i = 0; i < j->nclosest[g]; i++)
				f->gpus[g].closest[i] = j->closest[g][i];
		}
	}
	put(j);
}
