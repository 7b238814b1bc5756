/* Running fabcheck's own benchmark programs from fabcheck-diag: with
 * posix_spawn (no shell), output to a file, a deadline, and the last
 * error line as the reason. */
#ifndef FC_DIAG_SPAWN_H
#define FC_DIAG_SPAWN_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

/* The environment plus "NAME=VALUE" settings that replace the same names
 * (NULL-terminated list); NULL on no memory. Free the array only. */
char **diag_child_env(const char *const *settings);
/* argv[0] with stdin /dev/null, stdout and stderr to out_path; -1 on error. */
pid_t diag_spawn(char *const argv[], char **env, const char *out_path);
/* Waits for pid until the deadline, then kills it; its exit code, 128+N
 * for signal N, or -1 (killed at the deadline, or not a child). */
int diag_reap(pid_t pid, time_t deadline);
/* The last "error: " line a program printed, cut to len ("" : none). */
void diag_last_error(const char *path, char *out, size_t len);
/* The folder fabcheck-diag runs from, where the programs are installed:
 * 0, or -1 when /proc/self/exe cannot be read. */
int diag_self_dir(char *out, size_t len);

#endif
