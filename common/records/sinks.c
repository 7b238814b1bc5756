/* The record file formats: the one list a new format joins (sink.h). */
#include "sink.h"

const struct fc_sink_format *const fc_sink_formats[] = {
	&fc_sink_jsonl,
	&fc_sink_csv,
	NULL,
};
_Static_assert(sizeof(fc_sink_formats) / sizeof(fc_sink_formats[0]) - 1 <= FC_SINKS_MAX,
	       "struct fc_out holds FC_SINKS_MAX open sinks: raise it");

const char *fc_sink_path(const struct fc_sinks *cfg, const struct fc_sink_format *fmt)
{
	return *(const char *const *)((const char *)cfg + fmt->path);
}
