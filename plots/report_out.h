/* The report folder: written into DIR.tmp-XXXXXX beside DIR and renamed
 * into place when complete, so a failed report leaves nothing behind and
 * never touches an existing report. No shell: folders are created and
 * removed through the C library. */
#ifndef RP_OUT_H
#define RP_OUT_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

struct rp_out {
	char final[PATH_MAX]; /* where the report appears */
	char dir[PATH_MAX];   /* the temporary folder, absolute (gnuplot gets absolute paths) */
	char plots[PATH_MAX]; /* the gnuplot scripts */
	bool reserved;        /* final is an empty folder this run made to claim a default name */
	int charts;
};

/* requested: -o DIR, or NULL for results/<UTC time to the millisecond>
 * (a suffix -2, -3, ... when two reports start in the same millisecond).
 * An existing DIR must be an empty folder (it is replaced when the report
 * is complete). Returns 0 or -FC_EXIT_USAGE / -FC_EXIT_FABRIC. */
int rp_out_prepare(struct rp_out *o, const char *requested);

FILE *rp_out_create(struct rp_out *o, const char *name);
bool rp_out_has(const struct rp_out *o, const char *name);
int rp_out_commit(struct rp_out *o);
/* Removes the temporary folder (and a claimed default name). */
void rp_out_abort(struct rp_out *o);

/* Removes a folder tree without following symbolic links. */
int rp_rm_tree(const char *dir);

#endif
