/* What the run says of fabrics: the one each node's lanes opened on (NCCL's
 * protocol's, judged) and, with --fabrics both, the other one aws-ofi-nccl's
 * other protocol would get there (libfabric 2.x EFA offers each NIC as
 * efa-direct and as efa), measured one step per pair and reported beside
 * the verdict, never in it: NCCL does not run there on these nodes. */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "pairs_coord.h"

static const char *other_protocol(const struct coord *c)
{
	return strcmp(c->o->cfg.protocol, "rdma") ? "rdma" : "sendrecv";
}

json_t *fc_coord_fabrics_json(const struct coord *c)
{
	json_t *nodes = json_array();

	for (int i = 0; i < c->n; i++) {
		const struct cnode *nd = &c->node[i];
		json_t *o = json_null();
		if (*nd->other_fabric)
			o = json_pack("{s:s, s:s?, s:i, s:i, s:s?}", "fabric", nd->other_fabric, "error",
				      *nd->other_error ? nd->other_error : NULL, "steps", nd->other_steps, "failed",
				      nd->other_failed, "first_failure",
				      *nd->other_first_failure ? nd->other_first_failure : NULL);
		json_array_append_new(nodes, json_pack("{s:i, s:s, s:s?, s:o}", "rank", i, "label", nd->label, "fabric",
						       *nd->fabric ? nd->fabric : NULL, "other", o));
	}
	return json_pack("{s:s, s:b, s:s, s:i, s:i, s:o}", "judged", "each node's lanes' fabric (the protocol's)",
			 "other_asked", c->o->cfg.other_fabric, "other_protocol", other_protocol(c), "other_pair_steps",
			 c->other_pairs, "other_pair_steps_failed", c->other_pairs_failed, "nodes", nodes);
}

void fc_coord_fabrics_note(const struct coord *c)
{
	int offered = 0, opened = 0;
	const char *name = NULL, *mine = NULL;

	for (int i = 0; i < c->n; i++) {
		const struct cnode *nd = &c->node[i];
		if (*nd->fabric && !mine)
			mine = nd->fabric;
		if (!*nd->other_fabric)
			continue;
		offered++;
		name = name ? name : nd->other_fabric;
		opened += !*nd->other_error;
	}
	if (!offered)
		return;
	fc_note("fabric %s (aws-ofi-nccl's %s protocol would get it; its %s protocol, judged, runs on %s): offered on %d "
		"node(s), opened on %d, %d pair step(s), %d failed: recorded in pairs.jsonl, not judged",
		name, other_protocol(c), c->o->cfg.protocol, mine ? mine : "?", offered, opened, c->other_pairs, c->other_pairs_failed);
	for (int i = 0; i < c->n; i++) {
		const struct cnode *nd = &c->node[i];
		if (*nd->other_error)
			fc_note("  %s (rank %d): %s does not open: %s", nd->label, i, nd->other_fabric, nd->other_error);
		else if (nd->other_failed)
			fc_note("  %s (rank %d): %d of %d step(s) on %s failed, first %s", nd->label, i, nd->other_failed,
				nd->other_steps, nd->other_fabric, nd->other_first_failure);
	}
}
