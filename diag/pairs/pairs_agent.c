/* The agent: on every node, for the whole run. Opens its lanes once, then
 * for each round meets the peer the coordinator names over them: ping-pong
 * with this node as client or server, bandwidth both ways. It sends back
 * every record it made and every step that failed; whatever happens, it
 * exits 0 (the coordinator carries the verdict). */
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benches.h"
#include "diag.h"
#include "errors.h"
#include "hostname.h"
#include "log.h"
#include "pairs.h"
#include "pairs_diag.h"
#include "pairs_nodeset.h"
#include "pairs_steps.h"
#include "run.h"
#include "status.h"
#include "stop.h"
#include "timing.h"

static const struct fc_prog pp_prog = {.name = "fabcheck-pairs", .test = "pingpong", .groups = FC_OPTS_PAIR};
static const struct fc_prog bw_prog = {.name = "fabcheck-pairs", .test = "bw",
				       .groups = FC_OPTS_PAIR | FC_OPTS_STREAM};
static const struct fc_prog rma_prog = {.name = "fabcheck-pairs", .test = "rma",
					.groups = FC_OPTS_PAIR | FC_OPTS_RMA};

struct agent {
	const struct fc_pairs_opts *o;
	const struct fc_launch *l;
	struct fc_pairs_cfg cfg;
	struct fc_params rma; /* --protocol rdma: the bandwidth steps as fabcheck-rma --op writedata */
	bool rdma;
	struct fc_boot coord;
	struct fc_listener listener;
	struct fc_lanes lanes;
	/* --fabrics both: lanes on the fabric aws-ofi-nccl's other protocol
	 * would get, where it is not the lanes' own (n 0: none) */
	struct fc_lanes other;
	char other_fabric[128];
	char other_error[512]; /* offered, but its lanes did not open: why */
	char host[256];
	uint64_t deadline;
	bool block; /* blocking completions: asked (-b), or too few CPUs to spin */
	struct fc_nodeset nodes; /* the launcher's nodes: the only partners taken */
	struct fc_status status; /* why the agent itself stops (not a step's reason) */
};

static json_t *lane_list(const struct fc_lanes *set)
{
	json_t *arr = json_array();

	for (int i = 0; i < set->n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s}", "domain", set->lane[i].info.domain, "state",
						     set->lane[i].down ? set->lane[i].link : "up"));
	return arr;
}

static int join(struct agent *a)
{
	char why[256], prod[64];
	json_t *reply = NULL, *hello;
	const char *coord = *a->l->coord ? a->l->coord : "127.0.0.1";
	int rc;

	diag_dmi_product(a->o->bench.sysfs_root, prod, sizeof(prod)); /* the coordinator's absolute floors */
	hello = json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:s}", "tool", "fabcheck-pairs", "fabcheck_version",
			  FC_VERSION, "role", "agent", "rank", a->l->rank, "nodes", a->l->nodes, "port",
			  (int)a->listener.port, "product", prod);
	/* names the coordinator would refuse are left out: it knows this node
	 * by its address then */
	if (fc_host_name_ok(a->host))
		json_object_set_new(hello, "host", json_string(a->host));
	else
		fc_note("this host's name is no RFC 1123 host name; the run names it by its address");
	if (*a->l->job_id) /* the run this agent belongs to */
		json_object_set_new(hello, "job_id", json_string(a->l->job_id));
	if (*a->l->secret) /* in clear, as everything on this connection: it keeps strangers out, not eavesdroppers */
		json_object_set_new(hello, "secret", json_string(a->l->secret));
	if (fc_host_name_ok(a->l->node_name)) /* the scheduler's name, for the coordinator's drain commands */
		json_object_set_new(hello, "node_name", json_string(a->l->node_name));
	else if (*a->l->node_name)
		fc_note("the launcher's node name for this host is no RFC 1123 host name; no drain command will name it");
	if (a->o->diag)
		json_object_set_new(hello, "diag", fc_pairs_diag_summary(a->o->diag));
	a->coord.op_timeout_s = a->o->join_timeout_s;
	a->coord.no_answer_remedy = "that is where this node looks for the coordinator (rank 0): start rank 0, check "
				    "--coordinator (or the launcher's), and that its port is open between the nodes, or "
				    "raise --join-timeout";
	if ((rc = fc_boot_connect(&a->coord, coord, a->l->coord_port, fc_deadline_in(a->o->join_timeout_s), hello,
				  &reply)))
		return rc;
	a->coord.op_timeout_s = 30;
	fc_boot_keepalive(&a->coord, 5);
	if (strcmp(json_string_value(json_object_get(reply, "role")) ? json_string_value(json_object_get(reply, "role")) : "",
		   "coordinator") ||
	    fc_pairs_cfg_from_json(json_object_get(reply, "config"), &a->cfg, why, sizeof(why))) {
		json_decref(reply);
		return fc_boot_fail(&a->coord, FC_EXIT_USAGE, "rank %d refuses the coordinator's configuration: %s",
				    a->l->rank, "not a fabcheck-pairs coordinator of this version, or a bad configuration");
	}
	json_decref(reply);
	a->rdma = !strcmp(a->cfg.protocol, "rdma");
	a->rma = a->cfg.bw;
	snprintf(a->rma.test, sizeof(a->rma.test), "rma");
	snprintf(a->rma.op, sizeof(a->rma.op), "writedata");
	return 0;
}

/* The lanes every round runs on, as the engine opens a benchmark's: deep
 * enough for the bandwidth step's window. */
/* The CPUs this agent may run on (its affinity: a container's or
 * taskset's share, not the machine's count). */
static long usable_cpus(void)
{
	cpu_set_t set;

	if (!sched_getaffinity(0, sizeof(set), &set))
		return CPU_COUNT(&set);
	return sysconf(_SC_NPROCESSORS_ONLN);
}

static bool too_few_cpus(int rank, int lanes)
{
	long cpus = usable_cpus();

	if (cpus <= 0 || lanes + 1 <= cpus)
		return false;
	fc_note("rank %d: %d busy-polling lane(s) and the agent need %d CPUs, this node has %ld: blocking completions "
		"instead (the records say \"completion\": \"blocking\"; give -b to choose it yourself)",
		rank, lanes, lanes + 1, cpus);
	return true;
}

/* aws-ofi-nccl's two protocols as the bandwidth steps run them: RDMA
 * write with immediate data (fabcheck-rma --op writedata's loop) or send
 * and receive (fabcheck-bw's). The run's is cfg.protocol; the other
 * fabric's is the other one. */
struct protocol {
	const char *name;
	const struct fc_run_spec *spec;
	const struct fc_bench *bench;
	const struct fc_prog *prog;
	const struct fc_params *params;
};

static struct protocol protocol_of(const struct agent *a, bool rdma)
{
	return rdma ? (struct protocol){"rdma", &fc_rma_spec, &fc_bench_rma, &rma_prog, &a->rma}
		    : (struct protocol){"sendrecv", &fc_bw_spec, &fc_bench_bw, &bw_prog, &a->cfg.bw};
}

/* A lane set's first lane that opened (NULL: none; a NIC that is down is
 * planned but not opened). */
static const struct fc_lane *first_open_lane(const struct fc_lanes *set)
{
	for (int i = 0; i < set->n; i++)
		if (!set->lane[i].down)
			return &set->lane[i];
	return NULL;
}

/* The fabric a lane set opened on (its first open lane's). */
static const char *fabric_of_lanes(const struct fc_lanes *set)
{
	const struct fc_lane *l = first_open_lane(set);
	return l ? l->info.fabric : "";
}

/* aws-ofi-nccl's other protocol (send/receive when the run measures RDMA
 * writes, RDMA writes when it measures send/receive) asks the provider for
 * other things (ordering; RMA): on libfabric 2.x EFA the answer is the
 * other fabric, efa where the run is on efa-direct and back. Where it is
 * another fabric than the lanes', lanes open there too, on the same NICs.
 * Nothing here fails the agent: a fabric offered that does not open is
 * reported as such. */
static void open_other(struct agent *a, const struct fc_opts *o)
{
	struct protocol theirs = protocol_of(a, !a->rdma);
	struct fc_lanes_spec spec = fc_run_lanes_spec(o, theirs.params, theirs.spec, a->coord.local_ip, true, a->deadline);
	struct fc_xport_cfg ask = spec.tmpl;
	const char *mine = fabric_of_lanes(&a->lanes);
	struct fc_status st, *outer;

	if (!a->cfg.other_fabric || *a->cfg.bw.fabric || strcmp(a->cfg.bw.transport, "ofi") || !spec.ops->fabric_of ||
	    !a->lanes.n || !*mine)
		return;
	ask.domain = first_open_lane(&a->lanes)->info.domain; /* mine is set: one opened */
	if (spec.ops->fabric_of(&ask, a->other_fabric, sizeof(a->other_fabric)) || !strcmp(a->other_fabric, mine)) {
		*a->other_fabric = '\0'; /* the other protocol gets no other fabric */
		return;
	}
	spec.tmpl.fabric = a->other_fabric;
	fc_status_clear(&st);
	outer = fc_status_bind(&st);
	if (fc_lanes_open(&a->other, &spec)) {
		snprintf(a->other_error, sizeof(a->other_error), "%s",
			 fc_status_msg(&st, "its lanes did not open (no reason recorded)"));
		memset(&a->other, 0, sizeof(a->other));
	}
	fc_status_bind(outer);
	if (*a->other_error)
		fc_note("rank %d: fabric %s (aws-ofi-nccl's %s protocol would get it) is offered but does not open; the "
			"run goes on over %s, which is NCCL's here",
			a->l->rank, a->other_fabric, theirs.name, mine);
}

static json_t *other_report(const struct agent *a)
{
	if (!*a->other_fabric)
		return json_null();
	return json_pack("{s:s, s:i, s:s?}", "fabric", a->other_fabric, "lanes", a->other.n, "error",
			 *a->other_error ? a->other_error : NULL);
}

static int open_lanes(struct agent *a)
{
	struct fc_opts o = a->o->bench;
	struct fc_lanes_spec spec;
	struct fc_status st, *outer;
	int rc;

	o.op_timeout_s = a->cfg.op_timeout_s;
	o.deadline_s = a->o->deadline_s;
	/* the interface this node reaches the cluster on; a node is client
	 * and server, round by round */
	/* RDMA write steps need lanes that register for remote access */
	struct protocol mine = protocol_of(a, a->rdma);
	spec = fc_run_lanes_spec(&o, mine.params, mine.spec, a->coord.local_ip, true, a->deadline);
	fc_status_clear(&st);
	outer = fc_status_bind(&st);
	rc = fc_mem_use(&o.mem);
	if (!rc)
		rc = fc_lanes_open(&a->lanes, &spec);
	a->block = o.block;
	if (!rc && !o.block && too_few_cpus(a->l->rank, a->lanes.n)) {
		/* every lane spins a thread, the agent needs one more: with
		 * fewer CPUs they starve each other and healthy nodes fail */
		fc_lanes_close(&a->lanes);
		o.block = a->block = true;
		spec = fc_run_lanes_spec(&o, mine.params, mine.spec, a->coord.local_ip, true, a->deadline);
		rc = fc_lanes_open(&a->lanes, &spec);
	}
	if (!rc) {
		o.block = a->block;
		open_other(a, &o);
	}
	fc_status_bind(outer);
	fc_status_take(outer, &st); /* the agent ends for this reason */
	if (rc)
		fc_boot_send(&a->coord, FC_MSG_REPORT,
			     json_pack("{s:i, s:b, s:s, s:i}", "round", -1, "ok", 0, "message",
				       fc_status_msg(&st, "the lanes did not open (no reason recorded)"), "exit",
				       fc_exit_status(rc)));
	else
		rc = fc_boot_send(&a->coord, FC_MSG_REPORT,
				  json_pack("{s:i, s:b, s:s, s:o, s:o}", "round", -1, "ok", 1, "fabric",
					    fabric_of_lanes(&a->lanes), "lanes", lane_list(&a->lanes), "other",
					    other_report(a)));
	return rc;
}

struct step {
	struct fc_lanes *lanes;
	const struct fc_bench *bench;
	const struct fc_prog *prog;
	const struct fc_params *params;
	const char *sizes;
	bool client;
};

/* One measured conversation with the round's peer; its reason in *why. */
static int run_step(struct agent *a, const struct step *st, const json_t *round, json_t *records,
		    struct fc_status *why)
{
	json_t *peer = json_object_get(round, "peer");
	struct fc_opts o = a->o->bench;
	struct fc_out out;
	struct fc_run r;
	struct fc_run_attach at;
	int rc;

	o.sizes = st->sizes;
	o.op_timeout_s = a->cfg.op_timeout_s;
	o.block = a->block; /* what the lanes were opened with */
	fc_out_open_capture(&out, records);
	at = (struct fc_run_attach){
		.opts = &o,
		.prog = st->prog,
		.params = *st->params,
		.lanes = st->lanes,
		.listener = &a->listener,
		.out = &out,
		.peer = st->client ? json_string_value(json_object_get(peer, "ip")) : NULL,
		.port = (uint16_t)json_integer_value(json_object_get(peer, "port")),
		.deadline = fc_deadline_min(a->deadline, fc_deadline_in(a->cfg.pair_timeout_s / 3)),
		/* a third of --pair-timeout per step, unless -t ends sooner */
		.deadline_option = a->deadline < fc_deadline_in(a->cfg.pair_timeout_s / 3) ? NULL : "--pair-timeout",
		.local_name = json_string_value(json_object_get(round, "self")),
		.peer_name = json_string_value(json_object_get(peer, "label")),
		.rank = a->l->rank,
		.peer_rank = (int)json_integer_value(json_object_get(peer, "rank")),
		.round = (int)json_integer_value(json_object_get(round, "round")),
		.token = json_string_value(json_object_get(peer, "token")),
	};
	rc = fc_run_attach(&r, &at, st->bench->spec);
	if (!rc)
		rc = fc_bench_run(&r, st->bench);
	rc = fc_run_finish(&r, rc);
	fc_status_take(why, &r.s.status);
	return rc;
}

static bool token_ok(const json_t *t)
{
	const char *s = json_string_value(t);
	return s && strlen(s) == FC_ROUND_TOKEN_HEX && strspn(s, "0123456789abcdef") == FC_ROUND_TOKEN_HEX;
}

/* A round's message from the coordinator, checked before use. */
static bool round_ok(const json_t *m, int nodes)
{
	const json_t *peer = json_object_get(m, "peer");
	json_int_t rank = json_integer_value(json_object_get(peer, "rank"));
	json_int_t port = json_integer_value(json_object_get(peer, "port"));
	const char *self = json_string_value(json_object_get(m, "self"));

	if (!json_is_integer(json_object_get(m, "round")) || !self || strlen(self) > 200)
		return false;
	if (json_is_null(peer) || !peer)
		return true;
	/* the partner is an address (an agent resolves no name a coordinator
	 * gives) and comes with the round's token */
	return fc_ip_literal(json_string_value(json_object_get(peer, "ip"))) && token_ok(json_object_get(peer, "token")) &&
	       json_is_string(json_object_get(peer, "label")) &&
	       strlen(json_string_value(json_object_get(peer, "label"))) <= 200 && rank >= 0 && rank < nodes && port > 0 &&
	       port < 65536 && json_is_boolean(json_object_get(m, "first"));
}

/* The round's partner is one of the launcher's nodes (any, where the
 * launcher names none): said when not. */
static bool partner_known(const struct agent *a, const json_t *round)
{
	const char *ip = json_string_value(json_object_get(json_object_get(round, "peer"), "ip"));

	if (!ip || fc_nodeset_has(&a->nodes, ip))
		return true;
	fc_err("rank %d: the coordinator sent this node to %s, which is none of the launcher's nodes (%zu address(es))",
	       a->l->rank, ip, a->nodes.n);
	return false;
}

struct round_ctx {
	struct agent *a;
	const struct step *steps;
	const json_t *round;
	json_t *records;
};

static int round_step(void *ctx, size_t i, struct fc_status *why)
{
	struct round_ctx *rc = ctx;

	return run_step(rc->a, &rc->steps[i], rc->round, rc->records, why);
}

/* While a round's steps run the coordinator may cut them (FC_MSG_CUT, a
 * pair far slower than the run's others): this thread only watches the
 * connection, and the frame is read after the round, before the next. */
struct watch {
	int fd;
	atomic_bool stop;
	atomic_bool *cut, *cut2; /* cut2: the other fabric's lanes, or NULL */
};

static void *watch_coordinator(void *arg)
{
	struct watch *w = arg;

	while (!atomic_load(&w->stop)) {
		struct pollfd pfd = {.fd = w->fd, .events = POLLIN};
		if (poll(&pfd, 1, 100) > 0) {
			atomic_store(w->cut, true);
			if (w->cut2)
				atomic_store(w->cut2, true);
			break;
		}
	}
	return NULL;
}

static struct fc_step_lanes step_lanes(void *ctx)
{
	struct fc_lanes *set = ((struct round_ctx *)ctx)->steps[0].lanes;
	struct fc_step_lanes s = {atomic_load(&set->failed_lane), 0};

	for (int i = 0; i < set->n && i < 63; i++)
		s.progressed |= (uint64_t)set->lane[i].progressed << i;
	return s;
}

static void begin_step_set(struct fc_lanes *set)
{
	fc_lanes_renew(set);
	atomic_store(&set->cut, false);
}

static int do_round(struct agent *a, json_t *round)
{
	bool first = json_is_true(json_object_get(round, "first"));
	/* the bandwidth steps move data as NCCL's plugin does on this type
	 * (one each way); the other fabric gets the other protocol */
	struct protocol bw = protocol_of(a, a->rdma), obw = protocol_of(a, !a->rdma);
	struct step steps[] = {
		{&a->lanes, &fc_bench_pingpong, &pp_prog, &a->cfg.pp, a->cfg.pp_sizes, first},
		{&a->lanes, bw.bench, bw.prog, bw.params, a->cfg.bw_sizes, first},
		{&a->lanes, bw.bench, bw.prog, bw.params, a->cfg.bw_sizes, !first},
	};
	/* the other fabric's one step: the other protocol's bandwidth, the
	 * round's first side writing or sending */
	struct step other = {&a->other, obw.bench, obw.prog, obw.params, a->cfg.bw_sizes, first};
	struct round_ctx ctx = {a, steps, round, json_array()};
	struct round_ctx octx = {a, &other, round, json_array()};
	bool paired = !json_is_null(json_object_get(round, "peer"));
	size_t n = paired ? sizeof(steps) / sizeof(steps[0]) : 0;
	/* both ends opened the same other fabric: the coordinator says so */
	size_t on = paired && a->other.n && json_is_true(json_object_get(round, "other")) ? 1 : 0;
	json_t *failures, *other_failures;

	struct watch w = {.fd = a->coord.fd, .cut = &a->lanes.cut, .cut2 = on ? &a->other.cut : NULL};
	pthread_t watcher;
	bool watching;

	begin_step_set(&a->lanes);
	if (on)
		begin_step_set(&a->other);
	atomic_init(&w.stop, false);
	watching = n && pthread_create(&watcher, NULL, watch_coordinator, &w) == 0;
	failures = fc_pairs_run_steps(n, round_step, step_lanes, &ctx);
	/* a partner gone or a stop ends the round before the other fabric */
	if (json_array_size(failures) &&
	    json_integer_value(json_object_get(json_array_get(failures, json_array_size(failures) - 1), "exit")) ==
		    FC_EXIT_PEER)
		on = 0;
	other_failures = fc_pairs_run_steps(fc_stop_signal() ? 0 : on, round_step, NULL, &octx);
	if (watching) {
		atomic_store(&w.stop, true);
		pthread_join(watcher, NULL);
	}
	return fc_boot_send(&a->coord, FC_MSG_REPORT,
			    json_pack("{s:O, s:o, s:o, s:o, s:o}", "round", json_object_get(round, "round"), "records",
				      ctx.records, "failures", failures, "other_records", octx.records, "other_failures",
				      other_failures));
}

int fc_pairs_agent(const struct fc_pairs_opts *o, const struct fc_launch *l)
{
	struct agent a = {.o = o, .l = l};
	struct fc_status *outer = fc_status_bind(&a.status);
	int rc;

	a.coord.fd = -1;
	a.coord.status = &a.status;
	a.listener.fd = -1;
	a.listener.no_client_remedy = "the round's partner did not connect within the step deadline (a third of "
				      "--pair-timeout): see its own lines for why, or raise --pair-timeout";
	a.deadline = fc_deadline_in(o->deadline_s);
	if (gethostname(a.host, sizeof(a.host)))
		snprintf(a.host, sizeof(a.host), "unknown");
	{
		char why[320];
		if (fc_nodeset_from_list(&a.nodes, l->hosts, why, sizeof(why)) == 1 && *l->hosts)
			fc_note("rank %d takes any partner the coordinator names: %s", l->rank, why);
	}
	if (!(rc = fc_listener_open(&a.listener, 0)) && !(rc = join(&a)) && !(rc = open_lanes(&a))) {
		/* the coordinator starts no round past -t, and a round it
		 * started ends within its budget: wait that long for the next */
		double wait_s = o->deadline_s + a.cfg.pair_timeout_s + 30;
		a.deadline = fc_deadline_in(wait_s);
		for (;;) {
			enum fc_boot_type got;
			json_t *m = NULL;
			a.coord.op_timeout_s = wait_s;
			/* a cut that came as the round ended is read here */
			do {
				json_decref(m);
				m = NULL;
				rc = fc_boot_expect_any(&a.coord,
							1u << FC_MSG_ROUND | 1u << FC_MSG_FINISH | 1u << FC_MSG_CUT,
							a.deadline, "waiting for the coordinator's next round", &got, &m);
			} while (!rc && got == FC_MSG_CUT);
			a.coord.op_timeout_s = 30;
			if (rc || got == FC_MSG_FINISH) {
				json_decref(m);
				break;
			}
			if (!round_ok(m, l->nodes)) {
				json_decref(m);
				rc = fc_boot_fail(&a.coord, FC_EXIT_USAGE, "rank %d: a round from the coordinator is malformed",
						  l->rank);
				break;
			}
			if (!partner_known(&a, m)) {
				json_decref(m);
				rc = fc_boot_fail(&a.coord, FC_EXIT_USAGE,
						  "rank %d refuses the round: an agent meets only the job's nodes (is %s this "
						  "run's coordinator?)",
						  l->rank, a.coord.peer_host);
				break;
			}
			rc = do_round(&a, m);
			json_decref(m);
			if (rc || fc_stop_signal())
				break;
		}
	}
	if (rc && !fc_stop_signal())
		fc_note("agent rank %d ends: %s", l->rank, fc_status_msg(&a.status, "the coordinator finished"));
	fc_lanes_close(&a.other);
	fc_lanes_close(&a.lanes);
	fc_boot_close(&a.coord);
	fc_listener_close(&a.listener);
	fc_nodeset_free(&a.nodes);
	fc_status_bind(outer);
	return 0;
}
