# One-way latency against message size: p50 line, bars from min to p99.
# In: datafile blocks "size p50 min p99" with a title row, nseries, ylab
# (optional: the y axis; the MR chart gives registration time).
load plotdir."/common.gp"
set title chart_title noenhanced
set logscale xy
set logscale x 2
eval "set xtics ".xt." rotate by -45"
set xlabel "message size"
set offsets graph 0.03, graph 0.03, 0, 0
set rmargin 6
if (!exists("ylab")) ylab = "one-way latency (µs): p50, bars min..p99"
set ylabel ylab noenhanced
plot for [i=0:nseries-1] datafile index i using 1:2:3:4 with yerrorlines lw 2 pt 7 ps 0.8 title columnheader(1) noenhanced
