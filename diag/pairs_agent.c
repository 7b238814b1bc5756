/* The agent: on every node, for the whole run. Opens its lanes once, then
 * for each round meets the peer the coordinator names over them: ping-pong
 * with this node as client or server, bandwidth both ways. It sends back
 * every record it made and every step that failed; whatever happens, it
 * exits 0 (the coordinator carries the verdict). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "errors.h"
#include "log.h"
#include "pairs.h"
#include "pairs_diag.h"
#include "run.h"
#include "stop.h"
#include "timing.h"

static const struct fc_prog pp_prog = {.name = "fabcheck-pairs", .test = "pingpong", .groups = FC_OPTS_PAIR};
static const struct fc_prog bw_prog = {.name = "fabcheck-pairs", .test = "bw",
				       .groups = FC_OPTS_PAIR | FC_OPTS_STREAM};

struct agent {
	const struct fc_pairs_opts *o;
	const struct fc_launch *l;
	struct fc_pairs_cfg cfg;
	struct fc_boot coord;
	struct fc_listener listener;
	struct fc_lanes lanes;
	char host[256];
	uint64_t deadline;
};

static json_t *lane_list(const struct fc_lanes *set)
{
	json_t *arr = json_array();

	for (int i = 0; i < set->n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s}", "domain", set->lane[i].info.domain, "state",
						     set->lane[i].down ? set->lane[i].link : "up"));
	return arr;
}

/* The DMI product name (the instance type on EC2), for the coordinator's
 * absolute floors. */
static void product(const char *sysfs_root, char *out, size_t len)
{
	char path[512];
	FILE *f;

	out[0] = '\0';
	snprintf(path, sizeof(path), "%s/devices/virtual/dmi/id/product_name", sysfs_root);
	if ((f = fopen(path, "r"))) {
		if (fgets(out, (int)len, f))
			out[strcspn(out, "\n")] = '\0';
		fclose(f);
	}
}

static int join(struct agent *a)
{
	char why[256], prod[64];
	json_t *reply = NULL, *hello;
	const char *coord = *a->l->coord ? a->l->coord : "127.0.0.1";
	int rc;

	product(a->o->bench.sysfs_root, prod, sizeof(prod));
	hello = json_pack("{s:s, s:s, s:s, s:i, s:i, s:s, s:i, s:s}", "tool", "fabcheck-pairs", "fabcheck_version",
			  FC_VERSION, "role", "agent", "rank", a->l->rank, "nodes", a->l->nodes, "host", a->host, "port",
			  (int)a->listener.port, "product", prod);
	if (a->o->diag)
		json_object_set_new(hello, "diag", fc_pairs_diag_summary(a->o->diag));
	a->coord.op_timeout_s = a->o->join_timeout_s;
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
	return 0;
}

static int open_lanes(struct agent *a)
{
	const struct fc_opts *b = &a->o->bench;
	struct fc_lanes_spec spec = {
		.ops = fc_xport_find(a->cfg.bw.transport),
		.domains = b->domain,
		.endpoints = b->endpoints,
		.tmpl =
			{
				.provider = a->cfg.bw.provider,
				.fabric = a->cfg.bw.fabric,
				/* the interface this node reaches the cluster on */
				.local_ip = a->coord.local_ip,
				.is_server = true, /* a node is client and server, round by round */
				.block = b->block,
				.sockbuf = b->sockbuf,
				.streams = (int)a->cfg.bw.streams,
				.depth = (size_t)(a->cfg.bw.window ? a->cfg.bw.window : 64) + 2,
				.mem = b->mem,
			},
		.sysfs_root = b->sysfs_root,
		.op_timeout_s = a->cfg.op_timeout_s,
		.deadline = a->deadline,
		.deadline_s = a->o->deadline_s,
	};
	int rc = fc_mem_use(&b->mem);

	if (!rc)
		rc = fc_lanes_open(&a->lanes, &spec);
	if (rc)
		fc_boot_send(&a->coord, FC_MSG_REPORT,
			     json_pack("{s:i, s:b, s:s, s:i}", "round", -1, "ok", 0, "message", fc_first_error(), "exit",
				       fc_exit_status(rc)));
	else
		rc = fc_boot_send(&a->coord, FC_MSG_REPORT, json_pack("{s:i, s:b, s:o}", "round", -1, "ok", 1, "lanes",
								      lane_list(&a->lanes)));
	return rc;
}

struct step {
	const struct fc_bench *bench;
	const struct fc_prog *prog;
	const struct fc_params *params;
	const char *sizes;
	bool client;
};

/* One measured conversation with the round's peer. */
static int run_step(struct agent *a, const struct step *st, const json_t *round, json_t *records)
{
	json_t *peer = json_object_get(round, "peer");
	struct fc_opts o = a->o->bench;
	struct fc_out out;
	struct fc_run r;
	struct fc_run_attach at;
	int rc;

	o.sizes = st->sizes;
	o.op_timeout_s = a->cfg.op_timeout_s;
	fc_out_open_capture(&out, records);
	at = (struct fc_run_attach){
		.opts = &o,
		.prog = st->prog,
		.params = *st->params,
		.lanes = &a->lanes,
		.listener = &a->listener,
		.out = &out,
		.peer = st->client ? json_string_value(json_object_get(peer, "ip")) : NULL,
		.port = (uint16_t)json_integer_value(json_object_get(peer, "port")),
		.deadline = fc_deadline_min(a->deadline, fc_deadline_in(a->cfg.pair_timeout_s / 3)),
		.local_name = json_string_value(json_object_get(round, "self")),
		.peer_name = json_string_value(json_object_get(peer, "label")),
		.rank = a->l->rank,
		.peer_rank = (int)json_integer_value(json_object_get(peer, "rank")),
		.round = (int)json_integer_value(json_object_get(round, "round")),
	};
	rc = fc_run_attach(&r, &at, st->bench->spec);
	if (!rc)
		rc = fc_bench_run(&r, st->bench);
	return fc_run_finish(&r, rc);
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
	return json_is_string(json_object_get(peer, "ip")) && strlen(json_string_value(json_object_get(peer, "ip"))) < 64 &&
	       json_is_string(json_object_get(peer, "label")) &&
	       strlen(json_string_value(json_object_get(peer, "label"))) <= 200 && rank >= 0 && rank < nodes && port > 0 &&
	       port < 65536 && json_is_boolean(json_object_get(m, "first"));
}

static int do_round(struct agent *a, json_t *round)
{
	bool first = json_is_true(json_object_get(round, "first"));
	const struct step steps[] = {
		{&fc_bench_pingpong, &pp_prog, &a->cfg.pp, a->cfg.pp_sizes, first},
		{&fc_bench_bw, &bw_prog, &a->cfg.bw, a->cfg.bw_sizes, first},
		{&fc_bench_bw, &bw_prog, &a->cfg.bw, a->cfg.bw_sizes, !first},
	};
	json_t *records = json_array(), *failures = json_array();

	fc_lanes_renew_stuck(&a->lanes);
	for (size_t i = 0; !json_is_null(json_object_get(round, "peer")) && i < sizeof(steps) / sizeof(steps[0]); i++) {
		int rc = run_step(a, &steps[i], round, records);
		if (rc && rc != -FC_EXIT_BELOW) {
			json_array_append_new(failures, json_pack("{s:i, s:i, s:s}", "step", (int)i, "exit", fc_exit_status(rc),
								  "message", fc_first_error()));
			if (fc_stop_signal())
				break;
			/* a peer that is gone stays gone: no more waiting on it */
			if (rc == -FC_EXIT_PEER)
				break;
		}
	}
	return fc_boot_send(&a->coord, FC_MSG_REPORT,
			    json_pack("{s:O, s:o, s:o}", "round", json_object_get(round, "round"), "records", records,
				      "failures", failures));
}

int fc_pairs_agent(const struct fc_pairs_opts *o, const struct fc_launch *l)
{
	struct agent a = {.o = o, .l = l};
	int rc;

	a.coord.fd = -1;
	a.listener.fd = -1;
	a.deadline = fc_deadline_in(o->deadline_s);
	if (gethostname(a.host, sizeof(a.host)))
		snprintf(a.host, sizeof(a.host), "unknown");
	if (!(rc = fc_listener_open(&a.listener, 0)) && !(rc = join(&a)) && !(rc = open_lanes(&a))) {
		for (;;) {
			enum fc_boot_type got;
			json_t *m = NULL;
			a.coord.op_timeout_s = a.o->deadline_s;
			rc = fc_boot_expect_any(&a.coord, 1u << FC_MSG_ROUND | 1u << FC_MSG_FINISH, a.deadline,
						"waiting for the coordinator's next round", &got, &m);
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
			fc_err_mark();
			rc = do_round(&a, m);
			json_decref(m);
			if (rc || fc_stop_signal())
				break;
		}
	}
	if (rc && !fc_stop_signal())
		fc_note("agent rank %d ends: %s", l->rank, *fc_first_error() ? fc_first_error() : "the coordinator finished");
	fc_lanes_close(&a.lanes);
	fc_boot_close(&a.coord);
	fc_listener_close(&a.listener);
	return 0;
}
