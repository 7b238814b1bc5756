/* fabcheck-diag's output: the checklist for people (stdout; text that came
 * from the node is escaped, so a product name or a path with terminal
 * control characters cannot rewrite the screen) and the JSON document for
 * machines (stdout or a file; a write that fails is an error). */
#ifndef FC_DIAG_OUT_H
#define FC_DIAG_OUT_H

#include <stdbool.h>
#include <stdio.h>

#include "diag_check.h"

/* Control characters (and DEL) as \xNN; the output always fits len. */
void diag_escape(const char *in, char *out, size_t len);
void diag_print(FILE *out, const struct check *k, int n, bool colour);
json_t *diag_json(const struct facts *f, const struct check *k, int n);
/* "-" is stdout. A regular file (or a new path) is written through a
 * temporary file beside it and renamed into place, so a full disk leaves
 * nothing half-written; a device or FIFO is written directly. 0, or
 * -FC_EXIT_FABRIC after saying why. */
int diag_write_json(json_t *doc, const char *path);

#endif
