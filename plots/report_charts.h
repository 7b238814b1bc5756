/* The charts: gnuplot data files (NAME.dat) and PNG/SVG through
 * report_plot, each drawn only when there is something to draw. */
#ifndef RP_CHARTS_H
#define RP_CHARTS_H

#include "report.h"
#include "report_out.h"

struct rp_chart {
	const char *name, *caption;
};

/* A chart of curves draws at most this many series (the compared pair
 * first, then by S-number): more are no longer told apart, and gnuplot
 * reads the data file once per curve. The tables list every series. */
#define RP_MAX_CURVES 24
/* A heatmap of more nodes has no value printed in its cells; of more than
 * RP_HEATMAP_NAMES_MAX no node names on its axes (rank order); of more
 * than RP_HEATMAP_SVG_MAX no SVG, PNG only. */
#define RP_HEATMAP_LABELS_MAX 32
#define RP_HEATMAP_NAMES_MAX 64
#define RP_HEATMAP_SVG_MAX 128

/* Every chart a report can have, in the order README lists them. */
extern const struct rp_chart rp_charts[];

int rp_charts_draw(struct rp_out *o, struct rp_report *r);

#endif
