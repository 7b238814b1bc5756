/* What the coordinator leaves behind, in one folder (README "Before your
 * NCCL job"): pairs.jsonl and pairs.csv (every record, plus round and
 * verdict records), verdict.json, good-hosts.txt (launcher order, for
 * mpirun --hostfile or Slurm --nodelist), bad-hosts.txt (host and reason);
 * and on stderr the summary and the commands to act, printed, never run. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "log.h"
#include "output.h"
#include "pairs_coord.h"
#include "record.h"
#include "resultfile.h"
#include "timing.h"

/* A folder this run may write into: a real folder (not a link), this
 * user's, writable and empty. 0 or -FC_EXIT_USAGE, said. */
static int folder_is_fresh(const char *dir)
{
	struct stat st;
	struct dirent *e;
	DIR *d;
	const char *why = NULL;
	bool empty;

	if (lstat(dir, &st))
		why = strerror(errno);
	else if (S_ISLNK(st.st_mode))
		why = "it is a symbolic link";
	else if (!S_ISDIR(st.st_mode))
		why = "it is not a folder";
	else if (st.st_uid != geteuid())
		why = "it belongs to another user";
	else if (access(dir, W_OK | X_OK))
		why = "it is not writable here";
	if (why) {
		fc_err("cannot write the run's files into '%s': %s; name a new folder with -o", dir, why);
		return -FC_EXIT_USAGE;
	}
	if (!(d = opendir(dir))) {
		fc_err("cannot read the output folder '%s': %s; name a new folder with -o", dir, strerror(errno));
		return -FC_EXIT_USAGE;
	}
	while ((e = readdir(d)) && (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")))
		;
	empty = !e;
	closedir(d);
	if (!empty) {
		fc_err("the output folder '%s' already holds files (an earlier run's?): name a new or empty folder with -o; "
		       "each run's files go into a folder of their own",
		       dir);
		return -FC_EXIT_USAGE;
	}
	return 0;
}

int fc_coord_out_open(struct coord *c)
{
	struct fc_sinks sinks = {0};
	char stamp[40];
	int rc;

	if (c->o->output) {
		snprintf(c->dir, sizeof(c->dir), "%s", c->o->output);
	} else {
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
		char job[72];
		size_t k = 0;
		/* the launcher's job id first (letters, digits, . _ - only): two
		 * runs started together are two folders, each named by its job */
		for (const char *p = c->l->job_id; *p && k + 2 < sizeof(job); p++)
			job[k++] = isalnum((unsigned char)*p) || strchr("._-", *p) ? *p : '_';
		if (k)
			job[k++] = '-';
		job[k] = '\0';
		mkdir("results", 0777);
		snprintf(c->dir, sizeof(c->dir), "results/pairs-%s%s-%d", job, stamp, (int)getpid());
	}
	/* A run's files go into a folder of its own: made now, or (-o) one
	 * that exists empty and is this user's. Nothing else can be in it, so
	 * no link planted there beforehand aims the verdict's files elsewhere,
	 * and no earlier run's hosts mix into this one's lists. */
	if (mkdir(c->dir, 0777) && (errno != EEXIST || !c->o->output)) {
		fc_err("cannot create the output folder '%s': %s; name another with -o", c->dir, strerror(errno));
		return -FC_EXIT_USAGE;
	}
	if ((rc = folder_is_fresh(c->dir)))
		return rc;
	snprintf(c->jsonl_path, sizeof(c->jsonl_path), "%s/pairs.jsonl", c->dir);
	snprintf(c->csv_path, sizeof(c->csv_path), "%s/pairs.csv", c->dir);
	sinks.json_path = c->jsonl_path;
	sinks.csv_path = c->csv_path;
	if ((rc = fc_out_open(&c->out, &sinks, NULL))) /* no columns: files only, no table */
		return rc;
	c->out_open = true;
	return 0;
}

/* After a failed start: the record files are not left behind. */
void fc_coord_out_abandon(struct coord *c)
{
	if (c->out_open)
		fc_out_close(&c->out, -FC_EXIT_USAGE);
	c->out_open = false;
}

static struct fc_rec base(const char *test, char *ts, size_t tslen)
{
	fc_timestamp(ts, tslen);
	return (struct fc_rec){.schema = FC_I(FC_SCHEMA_VERSION), .tool = "fabcheck-pairs", .fabcheck_version = FC_VERSION,
			       .test = test, .timestamp = ts};
}

void fc_coord_record(struct coord *c, json_t *rec)
{
	int rc;

	/* one cluster run: the agents' records carry its id and label, not
	 * each agent's own (the report would split the run by node) */
	if (json_is_object(rec)) {
		json_object_set_new(rec, "run", json_string(c->run_id));
		json_object_set_new(rec, "label", c->o->bench.label ? json_string(c->o->bench.label) : json_null());
	}
	if (c->out_open && !c->out_rc && (rc = fc_out_write(&c->out, rec, false)))
		c->out_rc = rc;
	json_decref(rec);
}

void fc_coord_round_record(struct coord *c, int round, int pairs, double seconds, bool retry)
{
	char ts[40], reason[96];
	struct fc_rec r = base("round", ts, sizeof(ts));

	snprintf(reason, sizeof(reason), "%d pair(s)%s", pairs, retry ? ", retries of failed measurements" : "");
	r.round = FC_I(round);
	r.duration_s = FC_R(seconds);
	r.verdict = "ok";
	r.reason = reason;
	fc_coord_record(c, fc_rec_json(&r));
}

/* Where a launcher reaches the node: its host name when unique, else the
 * address the coordinator saw. */
static const char *launch_name(const struct coord *c, int i)
{
	return strcmp(c->node[i].label, c->node[i].host) ? c->node[i].ip : c->node[i].host;
}

/* The drain command of the launcher that runs this job (none for one
 * without a scheduler: mpirun, SkyPilot, by hand), naming the node as the
 * scheduler does: the name its agent's launcher gave, else, where the host
 * name is that name (Slurm), the host. Every value is shell-quoted. */
static void drain_command(const struct coord *c, int i, json_t *cmds)
{
	const struct fc_launcher *row = c->l ? c->l->row : NULL;
	const struct cnode *nd = &c->node[i];
	const char *node = *nd->node_name ? nd->node_name : row && row->host_is_node && nd->joined ? launch_name(c, i) : "";
	char reason[64], cmd[1400], label[1200];

	if (!row || !row->drain)
		return;
	snprintf(reason, sizeof(reason), "fabcheck-pairs: %s", fc_pv_name(c->v.node[i].verdict));
	if (fc_launch_drain(row, node, reason, cmd, sizeof(cmd))) {
		fc_warn("no %s drain command for rank %d (%s): %s", row->name, i,
			fc_shell_quote(label, sizeof(label), nd->label) ? label : "?",
			!*node && !nd->joined ? "it never joined, so its node name is not known; drain it by hand"
			: !*node ? "its node name is not known; give the job FABCHECK_NODE_NAME (Kubernetes: from spec.nodeName)"
				 : "its node name is too long");
		return;
	}
	json_array_append_new(cmds, json_string(cmd));
}

/* "NIC rdmap16s27 (lane 1), NIC ..." for the lanes named bad or down */
static void bad_nic_names(const struct coord *c, int i, char *buf, size_t len)
{
	const struct fc_node_verdict *v = &c->v.node[i];
	size_t used = 0;

	buf[0] = '\0';
	for (int l = 0; l < c->node[i].nlanes && l < FC_PV_MAX_LANES && used < len; l++)
		if ((v->bad_lanes | c->node[i].down_lanes) & (1ull << l)) {
			int w = snprintf(buf + used, len - used, "%sNIC %s (lane %d)", used ? ", " : "",
					 c->node[i].lane_domain[l], l);
			used += w > 0 ? (size_t)w : 0;
		}
}

static const char *action_of(enum fc_pv v, const char *kind, bool nic)
{
	return v == FC_PV_UNREACHABLE ? "drain: check the node is up and reachable (security group, launcher)"
	       : kind && !strcmp(kind, "blocked")
		       ? "drain until its security group allows all traffic to and from itself (inbound and outbound) and "
			 "no firewall drops the traffic between nodes; then rerun"
	       : nic ? "drain: the named NIC is slow; reboot, then replace the node if it stays"
	       : v == FC_PV_FAIL      ? "drain: leave it out of the NCCL job; reboot, then replace if it stays"
				      : "monitor";
}

void fc_coord_step_failure(struct coord *c, int round, int a, int b, const char *reason)
{
	char ts[40];
	struct fc_rec r = base("verdict", ts, sizeof(ts));

	r.scope = "step";
	r.round = FC_I(round);
	r.rank = FC_I(a);
	r.peer_rank = FC_I(b);
	r.local_host = c->node[a].label;
	r.peer_host = c->node[b].label;
	r.verdict = "failed";
	r.reason = reason;
	fc_coord_record(c, fc_rec_json(&r));
}

static void verdict_records(struct coord *c)
{
	char ts[40];
	struct fc_rec r;

	for (int i = 0; i < c->n; i++) {
		const struct fc_node_verdict *v = &c->v.node[i];
		char reason[768];
		bool nics = v->bad_lanes != 0;
		snprintf(reason, sizeof(reason), "%s", v->verdict == FC_PV_UNREACHABLE && *c->node[i].lost ? c->node[i].lost
							: *v->reason ? v->reason : "every pair passed");
		r = base("verdict", ts, sizeof(ts));
		r.scope = "node";
		r.rank = FC_I(i);
		r.local_host = c->node[i].label;
		r.verdict = fc_pv_name(v->verdict);
		r.reason = reason;
		r.action = v->verdict == FC_PV_PASS ? NULL : action_of(v->verdict, v->kind, nics);
		fc_coord_record(c, fc_rec_json(&r));
		for (int l = 0; l < FC_PV_MAX_LANES && l < c->node[i].nlanes; l++) {
			char nr[512];
			if (!(v->bad_lanes & (1ull << l)))
				continue;
			if (c->node[i].down_lanes & (1ull << l))
				snprintf(nr, sizeof(nr), "NIC lane %d (%s) is %s: it was not measured", l, c->node[i].lane_domain[l],
					 c->node[i].lane_state[l]);
			else
				snprintf(nr, sizeof(nr), "NIC lane %d (%s) fails with %d partners whose lane %d passes elsewhere",
					 l, c->node[i].lane_domain[l], v->fail_partners, l);
			r = base("verdict", ts, sizeof(ts));
			r.scope = "nic";
			r.rank = FC_I(i);
			r.local_host = c->node[i].label;
			r.domain = c->node[i].lane_domain[l];
			r.lane = FC_LANE(l);
			r.verdict = c->node[i].down_lanes & (1ull << l) ? "down" : "fail";
			r.link_state = c->node[i].down_lanes & (1ull << l) ? c->node[i].lane_state[l] : NULL;
			r.reason = nr;
			r.action = action_of(FC_PV_FAIL, NULL, true);
			fc_coord_record(c, fc_rec_json(&r));
		}
	}
	for (int k = 0; k < c->v.nlinks; k++) {
		const struct fc_link_verdict *lk = &c->v.links[k];
		r = base("verdict", ts, sizeof(ts));
		r.scope = "link";
		r.rank = FC_I(lk->a);
		r.peer_rank = FC_I(lk->b);
		r.local_host = c->node[lk->a].label;
		r.peer_host = c->node[lk->b].label;
		r.verdict = "suspect";
		r.reason = lk->reason;
		r.action = "monitor: retest the pair; report it to AWS support if it stays";
		fc_coord_record(c, fc_rec_json(&r));
	}
	if (c->v.fabric) {
		char reason[128];
		snprintf(reason, sizeof(reason), "every pair of round %d was slow, with no bad node to blame", c->v.fabric_round);
		r = base("verdict", ts, sizeof(ts));
		r.scope = "fabric";
		r.round = FC_I(c->v.fabric_round);
		r.verdict = "fail";
		r.reason = reason;
		r.action = "check the placement group and the fabric; rerun before blaming nodes";
		fc_coord_record(c, fc_rec_json(&r));
	}
}

static const char *node_kind(const struct coord *c, int i)
{
	if (c->config_failed)
		return "configuration";
	if (c->quorum_failed)
		return c->node[i].joined ? "not judged" : "unreachable";
	return c->v.node[i].kind ? c->v.node[i].kind : "unknown";
}

/* What the node's verdict rests on: its score in every group the
 * relative rule judged, beside that group's reference and lines. */
static json_t *node_evidence(const struct coord *c, int i)
{
	json_t *ev = json_array();

	for (int g = 0; g < c->v.ngroups; g++) {
		const struct fc_group_lines *gl = &c->v.groups[g];
		bool bw = gl->kind == FC_MEAS_BW;
		json_t *e;
		if (isnan(gl->score[i]))
			continue;
		e = json_pack("{s:s, s:I, s:s, s:f, s:f, s:f, s:f}", "test", bw ? "bw" : "pingpong", "size",
			      (json_int_t)gl->size, "unit", bw ? "GB/s" : "us p50", "score", gl->score[i], "reference",
			      gl->ref, "fail_line", gl->fail, "warn_line", gl->warn);
		if (gl->lane >= 0)
			json_object_set_new(e, "lane", json_integer(gl->lane));
		if (!bw)
			json_object_set_new(e, "spread", json_real(gl->sigma));
		json_array_append_new(ev, e);
	}
	/* packet loss has fixed lines: the worst share any step of this node
	 * retransmitted, with whom */
	{
		const struct fc_meas *worst = NULL;
		for (int k = 0; k < c->nm; k++) {
			const struct fc_meas *m = &c->meas[k];
			if (m->kind == FC_MEAS_LOSS && (m->a == i || m->b == i) && (!worst || m->value > worst->value))
				worst = m;
		}
		if (worst)
			json_array_append_new(ev, json_pack("{s:s, s:s, s:f, s:s, s:f, s:f}", "test", "loss", "unit",
							    "% retransmitted", "score", worst->value, "partner",
							    c->node[worst->a == i ? worst->b : worst->a].label, "fail_line",
							    FC_LOSS_FAIL_PCT, "warn_line", FC_LOSS_WARN_PCT));
	}
	return ev;
}

static int write_text(const char *dir, const char *name, const char *text)
{
	char path[4200];
	struct fc_resfile f;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((rc = fc_resfile_open(&f, path)))
		return rc;
	fputs(text, f.f);
	rc = fc_resfile_commit(&f);
	return fc_resfile_close(&f, rc) ? -FC_EXIT_FABRIC : rc;
}

/* The cluster's verdict: pass, fail (something to act on), or quorum. */
static const char *cluster_verdict(const struct coord *c, int *code)
{
	/* a node nothing measured (unknown) is not vouched for: no pass; when
	 * the deadline cut the rounds, that is the deadline's doing */
	bool bad = c->v.nlinks > 0 || c->v.fabric || c->v.noisy, unmeasured = false;

	for (int i = 0; i < c->n; i++) {
		enum fc_pv v = c->v.node[i].verdict;
		bad |= v != FC_PV_PASS && v != FC_PV_WARN && v != FC_PV_UNKNOWN;
		unmeasured |= v == FC_PV_UNKNOWN;
	}
	bad |= unmeasured && !c->rounds_cut;
	*code = c->config_failed   ? -FC_EXIT_FABRIC
		: c->quorum_failed ? -FC_PAIRS_EXIT_QUORUM
		: bad		   ? -FC_EXIT_BELOW
		: c->rounds_cut	   ? -FC_EXIT_PEER /* timed out: -t */
				   : FC_EXIT_OK;
	return c->config_failed	 ? "configuration"
	       : c->quorum_failed ? "quorum"
	       : c->v.noisy	 ? "inconclusive"
	       : bad		 ? "fail"
	       : c->rounds_cut	 ? "incomplete"
				 : "pass";
}

int fc_coord_out_write(struct coord *c)
{
	json_t *nodes = json_array(), *links = json_array(), *good = json_array(),
	       *badh = json_array(), *cmds = json_array(), *doc;
	char *goodtxt = NULL, *badtxt = NULL, ts[40], reason[1100];
	size_t gl = 0, bl = 0;
	FILE *gf = open_memstream(&goodtxt, &gl), *bf = open_memstream(&badtxt, &bl);
	struct fc_rec r;
	const char *verdict;
	char *text;
	int code, rc = 0, npass = 0, ndrain = 0, nunknown = 0;
	bool judged = !c->quorum_failed && !c->config_failed; /* nothing is vouched for or drained otherwise */

	verdict_records(c);
	verdict = cluster_verdict(c, &code);
	/* a cut run says so first, whatever else the judging noted */
	snprintf(reason, sizeof(reason), "%s%s%s",
		 c->config_failed    ? (c->config_why ? c->config_why : "no node could open its lanes with the run's options")
		 : c->quorum_failed ? "too few nodes joined to judge the cluster"
		 : c->rounds_cut    ? "the run deadline (-t) passed before every planned round ran"
				    : c->v.note,
		 !c->config_failed && !c->quorum_failed && c->rounds_cut && *c->v.note ? "; " : "",
		 !c->config_failed && !c->quorum_failed && c->rounds_cut ? c->v.note : "");
	r = base("verdict", ts, sizeof(ts));
	r.scope = "cluster";
	r.verdict = verdict;
	r.reason = *reason ? reason : NULL;
	fc_coord_record(c, fc_rec_json(&r));
	for (int i = 0; i < c->n; i++) {
		const struct fc_node_verdict *v = &c->v.node[i];
		json_t *nics = json_array();
		const char *why = v->verdict == FC_PV_UNREACHABLE && *c->node[i].lost ? c->node[i].lost : v->reason;
		for (int l = 0; l < c->node[i].nlanes && l < FC_PV_MAX_LANES; l++)
			if (v->bad_lanes & (1ull << l))
				json_array_append_new(nics, json_string(c->node[i].lane_domain[l]));
		json_array_append_new(nodes, json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "rank", i, "label",
						       c->node[i].label, "host", c->node[i].host, "address", c->node[i].ip,
						       "verdict", fc_pv_name(v->verdict), "kind", node_kind(c, i), "reason", why,
						       "bad_nics", nics, "evidence", node_evidence(c, i)));
		if (judged && (v->verdict == FC_PV_PASS || v->verdict == FC_PV_WARN)) {
			fprintf(gf, "%s\n", launch_name(c, i));
			json_array_append_new(good, json_string(launch_name(c, i)));
			npass++;
		} else if (!judged || v->verdict == FC_PV_PASS || v->verdict == FC_PV_WARN || v->verdict == FC_PV_UNKNOWN) {
			/* without a quorum, or with options that fit no node,
			 * nothing was judged, and a node nothing measured (unknown)
			 * was not judged either: neither vouched for nor drained */
		} else {
			const char *h = c->node[i].joined ? launch_name(c, i) : c->node[i].label;
			char nicnames[512] = "";
			bad_nic_names(c, i, nicnames, sizeof(nicnames));
			fprintf(bf, "%s\t%s: %s%s%s\n", h, fc_pv_name(v->verdict), nicnames, *nicnames ? ": " : "",
				*why ? why : "not judged");
			json_array_append_new(badh, json_pack("{s:s, s:s, s:O}", "host", h, "reason", *why ? why : "not judged",
							      "bad_nics", json_object_get(json_array_get(nodes, (size_t)i), "bad_nics")));
			drain_command(c, i, cmds);
			ndrain++;
		}
	}
	for (int k = 0; k < c->v.nlinks; k++)
		json_array_append_new(links, json_pack("{s:s, s:s, s:s}", "a", c->node[c->v.links[k].a].label, "b",
						       c->node[c->v.links[k].b].label, "reason", c->v.links[k].reason));
	fclose(gf);
	fclose(bf);
	doc = json_pack("{s:i, s:s, s:s, s:s, s:s, s:i, s:i, s:s, s:b, s:b, s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "schema",
			FC_SCHEMA_VERSION, "tool", "fabcheck-pairs", "fabcheck_version", FC_VERSION, "timestamp", ts, "mode",
			c->o->cfg.mode, "nodes", c->n, "passed", npass, "verdict", verdict, "relative_rule", c->v.relative,
			"absolute_rule", c->v.absolute, "note", reason, "fabric",
			c->v.fabric ? json_pack("{s:i}", "round", c->v.fabric_round) : json_null(), "node_verdicts", nodes,
			"links", links, "good_hosts", good, "bad_hosts", badh, "commands", cmds);
	/* what the bandwidth steps measured: NCCL's plugin's protocol here */
	json_object_set_new(doc, "protocol", json_pack("{s:s, s:s}", "bandwidth_steps", c->o->cfg.protocol, "chosen_by",
						       c->o->protocol_why));
	json_object_set_new(doc, "fabrics", fc_coord_fabrics_json(c));
	/* the thresholds applied, beside the values in each node's evidence */
	json_object_set_new(doc, "thresholds",
			    json_pack("{s:f, s:f, s:i, s:f, s:f, s:f, s:f}", "fail", c->floor.fail, "warn", c->floor.warn,
				      "relative_min_nodes", c->floor.min_nodes, "min_bw_gbps", c->floor.min_bw_gbps,
				      "max_lat_us", c->floor.max_lat_us, "latency_fail_sigmas", FC_LAT_FAIL_SIGMAS,
				      "latency_warn_sigmas", FC_LAT_WARN_SIGMAS));
	{
		/* what the coordinator itself cost: for the scale projections */
		struct rusage ru;
		double cpu = 0;
		if (!getrusage(RUSAGE_SELF, &ru))
			cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
		json_object_set_new(doc, "timing", json_pack("{s:i, s:f, s:f, s:f, s:i}", "rounds", c->rounds, "wall_s",
							     (double)(fc_now_ns() - c->t0) / 1e9, "coordinator_cpu_s", cpu,
							     "judge_s", c->judge_s, "pairs_cut", c->cuts));
		fc_note("coordinator: %d round(s) in %.1f s, %d pair(s) cut; its own CPU %.3f s, judging %.3f s",
			c->rounds, (double)(fc_now_ns() - c->t0) / 1e9, c->cuts, cpu, c->judge_s);
	}
	text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	rc = fc_out_close(&c->out, c->out_rc);
	c->out_open = false;
	if ((rc = rc ? rc : c->out_rc) || (rc = write_text(c->dir, "verdict.json", text ? text : "{}")) ||
	    (rc = write_text(c->dir, "good-hosts.txt", goodtxt)) || (rc = write_text(c->dir, "bad-hosts.txt", badtxt)))
		code = rc;
	/* the summary, for people */
	for (int i = 0; i < c->n; i++)
		nunknown += c->v.node[i].verdict == FC_PV_UNKNOWN;
	/* what to act on, counted: a link-only finding drains no node */
	{
		char unknown[48] = "";
		if (nunknown)
			snprintf(unknown, sizeof(unknown), ", %d not judged", nunknown);
		fc_note("cluster verdict: %s: %d of %d node(s) good, %d to drain%s, %d link(s) suspect%s%s", verdict, npass,
			c->n, ndrain, unknown, c->v.nlinks, *reason ? "; " : "", reason);
	}
	for (int i = 0; i < c->n && !c->config_failed; i++) /* a configuration is one line, said */
		if (c->v.node[i].verdict != FC_PV_PASS) {
			const struct fc_node_verdict *v = &c->v.node[i];
			fc_note("  %s %s (rank %d): %s", fc_pv_name(v->verdict), c->node[i].label, i,
				v->verdict == FC_PV_UNREACHABLE && *c->node[i].lost ? c->node[i].lost : v->reason);
			for (int l = 0; l < c->node[i].nlanes && l < FC_PV_MAX_LANES; l++)
				if (c->node[i].down_lanes & (1ull << l))
					fc_note("    NIC %s (lane %d) is %s", c->node[i].lane_domain[l], l, c->node[i].lane_state[l]);
				else if (v->bad_lanes & (1ull << l))
					fc_note("    NIC %s (lane %d) is the slow one", c->node[i].lane_domain[l], l);
		}
	for (int k = 0; k < c->v.nlinks; k++)
		fc_note("  suspect link: %s", c->v.links[k].reason);
	if (c->v.fabric)
		fc_note("  the fabric: every pair of round %d was slow", c->v.fabric_round);
	fc_coord_fabrics_note(c);
	fc_note("results: %s/ (pairs.jsonl, pairs.csv, verdict.json, good-hosts.txt, bad-hosts.txt)", c->dir);
	if (json_array_size(cmds)) {
		size_t i;
		json_t *cmd;
		fc_note("to act (printed, not run):");
		json_array_foreach(cmds, i, cmd)
			fc_note("  %s", json_string_value(cmd));
	}
	free(text);
	free(goodtxt);
	free(badtxt);
	json_decref(doc);
	return code;
}
