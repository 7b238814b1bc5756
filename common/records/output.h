/* Where records go: the human table and the record files of every format
 * the run names (sink.h: JSON Lines, CSV), all from the same record
 * objects. Files appear complete or not at all (resultfile.h). */
#ifndef FC_OUTPUT_H
#define FC_OUTPUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "sink.h"

/* One column of the human table: a record key, its header, and how wide. */
struct fc_column {
	const char *key;
	const char *header;
	int width;
	int decimals; /* for numbers; -1 = size with suffix */
};

struct fc_out {
	struct fc_sink sink[FC_SINKS_MAX]; /* the open record files, in fc_sink_formats order */
	int nsinks;
	FILE *table; /* stdout, or stderr when stdout carries records; NULL: files only */
	const struct fc_column *cols;
	bool table_header_done;
	json_t *capture; /* every record also appended here (the cluster agent's) */
	int nlat, nspread; /* latency records, and those whose p99 is far above p50 */
	bool spins;        /* busy-polling threads measured: "-b" is a remedy for contention */
	bool gbit;         /* the table shows bw_gbps in Gbit/s (--units gbit); records keep GB/s */
};

/* Opens a file per path in sinks (checked now, before any traffic: exit 2
 * for a folder, an unwritable place, or two naming the same file). cols
 * NULL: no human table, files only. */
int fc_out_open(struct fc_out *o, const struct fc_sinks *sinks, const struct fc_column *cols);
/* No table, no files: every record is appended to capture (not stolen). */
void fc_out_open_capture(struct fc_out *o, json_t *capture);
/* Comment line above the table (provenance for people). */
void fc_out_banner(struct fc_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes one record everywhere. Does not take the reference. */
int fc_out_record(struct fc_out *o, json_t *rec);
/* A record the peer measured (the server shows the client's): printed and
 * written like this side's, but not captured (the peer reports its own). */
int fc_out_record_peer(struct fc_out *o, json_t *rec);
/* Same, with or without a row in the human table. */
int fc_out_write(struct fc_out *o, json_t *rec, bool table_row);
/* Renames files into place when the run succeeded (run_rc 0); after a
 * failure keeps completed records as FILE.partial. 0 or -FC_EXIT_FABRIC.
 * Says below the table when the latencies look contended. */
int fc_out_close(struct fc_out *o, int run_rc);

#endif
