/* Out-of-band TCP channel between server and client: versioned hello, fabric
 * addresses, per-size synchronisation, results. Frames are a fixed header
 * (magic, protocol version, type, length) and a JSON payload, so a peer of
 * another version or a stray client is recognised before anything is parsed. */
#ifndef FC_BOOTSTRAP_H
#define FC_BOOTSTRAP_H

#include <jansson.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#define FC_BOOT_MAGIC 0x4643484bu /* "FCHK" */
#define FC_BOOT_VERSION 1
#define FC_BOOT_HELLO_TIMEOUT_S 5.0 /* a connection that says nothing is dropped */

enum fc_boot_type {
	FC_MSG_HELLO = 1,
	FC_MSG_ERROR,  /* {"message":..., "exit":N}; readable across versions */
	FC_MSG_ADDR,   /* fabric address and what libfabric chose */
	FC_MSG_SIZES,  /* the client's expanded size list */
	FC_MSG_BEGIN,  /* client: start size S; size 0 ends the run */
	FC_MSG_READY,  /* server: buffers posted for size S */
	FC_MSG_ITERS,  /* client: timed iterations for this size */
	FC_MSG_RESULT, /* verification verdict (server), records (client) */
	FC_MSG_TARGET, /* server: RMA keys and addresses of its target buffers */
};

struct fc_boot {
	int fd;
	char local_ip[INET6_ADDRSTRLEN]; /* this side's address on the path to the peer */
	char peer_ip[INET6_ADDRSTRLEN];
	char peer_host[256];             /* as named on the command line, or peer_ip */
	double op_timeout_s;
	bool told_peer;   /* this side already sent an ERROR */
	bool peer_failed; /* the peer sent an ERROR: nothing to tell it */
};

/* Client: connects to host:port, retrying until the deadline (the server may
 * start later), then sends hello and waits for the server's. */
int fc_boot_connect(struct fc_boot *b, const char *host, uint16_t port, uint64_t deadline,
		    json_t *hello, json_t **peer_hello);

/* Server: accepts connections until one sends a valid hello. Garbage, silent
 * and half-open connections are reported and dropped; the server carries on.
 * The caller answers with fc_boot_send(HELLO) or fc_boot_fail(). */
int fc_boot_accept(struct fc_boot *b, uint16_t port, uint64_t deadline, json_t **peer_hello);

/* Sends one frame; steals the reference to payload (may be NULL). */
int fc_boot_send(struct fc_boot *b, enum fc_boot_type type, json_t *payload);

/* Waits for a frame of the given type. An ERROR frame from the peer is
 * printed and returned as its exit code; silence past the op timeout or the
 * deadline, or a closed connection, is -FC_EXIT_PEER naming `during`. */
int fc_boot_expect(struct fc_boot *b, enum fc_boot_type type, uint64_t deadline,
		   const char *during, json_t **payload);

/* Tells the peer why this side stops (best effort) and returns -exit_code. */
int fc_boot_fail(struct fc_boot *b, int exit_code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Tells the peer the last error already printed here; returns rc. */
int fc_boot_forward(struct fc_boot *b, int rc);

void fc_boot_close(struct fc_boot *b);

#endif
