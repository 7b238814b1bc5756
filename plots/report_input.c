#include "report_input.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "log.h"
#include "record.h"
#include "report_nccl.h"

void rp_input_init(struct rp_input *in)
{
	*in = (struct rp_input){.records = json_array(), .origin = json_array()};
}

void rp_input_free(struct rp_input *in)
{
	for (size_t i = 0; i < in->nsrc; i++) {
		free(in->src[i].name);
		json_decref(in->src[i].banner);
	}
	free(in->src);
	free(in->cluster_dir);
	json_decref(in->records);
	json_decref(in->origin);
	json_decref(in->good_hosts);
	json_decref(in->bad_hosts);
	json_decref(in->verdict_summary);
	*in = (struct rp_input){0};
}

static struct rp_source *add_source(struct rp_input *in, const char *name, const char *format)
{
	if (in->nsrc == in->cap) {
		size_t cap = in->cap ? in->cap * 2 : 8;
		struct rp_source *s = realloc(in->src, cap * sizeof(*s));
		if (!s)
			abort();
		in->src = s;
		in->cap = cap;
	}
	in->src[in->nsrc] = (struct rp_source){.name = strdup(name), .format = format, .banner = json_array()};
	return &in->src[in->nsrc++];
}

static bool is_int(json_t *rec, const char *key)
{
	return json_is_integer(json_object_get(rec, key));
}

static bool is_str(json_t *rec, const char *key)
{
	json_t *v = json_object_get(rec, key);
	return json_is_string(v) && *json_string_value(v);
}

static const char *str(json_t *rec, const char *key)
{
	const char *s = json_string_value(json_object_get(rec, key));
	return s ? s : "";
}

static int over(json_t *rec, const char *key, double max, const char *unit, char *why, size_t len)
{
	json_t *v = json_object_get(rec, key);
	if (json_is_number(v) && json_number_value(v) > max) {
		snprintf(why, len, "field \"%s\" is %g, above %g %s: not a measurement this report can draw", key,
			 json_number_value(v), max, unit);
		return -1;
	}
	return 0;
}

int rp_check_record(json_t *rec, char *why, size_t len)
{
	static const char *rates[] = {"bw_gbps", "algbw_gbps", "busbw_gbps"};
	static const char *times[] = {"lat_us_min", "lat_us_p50", "lat_us_p99", "lat_us_max", "lat_us_mean", "dereg_us_p50"};
	static const char *scopes[] = {"node", "nic", "link", "fabric", "cluster"};
	json_t *size = json_object_get(rec, "size");
	const char *test = str(rec, "test");

	if (json_is_integer(size) && (json_integer_value(size) < 1 || json_integer_value(size) > RP_MAX_SIZE)) {
		snprintf(why, len, "\"size\" %lld is outside 1..%lld bytes (1 TiB)", (long long)json_integer_value(size),
			 RP_MAX_SIZE);
		return -1;
	}
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++)
		if (over(rec, rates[i], RP_MAX_GBPS, "GB/s", why, len))
			return -1;
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++)
		if (over(rec, times[i], RP_MAX_US, "µs", why, len))
			return -1;
	if (over(rec, "msg_rate", 1e15, "messages/s", why, len) || over(rec, "duration_s", 1e9, "s", why, len))
		return -1;
	/* the cluster runner's records: what its tables need to place them */
	if (!strcmp(test, "verdict")) {
		size_t k = 0;
		while (k < 5 && strcmp(str(rec, "scope"), scopes[k]))
			k++;
		if (k == 5) {
			snprintf(why, len, "verdict record with \"scope\" \"%.64s\": expected node, nic, link, fabric or cluster",
				 str(rec, "scope"));
			return -1;
		}
		if (!is_str(rec, "verdict")) {
			snprintf(why, len, "%s verdict record without \"verdict\"", scopes[k]);
			return -1;
		}
		if ((k <= 2 && !is_int(rec, "rank")) || (k == 1 && !is_str(rec, "domain")) ||
		    (k == 2 && !is_int(rec, "peer_rank"))) {
			snprintf(why, len, "%s verdict record without %s", scopes[k],
				 k == 1 ? "\"rank\" and \"domain\"" : k == 2 ? "\"rank\" and \"peer_rank\"" : "\"rank\"");
			return -1;
		}
	} else if (!strcmp(test, "round") && !is_int(rec, "round")) {
		snprintf(why, len, "round record without \"round\"");
		return -1;
	} else if ((!strcmp(test, "bw") || !strcmp(test, "pingpong")) && is_int(rec, "rank") && !is_int(rec, "peer_rank")) {
		snprintf(why, len, "%s record with \"rank\" but no \"peer_rank\": a cluster measurement names both ends", test);
		return -1;
	}
	return 0;
}

/* One fabcheck record line: parsed, validated, completed to the schema. */
static int add_record_line(struct rp_input *in, struct rp_source *src, const char *line, size_t n, long lineno)
{
	json_error_t jerr;
	json_t *rec = json_loadb(line, n, 0, &jerr);
	char why[256];
	int rc = 0;

	if (!rec || !json_is_object(rec)) {
		fc_err("%s:%ld is not a JSON record (%s): give fabcheck's --json output or nccl-tests output", src->name,
		       lineno, rec ? "not an object" : jerr.text);
		rc = -FC_EXIT_USAGE;
	} else if (fc_rec_validate(rec, why, sizeof(why)) || rp_check_record(rec, why, sizeof(why))) {
		fc_err("%s:%ld is not a fabcheck record: %s", src->name, lineno, why);
		rc = -FC_EXIT_USAGE;
	} else {
		json_array_append_new(in->records, fc_rec_complete(json_incref(rec)));
		src->records++;
	}
	json_decref(rec);
	return rc;
}

static int load_lines(struct rp_input *in, struct rp_source *src, const char *buf, size_t len)
{
	long lineno = 0;

	for (size_t off = 0; off < len;) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (buf + off)) : len - off, k = 0;
		int rc;

		lineno++;
		while (k < n && strchr(" \t\r", buf[off + k]))
			k++;
		if (k < n && (rc = add_record_line(in, src, buf + off, n, lineno)))
			return rc;
		off += n + 1;
	}
	return 0;
}

static int parse_buffer(struct rp_input *in, const char *name, const char *buf, size_t len)
{
	size_t k = 0;
	json_t *doc = NULL;
	struct rp_source *src;
	int rc;

	while (k < len && buf[k] && strchr(" \t\r\n", buf[k]))
		k++;
	if (k == len) { /* empty: no records, said once for all inputs */
		add_source(in, name, "empty");
		return 0;
	}
	if (buf[k] == '{') {
		/* one JSON document with a "results" list is nccl-tests' JSON;
		 * anything else that starts like JSON is fabcheck's JSON Lines */
		doc = json_loadb(buf, len, 0, NULL);
		if (json_is_object(doc) && json_is_array(json_object_get(doc, "results")) && !json_object_get(doc, "schema")) {
			src = add_source(in, name, "nccl-tests JSON");
			{
				size_t before = json_array_size(in->records);
				rc = rp_nccl_json(name, doc, in->records, src->banner);
				src->records = json_array_size(in->records) - before;
			}
			json_decref(doc);
			return rc;
		}
		json_decref(doc);
		return load_lines(in, add_source(in, name, "fabcheck records"), buf, len);
	}
	src = add_source(in, name, "nccl-tests text");
	{
		size_t before = json_array_size(in->records);
		rc = rp_nccl_text(name, buf, len, in->records, src->banner);
		src->records = json_array_size(in->records) - before;
	}
	return rc;
}

int rp_input_buffer(struct rp_input *in, const char *name, const char *buf, size_t len)
{
	int rc = parse_buffer(in, name, buf, len);

	/* records remember their source: series of nccl-tests runs that do not
	 * name their network stay apart by file */
	while (json_array_size(in->origin) < json_array_size(in->records))
		json_array_append_new(in->origin, json_integer((json_int_t)in->nsrc - 1));
	return rc;
}

/* Regular files only (a FIFO or a device would block or never end), at
 * most RP_MAX_FILE bytes. */
static int slurp(const char *path, char **out, size_t *outlen, bool missing_ok)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	char *buf;
	size_t n = 0;

	*out = NULL;
	*outlen = 0;
	if (fd < 0) {
		if (missing_ok && errno == ENOENT)
			return 1;
		fc_err("cannot read '%s': %s", path, strerror(errno));
		return -FC_EXIT_USAGE;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		fc_err("'%s' is not a regular file: give record files, nccl-tests output or a cluster runner folder", path);
		close(fd);
		return -FC_EXIT_USAGE;
	}
	if (st.st_size > RP_MAX_FILE) {
		fc_err("'%s' has %lld bytes; the report reads files of at most %lld bytes (1 GiB): split it", path,
		       (long long)st.st_size, RP_MAX_FILE);
		close(fd);
		return -FC_EXIT_USAGE;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		abort();
	while (n < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return 0;
}

static json_t *text_lines(const char *buf, size_t len, bool pairs)
{
	json_t *a = json_array();

	for (size_t off = 0; off < len;) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (buf + off)) : len - off;
		char *line = strndup(buf + off, n), *p = line, *e;

		off += n + 1;
		for (char *c = line; *c; c++)
			if ((unsigned char)*c < 0x20 && *c != '\t')
				*c = ' ';
		while (*p == ' ' || *p == '\t')
			p++;
		e = p + strlen(p);
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (*p && *p != '#') {
			if (pairs) {
				/* "host reason...": the host, then the rest */
				size_t h = strcspn(p, " \t");
				char *r = p + h + strspn(p + h, " \t");
				p[h] = '\0';
				json_array_append_new(a, json_pack("[ss]", p, r));
			} else {
				json_array_append_new(a, json_string(p));
			}
		}
		free(line);
	}
	return a;
}

/* good-hosts.txt, bad-hosts.txt and verdict.json beside pairs.jsonl. */
static int load_cluster_files(struct rp_input *in, const char *dir)
{
	static const char *names[] = {"good-hosts.txt", "bad-hosts.txt", "verdict.json"};
	int rc = 0;

	free(in->cluster_dir);
	in->cluster_dir = strdup(dir);
	for (int i = 0; i < 3 && !rc; i++) {
		char path[PATH_MAX];
		char *buf;
		size_t len;
		int r;

		if (snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= (int)sizeof(path))
			return -FC_EXIT_USAGE;
		r = slurp(path, &buf, &len, true);
		if (r < 0)
			return r;
		if (r > 0)
			continue;
		if (i < 2) {
			json_t **dst = i ? &in->bad_hosts : &in->good_hosts;
			json_decref(*dst);
			*dst = text_lines(buf, len, i == 1);
		} else {
			json_error_t jerr;
			json_t *v = json_loadb(buf, len, 0, &jerr);
			if (!json_is_object(v)) {
				fc_err("%s:%d is not a JSON object (%s): the cluster runner writes verdict.json as one", path,
				       v ? 1 : jerr.line, v ? "another JSON value" : jerr.text);
				rc = -FC_EXIT_USAGE;
				json_decref(v);
			} else {
				json_decref(in->verdict_summary);
				in->verdict_summary = v;
			}
		}
		free(buf);
	}
	return rc;
}

int rp_input_load(struct rp_input *in, const char *path)
{
	char file[PATH_MAX], copy[PATH_MAX];
	struct stat st;
	char *buf;
	size_t len;
	int rc;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (snprintf(file, sizeof(file), "%s/pairs.jsonl", path) >= (int)sizeof(file))
			return -FC_EXIT_USAGE;
		if (access(file, F_OK)) {
			fc_err("'%s' is a folder without pairs.jsonl: give record files, nccl-tests output, or the cluster "
			       "runner's output folder", path);
			return -FC_EXIT_USAGE;
		}
	} else if (snprintf(file, sizeof(file), "%s", path) >= (int)sizeof(file)) {
		fc_err("path too long: %.64s...", path);
		return -FC_EXIT_USAGE;
	}
	if ((rc = slurp(file, &buf, &len, false)))
		return rc;
	rc = rp_input_buffer(in, file, buf, len);
	free(buf);
	snprintf(copy, sizeof(copy), "%s", file);
	if (!rc && !strcmp(basename(copy), "pairs.jsonl")) {
		snprintf(copy, sizeof(copy), "%s", file);
		rc = load_cluster_files(in, dirname(copy));
	}
	return rc;
}
