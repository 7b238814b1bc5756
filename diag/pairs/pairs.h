/* fabcheck-pairs: one program on every node of a cluster. Every process is
 * an agent: it opens its lanes once and, round after round, measures the
 * peer the coordinator names over the same endpoints (ping-pong one way,
 * bandwidth both ways, every NIC at once). Rank 0 also runs the
 * coordinator (a process of its own): it takes the agents' joins, plans
 * the rounds, collects their records and judges nodes, NICs and links.
 *
 * Coordinator and agents talk over the same versioned, checked bootstrap
 * framing as the benchmarks:
 *   agent -> HELLO {tool, role "agent", rank, nodes, host, port, product,
 *                   diag {fail, failed[]} (with --diag)}
 *   coord -> HELLO {tool, role "coordinator", config}
 *   agent -> REPORT {round -1, ok, fabric, lanes, other {fabric, lanes (a count),
 *                    error} | null | message}  (ready)
 *   coord -> ROUND {round, retry, self, peer | null, first, other}
 *   agent -> REPORT {round, records, failures, other_records, other_failures}
 *   coord -> FINISH {}
 * Agents always exit 0 (a launcher such as SkyPilot ends every node's job
 * when one exits non-zero); the coordinator's exit code is the verdict. */
#ifndef FC_PAIRS_H
#define FC_PAIRS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "options.h"
#include "pairs_launch.h"
#include "pairs_verdict.h"

/* FC_PAIRS_MAX_NODES: pairs_launch.h, which refuses larger counts */

/* A pair's token for one round: the coordinator gives it to both ends,
 * the client presents it, the server takes no other client (hex digits) */
#define FC_ROUND_TOKEN_HEX 32

/* What the coordinator decides for the whole run and sends every agent. */
struct fc_pairs_cfg {
	char mode[8];          /* full, sweep */
	bool quick;
	struct fc_params pp, bw; /* the steps' test parameters */
	char pp_sizes[128], bw_sizes[128];
	double pair_timeout_s; /* one pair, all its steps */
	double op_timeout_s;   /* -T inside a step */
	int sweep_rounds;
	uint64_t seed;
	/* the bandwidth steps' protocol, as NCCL's plugin moves data on the
	 * nodes' type: "sendrecv" (fabcheck-bw's loop) or "rdma" (RDMA write
	 * with immediate data, fabcheck-rma --op writedata's loop) */
	char protocol[12];
	/* --fabrics both: where aws-ofi-nccl's other protocol would get
	 * another fabric (libfabric 2.x EFA: efa-direct and efa), measure it
	 * too, one step per pair, recorded and reported, not judged */
	bool other_fabric;
};

json_t *fc_pairs_cfg_json(const struct fc_pairs_cfg *c);
/* An agent's check of what the coordinator sent: 0, or -FC_EXIT_USAGE with
 * the reason in why. */
int fc_pairs_cfg_from_json(const json_t *j, struct fc_pairs_cfg *c, char *why, size_t len);

/* Everything from the command line. */
struct fc_pairs_opts {
	struct fc_opts bench;  /* -p -x -f -d -E -D -b -T --sysfs-root: this node's own */
	struct fc_pairs_cfg cfg;
	int rank, nodes;
	const char *coordinator;
	const char *output;    /* the coordinator's folder */
	double join_timeout_s;
	double cut_factor;     /* the coordinator cuts pairs slower than this x the median; 0 never */
	double deadline_s;     /* the whole run */
	struct fc_verdict_cfg verdict;
	bool verdict_floor_given;
	const char *instance_type;
	const char *table;     /* instance table path */
	double floor_fraction; /* of a NIC's line rate, when the type is known */
	const char *diag;      /* this node's fabcheck-diag JSON, sent with its join */
	const char *protocol;  /* --protocol as given: auto, sendrecv, rdma */
	char protocol_why[160]; /* how cfg.protocol was chosen, for the coordinator's note */
	bool where;            /* --where: say who this node is and exit */
};

/* Runs this node's agent until the coordinator finishes or goes; returns
 * 0 always (what went wrong is said on stderr and sent to the coordinator). */
int fc_pairs_agent(const struct fc_pairs_opts *o, const struct fc_launch *l);

/* Runs the coordinator; returns the cluster's verdict as 0 (all good) or
 * -FC_EXIT_*: -FC_EXIT_BELOW something bad, -FC_PAIRS_EXIT_QUORUM (4) too
 * few nodes joined, usage/setup errors, -(128 + N) on signal N. */
int fc_pairs_coordinate(const struct fc_pairs_opts *o, const struct fc_launch *l);

/* The fewest nodes that make a run (see README "Before your NCCL job"):
 * two, and at least half of those expected. */
int fc_pairs_quorum(int nodes);

#endif
