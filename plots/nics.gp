# Per-NIC bandwidth of a multi-NIC run: one bar per NIC, the slow one shows.
# In: datafile rows "nic bandwidth" (in bw_unit).
load plotdir."/common.gp"
set title chart_title noenhanced
set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.7
set xtics rotate by -45 noenhanced
set ytics noenhanced
set xlabel "NIC (libfabric domain)"
set ylabel "bandwidth (".bw_unit.")"
set yrange [0:*]
set key off
plot datafile using 2:xtic(1) lc rgb "#2f6fb5"
