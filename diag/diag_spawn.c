/* Running the benchmark programs installed beside fabcheck-diag. */
#include "diag_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "readfile.h"

extern char **environ;

char **diag_child_env(const char *const *settings)
{
	size_t n = 0, k = 0, s = 0;
	char **env;

	while (environ[n])
		n++;
	while (settings[s])
		s++;
	if (!(env = calloc(n + s + 1, sizeof(char *))))
		return NULL;
	for (size_t i = 0; i < n; i++) {
		bool replaced = false;
		for (size_t j = 0; j < s && !replaced; j++) {
			size_t len = strcspn(settings[j], "=") + 1;
			replaced = !strncmp(environ[i], settings[j], len);
		}
		if (!replaced)
			env[k++] = environ[i];
	}
	for (size_t j = 0; j < s; j++)
		env[k++] = (char *)settings[j];
	return env;
}

pid_t diag_spawn(char *const argv[], char **env, const char *out_path)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
	rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	if (rc)
		errno = rc;
	return rc ? -1 : pid;
}

int diag_reap(pid_t pid, time_t deadline)
{
	int st;

	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);
		if (w == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		if (w < 0 && errno != EINTR)
			return -1;
		if (time(NULL) >= deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -1;
		}
		nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
	}
}

void diag_last_error(const char *path, char *out, size_t len)
{
	char *text, *p, *line = NULL;

	out[0] = '\0';
	if (fc_read_alloc(path, &text) < 0)
		return;
	for (p = strstr(text, "error: "); p; p = strstr(p + 1, "error: "))
		line = p + 7;
	if (line) {
		line[strcspn(line, "\n")] = '\0';
		fc_printable(out, len, line);
	}
	free(text);
}

int diag_self_dir(char *out, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", out, len - 1);

	if (n <= 0)
		return -1;
	out[n] = '\0';
	*strrchr(out, '/') = '\0';
	return 0;
}
