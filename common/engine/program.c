#include "program.h"

#include "errors.h"
#include "run.h"
#include "stop.h"

int fc_program_main(const struct fc_prog *prog, const struct fc_bench *bench, int argc, char **argv)
{
	/* the test's name comes from its registry row (tests/benches.c): a
	 * main cannot state one test and run another */
	struct fc_prog p = *prog;
	struct fc_opts opts;
	struct fc_run run;
	int rc;

	p.test = bench->test;
	if ((rc = fc_opts_parse(&opts, &p, argc, argv)))
		return rc > 0 ? FC_EXIT_OK : fc_exit_status(rc);
	fc_stop_install();
	rc = fc_run_setup(&run, &opts, &p, bench->spec);
	if (!rc)
		rc = fc_bench_run(&run, bench);
	return fc_exit_status(fc_run_finish(&run, rc));
}
