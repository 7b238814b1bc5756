#include "program.h"

#include "errors.h"

int fc_program_main(const struct fc_prog *prog, int argc, char **argv,
		    void (*spec)(const struct fc_opts *o, struct fc_run_spec *s),
		    int (*bench)(struct fc_run *r))
{
	struct fc_opts opts;
	struct fc_run_spec s = {.tool = prog->name};
	struct fc_run run;
	int rc = fc_opts_parse(&opts, prog, argc, argv);

	if (rc)
		return rc > 0 ? FC_EXIT_OK : fc_exit_status(rc);
	spec(&opts, &s);
	rc = fc_run_setup(&run, &opts, &s);
	if (!rc)
		rc = bench(&run);
	return fc_exit_status(fc_run_finish(&run, rc));
}
