/* The coordinator's state, shared by its rounds (pairs_coord.c) and its
 * outputs (pairs_out.c). */
#ifndef FC_PAIRS_COORD_H
#define FC_PAIRS_COORD_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "bootstrap.h"
#include "output.h"
#include "errors.h"
#include "pairs.h"
#include "pairs_verdict.h"

/* Too few nodes joined to compare them with each other: the others could
 * not be reached, the table's 4 (README "Exit codes"). */
#define FC_PAIRS_EXIT_QUORUM FC_EXIT_PEER
#define FC_PAIRS_RETRIES 2 /* tries after the first for a failing pair */

struct cnode {
	bool joined, alive;
	struct fc_boot b;
	uint16_t port;
	char host[256], ip[64], label[280], product[64];
	char node_name[256]; /* the scheduler's name for it, for drain commands ("" not said) */
	char lost[640]; /* why unreachable */
	int open_exit;  /* its lanes did not open: the exit code it gave (0: they did) */
	int nlanes;
	char lane_domain[FC_PV_MAX_LANES][64];
	char lane_state[FC_PV_MAX_LANES][32]; /* "up", or the link state of a NIC that is down */
	uint64_t down_lanes;
	/* per NIC: steps whose counters were read, and those where the lane's
	 * traffic went elsewhere (the partner's NIC can look the same for
	 * one pair: most of a NIC's steps must fail to blame it) */
	uint32_t cov_seen[FC_PV_MAX_LANES], cov_failed[FC_PV_MAX_LANES];
	int type_efa;       /* EFA devices its instance type has (sourced), 0: not known */
	char type[64];      /* that type */
	int diag_fail;      /* checks its fabcheck-diag failed (--diag) */
	char diag[512];     /* which, and why */
	bool benched;       /* failing alone: it sits out the full mode's rounds left */
	char fabric[128];   /* the fabric its lanes opened on: its records there are judged */
	/* --fabrics both: the fabric aws-ofi-nccl's other protocol gets here
	 * ("" none), its lanes (0: it did not open, other_error says why),
	 * and its steps: run, failed, the first failure's words */
	char other_fabric[128], other_error[256];
	int other_nlanes, other_steps, other_failed;
	int other_failed_in; /* the last round its other step failed, plus one (0: none) */
	char other_first_failure[320];
};

struct coord {
	const struct fc_pairs_opts *o;
	const struct fc_launch *l; /* rank 0's launcher: whose drain commands to print */
	int n;
	struct cnode *node;
	struct fc_listener listener;
	/* pairs.jsonl and pairs.csv: records are written as they arrive and
	 * not kept (the verdict reads c->meas), so memory does not grow with
	 * what agents send */
	struct fc_out out;
	bool out_open;
	int out_rc;              /* the first write error */
	struct fc_meas *meas;
	int nm, cap_m;
	size_t plan_sizes;       /* sizes a pair's three steps measure (ping-pong, bw each way) */
	struct fc_pair_failure *fail;
	int nf;
	struct fc_verdict_cfg floor;
	struct fc_verdicts v;
	bool quorum_failed;      /* exit FC_PAIRS_EXIT_QUORUM */
	/* no node could open its lanes, each for a setup reason: the run's
	 * options do not fit this cluster (exit 3), no node is to blame */
	bool config_failed;
	/* ... or nothing was measured between any pair although every step
	 * ran: the options differ between nodes, or the traffic between them
	 * is refused (a security group); config_why says which reason */
	const char *config_why;
	char first_failure[512]; /* the run's first step failure, for that line */
	time_t started;
	uint64_t t0;             /* CLOCK_MONOTONIC at start */
	int rounds;              /* rounds run */
	uint64_t deadline;       /* -t: no round starts past it */
	int rounds_cut;          /* planned rounds the deadline left out (0: none) */
	double judge_s;          /* time spent judging */
	/* how long each pair that failed nothing took, for --cut-factor */
	double *pair_s;
	int npair_s, cap_pair_s;
	int cuts;                /* pairs cut */
	int other_pairs, other_pairs_failed; /* --fabrics both: pair steps there, and failed (either end) */
	char run_id[128];        /* the run's records' "run" (fc_run_id) */
	char dir[4096];          /* the output folder */
	char jsonl_path[4200], csv_path[4200];
};

int fc_coord_round(struct coord *c, int round, const int *partner, bool retry);
int fc_coord_judge(struct coord *c);
/* The output folder, checked and made, and its record files opened, before
 * anyone joins. */
int fc_coord_out_open(struct coord *c);
void fc_coord_out_abandon(struct coord *c);
void fc_coord_round_record(struct coord *c, int round, int pairs, double seconds, bool retry);
/* Writes rec to pairs.jsonl and pairs.csv and drops it (takes the reference). */
void fc_coord_record(struct coord *c, json_t *rec);
/* A step of pair (a, b) failed in round, as a reported: a record of test
 * "verdict", scope "step" (the report marks the pair on its heatmap). */
void fc_coord_step_failure(struct coord *c, int round, int a, int b, const char *reason);
/* Verdict records, the files, the summary and the commands to act;
 * returns the verdict as 0 or -FC_EXIT_* (-FC_EXIT_BELOW: something bad,
 * -FC_PAIRS_EXIT_QUORUM), or the files' error. */
int fc_coord_out_write(struct coord *c);
/* --fabrics: each node's fabric and the other one's steps, for
 * verdict.json and the summary (pairs_fabrics.c) */
json_t *fc_coord_fabrics_json(const struct coord *c);
void fc_coord_fabrics_note(const struct coord *c);

#endif
