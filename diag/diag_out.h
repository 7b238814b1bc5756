/* fabcheck-diag's output: the checklist for people (stdout; text that came
 * from the node is escaped, so a product name or a path with terminal
 * control characters cannot rewrite the screen) and the JSON document for
 * machines (stdout or a file; a write that fails is an error). */
#ifndef FC_DIAG_OUT_H
#define FC_DIAG_OUT_H

#include <stdbool.h>
#include <stdio.h>

#include "diag_check.h"
#include "resultfile.h"

/* Control characters (and DEL) as \xNN; the output always fits len. */
void diag_escape(const char *in, char *out, size_t len);
void diag_print(FILE *out, const struct diag_check *k, int n, bool colour);
json_t *diag_json(const struct diag_facts *f, const struct diag_check *k, int n);
/* Writes the JSON document into the result file opened at start (see
 * resultfile.h) and closes it; 0, -FC_EXIT_FABRIC on a write error, or the
 * stop code. */
int diag_write_json(json_t *doc, struct fc_resfile *out, bool ok);

#endif
