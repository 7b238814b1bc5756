/* Messages for people: always stderr, never mixed with records. */
#ifndef FC_LOG_H
#define FC_LOG_H

#include <stdbool.h>
#include <stddef.h>

void fc_log_set_prog(const char *prog);
const char *fc_log_prog(void);
void fc_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The first fc_err since the last fc_err_mark (lane threads fail together
 * when a peer dies under every NIC: the first message is the cause), to
 * forward to the peer. Empty when there was none. */
const char *fc_first_error(void);
/* Starts a new conversation: a cluster agent meets many peers, and an
 * error from an earlier one must not be blamed on the next. */
void fc_err_mark(void);
void fc_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fc_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Progress line ("size i of N") on stderr, only when stderr is a terminal. */
void fc_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fc_progress_done(void);

/* Copies text for a terminal: control characters (escape sequences among
 * them) from peers, files or sysfs become '?'. Returns dst. */
char *fc_printable(char *dst, size_t len, const char *src);

#endif
