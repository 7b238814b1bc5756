# Bandwidth against message size, one line per transport/provider.
# In: datafile (one block per series, first row the series title), nseries,
# ylab (optional: the y axis; NCCL charts give bus bandwidth), bw_unit_words.
load plotdir."/common.gp"
set title chart_title noenhanced
set logscale x 2
eval "set xtics ".xt." rotate by -45"
set xlabel "message size"
set offsets graph 0.03, graph 0.03, 0, 0
set rmargin 6
# (a new name: variables outlive the reset between PNG and SVG)
yaxis = (exists("ylab") ? ylab : "bandwidth")." (".bw_unit_words.")"
set ylabel yaxis noenhanced
set yrange [0:*]
plot for [i=0:nseries-1] datafile index i using 1:2 with linespoints lw 2 pt 7 ps 0.8 title columnheader(1) noenhanced
