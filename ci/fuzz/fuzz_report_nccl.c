/* libFuzzer target: the nccl-tests parsers, text table and JSON file,
 * straight (the record loader's dispatch is fuzzed by fuzz_report_records). */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "report_nccl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *recs = json_array(), *banner = json_array();
	json_t *doc = json_loadb((const char *)data, size, 0, NULL);

	rp_nccl_text("fuzz.txt", (const char *)data, size, recs, banner);
	if (json_is_object(doc))
		rp_nccl_json("fuzz.json", doc, recs, banner);
	json_decref(doc);
	json_decref(recs);
	json_decref(banner);
	return 0;
}
