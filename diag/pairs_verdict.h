/* From every pair's numbers to a verdict per node, NIC and link: pure
 * arithmetic, unit-tested without processes.
 *
 * The relative rule (4 nodes or more): per measurement kind, size and lane,
 * each node's score is the median of its pairs' values and the reference
 * is the median of the scores, so a bad node cannot drag the reference;
 * a value below fail x reference fails, below warn x reference warns
 * (latency: above reference / fail, / warn). The absolute rule (any count,
 * when floors are known: flags, a thresholds file or the instance type):
 * bandwidth per NIC lane at the largest size below min_bw, small-message
 * latency above max_lat. A failing value counts only if its retry failed
 * too.
 *
 * Blame: a node is bad when it fails with at least two distinct partners
 * that pass elsewhere (per NIC lane: that NIC is named); a link is suspect
 * when both ends pass with other partners but fail together; a round whose
 * pairs all failed, with no bad node to explain it, is the fabric; a node
 * that never joined or stopped answering is unreachable. */
#ifndef FC_PAIRS_VERDICT_H
#define FC_PAIRS_VERDICT_H

#include <stdbool.h>
#include <stdint.h>

enum fc_pv { FC_PV_PASS, FC_PV_WARN, FC_PV_FAIL, FC_PV_UNREACHABLE, FC_PV_UNKNOWN };
enum fc_meas_kind { FC_MEAS_BW, FC_MEAS_LAT };

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
};

struct fc_verdict_cfg {
	double fail, warn;     /* relative: 0.8, 0.9 */
	int min_nodes;         /* the relative rule needs this many nodes (4) */
	double min_bw_gbps;    /* per NIC lane at the largest size; 0: none */
	double max_lat_us;     /* p50 at the smallest size; 0: none */
};

struct fc_node_verdict {
	enum fc_pv verdict;
	char reason[512];
	uint64_t bad_lanes;    /* bit i: NIC lane i named bad */
	int fail_partners, warn_partners;
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
	bool relative;         /* the relative rule applied */
	bool absolute;         /* floors applied */
	char note[256];        /* why no rule could judge, when none could */
};

/* alive[i]: node i joined and stayed; labels name nodes in reasons. */
int fc_pairs_judge(int n, const bool *alive, const char *const *labels, const struct fc_meas *m, int nm,
		   const struct fc_pair_failure *f, int nf, const struct fc_verdict_cfg *cfg, struct fc_verdicts *out);
void fc_verdicts_free(struct fc_verdicts *v);
const char *fc_pv_name(enum fc_pv v);

#endif
