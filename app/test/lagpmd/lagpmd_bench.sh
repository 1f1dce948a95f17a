#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The lagspeed authors
#
# Figures of dpdk-lagpmd with the plugin and the emulator (suite 'bench'):
# - how long after the LSC callback the new TX map is published (auto
#   rebalance; includes the control thread's wake-up and the QSBR wait);
# - how long a rebalance takes (assign + publish + QSBR wait) while
#   forwarding runs;
# - txonly packet rate over two net_null ports at 2:1.
# Each figure on its own line: BENCH <name> <value> <unit>.

. "$LAGSPEED_TEST_LIB"
lt_need IBVSIM_LIB IBVSIM_CTL LAGSPEED_PLUGIN
. "$(dirname "$0")/lagpmd_lib.sh"

rounds=${LAGPMD_BENCH_ROUNDS:-50}
lp_sim_host

out=$LT_DIR/out.txt
lp_start "$out" bench -d "$LAGSPEED_PLUGIN" --vdev net_null0 --vdev net_null1 -- \
	--auto-rebalance
lp_cmd "start" "sleep 100" "show port stats all" "sleep 1000" "show port stats all"
lt_wait_count 'NIC statistics for port 1 ' 2 "$out" 10 "1 s of txonly at 2:1"
for i in $(seq 1 "$rounds"); do
	lt_ibvsim pf G 1 down
	lt_wait_count '^txq rebalance published' $((2 * i - 1)) "$out" 10 \
		"round $i: down" >/dev/null
	lt_ibvsim pf G 1 up
	lt_wait_count '^txq rebalance published' $((2 * i)) "$out" 10 \
		"round $i: up" >/dev/null
done
lp_cmd "stop"
lp_finish 20
lp_expect_tx_adds_up "$out" "$((2 * rounds)) live rebalances"

stats() { # NAME: p50, p99, max of the numbers on stdin
	sort -n | awk -v name="$1" '{ v[NR] = $1 }
		END {
			p50 = v[int((NR + 1) * 0.50)]; p99 = v[int((NR - 1) * 0.99) + 1]
			printf "BENCH %s_p50 %s us\nBENCH %s_p99 %s us\n", name, p50, name, p99
			printf "BENCH %s_max %s us\n", name, v[NR]
		}'
}
echo "BENCH lagpmd_auto_rebalances $(grep -c '^txq rebalance published' "$out") count"
sed -n 's/^txq rebalance published \([0-9.]*\) us after the event.*/\1/p' "$out" |
	stats lagpmd_lsc_to_published_map
sed -n 's/^txq rebalance published .*, in \([0-9.]*\) us$/\1/p' "$out" |
	stats lagpmd_rebalance_apply
# Tx-pps of the second `show port stats all`: the rate over that second.
awk '/NIC statistics for port/ { n[$6]++; cur = n[$6] == 2 }
	/Tx-pps:/ && cur { s += $2; cur = 0 }
	END { printf "BENCH lagpmd_txonly_2ports_mpps %.2f Mpps\n", s / 1e6 }' "$out"
