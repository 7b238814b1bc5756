#include "report_plot.h"

#include "report_fmt.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errors.h"
#include "log.h"

extern char **environ;

void rp_gp_set(struct rp_buf *vars, const char *name, const char *value)
{
	rp_buf_printf(vars, "%s = ", name);
	rp_gp_str(vars, value);
	rp_buf_printf(vars, "\n");
}

/* The last lines of gnuplot.log, read here (no tail, no shell). */
static void show_log(const char *path)
{
	FILE *f = fopen(path, "r");
	char *lines[5] = {0}, *line = NULL;
	size_t cap = 0;
	int n = 0;

	if (!f) {
		fc_warn("no gnuplot messages");
		return;
	}
	while (getline(&line, &cap, f) > 0) {
		free(lines[n % 5]);
		lines[n % 5] = strdup(line);
		n++;
	}
	for (int i = n > 5 ? n - 5 : 0; i < n; i++) {
		fprintf(stderr, "  gnuplot: %s", lines[i % 5]);
		if (!strchr(lines[i % 5], '\n'))
			fputc('\n', stderr);
	}
	for (int i = 0; i < 5; i++)
		free(lines[i]);
	free(line);
	fclose(f);
}

static int feed(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1; /* gnuplot went away (EPIPE): its exit status says why */
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static int run_gnuplot(struct rp_out *o, const char *program, const char *script, const char *fmt)
{
	const char *gp = getenv("FABCHECK_GNUPLOT");
	char log[PATH_MAX + 32];
	char *argv[] = {(char *)(gp && *gp ? gp : "gnuplot"), NULL};
	posix_spawn_file_actions_t fa;
	struct sigaction ign = {.sa_handler = SIG_IGN}, old;
	int fds[2], status = 0, err;
	pid_t pid;

	snprintf(log, sizeof(log), "%s/gnuplot.log", o->dir);
	if (pipe2(fds, O_CLOEXEC)) {
		fc_err("cannot start gnuplot: %s", strerror(errno));
		return -FC_EXIT_FABRIC;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	/* its chatter (single-point ranges, NaN cells) goes to the log */
	posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_APPEND, 0666);
	err = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[0]);
	if (err) {
		close(fds[1]);
		fc_err("cannot run %s: %s%s", argv[0], strerror(err),
		       err == ENOENT ? ": gnuplot is not installed (apt-get install gnuplot-nox)" : "");
		return -FC_EXIT_FABRIC;
	}
	sigaction(SIGPIPE, &ign, &old);
	feed(fds[1], program, strlen(program));
	close(fds[1]);
	sigaction(SIGPIPE, &old, NULL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fc_err("gnuplot failed on %s (%s); its last messages:", script, fmt);
		show_log(log);
		return -FC_EXIT_FABRIC;
	}
	return 0;
}

static int plot_formats(struct rp_out *o, const char *script, const char *name, const struct rp_buf *vars, int nfmts)
{
	static const char *fmts[] = {"png", "svg"};
	char path[PATH_MAX + 256];
	struct rp_buf p = {0};
	int rc;

	/* one gnuplot for both formats: the script runs twice, reset between */
	for (int i = 0; i < nfmts; i++) {
		if (i)
			rp_buf_printf(&p, "unset output\nreset\n");
		rp_gp_set(&p, "plotdir", o->plots);
		snprintf(path, sizeof(path), "%s/%s.dat", o->dir, name);
		rp_gp_set(&p, "datafile", path);
		snprintf(path, sizeof(path), "%s/%s.%s", o->dir, name, fmts[i]);
		rp_gp_set(&p, "outfile", path);
		rp_gp_set(&p, "fmt", fmts[i]);
		rp_gp_set(&p, "bw_unit", rp_bw_unit());
		rp_gp_set(&p, "bw_unit_words", rp_bw_unit_words());
		rp_buf_printf(&p, "%s", rp_buf_str(vars));
		snprintf(path, sizeof(path), "%s/%s", o->plots, script);
		rp_buf_printf(&p, "load ");
		rp_gp_str(&p, path);
		rp_buf_printf(&p, "\n");
	}
	if (p.nomem || vars->nomem) { /* a cut script would draw a wrong chart */
		rp_buf_free(&p);
		return rp_nomem("writing a chart's gnuplot commands");
	}
	rc = run_gnuplot(o, rp_buf_str(&p), script, nfmts > 1 ? "png and svg" : "png");
	rp_buf_free(&p);
	if (rc)
		return rc;
	o->charts++;
	return 0;
}

int rp_plot(struct rp_out *o, const char *script, const char *name, const struct rp_buf *vars)
{
	return plot_formats(o, script, name, vars, 2);
}

int rp_plot_png(struct rp_out *o, const char *script, const char *name, const struct rp_buf *vars)
{
	return plot_formats(o, script, name, vars, 1);
}

void rp_plot_done(struct rp_out *o)
{
	char log[PATH_MAX + 32];
	struct stat st;

	snprintf(log, sizeof(log), "%s/gnuplot.log", o->dir);
	if (stat(log, &st) == 0 && st.st_size == 0)
		unlink(log);
}
