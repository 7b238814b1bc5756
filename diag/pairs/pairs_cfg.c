/* The run configuration the coordinator sends every agent, and the checks
 * an agent applies to it before use. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "errors.h"
#include "pairs.h"
#include "sizes.h"

json_t *fc_pairs_cfg_json(const struct fc_pairs_cfg *c)
{
	return json_pack("{s:s, s:b, s:o, s:o, s:s, s:s, s:f, s:f, s:i, s:I, s:s, s:b}", "mode", c->mode, "quick",
			 c->quick, "pingpong", fc_params_json(&c->pp), "bw", fc_params_json(&c->bw), "pingpong_sizes",
			 c->pp_sizes, "bw_sizes", c->bw_sizes, "pair_timeout_s", c->pair_timeout_s, "op_timeout_s",
			 c->op_timeout_s, "sweep_rounds", c->sweep_rounds, "seed", (json_int_t)c->seed, "protocol",
			 c->protocol, "other_fabric", c->other_fabric);
}

static int str(const json_t *j, const char *key, char *dst, size_t cap)
{
	const char *v = json_string_value(json_object_get(j, key));

	if (!v || strlen(v) >= cap)
		return -1;
	snprintf(dst, cap, "%s", v);
	return 0;
}

static bool seconds(const json_t *j, const char *key, double *out)
{
	json_t *v = json_object_get(j, key);

	if (!json_is_number(v) || !isfinite(json_number_value(v)) || json_number_value(v) <= 0 ||
	    json_number_value(v) > 86400)
		return false;
	*out = json_number_value(v);
	return true;
}

int fc_pairs_cfg_from_json(const json_t *j, struct fc_pairs_cfg *c, char *why, size_t len)
{
	struct fc_sizes s;
	json_t *v;

	memset(c, 0, sizeof(*c));
	if (!json_is_object(j) || str(j, "mode", c->mode, sizeof(c->mode)) ||
	    (strcmp(c->mode, "full") && strcmp(c->mode, "sweep"))) {
		snprintf(why, len, "mode is not full or sweep");
		return -FC_EXIT_USAGE;
	}
	c->quick = json_is_true(json_object_get(j, "quick"));
	c->other_fabric = json_is_true(json_object_get(j, "other_fabric"));
	if (str(j, "protocol", c->protocol, sizeof(c->protocol)) ||
	    (strcmp(c->protocol, "sendrecv") && strcmp(c->protocol, "rdma"))) {
		snprintf(why, len, "protocol is not sendrecv or rdma");
		return -FC_EXIT_USAGE;
	}
	if (fc_params_from_json(json_object_get(j, "pingpong"), "pingpong", &c->pp, why, len) ||
	    fc_params_from_json(json_object_get(j, "bw"), "bw", &c->bw, why, len))
		return -FC_EXIT_USAGE;
	if (str(j, "pingpong_sizes", c->pp_sizes, sizeof(c->pp_sizes)) ||
	    str(j, "bw_sizes", c->bw_sizes, sizeof(c->bw_sizes))) {
		snprintf(why, len, "the size lists are missing or too long");
		return -FC_EXIT_USAGE;
	}
	/* sizes are parsed here as on a command line (quietly: an error is the
	 * coordinator's to say) */
	if (fc_sizes_expand(c->pp_sizes, NULL, 0, &s) || (fc_sizes_free(&s), fc_sizes_expand(c->bw_sizes, NULL, 0, &s))) {
		snprintf(why, len, "a size list does not parse");
		return -FC_EXIT_USAGE;
	}
	fc_sizes_free(&s);
	if (!seconds(j, "pair_timeout_s", &c->pair_timeout_s) || !seconds(j, "op_timeout_s", &c->op_timeout_s)) {
		snprintf(why, len, "a timeout is missing or out of range");
		return -FC_EXIT_USAGE;
	}
	v = json_object_get(j, "sweep_rounds");
	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 64) {
		snprintf(why, len, "sweep_rounds is not 1..64");
		return -FC_EXIT_USAGE;
	}
	c->sweep_rounds = (int)json_integer_value(v);
	c->seed = (uint64_t)json_integer_value(json_object_get(j, "seed"));
	return 0;
}

int fc_pairs_quorum(int nodes)
{
	int half = (nodes + 1) / 2;
	return half > 2 ? half : 2;
}
