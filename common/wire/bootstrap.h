/* Out-of-band TCP channel between two fabcheck processes (and between a
 * cluster agent and its coordinator): frames of a fixed header (magic,
 * protocol version, type, length) and a JSON payload, so a peer of another
 * version or a stray client is recognised before anything is parsed. This
 * file knows framing, connecting and listening; the order of the
 * conversation and what each payload may hold is session.c's. */
#ifndef FC_BOOTSTRAP_H
#define FC_BOOTSTRAP_H

#include <jansson.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "accept.h"
#include "status.h"

#define FC_BOOT_MAGIC 0x4643484bu /* "FCHK" */
#define FC_BOOT_VERSION 2
#define FC_BOOT_HELLO_TIMEOUT_S 5.0   /* a connection that says nothing is dropped */
#define FC_BOOT_MAX_PAYLOAD (4u << 20) /* a RESULT of 256 lanes fits; more is an attack */
#define FC_BOOT_MAX_HELLO (64u << 10)

/* Frame types. HELLO and ERROR keep their numbers across versions, so a
 * peer of another version can still be told why it is refused. */
enum fc_boot_type {
	FC_MSG_HELLO = 1,
	FC_MSG_ERROR = 2, /* {"message":..., "exit":N} */
	FC_MSG_PARAMS,    /* client: the test; server: adopted */
	FC_MSG_ADDR,      /* each side's lanes: fabric addresses, NICs */
	FC_MSG_SIZES,     /* client: the size list; server: RMA targets */
	FC_MSG_BEGIN,     /* client: start size i */
	FC_MSG_READY,     /* server: buffers posted for it */
	FC_MSG_ITERS,     /* client: timed iterations */
	FC_MSG_RESULT,    /* server: verification verdict; client: records */
	FC_MSG_END,       /* client: no more sizes */
	/* fabcheck-pairs: coordinator and agents */
	FC_MSG_ROUND,     /* coordinator: this round's peer (or none) */
	FC_MSG_REPORT,    /* agent: ready (round -1), or a round's records and failures */
	FC_MSG_FINISH,    /* coordinator: no more rounds */
	FC_MSG_CUT,       /* coordinator: end this round's steps now {"round": N} */
	FC_MSG_MORE,      /* client: the timed phase's next slice {"iters": N}, 0: it ends */
	FC_MSG_TYPES_END
};

const char *fc_boot_type_name(unsigned type);

/* Without reading: has the peer on fd closed the connection, or is its
 * next frame an ERROR (it stopped, and says why)? For a side waiting on the
 * data path, where the bootstrap is silent until the size ends. */
bool fc_boot_peer_stopped(int fd);
/* The same, waiting up to seconds for the peer's word: for a side whose
 * own operation just failed in a way a departed peer explains. */
bool fc_boot_peer_stops_within(int fd, double seconds);

struct fc_boot {
	int fd;
	char local_ip[INET6_ADDRSTRLEN]; /* this side's address on the path to the peer */
	char peer_ip[INET6_ADDRSTRLEN];
	char peer_host[320];             /* for messages: as named on the command line, or "name (ip)" */
	double op_timeout_s;
	bool told_peer;   /* this side already sent an ERROR */
	bool peer_failed; /* the peer sent an ERROR: nothing to tell it */
	struct fc_status *status; /* this side's reason, told by fc_boot_forward (NULL: none kept) */
	/* what to do when no one answers a connect, for messages (NULL: start
	 * the server side with the same -B port) */
	const char *no_answer_remedy;
	/* what sets the deadline a wait ends at, for messages (NULL: -t) */
	const char *deadline_option;
};

/* Client: connects to host:port, retrying until the deadline (the server may
 * start later), sends hello and waits for the server's. */
int fc_boot_connect(struct fc_boot *b, const char *host, uint16_t port, uint64_t deadline,
		    json_t *hello, json_t **peer_hello);

/* Server: a listening socket that outlives one peer (a cluster agent meets
 * a new one every round). */
struct fc_listener {
	int fd;
	uint16_t port;
	struct fc_acceptor pending; /* connections that arrived, not taken yet */
	struct fc_busy *busy;       /* answering while a session runs, or NULL */
	/* what to do when no one connects before the deadline, for messages
	 * (NULL: start the client side, or raise -t) */
	const char *no_client_remedy;
};
int fc_listener_open(struct fc_listener *l, uint16_t port);
/* Serves pending connections at once until one sends a valid hello of this
 * version; answers a hello of another version with an ERROR saying so and
 * keeps waiting. The caller answers with fc_boot_send(HELLO) or a fail. */
int fc_listener_accept(struct fc_listener *l, uint64_t deadline, double hello_timeout_s,
		       struct fc_boot *b, json_t **peer_hello);
/* While this side is busy with a session: anyone else who connects is told
 * so (an ERROR with msg, exit 4) at once, instead of waiting for a server
 * that will not answer. Stops with fc_listener_close. */
int fc_listener_answer_busy(struct fc_listener *l, const char *msg);
void fc_listener_close(struct fc_listener *l);

/* Sends one frame; steals the reference to payload (may be NULL). */
int fc_boot_send(struct fc_boot *b, enum fc_boot_type type, json_t *payload);

/* Waits for a frame of the given type. An ERROR frame from the peer is
 * printed and returned as its exit code; silence past the op timeout or the
 * deadline, or a closed connection, is -FC_EXIT_PEER naming `during`; a
 * frame of another type or version is -FC_EXIT_USAGE. */
int fc_boot_expect(struct fc_boot *b, enum fc_boot_type type, uint64_t deadline,
		   const char *during, json_t **payload);
/* Same, for any of a set of types (bit 1 << type); *got says which. */
int fc_boot_expect_any(struct fc_boot *b, unsigned types, uint64_t deadline, const char *during,
		       enum fc_boot_type *got, json_t **payload);

/* Says why this side stops (stderr), keeps it in b->status and tells the
 * peer the same words; returns -exit_code. */
int fc_boot_fail(struct fc_boot *b, int exit_code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Tells the peer this conversation's reason, b->status (the first error of
 * the run: lane threads fail together, the first is the cause); returns rc. */
int fc_boot_forward(struct fc_boot *b, int rc);

/* One ERROR frame on a connection that is not (or not yet) a session,
 * within a second; for turning a connection away with a reason. */
void fc_boot_tell(int fd, int exit_code, const char *msg);

/* Long-lived connections (a cluster agent's to its coordinator): TCP
 * keepalive after `idle` seconds of silence and a user timeout for data
 * left unacknowledged, so a peer behind a link that went down is found
 * gone within about idle + 6 s instead of after TCP's retries (minutes). */
void fc_boot_keepalive(struct fc_boot *b, int idle);

void fc_boot_close(struct fc_boot *b);

#endif
