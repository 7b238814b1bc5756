/* From every pair's numbers to a verdict per node, NIC and link: pure
 * arithmetic, unit-tested without processes.
 *
 * A pair's bandwidth is the median of its step's repeats (the timed
 * phase's slices) where it had them. The relative rule (4 nodes or more):
 * per measurement kind, size and lane,
 * each node's score is the median of its pairs' values and the reference
 * is the median of the scores, so a bad node cannot drag the reference;
 * a value below fail x reference fails, below warn x reference warns
 * (latency: above reference / fail, / warn). The absolute rule (any count,
 * when floors are known: flags, a thresholds file or the instance type):
 * bandwidth per NIC lane at the largest size below min_bw, small-message
 * latency above max_lat. A failing value counts only if its retry failed
 * too. Bandwidth fails at its largest size only (smaller sizes warn);
 * latency lines are also at least 6 (warn: 4) robust standard deviations
 * (1.4826 x MAD) above the reference, the spread of the pairs between
 * typical nodes, so a loaded but healthy cluster passes.
 *
 * Noise: when more pair measurements fail than the blamed nodes explain,
 * the run is inconclusive (noisy) and no node, link or round is blamed. A node alive but never measured is unknown
 * ("unmeasured"): nothing vouches for it.
 *
 * Blame: a node is bad when it fails with at least two distinct partners
 * that pass elsewhere, and with most of its partners (per NIC lane: that NIC is named); a link is suspect
 * when both ends pass with other partners but fail together; a round whose
 * pairs all failed, with no bad node to explain it, is the fabric; a node
 * that never joined or stopped answering is unreachable. */
#ifndef FC_PAIRS_VERDICT_H
#define FC_PAIRS_VERDICT_H

#include <stdbool.h>
#include <stdint.h>

/* Latency lines are at least this many robust standard deviations above
 * the reference (README's worked example). */
#define FC_LAT_FAIL_SIGMAS 6.0
#define FC_LAT_WARN_SIGMAS 4.0

enum fc_pv { FC_PV_PASS, FC_PV_WARN, FC_PV_FAIL, FC_PV_UNREACHABLE, FC_PV_UNKNOWN };
/* FC_MEAS_LOSS: the share of packets a pair's steps retransmitted (%),
 * from the NIC's counters (EFA) or the host's TCP counters; judged
 * against fixed lines, as no healthy fabric loses packets. */
enum fc_meas_kind { FC_MEAS_BW, FC_MEAS_LAT, FC_MEAS_LOSS };
#define FC_LOSS_FAIL_PCT 1.0
#define FC_LOSS_WARN_PCT 0.3
/* fewer packets than this in a step say nothing about loss */
#define FC_LOSS_MIN_PKTS 500

#define FC_PV_MAX_LANES 64

struct fc_meas {
	int round;
	int a, b;              /* the measuring client's rank, the server's */
	enum fc_meas_kind kind;
	uint64_t size;
	int lane;              /* NIC lane, or -1: the pair as a whole (aggregate or only lane) */
	int lanes;             /* lanes the pair ran at once */
	double value;          /* GB/s, or p50 microseconds */
	bool retry;            /* a second try of a failed measurement */
};

/* A pair whose measurement could not run (the session failed). */
struct fc_pair_failure {
	int round, a, b;
	bool a_gone, b_gone; /* the failure was the end that went unreachable */
	int lane; /* the lane whose own wait timed out at a's end, -1 not known */
	bool others_progressed; /* another lane of a's completed operations in that step */
};

struct fc_verdict_cfg {
	double fail, warn;     /* relative: 0.8, 0.9 */
	int min_nodes;         /* the relative rule needs this many nodes (4) */
	double min_bw_gbps;    /* per NIC lane at the largest size; 0: none */
	double max_lat_us;     /* p50 at the smallest size; 0: none */
};

/* Why a node got its verdict, for verdict.json: "ok", "slow" (its values
 * against the lines), "failed" (its pairs could not run), "nic down",
 * "coverage" (a NIC's traffic went elsewhere), "blocked" (nothing completed with
 * partners that pass elsewhere: its data path refused), "node checks" (fabcheck-diag),
 * "unreachable", "unmeasured", "noise" (not judged), "configuration". */
/* An EFA node that opened fewer devices than its instance type has, in a
 * run over every NIC (provider efa, no -d or -d all): the missing ones are
 * dead or unbound, however well the others measure. Returns how many are
 * missing; 0 also when not judged (another provider, -d naming some,
 * a type whose count is not known). */
int fc_pairs_nics_missing(const char *provider, const char *domain_opt, int opened, int type_efa);

struct fc_node_verdict {
	enum fc_pv verdict;
	const char *kind;
	char reason[512];
	uint64_t bad_lanes;    /* bit i: NIC lane i named bad */
	int fail_partners, warn_partners;
};

/* The lines one group (kind, size, lane) was judged against, and each
 * node's score in it (NAN: no pair with it): the evidence behind a verdict. */
struct fc_group_lines {
	enum fc_meas_kind kind;
	uint64_t size;
	int lane;
	double ref, sigma, fail, warn; /* sigma: latency's robust spread, 0 for bandwidth */
	double *score;                 /* n entries */
};

struct fc_link_verdict {
	int a, b;
	char reason[256];
};

struct fc_verdicts {
	int n;
	struct fc_node_verdict *node;
	struct fc_link_verdict *links;
	int nlinks;
	bool fabric;           /* a whole round was slow with no bad node to blame */
	int fabric_round;
	int (*fail_pairs)[2];  /* pairs with a failing measurement (before blame), each once */
	int nfail_pairs;
	bool noisy;            /* more pairs failed than bad nodes explain: inconclusive, nobody blamed */
	int unmeasured;        /* nodes alive but without one completed measurement (FC_PV_UNKNOWN) */
	struct fc_group_lines *groups; /* where the relative rule applied */
	int ngroups;
	bool relative;         /* the relative rule applied */
	bool absolute;         /* floors applied */
	char note[512];        /* why no rule could judge, when none could; an inconclusive run's lines */
};

/* alive[i]: node i joined and stayed; labels name nodes in reasons. */
int fc_pairs_judge(int n, const bool *alive, const char *const *labels, const struct fc_meas *m, int nm,
		   const struct fc_pair_failure *f, int nf, const struct fc_verdict_cfg *cfg, struct fc_verdicts *out);
void fc_verdicts_free(struct fc_verdicts *v);
const char *fc_pv_name(enum fc_pv v);

#endif
