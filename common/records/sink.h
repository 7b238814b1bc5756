/* Record file formats, one table: JSON Lines and CSV today. A format is a
 * row in fc_sink_formats (sinks.c), its functions in sink_<name>.c and a
 * path in struct fc_sinks; output.c opens, feeds and closes whichever the
 * run names, and resultfile.c makes each file appear complete or not at
 * all. A Prometheus text sink is one more file, one row, one path (and
 * the option that sets it). */
#ifndef FC_SINK_H
#define FC_SINK_H

#include <jansson.h>
#include <stddef.h>

#include "resultfile.h"

/* Where a run's records go besides the table: one path per format (NULL:
 * not wanted; "-": stdout). Every program fills one: the benchmarks from
 * --json/--csv, the cluster runner with its folder's pairs.jsonl and
 * pairs.csv. Plain paths, so the records layer needs no CLI options. */
struct fc_sinks {
	const char *json_path;
	const char *csv_path;
};

struct fc_sink;

struct fc_sink_format {
	const char *name; /* as in the option that names the file: --json */
	size_t path;      /* offsetof(struct fc_sinks, <its path>) */
	/* After the file is open, before any record (per-file state, a
	 * preamble). NULL: nothing to do. 0 or negative. */
	int (*open)(struct fc_sink *s);
	/* One record's bytes (not the reference); output.c then commits it
	 * (flushed, counted whole). 0 or negative. */
	int (*record)(struct fc_sink *s, json_t *rec);
	/* Before the file is closed, run_rc as fc_out_close got it (what a
	 * format that collects writes now; it frees its state). NULL:
	 * nothing to do. 0 or negative. */
	int (*close)(struct fc_sink *s, int run_rc);
};

/* One open file of one format. */
struct fc_sink {
	const struct fc_sink_format *fmt;
	struct fc_resfile file;
	size_t nrec;  /* records written so far (CSV writes its header before the first) */
	void *state;  /* the format's own, between open and close */
};

extern const struct fc_sink_format fc_sink_jsonl;
extern const struct fc_sink_format fc_sink_csv;

/* Every format, in the order files are written (NULL ends it). */
#define FC_SINKS_MAX 8
extern const struct fc_sink_format *const fc_sink_formats[];

/* The path a config names for a format, or NULL. */
const char *fc_sink_path(const struct fc_sinks *cfg, const struct fc_sink_format *fmt);

#endif
