/* CSV: a header of every schema field (in schema order) before the first
 * record, then one row per record; missing fields are empty cells, text
 * with a comma, quote or newline is quoted (RFC 4180). */
#include <stddef.h>
#include <string.h>

#include "record.h"
#include "sink.h"

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

static int csv_record(struct fc_sink *s, json_t *rec)
{
	FILE *f = s->file.f;

	/* the header with the first record: a run without records leaves an empty file */
	if (s->nrec == 0) {
		for (size_t i = 0; i < fc_schema_nfields; i++)
			fprintf(f, "%s%s", i ? "," : "", fc_schema_fields[i]);
		fputc('\n', f);
	}
	for (size_t i = 0; i < fc_schema_nfields; i++) {
		if (i)
			fputc(',', f);
		csv_value(f, json_object_get(rec, fc_schema_fields[i]));
	}
	fputc('\n', f);
	return 0;
}

const struct fc_sink_format fc_sink_csv = {
	.name = "csv",
	.path = offsetof(struct fc_sinks, csv_path),
	.record = csv_record,
};
