#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The lagspeed authors
#
# Plot a dpdk-lag_tx_balance CSV (--csv) as a PNG with gnuplot:
#   top:    each port's link speed (steps) and TX throughput, in Gb/s
#   bottom: each port's share of the packets beside its share of the weight
#
# Usage: devtools/plot-throughput.sh CSV PNG [TITLE]
#
# The CSV holds one row per port per interval:
#   time_s,port,speed_mbps,weight,tx_packets,tx_bytes
# with packets and bytes sent during the interval that ends at time_s.

set -eu

usage() {
	echo "usage: $0 CSV PNG [TITLE]" >&2
	exit 2
}

[ $# -ge 2 ] && [ $# -le 3 ] || usage
csv=$1
png=$2
title=${3:-lag_tx_balance: TX throughput follows the link speeds}

command -v gnuplot >/dev/null || {
	echo "error: gnuplot not found (Debian: apt-get install gnuplot-nox)" >&2
	exit 1
}
[ -r "$csv" ] || {
	echo "error: cannot read $csv" >&2
	exit 1
}
head -n 1 "$csv" | grep -q '^time_s,port,speed_mbps,weight,tx_packets,tx_bytes$' || {
	echo "error: $csv is not a lag_tx_balance CSV (bad header)" >&2
	exit 1
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One data file per port with derived columns:
#   time_s  speed_gbps  throughput_gbps  share_pct  weight_share_pct
# Rates divide by the interval (time since the previous row); shares are
# computed over all ports of the same row time.
awk -F, -v dir="$work" '
NR == 1 { next }
{
	t = $1; port = $2
	if (!(t in seen)) {
		seen[t] = 1
		times[nt++] = t
	}
	key = t SUBSEP port
	# The final row may have the same millisecond as the one before: add up.
	speed[key] = $3; weight[key] = $4; pkts[key] += $5; bytes[key] += $6
	if (!(port in isport)) {
		isport[port] = 1
		ports[np++] = port
	}
}
END {
	for (i = 0; i < nt; i++) {
		t = times[i]
		sw = 0; sp = 0
		for (j = 0; j < np; j++) {
			k = t SUBSEP ports[j]
			sw += weight[k]; sp += pkts[k]
		}
		for (j = 0; j < np; j++) {
			p = ports[j]
			k = t SUBSEP p
			if (!(k in speed))
				continue
			dt = (p in last) ? t - last[p] : t
			last[p] = t
			if (speed[k] / 1000 > maxspeed)
				maxspeed = speed[k] / 1000
			gbps = dt > 0 ? bytes[k] * 8 / dt / 1e9 : 0
			printf "%s %.3f %.4f %.3f %.3f\n", t, speed[k] / 1000, gbps,
				sp ? 100 * pkts[k] / sp : 0,
				sw ? 100 * weight[k] / sw : 0 > (dir "/port" p ".dat")
		}
	}
	for (j = 0; j < np; j++)
		print ports[j] > (dir "/ports")
	# Headroom above the fastest link, so that its line stays in sight.
	printf "%.3f\n", (maxspeed > 0 ? maxspeed * 1.15 : 1) > (dir "/y2max")
}' "$csv"

[ -s "$work/ports" ] || {
	echo "error: $csv has no data rows" >&2
	exit 1
}

# Build the plot commands: one line pair per port. gnuplot runs in $work
# and is given names relative to it: the path may hold any character.
speed_plot=""
tput_plot=""
share_plot=""
color=1
while read -r p; do
	f="port$p.dat"
	speed_plot+="'$f' using 1:2 axes x1y2 with fsteps dashtype 2 lw 2 lc $color"
	speed_plot+=" title 'port $p link speed', "
	tput_plot+="'$f' using 1:3 with lines lw 2 lc $color title 'port $p TX', "
	share_plot+="'$f' using 1:4 with lines lw 2 lc $color title 'port $p share of packets', "
	share_plot+="'$f' using 1:5 with fsteps dashtype 2 lw 1 lc $color"
	share_plot+=" title 'port $p weight share', "
	color=$((color + 1))
done <"$work/ports"

# A gnuplot string of any text: single-quoted, a quote doubled.
gp_quote() {
	local q="'"
	printf "'%s'" "${1//$q/$q$q}"
}

terminal="pngcairo size 1200,900 font 'sans,10'"
gnuplot -e 'set terminal pngcairo' >/dev/null 2>&1 ||
	terminal="png size 1200,900"

(cd "$work" && gnuplot) <<EOF
set terminal $terminal noenhanced
set output 'plot.png'
set multiplot layout 2,1 title $(gp_quote "$title")
set grid
set key outside right
set xlabel 'time (s)'
set ylabel 'TX throughput (Gb/s)'
set y2label 'link speed (Gb/s)'
set yrange [0:*]
set y2range [0:$(cat "$work/y2max")]
set ytics nomirror
set y2tics
plot ${tput_plot}${speed_plot%, }
unset y2label
unset y2tics
set ytics mirror
set ylabel 'share (%)'
set yrange [0:100]
plot ${share_plot%, }
unset multiplot
EOF

# Copied, not passed to gnuplot: any file name works.
[ -s "$work/plot.png" ] || {
	echo "error: gnuplot wrote no plot" >&2
	exit 1
}
cat "$work/plot.png" >"$png" || {
	echo "error: cannot write $png" >&2
	exit 1
}
echo "$png"
