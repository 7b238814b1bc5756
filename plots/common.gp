# Shared look of every fabcheck chart. Callers set: fmt ("png" or "svg"),
# outfile, and for size axes xt, a tic list like ("8 B" 8, "1 KiB" 1024).
if (fmt eq "svg") {
	set terminal svg size 1000,600 dynamic enhanced font "Sans,12" background rgb "white"
} else {
	set terminal pngcairo size 1000,600 enhanced font "Sans,11"
}
set output outfile
set grid lc rgb "#d0d0d0"
set key top left box opaque
set border lw 1.2
