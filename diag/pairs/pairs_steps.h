/* A pairs round as the agent runs it: its steps in order (ping-pong, then
 * bandwidth one way and the other), each failing with its own reason. */
#ifndef FC_PAIRS_STEPS_H
#define FC_PAIRS_STEPS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* One step: 0 or a negative FC_EXIT_*; why it failed goes in *st (fc_err
 * on this thread records there too while the step runs). */
typedef int (*fc_pairs_step_fn)(void *ctx, size_t step, struct fc_status *st);

/* Runs steps 0..n-1, each with a status of its own, and returns the
 * round's failures for the coordinator, [{step, exit, message}], each with
 * the words of its own step. Below a threshold (-FC_EXIT_BELOW) is a
 * finding the records carry, not a failure; a peer that is gone
 * (-FC_EXIT_PEER) stays gone and a stop signal stops: both end the round. */
/* After a failed step: the lane whose own wait timed out (-1 none), and
 * the lanes that completed an operation in it (bit i: lane i). */
struct fc_step_lanes {
	int timed_out;
	uint64_t progressed;
};

/* lanes_of (may be NULL): what the lanes did in a failed step; the failure
 * then carries the lane that timed out as "lane" and, with it, the others
 * that still completed something as "progressed" (a bit mask): one NIC
 * went silent while the others worked, not the whole node. */
json_t *fc_pairs_run_steps(size_t n, fc_pairs_step_fn fn, struct fc_step_lanes (*lanes_of)(void *ctx), void *ctx);

#endif
