/* diag/instance-types.tsv: one row per type; a malformed row is an error
 * naming file:line (a silently skipped row would make a type "unknown"). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "readfile.h"
#include "errors.h"
#include "log.h"

#define TABLE_FIELDS 11

/* Every value column may end in one "?": the value is unconfirmed. Strips
 * it from the length and says whether it was there. */
static bool guessed(const char *s, size_t *n)
{
	*n = strlen(s);
	if (*n && s[*n - 1] == '?') {
		(*n)--;
		return true;
	}
	return false;
}

/* "yes" / "no" */
static int yes_no(const char *s, bool *v, bool *sourced)
{
	size_t n;
	bool q = guessed(s, &n);

	if (n == 3 && !strncmp(s, "yes", 3))
		*v = true;
	else if (n == 2 && !strncmp(s, "no", 2))
		*v = false;
	else
		return -1;
	*sourced = !q;
	return 0;
}

static int number(const char *s, int lo, int hi, int *v, bool *sourced)
{
	size_t n;
	bool q = guessed(s, &n);
	char *end;
	long x = strtol(s, &end, 10);

	if (end == s || (size_t)(end - s) != n || x < lo || x > hi)
		return -1;
	*v = (int)x;
	*sourced = !q;
	return 0;
}

/* nics_per_gpu: "-" (does not apply: 0), else a ratio in (0, DIAG_MAX_DEVS] */
static int ratio(const char *s, double *v, bool *sourced)
{
	size_t n;
	bool q = guessed(s, &n);
	char *end;

	*sourced = !q;
	if (!strcmp(s, "-")) {
		*v = 0;
		return 0;
	}
	*v = strtod(s, &end);
	if (end == s || (size_t)(end - s) != n || !(*v > 0 && *v <= DIAG_MAX_DEVS))
		return -1;
	return 0;
}

static int parse_row(char *line, struct diag_itype *it)
{
	char *field[TABLE_FIELDS + 1], *save = NULL;
	int n = 0;
	/* struct diag_itype keeps the "?" of efa, nic_gbps and RDMA (the checks
	 * WARN instead of FAIL on them); gpus, nics_per_gpu and the GDR columns
	 * take one too, but are judged as if confirmed (the table's header
	 * says so) */
	bool write_sourced, unkept;

	for (char *t = strtok_r(line, " \t", &save); t; t = strtok_r(NULL, " \t", &save))
		if (n <= TABLE_FIELDS)
			field[n++] = t;
	if (n != TABLE_FIELDS)
		return -1;
	memset(it, 0, sizeof(*it));
	if (strlen(field[0]) >= sizeof(it->type) || strlen(field[1]) >= sizeof(it->accel) ||
	    strlen(field[10]) >= sizeof(it->source))
		return -1;
	diag_copy(it->type, sizeof(it->type), field[0]);
	diag_copy(it->accel, sizeof(it->accel), field[1]);
	diag_copy(it->source, sizeof(it->source), field[10]);
	if (number(field[2], 0, DIAG_MAX_GPUS, &it->gpus, &unkept) ||
	    number(field[3], 1, DIAG_MAX_DEVS, &it->efa, &it->efa_sourced) ||
	    number(field[4], 1, 100000, &it->nic_gbps, &it->gbps_sourced) ||
	    yes_no(field[5], &it->rdma_read, &it->rdma_sourced) || yes_no(field[6], &it->rdma_write, &write_sourced) ||
	    ratio(field[7], &it->nics_per_gpu, &unkept) ||
	    yes_no(field[8], &it->gdr_supported, &unkept) ||
	    yes_no(field[9], &it->gdr_required, &unkept))
		return -1;
	it->rdma_sourced = it->rdma_sourced && write_sourced;
	return 0;
}

int diag_table_parse(const char *text, size_t len, const char *name, struct diag_itype **out, int *count)
{
	struct diag_itype *t = NULL;
	int cap = 0, n = 0, lineno = 0;
	size_t pos = 0;

	*out = NULL;
	*count = 0;
	while (pos < len) {
		char line[512];
		size_t l = 0;
		lineno++;
		while (pos < len && text[pos] != '\n' && l < sizeof(line) - 1)
			line[l++] = text[pos++];
		if (pos < len && text[pos] != '\n') {
			fc_err("%s:%d: line longer than %zu bytes", name, lineno, sizeof(line) - 1);
			goto bad;
		}
		pos++;
		line[l] = '\0';
		if (memchr(line, '\0', l)) {
			fc_err("%s:%d: a NUL byte: not a text table", name, lineno);
			goto bad;
		}
		if (line[strspn(line, " \t\r")] == '\0' || line[strspn(line, " \t")] == '#')
			continue;
		line[strcspn(line, "\r")] = '\0';
		if (n == cap) {
			struct diag_itype *nt;
			cap = cap ? cap * 2 : 64;
			if (!(nt = realloc(t, (size_t)cap * sizeof(*t))))
				goto bad;
			t = nt;
		}
		if (parse_row(line, &t[n])) {
			fc_err("%s:%d: expected %d fields: type accel gpus efa nic_gbps rdma_read rdma_write "
			       "nics_per_gpu gdr_supported gdr_required source", name, lineno, TABLE_FIELDS);
			goto bad;
		}
		if (diag_table_find(t, n, t[n].type)) {
			fc_err("%s:%d: %s is listed twice", name, lineno, t[n].type);
			goto bad;
		}
		n++;
	}
	if (n == 0) {
		fc_err("%s: no instance types in it", name);
		goto bad;
	}
	*out = t;
	*count = n;
	return 0;
bad:
	free(t);
	return -FC_EXIT_USAGE;
}

int diag_table_load(const char *path, struct diag_itype **out, int *n)
{
	char *text;
	ssize_t len = fc_read_alloc(path, &text);
	int rc;

	*out = NULL;
	*n = 0;
	if (len < 0) {
		fc_err("cannot read the instance table %s: %s; name one with --table", path,
		       len == -EINVAL ? "not a regular file" : strerror((int)-len));
		return -FC_EXIT_USAGE;
	}
	rc = diag_table_parse(text, (size_t)len, path, out, n);
	free(text);
	return rc;
}

const struct diag_itype *diag_table_find(const struct diag_itype *t, int n, const char *type)
{
	for (int i = 0; type && i < n; i++)
		if (!strcmp(t[i].type, type))
			return &t[i];
	return NULL;
}

/* p6 to p9, and p10 on: the plugin's "^p([6-9]|[0-9]{2,})" */
static bool later_p_generation(const char *t)
{
	return t[0] == 'p' && isdigit((unsigned char)t[1]) && (t[1] >= '6' || isdigit((unsigned char)t[2]));
}

const char *diag_nccl_protocol(const char *type)
{
	if (!type || !*type)
		return NULL;
	/* in the plugin's order: its first match wins */
	if (!strcmp(type, "p4d.24xlarge") || !strcmp(type, "p4de.24xlarge") || !strcmp(type, "p3dn.24xlarge"))
		return "sendrecv";
	if (!strncmp(type, "p5en.48xlarge", 13) || later_p_generation(type))
		return "rdma";
	if (!strcmp(type, "p5.4xlarge"))
		return "sendrecv";
	if (!strncmp(type, "p5.", 3) || !strncmp(type, "p5e.", 4))
		return "rdma";
	if (!strcmp(type, "g5.48xlarge") || !strncmp(type, "trn1", 4) || !strncmp(type, "inf", 3))
		return "sendrecv";
	if (!strncmp(type, "trn2", 4))
		return "rdma";
	return NULL;
}

/* Beside the table it looks up (the cluster runner links this file, not
 * the node check's fact gathering). */
int diag_dmi_product(const char *sysfs_root, char *out, size_t len)
{
	char path[1200];

	out[0] = '\0';
	if (fc_path_join(path, sizeof(path), sysfs_root, "devices/virtual/dmi/id/product_name"))
		return -ENAMETOOLONG;
	return fc_read_line(path, out, len);
}
