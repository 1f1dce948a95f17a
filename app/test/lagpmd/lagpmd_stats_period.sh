#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The lagspeed authors
#
# dpdk-lagpmd --stats-period on two net_null ports, no plugin: forwarding
# starts at once (after the --cmdline-file's weights 2:1), a report of the
# port statistics comes every second with stdin at end of input (it is
# not read), each report's TX shares follow the weights, and SIGTERM ends
# it cleanly with every packet accounted for. Bad values and -i are
# refused.

. "$LAGSPEED_TEST_LIB"
. "$(dirname "$0")/lagpmd_lib.sh"

out=$LT_DIR/out.txt
vdevs=(--vdev net_null0 --vdev net_null1)

echo 'txq rebalance weights 0:2,1:1' >"$LT_DIR/cmds.txt"
# shellcheck disable=SC2046
"$LAGPMD" $(lt_eal_args sp) "${vdevs[@]}" -- --stats-period=1 \
	--cmdline-file="$LT_DIR/cmds.txt" </dev/null >"$out" 2>&1 &
LP_PID=$!
LT_PIDS+=("$LP_PID")
lt_wait_grep '^Port statistics every 1 s; Ctrl-C or SIGTERM to stop$' "$out" 60 \
	"forwarding started, reports announced"
start=$SECONDS
lt_wait_count '^  TX share of the period' 3 "$out" 30 "three reports"
elapsed=$((SECONDS - start))
# Three periods of 1 s: not all at once, not far apart (a loaded machine
# may stretch them, hence the slack).
if [ "$elapsed" -lt 2 ] || [ "$elapsed" -gt 12 ]; then
	lt_fail "three 1 s reports took $elapsed s"
fi
lt_ok "three reports in $elapsed s"
kill -TERM "$LP_PID"
lt_wait_exit "$LP_PID" 30 "lagpmd after SIGTERM"
[ "$LT_STATUS" -eq 0 ] || lt_fail "lagpmd exited with status $LT_STATUS"
lt_expect_grep '^Signal 15 received, preparing to exit\.\.\.$' "$out" "the signal is reported"
lt_expect_grep '^Bye\.\.\.$' "$out" "clean exit"

# Each report's shares: the port's share of the period's TX packets within
# 2 points of its share of the weights (66.7 / 33.3).
awk '/^  TX share of the period/ {
		n++
		# "... share):  port 0 A% (66.7%)  port 1 B% (33.3%)"
		if ($9 != "0" || $13 != "1") bad = bad " ports " $9 "," $13
		a = $10 + 0; b = $14 + 0
		if (a < 64.7 || a > 68.7 || b < 31.3 || b > 35.3)
			bad = bad " shares " $10 "/" $14
		if ($11 != "(66.7%)" || $15 != "(33.3%)")
			bad = bad " weights " $11 "/" $15
	}
	END {
		if (n < 3 || bad != "") { print n " reports," bad; exit 1 }
	}' "$out" || lt_fail "a report's shares are off"
lt_ok "every report's TX shares within 2 points of the weights"
# Between the last two reports, counted from the ports' own blocks.
lp_expect_shares "$out" "last period, weights 2:1" 66.67 33.33
lt_expect_grep '^  Tx-pps: +[1-9][0-9]* ' "$out" "a report shows the TX rate"
lp_expect_tx_adds_up "$out" "stats period, then SIGTERM"

# Refused: a period of 0, not a number, and the interactive prompt.
for args in "--stats-period=0" "--stats-period=x" "--stats-period=1 -i"; do
	status=0
	# shellcheck disable=SC2046,SC2086
	"$LAGPMD" $(lt_eal_args bad) "${vdevs[@]}" -- $args </dev/null \
		>"$LT_DIR/bad.txt" 2>&1 || status=$?
	[ "$status" -ne 0 ] || lt_fail "$args: accepted"
	lt_expect_grep \
		'^(Invalid stats-period: .* \(1\.\.86400\)|--stats-period works without -i only)$' \
		"$LT_DIR/bad.txt" "$args: refused with a message"
done
