/* Messages for people: always stderr, never mixed with records. */
#ifndef FC_LOG_H
#define FC_LOG_H

#include <stdbool.h>

void fc_log_set_prog(const char *prog);
const char *fc_log_prog(void);
void fc_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The text of the last fc_err, to forward to the peer. */
const char *fc_last_error(void);
void fc_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fc_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Progress line ("size i of N") on stderr, only when stderr is a terminal. */
void fc_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fc_progress_done(void);

#endif
