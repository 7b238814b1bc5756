#include "report_check.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "record.h"

static bool is_int(json_t *rec, const char *key)
{
	return json_is_integer(json_object_get(rec, key));
}

static bool is_str(json_t *rec, const char *key)
{
	json_t *v = json_object_get(rec, key);
	return json_is_string(v) && *json_string_value(v);
}

static int over(json_t *rec, const char *key, double max, const char *unit, char *why, size_t len)
{
	json_t *v = json_object_get(rec, key);
	if (json_is_number(v) && json_number_value(v) > max) {
		snprintf(why, len, "field \"%s\" is %g, above %g %s: not a measurement this report can draw", key,
			 json_number_value(v), max, unit);
		return -1;
	}
	return 0;
}

int rp_check_record(json_t *rec, char *why, size_t len)
{
	static const char *rates[] = {"bw_gbps", "algbw_gbps", "busbw_gbps"};
	static const char *times[] = {"lat_us_min", "lat_us_p50", "lat_us_p99", "lat_us_max", "lat_us_mean", "dereg_us_p50"};
	/* step: rank and peer_rank, as link */
	static const char *scopes[] = {"node", "nic", "link", "fabric", "cluster", "step"};
	json_t *size = json_object_get(rec, "size");
	const char *test = fc_json_str(rec, "test");

	if (json_is_integer(size) && (json_integer_value(size) < 1 || json_integer_value(size) > RP_MAX_SIZE)) {
		snprintf(why, len, "\"size\" %lld is outside 1..%lld bytes (1 TiB)", (long long)json_integer_value(size),
			 RP_MAX_SIZE);
		return -1;
	}
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++)
		if (over(rec, rates[i], RP_MAX_GBPS, "GB/s", why, len))
			return -1;
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++)
		if (over(rec, times[i], RP_MAX_US, "µs", why, len))
			return -1;
	if (over(rec, "msg_rate", 1e15, "messages/s", why, len) || over(rec, "duration_s", 1e9, "s", why, len))
		return -1;
	/* the cluster runner's records: what its tables need to place them */
	if (!strcmp(test, "verdict")) {
		size_t k = 0;
		while (k < 6 && strcmp(fc_json_str(rec, "scope"), scopes[k]))
			k++;
		if (k == 6) {
			snprintf(why, len,
				 "verdict record with \"scope\" \"%.64s\": expected node, nic, link, step, fabric or cluster",
				 fc_json_str(rec, "scope"));
			return -1;
		}
		if (!is_str(rec, "verdict")) {
			snprintf(why, len, "%s verdict record without \"verdict\"", scopes[k]);
			return -1;
		}
		if (((k <= 2 || k == 5) && !is_int(rec, "rank")) || (k == 1 && !is_str(rec, "domain")) ||
		    ((k == 2 || k == 5) && !is_int(rec, "peer_rank"))) {
			snprintf(why, len, "%s verdict record without %s", scopes[k],
				 k == 1			? "\"rank\" and \"domain\""
				 : k == 2 || k == 5 ? "\"rank\" and \"peer_rank\""
						    : "\"rank\"");
			return -1;
		}
	} else if (!strcmp(test, "round") && !is_int(rec, "round")) {
		snprintf(why, len, "round record without \"round\"");
		return -1;
	} else if ((!strcmp(test, "bw") || !strcmp(test, "pingpong")) && is_int(rec, "rank") && !is_int(rec, "peer_rank")) {
		snprintf(why, len, "%s record with \"rank\" but no \"peer_rank\": a cluster measurement names both ends", test);
		return -1;
	}
	return 0;
}
