#include "lanes.h"

#include <pthread.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bootstrap.h"
#include "errors.h"
#include "hex.h"
#include "log.h"
#include "sizes.h"
#include "status.h"
#include "stop.h"
#include "timing.h"
#include "topo.h"

#define ADDR_MAX 512 /* bytes of a fabric address (EFA's is 32, tcp's 16) */

/* ---- workers: one thread per lane, started once, stepping by jobs ---- */

struct fc_workers {
	pthread_mutex_t mu;
	pthread_cond_t go, done;
	unsigned gen;      /* job number: a worker runs each one once */
	int pending;       /* workers still on the current job */
	bool quit;
	int (*fn)(struct fc_lane *, void *);
	void *arg;
	struct fc_status *status; /* the caller's run: where the lanes' errors go */
	pthread_t *tid;
	int *rc, *start_rc;
	struct fc_status *start_st; /* why a thread could not start, told with its first job */
	int started;
	struct fc_lanes *set;
};

struct worker_arg {
	struct fc_workers *w;
	int i;
};

/* Runs fn on l's thread, counting how often the scheduler took that
 * thread's CPU while it worked: the run's own evidence of contention. */
static int run_counted(struct fc_lane *l, int (*fn)(struct fc_lane *l, void *arg), void *arg)
{
	struct rusage r0, r1;
	uint64_t t0 = fc_now_ns();
	int rc;

	getrusage(RUSAGE_THREAD, &r0);
	rc = fn(l, arg);
	getrusage(RUSAGE_THREAD, &r1);
	l->preempted += (uint64_t)(r1.ru_nivcsw - r0.ru_nivcsw);
	l->worked_ns += fc_now_ns() - t0;
	return rc;
}

static void *worker(void *p)
{
	struct worker_arg a = *(struct worker_arg *)p;
	struct fc_workers *w = a.w;
	struct fc_lane *l = &w->set->lane[a.i];
	unsigned seen = 0;

	free(p);
	if (l->pinned)
		pthread_setaffinity_np(pthread_self(), sizeof(l->cpus), &l->cpus);
	fc_status_bind(&w->start_st[a.i]);
	w->start_rc[a.i] = fc_mem_use(&l->mem); /* its GPU current on every lane thread */
	pthread_mutex_lock(&w->mu);
	for (;;) {
		int rc;
		while (w->gen == seen && !w->quit)
			pthread_cond_wait(&w->go, &w->mu);
		if (w->quit)
			break;
		seen = w->gen;
		fc_status_bind(w->status);
		pthread_mutex_unlock(&w->mu);
		if (w->start_rc[a.i])
			fc_status_take(w->status, &w->start_st[a.i]);
		rc = w->start_rc[a.i] ? w->start_rc[a.i] : l->active ? run_counted(l, w->fn, w->arg) : 0;
		if (rc)
			atomic_store(&w->set->abort, true);
		pthread_mutex_lock(&w->mu);
		fc_status_bind(NULL); /* the run's status may end with its job */
		w->rc[a.i] = rc;
		if (--w->pending == 0)
			pthread_cond_signal(&w->done);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static void workers_stop(struct fc_lanes *set)
{
	struct fc_workers *w = set->workers;

	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->quit = true;
	pthread_cond_broadcast(&w->go);
	pthread_mutex_unlock(&w->mu);
	for (int i = 0; i < w->started; i++)
		pthread_join(w->tid[i], NULL);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->go);
	pthread_cond_destroy(&w->done);
	free(w->tid);
	free(w->rc);
	free(w->start_rc);
	free(w->start_st);
	free(w);
	set->workers = NULL;
}

/* The PCI topology (hwloc) of the machine whose sysfs is set->sysfs_root,
 * or NULL. Opened before any lane thread: hwloc sets its environment while
 * loading. */
static struct fc_topo *open_topo(const struct fc_lanes *set)
{
	char root[512];
	size_t n = strlen(set->sysfs_root);
	struct fc_topo *t = NULL;

	/* hwloc reads a whole root: the folder that holds sys/ */
	if (n < 4 || strcmp(set->sysfs_root + n - 4, "/sys"))
		return NULL;
	snprintf(root, sizeof(root), "%.*s", (int)(n - 4), set->sysfs_root);
	return fc_topo_open(*root ? root : "/", &t) ? NULL : t;
}

/* The CPUs next to each lane's NIC; lanes whose NIC has no PCI device
 * (veth, lo, shm) run anywhere. */
static void place(struct fc_lanes *set, struct fc_topo *t)
{
	for (int i = 0; t && i < set->n; i++) {
		struct fc_lane *l = &set->lane[i];
		l->pinned = fc_topo_nic_cpuset(t, l->info.domain, &l->cpus) == 0 && CPU_COUNT(&l->cpus) > 0;
		if (l->pinned)
			fc_topo_nic_cpulist(t, l->info.domain, l->cpulist, sizeof(l->cpulist));
	}
}

/* -D auto: each lane's device, the one nearest its NIC (its endpoint is
 * open: the NIC's name is known). Registration comes later, with it. */
static void pick_devices(struct fc_lanes *set, struct fc_topo *t)
{
	for (int i = 0; i < set->n; i++) {
		struct fc_lane *l = &set->lane[i];
		if (l->mem.pick && fc_mem_is_device(&l->mem)) {
			l->mem.device = fc_mem_auto_device(&l->mem, t, l->info.domain, i, l->memory_why,
							   sizeof(l->memory_why));
			l->cfg.mem = l->mem;
		}
		fc_mem_name(&l->mem, l->memory, sizeof(l->memory));
	}
}

static int workers_start(struct fc_lanes *set)
{
	struct fc_workers *w = calloc(1, sizeof(*w));

	if (!w)
		return -FC_EXIT_FABRIC;
	set->workers = w;
	w->set = set;
	w->tid = calloc((size_t)set->n, sizeof(*w->tid));
	w->rc = calloc((size_t)set->n, sizeof(*w->rc));
	w->start_rc = calloc((size_t)set->n, sizeof(*w->start_rc));
	w->start_st = calloc((size_t)set->n, sizeof(*w->start_st));
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->go, NULL);
	pthread_cond_init(&w->done, NULL);
	if (!w->tid || !w->rc || !w->start_rc || !w->start_st)
		return -FC_EXIT_FABRIC;
	for (int i = 0; i < set->n; i++) {
		struct worker_arg *a = malloc(sizeof(*a));
		if (!a)
			return -FC_EXIT_FABRIC;
		*a = (struct worker_arg){w, i};
		if (pthread_create(&w->tid[i], NULL, worker, a)) {
			free(a);
			fc_err("cannot start the thread for lane %d", i);
			return -FC_EXIT_FABRIC;
		}
		w->started++;
	}
	return 0;
}

/* The first real failure: a lane that stopped because another failed
 * reports the peer "gone"; the one that failed first says why. */
static int first_failure(int rc, int lane_rc)
{
	if (lane_rc && (!rc || (rc == -FC_EXIT_PEER && lane_rc != -FC_EXIT_PEER)))
		return lane_rc;
	return rc;
}

int fc_lanes_run(struct fc_lanes *set, int (*fn)(struct fc_lane *l, void *arg), void *arg)
{
	struct fc_workers *w = set->workers;
	int rc = 0;

	if (!w)
		return set->lane[0].active ? run_counted(&set->lane[0], fn, arg) : 0;
	pthread_mutex_lock(&w->mu);
	w->fn = fn;
	w->arg = arg;
	w->status = fc_status_bound(); /* the lanes fail for the run that runs them */
	w->pending = set->n;
	w->gen++;
	pthread_cond_broadcast(&w->go);
	while (w->pending)
		pthread_cond_wait(&w->done, &w->mu);
	for (int i = 0; i < set->n; i++)
		rc = first_failure(rc, w->rc[i]);
	pthread_mutex_unlock(&w->mu);
	return rc;
}

/* ---- opening and closing ---- */

/* Lane domains from -d: none (the route to the peer decides), "all", or a
 * comma list; each repeated -E times. */
static int cmp_lane_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* -d all: the provider's NICs and those of its kind that are down, sorted
 * together so NIC i is the same position on every node. */
static int plan_all(const struct fc_lanes_spec *spec, char (*nm)[128], char (*down)[32], int max)
{
	char (*dn)[128] = calloc(FC_MAX_LANES, sizeof(*dn));
	char (*ds)[32] = calloc(FC_MAX_LANES, sizeof(*ds));
	struct {
		char name[128], state[32];
	} *all;
	int n, nd, k = 0;

	n = spec->ops->list_domains ? spec->ops->list_domains(&spec->tmpl, nm, max) : 0;
	nd = dn && ds && n >= 0 ? fc_nic_list_down(spec->sysfs_root, spec->tmpl.provider, dn, ds, max) : 0;
	all = calloc((size_t)(n + nd + 1), sizeof(*all));
	if (n < 0 || !all) {
		free(dn);
		free(ds);
		free(all);
		return n < 0 ? n : -FC_EXIT_FABRIC;
	}
	for (int i = 0; i < n; i++)
		snprintf(all[k++].name, 128, "%s", nm[i]);
	for (int i = 0; i < nd && k < max; i++) {
		bool listed = false;
		for (int j = 0; j < n && !listed; j++)
			listed = !strcmp(nm[j], dn[i]);
		if (!listed) {
			snprintf(all[k].name, 128, "%s", dn[i]);
			snprintf(all[k++].state, 32, "%s", ds[i]);
		}
	}
	qsort(all, (size_t)k, sizeof(*all), cmp_lane_name);
	for (int i = 0; i < k; i++) {
		snprintf(nm[i], 128, "%s", all[i].name);
		snprintf(down[i], 32, "%s", all[i].state);
	}
	free(dn);
	free(ds);
	free(all);
	return n == 0 ? 0 : k;
}

static int plan(struct fc_lanes *set, const struct fc_lanes_spec *spec, char (**names)[128], char (**down)[32])
{
	int n = 0, max = FC_MAX_LANES;
	char (*nm)[128] = calloc(FC_MAX_LANES, sizeof(*nm));
	char (*dn)[32] = calloc(FC_MAX_LANES, sizeof(*dn));

	*names = nm;
	*down = dn;
	if (!nm || !dn)
		return -FC_EXIT_FABRIC;
	if (!spec->domains) {
		n = 1;
	} else if (!strcmp(spec->domains, "all")) {
		n = plan_all(spec, nm, dn, max);
		if (n < 0)
			return n;
		if (n == 0) {
			fc_err("-d all: provider '%s' offers no NIC here but loopback", spec->tmpl.provider);
			return -FC_EXIT_FABRIC;
		}
	} else {
		const char *p = spec->domains;
		while (*p) {
			size_t len = strcspn(p, ",");
			if (n == max) {
				fc_err("-d names more than %d domains", max);
				return -FC_EXIT_USAGE;
			}
			if (len == 0 || len >= sizeof(nm[0])) {
				fc_err("-d '%s': every name must be 1 to %zu characters", spec->domains, sizeof(nm[0]) - 1);
				return -FC_EXIT_USAGE;
			}
			memcpy(nm[n++], p, len);
			p += len + (p[len] == ',');
		}
	}
	if (n * spec->endpoints > FC_MAX_LANES) {
		fc_err("%d NICs x %ld endpoints is more than %d lanes", n, spec->endpoints, FC_MAX_LANES);
		return -FC_EXIT_USAGE;
	}
	set->n = n * (int)spec->endpoints;
	return 0;
}

const char *fc_lanes_deadline_desc(const struct fc_lanes *set, char *buf, size_t len)
{
	if (set->deadline_option)
		snprintf(buf, len, "step deadline (%.0f s, a third of %s)", set->deadline_s, set->deadline_option);
	else
		snprintf(buf, len, "run deadline (-t %.0f s)", set->deadline_s);
	return buf;
}

int fc_lanes_open(struct fc_lanes *set, const struct fc_lanes_spec *spec)
{
	char (*names)[128] = NULL;
	char (*down)[32] = NULL;
	int rc;

	memset(set, 0, sizeof(*set));
	set->ops = spec->ops;
	set->mem = spec->tmpl.mem;
	/* -D auto: device memory if a backend sees a device, the lanes'
	 * devices once their NICs are known */
	fc_mem_auto_backend(&set->mem, set->memory_why, sizeof(set->memory_why));
	set->sysfs_root = spec->sysfs_root;
	set->peer_boot_fd = -1;
	atomic_init(&set->failed_lane, -1);
	set->op_timeout_s = spec->op_timeout_s;
	set->deadline = spec->deadline;
	set->deadline_s = spec->deadline_s;
	rc = plan(set, spec, &names, &down);
	if (!rc && !(set->lane = calloc((size_t)set->n, sizeof(*set->lane))))
		rc = -FC_EXIT_FABRIC;
	for (int i = 0; !rc && i < set->n; i++) {
		struct fc_lane *l = &set->lane[i];
		l->set = set;
		l->index = i;
		snprintf(l->domain, sizeof(l->domain), "%s", names[i / spec->endpoints]);
		l->cfg = spec->tmpl;
		l->cfg.mem = l->mem = set->mem;
		snprintf(l->memory_why, sizeof(l->memory_why), "%s", set->memory_why);
		l->cfg.domain = *l->domain ? l->domain : NULL;
		l->info.sndbuf = l->info.rcvbuf = -1;
		l->info.rma_emulated = -1;
		snprintf(l->info.transport, sizeof(l->info.transport), "%s", spec->ops->name);
		if (*down[i / spec->endpoints]) {
			/* there, but down: named to the peer and in the verdict */
			l->down = true;
			snprintf(l->link, sizeof(l->link), "%s", down[i / spec->endpoints]);
			snprintf(l->info.domain, sizeof(l->info.domain), "%s", l->domain);
			snprintf(l->info.provider, sizeof(l->info.provider), "%s", spec->tmpl.provider);
			continue;
		}
		rc = spec->ops->open(&l->x, &l->cfg, &l->info);
	}
	free(names);
	free(down);
	if (!rc) {
		struct fc_topo *t = set->n > 1 || set->mem.pick ? open_topo(set) : NULL;
		if (set->n > 1)
			place(set, t);
		pick_devices(set, t);
		fc_topo_close(t);
	}
	if (!rc && set->n > 1)
		rc = workers_start(set);
	if (rc)
		fc_lanes_close(set);
	return rc;
}

static void free_buffers(struct fc_lane *l)
{
	if (l->x) {
		l->set->ops->dereg(l->x, l->sbuf);
		l->set->ops->dereg(l->x, l->rbuf);
	}
	fc_mem_free(&l->mem, l->sbuf, l->buflen);
	fc_mem_free(&l->mem, l->rbuf, l->buflen);
	free(l->scratch);
	l->sbuf = l->rbuf = l->scratch = NULL;
	l->buflen = 0;
}

/* Lanes whose operations the provider never gave back: their state, ops
 * and buffers stay where the provider can still reach them, referenced
 * from here so the leak checker sees them as held, not lost. */
static struct fc_lane *abandoned;
static int nabandoned;

static void abandon(struct fc_lane *l)
{
	struct fc_lane *grown = realloc(abandoned, (size_t)(nabandoned + 1) * sizeof(*grown));

	if (grown) {
		abandoned = grown;
		abandoned[nabandoned++] = *l;
	}
}

void fc_lanes_taint(struct fc_lanes *set)
{
	for (int i = 0; i < set->n; i++)
		set->lane[i].tainted = set->lane[i].x != NULL;
}

int fc_lanes_renew(struct fc_lanes *set)
{
	int rc = 0;

	for (int i = 0; i < set->n && !rc; i++) {
		struct fc_lane *l = &set->lane[i];
		if (l->stuck) {
			abandon(l);
			l->x = NULL;
			l->sbuf = l->rbuf = l->scratch = NULL;
			l->buflen = 0;
		} else if (l->tainted) {
			/* nothing is posted (drained at the failure): closing is
			 * safe, and what the old peer sends late reaches no one */
			free_buffers(l);
			set->ops->close(l->x);
			l->x = NULL;
		} else {
			continue;
		}
		l->stuck = l->tainted = false;
		l->bench = NULL;
		rc = set->ops->open(&l->x, &l->cfg, &l->info);
	}
	return rc;
}

void fc_lanes_close(struct fc_lanes *set)
{
	workers_stop(set);
	for (int i = 0; set->lane && i < set->n; i++) {
		struct fc_lane *l = &set->lane[i];
		/* cancels and drains first: nothing posted is left to touch the
		 * buffers freed after it */
		if (l->x)
			set->ops->close(l->x); /* registrations go with it */
		if (l->stuck) {
			abandon(l);
		} else {
			l->x = NULL;
			free_buffers(l);
		}
		l->x = NULL;
	}
	free(set->lane);
	set->lane = NULL;
	set->n = 0;
}

static size_t page_round(size_t n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	return (n + page - 1) / page * page;
}

int fc_lanes_reserve(struct fc_lanes *set, size_t bytes)
{
	int rc;

	bytes = page_round(bytes);
	for (int i = 0; i < set->n; i++) {
		struct fc_lane *l = &set->lane[i];
		bool device = fc_mem_is_device(&l->mem);
		if (l->buflen >= bytes || !l->x)
			continue;
		free_buffers(l);
		/* a device allocates on the calling thread's current device:
		 * this lane's, which may differ from the last one's (-D auto) */
		if (device && (rc = fc_mem_use(&l->mem)))
			return rc;
		l->buflen = bytes;
		l->sbuf = fc_mem_alloc(&l->mem, bytes);
		l->rbuf = fc_mem_alloc(&l->mem, bytes);
		if (device)
			l->scratch = malloc(bytes);
		if (!l->sbuf || !l->rbuf || (device && !l->scratch)) {
			fc_err("cannot allocate 2 x %zu bytes of %s buffers for lane %d", bytes, l->memory, i);
			free_buffers(l);
			return -FC_EXIT_FABRIC;
		}
		if ((rc = set->ops->reg(l->x, l->sbuf, bytes)) || (rc = set->ops->reg(l->x, l->rbuf, bytes))) {
			free_buffers(l);
			return rc;
		}
	}
	return 0;
}

/* ---- peers ---- */

json_t *fc_lanes_addrs(struct fc_lanes *set)
{
	json_t *arr = json_array();

	for (int i = 0; i < set->n; i++) {
		unsigned char addr[ADDR_MAX];
		char hex[2 * ADDR_MAX + 1];
		size_t len = sizeof(addr);
		if (set->lane[i].down) {
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s}", "state", "down", "link", set->lane[i].link,
							     "provider", set->lane[i].info.provider, "domain", set->lane[i].domain));
			continue;
		}
		if (set->ops->get_addr(set->lane[i].x, addr, &len)) {
			json_decref(arr);
			return NULL;
		}
		fc_hex_encode(hex, addr, len);
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "addr", hex, "provider",
						     set->lane[i].info.provider, "domain", set->lane[i].info.domain));
	}
	return arr;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decodes a peer's hex address; -1 unless it is whole, even and short. */
static long hex_decode(const char *s, unsigned char *out, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	if (!s || n % 2 || n / 2 > max)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return (long)(n / 2);
}

int fc_lanes_connect(struct fc_lanes *set, const json_t *theirs, const char *peer_ip, const char *peer_host,
		     const unsigned char cookie[FC_COOKIE_LEN], bool as_server)
{
	char name[128];
	int rc = 0;

	snprintf(set->peer_host, sizeof(set->peer_host), "%s", peer_host);
	atomic_store(&set->abort, false);
	atomic_store(&set->failed_lane, -1);
	for (int i = 0; i < set->n; i++)
		set->lane[i].progressed = false;
	if (!json_is_array(theirs) || json_array_size(theirs) > FC_MAX_LANES) {
		fc_err("peer %s sent no usable lane list", peer_host);
		return -FC_EXIT_USAGE;
	}
	if ((int)json_array_size(theirs) != set->n) {
		fc_err("this side has %d lane(s) (NICs x endpoints) but %s has %zu: give both sides -d lists "
		       "of the same length and the same -E",
		       set->n, peer_host, json_array_size(theirs));
		return -FC_EXIT_USAGE;
	}
	for (int i = 0; i < set->n && !rc; i++) {
		struct fc_lane *l = &set->lane[i];
		json_t *e = json_array_get(theirs, (size_t)i);
		const char *prov = json_string_value(json_object_get(e, "provider"));
		const char *state = json_string_value(json_object_get(e, "state"));
		unsigned char addr[ADDR_MAX];
		long len;

		l->peer_target = (struct fc_rma_target){0};
		l->tx_bytes = l->rx_bytes = 0;
		l->peer_down = state && !strcmp(state, "down");
		{
			const char *pd = json_string_value(json_object_get(e, "domain"));
			fc_printable(l->peer_domain, sizeof(l->peer_domain), pd && strlen(pd) < 128 ? pd : "?");
		}
		l->active = !l->down && !l->peer_down;
		if (l->peer_down) {
			const char *link = json_string_value(json_object_get(e, "link"));
			fc_printable(l->peer_link, sizeof(l->peer_link), link && strlen(link) < 32 ? link : "down");
		}
		if (!l->active) {
			if (l->x)
				set->ops->disconnect(l->x, fc_deadline_in(1.0));
			continue;
		}
		len = hex_decode(json_string_value(json_object_get(e, "addr")), addr, sizeof(addr));
		if (len < 0 || !prov || strlen(prov) >= sizeof(l->info.provider)) {
			fc_err("peer %s sent an unusable address or provider for lane %d", peer_host, i);
			return -FC_EXIT_USAGE;
		}
		if (strcmp(prov, l->info.provider)) {
			fc_err("libfabric chose provider '%s' here but '%s' on %s (lane %d): the two sides would "
			       "not interoperate; check the libfabric versions and FI_PROVIDER on both",
			       l->info.provider, fc_printable(name, sizeof(name), prov), peer_host, i);
			return -FC_EXIT_FABRIC;
		}
		rc = set->ops->connect(l->x, addr, (size_t)len, peer_ip, cookie, as_server,
				       fc_deadline_min(set->deadline, fc_deadline_in(set->op_timeout_s)), &l->info);
		fc_nic_read(set->sysfs_root, l->info.provider, l->info.domain, &l->nic_before);
	}
	if (!rc && !fc_lanes_active(set)) {
		fc_err("no NIC is up on both this side and %s: every lane pairs a NIC that is down; see the link states",
		       peer_host);
		rc = -FC_EXIT_FABRIC;
	}
	return rc;
}

int fc_lanes_active(const struct fc_lanes *set)
{
	int n = 0;

	for (int i = 0; i < set->n; i++)
		n += set->lane[i].active;
	return n;
}

int fc_lanes_disconnect(struct fc_lanes *set)
{
	/* a cut step is abandoned, not waited for: what does not come back
	 * soon leaves its lane stuck, renewed with a fresh endpoint; with no
	 * peer to come, the process is about to exit: a glance only, so that
	 * what completes is closed (shm unlinks its region then) */
	double wait_s = set->last_peer ? 0.05 : atomic_load(&set->cut) ? 0.2 : 1.0;
	int rc = 0;

	for (int i = 0; i < set->n; i++)
		if (set->lane[i].x && set->ops->disconnect(set->lane[i].x, fc_deadline_in(wait_s))) {
			set->lane[i].stuck = true;
			rc = -FC_EXIT_FABRIC;
		}
	return rc;
}

json_t *fc_lanes_targets(struct fc_lanes *set)
{
	json_t *arr = json_array();

	for (int i = 0; i < set->n; i++) {
		struct fc_rma_target t = {0};
		if (set->lane[i].x && set->ops->rma_target(set->lane[i].x, set->lane[i].rbuf, set->lane[i].buflen, &t)) {
			json_decref(arr);
			return NULL;
		}
		json_array_append_new(arr, json_pack("{s:I, s:I, s:I}", "key", (json_int_t)t.key, "addr",
						     (json_int_t)t.addr, "len", (json_int_t)t.len));
	}
	return arr;
}

int fc_lanes_take_targets(struct fc_lanes *set, const json_t *theirs, size_t need)
{
	char b[32];

	if (!json_is_array(theirs) || (int)json_array_size(theirs) != set->n) {
		fc_err("peer %s sent RMA targets for %zu lane(s), this side has %d", set->peer_host,
		       json_array_size(theirs), set->n);
		return -FC_EXIT_USAGE;
	}
	for (int i = 0; i < set->n; i++) {
		json_t *t = json_array_get(theirs, (size_t)i);
		json_t *key = json_object_get(t, "key"), *addr = json_object_get(t, "addr"), *len = json_object_get(t, "len");
		if (!set->lane[i].active)
			continue;
		if (!json_is_integer(key) || !json_is_integer(addr) || !json_is_integer(len) ||
		    json_integer_value(len) < 0 || (uint64_t)json_integer_value(len) < need) {
			fc_err("peer %s registered less than the %s this test reaches on lane %d, or sent no "
			       "usable key and address", set->peer_host, fc_size_format(need, b, sizeof(b)), i);
			return -FC_EXIT_USAGE;
		}
		set->lane[i].peer_target = (struct fc_rma_target){(uint64_t)json_integer_value(key),
								  (uint64_t)json_integer_value(addr),
								  (uint64_t)json_integer_value(len)};
	}
	return 0;
}

/* ---- what benchmarks call ---- */

static bool inside(const struct fc_lane *l, const void *buf, size_t len)
{
	const char *p = buf;
	const char *bufs[2] = {l->sbuf, l->rbuf};

	for (int i = 0; i < 2; i++)
		if (bufs[i] && p >= bufs[i] && len <= l->buflen && (size_t)(p - bufs[i]) <= l->buflen - len)
			return true;
	return false;
}

static int refuse(struct fc_lane *l, size_t len)
{
	char b[32];
	fc_err("lane %d: a %s operation does not fit its %zu-byte buffers; refused", l->index,
	       fc_size_format(len, b, sizeof(b)), l->buflen);
	return -FC_EXIT_USAGE;
}

static uint64_t op_deadline(const struct fc_lane *l)
{
	return fc_deadline_min(l->set->deadline, fc_deadline_in(l->set->op_timeout_s));
}

/* A fabric error where the peer is gone (shm fails a receive with EIO
 * once the peer stopped): if it stopped and says so within 0.2 s, that is
 * the reason, exit 4, and the session prints the peer's words. */
static int peer_explains(struct fc_lane *l, int rc)
{
	if (rc == -FC_EXIT_FABRIC && fc_boot_peer_stops_within(l->set->peer_boot_fd, 0.2)) {
		atomic_store(&l->set->abort, true);
		return -FC_EXIT_PEER;
	}
	return rc;
}

static int post(struct fc_lane *l, struct fc_op *op, enum fc_op_kind kind, void *buf, size_t len, int stream)
{
	int rc;

	if (!inside(l, buf, len))
		return refuse(l, len);
	op->done = false;
	op->kind = kind;
	op->buf = buf;
	op->len = len;
	op->stream = stream;
	rc = kind == FC_OP_SEND ? l->set->ops->post_send(l->x, op, op_deadline(l))
				: l->set->ops->post_recv(l->x, op, op_deadline(l));
	return peer_explains(l, rc);
}

int fc_lane_send(struct fc_lane *l, struct fc_op *op, void *buf, size_t len, int stream)
{
	return post(l, op, FC_OP_SEND, buf, len, stream);
}

int fc_lane_recv(struct fc_lane *l, struct fc_op *op, void *buf, size_t len, int stream)
{
	return post(l, op, FC_OP_RECV, buf, len, stream);
}

int fc_lane_rma(struct fc_lane *l, struct fc_op *op, enum fc_op_kind kind, void *local, size_t len,
		uint64_t offset, uint64_t data)
{
	const struct fc_rma_target *t = &l->peer_target;

	if (!l->set->ops->post_rma) {
		fc_err("the %s transport has no RMA", l->set->ops->name);
		return -FC_EXIT_USAGE;
	}
	if (!inside(l, local, len))
		return refuse(l, len);
	if (len > t->len || offset > t->len - len) {
		fc_err("lane %d: RMA of %zu bytes at offset %llu lies outside the %llu bytes the peer registered; refused",
		       l->index, len, (unsigned long long)offset, (unsigned long long)t->len);
		return -FC_EXIT_USAGE;
	}
	op->done = false;
	op->buf = local;
	op->len = len;
	op->kind = kind;
	op->slot = (int)data;
	op->raddr = t->addr + offset;
	op->rkey = t->key;
	return l->set->ops->post_rma(l->x, op, op_deadline(l));
}

void fc_lane_account(struct fc_lane *l, uint64_t tx, uint64_t rx)
{
	l->tx_bytes += tx;
	l->rx_bytes += rx;
}

uint64_t fc_lane_events(struct fc_lane *l)
{
	return l->set->ops->remote_events ? l->set->ops->remote_events(l->x) : 0;
}

struct until {
	struct fc_op *op;
	uint64_t events;
};

static bool reached(struct fc_lane *l, const struct until *u)
{
	return u->op ? u->op->done : fc_lane_events(l) >= u->events;
}

#define PEER_WATCH_NS 20000000ull /* how often an idle wait looks at the bootstrap */

/* The one wait loop: polls in slices so a failed lane (abort) or a signal
 * (stop) ends every wait within FC_STOP_SLICE_S; counts the bytes of every
 * completion it reaps; names the deadline that passed. */
static int wait_for(struct fc_lane *l, const struct until *u, const char *what, long iter)
{
	char dd[96];
	struct fc_lanes *set = l->set;
	uint64_t t0 = fc_now_ns(), dl = op_deadline(l);
	char b[32];

	uint64_t watch = t0 + PEER_WATCH_NS;

	while (!reached(l, u)) {
		struct fc_op *c[16];
		/* the poll spins or blocks until its deadline when nothing
		 * completes: no later than the next look at the bootstrap */
		uint64_t slice = fc_deadline_min(fc_deadline_min(dl, fc_deadline_in(FC_STOP_SLICE_S)), watch);
		int n = set->ops->poll(l->x, c, 16, slice);

		if (n < 0)
			return peer_explains(l, n);
		if (n > 0)
			l->progressed = true;
		for (int i = 0; i < n; i++) {
			c[i]->done = true;
			if (c[i]->kind == FC_OP_RECV || c[i]->kind == FC_OP_READ)
				l->rx_bytes += c[i]->len;
			else
				l->tx_bytes += c[i]->len;
		}
		/* checked on every pass, not only when idle: a signal lands on
		 * whichever thread the kernel picks, so a lane that always finds
		 * completions would otherwise run on to the end of its size */
		if (fc_stop_signal())
			return fc_stop_check();
		if (atomic_load(&set->cut)) {
			/* every lane says it: whichever ends first names it */
			fc_err("cut during the %s at size %s, lane %d (%s): the coordinator ended the pair, slower than "
			       "the run's other pairs (--cut-factor)",
			       what, fc_size_format(l->size, b, sizeof(b)), l->index, l->info.domain);
			return -FC_EXIT_PEER;
		}
		if (n > 0)
			continue;
		if (atomic_load(&set->abort))
			return -FC_EXIT_PEER; /* another lane failed and said why */
		/* a peer that stopped (a signal, an error) says so on the
		 * bootstrap and closes it: the session reads its reason */
		if (fc_now_ns() >= watch) {
			watch = fc_now_ns() + PEER_WATCH_NS;
			if (fc_boot_peer_stopped(set->peer_boot_fd)) {
				atomic_store(&set->abort, true);
				return -FC_EXIT_PEER;
			}
		}
		if (fc_now_ns() < dl)
			continue;
		{ /* this lane's own silence: the first names the NIC */
			int none = -1;
			atomic_compare_exchange_strong(&set->failed_lane, &none, l->index);
		}
		if (fc_now_ns() >= set->deadline)
			fc_err("the %s passed during the %s at size %s, iteration %ld, lane %d (%s): "
			       "raise %s, or give fewer sizes or iterations",
			       fc_lanes_deadline_desc(set, dd, sizeof(dd)), what, fc_size_format(l->size, b, sizeof(b)),
			       iter, l->index, l->info.domain, set->deadline_option ? set->deadline_option : "-t");
		else
			fc_err("no completion for the %s at size %s, iteration %ld, lane %d (%s), within %.1f s (-T): "
			       "the peer %s stopped responding or the link is down",
			       what, fc_size_format(l->size, b, sizeof(b)), iter, l->index, l->info.domain,
			       (double)(fc_now_ns() - t0) / 1e9, set->peer_host);
		return -FC_EXIT_PEER;
	}
	return 0;
}

int fc_lane_wait(struct fc_lane *l, struct fc_op *op, const char *what, long iter)
{
	struct until u = {.op = op};
	return wait_for(l, &u, what, iter);
}

int fc_lane_wait_events(struct fc_lane *l, uint64_t count, const char *what, long iter)
{
	struct until u = {.events = count};
	return wait_for(l, &u, what, iter);
}

int fc_lane_fill(struct fc_lane *l, void *buf, size_t len, uint64_t seed)
{
	int rc;

	if (!inside(l, buf, len))
		return refuse(l, len);
	if ((rc = fc_mem_fill(&l->mem, buf, len, seed, l->scratch)))
		fc_err("lane %d: filling %zu bytes of the test pattern into GPU memory failed", l->index, len);
	return rc;
}

int fc_lane_check(struct fc_lane *l, const void *buf, size_t len, uint64_t seed, size_t *offset)
{
	int rc;

	if (!inside(l, buf, len))
		return refuse(l, len);
	if ((rc = fc_mem_check(&l->mem, buf, len, seed, l->scratch, offset)))
		fc_err("lane %d: copying %zu received bytes out of GPU memory to check them failed", l->index, len);
	return rc;
}
