#include <arpa/inet.h>
#include <ctype.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "log.h"
#include "pairs_hostlist.h"
#include "pairs_launch.h"

int fc_split_host_port(const char *s, char *host, size_t len, uint16_t *port)
{
	const char *colon;
	size_t n;
	char *end;
	long p;

	if (!s || !*s)
		return -1;
	if (*s == '[') { /* [v6]:port */
		const char *close = strchr(s, ']');
		if (!close || (size_t)(close - s - 1) >= len)
			return -1;
		snprintf(host, len, "%.*s", (int)(close - s - 1), s + 1);
		colon = close[1] == ':' ? close + 1 : NULL;
		if (close[1] && !colon)
			return -1;
	} else {
		colon = strchr(s, ':');
		if (colon && strchr(colon + 1, ':'))
			colon = NULL; /* a bare IPv6 address */
		n = colon ? (size_t)(colon - s) : strlen(s);
		if (n == 0 || n >= len)
			return -1;
		snprintf(host, len, "%.*s", (int)n, s);
	}
	if (colon) {
		p = strtol(colon + 1, &end, 10);
		if (*end || p < 1 || p > 65535)
			return -1;
		*port = (uint16_t)p;
	}
	return 0;
}

int fc_slurm_first_host(const char *list, char *out, size_t len)
{
	char all[8192];

	if (fc_hostlist_expand(list, all, sizeof(all)) || strcspn(all, ",") >= len)
		return -1;
	snprintf(out, len, "%.*s", (int)strcspn(all, ","), all);
	return 0;
}

static int number(const char *s, int *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return -1;
	v = strtol(s, &end, 10);
	if (*end || v < 0 || v > 1000000)
		return -1;
	*out = (int)v;
	return 0;
}

/* ---- the launchers' own ways of saying things ---- */

/* an unset variable and an empty one ("value: """ in a manifest) alike */
static const char *get(fc_env_fn env, const char *name)
{
	const char *v = name ? env(name) : NULL;

	return v && *v ? v : NULL;
}

static bool mpirun_detect(fc_env_fn env)
{
	return get(env, "OMPI_COMM_WORLD_RANK");
}

bool fc_run_secret_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = la != lb;

	/* every byte of the longer, whatever differs first */
	for (size_t i = 0; i < (la > lb ? la : lb); i++)
		diff |= (unsigned char)(i < la ? a[i] : 0) ^ (unsigned char)(i < lb ? b[i] : 0);
	return !diff;
}

int fc_pick_reachable(const char *list, const struct fc_local_net *nets, int nnets, char *out, size_t len)
{
	const char *first = NULL;
	size_t first_n = 0;

	for (const char *p = list; p && *p;) {
		size_t n = strcspn(p, ",");
		char a[INET_ADDRSTRLEN];
		struct in_addr in;

		if (n && !first)
			first = p, first_n = n;
		if (n && n < sizeof(a)) {
			memcpy(a, p, n);
			a[n] = '\0';
			for (int i = 0; inet_pton(AF_INET, a, &in) == 1 && i < nnets; i++)
				if (((in.s_addr ^ nets[i].addr.s_addr) & nets[i].mask.s_addr) == 0) {
					snprintf(out, len, "%s", a);
					return 0;
				}
		}
		p += n;
		p += *p == ',';
	}
	if (!first || first_n >= len)
		return -1;
	snprintf(out, len, "%.*s", (int)first_n, first);
	return 1;
}

/* this node's IPv4 networks, for fc_pick_reachable */
static int local_nets(struct fc_local_net *nets, int max)
{
	struct ifaddrs *ifa, *i;
	int n = 0;

	if (getifaddrs(&ifa))
		return 0;
	for (i = ifa; i && n < max; i = i->ifa_next)
		if (i->ifa_addr && i->ifa_netmask && i->ifa_addr->sa_family == AF_INET && (i->ifa_flags & IFF_UP)) {
			nets[n].addr = ((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr;
			nets[n++].mask = ((struct sockaddr_in *)(void *)i->ifa_netmask)->sin_addr;
		}
	freeifaddrs(ifa);
	return n;
}

static bool in_list(const char *list, const char *a, size_t n)
{
	for (const char *p = list; *p;) {
		size_t m = strcspn(p, ",");
		if (m == n && !strncmp(p, a, n))
			return true;
		p += m;
		p += *p == ',';
	}
	return false;
}

void fc_drop_own_addresses(const char *list, const char *mine, char *out, size_t len)
{
	size_t o = 0;

	if (!len)
		return;
	*out = '\0';
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");
		if (n && !in_list(mine, p, n) && o + n + 2 <= len)
			o += (size_t)snprintf(out + o, len - o, "%s%.*s", o ? "," : "", (int)n, p);
		p += n;
		p += *p == ',';
	}
	if (!o)
		snprintf(out, len, "%s", list);
}

/* Rank 0's host. First from rank 0 itself, through the launcher's PMIx
 * server: right wherever mpirun runs. Else mpirun's own host, from the
 * daemon URI it gives every rank: rank 0 runs there when mpirun is
 * started on the hostfile's first node, as SkyPilot's EFA examples do.
 * Either lists several addresses ("tcp://192.0.2.2,10.180.0.254:47600"):
 * the one in a network of this node is the one it reaches.
 * FABCHECK_COORDINATOR first: that is a guess. */
static int mpirun_coordinator(fc_env_fn env, char *out, size_t len)
{
	const char *t = get(env, "OMPI_MCA_orte_hnp_uri"), *who = "mpirun";
	char list[1024], all[1024], mine[1024];
	struct fc_local_net nets[64];
	size_t n;

	if (get(env, "FABCHECK_COORDINATOR"))
		return -1; /* the generic fallback takes it */
	if (get(env, "PMIX_NAMESPACE") && fc_pmix_rank0_addresses(all, sizeof(all)) == 0) {
		if (fc_local_addresses(mine, sizeof(mine)))
			*mine = '\0';
		fc_drop_own_addresses(all, mine, list, sizeof(list));
		who = "rank 0";
	} else {
		if (!t || !(t = strstr(t, "tcp://")))
			return -1;
		t += 6;
		n = strcspn(t, ":;");
		if (n == 0 || n >= sizeof(list))
			return -1;
		snprintf(list, sizeof(list), "%.*s", (int)n, t);
	}
	if (!strchr(list, ','))
		return fc_pick_reachable(list, NULL, 0, out, len) < 0 ? -1 : 0;
	switch (fc_pick_reachable(list, nets, local_nets(nets, 64), out, len)) {
	case 0:
		fc_note("%s listens on %s: the coordinator is %s, in a network of this node (--coordinator or "
			"FABCHECK_COORDINATOR choose another)", who, list, out);
		return 0;
	case 1:
		fc_note("%s listens on %s, none in a network of this node: trying the first, %s (--coordinator or "
			"FABCHECK_COORDINATOR choose another)", who, list, out);
		return 0;
	}
	return -1;
}

static bool sky_detect(fc_env_fn env)
{
	return get(env, "SKYPILOT_NODE_RANK");
}

/* SKYPILOT_NODE_IPS: one address a line, rank order */
static int sky_coordinator(fc_env_fn env, char *out, size_t len)
{
	const char *ips = get(env, "SKYPILOT_NODE_IPS");
	size_t n;

	if (!ips)
		return -1;
	ips += strspn(ips, " \t\r\n");
	n = strcspn(ips, "\n");
	while (n && isspace((unsigned char)ips[n - 1]))
		n--;
	if (!n || n >= len)
		return -1;
	snprintf(out, len, "%.*s", (int)n, ips);
	return 0;
}

static int sky_hosts(fc_env_fn env, char *out, size_t len)
{
	const char *ips = get(env, "SKYPILOT_NODE_IPS");
	size_t o = 0;

	if (!ips || !len)
		return -1;
	for (const char *p = ips; *p;) {
		size_t n;
		p += strspn(p, " \t\r\n");
		n = strcspn(p, " \t\r\n");
		if (!n)
			break;
		if (o + (o ? 1 : 0) + n >= len)
			return -1; /* a cut list would name the wrong nodes: none */
		o += (size_t)snprintf(out + o, len - o, "%s%.*s", o ? "," : "", (int)n, p);
		p += n;
	}
	return o ? 0 : -1;
}

static bool slurm_detect(fc_env_fn env)
{
	return get(env, "SLURM_PROCID");
}

static const char *slurm_nodelist(fc_env_fn env)
{
	return get(env, "SLURM_JOB_NODELIST") ? get(env, "SLURM_JOB_NODELIST") : get(env, "SLURM_NODELIST");
}

static int slurm_coordinator(fc_env_fn env, char *out, size_t len)
{
	return fc_slurm_first_host(slurm_nodelist(env), out, len);
}

/* srun's block distribution with one task a node: task i on the list's
 * node i */
static int slurm_hosts(fc_env_fn env, char *out, size_t len)
{
	return fc_hostlist_expand(slurm_nodelist(env), out, len);
}

static bool k8s_detect(fc_env_fn env)
{
	return get(env, "JOB_COMPLETION_INDEX");
}

static bool manual_detect(fc_env_fn env)
{
	(void)env;
	return true;
}

/* Adding a launcher: a row here (before manual, which always matches) and
 * its detect function above. What a launcher does not say, FABCHECK_NODES,
 * FABCHECK_COORDINATOR, FABCHECK_JOB_ID and FABCHECK_NODE_NAME may (a
 * Kubernetes manifest sets them), and the command line beats both. */
const struct fc_launcher fc_launchers[] = {
	/* first: mpirun started inside Slurm or SkyPilot is what ranks us */
	{.name = "mpirun", .detect = mpirun_detect, .rank_var = "OMPI_COMM_WORLD_RANK",
	 .nodes_var = "OMPI_COMM_WORLD_SIZE", .coordinator = mpirun_coordinator},
	{.name = "skypilot", .detect = sky_detect, .rank_var = "SKYPILOT_NODE_RANK", .nodes_var = "SKYPILOT_NUM_NODES",
	 .coordinator = sky_coordinator, .job_var = "SKYPILOT_TASK_ID", .gpus_var = "SKYPILOT_NUM_GPUS_PER_NODE",
	 .hosts = sky_hosts},
	/* srun's task environment names the node as slurmd knows it */
	{.name = "slurm", .detect = slurm_detect, .rank_var = "SLURM_PROCID", .nodes_var = "SLURM_NTASKS",
	 .coordinator = slurm_coordinator, .job_var = "SLURM_JOB_ID", .node_var = "SLURMD_NODENAME",
	 .host_is_node = true, .gpus_var = "SLURM_GPUS_ON_NODE", .hosts = slurm_hosts,
	 .job_nodes_var = "SLURM_JOB_NUM_NODES",
	 .drain = "scontrol update NodeName={node} State=DRAIN Reason={reason}"},
	/* an Indexed Job knows its index only; the pod's host name is the
	 * pod's, so the node name comes from the manifest (spec.nodeName) */
	{.name = "kubernetes", .detect = k8s_detect, .rank_var = "JOB_COMPLETION_INDEX",
	 .drain = "kubectl cordon {node}"},
	{.name = "manual", .detect = manual_detect},
};

/* ---- shell words ---- */

static bool plain(unsigned char c)
{
	return isalnum(c) ? c < 0x80 : c && strchr("%+,./:@_-", c);
}

char *fc_shell_quote(char *dst, size_t len, const char *src)
{
	const unsigned char *s = (const unsigned char *)(src ? src : "");
	bool all_plain = *s, printable = true;
	size_t o = 0;

	for (const unsigned char *p = s; *p; p++) {
		all_plain &= plain(*p);
		printable &= *p >= 0x20 && *p < 0x7f;
	}
#define PUT(...)                                                                  \
	do {                                                                      \
		int n_ = snprintf(dst + o, len - o, __VA_ARGS__);                 \
		if (n_ < 0 || (size_t)n_ >= len - o)                              \
			return NULL;                                              \
		o += (size_t)n_;                                                  \
	} while (0)
	if (!len)
		return NULL;
	if (all_plain) {
		PUT("%s", (const char *)s);
	} else if (printable) {
		/* nothing is special inside '...' but the quote itself */
		PUT("'");
		for (const unsigned char *p = s; *p; p++)
			if (*p == '\'')
				PUT("'\\''");
			else
				PUT("%c", *p);
		PUT("'");
	} else {
		/* a terminal control byte never reaches the terminal raw */
		PUT("$'");
		for (const unsigned char *p = s; *p; p++)
			if (*p == '\'' || *p == '\\')
				PUT("\\%c", *p);
			else if (*p < 0x20 || *p >= 0x7f)
				PUT("\\%03o", *p);
			else
				PUT("%c", *p);
		PUT("'");
	}
#undef PUT
	return dst;
}

int fc_launch_drain(const struct fc_launcher *row, const char *node, const char *reason, char *out, size_t len)
{
	const char *t = row ? row->drain : NULL;
	size_t o = 0;

	if (!t || !node || !*node || !len)
		return -1;
	while (*t) {
		const char *val = !strncmp(t, "{node}", 6) ? node : !strncmp(t, "{reason}", 8) ? reason ? reason : "" : NULL;
		if (val) {
			if (!fc_shell_quote(out + o, len - o, val))
				return -1;
			o += strlen(out + o);
			t += val == node ? 6 : 8;
			continue;
		}
		if (o + 1 >= len)
			return -1;
		out[o++] = *t++;
	}
	out[o] = '\0';
	return 0;
}

int fc_launch_where(const struct fc_launch *l, FILE *f)
{
	char coord[300], gpus[16] = "";
	const char *key[] = {"launcher", "coordinator", "job_id", "node_name", "hosts", "gpus_per_node"};
	const char *val[] = {l->launcher, coord, l->job_id, l->node_name, l->hosts, gpus};
	char q[sizeof(l->hosts) * 4 + 4];

	snprintf(coord, sizeof(coord), "%s:%u", *l->coord ? l->coord : "127.0.0.1", l->coord_port);
	if (l->gpus_per_node >= 0)
		snprintf(gpus, sizeof(gpus), "%d", l->gpus_per_node);
	fprintf(f, "rank=%d\nnodes=%d\n", l->rank, l->nodes);
	for (size_t i = 0; i < sizeof(key) / sizeof(key[0]); i++)
		/* an empty value stays empty: KEY= */
		fprintf(f, "%s=%s\n", key[i], *val[i] ? fc_shell_quote(q, sizeof(q), val[i]) : "");
	return fflush(f) || ferror(f) ? -1 : 0;
}

/* ---- detection ---- */

/* A host name or an address: nothing a shell, a terminal or a connect()
 * would read otherwise. */
static bool host_chars(const char *h)
{
	for (const unsigned char *p = (const unsigned char *)h; *p; p++)
		if (!(isalnum(*p) && *p < 0x80) && !strchr(".-_:%", *p))
			return false;
	return *h;
}

static void take(char *out, size_t len, const char *v)
{
	if (v && strlen(v) < len)
		snprintf(out, len, "%s", v);
}

int fc_launch_detect(struct fc_launch *l, fc_env_fn env, int rank, int nodes, const char *coord)
{
	const struct fc_launcher *row = fc_launchers;
	/* who said where rank 0 is, and how to say it otherwise */
	const char *v, *given = NULL, *coord_from = NULL, *fix = "give --coordinator HOST[:PORT]";
	uint16_t port_only = 0;
	char q[1100];

	while (!row->detect(env))
		row++;
	coord_from = row->name;
	*l = (struct fc_launch){.rank = -1, .nodes = -1, .coord_port = FC_PAIRS_PORT, .row = row,
				.launcher = row->name, .gpus_per_node = -1, .job_nodes = -1};
	number(get(env, row->rank_var), &l->rank);
	number(get(env, row->nodes_var), &l->nodes);
	if (row->coordinator && row->coordinator(env, l->coord, sizeof(l->coord)))
		*l->coord = '\0';
	take(l->job_id, sizeof(l->job_id), get(env, row->job_var));
	take(l->node_name, sizeof(l->node_name), get(env, row->node_var));
	number(get(env, row->gpus_var), &l->gpus_per_node);
	number(get(env, row->job_nodes_var), &l->job_nodes);
	if (row->hosts && row->hosts(env, l->hosts, sizeof(l->hosts)))
		*l->hosts = '\0';
	/* what a launcher does not say (an Indexed Job knows only its index)
	 * the job's manifest may */
	if (l->nodes < 0 && (v = get(env, "FABCHECK_NODES")))
		number(v, &l->nodes);
	if (!*l->coord && (v = get(env, "FABCHECK_COORDINATOR")))
		coord_from = fix = "FABCHECK_COORDINATOR", given = v;
	if (!*l->job_id)
		take(l->job_id, sizeof(l->job_id), get(env, "FABCHECK_JOB_ID"));
	if (!*l->node_name)
		take(l->node_name, sizeof(l->node_name), get(env, "FABCHECK_NODE_NAME"));
	if ((v = get(env, "FABCHECK_RUN_SECRET"))) {
		/* its value is never echoed: a job log is no place for it */
		if (strlen(v) < FC_RUN_SECRET_MIN || strlen(v) > FC_RUN_SECRET_MAX ||
		    strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~+/=-") != strlen(v)) {
			fc_err("FABCHECK_RUN_SECRET must be %d to %d letters, digits or ._~+/=- (%zu characters given): "
			       "set it to random text the same on every node, e.g. $(openssl rand -hex 16)",
			       FC_RUN_SECRET_MIN, FC_RUN_SECRET_MAX, strlen(v));
			return -FC_EXIT_USAGE;
		}
		snprintf(l->secret, sizeof(l->secret), "%s", v);
	}
	if (rank >= 0)
		l->rank = rank;
	if (nodes >= 0)
		l->nodes = nodes;
	/* --coordinator :PORT: the launcher's host, this port */
	if (coord && *coord == ':') {
		char *end;
		long p = strtol(coord + 1, &end, 10);
		if (!isdigit((unsigned char)coord[1]) || *end || p < 1 || p > 65535) {
			fc_err("--coordinator %s is not :PORT (1-65535)",
			       fc_shell_quote(q, sizeof(q), coord) ? q : "(unprintable)");
			return -FC_EXIT_USAGE;
		}
		port_only = (uint16_t)p;
		coord = NULL;
	}
	if (coord && *coord)
		coord_from = fix = "--coordinator", given = coord;
	if (given && strlen(given) >= sizeof(l->coord)) {
		fc_err("%s is %zu bytes long, more than a host name and port take (%zu): fix %s", coord_from,
		       strlen(given), sizeof(l->coord) - 1, fix);
		return -FC_EXIT_USAGE;
	}
	if (given)
		snprintf(l->coord, sizeof(l->coord), "%s", given);
	if (*l->coord) {
		char host[256];
		if (fc_split_host_port(l->coord, host, sizeof(host), &l->coord_port) || !host_chars(host)) {
			fc_err("coordinator %s (from %s) is not HOST or HOST:PORT (a host name or address, port "
			       "1-65535): %s%s",
			       fc_shell_quote(q, sizeof(q), l->coord) ? q : "(unprintable)", coord_from,
			       fix == coord_from ? "fix " : "", fix);
			return -FC_EXIT_USAGE;
		}
		snprintf(l->coord, sizeof(l->coord), "%s", host);
	}
	if (port_only)
		l->coord_port = port_only;
	if (l->rank < 0 || l->nodes < 1) {
		fc_err("cannot tell this node's rank and the node count (launcher: %s): run under mpirun, SkyPilot, "
		       "srun or a Kubernetes Indexed Job, or give --rank and --nodes (or FABCHECK_NODES)", l->launcher);
		return -FC_EXIT_USAGE;
	}
	if (l->nodes < 2) {
		fc_err("a node count of %d (launcher: %s): fabcheck-pairs measures pairs of nodes and needs two or more; "
		       "for one node run fabcheck-diag --traffic", l->nodes, l->launcher);
		return -FC_EXIT_USAGE;
	}
	/* the coordinator keeps one connection per node (pairs.h) */
	if (l->nodes > FC_PAIRS_MAX_NODES) {
		fc_err("%d nodes (launcher: %s) are more than fabcheck-pairs takes (%d): run it on fewer nodes",
		       l->nodes, l->launcher, FC_PAIRS_MAX_NODES);
		return -FC_EXIT_USAGE;
	}
	if (l->rank >= l->nodes) {
		fc_err("rank %d is not below the node count %d", l->rank, l->nodes);
		return -FC_EXIT_USAGE;
	}
	if (!*l->coord && l->rank != 0) {
		fc_err("cannot tell where the coordinator (rank 0) is (launcher: %s): give --coordinator HOST[:PORT] "
		       "(or FABCHECK_COORDINATOR)",
		       l->launcher);
		return -FC_EXIT_USAGE;
	}
	return 0;
}
