/* The launcher's node list (SKYPILOT_NODE_IPS, Slurm's node list) as
 * addresses: where the launcher says which nodes the job has, an agent
 * meets only those, whatever a coordinator names. A coordinator of
 * another run, or a stranger answering on the coordinator's port, cannot
 * send agents to probe or flood any other host. */
#ifndef FC_PAIRS_NODESET_H
#define FC_PAIRS_NODESET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct fc_nodeset {
	struct sockaddr_storage *addr; /* every address of every node */
	size_t n;
	bool known; /* false: no list, or a name that did not resolve: any partner */
};

/* From a comma-separated list of IP literals and host names (each name
 * resolved to all its addresses). 0 with s->known set; 1 when the list is
 * empty or a name does not resolve (why says which: the set stays unknown,
 * rather than refuse a node this host cannot name); -1 when memory is out. */
int fc_nodeset_from_list(struct fc_nodeset *s, const char *hosts, char *why, size_t len);

/* Is the IP literal ip one of the nodes' addresses (always, when the set
 * is unknown)? */
bool fc_nodeset_has(const struct fc_nodeset *s, const char *ip);

void fc_nodeset_free(struct fc_nodeset *s);

#endif
