/* Stopping on a signal: SIGINT, SIGTERM, SIGHUP and SIGPIPE set a flag that
 * every wait checks (waits sleep in slices of at most FC_STOP_SLICE_S), so
 * the run ends within a second, tells the peer, keeps its completed records
 * as FILE.partial and exits 128 + the signal number. */
#ifndef FC_STOP_H
#define FC_STOP_H

#include <stdbool.h>

#define FC_STOP_SLICE_S 0.1

void fc_stop_install(void);
/* The signal that asked to stop, or 0. */
int fc_stop_signal(void);
/* 0, or -(128 + signal) after saying which signal stopped the run. */
int fc_stop_check(void);
/* Tests and the cluster runner: ask to stop as a signal would. */
void fc_stop_request(int sig);

#endif
