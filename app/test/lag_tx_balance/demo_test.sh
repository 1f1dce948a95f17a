#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The lagspeed authors
#
# devtools/demo.sh in its quick mode (DEMO_FAST=1): it must exit 0 after
# showing every step, port 0's weight must follow the schedule
# (200G -> 100G -> 50G loopback max -> 200G), and the plot must be a PNG.

. "$LAGSPEED_TEST_LIB"
lt_need LAGSPEED_PLUGIN IBVSIM_LIB IBVSIM_CTL
. "$(dirname "$0")/ltb_lib.sh"
command -v gnuplot >/dev/null || {
	echo "skip: gnuplot is not installed"
	exit 77
}

out=$LT_DIR/demo
status=0
DEMO_FAST=1 DEMO_OUT=$out timeout 60 \
	"$LAGSPEED_SOURCE_DIR/devtools/demo.sh" "$LAGSPEED_BUILD_DIR" \
	>"$LT_DIR/demo.out" 2>&1 || status=$?
[ "$status" -eq 0 ] || {
	tail -n 40 "$LT_DIR/demo.out" >&2
	lt_fail "demo.sh exited with $status"
}
lt_ok "demo.sh exit status 0"

for step in 't=1s: PF 1 of lag0 goes down' 't=2s: PF 0 of lag0 goes down' \
		't=3s: both PFs of lag0 come back' 'Plot: '; do
	lt_expect_grep "$step" "$LT_DIR/demo.out" "narrated: $step"
done
lt_expect_grep 'LSC event: port 0 link up, 50000 Mb/s' "$LT_DIR/demo.out" \
	"all PFs down: lag0's loopback max shown"

csv=$out/lag_tx_balance.csv
seq=$(awk -F, 'NR > 1 && $2 == 0 && $4 != last {
	printf "%s%s", sep, $4; sep = " "; last = $4 }' "$csv")
case "$seq" in
"200000 100000 50000 100000 200000" | "200000 100000 50000 200000") ;;
*) lt_fail "port 0's weights over time: $seq" ;;
esac
lt_ok "port 0's weights over time: $seq"

png=$out/lag_tx_balance.png
[ -s "$png" ] || lt_fail "no $png"
magic=$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')
[ "$magic" = 89504e470d0a1a0a ] || lt_fail "$png is not a PNG ($magic)"
lt_ok "the plot is a PNG"

# The plot script takes any file name and title, quotes included (in its
# temporary directory's path too), and refuses a file that is not the
# example's CSV.
odd="$LT_DIR/it's \"odd\".png"
mkdir -p "$LT_DIR/tmp it's"
TMPDIR="$LT_DIR/tmp it's" \
	"$LAGSPEED_SOURCE_DIR/devtools/plot-throughput.sh" "$csv" "$odd" \
	"port 0's \"weights\"" >"$LT_DIR/plot.out" 2>&1 ||
	lt_fail "plot to a name with quotes: $(cat "$LT_DIR/plot.out")"
magic=$(head -c 8 "$odd" | od -An -tx1 | tr -d ' \n')
[ "$magic" = 89504e470d0a1a0a ] || lt_fail "$odd is not a PNG ($magic)"
lt_ok "plot-throughput.sh: a name and a title with quotes"
status=0
"$LAGSPEED_SOURCE_DIR/devtools/plot-throughput.sh" "$out/lag_tx_balance.log" \
	"$LT_DIR/bad.png" >"$LT_DIR/plot.out" 2>&1 || status=$?
[ "$status" -eq 1 ] && [ ! -e "$LT_DIR/bad.png" ] ||
	lt_fail "plot of a log: status $status"
lt_expect_grep 'is not a lag_tx_balance CSV' "$LT_DIR/plot.out" \
	"plot-throughput.sh: a file that is not a CSV refused"

# DEMO_OUT naming a directory of the user's: its mode stays, and an
# "ibvsim" in it that is not an emulated host the demo left is refused,
# untouched.
mine=$LT_DIR/mine
mkdir -p "$mine/ibvsim"
chmod 1777 "$mine"
echo keep >"$mine/ibvsim/notes.txt"
status=0
DEMO_FAST=1 DEMO_OUT=$mine timeout 60 \
	"$LAGSPEED_SOURCE_DIR/devtools/demo.sh" "$LAGSPEED_BUILD_DIR" \
	>"$LT_DIR/mine.out" 2>&1 || status=$?
[ "$status" -eq 1 ] || lt_fail "DEMO_OUT with a foreign ibvsim/: status $status"
lt_expect_grep "is not an emulated host the demo left" "$LT_DIR/mine.out" \
	"DEMO_OUT with a foreign ibvsim/: refused, said why"
[ "$(stat -c %a "$mine")" = 1777 ] && [ -s "$mine/ibvsim/notes.txt" ] ||
	lt_fail "DEMO_OUT: the user's directory changed"
lt_ok "DEMO_OUT: the user's directory and files as they were"

# Ctrl-C in a terminal reaches the whole process group, tee included:
# the example's summary must still reach the terminal and the log. The
# demo runs in a process group of its own, SIGINT as a terminal's shell
# leaves it (a background job of this script would ignore it).
out2=$LT_DIR/demo2
DEMO_OUT=$out2 python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.setsid()
os.execv(sys.argv[1], sys.argv[1:])' "$LAGSPEED_SOURCE_DIR/devtools/demo.sh" \
	"$LAGSPEED_BUILD_DIR" >"$LT_DIR/demo2.out" 2>&1 &
demo_pid=$!
LT_PIDS+=("$demo_pid")
lt_wait_grep '^Traffic started' "$LT_DIR/demo2.out" 20 "demo 2: traffic"
sleep 1
kill -INT -- "-$demo_pid"
lt_wait_exit "$demo_pid" 20 "demo after Ctrl-C"
[ "$LT_STATUS" -eq 130 ] || lt_fail "demo after Ctrl-C: status $LT_STATUS"
lt_expect_grep '^==== lag_tx_balance summary' "$LT_DIR/demo2.out" \
	"Ctrl-C: the summary on the terminal"
lt_expect_grep '^==== lag_tx_balance summary' "$out2/lag_tx_balance.log" \
	"Ctrl-C: the summary in the log"
