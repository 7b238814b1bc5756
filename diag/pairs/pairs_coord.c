/* The coordinator (rank 0's other process): takes the agents' joins,
 * plans rounds of disjoint pairs, hands each agent its peer, collects and
 * checks their records, retries what failed once, judges nodes, NICs and
 * links, and writes the outputs (pairs_out.c). A node that never joins or
 * stops answering is reported unreachable and the run goes on without it. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "errors.h"
#include "hex.h"
#include "hostname.h"
#include "log.h"
#include "pairs.h"
#include "pairs_coord.h"
#include "pairs_diag.h"
#include "pairs_schedule.h"
#include "record.h"
#include "sizes.h"
#include "stop.h"
#include "timing.h"

/* ---- joins ---- */

/* NULL when h is a join from an agent of this run, else why not. The
 * names it gives (host, the scheduler's node name) go into good-hosts.txt
 * and printed drain commands: only host names and IP literals pass. An
 * agent whose own name is not one joins without it, by its address. */
static const char *hello_refusal(const json_t *h, const struct fc_launch *l, int *rank, char *host, size_t hlen,
				 int *port, char *prod, size_t plen, struct cnode *scratch)
{
	const int nodes = l->nodes;
	const char *job_id = l->job_id;
	const char *secret = json_string_value(json_object_get(h, "secret"));
	const char *job = json_string_value(json_object_get(h, "job_id"));
	const char *tool = json_string_value(json_object_get(h, "tool"));
	const char *role = json_string_value(json_object_get(h, "role"));
	const char *hs = json_string_value(json_object_get(h, "host"));
	const char *ns = json_string_value(json_object_get(h, "node_name"));
	const char *ps = json_string_value(json_object_get(h, "product"));
	json_int_t r = json_integer_value(json_object_get(h, "rank")), p = json_integer_value(json_object_get(h, "port"));

	if (!tool || strcmp(tool, "fabcheck-pairs") || !role || strcmp(role, "agent") || r < 0 || r >= nodes ||
	    p < 1 || p > 65535 || json_integer_value(json_object_get(h, "nodes")) != nodes)
		return "not a fabcheck-pairs agent of this run";
	/* the launcher's job id is the run's identity: two pre-flights that
	 * share an address and port do not mix */
	if (strcmp(job ? job : "", job_id))
		return "it belongs to another run (another launcher job id)";
	/* ... and where the job sets one, its secret: a stranger who knows
	 * the job id and the port still cannot join */
	if (!fc_run_secret_equal(secret && strlen(secret) <= FC_RUN_SECRET_MAX ? secret : "-", l->secret) &&
	    (*l->secret || secret))
		return "it does not present this run's secret (FABCHECK_RUN_SECRET, the same on every node)";
	if ((json_object_get(h, "host") && (!hs || !fc_host_name_ok(hs))) ||
	    (json_object_get(h, "node_name") && (!ns || !fc_host_name_ok(ns))))
		return "its host or node name is not an RFC 1123 host name or an IP address";
	if (fc_pairs_diag_take(json_object_get(h, "diag"), &scratch->diag_fail, scratch->diag, sizeof(scratch->diag)))
		return "its diag findings are malformed";
	*rank = (int)r;
	*port = (int)p;
	snprintf(host, hlen, "%s", hs ? hs : "");
	snprintf(scratch->node_name, sizeof(scratch->node_name), "%s", ns ? ns : "");
	fc_printable(prod, plen, ps && strlen(ps) < plen ? ps : "");
	return NULL;
}

static int accept_joins(struct coord *c)
{
	uint64_t deadline = fc_deadline_in(c->o->join_timeout_s);
	int joined = 0;

	fc_note("coordinator: waiting for %d node(s) on port %u (join timeout %.0f s)", c->n, c->listener.port,
		c->o->join_timeout_s);
	while (joined < c->n && !fc_stop_signal()) {
		struct fc_boot b = {.fd = -1, .op_timeout_s = 10};
		json_t *h = NULL;
		int rank, port, rc;
		char host[FC_HOST_NAME_MAX + 1], prod[64];
		const char *why;
		struct cnode got = {0};

		rc = fc_listener_accept(&c->listener, deadline, 10, &b, &h);
		if (rc)
			break;
		if ((why = hello_refusal(h, c->l, &rank, host, sizeof(host), &port, prod, sizeof(prod), &got)) ||
		    (c->node[rank].joined && (why = "its rank joined already"))) {
			char told[256];
			snprintf(told, sizeof(told), "refused: %s (this run has %d nodes)", why, c->n);
			fc_warn("coordinator: refused a join from %s: %s", b.peer_ip, why);
			fc_boot_tell(b.fd, FC_EXIT_USAGE, told);
			fc_boot_close(&b);
			json_decref(h);
			continue;
		}
		fc_boot_keepalive(&b, 5);
		c->node[rank].joined = c->node[rank].alive = true;
		c->node[rank].b = b;
		c->node[rank].port = (uint16_t)port;
		/* a node that gave no usable name is known by its address */
		snprintf(c->node[rank].host, sizeof(c->node[rank].host), "%s", *host ? host : b.peer_ip);
		snprintf(c->node[rank].ip, sizeof(c->node[rank].ip), "%s", b.peer_ip);
		snprintf(c->node[rank].product, sizeof(c->node[rank].product), "%s", prod);
		snprintf(c->node[rank].node_name, sizeof(c->node[rank].node_name), "%s", got.node_name);
		c->node[rank].diag_fail = got.diag_fail;
		memcpy(c->node[rank].diag, got.diag, sizeof(got.diag));
		json_decref(h);
		if (fc_boot_send(&c->node[rank].b, FC_MSG_HELLO,
				 json_pack("{s:s, s:s, s:s, s:o}", "tool", "fabcheck-pairs", "fabcheck_version", FC_VERSION,
					   "role", "coordinator", "config", fc_pairs_cfg_json(&c->o->cfg)))) {
			c->node[rank].alive = false;
			continue;
		}
		joined++;
		fc_progress("coordinator: %d of %d node(s) joined", joined, c->n);
	}
	fc_progress_done();
	return joined;
}

/* Each agent says it opened its lanes (or why it could not). */
static void await_ready(struct coord *c)
{
	for (int i = 0; i < c->n; i++) {
		struct cnode *nd = &c->node[i];
		json_t *m = NULL;
		double op = nd->b.op_timeout_s;
		int rc;

		if (!nd->alive)
			continue;
		/* opening lanes (and reopening them blocking on too few CPUs)
		 * can take long on a loaded node: the whole minute, not -T's */
		nd->b.op_timeout_s = 60;
		rc = fc_boot_expect(&nd->b, FC_MSG_REPORT, fc_deadline_in(60), "waiting for the agent to open its lanes", &m);
		nd->b.op_timeout_s = op;
		if (rc || !json_is_true(json_object_get(m, "ok"))) {
			const char *why = json_string_value(json_object_get(m, "message"));
			char text[512];
			snprintf(nd->lost, sizeof(nd->lost), "could not open its lanes: %s",
				 why ? fc_printable(text, sizeof(text), why) : "it went away");
			nd->open_exit = m ? (int)json_integer_value(json_object_get(m, "exit")) : FC_EXIT_PEER;
			nd->alive = false;
		} else {
			json_t *lanes = json_object_get(m, "lanes"), *other = json_object_get(m, "other");
			const char *fab = json_string_value(json_object_get(m, "fabric"));
			const char *ofab = json_string_value(json_object_get(other, "fabric"));
			const char *oerr = json_string_value(json_object_get(other, "error"));
			size_t k;
			json_t *e;
			fc_printable(nd->fabric, sizeof(nd->fabric), fab && strlen(fab) < 128 ? fab : "");
			fc_printable(nd->other_fabric, sizeof(nd->other_fabric), ofab && strlen(ofab) < 128 ? ofab : "");
			fc_printable(nd->other_error, sizeof(nd->other_error), oerr ? oerr : "");
			/* bounded as its own lanes are: it sizes what a report may hold */
			json_int_t on = json_integer_value(json_object_get(other, "lanes"));
			nd->other_nlanes = *nd->other_fabric && !*nd->other_error && on > 0
						   ? (int)(on < FC_PV_MAX_LANES ? on : FC_PV_MAX_LANES)
						   : 0;
			nd->nlanes = json_array_size(lanes) < FC_PV_MAX_LANES ? (int)json_array_size(lanes) : FC_PV_MAX_LANES;
			json_array_foreach(lanes, k, e) {
				const char *d = json_string_value(json_object_get(e, "domain"));
				const char *st = json_string_value(json_object_get(e, "state"));
				if ((int)k >= nd->nlanes)
					continue;
				fc_printable(nd->lane_domain[k], sizeof(nd->lane_domain[k]), d && strlen(d) < 64 ? d : "?");
				fc_printable(nd->lane_state[k], sizeof(nd->lane_state[k]), st && strlen(st) < 32 ? st : "?");
				if (strcmp(nd->lane_state[k], "up"))
					nd->down_lanes |= 1ull << k;
			}
		}
		json_decref(m);
	}
}

/* Unique names for records and verdicts: the host name, or where names
 * collide (containers, namespaces) the address, or both with the rank. */
/* Rank i's entry in the launcher's comma-separated node list, when it is
 * a host name or an address (SkyPilot's SKYPILOT_NODE_IPS, Slurm's list). */
static bool launcher_host(const struct coord *c, int i, char *dst, size_t len)
{
	const char *p = c->l ? c->l->hosts : "";
	size_t n;

	for (int k = 0; k < i && p; k++)
		p = (p = strchr(p, ',')) ? p + 1 : NULL;
	if (!p || !*p)
		return false;
	n = strcspn(p, ",");
	if (n >= len)
		return false;
	memcpy(dst, p, n);
	dst[n] = '\0';
	return fc_host_name_ok(dst);
}

static void label_nodes(struct coord *c)
{
	for (int i = 0; i < c->n; i++) {
		struct cnode *nd = &c->node[i];
		bool host_dup = false, ip_dup = false;
		for (int j = 0; j < c->n; j++) {
			if (j == i || !c->node[j].joined)
				continue;
			host_dup |= !strcmp(c->node[j].host, nd->host);
			ip_dup |= !strcmp(c->node[j].ip, nd->ip);
		}
		/* a node that never joined is named as its launcher knows it */
		if (!nd->joined && launcher_host(c, i, nd->host, sizeof(nd->host)))
			snprintf(nd->label, sizeof(nd->label), "%s", nd->host);
		else if (!nd->joined)
			snprintf(nd->label, sizeof(nd->label), "rank%d", i);
		else if (!host_dup)
			snprintf(nd->label, sizeof(nd->label), "%s", nd->host);
		else if (!ip_dup)
			snprintf(nd->label, sizeof(nd->label), "%s", nd->ip);
		else
			snprintf(nd->label, sizeof(nd->label), "%s-r%d", nd->host, i);
	}
}

/* ---- a round ---- */

static void lose(struct coord *c, int i, const char *why)
{
	struct cnode *nd = &c->node[i];
	if (!nd->alive)
		return;
	nd->alive = false;
	snprintf(nd->lost, sizeof(nd->lost), "%s", why);
	fc_boot_close(&nd->b);
	fc_warn("node %s (rank %d) is unreachable: %s", nd->label, i, why);
}

/* r: a validated record from an agent, typed (fc_rec_from_json), as
 * the report reads the same fields. */
static int add_meas(struct coord *c, const struct fc_rec *r, int round, bool retry)
{
	struct fc_meas m = {.round = round, .retry = retry};

	if (r->test && !strcmp(r->test, "coverage")) {
		/* a step's packets and retransmissions, where counted: loss */
		if (!r->nic_tx_pkts.set || !r->nic_retrans.set || r->nic_tx_pkts.v < FC_LOSS_MIN_PKTS ||
		    r->nic_retrans.v < 0)
			return 0;
		m.kind = FC_MEAS_LOSS;
		m.a = (int)r->rank.v;
		m.b = (int)r->peer_rank.v;
		m.lanes = (int)r->lanes.v;
		m.lane = m.lanes > 1 && r->lane.set && !r->lane.all ? (int)r->lane.v : -1;
		m.value = 100.0 * (double)r->nic_retrans.v / (double)r->nic_tx_pkts.v;
	} else if (!r->test || (strcmp(r->test, "bw") && strcmp(r->test, "rma") && strcmp(r->test, "pingpong"))) {
		return 0;
	} else {
		/* bandwidth: streamed sends, or RDMA writes (--protocol rdma) */
		m.kind = strcmp(r->test, "pingpong") ? FC_MEAS_BW : FC_MEAS_LAT;
		m.a = (int)r->rank.v;
		m.b = (int)r->peer_rank.v;
		m.size = (uint64_t)r->size.v;
		m.lanes = (int)r->lanes.v;
		/* a lane of a multi-lane pair is judged per NIC; the aggregate
		 * ("all") and a single-lane pair's only lane are the pair as a whole */
		m.lane = r->lane.set && !r->lane.all && m.lanes > 1 ? (int)r->lane.v : -1;
		/* bandwidth: the median of the step's repeats where it had them
		 * (a stall in one slice does not move it), else the whole */
		m.value = m.kind == FC_MEAS_BW ? fc_real_or(r->bw_gbps_repeat_p50, fc_real_or(r->bw_gbps, 0))
					       : fc_real_or(r->lat_us_p50, 0);
	}
	if (c->nm == c->cap_m) {
		int cap = c->cap_m ? 2 * c->cap_m : 1024;
		struct fc_meas *g = realloc(c->meas, sizeof(*g) * (size_t)cap);
		if (!g)
			return -FC_EXIT_FABRIC;
		c->meas = g;
		c->cap_m = cap;
	}
	c->meas[c->nm++] = m;
	return 0;
}

/* Whether the pair (i, peer) measures the other fabric this round: both
 * ends opened lanes on the same one (--fabrics both). */
static bool other_round(const struct coord *c, int i, int peer)
{
	return peer >= 0 && c->node[i].other_nlanes > 0 && c->node[peer].other_nlanes > 0 &&
	       !strcmp(c->node[i].other_fabric, c->node[peer].other_fabric);
}

/* The other fabric's step: a record per size and lane plus the
 * aggregate, and a coverage record per NIC. */
static size_t other_plan(const struct coord *c, int i)
{
	return (c->plan_sizes + 2) * (size_t)(c->node[i].other_nlanes + 2);
}

/* The other fabric's step of pair (i, peer): counted, and its failure
 * said, neither judged (NCCL's protocol does not run there). */
static void take_other(struct coord *c, int i, int peer, int round, const json_t *ofails)
{
	struct cnode *nd = &c->node[i];
	const char *msg = json_string_value(json_object_get(json_array_get(ofails, 0), "message"));
	char text[512];

	if (!other_round(c, i, peer))
		return;
	nd->other_steps++;
	c->other_pairs += i < peer; /* a pair's step, once */
	if (!json_array_size(ofails))
		return;
	nd->other_failed++;
	c->other_pairs_failed += c->node[peer].other_failed_in != round + 1; /* once, whichever end said it */
	nd->other_failed_in = round + 1;
	fc_printable(text, sizeof(text), msg ? msg : "failed");
	if (!*nd->other_first_failure)
		snprintf(nd->other_first_failure, sizeof(nd->other_first_failure), "round %d with %.60s: %.220s", round,
			 c->node[peer].label, text);
	fc_note("round %d: %s with %s on fabric %s (not NCCL's here; not judged): %s", round, nd->label,
		c->node[peer].label, nd->other_fabric, text);
}

/* A report's records, each of the schema, of this node, this round and
 * this peer (else the node is lost: -1), written to pairs.jsonl; judged:
 * the run's own steps' (the other fabric's are recorded only). */
static int take_records(struct coord *c, int i, int peer, int round, bool retry, const json_t *recs, bool judged)
{
	json_t *rec;
	size_t k;
	char why[256];

	json_array_foreach(recs, k, rec) {
		json_t *copy = json_deep_copy(rec);
		struct fc_rec r;
		if (fc_rec_validate(copy, why, sizeof(why)) || fc_rec_from_json(&r, copy) || r.rank.v != i ||
		    r.round.v != round || !r.peer_rank.set || r.peer_rank.v != peer) {
			json_decref(copy);
			lose(c, i, "it sent a record that is not its own for this round");
			return -1;
		}
		if (judged)
			add_meas(c, &r, round, retry);
		if (judged && r.test && !strcmp(r.test, "coverage") && r.coverage && r.domain &&
		    (!strcmp(r.coverage, "failed") || !strcmp(r.coverage, "ok")))
			for (int l = 0; l < c->node[i].nlanes && l < FC_PV_MAX_LANES; l++)
				if (!strcmp(c->node[i].lane_domain[l], r.domain)) {
					c->node[i].cov_seen[l]++;
					c->node[i].cov_failed[l] += !strcmp(r.coverage, "failed");
				}
		fc_coord_record(c, fc_rec_complete(copy)); /* r's strings live in copy until here */
	}
	return 0;
}

/* An agent's report, checked: records of the schema, of this node, this
 * round and this peer. */
static void take_report(struct coord *c, int i, int peer, int round, bool retry, json_t *m)
{
	json_t *recs = json_object_get(m, "records"), *fails = json_object_get(m, "failures"), *rec;
	json_t *ofails = json_object_get(m, "other_failures"), *orecs = json_object_get(m, "other_records");
	size_t k;

	if (json_integer_value(json_object_get(m, "round")) != round || !json_is_array(recs) || !json_is_array(fails) ||
	    json_array_size(recs) > 100000 || json_array_size(fails) > 16 || (ofails && !json_is_array(ofails)) ||
	    (orecs && !json_is_array(orecs)) || json_array_size(ofails) > 1 ||
	    ((json_array_size(ofails) || json_array_size(orecs)) && !other_round(c, i, peer))) {
		lose(c, i, "its report for the round is malformed");
		return;
	}
	/* the round's plan bounds a report: a record per size and lane plus
	 * the aggregate, a coverage record per NIC and step, for the steps
	 * this pair was given; more is not this run's agent */
	if (json_array_size(recs) > (c->plan_sizes + 6) * (size_t)(c->node[i].nlanes + 2) ||
	    json_array_size(orecs) > other_plan(c, i)) {
		lose(c, i, "its report holds more records than its round's plan");
		return;
	}
	/* a node that sat the round out measured nothing and met nobody */
	if (peer < 0 && (json_array_size(recs) || json_array_size(fails) || json_array_size(orecs))) {
		lose(c, i, "it reported measurements for a round in which it had no partner");
		return;
	}
	if (take_records(c, i, peer, round, retry, recs, true) || take_records(c, i, peer, round, retry, orecs, false))
		return;
	json_array_foreach(fails, k, rec) {
		struct fc_pair_failure f = {.round = round, .a = i, .b = peer, .lane = -1};
		const char *msg = json_string_value(json_object_get(rec, "message"));
		json_t *lane = json_object_get(rec, "lane");
		json_t *progressed = json_object_get(rec, "progressed");
		if (json_is_integer(lane) && json_integer_value(lane) >= 0 &&
		    json_integer_value(lane) < c->node[i].nlanes && c->node[i].nlanes <= FC_PV_MAX_LANES) {
			f.lane = (int)json_integer_value(lane);
			f.others_progressed = json_is_integer(progressed) &&
					      ((uint64_t)json_integer_value(progressed) & ~(1ull << f.lane)) != 0;
		}
		char text[512];
		if (c->nf < FC_PAIRS_MAX_NODES * 8)
			c->fail[c->nf++] = f;
		if (!*c->first_failure) /* one example for a one-line outcome, cut to fit */
			snprintf(c->first_failure, sizeof(c->first_failure), "%.100s with %.100s: %.280s", c->node[i].label,
				 c->node[peer].label, msg ? fc_printable(text, sizeof(text), msg) : "failed");
		fc_note("round %d: %s with %s: %s", round, c->node[i].label, c->node[peer].label,
			msg ? fc_printable(text, sizeof(text), msg) : "failed");
		fc_coord_step_failure(c, round, i, peer, msg ? fc_printable(text, sizeof(text), msg) : "failed");
	}
	take_other(c, i, peer, round, ofails);
}

/* A fresh random token per pair of the round, kept at the lower rank. */
static int round_tokens(int n, const int *partner, char (*token)[FC_ROUND_TOKEN_HEX + 1])
{
	for (int i = 0; i < n; i++) {
		unsigned char raw[FC_ROUND_TOKEN_HEX / 2];
		if (partner[i] <= i)
			continue;
		if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
			fc_err("no random bytes for the round's tokens");
			return -1;
		}
		fc_hex_encode(token[i], raw, sizeof(raw));
	}
	return 0;
}

static bool failed_in_round(const struct coord *c, int round, int i)
{
	for (int k = c->nf - 1; k >= 0 && c->fail[k].round >= round; k--)
		if (c->fail[k].round == round && (c->fail[k].a == i || c->fail[k].b == i))
			return true;
	return false;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* When pairs of this run that failed nothing have taken a median m, a pair
 * still running cut_factor x m (at least CUT_FLOOR_S) after its round
 * began is far slower than its peers: cutting it gives the same verdict as
 * waiting out its step deadline, in a fraction of the time. 0: no cut yet
 * (no pair to go by yet, or --cut-factor 0). */
#define CUT_FLOOR_S 1.0
#define CUT_MIN_PAIRS 1 /* a round of two pairs has one to go by; a cut pair is retried */
static double cut_after_s(const struct coord *c, double *median)
{
	double *v, m, cut;

	if (c->o->cut_factor <= 0 || c->npair_s < CUT_MIN_PAIRS || !(v = malloc((size_t)c->npair_s * sizeof(*v))))
		return 0;
	memcpy(v, c->pair_s, (size_t)c->npair_s * sizeof(*v));
	qsort(v, (size_t)c->npair_s, sizeof(*v), cmp_double);
	m = c->npair_s % 2 ? v[c->npair_s / 2] : (v[c->npair_s / 2 - 1] + v[c->npair_s / 2]) / 2;
	free(v);
	cut = c->o->cut_factor * m;
	*median = m;
	return cut > CUT_FLOOR_S ? cut : CUT_FLOOR_S;
}

static void note_pair_time(struct coord *c, double s)
{
	if (c->npair_s == c->cap_pair_s) {
		int cap = c->cap_pair_s ? 2 * c->cap_pair_s : 64;
		double *p = realloc(c->pair_s, (size_t)cap * sizeof(*p));
		if (!p)
			return; /* the cut rule then goes by fewer pairs */
		c->pair_s = p;
		c->cap_pair_s = cap;
	}
	c->pair_s[c->npair_s++] = s;
}

/* Tells each end of every pair still running to end its steps now. */
static void cut_pairs(struct coord *c, int round, const int *partner, const bool *waiting, bool *cut, double after,
		      double median)
{
	for (int i = 0; i < c->n; i++) {
		int p = partner[i];
		if (!waiting[i] || cut[i] || p < 0 || !c->node[i].alive)
			continue;
		if (!cut[p]) { /* the pair's first end cut */
			fc_note("round %d: cutting %s with %s after %.1f s, %g x the run's median pair of %.2f s "
				"(--cut-factor): slow",
				round, c->node[i].label, c->node[p].label, after, c->o->cut_factor, median);
			c->cuts++;
		}
		cut[i] = true;
		if (fc_boot_send(&c->node[i].b, FC_MSG_CUT, json_pack("{s:i}", "round", round)))
			lose(c, i, "its connection to the coordinator broke");
	}
}

int fc_coord_round(struct coord *c, int round, const int *partner, bool retry)
{
	/* each step has a third of --pair-timeout; a pair on two fabrics has
	 * a fourth step */
	bool other = false;
	for (int i = 0; i < c->n && !other; i++)
		other = partner[i] >= 0 && other_round(c, i, partner[i]);
	uint64_t t0 = fc_now_ns(), deadline = fc_deadline_in(c->o->cfg.pair_timeout_s * (other ? 4.0 / 3 : 1) + 10);
	bool *waiting = calloc((size_t)c->n, sizeof(bool)), *cut = calloc((size_t)c->n, sizeof(bool));
	char (*token)[FC_ROUND_TOKEN_HEX + 1] = calloc((size_t)c->n, sizeof(*token));
	int pairs = 0, left = 0;
	double median = 0, cut_s = cut_after_s(c, &median);

	if (!waiting || !cut || !token || round_tokens(c->n, partner, token)) {
		free(waiting);
		free(cut);
		free(token);
		return -FC_EXIT_FABRIC;
	}
	for (int i = 0; i < c->n; i++) {
		struct cnode *nd = &c->node[i];
		int p = partner[i];
		json_t *peer = json_null();
		if (!nd->alive)
			continue;
		if (p >= 0 && c->node[p].alive) {
			peer = json_pack("{s:i, s:s, s:s, s:i, s:s}", "rank", p, "label", c->node[p].label, "ip", c->node[p].ip,
					 "port", (int)c->node[p].port, "token", token[i < p ? i : p]);
			pairs += i < p;
		} else {
			p = -1;
		}
		if (fc_boot_send(&nd->b, FC_MSG_ROUND,
				 json_pack("{s:i, s:b, s:s, s:o, s:b, s:b}", "round", round, "retry", retry, "self", nd->label,
					   "peer", peer, "first", p >= 0 && i < p, "other", other_round(c, i, p)))) {
			lose(c, i, "its connection to the coordinator broke");
			continue;
		}
		waiting[i] = true;
		left++;
	}
	fc_progress("round %d: %d pair(s)%s", round, pairs, retry ? " (retries)" : "");
	while (left > 0 && !fc_stop_signal()) {
		struct pollfd pfd[FC_PAIRS_MAX_NODES];
		int who[FC_PAIRS_MAX_NODES], np = 0;
		for (int i = 0; i < c->n; i++)
			if (waiting[i] && c->node[i].alive) {
				pfd[np] = (struct pollfd){.fd = c->node[i].b.fd, .events = POLLIN};
				who[np++] = i;
			}
		if (fc_now_ns() >= deadline) {
			for (int k = 0; k < np; k++)
				lose(c, who[k], "it did not report the round in time");
			break;
		}
		if (cut_s > 0 && fc_now_ns() >= t0 + (uint64_t)(cut_s * 1e9))
			cut_pairs(c, round, partner, waiting, cut, cut_s, median);
		if (poll(pfd, (nfds_t)np, fc_ms_left(fc_deadline_min(deadline, fc_deadline_in(0.2)))) <= 0)
			continue;
		for (int k = 0; k < np; k++) {
			json_t *m = NULL;
			int i = who[k];
			if (!pfd[k].revents)
				continue;
			waiting[i] = false;
			left--;
			if (fc_boot_expect(&c->node[i].b, FC_MSG_REPORT, deadline, "waiting for a round's report", &m)) {
				lose(c, i, "its connection to the coordinator broke");
				continue;
			}
			take_report(c, i, partner[i], round, retry, m);
			json_decref(m);
			/* a pair's time, once both ends reported and neither failed */
			if (partner[i] >= 0 && !waiting[partner[i]] && !cut[i] && !failed_in_round(c, round, i)) {
				note_pair_time(c, (double)(fc_now_ns() - t0) / 1e9);
				if (cut_s == 0)
					cut_s = cut_after_s(c, &median);
			}
		}
	}
	free(waiting);
	free(cut);
	free(token);
	/* pairs whose end went away: their failures are the lost node's */
	for (int k = 0; k < c->nf; k++)
		if (c->fail[k].round == round) {
			c->fail[k].a_gone = !c->node[c->fail[k].a].alive;
			c->fail[k].b_gone = !c->node[c->fail[k].b].alive;
		}
	fc_coord_round_record(c, round, pairs, (double)(fc_now_ns() - t0) / 1e9, retry);
	c->rounds++;
	return 0;
}

/* ---- the run ---- */

/* Every node that joined failed to open its lanes, each with a setup error
 * (exit 3: no such provider or device, options the fabric cannot do): the
 * options do not fit the cluster, and draining every node would be wrong.
 * One line, the lowest rank's reason. */
static void config_check(struct coord *c)
{
	int joined = 0, setup = 0, first = -1;

	for (int i = 0; i < c->n; i++) {
		joined += c->node[i].joined;
		if (c->node[i].joined && c->node[i].open_exit == FC_EXIT_FABRIC) {
			setup++;
			first = first < 0 ? i : first;
		}
	}
	if (!joined || setup < joined)
		return;
	c->config_failed = true;
	fc_err("configuration: none of the %d node(s) that joined could open its lanes, so the run's options do not "
	       "fit this cluster (nothing is drained); rank %d: %s",
	       joined, first, c->node[first].lost);
}

/* Every node joined and ran its rounds, and no pair measured anything:
 * not the nodes, the setting (one line, exit 3, nothing drained). */
static void nothing_measured(struct coord *c)
{
	int alive = 0;

	for (int i = 0; i < c->n; i++)
		alive += c->node[i].alive;
	if (c->config_failed || c->quorum_failed || c->rounds_cut || c->nm > 0 || c->nf == 0 || alive < 2)
		return;
	c->config_failed = true;
	c->config_why = "no pair measured anything: the options differ between nodes, or the traffic between them is "
			"refused";
	fc_err("configuration: no pair of the %d node(s) measured anything, although each reached the coordinator "
	       "(first: %s): options that differ between the nodes, or a security group or firewall that lets the "
	       "coordinator's port through but not the traffic between the nodes (EFA's security group must allow all "
	       "traffic to and from itself); nothing is drained",
	       alive, c->first_failure);
}

static void alive_list(const struct coord *c, bool *alive)
{
	for (int i = 0; i < c->n; i++)
		alive[i] = c->node[i].alive;
}

/* Whether node i has one completed measurement with anyone. */
static bool measured_with(const struct coord *c, int i)
{
	for (int k = 0; k < c->nm; k++)
		if (c->meas[k].a == i || c->meas[k].b == i)
			return true;
	return false;
}

/* What node i's failed steps say, read once for the rules that name a
 * silent NIC or a blocked node. */
struct node_failures {
	int partners;                 /* partners it failed with */
	bool vouched;                 /* each of them passes (or warns) with others */
	bool others_worked;           /* a step's other lanes completed operations */
	int per_lane[FC_PV_MAX_LANES]; /* partners whose failures name lane l */
};

static void node_failures(const struct coord *c, int i, struct node_failures *nf)
{
	memset(nf, 0, sizeof(*nf));
	nf->vouched = true;
	for (int p = 0; p < c->n; p++) {
		bool with = false;
		uint64_t named = 0;
		for (int k = 0; k < c->nf; k++) {
			const struct fc_pair_failure *f = &c->fail[k];
			if (!((f->a == i && f->b == p) || (f->a == p && f->b == i)))
				continue;
			with = true;
			nf->others_worked |= f->others_progressed;
			if (f->lane >= 0 && f->lane < FC_PV_MAX_LANES)
				named |= 1ull << f->lane;
		}
		for (int l = 0; l < FC_PV_MAX_LANES; l++)
			nf->per_lane[l] += (named >> l) & 1;
		nf->partners += with;
		nf->vouched = nf->vouched && !(with && c->v.node[p].verdict != FC_PV_PASS &&
					       c->v.node[p].verdict != FC_PV_WARN);
	}
}

int fc_coord_judge(struct coord *c)
{
	uint64_t t0 = fc_now_ns();
	const char **labels = calloc((size_t)c->n, sizeof(char *));
	bool *alive = calloc((size_t)c->n, sizeof(bool));
	int rc;

	if (!labels || !alive) {
		free(labels);
		free(alive);
		return -FC_EXIT_FABRIC;
	}
	for (int i = 0; i < c->n; i++)
		labels[i] = c->node[i].label;
	alive_list(c, alive);
	fc_verdicts_free(&c->v);
	rc = fc_pairs_judge(c->n, alive, labels, c->meas, c->nm, c->fail, c->nf, &c->floor, &c->v);
	/* a NIC that is there but down fails its node, whatever the numbers
	 * of the NICs that are up say */
	for (int i = 0; !rc && i < c->n; i++) {
		struct fc_node_verdict *v = &c->v.node[i];
		if (!c->node[i].alive || !c->node[i].down_lanes)
			continue;
		v->verdict = FC_PV_FAIL;
		v->kind = "nic down";
		v->bad_lanes |= c->node[i].down_lanes;
		snprintf(v->reason, sizeof(v->reason), "a NIC is down (%d of %d lanes measured)",
			 c->node[i].nlanes - __builtin_popcountll(c->node[i].down_lanes), c->node[i].nlanes);
	}
	/* an EFA node that opened fewer NICs than its type has: the others
	 * are dead or unbound, and NCCL would run short of rails there */
	for (int i = 0; !rc && i < c->n; i++) {
		struct cnode *nd = &c->node[i];
		int opened = 0, missing;
		for (int k = 0; k < nd->nlanes; k++) {
			bool seen = false;
			for (int j = 0; j < k && !seen; j++)
				seen = !strcmp(nd->lane_domain[j], nd->lane_domain[k]);
			opened += !seen;
		}
		if (!nd->alive || !(missing = fc_pairs_nics_missing(c->o->bench.params.provider, c->o->bench.domain,
								    opened, nd->type_efa)))
			continue;
		c->v.node[i].verdict = FC_PV_FAIL;
		c->v.node[i].kind = "nics missing";
		snprintf(c->v.node[i].reason, sizeof(c->v.node[i].reason),
			 "opened %d of the %d EFA devices a %s has: %d missing (unbound or failed; fabcheck-diag names "
			 "its PCI address): reboot, then replace",
			 opened, nd->type_efa, nd->type, missing);
	}
	/* a failing node whose failed steps timed out on one lane, with two
	 * partners or more: that NIC went silent (cut, or died mid-run), the
	 * others measured. So too a node that measured nothing at all (its
	 * NIC went silent in its first step) when those partners pass with
	 * others. One lane must stand out: a step's lanes end together, and
	 * the side that did not see the silent lane first may report another
	 * lane's wait, so it is the lane most partners' failures name, named
	 * by at least twice as many as any other, and another lane must have
	 * completed operations in one of those steps (a node whose every
	 * lane is dropped completes nothing: blocked, below). */
	for (int i = 0; !rc && i < c->n; i++) {
		struct fc_node_verdict *v = &c->v.node[i];
		struct node_failures nf;
		int lane = 0, second = 0;
		bool unmeasured = v->verdict == FC_PV_UNKNOWN && !strcmp(v->kind, "unmeasured");
		if (!c->node[i].alive || (v->verdict != FC_PV_FAIL && !unmeasured) || v->bad_lanes ||
		    c->node[i].nlanes < 2)
			continue;
		node_failures(c, i, &nf);
		for (int l = 1; l < FC_PV_MAX_LANES; l++)
			if (nf.per_lane[l] > nf.per_lane[lane])
				lane = l;
		for (int l = 0; l < FC_PV_MAX_LANES; l++)
			if (l != lane && nf.per_lane[l] > second)
				second = nf.per_lane[l];
		/* an unmeasured node's partners vouch for the fabric */
		if ((unmeasured && !nf.vouched) || !nf.others_worked || nf.per_lane[lane] < 2 ||
		    2 * second > nf.per_lane[lane] || lane >= c->node[i].nlanes)
			continue;
		if (unmeasured) {
			v->verdict = FC_PV_FAIL;
			c->v.unmeasured--;
		}
		v->kind = "nic timed out";
		v->bad_lanes |= 1ull << lane;
		snprintf(v->reason, sizeof(v->reason),
			 "NIC %s (lane %d) went silent with %d partners: its lane timed out%s",
			 c->node[i].lane_domain[lane], lane, nf.per_lane[lane],
			 unmeasured ? ", and every step with them ended there" : ", the other NICs measured");
	}
	/* a node that measured nothing with two partners or more, each of
	 * which passes with others, while its own connection to the
	 * coordinator works: its data path is blocked (every lane, so not
	 * one NIC): a security group or firewall that passes the
	 * coordinator's port but not the traffic between nodes, or every NIC
	 * dead. NCCL cannot use it either way. */
	for (int i = 0; !rc && i < c->n; i++) {
		struct fc_node_verdict *v = &c->v.node[i];
		bool unmeasured = v->verdict == FC_PV_UNKNOWN && !strcmp(v->kind, "unmeasured");
		struct node_failures nf;
		if (!c->node[i].alive || (!unmeasured && !(v->verdict == FC_PV_FAIL && !strcmp(v->kind, "failed"))) ||
		    measured_with(c, i))
			continue;
		node_failures(c, i, &nf);
		if (nf.partners < 2 || !nf.vouched || nf.others_worked)
			continue;
		if (unmeasured)
			c->v.unmeasured--;
		v->verdict = FC_PV_FAIL;
		v->kind = "blocked";
		v->bad_lanes = 0;
		snprintf(v->reason, sizeof(v->reason),
			 "no step completed with any of its %d partners, which pass with others, while its connection to the "
			 "coordinator works: its data path is refused or dropped (a security group that does not allow all "
			 "traffic to and from itself, inbound and outbound, or a firewall; else every NIC of it is dead)",
			 nf.partners);
	}
	/* and a NIC whose own counters show its lane's bytes went over
	 * another NIC: the numbers measured something else */
	for (int i = 0; !rc && i < c->n; i++) {
		struct fc_node_verdict *v = &c->v.node[i];
		const struct cnode *nd = &c->node[i];
		uint64_t bad = 0;
		int l;
		for (l = 0; l < nd->nlanes && l < FC_PV_MAX_LANES; l++)
			if (nd->cov_failed[l] && 2 * nd->cov_failed[l] > nd->cov_seen[l] && !(nd->down_lanes & (1ull << l)))
				bad |= 1ull << l;
		if (!nd->alive || !bad)
			continue;
		l = __builtin_ctzll(bad);
		v->verdict = FC_PV_FAIL;
		v->kind = "coverage";
		v->bad_lanes |= bad;
		snprintf(v->reason, sizeof(v->reason),
			 "NIC %s (lane %d) did not carry its lane's traffic in %u of %u steps: it went over another NIC "
			 "(a route or interface that sends this NIC's traffic elsewhere)%s",
			 nd->lane_domain[l], l, nd->cov_failed[l], nd->cov_seen[l],
			 __builtin_popcountll(bad) > 1 ? "; other NICs too" : "");
	}
	/* so does a node whose own checks failed (fabcheck-diag, --diag) */
	for (int i = 0; !rc && i < c->n; i++) {
		struct fc_node_verdict *v = &c->v.node[i];
		char was[sizeof(v->reason)];
		if (!c->node[i].joined || !c->node[i].diag_fail)
			continue;
		snprintf(was, sizeof(was), "%s", v->verdict == FC_PV_FAIL ? v->reason : "");
		if (v->verdict != FC_PV_UNREACHABLE) {
			v->verdict = FC_PV_FAIL;
			v->kind = "node checks";
		}
		if (snprintf(v->reason, sizeof(v->reason), "%s%sfabcheck-diag: %d check(s) failed: %s", was,
			     *was ? "; " : "", c->node[i].diag_fail, c->node[i].diag) >= (int)sizeof(v->reason))
			memcpy(v->reason + sizeof(v->reason) - 4, "...", 4); /* cut, and says so */
	}
	/* a suspect link is one between two nodes that are fine with others:
	 * not one whose end the rules above failed after the numbers were
	 * judged (a NIC down, a silent NIC, diag: its pairs are explained) */
	if (!rc) {
		int w = 0;
		for (int l = 0; l < c->v.nlinks; l++)
			if (c->v.node[c->v.links[l].a].verdict < FC_PV_FAIL && c->v.node[c->v.links[l].b].verdict < FC_PV_FAIL)
				c->v.links[w++] = c->v.links[l];
		c->v.nlinks = w;
	}
	free(labels);
	free(alive);
	c->judge_s += (double)(fc_now_ns() - t0) / 1e9;
	return rc;
}

/* The run deadline (-t) bounds when the last round starts (a round
 * started before it ends within its own budget): past it, the rounds
 * still planned are left out, said once, and the verdict rests on those
 * that ran. */
static bool deadline_passed(struct coord *c, int planned_left)
{
	if (fc_now_ns() < c->deadline)
		return false;
	if (!c->rounds_cut)
		fc_err("the run deadline (-t %.0f s) passed after %d round(s): %d planned round(s) not run; the verdict "
		       "rests on the pairs that ran and cannot pass (raise -t to meet every pair)",
		       c->o->deadline_s, c->rounds, planned_left);
	c->rounds_cut += planned_left;
	return true;
}

/* Pairs worth a second try: those with a failing measurement (both ends
 * alive), as disjoint rounds. */
/* Is node i's failure beyond a retry's doubt? Failing with three partners
 * or more that pass elsewhere (with two, after a first retry pass). */
static bool surely_bad(const struct coord *c, int i, int pass)
{
	return c->v.node[i].verdict == FC_PV_FAIL && c->v.node[i].fail_partners >= (pass ? 2 : 3);
}

/* Did a step of pair (a, b) fail (a deadline, the peer), not only measure
 * low? Such a pair costs a step deadline each time it is tried. */
static bool step_failed(const struct coord *c, int a, int b)
{
	for (int k = 0; k < c->nf; k++)
		if ((c->fail[k].a == a && c->fail[k].b == b) || (c->fail[k].a == b && c->fail[k].b == a))
			return true;
	return false;
}

static void retry_failures(struct coord *c, int *round, int pass)
{
	int n = c->n;
	bool *want = calloc((size_t)n * (size_t)n, sizeof(bool));
	int *partner = malloc(sizeof(int) * (size_t)n);

	if (!want || !partner)
		goto out;
	for (int i = 0; i < c->v.nfail_pairs; i++) {
		int a = c->v.fail_pairs[i][0], b = c->v.fail_pairs[i][1];
		/* a pair that measured low is tried again (it costs a moment:
		 * noise clears there); a pair whose steps failed with a node
		 * already surely bad is not: it would only wait out its step
		 * deadlines once more (a slow host among six took 120 s so) */
		if (c->node[a].alive && c->node[b].alive &&
		    !(step_failed(c, a, b) && (surely_bad(c, a, pass) || surely_bad(c, b, pass))))
			want[a * n + b] = want[b * n + a] = true;
	}
	for (;;) {
		int pairs = 0;
		for (int i = 0; i < n; i++)
			partner[i] = -1;
		for (int a = 0; a < n; a++)
			for (int b = a + 1; b < n && partner[a] < 0; b++)
				if (want[a * n + b] && partner[b] < 0) {
					partner[a] = b;
					partner[b] = a;
					want[a * n + b] = want[b * n + a] = false;
					pairs++;
				}
		if (!pairs || fc_stop_signal() || deadline_passed(c, 1))
			break;
		fc_coord_round(c, (*round)++, partner, true);
	}
out:
	free(want);
	free(partner);
}

/* A node whose steps failed with three partners or more, each of which
 * failed with nobody else: the node, surely. In full mode it sits out the
 * rounds left, said once: every pair with it would only wait out its step
 * deadlines (a slow host among six stretched a 7 s run to over 40 s). */
static bool failing_alone(const struct coord *c, int x)
{
	int partners = 0;

	for (int p = 0; p < c->n; p++) {
		bool with_x = false, elsewhere = false;
		for (int k = 0; k < c->nf && p != x; k++) {
			const struct fc_pair_failure *f = &c->fail[k];
			if (f->a != p && f->b != p)
				continue;
			if (f->a == x || f->b == x)
				with_x = true;
			else
				elsewhere = true;
		}
		if (with_x && elsewhere)
			return false;
		partners += with_x;
	}
	return partners >= 3;
}

static void bench_failing_alone(struct coord *c, int *partner)
{
	/* only a node in three step failures or more can be one: the full
	 * check (every partner's failures) runs for those few */
	int *in = calloc((size_t)c->n, sizeof(int));

	for (int k = 0; in && k < c->nf; k++) {
		in[c->fail[k].a]++;
		in[c->fail[k].b]++;
	}
	for (int i = 0; in && i < c->n; i++) {
		if (partner[i] < 0 || in[i] < 3 || !failing_alone(c, i))
			continue;
		if (!c->node[i].benched)
			fc_note("coordinator: %s failed with three partners or more that failed with nobody else: it sits "
				"out the rounds left", c->node[i].label);
		c->node[i].benched = true;
		partner[partner[i]] = -1;
		partner[i] = -1;
	}
	free(in);
}

static void run_full(struct coord *c, int *round)
{
	int *idx = malloc(sizeof(int) * (size_t)c->n), k = 0, nr;
	int *partner = malloc(sizeof(int) * (size_t)c->n);
	struct fc_round *rounds = NULL;

	if (!idx || !partner)
		goto out;
	/* the circle over the nodes that joined */
	for (int i = 0; i < c->n; i++)
		if (c->node[i].alive)
			idx[k++] = i;
	if (fc_schedule_full(k, &rounds, &nr))
		goto out;
	for (int r = 0; r < nr && !fc_stop_signal() && !deadline_passed(c, nr - r); r++) {
		for (int i = 0; i < c->n; i++)
			partner[i] = -1;
		for (int i = 0; i < k; i++)
			partner[idx[i]] = rounds[r].partner[i] >= 0 ? idx[rounds[r].partner[i]] : -1;
		bench_failing_alone(c, partner);
		fc_coord_round(c, (*round)++, partner, false);
	}
out:
	fc_rounds_free(rounds, nr);
	free(idx);
	free(partner);
}

/* R random matchings; then suspects meet known-good nodes they have not
 * met (two rounds); the failing pairs are retried as in full mode. */
static void run_sweep(struct coord *c, int *round)
{
	int n = c->n;
	bool *use = calloc((size_t)n, sizeof(bool)), *met = calloc((size_t)n * (size_t)n, sizeof(bool));
	bool *suspect = calloc((size_t)n, sizeof(bool)), *good = calloc((size_t)n, sizeof(bool));
	uint64_t seed = c->o->cfg.seed;

	if (!use || !met || !suspect || !good)
		goto out;
	for (int r = 0; r < c->o->cfg.sweep_rounds && !fc_stop_signal() &&
			!deadline_passed(c, c->o->cfg.sweep_rounds - r);
	     r++) {
		struct fc_round rd;
		for (int i = 0; i < n; i++)
			use[i] = c->node[i].alive;
		if (fc_schedule_random(n, use, &seed, &rd))
			break;
		for (int i = 0; i < n; i++)
			if (rd.partner[i] >= 0)
				met[i * n + rd.partner[i]] = true;
		fc_coord_round(c, (*round)++, rd.partner, false);
		free(rd.partner);
	}
	for (int pass = 0; pass < 2 && !fc_stop_signal() && !c->rounds_cut; pass++) {
		struct fc_round rd;
		int any = 0;
		if (fc_coord_judge(c))
			break;
		for (int i = 0; i < n; i++) {
			suspect[i] = c->node[i].alive && (c->v.node[i].fail_partners > 0 || c->v.node[i].warn_partners > 0);
			good[i] = c->node[i].alive && !suspect[i];
			any |= suspect[i];
		}
		for (int i = 0; i < c->v.nfail_pairs; i++) {
			suspect[c->v.fail_pairs[i][0]] = suspect[c->v.fail_pairs[i][1]] = true;
			good[c->v.fail_pairs[i][0]] = good[c->v.fail_pairs[i][1]] = false;
			any = 1;
		}
		if (!any)
			break;
		if (deadline_passed(c, 2 - pass))
			break;
		if (fc_schedule_recheck(n, suspect, good, met, &rd) > 0) {
			for (int i = 0; i < n; i++)
				if (rd.partner[i] >= 0)
					met[i * n + rd.partner[i]] = true;
			fc_coord_round(c, (*round)++, rd.partner, false);
		}
		free(rd.partner);
	}
out:
	free(use);
	free(met);
	free(suspect);
	free(good);
}

/* What the instance table says of the agents' types (their DMI product
 * names, or --instance-type): each node's EFA device count, and an
 * absolute floor, a fraction of one NIC's line rate per lane. */
static void from_type(struct coord *c)
{
	struct diag_itype *table = NULL;
	int nt = 0;
	const char *type = c->o->instance_type;
	const struct diag_itype *it;

	for (int i = 0; !type && i < c->n; i++)
		if (c->node[i].joined && *c->node[i].product)
			type = c->node[i].product;
	if (!type || !c->o->table || diag_table_load(c->o->table, &table, &nt))
		return;
	for (int i = 0; i < c->n; i++) {
		const char *own = c->o->instance_type ? c->o->instance_type : c->node[i].product;
		if (c->node[i].joined && *own && (it = diag_table_find(table, nt, own)) && it->efa_sourced) {
			c->node[i].type_efa = it->efa;
			snprintf(c->node[i].type, sizeof(c->node[i].type), "%s", it->type);
		}
	}
	if (!c->o->verdict_floor_given && (it = diag_table_find(table, nt, type)) && it->nic_gbps > 0) {
		c->floor.min_bw_gbps = c->o->floor_fraction * it->nic_gbps / 8.0;
		fc_note("coordinator: %s: a NIC lane below %.1f GB/s at the largest size fails (%.0f%% of %d Gb/s)", type,
			c->floor.min_bw_gbps, c->o->floor_fraction * 100, it->nic_gbps);
	}
	free(table);
}

int fc_pairs_coordinate(const struct fc_pairs_opts *o, const struct fc_launch *l)
{
	struct coord c = {.o = o, .l = l, .n = l->nodes};
	int round = 0, joined, rc, code;

	c.listener.fd = -1;
	{
		char host[256];
		if (gethostname(host, sizeof(host)))
			snprintf(host, sizeof(host), "unknown");
		fc_run_id(c.run_id, sizeof(c.run_id), host);
	}
	c.node = calloc((size_t)c.n, sizeof(*c.node));
	c.fail = calloc(FC_PAIRS_MAX_NODES * 8, sizeof(*c.fail));
	c.floor = o->verdict;
	c.started = time(NULL);
	{
		/* a connection per node: 1024 nodes need more than the usual
		 * soft limit of descriptors */
		struct rlimit rl;
		if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	c.t0 = fc_now_ns();
	c.deadline = fc_deadline_in(o->deadline_s);
	if (!c.node || !c.fail) {
		fc_err("out of memory for the state of %d node(s); run on a machine with more free memory", c.n);
		free(c.node);
		free(c.fail);
		return -FC_EXIT_FABRIC;
	}
	for (int i = 0; i < c.n; i++)
		c.node[i].b.fd = -1;
	{
		struct fc_sizes pp = {0}, bw = {0};
		if (!fc_sizes_expand(o->cfg.pp_sizes, NULL, 0, &pp) && !fc_sizes_expand(o->cfg.bw_sizes, NULL, 0, &bw))
			c.plan_sizes = pp.n + 2 * bw.n;
		fc_sizes_free(&pp);
		fc_sizes_free(&bw);
	}
	c.listener.no_client_remedy = "the ranks that never joined are named below: start fabcheck-pairs there "
				      "with the same --coordinator, or raise --join-timeout";
	if ((rc = fc_coord_out_open(&c)) || (rc = fc_listener_open(&c.listener, l->coord_port))) {
		fc_coord_out_abandon(&c);
		free(c.node);
		free(c.fail);
		return rc;
	}
	joined = accept_joins(&c);
	await_ready(&c);
	label_nodes(&c);
	config_check(&c);
	for (int i = 0; i < c.n; i++)
		if (!c.node[i].joined)
			snprintf(c.node[i].lost, sizeof(c.node[i].lost), "never joined within --join-timeout (%.0f s)",
				 o->join_timeout_s);
	joined = 0;
	for (int i = 0; i < c.n; i++)
		joined += c.node[i].alive;
	from_type(&c);
	if (c.config_failed) {
		/* said by config_check; nothing to measure or judge */
	} else if (joined < fc_pairs_quorum(c.n)) {
		fc_err("quorum not reached: %d of %d node(s) ready, at least %d needed; see which never joined below",
		       joined, c.n, fc_pairs_quorum(c.n));
		c.quorum_failed = true;
	} else {
		fc_note("coordinator: %d of %d node(s) ready; %s mode", joined, c.n, o->cfg.mode);
		fc_note("coordinator: bandwidth steps by %s (%s)",
			!strcmp(o->cfg.protocol, "rdma") ? "RDMA write with immediate data" : "send and receive",
			o->protocol_why);
		/* a run over part of the job passes only the part it measured */
		if (l->job_nodes > c.n)
			fc_warn("this run measures %d of the job's %d nodes (%s): the other %d are not tested; run one "
				"task per node of the job to check them all",
				c.n, l->job_nodes, l->row->job_nodes_var, l->job_nodes - c.n);
		if (!strcmp(o->cfg.mode, "sweep"))
			run_sweep(&c, &round);
		else
			run_full(&c, &round);
		/* a failing pair gets two more tries, each after a fresh judgement:
		 * a pair slowed by a busy moment passes on one of them, a bad link
		 * or node fails all three (best of the attempts counts) */
		for (int pass = 0; pass < FC_PAIRS_RETRIES && !c.rounds_cut && c.nm > 0 && !fc_coord_judge(&c) &&
				   c.v.nfail_pairs;
		     pass++)
			retry_failures(&c, &round, pass);
	}
	for (int i = 0; i < c.n; i++)
		if (c.node[i].alive)
			fc_boot_send(&c.node[i].b, FC_MSG_FINISH, NULL);
	nothing_measured(&c);
	/* a verdict judged without memory would say "pass": say so instead */
	if ((rc = fc_coord_judge(&c)))
		fc_err("out of memory judging %d node(s)' %d measurement(s): the verdict below is incomplete; "
		       "run the coordinator (rank 0) on a machine with more free memory", c.n, c.nm);
	code = fc_coord_out_write(&c);
	for (int i = 0; i < c.n; i++)
		fc_boot_close(&c.node[i].b);
	fc_listener_close(&c.listener);
	fc_verdicts_free(&c.v);
	free(c.meas);
	free(c.fail);
	free(c.pair_s);
	free(c.node);
	return fc_stop_signal() ? fc_stop_check() : rc ? rc : code;
}
