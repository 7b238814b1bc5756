/* What one report is made of, assembled by main() and read by the chart
 * and Markdown writers. */
#ifndef RP_REPORT_H
#define RP_REPORT_H

#include "report_cluster.h"
#include "report_input.h"
#include "report_model.h"

struct rp_report {
	struct rp_input *in;
	struct rp_model *m;
	struct rp_cluster *c;
	struct rp_pair bw, lat, nccl; /* comparison pairs; members NULL where none */
	struct rp_heatmap hm;
	bool have_hm;
	bool nomem; /* a writer ran out of memory: the report fails (exit 3), no abort */
	size_t curves_cut; /* the most series a chart had to leave out (RP_MAX_CURVES) */
};

#endif
