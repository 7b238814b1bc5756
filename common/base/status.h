/* Why a run or a step failed, carried with it: its first error's words
 * and code. A conversation with a peer owns one (struct fc_session), a
 * cluster agent's step owns one, and what the peer or the coordinator is
 * told is read from there, so the reason given is the one of *this* run,
 * not whatever failed first in the process.
 *
 * Filling it: fc_status_set where the caller has both the code and the
 * words; and fc_err records into the status bound to the calling thread
 * (fc_status_bind), so the hundred places deep in the fabric and lane code
 * that say what went wrong need not pass a status down. Lane threads adopt
 * the binding of the thread that runs them (fc_lanes_run): they fail
 * together when a peer dies under every NIC, and the first failure of the
 * run is kept whole, the others printed only. */
#ifndef FC_STATUS_H
#define FC_STATUS_H

#include <stdbool.h>

#define FC_STATUS_MSG 1024 /* as long as an fc_err line */

struct fc_status {
	int taken;              /* set once, atomically: the first failure wins */
	int code;               /* negative FC_EXIT_*, 0 when only words are known */
	char msg[FC_STATUS_MSG]; /* empty: no failure recorded */
};

void fc_status_clear(struct fc_status *st);

/* Records rc and the words unless st holds a failure already (safe from
 * several threads at once); returns rc. st NULL: nothing recorded. */
int fc_status_set(struct fc_status *st, int rc, const char *msg);
int fc_status_setf(struct fc_status *st, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Copies src's failure into dst, first failure still winning. */
void fc_status_take(struct fc_status *dst, const struct fc_status *src);

bool fc_status_failed(const struct fc_status *st);
/* The words, or `none` when nothing was recorded. */
const char *fc_status_msg(const struct fc_status *st, const char *none);

/* From now on fc_err on this thread records into st (NULL: nowhere).
 * Returns the binding it replaces, for fc_status_bind(prev) at the end of
 * the scope: st must outlive the binding. */
struct fc_status *fc_status_bind(struct fc_status *st);
struct fc_status *fc_status_bound(void);

#endif
