#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "log.h"
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
	size_t pre = strcspn(list, "[,");

	if (!list || !*list || pre == 0 || pre >= len)
		return -1;
	if (list[pre] != '[') {
		snprintf(out, len, "%.*s", (int)pre, list);
		return 0;
	}
	/* prefix[first-range...]: the first number, zero padding kept */
	{
		const char *r = list + pre + 1;
		size_t digits = strspn(r, "0123456789");
		if (digits == 0 || pre + digits >= len)
			return -1;
		snprintf(out, len, "%.*s%.*s", (int)pre, list, (int)digits, r);
	}
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

/* mpirun's own host, from the daemon URI it gives every rank: rank 0 runs
 * there when mpirun is started on the hostfile's first node, as
 * SkyPilot's EFA examples do. */
static int hnp_host(const char *uri, char *out, size_t len)
{
	const char *t = uri ? strstr(uri, "tcp://") : NULL;
	size_t n;

	if (!t)
		return -1;
	t += 6;
	n = strcspn(t, ":;");
	if (n == 0 || n >= len)
		return -1;
	snprintf(out, len, "%.*s", (int)n, t);
	return 0;
}

int fc_launch_detect(struct fc_launch *l, const char *(*env)(const char *), int rank, int nodes,
		     const char *coord)
{
	const char *v;

	*l = (struct fc_launch){.rank = -1, .nodes = -1, .coord_port = FC_PAIRS_PORT, .launcher = "command line"};
	if ((v = env("OMPI_COMM_WORLD_RANK"))) {
		l->launcher = "mpirun";
		number(v, &l->rank);
		number(env("OMPI_COMM_WORLD_SIZE"), &l->nodes);
		if ((v = env("FABCHECK_COORDINATOR")))
			snprintf(l->coord, sizeof(l->coord), "%s", v);
		else
			hnp_host(env("OMPI_MCA_orte_hnp_uri"), l->coord, sizeof(l->coord));
	} else if ((v = env("SKYPILOT_NODE_RANK"))) {
		const char *ips = env("SKYPILOT_NODE_IPS");
		l->launcher = "skypilot";
		number(v, &l->rank);
		number(env("SKYPILOT_NUM_NODES"), &l->nodes);
		if (ips) {
			size_t n = strcspn(ips, "\n");
			while (n && isspace((unsigned char)ips[n - 1]))
				n--;
			if (n && n < sizeof(l->coord))
				snprintf(l->coord, sizeof(l->coord), "%.*s", (int)n, ips);
		}
	} else if ((v = env("SLURM_PROCID"))) {
		const char *list = env("SLURM_JOB_NODELIST") ? env("SLURM_JOB_NODELIST") : env("SLURM_NODELIST");
		l->launcher = "slurm";
		number(v, &l->rank);
		number(env("SLURM_NTASKS"), &l->nodes);
		if (list)
			fc_slurm_first_host(list, l->coord, sizeof(l->coord));
	} else if ((v = env("JOB_COMPLETION_INDEX"))) {
		l->launcher = "kubernetes";
		number(v, &l->rank);
	}
	/* what a launcher does not say (an Indexed Job knows only its index)
	 * the job's manifest may: FABCHECK_NODES, FABCHECK_COORDINATOR */
	if (l->nodes < 0 && (v = env("FABCHECK_NODES")))
		number(v, &l->nodes);
	if (!*l->coord && (v = env("FABCHECK_COORDINATOR")))
		snprintf(l->coord, sizeof(l->coord), "%s", v);
	if (rank >= 0)
		l->rank = rank;
	if (nodes >= 0)
		l->nodes = nodes;
	if (coord && *coord)
		snprintf(l->coord, sizeof(l->coord), "%s", coord);
	if (*l->coord) {
		char host[256];
		if (fc_split_host_port(l->coord, host, sizeof(host), &l->coord_port)) {
			fc_err("coordinator '%s' is not HOST or HOST:PORT", l->coord);
			return -FC_EXIT_USAGE;
		}
		snprintf(l->coord, sizeof(l->coord), "%s", host);
	}
	if (l->rank < 0 || l->nodes < 1) {
		fc_err("cannot tell this node's rank and the node count (launcher: %s): run under mpirun, SkyPilot, "
		       "srun or a Kubernetes Indexed Job, or give --rank and --nodes (or FABCHECK_NODES)", l->launcher);
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
