#include "run.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "errors.h"
#include "log.h"
#include "record.h"
#include "timing.h"

/* Everything both sides must agree on, keyed by what the user would change. */
static json_t *params(const struct fc_run *r, const json_t *extra)
{
	const struct fc_opts *o = r->opts;
	json_t *p = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:b, s:f, s:I}", "test", r->test,
			      "transport", o->transport, "provider",
			      strcmp(o->transport, "ofi") ? "" : o->provider, "sizes", o->sizes, "iters",
			      (json_int_t)o->iters, "warmup", (json_int_t)o->warmup, "verify", o->verify,
			      "size_time", o->size_budget_s, "endpoints", (json_int_t)o->endpoints);
	if (extra)
		json_object_update(p, (json_t *)extra);
	return p;
}

static const char *param_flag(const char *key)
{
	static const struct { const char *key, *flag; } map[] = {
		{"test", "program"}, {"transport", "-x"}, {"provider", "-p"}, {"sizes", "-S"},
		{"iters", "-I"}, {"warmup", "-w"}, {"verify", "-v"}, {"size_time", "--size-time"},
		{"endpoints", "-E"}, {"window", "-W"}, {"bidir", "--bidir"}, {"streams", "-n"},
		{"op", "--op"},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i].key, key))
			return map[i].flag;
	return key;
}

/* Compares the peer's parameters with ours; names the first difference. */
static int check_params(struct fc_run *r, json_t *mine, json_t *peer_hello)
{
	json_t *theirs = json_object_get(peer_hello, "params");
	const char *key;
	json_t *v;

	json_object_foreach(mine, key, v) {
		json_t *pv = json_object_get(theirs, key);
		if (!pv || !json_equal(v, pv)) {
			char *a = json_dumps(v, JSON_ENCODE_ANY), *b = pv ? json_dumps(pv, JSON_ENCODE_ANY) : NULL;
			int rc = fc_boot_fail(&r->boot, FC_EXIT_USAGE,
					      "test parameter mismatch: %s is %s on %s but %s on %s; start both "
					      "sides with the same parameters",
					      param_flag(key), a ? a : "?", r->local_host, b ? b : "(missing)",
					      r->boot.peer_host);
			free(a);
			free(b);
			return rc;
		}
	}
	return 0;
}

static json_t *hello(const struct fc_run *r, json_t *p)
{
	/* memory is each side's own choice: told, never compared */
	return json_pack("{s:s, s:s, s:s, s:s, s:O}", "tool", r->tool, "fabcheck_version", FC_VERSION,
			 "host", r->local_host, "memory", r->memory, "params", p);
}

static int handshake(struct fc_run *r, json_t *mine)
{
	json_t *peer = NULL;
	const char *host;
	int rc;

	if (r->is_client)
		rc = fc_boot_connect(&r->boot, r->opts->peer, r->opts->port, r->deadline, hello(r, mine), &peer);
	else
		rc = fc_boot_accept(&r->boot, r->opts->port, r->deadline, &peer);
	if (rc)
		return rc;
	host = json_string_value(json_object_get(peer, "host"));
	snprintf(r->peer_host, sizeof(r->peer_host), "%s", host ? host : r->boot.peer_ip);
	host = json_string_value(json_object_get(peer, "memory"));
	snprintf(r->peer_memory, sizeof(r->peer_memory), "%s", host ? host : "host");
	rc = check_params(r, mine, peer);
	json_decref(peer);
	if (!rc && !r->is_client)
		rc = fc_boot_send(&r->boot, FC_MSG_HELLO, hello(r, mine));
	return rc;
}

/* Lane domains from -d: none (the route to the peer decides), "all", or a
 * comma list; each repeated -E times. */
static int plan_lanes(struct fc_run *r, const struct fc_xport_cfg *tmpl)
{
	static char names[FC_MAX_LANES][128];
	const struct fc_opts *o = r->opts;
	int n = 0;

	if (!o->domain) {
		names[n++][0] = '\0';
	} else if (!strcmp(o->domain, "all")) {
		n = r->ops->list_domains ? r->ops->list_domains(tmpl, names, FC_MAX_LANES) : 0;
		if (n < 0)
			return n;
		if (n == 0) {
			fc_err("-d all: provider '%s' offers no NIC here but loopback", o->provider);
			return -FC_EXIT_FABRIC;
		}
	} else {
		char *copy = strdup(o->domain), *save = NULL;
		if (!copy)
			return -FC_EXIT_FABRIC;
		for (char *t = strtok_r(copy, ",", &save); t && n < FC_MAX_LANES; t = strtok_r(NULL, ",", &save))
			snprintf(names[n++], sizeof(names[0]), "%s", t);
		free(copy);
	}
	if (n == 0) {
		fc_err("-d '%s' names no domain: give a name, a comma list, or all", o->domain);
		return -FC_EXIT_USAGE;
	}
	if (n * o->endpoints > FC_MAX_LANES) {
		fc_err("%d NICs x %ld endpoints is more than %d lanes", n, o->endpoints, FC_MAX_LANES);
		return -FC_EXIT_USAGE;
	}
	r->nlanes = n * (int)o->endpoints;
	r->lanes = calloc((size_t)r->nlanes, sizeof(*r->lanes));
	r->nic_before = calloc((size_t)r->nlanes, sizeof(*r->nic_before));
	if (!r->lanes || !r->nic_before)
		return -FC_EXIT_FABRIC;
	for (int i = 0; i < r->nlanes; i++) {
		struct fc_lane *l = &r->lanes[i];
		l->r = r;
		l->index = i;
		snprintf(l->domain, sizeof(l->domain), "%s", names[i / o->endpoints]);
		l->cfg = *tmpl;
		l->cfg.domain = *l->domain ? l->domain : NULL;
		l->info.sndbuf = l->info.rcvbuf = -1;
		l->info.rma_emulated = -1;
		snprintf(l->info.transport, sizeof(l->info.transport), "%s", o->transport);
	}
	return 0;
}

static void hex_encode(const unsigned char *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static size_t hex_decode(const char *s, unsigned char *out, size_t max)
{
	size_t n = 0;
	unsigned v;

	while (s && s[0] && s[1] && n < max && sscanf(s, "%2x", &v) == 1) {
		out[n++] = (unsigned char)v;
		s += 2;
	}
	return n;
}

/* Swaps every lane's fabric address and checks both sides got the same
 * provider and the same number of lanes. */
static int exchange_addresses(struct fc_run *r)
{
	json_t *mine = json_array(), *msg = NULL, *theirs;
	int rc;

	for (int i = 0; i < r->nlanes; i++) {
		unsigned char addr[512];
		char hex[1025];
		size_t len = sizeof(addr);
		if ((rc = r->ops->get_addr(r->lanes[i].x, addr, &len))) {
			json_decref(mine);
			return fc_boot_forward(&r->boot, rc);
		}
		hex_encode(addr, len, hex);
		json_array_append_new(mine, json_pack("{s:s, s:s, s:s}", "addr", hex, "provider",
						      r->lanes[i].info.provider, "domain", r->lanes[i].info.domain));
	}
	rc = fc_boot_send(&r->boot, FC_MSG_ADDR, json_pack("{s:o}", "lanes", mine));
	if (!rc)
		rc = fc_boot_expect(&r->boot, FC_MSG_ADDR, r->deadline, "exchanging fabric addresses", &msg);
	if (rc)
		return rc;
	theirs = json_object_get(msg, "lanes");
	if ((int)json_array_size(theirs) != r->nlanes) {
		rc = fc_boot_fail(&r->boot, FC_EXIT_USAGE,
				  "%s has %d lane(s) (NICs x endpoints) but %s has %zu: give both sides -d lists "
				  "of the same length",
				  r->local_host, r->nlanes, r->peer_host, json_array_size(theirs));
		json_decref(msg);
		return rc;
	}
	for (int i = 0; i < r->nlanes && !rc; i++) {
		struct fc_lane *l = &r->lanes[i];
		json_t *e = json_array_get(theirs, (size_t)i);
		const char *prov = json_string_value(json_object_get(e, "provider"));
		unsigned char peer[512];
		size_t len = hex_decode(json_string_value(json_object_get(e, "addr")), peer, sizeof(peer));

		if (!prov || strcmp(prov, l->info.provider)) {
			rc = fc_boot_fail(&r->boot, FC_EXIT_FABRIC,
					  "libfabric chose provider '%s' on %s but '%s' on %s: the two sides would "
					  "not interoperate; check the libfabric versions and FI_PROVIDER on both",
					  l->info.provider, r->local_host, prov ? prov : "?", r->peer_host);
			break;
		}
		rc = r->ops->connect(l->x, peer, len, fc_run_op_deadline(r), &l->info);
		if (rc)
			rc = fc_boot_forward(&r->boot, rc);
	}
	json_decref(msg);
	return rc;
}

/* The client expands the size list (with its provider's switch points) and
 * the server takes it as given, so "-S all" cannot differ between sides. */
static int agree_sizes(struct fc_run *r)
{
	const struct fc_xport_info *info = &r->lanes[0].info;
	json_t *msg = NULL, *arr;
	size_t i;
	int rc;

	if (r->is_client) {
		rc = fc_sizes_expand(r->opts->sizes, info->switch_pts, info->nswitch, &r->sizes);
		if (rc)
			return fc_boot_forward(&r->boot, rc);
		arr = json_array();
		for (i = 0; i < r->sizes.n; i++)
			json_array_append_new(arr, json_integer((json_int_t)r->sizes.v[i]));
		return fc_boot_send(&r->boot, FC_MSG_SIZES, json_pack("{s:o}", "sizes", arr));
	}
	rc = fc_boot_expect(&r->boot, FC_MSG_SIZES, r->deadline, "receiving the size list", &msg);
	if (rc)
		return rc;
	arr = json_object_get(msg, "sizes");
	r->sizes.n = json_array_size(arr);
	r->sizes.v = calloc(r->sizes.n ? r->sizes.n : 1, sizeof(size_t));
	for (i = 0; r->sizes.v && i < r->sizes.n; i++) {
		json_int_t v = json_integer_value(json_array_get(arr, i));
		if (v <= 0 || (uint64_t)v > FC_SIZE_MAX_MSG)
			break;
		r->sizes.v[i] = (size_t)v;
	}
	json_decref(msg);
	if (!r->sizes.v || r->sizes.n == 0 || i != r->sizes.n)
		return fc_boot_fail(&r->boot, FC_EXIT_PEER, "the peer sent an invalid size list");
	return 0;
}

static size_t page_round(size_t n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	return (n + page - 1) / page * page;
}

static int setup_buffers(struct fc_run *r, const struct fc_run_spec *spec)
{
	size_t need = 0;
	int rc;

	for (size_t i = 0; i < r->sizes.n; i++) {
		size_t b = spec->buffer_bytes ? spec->buffer_bytes(r->opts, r->sizes.v[i]) : r->sizes.v[i];
		if (b > need)
			need = b;
	}
	need = page_round(need);
	/* a window deeper than the provider's queues would stall on -FI_EAGAIN
	 * and be blamed on the peer: refuse it up front, on both sides */
	for (size_t i = 0; spec->window && i < r->sizes.n; i++) {
		long w = spec->window(r->opts, r->sizes.v[i]);
		size_t depth = r->lanes[0].info.queue_depth;
		if (depth && (size_t)w + 2 > depth)
			return fc_boot_fail(&r->boot, FC_EXIT_USAGE,
					    "a window of %ld messages exceeds provider %s's queue depth (%zu) on %s: "
					    "use -W %zu or less",
					    w, r->lanes[0].info.provider, depth, r->local_host, depth - 2);
	}
	for (int i = 0; i < r->nlanes; i++) {
		struct fc_lane *l = &r->lanes[i];
		l->buflen = need;
		l->sbuf = fc_mem_alloc(&r->opts->mem, need);
		l->rbuf = fc_mem_alloc(&r->opts->mem, need);
		if (r->opts->mem.kind == FC_MEM_CUDA)
			l->scratch = malloc(need);
		if (!l->sbuf || !l->rbuf || (r->opts->mem.kind == FC_MEM_CUDA && !l->scratch))
			return fc_boot_fail(&r->boot, FC_EXIT_FABRIC,
					    "cannot allocate 2 x %zu bytes of %s buffers for lane %d on %s", need,
					    r->memory, i, r->local_host);
		/* Registered once, before any timing: no loop measures the MR cache. */
		if ((rc = r->ops->reg(l->x, l->sbuf, need)) || (rc = r->ops->reg(l->x, l->rbuf, need)))
			return fc_boot_forward(&r->boot, rc);
	}
	return 0;
}

static void banner(struct fc_run *r)
{
	const struct fc_xport_info *info = &r->lanes[0].info;
	char pts[256] = "";

	for (size_t i = 0; i < info->nswitch; i++) {
		char b[32];
		size_t l = strlen(pts);
		snprintf(pts + l, sizeof(pts) - l, "%s%s %s", i ? ", " : "", info->switch_names[i],
			 fc_size_format(info->switch_pts[i], b, sizeof(b)));
	}
	fc_out_banner(&r->out, "%s %s: transport %s, provider %s, fabric %s%s%s", r->tool,
		      r->is_client ? "client" : "server", r->opts->transport, info->provider,
		      *info->fabric ? info->fabric : "-", *info->libfabric ? ", libfabric " : "",
		      info->libfabric);
	for (int i = 0; i < r->nlanes; i++) {
		const struct fc_lane *l = &r->lanes[i];
		fc_out_banner(&r->out, "lane %d: domain %s, %s %s -> %s %s", i, l->info.domain, r->local_host,
			      l->info.local_addr, r->peer_host, l->info.peer_addr);
	}
	if (*pts)
		fc_out_banner(&r->out, "protocol switch points: %s", pts);
	if (r->opts->verify)
		fc_out_banner(&r->out, "verifying every message (-v)");
}

int fc_run_setup(struct fc_run *r, const struct fc_opts *o, const struct fc_run_spec *spec)
{
	struct fc_xport_cfg tmpl;
	json_t *mine;
	int rc;

	memset(r, 0, sizeof(*r));
	r->opts = o;
	r->tool = spec->tool;
	r->test = spec->test;
	r->is_client = o->peer != NULL;
	r->deadline = fc_deadline_in(o->deadline_s);
	r->boot.fd = -1;
	r->boot.op_timeout_s = o->op_timeout_s;
	if (gethostname(r->local_host, sizeof(r->local_host)))
		snprintf(r->local_host, sizeof(r->local_host), "unknown");
	r->ops = fc_xport_find(o->transport);
	fc_mem_name(&o->mem, r->memory, sizeof(r->memory));
	mine = params(r, spec->params);
	json_decref(spec->params);
	if ((rc = fc_out_open(&r->out, o, spec->table)))
		goto out;
	tmpl = (struct fc_xport_cfg){
		.provider = o->provider,
		.local_ip = r->boot.local_ip,
		.peer_ip = r->boot.peer_ip,
		.is_server = !r->is_client,
		.block = o->block,
		.sockbuf = o->sockbuf,
		.streams = (int)o->streams,
		.rma = spec->rma,
		.mem = o->mem,
	};
	/* CUDA first: no runtime or no GPU is a setup error before any peer
	 * waits, and the device is current on this (registering) thread */
	if ((rc = fc_mem_use(&o->mem)))
		goto out;
	if ((rc = plan_lanes(r, &tmpl)))
		goto out;
	if (r->ops->probe && (rc = r->ops->probe(&r->lanes[0].cfg, &r->lanes[0].info)))
		goto out;
	if ((rc = handshake(r, mine)))
		goto out;
	for (int i = 0; i < r->nlanes && !rc; i++)
		if ((rc = r->ops->open(&r->lanes[i].x, &r->lanes[i].cfg, &r->lanes[i].info)))
			rc = fc_boot_forward(&r->boot, rc);
	if (rc || (rc = exchange_addresses(r)) || (rc = agree_sizes(r)) || (rc = setup_buffers(r, spec)))
		goto out;
	for (int i = 0; i < r->nlanes; i++)
		fc_nic_read(o->sysfs_root, r->lanes[i].info.provider, r->lanes[i].info.domain, &r->nic_before[i]);
	banner(r);
out:
	json_decref(mine);
	return rc;
}

static json_t *coverage_record(struct fc_run *r, const struct fc_lane *l, uint64_t sent, uint64_t recvd,
			       const struct fc_nic_snapshot *b, const struct fc_nic_snapshot *a,
			       const char *verdict)
{
	struct fc_rec rec;

	fc_run_rec(r, l, 0, &rec);
	rec.test = "coverage";
	rec.size = (fc_int_t){0};
	rec.lane = (fc_lane_t){0};
	rec.sent_bytes = FC_I(sent);
	rec.recv_bytes = FC_I(recvd);
	rec.coverage = verdict;
	if (a->ok && b->ok) {
#define DELTA(field) \
	if (a->field >= 0 && b->field >= 0) \
		rec.nic_##field = FC_I(a->field - b->field)
		rec.nic_tx_bytes = FC_I(a->tx_bytes - b->tx_bytes);
		rec.nic_rx_bytes = FC_I(a->rx_bytes - b->rx_bytes);
		DELTA(retrans);
		DELTA(timeouts);
		DELTA(unresponsive);
		DELTA(impaired);
		DELTA(drops);
#undef DELTA
	}
	return fc_rec_json(&rec);
}

/* Proof of coverage: each NIC's own counters must have moved at least by
 * the payload fabcheck put through it, or the traffic went elsewhere. */
static int check_coverage(struct fc_run *r)
{
	int rc = 0;

	for (int i = 0; i < r->nlanes; i++) {
		struct fc_lane *l = &r->lanes[i];
		struct fc_nic_snapshot after;
		uint64_t sent = 0, recvd = 0;
		const char *verdict = "ok";
		bool first = true;
		json_t *rec;
		char a[32], b[32];

		/* lanes on the same NIC (-E) are checked together, once */
		for (int j = 0; j < r->nlanes; j++) {
			if (strcmp(r->lanes[j].info.domain, l->info.domain))
				continue;
			if (j < i)
				first = false;
			sent += r->lanes[j].tx_bytes;
			recvd += r->lanes[j].rx_bytes;
		}
		if (!first || (sent == 0 && recvd == 0))
			continue;
		fc_nic_read(r->opts->sysfs_root, l->info.provider, l->info.domain, &after);
		if (!after.ok || !r->nic_before[i].ok) {
			verdict = "unverifiable";
			fc_out_banner(&r->out, "coverage %s: no NIC counters (%s): cannot prove where the traffic went",
				      l->info.domain, *after.path ? after.path : "no NIC");
		} else {
			uint64_t tx = after.tx_bytes - r->nic_before[i].tx_bytes;
			uint64_t rx = after.rx_bytes - r->nic_before[i].rx_bytes;
			if (tx < sent || rx < recvd) {
				verdict = "failed";
				fc_err("traffic for %s went elsewhere: fabcheck %s %s through it but its %s "
				       "counter moved %s (%s); check routes and the NIC-to-address mapping",
				       l->info.domain, tx < sent ? "sent" : "received",
				       fc_size_format(tx < sent ? sent : recvd, a, sizeof(a)),
				       tx < sent ? "tx_bytes" : "rx_bytes",
				       fc_size_format(tx < sent ? tx : rx, b, sizeof(b)), after.path);
				rc = -FC_EXIT_BELOW;
			} else {
				fc_out_banner(&r->out, "coverage %s: ok, sent %llu received %llu, NIC tx %llu rx %llu bytes",
					      l->info.domain, (unsigned long long)sent, (unsigned long long)recvd,
					      (unsigned long long)tx, (unsigned long long)rx);
			}
		}
		rec = coverage_record(r, l, sent, recvd, &r->nic_before[i], &after, verdict);
		fc_out_write(&r->out, rec, false);
		json_decref(rec);
	}
	return rc;
}

int fc_run_finish(struct fc_run *r, int rc)
{
	int orc;

	if (rc == 0 && r->lanes)
		rc = check_coverage(r);
	fc_boot_forward(&r->boot, rc < 0 && rc != -FC_EXIT_BELOW ? rc : 0); /* never leave the peer waiting */
	for (int i = 0; r->lanes && i < r->nlanes; i++) {
		struct fc_lane *l = &r->lanes[i];
		if (l->x)
			r->ops->close(l->x);
		fc_mem_free(&r->opts->mem, l->sbuf, l->buflen);
		fc_mem_free(&r->opts->mem, l->rbuf, l->buflen);
		free(l->scratch);
	}
	free(r->lanes);
	free(r->nic_before);
	fc_sizes_free(&r->sizes);
	fc_boot_close(&r->boot);
	/* exit 1 is a verdict on a complete run: its records are whole */
	orc = fc_out_close(&r->out, rc == -FC_EXIT_BELOW ? 0 : rc);
	return rc ? rc : orc;
}

uint64_t fc_run_op_deadline(const struct fc_run *r)
{
	return fc_deadline_min(r->deadline, fc_deadline_in(r->opts->op_timeout_s));
}

void fc_run_rec(struct fc_run *r, const struct fc_lane *l, size_t size, struct fc_rec *rec)
{
	const struct fc_xport_info *i = &(l ? l : &r->lanes[0])->info;

	fc_timestamp(r->timestamp, sizeof(r->timestamp));
	*rec = (struct fc_rec){
		.schema = FC_I(FC_SCHEMA_VERSION),
		.tool = r->tool,
		.fabcheck_version = FC_VERSION,
		.test = r->test,
		.transport = i->transport,
		.provider = i->provider,
		.fabric = *i->fabric ? i->fabric : NULL,
		.domain = l ? i->domain : "all",
		.libfabric = *i->libfabric ? i->libfabric : NULL,
		.memory = r->memory,
		.peer_memory = r->peer_memory,
		.local_host = r->local_host,
		.peer_host = r->peer_host,
		.local_addr = l ? i->local_addr : NULL,
		.peer_addr = l ? i->peer_addr : NULL,
		.completion = r->opts->block ? "blocking" : "busy-poll",
		.timestamp = r->timestamp,
		.lane = l ? FC_LANE(l->index) : FC_LANE_ALL,
		.lanes = FC_I(r->nlanes),
		.size = FC_I(size),
		.gpu_path = i->gpu_path,
	};
	if (i->sndbuf >= 0) {
		rec->sock_sndbuf = FC_I(i->sndbuf);
		rec->sock_rcvbuf = FC_I(i->rcvbuf);
	}
}

int fc_lane_wait(struct fc_lane *l, struct fc_op *op, const char *what, size_t size, long iter)
{
	struct fc_run *r = l->r;
	uint64_t dl = fc_run_op_deadline(r);

	while (!op->done) {
		struct fc_op *c[16];
		/* wake up now and then to see whether another lane gave up */
		uint64_t slice = r->nlanes > 1 ? fc_deadline_min(dl, fc_deadline_in(0.1)) : dl;
		int n = r->ops->poll(l->x, c, 16, slice);
		char b[32];

		if (n < 0)
			return n;
		if (atomic_load(&r->abort))
			return -FC_EXIT_PEER;
		if (n == 0) {
			if (fc_now_ns() < dl)
				continue;
			fc_err("no completion for the %s at size %s, iteration %ld, lane %d (%s), within %.1f s: "
			       "the peer %s stopped responding or the link is down",
			       what, fc_size_format(size, b, sizeof(b)), iter, l->index, l->info.domain,
			       fc_now_ns() >= r->deadline ? r->opts->deadline_s : r->opts->op_timeout_s,
			       r->peer_host);
			return -FC_EXIT_PEER;
		}
		for (int i = 0; i < n; i++) {
			c[i]->done = true;
			if (c[i]->kind == FC_OP_RECV || c[i]->kind == FC_OP_READ)
				l->rx_bytes += c[i]->len;
			else
				l->tx_bytes += c[i]->len;
		}
	}
	return 0;
}

struct lane_job {
	struct fc_lane *lane;
	int (*fn)(struct fc_lane *, void *);
	void *arg;
	int rc;
};

static void *lane_thread(void *p)
{
	struct lane_job *j = p;
	struct fc_lane *l = j->lane;
	char cpus[256];

	fc_nic_pin_thread(l->r->opts->sysfs_root, l->info.provider, l->info.domain, cpus, sizeof(cpus));
	j->rc = fc_mem_use(&l->r->opts->mem); /* the GPU current on every lane thread */
	if (!j->rc)
		j->rc = j->fn(l, j->arg);
	if (j->rc)
		atomic_store(&l->r->abort, true);
	return NULL;
}

int fc_run_lanes(struct fc_run *r, int (*fn)(struct fc_lane *l, void *arg), void *arg)
{
	struct lane_job *jobs;
	pthread_t *tids;
	int rc = 0;

	if (r->nlanes == 1)
		return fn(&r->lanes[0], arg);
	jobs = calloc((size_t)r->nlanes, sizeof(*jobs));
	tids = calloc((size_t)r->nlanes, sizeof(*tids));
	if (!jobs || !tids) {
		free(jobs);
		free(tids);
		return -FC_EXIT_FABRIC;
	}
	for (int i = 0; i < r->nlanes; i++) {
		jobs[i] = (struct lane_job){&r->lanes[i], fn, arg, 0};
		if (pthread_create(&tids[i], NULL, lane_thread, &jobs[i])) {
			fc_err("cannot start the thread for lane %d", i);
			jobs[i].rc = -FC_EXIT_FABRIC;
			tids[i] = 0;
			atomic_store(&r->abort, true); /* the others stop at their next wait */
		}
	}
	for (int i = 0; i < r->nlanes; i++) {
		if (tids[i])
			pthread_join(tids[i], NULL);
		/* the first real failure, not a lane that stopped because of it */
		if (jobs[i].rc && (!rc || (rc == -FC_EXIT_PEER && jobs[i].rc != -FC_EXIT_PEER)))
			rc = jobs[i].rc;
	}
	free(jobs);
	free(tids);
	return rc;
}

int fc_lane_fill(struct fc_lane *l, void *buf, size_t len, uint64_t seed)
{
	return fc_mem_fill(&l->r->opts->mem, buf, len, seed, l->scratch);
}

size_t fc_lane_check(struct fc_lane *l, const void *buf, size_t len, uint64_t seed)
{
	return fc_mem_check(&l->r->opts->mem, buf, len, seed, l->scratch);
}

int fc_run_check_deadline(struct fc_run *r, size_t index)
{
	if (fc_now_ns() < r->deadline)
		return 0;
	return fc_boot_fail(&r->boot, FC_EXIT_PEER,
			    "the run deadline (-t %.0f s) passed after %zu of %zu sizes: raise -t or "
			    "give fewer sizes or iterations",
			    r->opts->deadline_s, index, r->sizes.n);
}
