/* The test parameters a client states and a server adopts (as iperf3's
 * server takes its client's): what to measure and how. Each side keeps its
 * own choices of where (-d, -E, -D), how to wait (-b, -t, -T) and where
 * records go. Everything that arrives from the peer is checked against
 * the same limits as the command line before it is used. */
#ifndef FC_PARAMS_H
#define FC_PARAMS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FC_MAX_ITERS 100000000L
#define FC_MAX_WARMUP 1000000L
#define FC_MAX_WINDOW 1024L
#define FC_MAX_STREAMS 64L
#define FC_MAX_SIZE_TIME_S 60.0
#define FC_SIZE_TIME_BOUND 2.0 /* an adaptive size ends at this many times --size-time */
#define FC_MAX_ENDPOINTS 64L

struct fc_params {
	char test[16];      /* pingpong, bw, rma */
	char transport[8];  /* ofi, socket */
	char provider[64];  /* -p */
	char fabric[64];    /* -f, empty: any */
	long iters;         /* -I, 0 = adaptive */
	long warmup;        /* -w */
	double size_time;   /* --size-time, adaptive iterations */
	bool verify;        /* -v */
	long window;        /* -W, 0 = by size */
	bool bidir;         /* --bidir */
	long streams;       /* -n, socket transport connections */
	char op[16];        /* --op write|read|writedata */
	char buffers[8];    /* --buffers reuse|slots */
	/* the client's lanes, which a server without -d / -E of its own takes */
	bool all_nics;      /* -d all */
	long endpoints;     /* -E */
};

/* Which parameters a program takes beyond the common ones. */
enum {
	FC_PARAMS_STREAM = 1 << 0, /* -W, --bidir, -n, --buffers */
	FC_PARAMS_RMA = 1 << 1,    /* -W, --op */
};

json_t *fc_params_json(const struct fc_params *p);

/* Reads the peer's parameters into p, checked against this program's
 * test and limits. 0, or -1 with why naming the field. */
int fc_params_from_json(const json_t *j, const char *test, struct fc_params *p, char *why, size_t len);

/* Checks one value (also for the command line): 0 or -1 with why. */
int fc_params_check(const struct fc_params *p, char *why, size_t len);

/* The flag a parameter comes from, for messages ("window" -> "-W"). */
const char *fc_params_flag(const char *key);

#endif
