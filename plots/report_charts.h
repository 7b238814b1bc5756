/* The charts: gnuplot data files (NAME.dat) and PNG/SVG through
 * report_plot, each drawn only when there is something to draw. */
#ifndef RP_CHARTS_H
#define RP_CHARTS_H

#include "report.h"
#include "report_out.h"

struct rp_chart {
	const char *name, *caption;
};

/* Every chart a report can have, in the order README lists them. */
extern const struct rp_chart rp_charts[];

int rp_charts_draw(struct rp_out *o, struct rp_report *r);

#endif
