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

int fc_out_open(struct fc_out *o, const struct fc_opts *opts, const struct fc_column *cols)
{
	int rc;
	memset(o, 0, sizeof(*o));
	o->cols = cols;
	if (opts->json_path && opts->csv_path && fc_resfile_same(opts->json_path, opts->csv_path)) {
		fc_err("--json and --csv both name '%s': one would overwrite the other; give them different files",
		       opts->json_path);
		return -FC_EXIT_USAGE;
	}
	if ((opts->json_path && (rc = fc_resfile_open(&o->json, opts->json_path))) ||
	    (opts->csv_path && (rc = fc_resfile_open(&o->csv, opts->csv_path)))) {
		fc_out_close(o, rc);
		o->table = NULL;
		return rc;
	}
	/* Records own stdout when asked for there; the table then goes to stderr. */
	o->table = (o->json.f == stdout || o->csv.f == stdout) ? stderr : stdout;
	return 0;
}

void fc_out_open_capture(struct fc_out *o, json_t *capture)
{
	memset(o, 0, sizeof(*o));
	o->capture = capture;
}

void fc_out_banner(struct fc_out *o, const char *fmt, ...)
{
	va_list ap;

	if (!o->table)
		return;
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

	if (!f)
		return;
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

int fc_out_record_peer(struct fc_out *o, json_t *rec)
{
	json_t *capture = o->capture;
	int rc;

	o->capture = NULL;
	rc = fc_out_write(o, rec, true);
	o->capture = capture;
	return rc;
}

/* A p99 ten times the p50 (and 20 us above it) is not the fabric: another
 * busy process, or more busy threads than cores, took the CPU. */
static void note_spread(struct fc_out *o, json_t *rec)
{
	json_t *p50 = json_object_get(rec, "lat_us_p50"), *p99 = json_object_get(rec, "lat_us_p99");

	if (!json_is_number(p50) || !json_is_number(p99))
		return;
	o->nlat++;
	if (json_number_value(p99) > 10 * json_number_value(p50) && json_number_value(p99) - json_number_value(p50) > 20)
		o->nspread++;
}

int fc_out_write(struct fc_out *o, json_t *rec, bool with_row)
{
	int rc;

	note_spread(o, rec);
	if (o->capture)
		json_array_append(o->capture, rec);
	if (o->json.f) {
		char *line = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));
		if (!line)
			return -FC_EXIT_FABRIC;
		/* one complete line per record, flushed: a reader never sees half */
		fprintf(o->json.f, "%s\n", line);
		free(line);
		if ((rc = fc_resfile_commit(&o->json)))
			return rc;
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
		fputc('\n', o->csv.f);
		if ((rc = fc_resfile_commit(&o->csv)))
			return rc;
	}
	if (with_row)
		table_row(o, rec);
	return 0;
}

int fc_out_close(struct fc_out *o, int run_rc)
{
	if (o->table && o->nspread >= 2 && 2 * o->nspread >= o->nlat)
		fprintf(o->table,
			"# warning: p99 latency is over 10x the p50 in %d of %d records: the run looks contended (another "
			"busy process, or more busy-polling threads than cores); rerun on an idle machine, or with -b\n",
			o->nspread, o->nlat);
	int a = fc_resfile_close(&o->json, run_rc), b = fc_resfile_close(&o->csv, run_rc);
	return a ? a : b;
}
