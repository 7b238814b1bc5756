/* One measured conversation with one peer: the session, the lanes it runs
 * on, the agreed parameters and where records go. The standalone programs
 * set one up from the command line (fc_run_setup); the cluster runner sets
 * one up per round over lanes it keeps open. Everything is passed
 * explicitly (no process-wide state). */
#ifndef FC_RUN_H
#define FC_RUN_H

#include <stdbool.h>

#include "bootstrap.h"
#include "lanes.h"
#include "options.h"
#include "output.h"
#include "record.h"
#include "session.h"

struct fc_run {
	const struct fc_opts *opts;
	const struct fc_prog *prog;
	struct fc_params params; /* agreed: the client's */
	bool is_client;
	uint64_t deadline;
	struct fc_session s;
	struct fc_listener own_listener; /* the standalone server's */
	struct fc_listener *listener;
	struct fc_lanes own_lanes;   /* the standalone programs' */
	struct fc_lanes *lanes;      /* the ones this run measures on */
	char local_host[256];
	char peer_name[256];         /* records' peer_host: the peer's hostname, or the runner's label */
	char memory[32];
	int rank, peer_rank, round;  /* cluster runner; -1 elsewhere */
	struct fc_out *out;
	struct fc_out own_out;
	char timestamp[40];          /* of the record being built */
	/* this run's id in its records: the start time, host and process,
	 * so two runs of one configuration are never pooled by mistake */
	char run_id[128];
	/* sizes whose adaptive timed phase ended at twice --size-time */
	int sizes_cut;
};

/* What a benchmark asks of the run before setup. */
struct fc_run_spec {
	const struct fc_column *table;
	/* bytes each lane needs per buffer for a given message size */
	size_t (*buffer_bytes)(const struct fc_params *p, size_t size);
	bool rma;
	bool ordered; /* sends must land in the order posted (asked of the provider only then) */
	/* messages a lane keeps posted at once for a size (NULL: one each way);
	 * never more for a larger size (the lanes' queues are sized at size 1) */
	long (*window)(const struct fc_params *p, size_t size);
};

/* Outputs, bootstrap, hello and parameters (the server adopts the
 * client's), lanes, addresses, sizes, buffers and RMA targets. On failure
 * the peer is told why. */
int fc_run_setup(struct fc_run *r, const struct fc_opts *o, const struct fc_prog *prog,
		 const struct fc_run_spec *spec);
/* The cluster runner's: one conversation over lanes, a listener and an
 * output it keeps across peers. As client (peer set) connects to peer:port,
 * as server accepts on listener; then the same phases as fc_run_setup. */
struct fc_run_attach {
	const struct fc_opts *opts; /* this side's choices (block, sysfs root, timeouts) */
	const struct fc_prog *prog;
	struct fc_params params;    /* the test (a server checks the client's against it) */
	struct fc_lanes *lanes;
	struct fc_listener *listener;
	struct fc_out *out;
	const char *peer;           /* client: the peer's address */
	uint16_t port;
	uint64_t deadline;
	const char *deadline_option; /* what sets it, for messages (NULL: -t) */
	const char *local_name, *peer_name; /* record labels */
	const char *token;          /* the round's (fc_hello.token) */
	int rank, peer_rank, round;
};
int fc_run_attach(struct fc_run *r, const struct fc_run_attach *a, const struct fc_run_spec *spec);

/* Coverage check (each side for its own NICs), teardown of what the run
 * owns; returns rc, or a coverage/output error if rc was 0. */
int fc_run_finish(struct fc_run *r, int rc);

/* Every parameter that changes what a number means, once above the table:
 * the run's lines, then the test's own (test_banner, may be NULL). */
void fc_run_banner(struct fc_run *r, void (*test_banner)(struct fc_run *r));

/* The lanes a test needs on this side: the test's transport, provider and
 * streams; this side's -d -E -b --sockbuf -D and timeouts; queues deep
 * enough for the deepest window spec->window gives (at the smallest size)
 * and its acks. One recipe for the standalone programs (a server then takes
 * the client's -d all and -E) and the cluster agent (its lanes for every
 * peer). */
struct fc_lanes_spec fc_run_lanes_spec(const struct fc_opts *o, const struct fc_params *p,
				       const struct fc_run_spec *spec, const char *local_ip, bool is_server,
				       uint64_t deadline);

/* After the session agreed on sizes: buffers for the largest need, the
 * window against the provider's queues, RMA targets both ways. */
int fc_run_buffers(struct fc_run *r, const struct fc_run_spec *spec);

/* A record with the run's and the lane's provenance (lane NULL: the
 * aggregate of all lanes); its strings point into the run and the lanes. */
void fc_run_rec(struct fc_run *r, const struct fc_lane *l, size_t size, struct fc_rec *rec);

/* Coverage records and verdict for this side's lanes since the peer
 * began; -FC_EXIT_BELOW when a NIC carried less than was put through it. */
int fc_run_coverage(struct fc_run *r);

#endif
