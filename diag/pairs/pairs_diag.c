/* A node's fabcheck-diag findings travel with its join, so the cluster
 * verdict (rank 0's exit code) also fails a node whose own checks failed:
 * under SkyPilot only rank 0's exit code may be non-zero. */
#include "pairs_diag.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "log.h"
#include "readfile.h"

#define MAX_FAILED 8   /* checks named per node; the count says the rest */
#define MAX_LINE 200   /* one "check: reason" as sent */

/* A JSON file read as a fact is: a regular file, never waiting on a FIFO
 * or reading a device (readfile.h), bounded; NULL with the reason in e. */
json_t *fc_pairs_load_json_file(const char *path, size_t flags, json_error_t *e)
{
	char *text = NULL;
	ssize_t n = fc_read_alloc(path, &text);
	json_t *doc;

	if (n < 0) {
		snprintf(e->text, sizeof(e->text), "%s", n == -EINVAL ? "not a regular file" : strerror((int)-n));
		e->line = 0;
		return NULL;
	}
	doc = json_loadb(text, (size_t)n, flags, e);
	free(text);
	return doc;
}

json_t *fc_pairs_diag_summary(const char *path)
{
	json_error_t e;
	json_t *doc = fc_pairs_load_json_file(path, JSON_REJECT_DUPLICATES, &e), *failed = json_array(), *c;
	const char *tool = json_string_value(json_object_get(doc, "tool"));
	json_t *checks = json_object_get(doc, "checks");
	char line[MAX_LINE];
	int nfail = 0;
	size_t i;

	if (!doc || !tool || strcmp(tool, "fabcheck-diag") || !json_is_array(checks)) {
		/* diag did not run or its file is damaged: that is a finding too */
		snprintf(line, sizeof(line), "diag: no fabcheck-diag results in '%s' (%s)", path,
			 doc ? "not fabcheck-diag JSON" : e.text);
		json_array_append_new(failed, json_string(line));
		json_decref(doc);
		return json_pack("{s:i, s:o}", "fail", 1, "failed", failed);
	}
	json_array_foreach (checks, i, c) {
		const char *v = json_string_value(json_object_get(c, "verdict"));
		const char *name = json_string_value(json_object_get(c, "check"));
		const char *why = json_string_value(json_object_get(c, "reason"));
		if (!v || strcmp(v, "FAIL"))
			continue;
		if (nfail++ < MAX_FAILED) {
			snprintf(line, sizeof(line), "%s: %s", name ? name : "?", why ? why : "failed");
			json_array_append_new(failed, json_string(line));
		}
	}
	json_decref(doc);
	return json_pack("{s:i, s:o}", "fail", nfail, "failed", failed);
}

int fc_pairs_diag_take(const json_t *d, int *nfail, char *reason, size_t len)
{
	const json_t *failed = json_object_get(d, "failed"), *x;
	json_int_t n = json_integer_value(json_object_get(d, "fail"));
	size_t i, used = 0;

	*nfail = 0;
	reason[0] = '\0';
	if (!d)
		return 0; /* the agent ran without --diag */
	if (!json_is_object(d) || !json_is_integer(json_object_get(d, "fail")) || n < 0 || n > 10000 ||
	    !json_is_array(failed) || json_array_size(failed) > MAX_FAILED)
		return -FC_EXIT_USAGE;
	json_array_foreach (failed, i, x) {
		char clean[MAX_LINE];
		const char *s = json_string_value(x);
		if (!s || strlen(s) >= MAX_LINE)
			return -FC_EXIT_USAGE;
		/* a node's words are printed and written: control characters go */
		fc_printable(clean, sizeof(clean), s);
		if (used < len)
			used += (size_t)snprintf(reason + used, len - used, "%s%s", i ? "; " : "", clean);
	}
	*nfail = (int)n;
	return 0;
}
