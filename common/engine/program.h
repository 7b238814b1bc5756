/* main() of a two-sided benchmark program: options, signals, run setup,
 * the loop, teardown, and the one exit-code table. */
#ifndef FC_PROGRAM_H
#define FC_PROGRAM_H

#include "bench.h"
#include "options.h"

/* The test is bench's (its name replaces prog->test). */
int fc_program_main(const struct fc_prog *prog, const struct fc_bench *bench, int argc, char **argv);

#endif
