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
