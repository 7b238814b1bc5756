#include "run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coverage.h"
#include "errors.h"
#include "log.h"
#include "stop.h"
#include "timing.h"

static struct fc_xport_cfg lane_cfg(const struct fc_opts *o, const struct fc_params *p,
				    const struct fc_run_spec *spec, const char *local_ip, bool is_server)
{
	return (struct fc_xport_cfg){
		.provider = p->provider,
		.fabric = p->fabric,
		.local_ip = local_ip,
		.is_server = is_server,
		.block = o->block,
		.sockbuf = o->sockbuf,
		.streams = (int)p->streams,
		.rma = spec->rma,
		.ordered = spec->ordered,
		/* the deepest window the test can ask is its smallest size's
		 * (windows shrink as sizes grow), and its acks */
		.depth = spec->window ? (size_t)spec->window(p, 1) + 2 : 2,
		.mem = o->mem,
	};
}

struct fc_lanes_spec fc_run_lanes_spec(const struct fc_opts *o, const struct fc_params *p,
				       const struct fc_run_spec *spec, const char *local_ip, bool is_server,
				       uint64_t deadline)
{
	return (struct fc_lanes_spec){
		.ops = fc_xport_find(p->transport),
		.domains = o->domain,
		.endpoints = o->endpoints,
		.tmpl = lane_cfg(o, p, spec, local_ip, is_server),
		.sysfs_root = o->sysfs_root,
		.op_timeout_s = o->op_timeout_s,
		.deadline = deadline,
		.deadline_s = o->deadline_s,
	};
}

static int open_lanes(struct fc_run *r, const struct fc_run_spec *spec)
{
	const struct fc_opts *o = r->opts;
	struct fc_lanes_spec ls = fc_run_lanes_spec(o, &r->params, spec, r->s.boot.local_ip, !r->is_client, r->deadline);
	int rc;

	/* a server takes the client's lanes where it chose none itself */
	if (!r->is_client && !o->domain && r->params.all_nics)
		ls.domains = "all";
	if (!r->is_client && !o->endpoints_given)
		ls.endpoints = r->params.endpoints;
	rc = fc_lanes_open(&r->own_lanes, &ls);
	r->own_lanes.last_peer = true;
	r->lanes = &r->own_lanes;
	return rc ? fc_session_forward(&r->s, rc) : 0;
}

static int exchange_addresses(struct fc_run *r)
{
	json_t *theirs = NULL;
	int rc = fc_session_addr(&r->s, fc_lanes_addrs(r->lanes), &theirs);

	if (!rc && (rc = fc_lanes_connect(r->lanes, theirs, r->s.boot.peer_ip, r->s.peer_label, r->s.cookie,
					  !r->is_client)))
		rc = fc_session_forward(&r->s, rc);
	r->lanes->peer_boot_fd = rc ? -1 : r->s.boot.fd; /* its stop ends this side's waits */
	json_decref(theirs);
	return rc;
}

/* The largest message every lane's provider sends (0: no limit known):
 * EFA's efa-direct sends at most its MTU, a few KiB. */
static size_t max_send(const struct fc_lanes *set)
{
	size_t m = 0;

	for (int i = 0; i < set->n; i++) {
		size_t s = set->lane[i].active ? set->lane[i].info.max_send : 0;
		if (s && (!m || s < m))
			m = s;
	}
	return m;
}

/* Message tests drop the sizes a send cannot carry, and say so; RMA
 * moves them (fabcheck-rma, fabcheck-pairs --protocol rdma). */
static int fit_sends(struct fc_run *r, struct fc_sizes *sizes)
{
	size_t m = max_send(r->lanes), kept = 0;
	char mb[32];

	for (size_t i = 0; i < sizes->n; i++)
		if (!m || sizes->v[i] <= m)
			sizes->v[kept++] = sizes->v[i];
	if (kept == sizes->n)
		return 0;
	fc_size_format(m, mb, sizeof(mb));
	if (!kept)
		return fc_session_fail(&r->s, FC_EXIT_FABRIC,
				       "provider %s sends at most %s per message, and every size asked is larger: give "
				       "smaller sizes (-S), or measure bandwidth by RMA (fabcheck-rma)",
				       r->lanes->lane[0].info.provider, mb);
	fc_out_banner(r->out, "warning: %zu size(s) above %s skipped: provider %s sends at most that per message "
			      "(bandwidth beyond it: RMA, fabcheck-rma or fabcheck-pairs --protocol rdma)",
		      sizes->n - kept, mb, r->lanes->lane[0].info.provider);
	sizes->n = kept;
	return 0;
}

/* The client expands the size list (with its provider's switch points)
 * and the server takes it as given, checked: "-S all" cannot differ. */
static int agree_sizes(struct fc_run *r, const struct fc_run_spec *spec)
{
	const struct fc_xport_info *info = &r->lanes->lane[0].info;
	uint64_t max = r->prog->max_size ? r->prog->max_size : FC_SIZE_MAX_MSG;
	struct fc_sizes sizes = {0};
	int rc;

	if (r->is_client && (rc = fc_sizes_expand(r->opts->sizes, info->switch_pts, info->nswitch, &sizes)))
		return fc_session_forward(&r->s, rc);
	if (r->is_client && !spec->rma && (rc = fit_sends(r, &sizes))) {
		fc_sizes_free(&sizes);
		return rc;
	}
	rc = fc_session_sizes(&r->s, &sizes, max);
	fc_sizes_free(&sizes);
	return rc;
}

int fc_run_buffers(struct fc_run *r, const struct fc_run_spec *spec)
{
	const struct fc_xport_info *info = &r->lanes->lane[0].info;
	json_t *targets = NULL;
	size_t need = 0;
	int rc;

	for (size_t i = 0; i < r->s.sizes.n; i++) {
		size_t b = spec->buffer_bytes(&r->params, r->s.sizes.v[i]);
		need = b > need ? b : need;
		/* a window deeper than the provider's queues would stall on
		 * -FI_EAGAIN and be blamed on the peer: refuse it up front */
		if (spec->window) {
			long w = spec->window(&r->params, r->s.sizes.v[i]);
			if (info->queue_depth && (size_t)w + 2 > info->queue_depth)
				return fc_session_fail(&r->s, FC_EXIT_USAGE,
						       "a window of %ld messages exceeds provider %s's queue depth (%zu) on %s: "
						       "use -W %zu or less",
						       w, info->provider, info->queue_depth, r->local_host, info->queue_depth - 2);
		}
	}
	/* the client chose the sizes and the window; what they cost this side
	 * is bounded here (a send and a receive buffer per lane) */
	{
		size_t budget = r->opts->max_mem ? r->opts->max_mem : fc_default_max_mem();
		size_t lanes = (size_t)r->lanes->n, total = need > SIZE_MAX / 2 / lanes ? SIZE_MAX : need * 2 * lanes;
		if (total > budget)
			return fc_session_fail(&r->s, FC_EXIT_USAGE,
					       "the test needs %.0f MiB of buffers on %s (%zu lane(s), a send and a receive "
					       "buffer of %.1f MiB each), above its memory budget of %.0f MiB (--max-mem; "
					       "default a quarter of its RAM): use smaller sizes or a smaller -W, or raise "
					       "--max-mem there",
					       (double)total / (1 << 20), r->local_host, lanes, (double)need / (1 << 20),
					       (double)budget / (1 << 20));
	}
	if ((rc = fc_lanes_reserve(r->lanes, need)))
		return fc_session_forward(&r->s, rc);
	if (!r->is_client)
		return fc_session_targets(&r->s, spec->rma ? fc_lanes_targets(r->lanes) : NULL, NULL);
	if ((rc = fc_session_targets(&r->s, NULL, &targets)))
		return rc;
	if (spec->rma && (rc = fc_lanes_take_targets(r->lanes, targets, need)))
		rc = fc_session_forward(&r->s, rc);
	json_decref(targets);
	return rc;
}

/* Busy-polling lanes of both sides on one host, more than its CPUs: they
 * take turns on the CPUs, and the numbers measure the scheduler. */
static void busy_threads_warning(struct fc_run *r)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int busy = 0;

	if (r->opts->block)
		return;
	for (int i = 0; i < r->lanes->n; i++)
		busy += r->lanes->lane[i].active;
	if (!strcmp(r->s.peer_host, r->local_host))
		busy *= 2; /* the peer's lanes spin here too */
	if (cpus > 0 && busy > cpus)
		fc_out_banner(r->out, "warning: %d busy-polling threads on %ld CPUs (both sides on this host): they "
				      "compete with each other and with the kernel; use -b for steadier numbers",
			      busy, cpus);
}

void fc_run_banner(struct fc_run *r, void (*test_banner)(struct fc_run *r))
{
	const struct fc_xport_info *info = &r->lanes->lane[0].info;
	const struct fc_params *p = &r->params;
	char pts[256] = "", b[32], c[32], iters[32];

	for (size_t i = 0; i < info->nswitch; i++) {
		size_t l = strlen(pts);
		snprintf(pts + l, sizeof(pts) - l, "%s%s %s", i ? ", " : "", info->switch_names[i],
			 fc_size_format(info->switch_pts[i], b, sizeof(b)));
	}
	fc_out_banner(r->out, "%s %s: transport %s, provider %s, fabric %s%s%s%s%s", r->prog->name,
		      r->is_client ? "client" : "server", p->transport, info->provider, *info->fabric ? info->fabric : "-",
		      *info->libfabric ? ", libfabric " : "", info->libfabric, *info->fi_api ? ", API " : "", info->fi_api);
	for (int i = 0; i < r->lanes->n; i++) {
		const struct fc_lane *l = &r->lanes->lane[i];
		if (!l->active)
			fc_out_banner(r->out, "lane %d: NOT RUN: %s NIC %s is %s", i, l->down ? r->local_host : r->s.peer_label,
				      l->down ? l->domain : l->peer_domain, l->down ? l->link : l->peer_link);
		else {
			char mem[300] = ""; /* -D auto: what this lane took, and why */
			if (l->mem.pick)
				snprintf(mem, sizeof(mem), ", memory %s (%s)", l->memory, l->memory_why);
			fc_out_banner(r->out, "lane %d: domain %s, %s %s -> %s %s%s%s%s", i, l->info.domain, r->local_host,
				      l->info.local_addr, r->s.peer_label, l->info.peer_addr, l->pinned ? ", CPUs " : "",
				      l->pinned ? l->cpulist : "", mem);
		}
	}
	if (p->iters)
		snprintf(iters, sizeof(iters), "%ld", p->iters);
	else
		snprintf(iters, sizeof(iters), "adaptive (%.2g s per size)", p->size_time);
	fc_out_banner(r->out, "%s%s: %zu size(s) %s..%s, iterations %s, warmup %ld, memory %s here, %s there%s%s%s",
		      r->is_client ? "test" : "test from the client", "", r->s.sizes.n,
		      fc_size_format(r->s.sizes.v[0], b, sizeof(b)), fc_size_format(r->s.sizes.v[r->s.sizes.n - 1], c, sizeof(c)),
		      iters, p->warmup, r->memory, r->s.peer_memory, p->verify ? ", verifying every message (-v)" : "",
		      r->opts->block ? ", blocking completions" : "", r->lanes->n > 1 ? ", lanes at once" : "");
	if (test_banner)
		test_banner(r);
	if (*pts)
		fc_out_banner(r->out, "protocol switch points: %s", pts);
	busy_threads_warning(r);
}

static void init(struct fc_run *r, const struct fc_opts *o, const struct fc_prog *prog)
{
	memset(r, 0, sizeof(*r));
	r->opts = o;
	r->prog = prog;
	r->params = o->params;
	r->s.boot.fd = -1;
	r->own_listener.fd = -1;
	r->listener = &r->own_listener;
	r->lanes = &r->own_lanes;
	r->rank = r->peer_rank = r->round = -1;
	r->out = &r->own_out;
	if (gethostname(r->local_host, sizeof(r->local_host)))
		snprintf(r->local_host, sizeof(r->local_host), "unknown");
	fc_mem_name(&o->mem, r->memory, sizeof(r->memory));
	fc_run_id(r->run_id, sizeof(r->run_id), r->local_host);
}

/* The phases after the parameters, the same for both kinds of run. */
static int converse(struct fc_run *r, const struct fc_run_spec *spec)
{
	int rc;

	if (!*r->peer_name)
		snprintf(r->peer_name, sizeof(r->peer_name), "%s", r->s.peer_host);
	if (!(rc = exchange_addresses(r)) && !(rc = agree_sizes(r, spec)))
		rc = fc_run_buffers(r, spec);
	return rc;
}

int fc_run_attach(struct fc_run *r, const struct fc_run_attach *a, const struct fc_run_spec *spec)
{
	struct fc_hello me;
	int rc;

	init(r, a->opts, a->prog);
	r->params = a->params;
	r->is_client = a->peer != NULL;
	r->deadline = a->deadline;
	r->lanes = a->lanes;
	r->lanes->deadline = a->deadline; /* the lanes' waits end with this conversation */
	r->lanes->deadline_s = (double)(a->deadline - fc_now_ns()) / 1e9;
	r->lanes->deadline_option = a->deadline_option;
	r->lanes->op_timeout_s = a->opts->op_timeout_s;
	r->listener = a->listener;
	r->out = a->out;
	r->rank = a->rank;
	r->peer_rank = a->peer_rank;
	r->round = a->round;
	snprintf(r->local_host, sizeof(r->local_host), "%s", a->local_name);
	snprintf(r->peer_name, sizeof(r->peer_name), "%s", a->peer_name);
	me = (struct fc_hello){a->prog->name, r->local_host, r->memory, a->token};
	if (r->is_client)
		rc = fc_session_connect(&r->s, a->peer, a->port, r->deadline, a->opts->op_timeout_s, a->deadline_option,
					&me);
	else
		rc = fc_session_accept(&r->s, r->listener, r->deadline, a->opts->op_timeout_s, a->deadline_option, &me);
	if (!rc)
		rc = fc_session_params(&r->s, &r->params, a->params.test);
	/* the same lanes serve every peer: the transport was chosen for the run */
	if (!rc && strcmp(r->params.transport, r->lanes->ops->name))
		rc = fc_session_fail(&r->s, FC_EXIT_USAGE, "the peer asked for the %s transport; this run's lanes are %s",
				     r->params.transport, r->lanes->ops->name);
	return rc ? rc : converse(r, spec);
}

int fc_run_setup(struct fc_run *r, const struct fc_opts *o, const struct fc_prog *prog,
		 const struct fc_run_spec *spec)
{
	struct fc_hello me;
	int rc;

	init(r, o, prog);
	r->is_client = o->peer != NULL;
	r->deadline = fc_deadline_in(o->deadline_s);
	me = (struct fc_hello){prog->name, r->local_host, r->memory, NULL};
	/* output paths and the GPU first: a bad path or a missing runtime is
	 * an error before any peer waits */
	if ((rc = fc_out_open(r->out, &o->sinks, spec->table)) || (rc = fc_mem_use(&o->mem)))
		return rc;
	/* kernel TCP waits in poll(), -b waits in the provider: neither spins */
	r->out->spins = !o->block && !strcmp(r->params.transport, "ofi");
	r->out->gbit = o->gbit;
	/* a misconfigured side fails at once; a server checks only what it
	 * was told explicitly, since it takes the client's parameters */
	if (!strcmp(r->params.transport, "ofi") && (r->is_client || o->provider_given)) {
		struct fc_xport_cfg probe = lane_cfg(o, &r->params, spec, r->s.boot.local_ip, !r->is_client);
		struct fc_xport_info info = {0};
		probe.domain = o->domain && !strchr(o->domain, ',') && strcmp(o->domain, "all") ? o->domain : NULL;
		probe.local_ip = NULL;
		if ((rc = fc_xport_ofi.probe(&probe, &info)))
			return rc;
	}
	if (r->is_client)
		rc = fc_session_connect(&r->s, o->peer, o->port, r->deadline, o->op_timeout_s, NULL, &me);
	else if (!(rc = fc_listener_open(r->listener, o->port)) &&
		 !(rc = fc_session_accept(&r->s, r->listener, r->deadline, o->op_timeout_s, NULL, &me))) {
		char busy[512];
		snprintf(busy, sizeof(busy), "the fabcheck server at %s port %u is busy with a test from %s; "
			 "wait until it ends, or start another server with another -B port",
			 r->s.boot.local_ip, o->port, r->s.peer_label);
		fc_listener_answer_busy(r->listener, busy);
	}
	if (!rc)
		rc = fc_session_params(&r->s, &r->params, prog->test);
	if (!rc)
		rc = open_lanes(r, spec);
	return rc ? rc : converse(r, spec);
}

void fc_run_rec(struct fc_run *r, const struct fc_lane *l, size_t size, struct fc_rec *rec)
{
	const struct fc_xport_info *i = &(l ? l : &r->lanes->lane[0])->info;

	fc_timestamp(r->timestamp, sizeof(r->timestamp));
	*rec = (struct fc_rec){
		.schema = FC_I(FC_SCHEMA_VERSION),
		.tool = r->prog->name,
		.fabcheck_version = FC_VERSION,
		.test = r->params.test,
		.transport = i->transport,
		.provider = i->provider,
		.fabric = *i->fabric ? i->fabric : NULL,
		.domain = l ? i->domain : "all",
		.libfabric = *i->libfabric ? i->libfabric : NULL,
		.fi_api = *i->fi_api ? i->fi_api : NULL,
		.memory = l ? l->memory : r->memory,
		.memory_why = l && *l->memory_why ? l->memory_why : NULL,
		.peer_memory = r->s.peer_memory,
		.local_host = r->local_host,
		.peer_host = r->peer_name,
		.local_addr = l ? i->local_addr : NULL,
		.peer_addr = l ? i->peer_addr : NULL,
		.completion = r->opts->block ? "blocking" : "busy-poll",
		.timestamp = r->timestamp,
		.run = r->run_id,
		.label = r->opts->label,
		.lane = l ? FC_LANE(l->index) : FC_LANE_ALL,
		.lanes = FC_I(fc_lanes_active(r->lanes)),
		.size = size ? FC_I(size) : (fc_int_t){0},
		.gpu_path = i->gpu_path,
		.mr_path = i->mr_path,
	};
	if (r->rank >= 0) {
		rec->rank = FC_I(r->rank);
		rec->peer_rank = FC_I(r->peer_rank);
		rec->round = FC_I(r->round);
		/* the pre-flight's steps as NCCL's plugin would move the data:
		 * the rdma protocol's bandwidth is fabcheck-rma's writedata loop,
		 * everything else (latency, the sendrecv protocol) send/receive */
		if (!strcmp(i->transport, "ofi"))
			rec->protocol = strcmp(r->params.test, "rma") ? "sendrecv" : "rdma";
	}
	if (i->sndbuf >= 0) {
		rec->sock_sndbuf = FC_I(i->sndbuf);
		rec->sock_rcvbuf = FC_I(i->rcvbuf);
	}
}

static int coverage_record(struct fc_run *r, const struct fc_lane *l, const struct fc_cov *c,
			   const struct fc_nic_snapshot *b, const struct fc_nic_snapshot *a)
{
	struct fc_rec rec;
	json_t *j;
	int rc;

	fc_run_rec(r, l, 0, &rec);
	rec.test = "coverage";
	rec.lane = (fc_lane_t){0};
	rec.sent_bytes = FC_I(c->sent);
	rec.recv_bytes = FC_I(c->recvd);
	rec.coverage = fc_coverage_name(c->verdict);
	if (c->verdict == FC_COV_OK || c->verdict == FC_COV_FAILED) {
		rec.nic_tx_bytes = FC_I(c->nic_tx);
		rec.nic_rx_bytes = FC_I(c->nic_rx);
#define DELTA(field) \
	if (a->field >= 0 && b->field >= 0) \
		rec.nic_##field = FC_I(a->field - b->field)
		DELTA(retrans);
		DELTA(timeouts);
		DELTA(unresponsive);
		DELTA(impaired);
		DELTA(drops);
		DELTA(tx_pkts);
#undef DELTA
	}
	j = fc_rec_json(&rec);
	rc = fc_out_write(r->out, j, false);
	json_decref(j);
	return rc;
}

int fc_run_coverage(struct fc_run *r)
{
	struct fc_lanes *set = r->lanes;
	int rc = 0;

	for (int i = 0; i < set->n; i++) {
		struct fc_lane *l = &set->lane[i];
		struct fc_nic_snapshot after;
		uint64_t sent = 0, recvd = 0;
		bool first = true;
		struct fc_cov c;
		char a[32], b[32];

		/* lanes on the same NIC (-E) are checked together, once */
		for (int j = 0; j < set->n; j++) {
			if (strcmp(set->lane[j].info.domain, l->info.domain))
				continue;
			first &= j >= i;
			sent += set->lane[j].tx_bytes;
			recvd += set->lane[j].rx_bytes;
		}
		if (!first)
			continue;
		fc_nic_read(r->opts->sysfs_root, l->info.provider, l->info.domain, &after);
		fc_coverage_verdict(&l->nic_before, &after, sent, recvd, &c);
		if (c.verdict == FC_COV_IDLE)
			continue;
		if (c.verdict == FC_COV_UNVERIFIABLE)
			fc_out_banner(r->out, "coverage %s: no NIC counters (%s): cannot prove where the traffic went",
				      l->info.domain, *after.path ? after.path : "no NIC");
		else if (c.verdict == FC_COV_FAILED) {
			bool tx = !strcmp(c.short_side, "tx");
			fc_err("traffic for %s went elsewhere: fabcheck %s %s through it but its %s_bytes counter "
			       "moved %s (%s); check routes and the NIC-to-address mapping",
			       l->info.domain, tx ? "sent" : "received", fc_size_format(tx ? sent : recvd, a, sizeof(a)),
			       c.short_side, fc_size_format(tx ? c.nic_tx : c.nic_rx, b, sizeof(b)), after.path);
			rc = -FC_EXIT_BELOW;
		} else
			fc_out_banner(r->out, "coverage %s: ok, sent %llu received %llu, NIC tx %llu rx %llu bytes",
				      l->info.domain, (unsigned long long)sent, (unsigned long long)recvd,
				      (unsigned long long)c.nic_tx, (unsigned long long)c.nic_rx);
		if (coverage_record(r, l, &c, &l->nic_before, &after) && !rc)
			rc = -FC_EXIT_FABRIC;
	}
	return rc;
}

/* A NIC that is there but down is a finding: a record names it (host,
 * NIC, link state) and the run ends with exit 1, after the NICs both
 * sides have were measured. */
static int missing_nics(struct fc_run *r)
{
	int rc = 0;

	for (int i = 0; i < r->lanes->n; i++) {
		const struct fc_lane *l = &r->lanes->lane[i];
		struct fc_rec rec;
		char reason[768];
		json_t *j;

		if (l->active || (!l->down && !l->peer_down))
			continue;
		if (l->down)
			snprintf(reason, sizeof(reason), "NIC %s of %s is %s: lane %d was not measured", l->domain,
				 r->local_host, l->link, i);
		else
			snprintf(reason, sizeof(reason), "NIC %s of %s is %s: lane %d was not measured", l->peer_domain,
				 r->s.peer_label, l->peer_link, i);
		fc_err("%s; check its link (ip link, the EFA port state) and cabling or the instance", reason);
		fc_run_rec(r, l, 0, &rec);
		rec.test = "nic";
		rec.local_addr = rec.peer_addr = NULL;
		rec.link_state = l->down ? l->link : l->peer_link;
		rec.verdict = "down";
		rec.reason = reason;
		rec.local_host = l->down ? r->local_host : r->peer_name;
		rec.domain = l->down ? l->domain : l->peer_domain;
		j = fc_rec_json(&rec);
		fc_out_write(r->out, j, false);
		json_decref(j);
		rc = -FC_EXIT_BELOW;
	}
	return rc;
}

/* The measuring threads' own evidence: preempted often while they ran,
 * other work had their CPUs (a quiet run loses its CPU a few times a
 * second at most). */
static void preemption_warning(struct fc_run *r)
{
	uint64_t n = 0, ns = 0;
	double per_s;

	for (int i = 0; r->lanes && i < r->lanes->n; i++) {
		n += r->lanes->lane[i].preempted;
		ns += r->lanes->lane[i].worked_ns;
	}
	per_s = ns ? (double)n / ((double)ns / 1e9) : 0;
	if (n >= 50 && per_s >= 100)
		fc_out_banner(r->out, "warning: the measuring thread(s) lost their CPU %llu times (%.0f per second) to other "
				      "work: the numbers measure the scheduler too; rerun on an idle machine%s",
			      (unsigned long long)n, per_s, r->out->spins ? ", or with -b" : "");
}

/* Adaptive sizes that ran out of time (fc_next_slice): fewer iterations
 * than planned, so their numbers rest on less. */
static void sizes_cut_note(struct fc_run *r)
{
	if (r->is_client && r->sizes_cut)
		fc_out_banner(r->out, "warning: %d size(s) ended at twice --size-time (%.2g s) with fewer iterations "
				      "than the warmup planned (their records give iters_planned): the run slowed down "
				      "after the warmup; rerun on an idle machine",
			      r->sizes_cut, FC_SIZE_TIME_BOUND * r->params.size_time);
}

int fc_run_finish(struct fc_run *r, int rc)
{
	int orc;

	if (r->lanes)
		r->lanes->peer_boot_fd = -1; /* the session's socket is closed after this */
	if (r->out == &r->own_out && r->out->table) {
		preemption_warning(r);
		sizes_cut_note(r);
	}

	if (rc == 0 && r->lanes && r->lanes->n && !(rc = fc_run_coverage(r)))
		rc = missing_nics(r);
	else if (rc == 0 && r->lanes && r->lanes->n)
		missing_nics(r);
	else if (rc && rc != -FC_EXIT_BELOW && r->lanes && r->lanes->n && !fc_stop_signal())
		/* a step that failed still says what its NIC counted: a link that
		 * loses packets fails latency steps by their deadline, and its
		 * retransmissions are the evidence (the run's own error stands) */
		fc_run_coverage(r);
	/* never leave the peer waiting; a coverage failure is this side's own */
	fc_session_forward(&r->s, rc < 0 && rc != -FC_EXIT_BELOW ? rc : 0);
	if (r->lanes != &r->own_lanes && rc) {
		fc_lanes_disconnect(r->lanes); /* kept for the next peer: nothing left posted */
		if (rc != -FC_EXIT_BELOW) /* and a fresh endpoint for it, when this peer failed */
			fc_lanes_taint(r->lanes);
	}
	fc_lanes_close(&r->own_lanes);
	fc_session_close(&r->s);
	fc_listener_close(&r->own_listener);
	/* exit 1 is a verdict on a complete run: its records are whole */
	orc = r->out == &r->own_out && r->out->table ? fc_out_close(r->out, rc == -FC_EXIT_BELOW ? 0 : rc) : 0;
	return rc ? rc : orc;
}
