# Speed-up per size: bandwidth of one series over the other.
# In: datafile "size speedup" rows, with_label, without_label, ymax (the
# range's top: above the largest value and above 1x).
load plotdir."/common.gp"
set title chart_title noenhanced
set logscale x 2
eval "set xtics ".xt." rotate by -45"
set xlabel "message size"
set offsets graph 0.03, graph 0.03, 0, 0
set rmargin 6
set ylabel sprintf("speed-up (%s / %s)", with_label, without_label) noenhanced
eval "set yrange [0:".ymax."]"
set key top left
plot datafile using 1:2 with linespoints lw 2 pt 7 lc rgb "#1a7f37" title "speed-up", \
     1 with lines dt 2 lc rgb "#888888" title "1x (no gain)"
