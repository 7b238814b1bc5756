/* One exit-code table for the whole suite (README "Exit codes").
 * Library functions return 0 or the negated exit code of the failure class,
 * so the place that detects a failure also classifies it; only main() turns
 * the result into a process exit status (fc_exit_status). */
#ifndef FC_ERRORS_H
#define FC_ERRORS_H

enum fc_exit {
	FC_EXIT_OK = 0,
	FC_EXIT_BELOW = 1,  /* ran, but below a threshold / a check failed */
	FC_EXIT_USAGE = 2,  /* bad command line, bad peer input, parameter mismatch */
	FC_EXIT_FABRIC = 3, /* fabric, provider or device setup error; output not written */
	FC_EXIT_PEER = 4,   /* peer unreachable, gone or timed out */
	FC_EXIT_VERIFY = 5, /* received data differs from what was sent */
	/* stopped by a signal: 128 + its number, as a shell reports it
	 * (SIGHUP 129, SIGINT 130, SIGPIPE 141, SIGTERM 143) */
	FC_EXIT_SIGNAL = 128,
};

static inline int fc_exit_status(int rc)
{
	if (rc >= 0)
		return FC_EXIT_OK;
	if (-rc >= FC_EXIT_BELOW && -rc <= FC_EXIT_VERIFY)
		return -rc;
	if (-rc > FC_EXIT_SIGNAL && -rc < FC_EXIT_SIGNAL + 64)
		return -rc;
	return FC_EXIT_FABRIC;
}

#endif
