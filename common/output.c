#include "output.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "log.h"
#include "options.h"
#include "record.h"
#include "sizes.h"

static int sink_open(struct fc_sink *s, const char *path)
{
	int fd;

	memset(s, 0, sizeof(*s));
	if (!path)
		return 0;
	if (!strcmp(path, "-")) {
		s->f = stdout;
		return 0;
	}
	if (asprintf(&s->tmp, "%s.tmp-XXXXXX", path) < 0)
		return -FC_EXIT_FABRIC;
	fd = mkstemp(s->tmp);
	if (fd < 0 || !(s->f = fdopen(fd, "w"))) {
		fc_err("cannot write results to '%s': %s", path, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(s->tmp);
		}
		free(s->tmp);
		s->tmp = NULL;
		return -FC_EXIT_USAGE;
	}
	s->path = strdup(path);
	return 0;
}

/* A run that succeeded renames its file into place; one that failed keeps
 * the records it completed as FILE.partial (never touching an older FILE),
 * or nothing when it completed none. */
static int sink_close(struct fc_sink *s, int run_rc)
{
	int rc = 0;

	if (!s->f)
		return 0;
	if (s->f == stdout) {
		fflush(stdout);
	} else {
		bool bad = fflush(s->f) != 0 || ferror(s->f) || fsync(fileno(s->f)) != 0;
		char *partial = NULL;
		bad |= fclose(s->f) != 0;
		if (bad) {
			fc_err("cannot finish writing '%s': %s (disk full?); nothing kept", s->path, strerror(errno));
			unlink(s->tmp);
			rc = -FC_EXIT_FABRIC;
		} else if (run_rc == 0) {
			if (rename(s->tmp, s->path)) {
				fc_err("cannot move the results into '%s': %s", s->path, strerror(errno));
				unlink(s->tmp);
				rc = -FC_EXIT_FABRIC;
			}
		} else if (s->records && asprintf(&partial, "%s.partial", s->path) > 0 && !rename(s->tmp, partial)) {
			fc_note("the run failed: the %zu record(s) it completed are in %s", s->records, partial);
		} else {
			unlink(s->tmp);
		}
		free(partial);
	}
	free(s->tmp);
	free(s->path);
	memset(s, 0, sizeof(*s));
	return rc;
}

int fc_out_open(struct fc_out *o, const struct fc_opts *opts, const struct fc_column *cols)
{
	int rc;

	memset(o, 0, sizeof(*o));
	o->cols = cols;
	if ((rc = sink_open(&o->json, opts->json_path)) || (rc = sink_open(&o->csv, opts->csv_path))) {
		fc_out_close(o, rc);
		return rc;
	}
	/* Records own stdout when asked for there; the table then goes to stderr. */
	o->table = (o->json.f == stdout || o->csv.f == stdout) ? stderr : stdout;
	return 0;
}

void fc_out_banner(struct fc_out *o, const char *fmt, ...)
{
	va_list ap;

	fc_progress_done();
	fputs("# ", o->table);
	va_start(ap, fmt);
	vfprintf(o->table, fmt, ap);
	va_end(ap);
	fputc('\n', o->table);
}

static void csv_value(FILE *f, json_t *v)
{
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		if (strpbrk(s, ",\"\n")) {
			fputc('"', f);
			for (; *s; s++) {
				if (*s == '"')
					fputc('"', f);
				fputc(*s, f);
			}
			fputc('"', f);
		} else {
			fputs(s, f);
		}
	} else if (json_is_integer(v)) {
		fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	} else if (json_is_real(v)) {
		fprintf(f, "%.6g", json_real_value(v));
	} else if (json_is_boolean(v)) {
		fputs(json_is_true(v) ? "true" : "false", f);
	}
}

static void table_row(struct fc_out *o, json_t *rec)
{
	FILE *f = o->table;

	fc_progress_done();
	if (!o->table_header_done) {
		for (const struct fc_column *c = o->cols; c->key; c++)
			fprintf(f, "%*s", c->width, c->header);
		fputc('\n', f);
		o->table_header_done = true;
	}
	for (const struct fc_column *c = o->cols; c->key; c++) {
		json_t *v = json_object_get(rec, c->key);
		char buf[32];
		if (c->decimals < 0 && json_is_integer(v))
			fprintf(f, "%*s", c->width, fc_size_format((uint64_t)json_integer_value(v), buf, sizeof(buf)));
		else if (json_is_number(v))
			fprintf(f, "%*.*f", c->width, c->decimals, json_number_value(v));
		else if (json_is_string(v))
			fprintf(f, "%*s", c->width, json_string_value(v));
		else
			fprintf(f, "%*s", c->width, "-");
	}
	fputc('\n', f);
	fflush(f);
}

int fc_out_record(struct fc_out *o, json_t *rec)
{
	return fc_out_write(o, rec, true);
}

int fc_out_write(struct fc_out *o, json_t *rec, bool with_row)
{
	if (o->json.f) {
		char *line = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));
		if (!line)
			return -FC_EXIT_FABRIC;
		/* one complete line per record, flushed: a reader never sees half */
		int bad = fprintf(o->json.f, "%s\n", line) < 0 || fflush(o->json.f);
		free(line);
		if (bad) {
			fc_err("cannot write a record to '%s': %s", o->json.path ? o->json.path : "stdout", strerror(errno));
			return -FC_EXIT_FABRIC;
		}
		o->json.records++;
	}
	if (o->csv.f) {
		if (!o->csv_header_done) {
			for (size_t i = 0; i < fc_schema_nfields; i++)
				fprintf(o->csv.f, "%s%s", i ? "," : "", fc_schema_fields[i]);
			fputc('\n', o->csv.f);
			o->csv_header_done = true;
		}
		for (size_t i = 0; i < fc_schema_nfields; i++) {
			if (i)
				fputc(',', o->csv.f);
			csv_value(o->csv.f, json_object_get(rec, fc_schema_fields[i]));
		}
		if (fputc('\n', o->csv.f) == EOF || fflush(o->csv.f)) {
			fc_err("cannot write a record to '%s': %s", o->csv.path ? o->csv.path : "stdout", strerror(errno));
			return -FC_EXIT_FABRIC;
		}
		o->csv.records++;
	}
	if (with_row)
		table_row(o, rec);
	return 0;
}

int fc_out_close(struct fc_out *o, int run_rc)
{
	int a = sink_close(&o->json, run_rc), b = sink_close(&o->csv, run_rc);
	return a ? a : b;
}
