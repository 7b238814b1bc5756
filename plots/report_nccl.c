#include "report_nccl.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "log.h"
#include "record.h"
#include "report_fmt.h"
#include "report_check.h"

/* What a run says about itself, from anywhere in the output. */
struct meta {
	char *op, *net, *provider, *h0, *h1, *timestamp;
	long long iters, warmup;
	json_t *hosts; /* every host a rank ran on, in order */
};

static void meta_free(struct meta *m)
{
	free(m->op);
	free(m->net);
	free(m->provider);
	free(m->h0);
	free(m->h1);
	free(m->timestamp);
	json_decref(m->hosts);
}

static void set(char **dst, const char *s, size_t n)
{
	free(*dst);
	*dst = strndup(s, n);
}

static void add_banner(json_t *banner, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(banner, i, v) if (!strcmp(json_string_value(v), s)) return;
	json_array_append_new(banner, json_string(s));
}

/* "hosts (3): a, b, c": records carry two ends, the banner all of them */
static void hosts_banner(const struct meta *m, json_t *banner)
{
	struct rp_buf b = {0};
	size_t i;
	json_t *h;

	if (!json_array_size(m->hosts))
		return;
	rp_buf_printf(&b, "hosts (%zu):", json_array_size(m->hosts));
	json_array_foreach(m->hosts, i, h) rp_buf_printf(&b, "%s %s", i ? "," : "", json_string_value(h));
	add_banner(banner, rp_buf_str(&b));
	rp_buf_free(&b);
}

/* "all_reduce" from ".../all_reduce_perf" or "all_reduce_perf_mpi". */
static void op_from_program(struct meta *m, const char *prog)
{
	const char *b = strrchr(prog, '/'), *e;

	b = b ? b + 1 : prog;
	e = strstr(b, "_perf");
	if (e && e > b)
		set(&m->op, b, (size_t)(e - b));
}

static void add_host(struct meta *m, const char *h, size_t n)
{
	char *dup = strndup(h, n);
	size_t i;
	json_t *v;
	bool seen = false;

	if (!m->hosts)
		m->hosts = json_array();
	json_array_foreach(m->hosts, i, v) seen |= !strcmp(json_string_value(v), dup);
	if (!seen)
		json_array_append_new(m->hosts, json_string(dup));
	free(dup);
	if (!m->h0)
		set(&m->h0, h, n);
	else if (!m->h1 && (strlen(m->h0) != n || strncmp(m->h0, h, n)))
		set(&m->h1, h, n);
}

/* The banner lines fabcheck keeps: NCCL's version, its net plugin and the
 * network it chose, which say whether the run went over EFA at all. */
static void scan_info(struct meta *m, const char *line, json_t *banner)
{
	const char *p, *info = strstr(line, "NCCL INFO ");

	if (!strncmp(line, "NCCL version", 12) || !strncmp(line, "# nccl-tests version", 20) ||
	    (strstr(line, "Out of bounds values") && strstr(line, "FAILED")))
		add_banner(banner, line);
	if (!info)
		return;
	info += 10;
	if (strstr(info, "NET/OFI") || strstr(info, "aws-ofi-nccl") || strstr(info, "NET/Plugin") ||
	    strstr(info, "Using network") || strstr(info, "NCCL_NET") || strstr(info, "NET/Socket :"))
		add_banner(banner, info);
	if ((p = strstr(info, "Using network "))) {
		p += 14;
		set(&m->net, p, strlen(p));
	}
	if ((p = strstr(info, "elected provider is ")) || (p = strstr(info, "elected Provider is "))) {
		p += 20;
		set(&m->provider, p, strcspn(p, " ,("));
	}
}

/* The length of an mpirun --tag-output tag ("[1,0]<stdout>:") at s, or 0. */
static size_t tag_len(const char *s)
{
	size_t n = 0;

	if (s[n++] != '[')
		return 0;
	for (int part = 0; part < 2; part++) {
		size_t digits = strspn(s + n, "0123456789");
		if (!digits || digits > 9 || s[n + digits] != (part ? ']' : ','))
			return 0;
		n += digits + 1;
	}
	if (!strncmp(s + n, "<stdout>:", 9) || !strncmp(s + n, "<stderr>:", 9))
		return n + 9;
	return 0;
}

/* Open MPI tags every piece of output it forwards, and a piece may end
 * mid-line ("      262144     [1,0]<stdout>:    65536 ..."): every tag goes,
 * wherever it is. */
static char *untag(char *s)
{
	for (char *p = strchr(s, '['); p; p = strchr(p, '[')) {
		size_t n = tag_len(p);
		if (n)
			memmove(p, p + n, strlen(p + n) + 1);
		else
			p++;
	}
	return s;
}

struct columns {
	int ntok;           /* tokens in a row */
	int t[2];           /* index of each group's time column */
	bool wrong_count;   /* the group's fourth column is "#wrong" (a count) */
	bool have;
};

/* Whitespace-separated tokens of s (modified in place), as many as there
 * are; *out is to be freed. -1 when memory is out. */
static int split(char *s, char ***out)
{
	char **tok = NULL;
	int n = 0, cap = 0;

	for (char *t = strtok(s, " \t"); t; t = strtok(NULL, " \t")) {
		if (n == cap) {
			char **more = realloc(tok, (size_t)(cap ? cap * 2 : 32) * sizeof(char *));
			if (!more) {
				free(tok);
				*out = NULL;
				return -1;
			}
			tok = more;
			cap = cap ? cap * 2 : 32;
		}
		tok[n++] = t;
	}
	*out = tok;
	return n;
}

/* 1 the column header (c filled), 0 another line, -1 out of memory. */
static int header(const char *line, struct columns *c)
{
	char *buf, **tok;
	int n, g = 0;

	if (line[0] != '#' || !strstr(line, "algbw") || !strstr(line, "busbw"))
		return 0;
	if (!(buf = strdup(line + 1)) || (n = split(buf, &tok)) < 0) {
		free(buf);
		return -1;
	}
	*c = (struct columns){.ntok = n};
	for (int i = 0; i < n; i++) {
		if (!strcmp(tok[i], "timestamp"))
			c->ntok++; /* "YYYY-mm-dd HH:MM:SS" is two tokens */
		if ((!strcmp(tok[i], "time") || !strcmp(tok[i], "cputime")) && g < 2 && i + 3 < n &&
		    !strcmp(tok[i + 1], "algbw") && !strcmp(tok[i + 2], "busbw")) {
			c->t[g++] = i;
			c->wrong_count = !strcmp(tok[i + 3], "#wrong");
		}
	}
	c->have = g == 2 && c->t[0] >= 1;
	free(tok);
	free(buf);
	return c->have;
}

static int num(const char *name, long lineno, const char *what, const char *s, double *out)
{
	char *end;
	errno = 0;
	*out = strtod(s, &end);
	if (*end || end == s || errno || !isfinite(*out) || *out < 0) {
		fc_err("%s:%ld: nccl-tests row: %s '%.32s' is not a finite number >= 0", name, lineno, what, s);
		return -FC_EXIT_USAGE;
	}
	return 0;
}

static int append(json_t *records, struct fc_rec *r, const char *name, const char *where)
{
	json_t *j = fc_rec_json(r);
	char why[256];

	if (fc_rec_validate(j, why, sizeof(why)) || rp_check_record(j, why, sizeof(why))) {
		fc_err("%s: %s: %s", name, where, why);
		json_decref(j);
		return -FC_EXIT_USAGE;
	}
	json_array_append_new(records, j);
	return 0;
}

static struct fc_rec base(const struct meta *m)
{
	return (struct fc_rec){.schema = FC_I(FC_SCHEMA_VERSION),
			       .tool = "nccl-tests",
			       .test = "nccl",
			       .nccl_op = m->op,
			       .net = m->net,
			       .provider = m->provider,
			       .local_host = m->h0,
			       .peer_host = m->h1,
			       .timestamp = m->timestamp,
			       .iters = m->iters >= 0 ? FC_I(m->iters) : (fc_int_t){0},
			       .warmup = m->warmup >= 0 ? FC_I(m->warmup) : (fc_int_t){0}};
}

static int row_values(const char *name, long lineno, char **tok, const struct columns *c, const struct meta *m,
		      json_t *records);

/* last: nothing but blanks follows the row. A killed job's log ends in a
 * row cut short; that row is dropped, the ones before it are kept. */
static int row(const char *name, long lineno, char *line, const struct columns *c, const struct meta *m,
	       bool last, json_t *records)
{
	char **tok;
	int n = split(line, &tok), rc;

	if (n < 0)
		return rp_nomem("reading nccl-tests rows");
	if (last && n < c->ntok) {
		fc_warn("%s:%ld: the last row has %d of nccl-tests' %d columns (the job was killed?): dropped; the "
			"rows before it are kept", name, lineno, n, c->ntok);
		free(tok);
		return 1;
	}
	if (n != c->ntok) {
		fc_err("%s:%ld: nccl-tests row has %d columns where its header has %d: a cut or mixed line", name,
		       lineno, n, c->ntok);
		free(tok);
		return -FC_EXIT_USAGE;
	}
	rc = row_values(name, lineno, tok, c, m, records);
	free(tok);
	return rc;
}

static int row_values(const char *name, long lineno, char **tok, const struct columns *c, const struct meta *m,
		      json_t *records)
{
	char *end, where[64];
	long long size;

	errno = 0;
	size = strtoll(tok[0], &end, 10);
	if (*end || errno || size < 1 || size > RP_MAX_SIZE) {
		fc_err("%s:%ld: nccl-tests row: size '%.32s' is not an integer from 1 to %lld", name, lineno, tok[0],
		       RP_MAX_SIZE);
		return -FC_EXIT_USAGE;
	}
	snprintf(where, sizeof(where), "line %ld", lineno);
	for (int g = 0; g < 2; g++) {
		struct fc_rec r = base(m);
		double t, alg, bus, w;
		const char *wt = tok[c->t[g] + 3];
		int rc;

		if ((rc = num(name, lineno, "time", tok[c->t[g]], &t)) ||
		    (rc = num(name, lineno, "algbw", tok[c->t[g] + 1], &alg)) ||
		    (rc = num(name, lineno, "busbw", tok[c->t[g] + 2], &bus)))
			return rc;
		if (c->wrong_count && strcmp(wt, "N/A")) {
			if ((rc = num(name, lineno, "#wrong", wt, &w)))
				return rc;
			if (w != floor(w) || w > 1e15) {
				fc_err("%s:%ld: nccl-tests row: #wrong '%.32s' is not a count", name, lineno, wt);
				return -FC_EXIT_USAGE;
			}
			r.wrong = FC_I((int64_t)w);
		}
		r.size = FC_I(size);
		r.lat_us_mean = FC_R(t);
		r.algbw_gbps = FC_R(alg);
		r.busbw_gbps = FC_R(bus);
		r.in_place = FC_B(g == 1);
		if ((rc = append(records, &r, name, where)))
			return rc;
	}
	return 0;
}

/* Each line once, NUL-terminated, control characters blanked. */
/* The next line, copied into line (room for len + 1 bytes: one buffer for
 * every line, so reading a line cannot run out of memory). */
/* Only white space in p[0, n): nothing follows. */
static bool blank(const char *p, size_t n)
{
	while (n && isspace((unsigned char)*p))
		p++, n--;
	return n == 0;
}

static char *next_line(const char *buf, size_t len, size_t *off, char *line)
{
	const char *nl = memchr(buf + *off, '\n', len - *off);
	size_t n = nl ? (size_t)(nl - (buf + *off)) : len - *off;

	memcpy(line, buf + *off, n);
	line[n] = '\0';
	*off += n + 1;
	for (char *c = line; *c; c++)
		if ((unsigned char)*c < 0x20)
			*c = ' ';
	return line;
}

static const char *known_op(const char *name)
{
	static const char *ops[] = {"all_reduce", "all_gather", "reduce_scatter", "alltoall", "broadcast",
				    "sendrecv", "hypercube", "reduce", "gather", "scatter"};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strstr(name, ops[i]))
			return ops[i];
	return NULL;
}

int rp_nccl_text(const char *name, const char *buf, size_t len, json_t *records, json_t *banner)
{
	struct meta m = {.iters = -1, .warmup = -1};
	struct columns c = {0};
	size_t off = 0, rows = 0;
	long lineno = 0, header_line = 0;
	int h;
	const char *op = known_op(name);
	char *line = malloc(len + 1);
	int rc = 0;

	if (!line)
		return rp_nomem("reading nccl-tests output");
	if (op)
		m.op = strdup(op);
	/* pass 1: what the run says about itself, wherever NCCL printed it */
	while (off < len) {
		char *p = untag(next_line(buf, len, &off, line));
		const char *q;
		while (*p == ' ')
			p++;
		scan_info(&m, p, banner);
		if ((q = strstr(p, " Rank ")) && *p == '#' && (q = strstr(q, " on "))) {
			q += 4;
			while (*q == ' ')
				q++;
			add_host(&m, q, strcspn(q, " "));
		}
		if (*p == '#' && (q = strstr(p, "warmup iters: ")))
			m.warmup = atoll(q + 14);
		/* "warmup iters: 5 iters: 20 agg iters: 1": the one after a number */
		for (q = p; *p == '#' && (q = strstr(q, " iters: ")); q++)
			if (q > p && isdigit((unsigned char)q[-1]))
				m.iters = atoll(q + 8);
	}
	for (off = 0; off < len && !rc;) {
		char *p = untag(next_line(buf, len, &off, line));
		const char *q;
		lineno++;
		while (*p == ' ')
			p++;
		if (*p == '#' && (q = strstr(p, "Collective test starting: ")))
			op_from_program(&m, q + 26);
		else if ((h = header(p, &c)) < 0)
			rc = rp_nomem("reading nccl-tests' column header");
		else if (h)
			header_line = lineno;
		else if (isdigit((unsigned char)*p) && strspn(p, "0123456789") == strcspn(p, " \t")) {
			if (!c.have) {
				fc_err("%s:%ld: a result row before nccl-tests' column header (size count type ... busbw "
				       "#wrong): give the whole output", name, lineno);
				rc = -FC_EXIT_USAGE;
			} else if ((rc = row(name, lineno, p, &c, &m, off >= len || blank(buf + off, len - off), records)) >= 0) {
				rows += rc == 0;
				rc = 0;
			}
		}
	}
	if (!rc && !rows) {
		if (header_line)
			fc_err("%s:%ld: nccl-tests' column header, but no result rows after it: the run did not finish",
			       name, header_line);
		else if (len >= 7 && !strncmp(buf, "schema,", 7))
			fc_err("%s is fabcheck's CSV (--csv): the report reads the JSON Lines records; give the "
			       "file a run wrote with --json FILE", name);
		else
			fc_err("%s:1 is neither fabcheck records (JSON Lines, --json FILE) nor nccl-tests output "
			       "(no result table)", name);
		rc = -FC_EXIT_USAGE;
	}
	hosts_banner(&m, banner);
	meta_free(&m);
	free(line);
	return rc;
}

static int json_num(json_t *o, const char *key, double *out)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_number(v))
		return -1;
	*out = json_number_value(v);
	return isfinite(*out) && *out >= 0 ? 0 : -1;
}

static int json_result(const char *name, size_t idx, json_t *res, const struct meta *m, json_t *records)
{
	static const char *groups[] = {"out_of_place", "in_place"};
	json_t *size = json_object_get(res, "size");
	char where[64];
	int n = 0;

	snprintf(where, sizeof(where), "results[%zu]", idx);
	if (!json_is_object(res) || !json_is_integer(size) || json_integer_value(size) < 1 ||
	    json_integer_value(size) > RP_MAX_SIZE) {
		fc_err("%s: %s: no \"size\" from 1 to %lld bytes", name, where, RP_MAX_SIZE);
		return -FC_EXIT_USAGE;
	}
	for (int g = 0; g < 2; g++) {
		json_t *o = json_object_get(res, groups[g]), *w;
		struct fc_rec r = base(m);
		double t, alg, bus;
		int rc;

		if (json_is_null(o) || !o)
			continue;
		if (!json_is_object(o) || (json_num(o, "time", &t) && json_num(o, "cpu_time", &t)) ||
		    json_num(o, "alg_bw", &alg) || json_num(o, "bus_bw", &bus)) {
			fc_err("%s: %s.%s: time, alg_bw and bus_bw must be finite numbers >= 0", name, where, groups[g]);
			return -FC_EXIT_USAGE;
		}
		w = json_object_get(o, "nwrong");
		if (json_is_number(w)) {
			double d = json_number_value(w);
			if (d < 0 || d != floor(d) || d > 1e15) {
				fc_err("%s: %s.%s: nwrong is not a count", name, where, groups[g]);
				return -FC_EXIT_USAGE;
			}
			r.wrong = FC_I((int64_t)d);
		}
		r.size = FC_I(json_integer_value(size));
		r.lat_us_mean = FC_R(t);
		r.algbw_gbps = FC_R(alg);
		r.busbw_gbps = FC_R(bus);
		r.in_place = FC_B(g == 1);
		if ((rc = append(records, &r, name, where)))
			return rc;
		n++;
	}
	if (!n) {
		fc_err("%s: %s has neither out_of_place nor in_place results", name, where);
		return -FC_EXIT_USAGE;
	}
	return 0;
}

int rp_nccl_json(const char *name, json_t *doc, json_t *records, json_t *banner)
{
	struct meta m = {.iters = -1, .warmup = -1};
	json_t *v, *cfg = json_object_get(doc, "config"), *res = json_object_get(doc, "results");
	const char *op = known_op(name);
	size_t i;
	int rc = 0;

	if (op)
		m.op = strdup(op);
	v = json_array_get(json_object_get(doc, "args"), 0);
	if (json_is_string(v))
		op_from_program(&m, json_string_value(v));
	if (json_is_integer(json_object_get(doc, "nccl_version"))) {
		char b[64];
		snprintf(b, sizeof(b), "NCCL version code %lld", (long long)json_integer_value(json_object_get(doc, "nccl_version")));
		add_banner(banner, b);
	}
	if (json_is_string(v = json_object_get(doc, "start_time")))
		m.timestamp = strdup(json_string_value(v));
	/* NCCL_NET names the network (e.g. "AWS Libfabric", "Socket");
	 * FI_PROVIDER the libfabric provider the plugin was told to use */
	json_array_foreach(json_object_get(doc, "env"), i, v) {
		const char *e = json_string_value(v);
		if (!e)
			continue;
		if (!strncmp(e, "NCCL_NET=", 9))
			set(&m.net, e + 9, strlen(e + 9));
		if (!strncmp(e, "FI_PROVIDER=", 12) && e[12])
			set(&m.provider, e + 12, strlen(e + 12));
		if (!strncmp(e, "NCCL_NET", 8) || !strncmp(e, "FI_PROVIDER", 11) || !strncmp(e, "FI_EFA", 6))
			add_banner(banner, e);
	}
	if (json_is_object(cfg)) {
		if (json_is_integer(v = json_object_get(cfg, "iterations")))
			m.iters = json_integer_value(v);
		if (json_is_integer(v = json_object_get(cfg, "warmup_iters")))
			m.warmup = json_integer_value(v);
		json_array_foreach(json_object_get(cfg, "devices"), i, v) {
			const char *h = json_string_value(json_object_get(v, "hostname"));
			if (h)
				add_host(&m, h, strlen(h));
		}
	}
	if (!json_array_size(res)) {
		fc_err("%s: nccl-tests JSON without results: the run did not finish", name);
		rc = -FC_EXIT_USAGE;
	}
	json_array_foreach(res, i, v) if (!rc) rc = json_result(name, i, v, &m, records);
	hosts_banner(&m, banner);
	meta_free(&m);
	return rc;
}
