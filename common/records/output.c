#include "output.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "log.h"
#include "record.h"
#include "sizes.h"

static int open_sinks(struct fc_out *o, const struct fc_sinks *sinks)
{
	const struct fc_sink_format *const *f, *const *g;
	int rc;

	for (f = fc_sink_formats; *f; f++) {
		const char *path = fc_sink_path(sinks, *f);
		for (g = fc_sink_formats; path && g != f; g++) {
			const char *other = fc_sink_path(sinks, *g);
			if (other && fc_resfile_same(other, path)) {
				fc_err("--%s and --%s both name '%s': one would overwrite the other; give them different files",
				       (*g)->name, (*f)->name, other);
				return -FC_EXIT_USAGE;
			}
		}
	}
	for (f = fc_sink_formats; *f; f++) {
		const char *path = fc_sink_path(sinks, *f);
		struct fc_sink *s = &o->sink[o->nsinks];
		if (!path)
			continue;
		*s = (struct fc_sink){.fmt = *f};
		if ((rc = fc_resfile_open(&s->file, path)))
			return rc;
		o->nsinks++;
		if ((*f)->open && (rc = (*f)->open(s)))
			return rc;
	}
	return 0;
}

int fc_out_open(struct fc_out *o, const struct fc_sinks *sinks, const struct fc_column *cols)
{
	int rc;

	memset(o, 0, sizeof(*o));
	o->cols = cols;
	if ((rc = open_sinks(o, sinks))) {
		fc_out_close(o, rc);
		return rc;
	}
	/* Records own stdout when asked for there; the table then goes to stderr. */
	o->table = stdout;
	for (int i = 0; i < o->nsinks; i++)
		if (o->sink[i].file.f == stdout)
			o->table = stderr;
	if (!cols)
		o->table = NULL;
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
	fflush(o->table); /* a job log shows what runs while it runs, as the rows */
}

static void table_row(struct fc_out *o, json_t *rec)
{
	FILE *f = o->table;

	if (!f)
		return;
	fc_progress_done();
	if (!o->table_header_done) {
		for (const struct fc_column *c = o->cols; c->key; c++)
			fprintf(f, "%*s", c->width, o->gbit && !strcmp(c->key, "bw_gbps") ? "Gbit/s" : c->header);
		fputc('\n', f);
		o->table_header_done = true;
	}
	for (const struct fc_column *c = o->cols; c->key; c++) {
		json_t *v = json_object_get(rec, c->key);
		char buf[32];
		if (c->decimals < 0 && json_is_integer(v))
			fprintf(f, "%*s", c->width, fc_size_format((uint64_t)json_integer_value(v), buf, sizeof(buf)));
		else if (json_is_number(v) && o->gbit && !strcmp(c->key, "bw_gbps"))
			fprintf(f, "%*.*f", c->width, c->decimals > 0 ? c->decimals - 1 : 0, 8 * json_number_value(v));
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
	for (int i = 0; i < o->nsinks; i++) {
		struct fc_sink *s = &o->sink[i];
		if ((rc = s->fmt->record(s, rec)) || (rc = fc_resfile_commit(&s->file)))
			return rc;
		s->nrec++;
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
			"busy process%s); rerun on an idle machine%s\n",
			o->nspread, o->nlat, o->spins ? ", or more busy-polling threads than cores" : "",
			o->spins ? ", or with -b" : "");
	/* every sink is closed, even after one failed; the first error is the answer */
	int rc = 0;
	for (int i = 0; i < o->nsinks; i++) {
		struct fc_sink *s = &o->sink[i];
		int frc = s->fmt->close ? s->fmt->close(s, run_rc) : 0;
		int crc = fc_resfile_close(&s->file, run_rc ? run_rc : frc);
		rc = rc ? rc : frc ? frc : crc;
	}
	o->nsinks = 0;
	return rc;
}
