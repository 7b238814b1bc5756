/* Who am I in the cluster, and where is the coordinator: from the
 * launcher's environment (Open MPI's mpirun, SkyPilot's run:, Slurm's
 * srun, a Kubernetes Indexed Job) or the command line. fabcheck-pairs does
 * not link MPI: the launcher only starts it.
 *
 * Every launcher is one row of fc_launchers[] (pairs_launch.c): how to
 * recognise it and where it keeps each value. The agent, the coordinator's
 * printed drain commands and the shell recipes (through --where) all read
 * the same row, so a new launcher is one row plus its detect function. */
#ifndef FC_PAIRS_LAUNCH_H
#define FC_PAIRS_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <netinet/in.h>

#define FC_PAIRS_PORT 47600 /* the coordinator's, when none is given */
#define FC_PAIRS_MAX_NODES 4096 /* the coordinator polls one connection per node */
#define FC_RUN_SECRET_MIN 16
#define FC_RUN_SECRET_MAX 128

/* getenv in the program, a table in tests */
typedef const char *(*fc_env_fn)(const char *name);

/* One launcher. A variable name NULL: the launcher does not say it (the
 * FABCHECK_* fallback or the command line must). Empty values count as
 * unset, as a manifest's "value: """ means. */
struct fc_launcher {
	const char *name;              /* "slurm": --where's launcher=, and messages */
	bool (*detect)(fc_env_fn env); /* is this process started by it? */
	const char *rank_var, *nodes_var;
	/* rank 0's host or address; 0, or -1 when not known */
	int (*coordinator)(fc_env_fn env, char *out, size_t len);
	const char *job_var;           /* the job's id, for results folders */
	const char *node_var;          /* the scheduler's name for this node */
	bool host_is_node;             /* without node_var, the host name is that name */
	const char *gpus_var;          /* GPUs per node, for NCCL's host list */
	const char *job_nodes_var;     /* the job's whole node count, where the run may use fewer */
	/* every node's name or address in rank order, comma separated (NULL:
	 * not known) */
	int (*hosts)(fc_env_fn env, char *out, size_t len);
	/* the command that takes a bad node out of the scheduler: {node} and
	 * {reason} become shell-quoted values; NULL: it has none */
	const char *drain;
};

/* in detection order; the last row (manual) always matches */
extern const struct fc_launcher fc_launchers[];

struct fc_launch {
	int rank, nodes;       /* -1: not known */
	char coord[256];       /* coordinator host or address ("" not known) */
	uint16_t coord_port;
	const struct fc_launcher *row; /* the launcher that started this process */
	const char *launcher;  /* row->name: "mpirun", "skypilot", "slurm", "kubernetes", "manual" */
	char job_id[128];      /* "" not known */
	char node_name[256];   /* the scheduler's name for this node ("" not known) */
	int gpus_per_node;     /* -1: not known */
	int job_nodes;         /* the job's nodes, which this run may not all use (-1: not known) */
	char hosts[8192];      /* every node's name or address, comma separated ("" not known or too long) */
	/* FABCHECK_RUN_SECRET: what every join of this run presents ("" none);
	 * never printed, never on a command line */
	char secret[FC_RUN_SECRET_MAX + 1];
};

/* Reads the environment through getenv_fn. Command-line values (rank/nodes
 * >= 0, coord non-empty) win. 0, or -FC_EXIT_USAGE after saying what is
 * missing and how to give it. */
int fc_launch_detect(struct fc_launch *l, fc_env_fn getenv_fn, int rank, int nodes, const char *coord);

/* --where: one KEY=VALUE line per value the recipes need (launcher, rank,
 * nodes, coordinator, job_id, node_name, hosts, gpus_per_node), each value
 * shell-quoted when it holds anything outside [A-Za-z0-9%+,./:@_-], so
 * the lines are safe to read, and to eval in bash. 0 or -1 (write error). */
int fc_launch_where(const struct fc_launch *l, FILE *f);

/* The launcher's drain command for a node, into out: the node's name and
 * the reason shell-quoted. 0; -1 when the launcher has no drain command,
 * node is empty or it does not fit. */
int fc_launch_drain(const struct fc_launcher *row, const char *node, const char *reason, char *out, size_t len);

/* src as one shell word: as is when every byte is in [A-Za-z0-9%+,./:@_-],
 * else in single quotes, else (bytes outside printable ASCII: terminal
 * controls such as U+009B, U+202E) as bash's $'...' with octal escapes, as
 * printf %q does. NULL when it does not fit in len. */
char *fc_shell_quote(char *dst, size_t len, const char *src);

/* The same run secret (or both none), compared in constant time. */
bool fc_run_secret_equal(const char *a, const char *b);

/* An IPv4 network of this node: an interface's address and mask. */
struct fc_local_net {
	struct in_addr addr, mask;
};

/* From a comma-separated address list (mpirun's URI names every address
 * it listens on), the first address inside one of nets into out: 0; the
 * list's first entry when none is: 1; -1 when the list is empty or that
 * does not fit. */
int fc_pick_reachable(const char *list, const struct fc_local_net *nets, int nnets, char *out, size_t len);

/* This node's IPv4 addresses but loopback, comma separated ("127.0.0.1"
 * when it has none): 0, or -1. */
int fc_local_addresses(char *out, size_t len);

/* Under a PMIx launcher (mpirun, srun --mpi=pmix), rank 0's addresses as
 * rank 0 put them (fc_local_addresses), read by every rank: each rank
 * calls it once, the exchange waits for all. 0; -1 without a PMIx library
 * or server, or when the exchange failed (pairs_pmix.c). */
int fc_pmix_rank0_addresses(char *out, size_t len);

/* list without the addresses in mine (both comma separated), into out;
 * the whole list when every address is in mine (every rank on one host).
 * An address a remote node shares with this one (docker0's 172.17.0.1) is
 * never the way to it. */
void fc_drop_own_addresses(const char *list, const char *mine, char *out, size_t len);

/* The first host of a Slurm node list ("node[01-04,07],gpu5" -> "node01"). */
int fc_slurm_first_host(const char *list, char *out, size_t len);

/* "host", "host:port", "[v6]:port" into host and port (port left as is
 * when absent). 0 or -1. */
int fc_split_host_port(const char *s, char *host, size_t len, uint16_t *port);

#endif
