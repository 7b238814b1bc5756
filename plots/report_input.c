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
#include "report_check.h"
#include "report_fmt.h"
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

/* The next source; NULL when memory is out (said). */
static struct rp_source *add_source(struct rp_input *in, const char *name, const char *format)
{
	char *copy;

	if (in->nsrc == in->cap) {
		size_t cap = in->cap ? in->cap * 2 : 8;
		struct rp_source *s = realloc(in->src, cap * sizeof(*s));
		if (!s) {
			rp_nomem("listing the inputs");
			return NULL;
		}
		in->src = s;
		in->cap = cap;
	}
	if (!(copy = strdup(name))) {
		rp_nomem("listing the inputs");
		return NULL;
	}
	in->src[in->nsrc] = (struct rp_source){.name = copy, .format = format, .banner = json_array()};
	return &in->src[in->nsrc++];
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
	if (k == len) /* empty: no records, said once for all inputs */
		return add_source(in, name, "empty") ? 0 : -FC_EXIT_FABRIC;
	if (buf[k] == '{') {
		/* one JSON document with a "results" list is nccl-tests' JSON;
		 * anything else that starts like JSON is fabcheck's JSON Lines */
		doc = json_loadb(buf, len, 0, NULL);
		if (json_is_object(doc) && json_is_array(json_object_get(doc, "results")) && !json_object_get(doc, "schema")) {
			if (!(src = add_source(in, name, "nccl-tests JSON"))) {
				json_decref(doc);
				return -FC_EXIT_FABRIC;
			}
			{
				size_t before = json_array_size(in->records);
				rc = rp_nccl_json(name, doc, in->records, src->banner);
				src->records = json_array_size(in->records) - before;
			}
			json_decref(doc);
			return rc;
		}
		json_decref(doc);
		if (!(src = add_source(in, name, "fabcheck records")))
			return -FC_EXIT_FABRIC;
		return load_lines(in, src, buf, len);
	}
	if (!(src = add_source(in, name, "nccl-tests text")))
		return -FC_EXIT_FABRIC;
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
		if (json_array_append_new(in->origin, json_integer((json_int_t)in->nsrc - 1)))
			return rp_nomem("reading the records");
	return rc;
}

enum {
	SLURP_MISSING_OK = 1, /* an absent file is 1, not an error */
	/* a file the report found in a folder, not one the operator named: a
	 * symbolic link there is refused (a fetched folder with a link to
	 * /etc/shadow would put that file into report.md) */
	SLURP_IN_FOLDER = 2,
};

/* Regular files only (a FIFO or a device would block or never end), at
 * most RP_MAX_FILE bytes. */
static int slurp(const char *path, char **out, size_t *outlen, int how)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | (how & SLURP_IN_FOLDER ? O_NOFOLLOW : 0));
	struct stat st;
	char *buf;
	size_t n = 0;

	*out = NULL;
	*outlen = 0;
	if (fd < 0) {
		if ((how & SLURP_MISSING_OK) && errno == ENOENT)
			return 1;
		if (errno == ELOOP && (how & SLURP_IN_FOLDER)) {
			fc_err("'%s' is a symbolic link inside a results folder: the report reads only the folder's own "
			       "files; copy the file it names into the folder, or give that file on the command line",
			       path);
			return -FC_EXIT_USAGE;
		}
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
	if (!buf) {
		close(fd);
		fc_err("cannot read '%s': no memory for its %lld bytes; free memory or split the file", path,
		       (long long)st.st_size);
		return -FC_EXIT_FABRIC;
	}
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

/* The lines as an array; NULL when memory is out. */
static json_t *text_lines(const char *buf, size_t len, bool pairs)
{
	json_t *a = json_array();

	for (size_t off = 0; a && off < len;) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (buf + off)) : len - off;
		char *line = strndup(buf + off, n), *p = line, *e;

		off += n + 1;
		if (!line) {
			json_decref(a);
			return NULL;
		}
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
		r = slurp(path, &buf, &len, SLURP_MISSING_OK | SLURP_IN_FOLDER);
		if (r < 0)
			return r;
		if (r > 0)
			continue;
		if (i < 2) {
			json_t **dst = i ? &in->bad_hosts : &in->good_hosts;
			json_decref(*dst);
			if (!(*dst = text_lines(buf, len, i == 1)))
				rc = rp_nomem("reading the host lists");
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
	int rc, how = 0;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		how = SLURP_IN_FOLDER;
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
	if ((rc = slurp(file, &buf, &len, how)))
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
