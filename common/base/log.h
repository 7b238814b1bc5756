/* Messages for people: always stderr, never mixed with records. */
#ifndef FC_LOG_H
#define FC_LOG_H

#include <stdbool.h>
#include <stddef.h>

void fc_log_set_prog(const char *prog);
const char *fc_log_prog(void);
/* Prints the error, and records it as the reason of the run this thread
 * works for when one is bound (status.h: the first one wins). */
void fc_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fc_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fc_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Progress line ("size i of N") on stderr: redrawn in place on a terminal;
 * elsewhere (a job's log) a plain line at most every 10 s. */
void fc_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fc_progress_done(void);

/* Copies text for a terminal: ASCII and C1 control characters (escape
 * sequences among them), bidirectional and invisible formatting
 * characters, and bytes that are not UTF-8, from peers, files or sysfs,
 * become '?'; other UTF-8 is kept whole. Returns dst. */
char *fc_printable(char *dst, size_t len, const char *src);

#endif
