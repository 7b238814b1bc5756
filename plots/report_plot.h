/* gnuplot, without a shell: started with posix_spawnp and fed its program
 * on stdin. Every string in that program (paths, titles, labels) is a
 * single-quoted gnuplot literal (rp_gp_str), where gnuplot expands nothing;
 * series labels reach the charts through data files. gnuplot's messages go
 * to gnuplot.log in the report folder, which is removed when empty. */
#ifndef RP_PLOT_H
#define RP_PLOT_H

#include "report_fmt.h"
#include "report_out.h"

/* Appends name = 'value' (a gnuplot string assignment) to vars. */
void rp_gp_set(struct rp_buf *vars, const char *name, const char *value);

/* Draws NAME.png and NAME.svg from NAME.dat with plots/SCRIPT; vars holds
 * the script's other inputs. $FABCHECK_GNUPLOT names another gnuplot.
 * Returns 0 or -FC_EXIT_FABRIC (gnuplot missing or failed: its last
 * messages are shown). */
int rp_plot(struct rp_out *o, const char *script, const char *name, const struct rp_buf *vars);
/* The same, PNG only: an SVG of a large matrix is an element per cell
 * (a 3000-node heatmap was 1.35 GB). */
int rp_plot_png(struct rp_out *o, const char *script, const char *name, const struct rp_buf *vars);

/* Removes an empty gnuplot.log. */
void rp_plot_done(struct rp_out *o);

#endif
