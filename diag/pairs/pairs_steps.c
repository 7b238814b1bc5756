#include "pairs_steps.h"

#include "errors.h"
#include "stop.h"

json_t *fc_pairs_run_steps(size_t n, fc_pairs_step_fn fn, struct fc_step_lanes (*lanes_of)(void *ctx), void *ctx)
{
	json_t *failures = json_array();

	for (size_t i = 0; i < n; i++) {
		struct fc_status st, *outer;
		int rc;

		/* a step's reason is its own: the second failure of a round
		 * must not be reported with the first one's words */
		fc_status_clear(&st);
		outer = fc_status_bind(&st);
		rc = fn(ctx, i, &st);
		fc_status_bind(outer);
		if (!rc || rc == -FC_EXIT_BELOW)
			continue;
		json_t *f = json_pack("{s:i, s:i, s:s}", "step", (int)i, "exit", fc_exit_status(rc), "message",
				      fc_status_msg(&st, "the step failed (no reason recorded)"));
		struct fc_step_lanes lanes = lanes_of ? lanes_of(ctx) : (struct fc_step_lanes){-1, 0};
		if (f && lanes.timed_out >= 0) {
			json_object_set_new(f, "lane", json_integer(lanes.timed_out));
			json_object_set_new(f, "progressed", json_integer((json_int_t)(lanes.progressed & INT64_MAX)));
		}
		json_array_append_new(failures, f);
		if (fc_stop_signal() || rc == -FC_EXIT_PEER)
			break;
	}
	return failures;
}
