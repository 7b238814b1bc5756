# Node-pair heatmap for the all-pairs runner: rows are the client node,
# columns the server node, cells the bandwidth; missing pairs are NaN (blank)
# and slow pairs red. In: datafile, a matrix with row and column headers.
load plotdir."/common.gp"
set title chart_title noenhanced
set palette defined (0 "#b2182b", 0.5 "#fddbc7", 1 "#1a9850")
set cblabel "bandwidth (GB/s)"
set xlabel "server node"
set ylabel "client node"
set xtics rotate by -45 noenhanced
set ytics noenhanced
set key off
# the first node (rank 0) on top, as in the report's tables
set yrange [*:*] reverse
set grid noxtics noytics
plot datafile matrix rowheaders columnheaders using 1:2:3 with image, \
     datafile matrix rowheaders columnheaders using 1:2:($3 == $3 ? sprintf("%.1f", $3) : "") with labels font ",10"
