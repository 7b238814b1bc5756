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
#include <dirent.h>
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
#include "diag_spawn.h"
#include "errors.h"
#include "log.h"
#include "readfile.h"

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
	if (p < 0 || (server = diag_spawn(sargv, env, sout)) < 0) {
		fail_why(t, "could not start %s: %s", path, strerror(errno));
		return FC_EXIT_FABRIC;
	}
	if ((client = diag_spawn(cargv, env, cout)) < 0) {
		kill(server, SIGKILL);
		diag_reap(server, time(NULL));
		fail_why(t, "could not start %s: %s", path, strerror(errno));
		return FC_EXIT_FABRIC;
	}
	crc = diag_reap(client, time(NULL) + RUN_SECONDS + 10);
	src = diag_reap(server, time(NULL) + 10);
	take_records(t, json, latency);
	if (crc || src) {
		char why[200];
		diag_last_error(crc ? cout : sout, why, sizeof(why));
		fail_why(t, "%s %s exited %d: %s", prog, crc ? "client" : "server",
			 crc ? crc : src, *why ? why : "no message (killed at the deadline?)");
		return crc > 0 ? crc : src > 0 ? src : FC_EXIT_PEER;
	}
	return 0;
}

/* The self-test's own folder and every file in it (mkdtemp made it: no
 * link in it is anyone else's). */
static void remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dirfd(d), e->d_name, 0);
	if (d)
		closedir(d);
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
	/* efa off its shm shortcut; CUDA numbers GPUs in PCI order, as the
	 * facts list them, so the GPU probe's cuda:N is gpus[N] */
	char **env = diag_child_env((const char *const[]){"FI_EFA_ENABLE_SHM_TRANSFER=0", "CUDA_DEVICE_ORDER=PCI_BUS_ID",
							  NULL});

	t->asked = true;
	snprintf(t->provider, sizeof(t->provider), "%s", o->traffic_provider);
	if (!strcmp(o->traffic_provider, "efa") && f->ndevs == 0)
		fail_why(t, "no EFA devices to send through (--traffic-provider names another)");
	else if (diag_self_dir(self, sizeof(self)))
		fail_why(t, "cannot find where fabcheck-diag is installed");
	else if (!env)
		fail_why(t, "no memory for the self-test's environment");
	for (const char *const *p = (const char *const[]){"fabcheck-pingpong", "fabcheck-bw", "fabcheck-mr", NULL};
	     *p && !t->error[0]; p++) {
		snprintf(probe, sizeof(probe), "%s/%s", self, *p);
		if (access(probe, X_OK))
			fail_why(t, "%s is not installed beside fabcheck-diag", probe);
	}
	if (!tmpdir || !*tmpdir)
		tmpdir = "/tmp";
	if (!t->error[0] && (size_t)snprintf(tmp, sizeof(tmp), "%s/fabcheck-traffic-XXXXXX", tmpdir) >= sizeof(tmp))
		fail_why(t, "TMPDIR is too long: %s", tmpdir);
	if (!t->error[0] && !mkdtemp(tmp))
		fail_why(t, "no temporary folder for the self-test: %s", strerror(errno));
	if (t->error[0]) {
		free(env);
		return;
	}
	t->ran = true;
	if (!(t->exit = pair(t, self, "fabcheck-pingpong", tmp, env, o, true)))
		t->exit = pair(t, self, "fabcheck-bw", tmp, env, o, false);
	/* a failed transfer leaves the registration worth knowing */
	diag_gpureg_run(f, o, self, tmp, env);
	free(env);
	remove_tree(tmp);
}
