#include "record.h"

#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "log.h"
#include "stats.h"

const char *const fc_schema_fields[] = {
	"schema", "tool", "fabcheck_version", "test", "transport", "provider", "fabric",
	"domain", "libfabric", "memory", "peer_memory", "local_host", "peer_host",
	"local_addr", "peer_addr", "completion", "timestamp", "lane", "lanes", "size", "iters",
	"warmup", "direction", "window", "streams", "rma_op", "rma_emulated",
	"lat_us_min", "lat_us_p50", "lat_us_p99", "lat_us_max", "lat_us_mean", "bw_gbps",
	"msg_rate", "verified", "sock_sndbuf", "sock_rcvbuf", "sent_bytes", "recv_bytes",
	"nic_tx_bytes", "nic_rx_bytes", "nic_retrans", "nic_timeouts", "nic_unresponsive",
	"nic_impaired", "nic_drops", "coverage", "gpu_path", "mr_phase", "mr_path",
	"dereg_us_p50",
};
const size_t fc_schema_nfields = sizeof(fc_schema_fields) / sizeof(fc_schema_fields[0]);

json_t *fc_record_normalize(json_t *rec)
{
	json_t *out = json_object();
	const char *key;
	json_t *v;

	for (size_t i = 0; i < fc_schema_nfields; i++) {
		v = json_object_get(rec, fc_schema_fields[i]);
		json_object_set(out, fc_schema_fields[i], v ? v : json_null());
	}
	json_object_foreach(rec, key, v) {
		if (!json_object_get(out, key))
			fc_warn("record field '%s' is not in the schema; dropped", key);
	}
	json_decref(rec);
	return out;
}

void fc_record_set_latency(json_t *rec, const struct fc_stats *s)
{
	json_object_set_new(rec, "lat_us_min", json_real(s->min / 1e3));
	json_object_set_new(rec, "lat_us_p50", json_real(s->p50 / 1e3));
	json_object_set_new(rec, "lat_us_p99", json_real(s->p99 / 1e3));
	json_object_set_new(rec, "lat_us_max", json_real(s->max / 1e3));
	json_object_set_new(rec, "lat_us_mean", json_real(s->mean / 1e3));
}

void fc_timestamp(char *buf, size_t len)
{
	struct timeval tv;
	struct tm tm;
	char base[32];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03ldZ", base, (long)(tv.tv_usec / 1000));
}
