/* main() of a two-sided benchmark program: options, run setup, the loop,
 * teardown, and the one exit-code table. */
#ifndef FC_PROGRAM_H
#define FC_PROGRAM_H

#include "options.h"
#include "run.h"

int fc_program_main(const struct fc_prog *prog, int argc, char **argv,
		    void (*spec)(const struct fc_opts *o, struct fc_run_spec *s),
		    int (*bench)(struct fc_run *r));

#endif
