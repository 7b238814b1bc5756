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
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "errors.h"
#include "log.h"
#include "pairs.h"
#include "pairs_coord.h"
#include "pairs_diag.h"
#include "pairs_schedule.h"
#include "record.h"
#include "stop.h"
#include "timing.h"

/* ---- joins ---- */

static bool hello_ok(const json_t *h, int nodes, int *rank, char *host, size_t hlen, int *port, char *prod, size_t plen,
		     struct cnode *scratch)
{
	const char *tool = json_string_value(json_object_get(h, "tool"));
	const char *role = json_string_value(json_object_get(h, "role"));
	const char *hs = json_string_value(json_object_get(h, "host"));
	const char *ps = json_string_value(json_object_get(h, "product"));
	json_int_t r = json_integer_value(json_object_get(h, "rank")), p = json_integer_value(json_object_get(h, "port"));

	if (!tool || strcmp(tool, "fabcheck-pairs") || !role || strcmp(role, "agent") || !hs || !*hs ||
	    strlen(hs) >= hlen || r < 0 || r >= nodes || p < 1 || p > 65535 ||
	    json_integer_value(json_object_get(h, "nodes")) != nodes ||
	    fc_pairs_diag_take(json_object_get(h, "diag"), &scratch->diag_fail, scratch->diag, sizeof(scratch->diag)))
		return false;
	*rank = (int)r;
	*port = (int)p;
	fc_printable(host, hlen, hs);
	fc_printable(prod, plen, ps && strlen(ps) < plen ? ps : "");
	return true;
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
		char host[256], prod[64];
		struct cnode got = {0};

		rc = fc_listener_accept(&c->listener, deadline, 10, &b, &h);
		if (rc) {
			if (fc_now_ns() >= deadline)
				fc_err_mark(); /* the join timeout is not an error of its own */
			break;
		}
		if (!hello_ok(h, c->n, &rank, host, sizeof(host), &port, prod, sizeof(prod), &got) ||
		    c->node[rank].joined) {
			fc_boot_fail(&b, FC_EXIT_USAGE, "refused: not a fabcheck-pairs agent of this run (%d nodes), or a "
						       "rank that joined already", c->n);
			fc_boot_close(&b);
			json_decref(h);
			continue;
		}
		json_decref(h);
		fc_boot_keepalive(&b, 5);
		c->node[rank].joined = c->node[rank].alive = true;
		c->node[rank].b = b;
		c->node[rank].port = (uint16_t)port;
		snprintf(c->node[rank].host, sizeof(c->node[rank].host), "%s", host);
		snprintf(c->node[rank].ip, sizeof(c->node[rank].ip), "%s", b.peer_ip);
		snprintf(c->node[rank].product, sizeof(c->node[rank].product), "%s", prod);
		c->node[rank].diag_fail = got.diag_fail;
		memcpy(c->node[rank].diag, got.diag, sizeof(got.diag));
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
		if (!nd->alive)
			continue;
		if (fc_boot_expect(&nd->b, FC_MSG_REPORT, fc_deadline_in(60), "waiting for the agent to open its lanes", &m) ||
		    !json_is_true(json_object_get(m, "ok"))) {
			const char *why = json_string_value(json_object_get(m, "message"));
			char text[512];
			snprintf(nd->lost, sizeof(nd->lost), "could not open its lanes: %s",
				 why ? fc_printable(text, sizeof(text), why) : "it went away");
			nd->alive = false;
		} else {
			json_t *lanes = json_object_get(m, "lanes");
			size_t k;
			json_t *e;
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
		if (!nd->joined)
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

static int add_meas(struct coord *c, const json_t *rec, int round, bool retry)
{
	const char *test = json_string_value(json_object_get(rec, "test"));
	json_t *lane = json_object_get(rec, "lane");
	struct fc_meas m = {.round = round, .retry = retry};

	if (!test || (strcmp(test, "bw") && strcmp(test, "pingpong")))
		return 0;
	m.kind = strcmp(test, "bw") ? FC_MEAS_LAT : FC_MEAS_BW;
	m.a = (int)json_integer_value(json_object_get(rec, "rank"));
	m.b = (int)json_integer_value(json_object_get(rec, "peer_rank"));
	m.size = (uint64_t)json_integer_value(json_object_get(rec, "size"));
	m.lanes = (int)json_integer_value(json_object_get(rec, "lanes"));
	m.lane = json_is_integer(lane) && m.lanes > 1 ? (int)json_integer_value(lane) : -1;
	if (json_is_integer(lane) && m.lanes <= 1)
		m.lane = -1;
	m.value = json_number_value(json_object_get(rec, m.kind == FC_MEAS_BW ? "bw_gbps" : "lat_us_p50"));
	if (c->nm == c->cap_m) {
		int cap = c->cap_m ? 2 * c->cap_m : 1024;
		struct fc_meas *g = realloc(c->meas, sizeof(*g) * (size_t)cap);
		if (!g)
			return -ENOMEM;
		c->meas = g;
		c->cap_m = cap;
	}
	c->meas[c->nm++] = m;
	return 0;
}

/* An agent's report, checked: records of the schema, of this node, this
 * round and this peer. */
static void take_report(struct coord *c, int i, int peer, int round, bool retry, json_t *m)
{
	json_t *recs = json_object_get(m, "records"), *fails = json_object_get(m, "failures"), *rec;
	size_t k;
	char why[256];

	if (json_integer_value(json_object_get(m, "round")) != round || !json_is_array(recs) || !json_is_array(fails) ||
	    json_array_size(recs) > 100000 || json_array_size(fails) > 16) {
		lose(c, i, "its report for the round is malformed");
		return;
	}
	json_array_foreach(recs, k, rec) {
		json_t *copy = json_deep_copy(rec);
		if (fc_rec_validate(copy, why, sizeof(why)) ||
		    json_integer_value(json_object_get(copy, "rank")) != i ||
		    json_integer_value(json_object_get(copy, "round")) != round ||
		    (json_is_integer(json_object_get(copy, "peer_rank")) &&
		     json_integer_value(json_object_get(copy, "peer_rank")) != peer)) {
			json_decref(copy);
			lose(c, i, "it sent a record that is not its own for this round");
			return;
		}
		json_array_append_new(c->records, fc_rec_complete(copy));
		add_meas(c, rec, round, retry);
	}
	json_array_foreach(fails, k, rec) {
		struct fc_pair_failure f = {.round = round, .a = i, .b = peer};
		const char *msg = json_string_value(json_object_get(rec, "message"));
		char text[512];
		if (c->nf < FC_PAIRS_MAX_NODES * 8)
			c->fail[c->nf++] = f;
		fc_note("round %d: %s with %s: %s", round, c->node[i].label, c->node[peer].label,
			msg ? fc_printable(text, sizeof(text), msg) : "failed");
	}
}

int fc_coord_round(struct coord *c, int round, const int *partner, bool retry)
{
	uint64_t t0 = fc_now_ns(), deadline = fc_deadline_in(c->o->cfg.pair_timeout_s + 10);
	bool *waiting = calloc((size_t)c->n, sizeof(bool));
	int pairs = 0, left = 0;

	if (!waiting)
		return -ENOMEM;
	for (int i = 0; i < c->n; i++) {
		struct cnode *nd = &c->node[i];
		int p = partner[i];
		json_t *peer = json_null();
		if (!nd->alive)
			continue;
		if (p >= 0 && c->node[p].alive) {
			peer = json_pack("{s:i, s:s, s:s, s:i}", "rank", p, "label", c->node[p].label, "ip", c->node[p].ip,
					 "port", (int)c->node[p].port);
			pairs += i < p;
		} else {
			p = -1;
		}
		if (fc_boot_send(&nd->b, FC_MSG_ROUND,
				 json_pack("{s:i, s:b, s:s, s:o, s:b}", "round", round, "retry", retry, "self", nd->label, "peer",
					   peer, "first", p >= 0 && i < p))) {
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
		}
	}
	free(waiting);
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

static void alive_list(const struct coord *c, bool *alive)
{
	for (int i = 0; i < c->n; i++)
		alive[i] = c->node[i].alive;
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
		return -ENOMEM;
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
		v->bad_lanes |= c->node[i].down_lanes;
		snprintf(v->reason, sizeof(v->reason), "a NIC is down (%d of %d lanes measured)",
			 c->node[i].nlanes - __builtin_popcountll(c->node[i].down_lanes), c->node[i].nlanes);
	}
	/* so does a node whose own checks failed (fabcheck-diag, --diag) */
	for (int i = 0; !rc && i < c->n; i++) {
		struct fc_node_verdict *v = &c->v.node[i];
		char was[sizeof(v->reason)];
		if (!c->node[i].joined || !c->node[i].diag_fail)
			continue;
		snprintf(was, sizeof(was), "%s", v->verdict == FC_PV_FAIL ? v->reason : "");
		if (v->verdict != FC_PV_UNREACHABLE)
			v->verdict = FC_PV_FAIL;
		if (snprintf(v->reason, sizeof(v->reason), "%s%sfabcheck-diag: %d check(s) failed: %s", was,
			     *was ? "; " : "", c->node[i].diag_fail, c->node[i].diag) >= (int)sizeof(v->reason))
			memcpy(v->reason + sizeof(v->reason) - 4, "...", 4); /* cut, and says so */
	}
	free(labels);
	free(alive);
	c->judge_s += (double)(fc_now_ns() - t0) / 1e9;
	return rc;
}

/* Pairs worth a second try: those with a failing measurement (both ends
 * alive), as disjoint rounds. */
static void retry_failures(struct coord *c, int *round)
{
	int n = c->n;
	bool *want = calloc((size_t)(n * n), sizeof(bool));
	int *partner = malloc(sizeof(int) * (size_t)n);

	if (!want || !partner)
		goto out;
	for (int i = 0; i < c->v.nfail_pairs; i++) {
		int a = c->v.fail_pairs[i][0], b = c->v.fail_pairs[i][1];
		if (c->node[a].alive && c->node[b].alive)
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
		if (!pairs || fc_stop_signal())
			break;
		fc_coord_round(c, (*round)++, partner, true);
	}
out:
	free(want);
	free(partner);
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
	for (int r = 0; r < nr && !fc_stop_signal(); r++) {
		for (int i = 0; i < c->n; i++)
			partner[i] = -1;
		for (int i = 0; i < k; i++)
			partner[idx[i]] = rounds[r].partner[i] >= 0 ? idx[rounds[r].partner[i]] : -1;
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
	bool *use = calloc((size_t)n, sizeof(bool)), *met = calloc((size_t)(n * n), sizeof(bool));
	bool *suspect = calloc((size_t)n, sizeof(bool)), *good = calloc((size_t)n, sizeof(bool));
	uint64_t seed = c->o->cfg.seed;

	if (!use || !met || !suspect || !good)
		goto out;
	for (int r = 0; r < c->o->cfg.sweep_rounds && !fc_stop_signal(); r++) {
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
	for (int pass = 0; pass < 2 && !fc_stop_signal(); pass++) {
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

/* An absolute floor from the instance table when the agents' DMI names a
 * known type: a fraction of one NIC's line rate, per lane. */
static void floor_from_type(struct coord *c)
{
	struct itype *table = NULL;
	int nt = 0;
	const char *type = c->o->instance_type;
	const struct itype *it;

	if (c->o->verdict_floor_given)
		return;
	for (int i = 0; !type && i < c->n; i++)
		if (c->node[i].joined && *c->node[i].product)
			type = c->node[i].product;
	if (!type || !c->o->table || diag_table_load(c->o->table, &table, &nt))
		return;
	if ((it = diag_table_find(table, nt, type)) && it->nic_gbps > 0) {
		c->floor.min_bw_gbps = c->o->floor_fraction * it->nic_gbps / 8.0;
		fc_note("coordinator: %s: a NIC lane below %.1f GB/s at the largest size fails (%.0f%% of %d Gb/s)", type,
			c->floor.min_bw_gbps, c->o->floor_fraction * 100, it->nic_gbps);
	}
	free(table);
}

int fc_pairs_coordinate(const struct fc_pairs_opts *o, const struct fc_launch *l)
{
	struct coord c = {.o = o, .n = l->nodes};
	int round = 0, joined, rc, code;

	c.listener.fd = -1;
	c.node = calloc((size_t)c.n, sizeof(*c.node));
	c.fail = calloc(FC_PAIRS_MAX_NODES * 8, sizeof(*c.fail));
	c.records = json_array();
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
	if (!c.node || !c.fail)
		return FC_EXIT_FABRIC;
	for (int i = 0; i < c.n; i++)
		c.node[i].b.fd = -1;
	if ((rc = fc_coord_out_open(&c)) || (rc = fc_listener_open(&c.listener, l->coord_port))) {
		free(c.node);
		free(c.fail);
		json_decref(c.records);
		return fc_exit_status(rc);
	}
	joined = accept_joins(&c);
	await_ready(&c);
	label_nodes(&c);
	for (int i = 0; i < c.n; i++)
		if (!c.node[i].joined)
			snprintf(c.node[i].lost, sizeof(c.node[i].lost), "never joined within --join-timeout (%.0f s)",
				 o->join_timeout_s);
	joined = 0;
	for (int i = 0; i < c.n; i++)
		joined += c.node[i].alive;
	floor_from_type(&c);
	if (joined < fc_pairs_quorum(c.n)) {
		fc_err("quorum not reached: %d of %d node(s) ready, at least %d needed; see which never joined below",
		       joined, c.n, fc_pairs_quorum(c.n));
		c.quorum_failed = true;
	} else {
		fc_note("coordinator: %d of %d node(s) ready; %s mode", joined, c.n, o->cfg.mode);
		if (!strcmp(o->cfg.mode, "sweep"))
			run_sweep(&c, &round);
		else
			run_full(&c, &round);
		if (!fc_coord_judge(&c))
			retry_failures(&c, &round);
	}
	for (int i = 0; i < c.n; i++)
		if (c.node[i].alive)
			fc_boot_send(&c.node[i].b, FC_MSG_FINISH, NULL);
	fc_coord_judge(&c);
	code = fc_coord_out_write(&c);
	for (int i = 0; i < c.n; i++)
		fc_boot_close(&c.node[i].b);
	fc_listener_close(&c.listener);
	fc_verdicts_free(&c.v);
	free(c.meas);
	free(c.fail);
	free(c.node);
	json_decref(c.records);
	return fc_stop_signal() ? fc_exit_status(fc_stop_check()) : code;
}
