#include "optable.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "log.h"
#include "sizes.h"

#define MAX_ROWS 160 /* every row of every table a program names */
#define HELP_COL 23  /* width of the option column in --help */

static bool is_option(const struct fc_optrow *r)
{
	return r->type != FC_OPT_END && r->type != FC_OPT_HEADING;
}

static bool takes(const struct fc_optprog *p, const struct fc_optrow *r)
{
	return is_option(r) && (r->groups & p->takes);
}

static bool has_arg(const struct fc_optrow *r)
{
	return r->type != FC_OPT_FLAG && r->type != FC_OPT_HELP;
}

/* Every row of every table, headings included, in --help order. */
static int flatten(const struct fc_optprog *p, const struct fc_optrow **rows, int max)
{
	int n = 0;

	for (const struct fc_optrow *const *t = p->tables; *t; t++)
		for (const struct fc_optrow *r = *t; r->type != FC_OPT_END && n < max; r++)
			rows[n++] = r;
	return n;
}

const char *fc_optable_default(const struct fc_optprog *p, const struct fc_optrow *row)
{
	for (const struct fc_optdef *d = p->defaults; d && d->lng; d++)
		if (row->lng && !strcmp(d->lng, row->lng))
			return d->def;
	return row->def;
}

/* "-w" or "--size-time": what a message calls an option without a `what`. */
static const char *name_of(const struct fc_optrow *r, char *buf, size_t len)
{
	if (r->what)
		return r->what;
	if (r->shrt)
		snprintf(buf, len, "-%c", r->shrt);
	else
		snprintf(buf, len, "--%s", r->lng);
	return buf;
}

static int bad_choice(const char *what, const char *s, const char *const *set)
{
	char list[256] = "";
	size_t n = 0;

	for (const char *const *c = set; *c; c++)
		n += (size_t)snprintf(list + n, n < sizeof(list) ? sizeof(list) - n : 0, "%s%s",
				      c == set ? "" : c[1] ? ", " : " or ", *c);
	fc_err("invalid %s '%s': expected %s", what, s, list);
	return -FC_EXIT_USAGE;
}

static int to_number(const struct fc_optrow *r, const char *what, const char *s, struct fc_optarg *a)
{
	char *end;
	long l;
	double d;

	errno = 0;
	if (r->type == FC_OPT_INT) {
		l = strtol(s, &end, 10);
		if (errno || end == s || *end || l < (long)r->lo || l > (long)r->hi) {
			fc_err("invalid %s '%s': expected an integer from %ld to %ld", what, s, (long)r->lo, (long)r->hi);
			return -FC_EXIT_USAGE;
		}
		a->v.l = l;
		return 0;
	}
	d = strtod(s, &end);
	if (r->type == FC_OPT_SECONDS && (errno || end == s || *end || !isfinite(d) || d <= 0 || d > r->hi)) {
		fc_err("invalid %s '%s': expected seconds, more than 0 and at most %g", what, s, r->hi);
		return -FC_EXIT_USAGE;
	}
	if (errno || end == s || *end || !isfinite(d) || d < r->lo || d > r->hi) {
		fc_err("invalid %s '%s': expected a number from %g to %g", what, s, r->lo, r->hi);
		return -FC_EXIT_USAGE;
	}
	a->v.d = d;
	return 0;
}

static int to_size(const struct fc_optrow *r, const char *what, const char *s, struct fc_optarg *a)
{
	char lo[16], hi[16];
	uint64_t z;
	int rc = fc_size_parse(s, &z);

	if (rc)
		return rc;
	if (z < (uint64_t)r->lo || z > (uint64_t)r->hi) {
		fc_err("invalid %s '%s': expected %s to %s", what, s, fc_size_format((uint64_t)r->lo, lo, sizeof(lo)),
		       fc_size_format((uint64_t)r->hi, hi, sizeof(hi)));
		return -FC_EXIT_USAGE;
	}
	a->v.z = z;
	return 0;
}

/* Checks a value against its row's type and limits. */
static int convert(const struct fc_optrow *r, const char *s, struct fc_optarg *a)
{
	char buf[64];
	const char *what = name_of(r, buf, sizeof(buf));

	a->text = s;
	a->v.s = s;
	switch (r->type) {
	case FC_OPT_TEXT:
		if (r->hi > 0 && (!*s || strlen(s) > (size_t)r->hi)) {
			fc_err("invalid %s '%s': expected 1 to %ld characters", what, s, (long)r->hi);
			return -FC_EXIT_USAGE;
		}
		return 0;
	case FC_OPT_CHOICE:
		for (const char *const *c = r->choices; *c; c++)
			if (!strcmp(s, *c))
				return 0;
		return bad_choice(what, s, r->choices);
	case FC_OPT_INT:
	case FC_OPT_REAL:
	case FC_OPT_SECONDS: return to_number(r, what, s, a);
	case FC_OPT_SIZE: return to_size(r, what, s, a);
	default: return 0;
	}
}

int fc_optable_defaults(const struct fc_optprog *p, bool all)
{
	const struct fc_optrow *rows[MAX_ROWS];
	int n = flatten(p, rows, MAX_ROWS), rc;

	for (int i = 0; i < n; i++) {
		const char *def = fc_optable_default(p, rows[i]);
		struct fc_optarg a = {.is_default = true};

		if (!def || !has_arg(rows[i]) || !(all || takes(p, rows[i])))
			continue;
		if ((rc = convert(rows[i], def, &a)) || (rc = p->set(p->ctx, rows[i], &a)))
			return rc;
	}
	return 0;
}

/* getopt's own view of what went wrong, in words that name the option. */
static int bad_option(const struct fc_optprog *p, int c, const struct fc_optrow *row, char **argv)
{
	if (c == ':')
		fc_err("option '%s' needs a value (see --help)", argv[optind - 1]);
	else if (c == '?')
		fc_err("unknown option '%s' (see --help)",
		       optopt > 0 && optopt < 256 ? (char[]){'-', (char)optopt, 0} : argv[optind - 1]);
	else if (p->refused && p->refused(p->help_ctx, row))
		fc_err("%s takes no --%s option: %s", p->name, row->lng, p->refused(p->help_ctx, row));
	else
		fc_err("%s takes no --%s option (see --help)", p->name, row->lng);
	return -FC_EXIT_USAGE;
}

/* A short option names the row this program takes, else any row with
 * that letter (to be named as another program's). */
static const struct fc_optrow *by_letter(const struct fc_optprog *p, const struct fc_optrow **rows, int n, int c)
{
	const struct fc_optrow *other = NULL;

	for (int i = 0; i < n; i++)
		if (is_option(rows[i]) && rows[i]->shrt == c) {
			if (takes(p, rows[i]))
				return rows[i];
			other = other ? other : rows[i];
		}
	return other;
}

int fc_optable_parse(const struct fc_optprog *p, int argc, char **argv, int *first_arg)
{
	const struct fc_optrow *rows[MAX_ROWS];
	int n = flatten(p, rows, MAX_ROWS), nlo = 0, c, rc;
	struct option lo[MAX_ROWS + 1];
	char shorts[3 * MAX_ROWS + 2] = ":";

	/* every row goes to getopt, this program's first, so an option of
	 * another program is named as such instead of "unknown" */
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < n; i++) {
			const struct fc_optrow *r = rows[i];
			char s[2] = {r->shrt, 0};

			if (!is_option(r) || takes(p, r) != (pass == 0))
				continue;
			lo[nlo++] = (struct option){r->lng, has_arg(r) ? required_argument : no_argument, NULL, 256 + i};
			if (r->shrt && !strchr(shorts, r->shrt)) {
				strcat(shorts, s);
				if (has_arg(r))
					strcat(shorts, ":");
			}
		}
	lo[nlo] = (struct option){0};
	optind = 0; /* glibc: start afresh, whatever the last parse left */
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		const struct fc_optrow *row = c >= 256 && c < 256 + n ? rows[c - 256]
					      : c != ':' && c != '?' ? by_letter(p, rows, n, c) : NULL;
		struct fc_optarg a = {0};

		if (c == ':') /* another program's option is named as such, value or not */
			row = optopt >= 256 && optopt < 256 + n ? rows[optopt - 256] : by_letter(p, rows, n, optopt);
		if (c == ':' && row && !takes(p, row))
			return bad_option(p, 0, row, argv);
		if (c == ':' || c == '?' || !row)
			return bad_option(p, c == ':' ? ':' : '?', NULL, argv);
		if (!takes(p, row))
			return bad_option(p, 0, row, argv);
		if (row->type == FC_OPT_HELP) {
			p->usage(p, stdout);
			return 1;
		}
		if ((rc = convert(row, has_arg(row) ? optarg : "", &a)) || (rc = p->set(p->ctx, row, &a)))
			return rc;
	}
	*first_arg = optind;
	return 0;
}

/* The row's help with {def}, {lo} and {hi} replaced, and its default
 * appended when the text does not place it. */
static void expand(const struct fc_optprog *p, const struct fc_optrow *r, char *out, size_t len)
{
	char buf[512], num[32];
	const char *h = p->help ? p->help(p->help_ctx, r, buf, sizeof(buf)) : NULL;
	const char *def = fc_optable_default(p, r);
	size_t o = 0;

	h = h ? h : r->help ? r->help : "";
	for (const char *s = h; *s && o + 1 < len; s++) {
		const char *v = NULL;

		if (!strncmp(s, "{def}", 5))
			v = def ? def : "";
		else if (!strncmp(s, "{lo}", 4) || !strncmp(s, "{hi}", 4)) {
			double x = s[1] == 'l' ? r->lo : r->hi;
			if (r->type == FC_OPT_SIZE)
				fc_size_format((uint64_t)x, num, sizeof(num));
			else
				snprintf(num, sizeof(num), "%g", x);
			v = num;
		}
		if (v) {
			o += (size_t)snprintf(out + o, len - o, "%s", v);
			s += s[1] == 'd' ? 4 : 3;
		} else
			out[o++] = *s;
		o = o < len ? o : len - 1;
	}
	out[o] = '\0';
	if (def && *def && !strstr(h, "{def}"))
		snprintf(out + o, len - o, " (default %s)", def);
}

static void print_row(const struct fc_optprog *p, const struct fc_optrow *r, FILE *f)
{
	char left[48], text[768];

	if (r->shrt)
		snprintf(left, sizeof(left), "-%c, --%s%s%s", r->shrt, r->lng, r->arg ? " " : "", r->arg ? r->arg : "");
	else
		snprintf(left, sizeof(left), "    --%s%s%s", r->lng, r->arg ? " " : "", r->arg ? r->arg : "");
	fprintf(f, "  %-*s", HELP_COL, left);
	if (strlen(left) >= HELP_COL) /* no room for the two spaces before the text */
		fprintf(f, "\n  %-*s", HELP_COL, "");
	expand(p, r, text, sizeof(text));
	for (const char *s = text; *s; s++) {
		fputc(*s, f);
		if (*s == '\n')
			fprintf(f, "  %-*s", HELP_COL, "");
	}
	fputc('\n', f);
}

void fc_optable_rows_help(const struct fc_optprog *p, FILE *f)
{
	const struct fc_optrow *rows[MAX_ROWS], *heading = NULL;
	int n = flatten(p, rows, MAX_ROWS);

	for (int i = 0; i < n; i++) {
		if (rows[i]->type == FC_OPT_HEADING) {
			heading = rows[i]; /* shown with the first row under it this program takes */
			continue;
		}
		if (!takes(p, rows[i]))
			continue;
		if (heading && *heading->lng)
			fprintf(f, "%s\n", heading->lng);
		heading = NULL;
		print_row(p, rows[i], f);
	}
}

int fc_optable_accepted(const struct fc_optprog *p, const char **names, int max)
{
	const struct fc_optrow *rows[MAX_ROWS];
	int n = flatten(p, rows, MAX_ROWS), k = 0;

	for (int i = 0; i < n && k < max; i++)
		if (takes(p, rows[i]))
			names[k++] = rows[i]->lng;
	return k;
}
