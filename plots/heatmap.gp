# Node-pair heatmap for the all-pairs runner: rows are the client node,
# columns the server node, cells the bandwidth; -1 a pair not measured (the
# diagonal: blank), -2 one whose steps failed (a black X): numbers, so
# gnuplot has no undefined values to warn about. In: datafile, a matrix
# with row and column headers;
# nodes, cell_values and node_names (0 on large clusters: the cells are
# pixels, the axes rank order), ref, fail_frac and warn_frac (the scale).
load plotdir."/common.gp"
set title chart_title noenhanced
# Anchored to the cluster: 0 to 1.25 x the median pair (ref), the fail and
# warn lines (fail_frac, warn_frac of ref) where the colours change.
# Brown-orange-purple (PuOr), readable without telling red from green:
# brown below the fail line, orange up to the warn line, light to purple
# above it, so a passing cluster is all light and purple.
top = 1.25
set cbrange [0:ref * top]
f = fail_frac / top
w = warn_frac / top
set palette defined (0 "#7f3b08", f "#e08214", f "#fdb863", w "#fee0b6", w "#d8daeb", 1 / top "#b2abd2", 1 "#8073ac")
set cblabel "bandwidth (".bw_unit.")"
set xlabel "server node"
set ylabel "client node"
set key off
# the first node (rank 0) on top, as in the report's tables
set yrange [*:*] reverse
set grid noxtics noytics
if (node_names) {
	set xtics rotate by -45 noenhanced
	set ytics noenhanced
	if (cell_values) {
		plot datafile matrix rowheaders columnheaders using 1:2:($3 < 0 ? NaN : $3) with image, \
		     datafile matrix rowheaders columnheaders using 1:2:($3 >= 0 ? sprintf("%.1f", $3) : "") with labels font ",10", \
		     datafile matrix rowheaders columnheaders using 1:2:($3 == -2 ? "X" : "") with labels font ",14" tc rgb "#000000"
	} else {
		plot datafile matrix rowheaders columnheaders using 1:2:($3 < 0 ? NaN : $3) with image, \
		     datafile matrix rowheaders columnheaders using 1:2:($3 == -2 ? "X" : "") with labels tc rgb "#000000"
	}
} else {
	# a bare matrix (no names): columns and rows are ranks from 0
	set xlabel "server node (rank)"
	set ylabel "client node (rank)"
	set xrange [-0.5:nodes - 0.5]
	set yrange [nodes - 0.5:-0.5]
	plot datafile matrix using 1:2:($3 < 0 ? NaN : $3) with image
}
