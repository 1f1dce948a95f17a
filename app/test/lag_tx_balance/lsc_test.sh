#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The lagspeed authors
#
# The example on an emulated VF-LAG host, with the lagspeed plugin:
#   lag0 = 2 x 100G -> VF mlx5_0 -> net_null0 (port 0): 200000 Mb/s
#   lag1 = 1 x 100G -> VF mlx5_1 -> net_null1 (port 1): 100000 Mb/s
# Steady state: shares 2:1 within one point. Then PF 1 of lag0 goes down
# (recorded time C): port 0 must report 100000 Mb/s through an LSC event,
# and every interval starting 100 ms after C must show shares 1:1 within
# one point (read from the CSV, 20 ms intervals). No drops; clean exit on
# SIGTERM.

. "$LAGSPEED_TEST_LIB"
lt_need LAGSPEED_PLUGIN IBVSIM_LIB IBVSIM_CTL
. "$(dirname "$0")/ltb_lib.sh"

export IBVSIM_DIR=$LT_DIR/ibvsim
mkdir -p "$IBVSIM_DIR"
ctl() {
	"$IBVSIM_CTL" "$@" >>"$LT_DIR/ctl.log" 2>&1 ||
		lt_fail "ibvsim-ctl $* failed: $(tail -n 3 "$LT_DIR/ctl.log")"
}
ctl group lag0 --pf 100000,100000 --max 50000
ctl group lag1 --pf 100000 --max 100000
ctl device mlx5_0 --group lag0 --type vf
ctl device mlx5_1 --group lag1 --type vf

log=$LT_DIR/lsc.log
csv=$LT_DIR/lsc.csv
ltb_start lsc "$log" \
	"LAGSPEED=ibverbs=$IBVSIM_LIB,bind=net_null0@mlx5_0:1,bind=net_null1@mlx5_1:1" \
	-- -d "$LAGSPEED_PLUGIN" --vdev net_null0 --vdev net_null1 -- \
	--flows 4096 --table-size 1024 --interval-ms 20 --csv "$csv"
t0=$(ltb_t0 "$log")

lt_expect_grep 'port 0: speed 200000 Mb/s, weight 200000' "$log" \
	"port 0 starts at lag0's 2 x 100G"
lt_expect_grep 'port 1: speed 100000 Mb/s, weight 100000' "$log" \
	"port 1 starts at lag1's 100G"
sleep 1.2

# The change, timed from just before the command: the effect cannot
# precede it.
change=$(ltb_now_since "$t0")
ctl pf lag0 1 down
echo "PF 1 of lag0 down at t=$change s"
sleep 1
ltb_stop "$LTB_PID" "$log" "emulated run"

ltb_check_shares "$csv" 0.2 "$change" 1.0 20 \
	"steady shares 2:1 within 1 point before the change"
[ "$(ltb_weights_at "$csv" 0.2)" = "200000 100000" ] ||
	lt_fail "weights before the change: $(ltb_weights_at "$csv" 0.2)"
lt_ok "CSV weights 200000 100000 before the change"

lt_expect_grep 'LSC event: port 0 link up, 100000 Mb/s' "$log" \
	"LSC event with port 0's new speed"
lsc_t=$(sed -n 's/^\[ *\([0-9.]*\) s\] LSC event: port 0 link up, 100000 Mb\/s.*/\1/p' \
	"$log" | head -n 1)
awk -v c="$change" -v t="$lsc_t" 'BEGIN { exit !(t - c < 0.1 && t - c > -0.01) }' ||
	lt_fail "LSC event at t=$lsc_t s, change at $change s: not within 100 ms"
delay_ms=$(awk -v c="$change" -v t="$lsc_t" 'BEGIN { printf "%.1f", (t - c) * 1000 }')
lt_ok "LSC event $delay_ms ms after the change"

after=$(awk -v c="$change" 'BEGIN { printf "%.6f", c + 0.1 }')
[ "$(ltb_weights_at "$csv" "$after")" = "100000 100000" ] ||
	lt_fail "weights 100 ms after the change: $(ltb_weights_at "$csv" "$after")"
lt_ok "CSV weights 100000 100000 from 100 ms after the change"
ltb_check_shares "$csv" "$after" 1000 1.0 20 \
	"shares 1:1 within 1 point from 100 ms after the change"
ltb_check_no_drops "$log" "emulated run"
ltb_check_totals "$csv" "$log" "emulated run"
lt_expect_grep 'speed from lagspeed \(mlx5_0 port 1, active\)' "$log" \
	"port 0's speed comes from the plugin"
