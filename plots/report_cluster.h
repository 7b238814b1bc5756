/* The cluster runner's output (README "Cluster pre-flight"): per node its
 * verdict and numbers, the NIC, link, fabric, round and cluster verdicts,
 * and the node-pair matrix. Cluster records are those with a `rank`, and
 * the `round` and `verdict` kinds. */
#ifndef RP_CLUSTER_H
#define RP_CLUSTER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct rp_node {
	int64_t rank;
	const char *host, *verdict, *reason, *action; /* "" where unknown */
	double bw_client, bw_server, lat_p50;          /* medians; NAN where none */
};

struct rp_cluster {
	bool present;
	struct rp_node *nodes; /* by rank */
	size_t n, cap;
	json_t *cluster, *fabric, *rounds, *nics, *links; /* verdict and round records */
	int64_t bw_size, lat_size;                        /* largest bw, smallest ping-pong size */
};

/* Returns 0, or -FC_EXIT_FABRIC when memory ran out (said; free c all the same). */
int rp_cluster_build(struct rp_cluster *c, json_t *records);
void rp_cluster_free(struct rp_cluster *c);

/* Node-pair bandwidth: rows the client, columns the server, the median of
 * bw records (the aggregate of a multi-lane pair, or its only lane) at the
 * largest size; NAN where a pair was not measured. From a cluster run by
 * rank, every node included; else by host name, drawn only when at least
 * three hosts appear and some host is both client and server. */
struct rp_heatmap {
	size_t n;
	char **names;
	double *cell; /* n * n */
	bool *failed; /* n * n: a step of the pair failed and nothing was measured */
	int64_t size;
};

/* Returns 1 when there is a matrix to draw, 0 when not, -FC_EXIT_FABRIC
 * when memory ran out (said). */
int rp_heatmap_build(struct rp_heatmap *h, json_t *records, const struct rp_cluster *c);
void rp_heatmap_free(struct rp_heatmap *h);

#endif
