/* fabcheck-report: turns fabcheck's JSON Lines records into a Markdown
 * report and gnuplot charts (PNG and SVG): bandwidth and latency against
 * size, the speed-up of libfabric (EFA) over TCP sockets size by size,
 * per-NIC bars, and a node-pair heatmap when records span several nodes.
 *   fabcheck-report [-o DIR] FILE.jsonl...
 * Everything is written into a temporary folder first and renamed into
 * place, so a failed report leaves nothing half-written. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "errors.h"
#include "log.h"
#include "record.h"

#define MAX_SERIES 16
#define MAX_POINTS 64

struct point {
	double size, bw, p50, min, p99;
	int nbw; /* repeated runs: medians over these */
	double bws[16];
};

struct series {
	char key[256], label[128];
	bool socket;
	int n;
	struct point pts[MAX_POINTS];
};

struct model {
	json_t *records;
	struct series bw[MAX_SERIES], lat[MAX_SERIES];
	int nbw, nlat;
	const char *bw_source; /* "bw" records, or ping-pong when there are none */
};

static const char *str(json_t *rec, const char *key)
{
	const char *s = json_string_value(json_object_get(rec, key));
	return s ? s : "";
}

static double num(json_t *rec, const char *key)
{
	json_t *v = json_object_get(rec, key);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* "8 B", "1 KB", "2 MB", "2 GB": binary multiples, as in the field's tables. */
static const char *human(double bytes, char *buf, size_t len)
{
	static const char *unit[] = {"B", "KB", "MB", "GB", "TB"};
	int u = 0;

	while (bytes >= 1024 && u < 4 && fmod(bytes, 1024) == 0) {
		bytes /= 1024;
		u++;
	}
	snprintf(buf, len, "%.0f %s", bytes, unit[u]);
	return buf;
}

/* ---- input ---- */

static int load(json_t *all, const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	long lineno = 0;
	int rc = 0;

	if (!f) {
		fc_err("cannot read '%s': %s", path, strerror(errno));
		return -FC_EXIT_USAGE;
	}
	while (!rc && getline(&line, &cap, f) > 0) {
		json_error_t jerr;
		json_t *rec;
		char why[256];
		lineno++;
		if (strspn(line, " \t\r\n") == strlen(line))
			continue;
		rec = json_loads(line, 0, &jerr);
		if (!rec || !json_is_object(rec)) {
			fc_err("%s:%ld is not a JSON record (%s): give fabcheck's --json output", path, lineno,
			       rec ? "not an object" : jerr.text);
			rc = -FC_EXIT_USAGE;
		} else if (fc_rec_validate(rec, why, sizeof(why))) {
			fc_err("%s:%ld is not a valid fabcheck record: %s", path, lineno, why);
			rc = -FC_EXIT_USAGE;
		} else {
			json_array_append_new(all, fc_rec_complete(json_incref(rec)));
		}
		json_decref(rec);
	}
	free(line);
	fclose(f);
	return rc;
}

/* ---- model ---- */

static void series_label(json_t *rec, char *key, size_t klen, char *label, size_t llen)
{
	const char *t = str(rec, "transport"), *p = str(rec, "provider"), *mem = str(rec, "memory");
	const char *dir = str(rec, "direction");
	bool sock = !strcmp(t, "socket");

	snprintf(label, llen, "%s%s%s%s%s", sock ? "TCP sockets" : "libfabric ", sock ? "" : p,
		 !strcmp(dir, "bidir") ? " (bidir)" : "", *mem && strcmp(mem, "host") ? ", " : "",
		 *mem && strcmp(mem, "host") ? mem : "");
	snprintf(key, klen, "%s|%s|%s|%s|%s", str(rec, "test"), t, p, dir, mem);
}

/* Per size, one value per series: the aggregate of a multi-NIC run, or the
 * only lane of a single one. */
static bool counts_for_curve(json_t *rec)
{
	json_t *lane = json_object_get(rec, "lane");
	return json_is_string(lane) || json_integer_value(json_object_get(rec, "lanes")) <= 1;
}

static struct series *find_series(struct series *s, int *n, json_t *rec)
{
	char key[256], label[128];

	series_label(rec, key, sizeof(key), label, sizeof(label));
	for (int i = 0; i < *n; i++)
		if (!strcmp(s[i].key, key))
			return &s[i];
	if (*n == MAX_SERIES)
		return NULL;
	s = &s[(*n)++];
	snprintf(s->key, sizeof(s->key), "%s", key);
	snprintf(s->label, sizeof(s->label), "%s", label);
	s->socket = !strcmp(str(rec, "transport"), "socket");
	return s;
}

static struct point *find_point(struct series *s, double size)
{
	for (int i = 0; i < s->n; i++)
		if (s->pts[i].size == size)
			return &s->pts[i];
	if (s->n == MAX_POINTS)
		return NULL;
	s->pts[s->n] = (struct point){.size = size};
	return &s->pts[s->n++];
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int cmp_point(const void *a, const void *b)
{
	return cmp_double(&((const struct point *)a)->size, &((const struct point *)b)->size);
}

static void add(struct series *all, int *n, json_t *rec, bool latency)
{
	struct series *s = find_series(all, n, rec);
	struct point *p = s ? find_point(s, num(rec, "size")) : NULL;

	if (!p)
		return;
	if (latency) {
		p->p50 = num(rec, "lat_us_p50");
		p->min = num(rec, "lat_us_min");
		p->p99 = num(rec, "lat_us_p99");
	} else if (p->nbw < 16) {
		p->bws[p->nbw++] = num(rec, "bw_gbps");
	}
}

static void build(struct model *m)
{
	size_t i;
	json_t *rec;
	bool have_bw = false;

	json_array_foreach(m->records, i, rec)
		have_bw |= !strcmp(str(rec, "test"), "bw");
	m->bw_source = have_bw ? "bw" : "pingpong";
	json_array_foreach(m->records, i, rec) {
		const char *t = str(rec, "test");
		if (!json_is_number(json_object_get(rec, "size")) || !counts_for_curve(rec))
			continue;
		if (!strcmp(t, m->bw_source) && json_is_number(json_object_get(rec, "bw_gbps")))
			add(m->bw, &m->nbw, rec, false);
		if (!strcmp(t, "pingpong") && json_is_number(json_object_get(rec, "lat_us_p50")))
			add(m->lat, &m->nlat, rec, true);
	}
	for (int s = 0; s < m->nbw; s++) {
		for (int k = 0; k < m->bw[s].n; k++) {
			struct point *p = &m->bw[s].pts[k];
			qsort(p->bws, (size_t)p->nbw, sizeof(double), cmp_double);
			p->bw = p->nbw % 2 ? p->bws[p->nbw / 2] : (p->bws[p->nbw / 2 - 1] + p->bws[p->nbw / 2]) / 2;
		}
		qsort(m->bw[s].pts, (size_t)m->bw[s].n, sizeof(struct point), cmp_point);
	}
	for (int s = 0; s < m->nlat; s++)
		qsort(m->lat[s].pts, (size_t)m->lat[s].n, sizeof(struct point), cmp_point);
}

/* "With" is the libfabric series (EFA first), "without" the socket one. */
static void pick(struct series *all, int n, struct series **with, struct series **without)
{
	*with = *without = NULL;
	for (int i = 0; i < n; i++) {
		if (all[i].socket && !*without)
			*without = &all[i];
		if (!all[i].socket && (!*with || (!strstr((*with)->label, "efa") && strstr(all[i].label, "efa"))))
			*with = &all[i];
	}
}

static const struct point *at(const struct series *s, double size)
{
	for (int i = 0; s && i < s->n; i++)
		if (s->pts[i].size == size)
			return &s->pts[i];
	return NULL;
}

/* ---- charts ---- */

struct out {
	char dir[PATH_MAX];  /* temporary folder being written */
	char plots[PATH_MAX]; /* where the .gp scripts are */
	int charts;
};

static FILE *create(struct out *o, const char *name)
{
	char path[PATH_MAX + 64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", o->dir, name);
	f = fopen(path, "w");
	if (!f)
		fc_err("cannot write %s: %s", path, strerror(errno));
	return f;
}

static void size_tics(const struct series *s, int n, char *xt, size_t len)
{
	double sizes[MAX_POINTS * MAX_SERIES];
	int k = 0;
	size_t off;
	char b[32];

	for (int i = 0; i < n; i++)
		for (int j = 0; j < s[i].n; j++)
			sizes[k++] = s[i].pts[j].size;
	qsort(sizes, (size_t)k, sizeof(double), cmp_double);
	off = (size_t)snprintf(xt, len, "(");
	for (int i = 0; i < k && off < len; i++) {
		/* powers of two only, so switch-point sizes (65, 16385) do not crowd */
		double lg = log2(sizes[i]);
		if ((i && sizes[i] == sizes[i - 1]) || lg != floor(lg))
			continue;
		off += (size_t)snprintf(xt + off, len - off, "%s\"%s\" %.0f", off > 1 ? ", " : "",
					human(sizes[i], b, sizeof(b)), sizes[i]);
	}
	if (off < len)
		snprintf(xt + off, len - off, ")");
}

/* Runs one script for PNG and SVG. vars: extra gnuplot assignments. */
static int render(struct out *o, const char *script, const char *name, const char *vars)
{
	static const char *fmts[] = {"png", "svg"};

	for (int i = 0; i < 2; i++) {
		char expr[8192], sc[PATH_MAX + 16], outfile[PATH_MAX + 64], data[PATH_MAX + 64];
		char log[PATH_MAX + 16];
		pid_t pid;
		int status;

		snprintf(sc, sizeof(sc), "%s/%s", o->plots, script);
		snprintf(data, sizeof(data), "%s/%s.dat", o->dir, name);
		snprintf(outfile, sizeof(outfile), "%s/%s.%s", o->dir, name, fmts[i]);
		if (snprintf(expr, sizeof(expr), "plotdir='%s'; datafile='%s'; outfile='%s'; fmt='%s'; %s",
			     o->plots, data, outfile, fmts[i], vars) >= (int)sizeof(expr)) {
			fc_err("chart %s: paths too long for gnuplot's command line", name);
			return -FC_EXIT_USAGE;
		}
		snprintf(log, sizeof(log), "%s/gnuplot.log", o->dir);
		pid = fork();
		if (pid == 0) {
			/* gnuplot's chatter (single-point ranges, NaN cells) goes to a log */
			if (!freopen(log, "a", stderr))
				_exit(126);
			execlp("gnuplot", "gnuplot", "-e", expr, sc, (char *)NULL);
			_exit(127);
		}
		if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
			char cmd[PATH_MAX + 32];
			fc_err("gnuplot failed on %s (%s)%s; its messages:", script, fmts[i],
			       pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 127
				       ? ": gnuplot is not installed (apt-get install gnuplot-nox)" : "");
			snprintf(cmd, sizeof(cmd), "tail -n 5 '%s' >&2", log);
			if (system(cmd))
				fc_warn("no gnuplot messages");
			return -FC_EXIT_FABRIC;
		}
	}
	o->charts++;
	return 0;
}

static void write_blocks(FILE *f, const struct series *s, int n, bool latency)
{
	for (int i = 0; i < n; i++) {
		fprintf(f, "%s\"%s\" \"%s\"\n", i ? "\n\n" : "", s[i].label, s[i].label);
		for (int j = 0; j < s[i].n; j++) {
			const struct point *p = &s[i].pts[j];
			if (latency)
				fprintf(f, "%.0f %.6g %.6g %.6g\n", p->size, p->p50, p->min, p->p99);
			else
				fprintf(f, "%.0f %.6g\n", p->size, p->bw);
		}
	}
}

static int chart_curves(struct out *o, struct series *s, int n, const char *name, const char *script,
			const char *title, bool latency)
{
	char xt[4096], vars[6000];
	FILE *f;

	if (n == 0)
		return 0;
	if (!(f = create(o, strcat(strcpy(vars, name), ".dat"))))
		return -FC_EXIT_FABRIC;
	write_blocks(f, s, n, latency);
	fclose(f);
	size_tics(s, n, xt, sizeof(xt));
	snprintf(vars, sizeof(vars), "nseries=%d; xt='%s'; chart_title='%s'", n, xt, title);
	return render(o, script, name, vars);
}

static int chart_speedup(struct out *o, const struct series *with, const struct series *without)
{
	char xt[4096], vars[6000];
	FILE *f;
	int k = 0;

	if (!with || !without || !(f = create(o, "speedup.dat")))
		return with && without ? -FC_EXIT_FABRIC : 0;
	for (int i = 0; i < with->n; i++) {
		const struct point *q = at(without, with->pts[i].size);
		if (q && q->bw > 0) {
			fprintf(f, "%.0f %.6g\n", with->pts[i].size, with->pts[i].bw / q->bw);
			k++;
		}
	}
	fclose(f);
	if (k == 0)
		return 0;
	size_tics(with, 1, xt, sizeof(xt));
	snprintf(vars, sizeof(vars), "xt='%s'; chart_title='speed-up per message size'; with_label='%s'; without_label='%s'",
		 xt, with->label, without->label);
	return render(o, "speedup.gp", "speedup", vars);
}

/* Per-NIC bars: the lanes of the largest size of the first multi-lane run. */
static int chart_nics(struct out *o, json_t *records)
{
	double best = -1;
	size_t i;
	json_t *rec;
	FILE *f;
	int k = 0;
	char vars[512], b[32], key[256], label[128], first_key[256] = "";

	json_array_foreach(records, i, rec)
		if (json_is_integer(json_object_get(rec, "lane")) && json_integer_value(json_object_get(rec, "lanes")) > 1 &&
		    num(rec, "size") > best && json_is_number(json_object_get(rec, "bw_gbps")) && strcmp(str(rec, "test"), "coverage")) {
			best = num(rec, "size");
			series_label(rec, first_key, sizeof(first_key), label, sizeof(label));
		}
	if (best < 0)
		return 0;
	if (!(f = create(o, "nics.dat")))
		return -FC_EXIT_FABRIC;
	json_array_foreach(records, i, rec) {
		char other[128];
		series_label(rec, key, sizeof(key), other, sizeof(other));
		if (json_is_integer(json_object_get(rec, "lane")) && num(rec, "size") == best && !strcmp(key, first_key)) {
			fprintf(f, "\"%s#%lld\" %.6g\n", str(rec, "domain"), (long long)json_integer_value(json_object_get(rec, "lane")),
				num(rec, "bw_gbps"));
			k++;
		}
	}
	fclose(f);
	snprintf(vars, sizeof(vars), "chart_title='per-NIC bandwidth at %s (%s)'", human(best, b, sizeof(b)), label);
	return k ? render(o, "nics.gp", "nics", vars) : 0;
}

/* Node-pair heatmap: bw records at their largest size, client node (rows)
 * by server node (columns); drawn when at least three nodes appear. */
static int chart_heatmap(struct out *o, json_t *records)
{
	char hosts[64][128], vars[256], b[32];
	int nh = 0;
	double best = -1, cell[64][64];
	size_t i;
	json_t *rec;
	FILE *f;

	json_array_foreach(records, i, rec)
		if (!strcmp(str(rec, "test"), "bw") && counts_for_curve(rec) && num(rec, "size") > best)
			best = num(rec, "size");
	json_array_foreach(records, i, rec) {
		const char *hs[2] = {str(rec, "local_host"), str(rec, "peer_host")};
		if (strcmp(str(rec, "test"), "bw") || !counts_for_curve(rec) || num(rec, "size") != best)
			continue;
		for (int h = 0; h < 2; h++) {
			int j = 0;
			while (j < nh && strcmp(hosts[j], hs[h]))
				j++;
			if (j == nh && nh < 64)
				snprintf(hosts[nh++], sizeof(hosts[0]), "%s", hs[h]);
		}
	}
	/* an all-pairs run: at least three nodes, and nodes seen as client
	 * and as server (two separate node-pair runs are not a matrix) */
	bool both = false;
	for (int h = 0; h < nh && !both; h++) {
		bool client = false, server = false;
		json_array_foreach(records, i, rec) {
			if (strcmp(str(rec, "test"), "bw"))
				continue;
			client |= !strcmp(str(rec, "local_host"), hosts[h]);
			server |= !strcmp(str(rec, "peer_host"), hosts[h]);
		}
		both = client && server;
	}
	if (nh < 3 || !both)
		return 0;
	for (int a = 0; a < nh; a++)
		for (int c = 0; c < nh; c++)
			cell[a][c] = NAN;
	json_array_foreach(records, i, rec) {
		int a = 0, c = 0;
		if (strcmp(str(rec, "test"), "bw") || !counts_for_curve(rec) || num(rec, "size") != best)
			continue;
		while (a < nh && strcmp(hosts[a], str(rec, "local_host")))
			a++;
		while (c < nh && strcmp(hosts[c], str(rec, "peer_host")))
			c++;
		if (a < nh && c < nh)
			cell[a][c] = num(rec, "bw_gbps");
	}
	if (!(f = create(o, "heatmap.dat")))
		return -FC_EXIT_FABRIC;
	fprintf(f, "node");
	for (int c = 0; c < nh; c++)
		fprintf(f, " \"%s\"", hosts[c]);
	for (int a = 0; a < nh; a++) {
		fprintf(f, "\n\"%s\"", hosts[a]);
		for (int c = 0; c < nh; c++)
			fprintf(f, isnan(cell[a][c]) ? " NaN" : " %.6g", cell[a][c]);
	}
	fputc('\n', f);
	fclose(f);
	snprintf(vars, sizeof(vars), "chart_title='node-pair bandwidth at %s'", human(best, b, sizeof(b)));
	return render(o, "heatmap.gp", "heatmap", vars);
}

/* ---- report ---- */

static void provenance(FILE *f, json_t *records)
{
	static const char *keys[] = {"local_host", "peer_host", "provider", "fabric", "libfabric",
				     "fabcheck_version", "tool"};
	static const char *names[] = {"hosts (client)", "hosts (server)", "providers", "fabrics",
				      "libfabric", "fabcheck", "programs"};
	const char *first = NULL, *last = NULL;
	size_t i;
	json_t *rec;

	fprintf(f, "\n## Provenance\n\n| | |\n|---|---|\n");
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		char seen[2048] = "";
		json_array_foreach(records, i, rec) {
			const char *v = str(rec, keys[k]);
			char token[300];
			snprintf(token, sizeof(token), "`%s`", v);
			if (*v && !strstr(seen, token) && strlen(seen) + strlen(token) + 3 < sizeof(seen))
				snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen), "%s%s", *seen ? ", " : "", token);
		}
		fprintf(f, "| %s | %s |\n", names[k], *seen ? seen : "-");
	}
	json_array_foreach(records, i, rec) {
		const char *t = str(rec, "timestamp");
		if (!*t)
			continue;
		if (!first || strcmp(t, first) < 0)
			first = t;
		if (!last || strcmp(t, last) > 0)
			last = t;
	}
	fprintf(f, "| measured | %s .. %s |\n| records | %zu |\n", first ? first : "-", last ? last : "-",
		json_array_size(records));
}

static int write_report(struct out *o, struct model *m)
{
	struct series *with, *without, *lw, *lwo;
	double sizes[MAX_POINTS * 2];
	int n = 0;
	char b[32];
	FILE *f = create(o, "report.md");

	if (!f)
		return -FC_EXIT_FABRIC;
	pick(m->bw, m->nbw, &with, &without);
	pick(m->lat, m->nlat, &lw, &lwo);
	fprintf(f, "# fabcheck report\n\n");
	if (with && without)
		fprintf(f, "%s against %s, size by size (bandwidth from `%s` records; GB/s = 10^9 bytes/s).\n",
			with->label, without->label, m->bw_source);
	fprintf(f, "\n## Bandwidth by message size\n\n| message size | bandwidth %s (GB/s) | bandwidth %s (GB/s) | speed-up |\n|---:|---:|---:|---:|\n",
		with ? with->label : "libfabric", without ? without->label : "TCP sockets");
	for (int s = 0; s < 2; s++) {
		const struct series *x = s ? without : with;
		for (int i = 0; x && i < x->n; i++) {
			int j = 0;
			while (j < n && sizes[j] != x->pts[i].size)
				j++;
			if (j == n)
				sizes[n++] = x->pts[i].size;
		}
	}
	qsort(sizes, (size_t)n, sizeof(double), cmp_double);
	for (int i = 0; i < n; i++) {
		const struct point *p = at(with, sizes[i]), *q = at(without, sizes[i]);
		char a[32] = "", c[32] = "", r[32] = "";
		if (p)
			snprintf(a, sizeof(a), "%.2f", p->bw);
		if (q)
			snprintf(c, sizeof(c), "%.2f", q->bw);
		if (p && q && q->bw > 0)
			snprintf(r, sizeof(r), "%.1fx", p->bw / q->bw);
		fprintf(f, "| %s | %s | %s | %s |\n", human(sizes[i], b, sizeof(b)), a, c, r);
	}
	fprintf(f, "\n## Summary\n\n");
	for (int s = 0; s < 2; s++) {
		const struct series *x = s ? without : with;
		const struct point *peak = NULL;
		for (int i = 0; x && i < x->n; i++)
			if (!peak || x->pts[i].bw > peak->bw)
				peak = &x->pts[i];
		if (peak)
			fprintf(f, "- peak bandwidth, %s: %.2f GB/s at %s\n", x->label, peak->bw,
				human(peak->size, b, sizeof(b)));
	}
	if (with && without) {
		const struct point *first2x = NULL;
		for (int i = 0; i < with->n && !first2x; i++) {
			const struct point *q = at(without, with->pts[i].size);
			if (q && q->bw > 0 && with->pts[i].bw / q->bw >= 2.0)
				first2x = &with->pts[i];
		}
		if (first2x)
			fprintf(f, "- speed-up first reaches 2x at %s\n", human(first2x->size, b, sizeof(b)));
		else
			fprintf(f, "- speed-up stays below 2x at every size measured on both sides\n");
	}
	if (lw && lwo) {
		for (int i = 0; i < lw->n; i++) {
			const struct point *q = at(lwo, lw->pts[i].size);
			if (q && q->p50 > 0) {
				fprintf(f, "- small-message latency (%s, p50): %s %.2f us, %s %.2f us, ratio %.2f\n",
					human(lw->pts[i].size, b, sizeof(b)), lw->label, lw->pts[i].p50, lwo->label,
					q->p50, lw->pts[i].p50 / q->p50);
				break;
			}
		}
	}
	fprintf(f, "\n## Charts\n\n");
	static const char *charts[][2] = {{"bandwidth", "bandwidth against message size"},
					  {"latency", "one-way latency against message size"},
					  {"speedup", "speed-up per message size"},
					  {"nics", "per-NIC bandwidth"},
					  {"heatmap", "node-pair bandwidth"}};
	for (size_t i = 0; i < sizeof(charts) / sizeof(charts[0]); i++) {
		char path[PATH_MAX + 64];
		snprintf(path, sizeof(path), "%s/%s.png", o->dir, charts[i][0]);
		if (access(path, F_OK) == 0)
			fprintf(f, "![%s](%s.png) ([SVG](%s.svg))\n\n", charts[i][1], charts[i][0], charts[i][0]);
	}
	provenance(f, m->records);
	return fclose(f) ? -FC_EXIT_FABRIC : 0;
}

static int save_records(struct out *o, json_t *records)
{
	FILE *f = create(o, "records.jsonl");
	size_t i;
	json_t *rec;

	if (!f)
		return -FC_EXIT_FABRIC;
	json_array_foreach(records, i, rec) {
		char *line = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
		fprintf(f, "%s\n", line ? line : "{}");
		free(line);
	}
	return fclose(f) ? -FC_EXIT_FABRIC : 0;
}

/* The gnuplot scripts: $FABCHECK_PLOTS, else installed beside the binary
 * (<prefix>/share/fabcheck/plots), else the source tree it was built from. */
static void find_plots(char *out, size_t len)
{
	const char *env = getenv("FABCHECK_PLOTS");
	char exe[PATH_MAX], probe[PATH_MAX + 64], *slash;
	ssize_t n;

	if (env && *env) {
		snprintf(out, len, "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')))
			*slash = '\0';
		if (snprintf(out, len, "%s/../share/fabcheck/plots", exe) < (int)len &&
		    snprintf(probe, sizeof(probe), "%s/bandwidth.gp", out) < (int)sizeof(probe) &&
		    access(probe, R_OK) == 0)
			return;
	}
	snprintf(out, len, "%s", FC_SOURCE_PLOTS);
}

static void rm_tree(const char *dir)
{
	char cmd[PATH_MAX + 32];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fc_warn("could not remove %s", dir);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: fabcheck-report [-o DIR] FILE.jsonl...\n"
		   "Reads fabcheck JSON Lines records (any mix of programs and transports) and writes\n"
		   "DIR/report.md (size table with speed-up, peaks, latency ratio, provenance), PNG and\n"
		   "SVG charts, their gnuplot data, and the records. DIR defaults to results/<time>/ and\n"
		   "must not exist yet, or be empty.\n"
		   "  -o, --output DIR   where the report goes\n"
		   "  -h, --help         this help\n"
		   "Exit: 0 written, 2 bad or empty input (nothing written), 3 gnuplot failed.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
					     {"help", no_argument, NULL, 'h'}, {0}};
	struct model m = {0};
	struct out o = {0};
	char final[PATH_MAX];
	int c, rc = 0;

	fc_log_set_prog("fabcheck-report");
	final[0] = '\0';
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		if (c == 'o')
			snprintf(final, sizeof(final), "%s", optarg);
		else if (c == 'h') {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return FC_EXIT_USAGE;
		}
	}
	if (optind == argc) {
		fc_err("no record files given");
		usage(stderr);
		return FC_EXIT_USAGE;
	}
	m.records = json_array();
	for (int i = optind; i < argc && !rc; i++)
		rc = load(m.records, argv[i]);
	if (!rc && json_array_size(m.records) == 0) {
		fc_err("no records in the input: run a fabcheck program with --json FILE first");
		rc = -FC_EXIT_USAGE;
	}
	if (!rc) {
		build(&m);
		if (m.nbw == 0 && m.nlat == 0) {
			fc_err("the input has no measurement records (pingpong, bw or rma) to report on");
			rc = -FC_EXIT_USAGE;
		}
	}
	if (rc) {
		json_decref(m.records);
		return fc_exit_status(rc);
	}
	if (!*final) {
		time_t now = time(NULL);
		struct tm tm;
		char stamp[32];
		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
		mkdir("results", 0755);
		snprintf(final, sizeof(final), "results/%s", stamp);
	}
	if (rmdir(final) != 0 && errno != ENOENT) {
		fc_err("output folder '%s' exists and is not empty: name a new one with -o", final);
		json_decref(m.records);
		return FC_EXIT_USAGE;
	}
	if (snprintf(o.dir, sizeof(o.dir), "%s.tmp-XXXXXX", final) >= (int)sizeof(o.dir) || !mkdtemp(o.dir)) {
		fc_err("cannot create '%s': %s", o.dir, strerror(errno));
		json_decref(m.records);
		return FC_EXIT_USAGE;
	}
	find_plots(o.plots, sizeof(o.plots));
	{
		struct series *with, *without;
		pick(m.bw, m.nbw, &with, &without);
		rc = chart_curves(&o, m.bw, m.nbw, "bandwidth", "bandwidth.gp", "bandwidth against message size", false);
		if (!rc)
			rc = chart_curves(&o, m.lat, m.nlat, "latency", "latency.gp", "one-way latency against message size", true);
		if (!rc)
			rc = chart_speedup(&o, with, without);
		if (!rc)
			rc = chart_nics(&o, m.records);
		if (!rc)
			rc = chart_heatmap(&o, m.records);
		if (!rc)
			rc = save_records(&o, m.records);
		if (!rc)
			rc = write_report(&o, &m);
	}
	if (!rc && rename(o.dir, final)) {
		fc_err("cannot move the report into '%s': %s", final, strerror(errno));
		rc = -FC_EXIT_FABRIC;
	}
	if (rc)
		rm_tree(o.dir);
	else
		printf("report: %s/report.md (%d charts, PNG and SVG)\n", final, o.charts);
	json_decref(m.records);
	return fc_exit_status(rc);
}
