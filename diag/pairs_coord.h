/* The coordinator's state, shared by its rounds (pairs_coord.c) and its
 * outputs (pairs_out.c). */
#ifndef FC_PAIRS_COORD_H
#define FC_PAIRS_COORD_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "bootstrap.h"
#include "pairs.h"
#include "pairs_verdict.h"

struct cnode {
	bool joined, alive;
	struct fc_boot b;
	uint16_t port;
	char host[256], ip[64], label[280], product[64];
	char lost[256]; /* why unreachable */
	int nlanes;
	char lane_domain[FC_PV_MAX_LANES][64];
	char lane_state[FC_PV_MAX_LANES][32]; /* "up", or the link state of a NIC that is down */
	uint64_t down_lanes;
	int diag_fail;      /* checks its fabcheck-diag failed (--diag) */
	char diag[512];     /* which, and why */
};

struct coord {
	const struct fc_pairs_opts *o;
	int n;
	struct cnode *node;
	struct fc_listener listener;
	json_t *records;         /* every record, as the agents sent them */
	struct fc_meas *meas;
	int nm, cap_m;
	struct fc_pair_failure *fail;
	int nf;
	struct fc_verdict_cfg floor;
	struct fc_verdicts v;
	bool quorum_failed;
	time_t started;
	uint64_t t0;             /* CLOCK_MONOTONIC at start */
	int rounds;              /* rounds run */
	double judge_s;          /* time spent judging */
	char dir[4096];          /* the output folder */
};

int fc_coord_round(struct coord *c, int round, const int *partner, bool retry);
int fc_coord_judge(struct coord *c);
/* The output folder: checked and made before anyone joins. */
int fc_coord_out_open(struct coord *c);
void fc_coord_round_record(struct coord *c, int round, int pairs, double seconds, bool retry);
/* Verdict records, the files, the summary and the commands to act;
 * returns the exit code. */
int fc_coord_out_write(struct coord *c);

#endif
