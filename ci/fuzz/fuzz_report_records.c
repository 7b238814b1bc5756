/* libFuzzer target: the report's record loader (fabcheck JSON Lines, the
 * cluster runner's records, and the dispatch to nccl-tests parsing), then
 * the series model, the cluster model and the pair pick over whatever it
 * accepted. Nothing is written. */
#include <stddef.h>
#include <stdint.h>

#include "report_cluster.h"
#include "report_input.h"
#include "report_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rp_input in;
	struct rp_model m;
	struct rp_cluster c;
	struct rp_heatmap h;
	struct rp_pair p;

	rp_input_init(&in);
	if (rp_input_buffer(&in, "fuzz.jsonl", (const char *)data, size) == 0) {
		rp_model_build(&m, in.records, in.origin, size & 1);
		rp_cluster_build(&c, in.records);
		for (int k = 0; k < RP_NKINDS; k++)
			rp_pick(&m, (enum rp_kind)k, NULL, &p);
		if (rp_heatmap_build(&h, in.records, &c) == 1)
			rp_heatmap_free(&h);
		rp_cluster_free(&c);
		rp_model_free(&m);
	}
	rp_input_free(&in);
	return 0;
}
