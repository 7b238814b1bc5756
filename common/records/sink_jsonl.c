/* JSON Lines: one compact record per line, keys in schema order, reals
 * with 9 significant digits (what the report and jq read back). */
#include <stddef.h>
#include <stdlib.h>

#include "errors.h"
#include "sink.h"

static int jsonl_record(struct fc_sink *s, json_t *rec)
{
	char *line = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));

	if (!line)
		return -FC_EXIT_FABRIC;
	/* one complete line per record, committed by the caller: a reader never sees half */
	fprintf(s->file.f, "%s\n", line);
	free(line);
	return 0;
}

const struct fc_sink_format fc_sink_jsonl = {
	.name = "json",
	.path = offsetof(struct fc_sinks, json_path),
	.record = jsonl_record,
};
