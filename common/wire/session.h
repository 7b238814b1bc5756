/* One conversation between a client and a server over the bootstrap, as
 * named phases in one place that knows their order:
 *
 *   HELLO   both: tool, version, host, memory; the server adds the cookie
 *   PARAMS  client: the test (params.h); server: adopts it, echoes it
 *   ADDR    client then server: each side's lanes (fabric addresses)
 *   SIZES   client: the size list; server: RMA targets (after its buffers)
 *   per size: BEGIN (client: index and size) / READY (server) / ITERS
 *             (client: the most iterations and the first slice of them) /
 *             MORE (client, between slices: the next, or 0: no more) /
 *             RESULT (server: verdict; client: records)
 *   END     client: no more sizes
 *
 * Every value read from the peer is checked before use: sizes must be the
 * next one of the agreed list, counts bounded, strings bounded and
 * printable, records of the schema. A violation ends the run on both sides
 * with exit 2 and a message naming the field. */
#ifndef FC_SESSION_H
#define FC_SESSION_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bootstrap.h"
#include "params.h"
#include "sizes.h"
#include "xport.h"

#define FC_SESSION_MAX_SIZES 4096

enum fc_sess_phase {
	FC_PH_START, FC_PH_HELLO, FC_PH_PARAMS, FC_PH_ADDR, FC_PH_SIZES,
	FC_PH_BETWEEN,   /* between sizes: BEGIN or END next */
	FC_PH_BEGUN,     /* BEGIN sent/received: READY next */
	FC_PH_READY,     /* warmup; ITERS next */
	FC_PH_TIMED,     /* timed loop; verdict next */
	FC_PH_VERDICT,   /* records next */
	FC_PH_END,
};

/* What a side says about itself. */
struct fc_hello {
	const char *tool;
	const char *host;
	const char *memory;
	/* the cluster runner's round token (NULL: none): the client presents
	 * it, the server takes only a client that does, so a stranger who
	 * reaches the port first cannot stand in for the named partner */
	const char *token;
};

struct fc_session {
	struct fc_boot boot;
	bool is_client;
	enum fc_sess_phase phase;
	uint64_t deadline;
	char peer_host[256];   /* the peer's host name, printable */
	char peer_label[320];  /* for messages: "name (address)" */
	char peer_memory[32];
	unsigned char cookie[FC_COOKIE_LEN];
	struct fc_params params; /* agreed */
	struct fc_sizes sizes;   /* agreed */
	size_t next;             /* index of the next size */
	size_t size;             /* the current size */
	long nlanes;             /* records a RESULT may carry: lanes + aggregate */
	/* why this conversation failed: what the peer is told (fc_session_forward)
	 * and the caller reads; fc_err on this thread and on the lanes it runs
	 * records here from connect/accept until fc_session_close */
	struct fc_status status;
	struct fc_status *outer; /* the binding before this session's */
	bool bound;
};

/* Client: connect, hello. Server: accept on a listener, hello. The
 * deadline's name for messages is deadline_option (NULL: -t, the run's):
 * the cluster runner's steps end at a third of --pair-timeout. */
int fc_session_connect(struct fc_session *s, const char *host, uint16_t port, uint64_t deadline,
		       double op_timeout_s, const char *deadline_option, const struct fc_hello *me);
int fc_session_accept(struct fc_session *s, struct fc_listener *l, uint64_t deadline, double op_timeout_s,
		      const char *deadline_option, const struct fc_hello *me);

/* PARAMS. Client: states *p. Server: replaces *p with the client's, checked
 * against test (this program's). */
int fc_session_params(struct fc_session *s, struct fc_params *p, const char *test);

/* ADDR: sends this side's lane list (stolen) and returns the peer's. */
int fc_session_addr(struct fc_session *s, json_t *mine, json_t **theirs);

/* SIZES. Client: sends the list. Server: receives it, each size at most
 * max and the list strictly increasing, into s->sizes. */
int fc_session_sizes(struct fc_session *s, const struct fc_sizes *sizes, uint64_t max);
/* Server: its RMA targets (stolen; NULL when not RMA) once buffers are
 * ready. Client: waits for them (*theirs NULL when not RMA). */
int fc_session_targets(struct fc_session *s, json_t *mine, json_t **theirs);

/* Client: BEGIN size i, wait for READY. */
int fc_session_begin(struct fc_session *s, size_t i);
/* Server: the next BEGIN (1 when END came instead); *size the agreed size. */
int fc_session_next(struct fc_session *s, size_t *size);
int fc_session_ready(struct fc_session *s);
/* ITERS: client sends, server receives: the most timed iterations
 * (1..FC_MAX_ITERS) and how many of them the first slice runs (1..iters;
 * a peer that sends no slice runs them all in one). */
int fc_session_iters(struct fc_session *s, long *iters, long *slice);
/* MORE, between slices of the timed phase: client sends *n, server
 * receives it (0..left); 0 ends the phase before all iterations ran. */
int fc_session_more(struct fc_session *s, long left, long *n);
/* Verification verdict: the server's "ok" (a mismatch is a fail), which
 * the client waits for before telling its own. */
int fc_session_verdict(struct fc_session *s);
/* RESULT records: the client sends (borrowed); the server receives them
 * checked against the schema, this test and size, into *out (new). */
int fc_session_records(struct fc_session *s, json_t *mine, json_t **out);
/* Client: END. */
int fc_session_end(struct fc_session *s);

/* Says why this side stops and tells the peer; returns -code. */
int fc_session_fail(struct fc_session *s, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Tells the peer the first error printed here (if not told yet); returns rc. */
int fc_session_forward(struct fc_session *s, int rc);
void fc_session_close(struct fc_session *s);

#endif
