/* A result file that appears complete or not at all, and never replaces
 * what it should write into. A regular file (or a new path) is written
 * under a temporary name in the same folder and renamed into place when
 * the run succeeds; a failed run keeps the records it completed as
 * FILE.partial and leaves an older FILE alone. A symlink is resolved and
 * its target treated so. A character device, FIFO or socket (/dev/null,
 * /dev/stdout, a pipe to another program) is opened and written directly.
 * Problems a run would only meet at its end (a folder, a missing or
 * unwritable folder, a FIFO nobody reads) are found at open, before any
 * traffic. New files follow the umask. */
#ifndef FC_RESULTFILE_H
#define FC_RESULTFILE_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

struct fc_resfile {
	FILE *f;
	char *path;   /* as given */
	char *target; /* where the results land (a symlink's target) */
	char *tmp;    /* the temporary name; NULL when written directly */
	off_t good;   /* bytes of whole records written */
	size_t records;
	bool failed;  /* a write failed: what is past `good` is not whole */
};

/* "-" is stdout. 0, or -FC_EXIT_USAGE after saying what is wrong with the
 * path and what to do. */
int fc_resfile_open(struct fc_resfile *r, const char *path);
/* After each whole record: flushed, counted. 0, -FC_EXIT_FABRIC (disk
 * full, I/O error, said), or the stop code when the reader went away
 * (EPIPE, SIGPIPE). */
int fc_resfile_commit(struct fc_resfile *r);
/* run_rc 0: renamed into place; else the whole records are kept as
 * FILE.partial (nothing when there were none). 0 or -FC_EXIT_FABRIC. */
int fc_resfile_close(struct fc_resfile *r, int run_rc);
/* Whether two paths would write the same place (after symlinks). */
bool fc_resfile_same(const char *a, const char *b);

#endif
