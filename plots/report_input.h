/* The report's input: fabcheck record files (JSON Lines), nccl-tests output
 * (text table or JSON, turned into schema records of test "nccl"), and the
 * cluster runner's output folder (pairs.jsonl with verdict.json,
 * good-hosts.txt and bad-hosts.txt beside it). Everything read is checked
 * before use; a violation is an error naming file:line (exit 2). */
#ifndef RP_INPUT_H
#define RP_INPUT_H

#include <jansson.h>
#include <stddef.h>

#include "report_check.h"

struct rp_source {
	char *name;
	const char *format; /* "fabcheck records", "nccl-tests text", "nccl-tests JSON" */
	json_t *banner;     /* NCCL and plugin banner lines (provenance) */
	size_t records;
};

struct rp_input {
	json_t *records; /* validated, complete schema records */
	json_t *origin;  /* per record, the index of its source in src */
	struct rp_source *src;
	size_t nsrc, cap;
	/* beside a cluster runner's pairs.jsonl; NULL where the file is absent */
	char *cluster_dir;
	json_t *good_hosts;      /* array of host names, launcher order */
	json_t *bad_hosts;       /* array of [host, reason] */
	json_t *verdict_summary; /* verdict.json */
};

void rp_input_init(struct rp_input *in);
void rp_input_free(struct rp_input *in);

/* A record file, nccl-tests output, or a cluster runner folder. */
int rp_input_load(struct rp_input *in, const char *path);

/* One input already in memory (the fuzz target's entry point). */
int rp_input_buffer(struct rp_input *in, const char *name, const char *buf, size_t len);


#endif
