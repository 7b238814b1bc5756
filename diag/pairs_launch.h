/* Who am I in the cluster, and where is the coordinator: from the
 * launcher's environment (Open MPI's mpirun, SkyPilot's run:, Slurm's
 * srun, a Kubernetes Indexed Job) or the command line. fabcheck-pairs does
 * not link MPI: the launcher only starts it. */
#ifndef FC_PAIRS_LAUNCH_H
#define FC_PAIRS_LAUNCH_H

#include <stdint.h>

#define FC_PAIRS_PORT 47600 /* the coordinator's, when none is given */

struct fc_launch {
	int rank, nodes;       /* -1: not known */
	char coord[256];       /* coordinator host or address ("" not known) */
	uint16_t coord_port;
	const char *launcher;  /* "mpirun", "skypilot", "slurm", "kubernetes", "command line" */
};

/* Reads the environment through getenv_fn (getenv in the program, a table
 * in tests). Command-line values (rank/nodes >= 0, coord non-empty) win.
 * 0, or -FC_EXIT_USAGE after saying what is missing and how to give it. */
int fc_launch_detect(struct fc_launch *l, const char *(*getenv_fn)(const char *), int rank, int nodes,
		     const char *coord);

/* The first host of a Slurm node list ("node[01-04,07],gpu5" -> "node01"). */
int fc_slurm_first_host(const char *list, char *out, size_t len);

/* "host", "host:port", "[v6]:port" into host and port (port left as is
 * when absent). 0 or -1. */
int fc_split_host_port(const char *s, char *host, size_t len, uint16_t *port);

#endif
