#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The lagspeed authors
#
# Without the plugin: two net_null ports (10G each), port 1's weight capped
# at 2500 Mb/s. Steady-state shares must match the weights (80/20) within
# one percentage point in every 50 ms interval; no drops; a clean exit on
# SIGTERM. Then --rate: the packet count follows the requested rate.

. "$LAGSPEED_TEST_LIB"
. "$(dirname "$0")/ltb_lib.sh"

log=$LT_DIR/caps.log
csv=$LT_DIR/caps.csv
ltb_start caps "$log" -- --vdev net_null0 --vdev net_null1 -- \
	--flows 4096 --table-size 1024 --interval-ms 50 --cap 1:2500 --csv "$csv"
ltb_t0 "$log" >/dev/null
sleep 1.5
ltb_stop "$LTB_PID" "$log" "capped run"

lt_expect_grep '^time_s,port,speed_mbps,weight,tx_packets,tx_bytes$' "$csv" \
	"CSV header"
lt_expect_grep '^[0-9]+\.[0-9]{3},1,10000,2500,[0-9]+,[0-9]+$' "$csv" \
	"port 1: speed 10000, weight capped at 2500"
lt_expect_grep '^[0-9]+\.[0-9]{3},0,10000,10000,[1-9][0-9]*,[0-9]+$' "$csv" \
	"port 0: speed and weight 10000, sending"
rows=$(awk -F, 'NR > 1 && $5 * 64 != $6 { bad++ } END { print bad + 0 }' "$csv")
[ "$rows" -eq 0 ] || lt_fail "$rows CSV rows with tx_bytes != 64 * tx_packets"
lt_ok "tx_bytes = packets x 64-byte packets"
ltb_check_shares "$csv" 0.2 1000 1.0 10 "steady shares 80/20 within 1 point"
ltb_check_no_drops "$log" "capped run"
ltb_check_totals "$csv" "$log" "capped run"
lt_expect_grep 'weight capped at 2500 Mb/s' "$log" "cap announced at start"

# Rate limit: 200 kpps for 1.5 s.
log=$LT_DIR/rate.log
ltb_start rate "$log" -- --vdev net_null0 -- --rate 200000 --duration 1.5
status=0
wait "$LTB_PID" || status=$?
[ "$status" -eq 0 ] || lt_fail "--duration run: exit status $status"
lt_ok "--duration: exit status 0"
total=$(awk '/==== lag_tx_balance summary/ { s = 1 } s && $1 == "total" { print $2; exit }' "$log")
[ -n "$total" ] || lt_fail "no total in the summary"
# The lcore starts a little after t=0; allow 15% below, 1% above.
[ "$total" -ge 255000 ] && [ "$total" -le 303000 ] ||
	lt_fail "--rate 200000 for 1.5 s sent $total packets"
lt_ok "--rate 200000 for 1.5 s sent $total packets"
