/* The suite's shared option rows (optable.h): data path, memory, what to
 * measure, timing, the instance table and output. Every program that
 * takes one of these options takes it from here, with the same limits and
 * default; a program's own rows live beside its main. Data only: linking
 * these rows pulls in no fabric code (fabcheck-diag uses them). */
#ifndef FC_OPTROWS_H
#define FC_OPTROWS_H

#include "optable.h"

#define FC_DEFAULT_PORT 47592
#define FC_DEFAULT_DEADLINE_S 300
#define FC_DEFAULT_OP_TIMEOUT_S 10
#define FC_DEFAULT_WARMUP 16
#define FC_DEFAULT_SIZE_TIME_S 0.2
#define FC_MAX_SECONDS (7 * 86400.0) /* -t, -T: a week */
#define FC_MAX_SOCKBUF (1L << 30)
#define FC_MIN_SOCKBUF (64L << 10) /* smaller kernel buffers stall loopback TCP at large sizes */
#define FC_MAX_DOMAINS 256         /* names in a -d list (FC_MAX_LANES) */

/* The shared rows' ids; a program numbers its own from FC_O_PROGRAM. */
enum fc_optid {
	FC_O_PROVIDER = 1, FC_O_FABRIC, FC_O_DOMAIN, FC_O_ENDPOINTS, FC_O_TRANSPORT, FC_O_BLOCK, FC_O_PORT,
	FC_O_SOCKBUF, FC_O_SYSFS_ROOT, FC_O_MEMORY, FC_O_SIZES, FC_O_ITERS, FC_O_WARMUP, FC_O_SIZE_TIME,
	FC_O_WINDOW, FC_O_BIDIR, FC_O_STREAMS, FC_O_BUFFERS, FC_O_OP, FC_O_VERIFY, FC_O_DEADLINE,
	FC_O_OP_TIMEOUT, FC_O_INSTANCE_TYPE, FC_O_TABLE, FC_O_JSON, FC_O_CSV, FC_O_HELP, FC_O_MAX_MEM, FC_O_LABEL, FC_O_UNITS,
	FC_O_MR_PATH,
	FC_O_PROGRAM = 100,
};

extern const struct fc_optrow fc_shared_rows[];

#endif
