/* What the coordinator leaves behind, in one folder (README "Before your
 * NCCL job"): pairs.jsonl and pairs.csv (every record, plus round and
 * verdict records), verdict.json, good-hosts.txt (launcher order, for
 * mpirun --hostfile or Slurm --nodelist), bad-hosts.txt (host and reason);
 * and on stderr the summary and the commands to act, printed, never run. */
#include <errno.h>
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

int fc_coord_out_open(struct coord *c)
{
	char stamp[40];
	struct stat st;

	if (c->o->output) {
		snprintf(c->dir, sizeof(c->dir), "%s", c->o->output);
	} else {
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
		mkdir("results", 0777);
		snprintf(c->dir, sizeof(c->dir), "results/pairs-%s-%d", stamp, (int)getpid());
	}
	if (mkdir(c->dir, 0777) && errno != EEXIST) {
		fc_err("cannot create the output folder '%s': %s; name another with -o", c->dir, strerror(errno));
		return -FC_EXIT_USAGE;
	}
	if (stat(c->dir, &st) || !S_ISDIR(st.st_mode) || access(c->dir, W_OK | X_OK)) {
		fc_err("'%s' is not a writable folder: name another with -o", c->dir);
		return -FC_EXIT_USAGE;
	}
	return 0;
}

static struct fc_rec base(const char *test, char *ts, size_t tslen)
{
	fc_timestamp(ts, tslen);
	return (struct fc_rec){.schema = FC_I(FC_SCHEMA_VERSION), .tool = "fabcheck-pairs", .fabcheck_version = FC_VERSION,
			       .test = test, .timestamp = ts};
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
	json_array_append_new(c->records, fc_rec_json(&r));
}

/* Where a launcher reaches the node: its host name when unique, else the
 * address the coordinator saw. */
static const char *launch_name(const struct coord *c, int i)
{
	return strcmp(c->node[i].label, c->node[i].host) ? c->node[i].ip : c->node[i].host;
}

static const char *action_of(enum fc_pv v, bool nic)
{
	return v == FC_PV_UNREACHABLE ? "drain: check the node is up and reachable (security group, launcher)"
	       : nic                  ? "drain: the named NIC is slow; reboot, then replace the node if it stays"
	       : v == FC_PV_FAIL      ? "drain: leave it out of the NCCL job; reboot, then replace if it stays"
				      : "monitor";
}

static void verdict_records(struct coord *c, json_t *out)
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
		r.action = v->verdict == FC_PV_PASS ? NULL : action_of(v->verdict, nics);
		json_array_append_new(out, fc_rec_json(&r));
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
			r.action = action_of(FC_PV_FAIL, true);
			json_array_append_new(out, fc_rec_json(&r));
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
		json_array_append_new(out, fc_rec_json(&r));
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
		json_array_append_new(out, fc_rec_json(&r));
	}
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

static int write_records(struct coord *c, json_t *all)
{
	struct fc_opts o = {0};
	struct fc_out out;
	char jpath[4200], cpath[4200];
	size_t i;
	json_t *rec;
	int rc;

	snprintf(jpath, sizeof(jpath), "%s/pairs.jsonl", c->dir);
	snprintf(cpath, sizeof(cpath), "%s/pairs.csv", c->dir);
	o.json_path = jpath;
	o.csv_path = cpath;
	if ((rc = fc_out_open(&out, &o, NULL)))
		return rc;
	out.table = NULL; /* files only */
	json_array_foreach(all, i, rec) {
		if ((rc = fc_out_write(&out, rec, false)))
			break;
	}
	return fc_out_close(&out, rc) ? -FC_EXIT_FABRIC : rc;
}

/* The cluster's verdict: pass, fail (something to act on), or quorum. */
static const char *cluster_verdict(const struct coord *c, int *code)
{
	bool bad = c->v.nlinks > 0 || c->v.fabric;

	for (int i = 0; i < c->n; i++)
		bad |= c->v.node[i].verdict == FC_PV_FAIL || c->v.node[i].verdict == FC_PV_UNREACHABLE;
	*code = c->quorum_failed ? FC_EXIT_PEER : bad ? FC_EXIT_BELOW : FC_EXIT_OK;
	return c->quorum_failed ? "quorum" : bad ? "fail" : "pass";
}

int fc_coord_out_write(struct coord *c)
{
	json_t *all = json_deep_copy(c->records), *nodes = json_array(), *links = json_array(), *good = json_array(),
	       *badh = json_array(), *cmds = json_array(), *doc;
	char *goodtxt = NULL, *badtxt = NULL, ts[40], reason[512];
	size_t gl = 0, bl = 0;
	FILE *gf = open_memstream(&goodtxt, &gl), *bf = open_memstream(&badtxt, &bl);
	struct fc_rec r;
	const char *verdict;
	char *text;
	int code, rc = 0, npass = 0;

	/* the fabric's round is the slow one */
	if (c->v.fabric) {
		size_t i;
		json_t *rec;
		json_array_foreach(all, i, rec)
			if (!strcmp(json_string_value(json_object_get(rec, "test")), "round") &&
			    json_integer_value(json_object_get(rec, "round")) == c->v.fabric_round)
				json_object_set_new(rec, "verdict", json_string("slow"));
	}
	verdict_records(c, all);
	verdict = cluster_verdict(c, &code);
	snprintf(reason, sizeof(reason), "%s", c->quorum_failed ? "too few nodes joined to judge the cluster"
					       : *c->v.note ? c->v.note : "");
	r = base("verdict", ts, sizeof(ts));
	r.scope = "cluster";
	r.verdict = verdict;
	r.reason = *reason ? reason : NULL;
	json_array_append_new(all, fc_rec_json(&r));
	for (int i = 0; i < c->n; i++) {
		const struct fc_node_verdict *v = &c->v.node[i];
		json_t *nics = json_array();
		const char *why = v->verdict == FC_PV_UNREACHABLE && *c->node[i].lost ? c->node[i].lost : v->reason;
		for (int l = 0; l < c->node[i].nlanes && l < FC_PV_MAX_LANES; l++)
			if (v->bad_lanes & (1ull << l))
				json_array_append_new(nics, json_string(c->node[i].lane_domain[l]));
		json_array_append_new(nodes, json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:o}", "rank", i, "label", c->node[i].label,
						       "host", c->node[i].host, "address", c->node[i].ip, "verdict",
						       fc_pv_name(v->verdict), "reason", why, "bad_nics", nics));
		if (!c->quorum_failed && (v->verdict == FC_PV_PASS || v->verdict == FC_PV_WARN)) {
			fprintf(gf, "%s\n", launch_name(c, i));
			json_array_append_new(good, json_string(launch_name(c, i)));
			npass++;
		} else if (v->verdict == FC_PV_PASS || v->verdict == FC_PV_WARN) {
			/* without a quorum nothing was judged: no node is vouched
			 * for, and none that answered is blamed */
		} else {
			const char *h = c->node[i].joined ? launch_name(c, i) : c->node[i].label;
			char cmd[768];
			fprintf(bf, "%s\t%s: %s\n", h, fc_pv_name(v->verdict), *why ? why : "not judged");
			json_array_append_new(badh, json_pack("{s:s, s:s}", "host", h, "reason", *why ? why : "not judged"));
			snprintf(cmd, sizeof(cmd), "scontrol update NodeName=%s State=DRAIN Reason=\"fabcheck-pairs: %s\"", h,
				 fc_pv_name(v->verdict));
			json_array_append_new(cmds, json_string(cmd));
			snprintf(cmd, sizeof(cmd), "kubectl cordon %s", h);
			json_array_append_new(cmds, json_string(cmd));
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
	{
		/* what the coordinator itself cost: for the scale projections */
		struct rusage ru;
		double cpu = 0;
		if (!getrusage(RUSAGE_SELF, &ru))
			cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
		json_object_set_new(doc, "timing", json_pack("{s:i, s:f, s:f, s:f}", "rounds", c->rounds, "wall_s",
							     (double)(fc_now_ns() - c->t0) / 1e9, "coordinator_cpu_s", cpu,
							     "judge_s", c->judge_s));
		fc_note("coordinator: %d round(s) in %.1f s; its own CPU %.3f s, judging %.3f s", c->rounds,
			(double)(fc_now_ns() - c->t0) / 1e9, cpu, c->judge_s);
	}
	text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if ((rc = write_records(c, all)) || (rc = write_text(c->dir, "verdict.json", text ? text : "{}")) ||
	    (rc = write_text(c->dir, "good-hosts.txt", goodtxt)) || (rc = write_text(c->dir, "bad-hosts.txt", badtxt)))
		code = fc_exit_status(rc);
	/* the summary, for people */
	fc_note("cluster verdict: %s: %d of %d node(s) good%s%s", verdict, npass, c->n, *reason ? "; " : "", reason);
	for (int i = 0; i < c->n; i++)
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
	json_decref(all);
	return code;
}
