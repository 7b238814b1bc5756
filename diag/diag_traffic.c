/* fabcheck-diag --traffic: the one-node traffic self-test. Two endpoints on
 * the same device, each device at once (NIC i of one process paired with
 * NIC i of the other), over the provider's own path: on EFA with the
 * shared-memory shortcut off (FI_EFA_ENABLE_SHM_TRANSFER=0, as the EFA
 * installer's own check runs), so the bytes go through the device. It runs
 * the benchmark programs installed beside fabcheck-diag (fabcheck-pingpong
 * at 8 B, fabcheck-bw at 1 MiB) with posix_spawn, no shell, and reads their
 * records: latency and bandwidth per device, and each device's counters
 * (coverage) proving it carried its share. fabcheck-diag itself links no
 * libfabric, so it still starts where libfabric is missing. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "errors.h"
#include "log.h"
#include "readfile.h"

extern char **environ;

#define RUN_SECONDS 60 /* each program's own deadline; diag waits a little longer */

/* Why the self-test did not run or failed (cut to fit). */
__attribute__((format(printf, 2, 3))) static void fail_why(struct diag_traffic *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->error, sizeof(t->error), fmt, ap);
	va_end(ap);
}

/* A port nothing listens on now, for the pair's bootstrap. */
static int free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	if (fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof(a)) && !getsockname(fd, (struct sockaddr *)&a, &l))
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* The environment, plus the variable that keeps efa off its shm shortcut. */
static char **child_env(void)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	if (!(env = calloc(n + 2, sizeof(char *))))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "FI_EFA_ENABLE_SHM_TRANSFER=", 27))
			env[k++] = environ[i];
	env[k++] = "FI_EFA_ENABLE_SHM_TRANSFER=0";
	return env;
}

static pid_t spawn(char *const argv[], char **env, const char *out_path)
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
	return rc ? -1 : pid;
}

/* Waits for pid until the deadline, then kills it; its exit code, or -1. */
static int reap(pid_t pid, time_t deadline)
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

/* The last "error:" line a program printed, as a reason. */
static void last_error(const char *path, char *out, size_t len)
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

static struct diag_traffic_lane *lane_of(struct diag_traffic *t, json_t *rec)
{
	json_t *lane = json_object_get(rec, "lane");
	const char *dom = json_string_value(json_object_get(rec, "domain"));
	int i = json_is_integer(lane) ? (int)json_integer_value(lane) : -1;

	if (i < 0 || i >= DIAG_MAX_DEVS || !dom)
		return NULL;
	if (i >= t->nlanes)
		t->nlanes = i + 1;
	fc_printable(t->lane[i].domain, sizeof(t->lane[i].domain), dom);
	return &t->lane[i];
}

/* A coverage record names its device, not a lane. */
static struct diag_traffic_lane *lane_named(struct diag_traffic *t, json_t *rec)
{
	const char *dom = json_string_value(json_object_get(rec, "domain"));
	char clean[64];

	if (!dom)
		return NULL;
	fc_printable(clean, sizeof(clean), dom);
	for (int i = 0; i < t->nlanes; i++)
		if (!strcmp(t->lane[i].domain, clean))
			return &t->lane[i];
	return NULL;
}

/* The client's records: per lane its number, and its device's counters. */
static void take_records(struct diag_traffic *t, const char *path, bool latency)
{
	char *text, *save = NULL;

	if (fc_read_alloc(path, &text) < 0)
		return;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_t *r = json_loads(line, 0, NULL);
		const char *test = json_string_value(json_object_get(r, "test"));
		bool cov = test && !strcmp(test, "coverage");
		struct diag_traffic_lane *l = !test ? NULL : cov ? lane_named(t, r) : lane_of(t, r);
		if (l && !strcmp(test, "pingpong") && latency)
			l->lat_us = json_number_value(json_object_get(r, "lat_us_p50"));
		else if (l && !strcmp(test, "bw") && !latency)
			l->bw_gbps = json_number_value(json_object_get(r, "bw_gbps"));
		else if (l && cov && !latency) {
			const char *cov = json_string_value(json_object_get(r, "coverage"));
			fc_printable(l->coverage, sizeof(l->coverage), cov ? cov : "?");
			l->nic_tx = (unsigned long long)json_integer_value(json_object_get(r, "nic_tx_bytes"));
			l->nic_rx = (unsigned long long)json_integer_value(json_object_get(r, "nic_rx_bytes"));
		}
		json_decref(r);
	}
	free(text);
}

/* One program as server and client on this node; 0 or the failing exit. */
static int pair(struct diag_traffic *t, const char *dir, const char *prog, const char *tmp, char **env,
		const struct diag_options *o, bool latency)
{
	char path[PATH_MAX], port[16], json[PATH_MAX], sout[PATH_MAX], cout[PATH_MAX], deadline[16];
	const char *domains = o->traffic_domains && *o->traffic_domains ? o->traffic_domains : "all";
	int p = free_port(), src, crc;
	pid_t server, client;

	snprintf(path, sizeof(path), "%s/%s", dir, prog);
	snprintf(port, sizeof(port), "%d", p);
	snprintf(deadline, sizeof(deadline), "%d", RUN_SECONDS);
	snprintf(json, sizeof(json), "%s/%s.jsonl", tmp, prog);
	snprintf(sout, sizeof(sout), "%s/%s.server.out", tmp, prog);
	snprintf(cout, sizeof(cout), "%s/%s.client.out", tmp, prog);
	char *sargv[] = {path, "-d", (char *)domains, "-B", port, "-t", deadline, NULL};
	char *cargv[] = {path, "-p", (char *)o->traffic_provider, "-d", (char *)domains, "-B", port, "-t", deadline,
			 "-S", latency ? "8" : "1M", "--size-time", "0.3", "--json", json, "127.0.0.1", NULL};
	if (p < 0 || (server = spawn(sargv, env, sout)) < 0) {
		fail_why(t, "could not start %s: %s", path, strerror(errno));
		return FC_EXIT_FABRIC;
	}
	if ((client = spawn(cargv, env, cout)) < 0) {
		kill(server, SIGKILL);
		reap(server, time(NULL));
		fail_why(t, "could not start %s: %s", path, strerror(errno));
		return FC_EXIT_FABRIC;
	}
	crc = reap(client, time(NULL) + RUN_SECONDS + 10);
	src = reap(server, time(NULL) + 10);
	take_records(t, json, latency);
	if (crc || src) {
		char why[200];
		last_error(crc ? cout : sout, why, sizeof(why));
		fail_why(t, "%s %s exited %d: %s", prog, crc ? "client" : "server",
			 crc ? crc : src, *why ? why : "no message (killed at the deadline?)");
		return crc > 0 ? crc : src > 0 ? src : FC_EXIT_PEER;
	}
	return 0;
}

static void remove_tree(const char *dir)
{
	const char *names[] = {"fabcheck-pingpong.jsonl", "fabcheck-pingpong.server.out", "fabcheck-pingpong.client.out",
			       "fabcheck-bw.jsonl", "fabcheck-bw.server.out", "fabcheck-bw.client.out"};
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

void diag_traffic_run(struct diag_facts *f, const struct diag_options *o)
{
	struct diag_traffic *t = &f->traffic;
	char self[PATH_MAX], tmp[PATH_MAX - 64], probe[PATH_MAX + 32];
	/* TMPDIR first, as mkstemp's users expect: a job's scratch space, and
	 * the tests' own folder instead of a /tmp that parallel runs share;
	 * 64 bytes short of PATH_MAX so the files inside still fit */
	const char *tmpdir = getenv("TMPDIR");
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char **env;

	t->asked = true;
	snprintf(t->provider, sizeof(t->provider), "%s", o->traffic_provider);
	if (!strcmp(o->traffic_provider, "efa") && f->ndevs == 0) {
		fail_why(t, "no EFA devices to send through (--traffic-provider names another)");
		return;
	}
	if (n <= 0) {
		fail_why(t, "cannot find where fabcheck-diag is installed");
		return;
	}
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	for (const char *const *p = (const char *const[]){"fabcheck-pingpong", "fabcheck-bw", NULL}; *p; p++) {
		snprintf(probe, sizeof(probe), "%s/%s", self, *p);
		if (access(probe, X_OK)) {
			fail_why(t, "%s is not installed beside fabcheck-diag", probe);
			return;
		}
	}
	if (!tmpdir || !*tmpdir)
		tmpdir = "/tmp";
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/fabcheck-traffic-XXXXXX", tmpdir) >= sizeof(tmp)) {
		fail_why(t, "TMPDIR is too long: %s", tmpdir);
		return;
	}
	if (!mkdtemp(tmp) || !(env = child_env())) {
		fail_why(t, "no temporary folder for the self-test: %s", strerror(errno));
		return;
	}
	t->ran = true;
	if (!(t->exit = pair(t, self, "fabcheck-pingpong", tmp, env, o, true)))
		t->exit = pair(t, self, "fabcheck-bw", tmp, env, o, false);
	free(env);
	remove_tree(tmp);
}
