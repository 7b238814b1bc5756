/* The test registry: every benchmark loop that runs between two peers, by
 * the name its records carry in "test".
 *
 * Why it lives here and not lower: each row is a struct fc_bench, whose
 * loop, phases, banner and record fields are the code in tests/ beside it,
 * and ci/layers lets nothing below tests/ point up at that code. Nothing
 * below needs to list tests either: a program hands the engine its row
 * (fc_program_main takes the test's name from it), the wire layer checks
 * only that the peer runs the same test as this program (params.c), and
 * the record layer takes any kind. So the one list of tests is this one;
 * programs above tests/ (diag/pairs) look rows up here by name. The report
 * (plots/, beside tests/) reads record kinds from files, including kinds
 * no loop here makes (mr, nccl), and keeps its own order of sections. */
#include <string.h>

#include "benches.h"

const struct fc_bench *const fc_benches[] = {
	&fc_bench_pingpong,
	&fc_bench_bw,
	&fc_bench_rma,
	NULL,
};

const struct fc_bench *fc_bench_find(const char *test)
{
	for (const struct fc_bench *const *b = fc_benches; *b; b++)
		if (!strcmp((*b)->test, test))
			return *b;
	return NULL;
}
