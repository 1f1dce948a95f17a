#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The lagspeed authors
#
# dpdk-lagpmd under valgrind memcheck, on two net_null ports: forwarding
# started, every kind of rebalance applied while it runs (weights, a cap,
# speeds, automatic on LSC), the map and statistics shown, stopped, quit.
# No invalid access anywhere, and no block definitely lost by lagpmd or
# lib/txweight (lt_valgrind_clean tells DPDK's own leaks apart).

. "$LAGSPEED_TEST_LIB"
. "$(dirname "$0")/lagpmd_lib.sh"
lt_need LAGSPEED_VALGRIND

cat >"$LT_DIR/cmds.txt" <<'CMDS'
show txq map
start
sleep 200
txq rebalance weights 0:2,1:1
txq rebalance cap 1:2500
txq rebalance speed
txq rebalance auto on
show txq map
sleep 200
show port stats all
stop
txq rebalance auto off
quit
CMDS
log=$LT_DIR/lagpmd.log
rc=0
# shellcheck disable=SC2046
lt_valgrind "$log" "$LAGPMD" $(lt_eal_args valgrind) \
	--vdev net_null0 --vdev net_null1 -- --txq=2 <"$LT_DIR/cmds.txt" || rc=$?
lt_expect_grep '^Bye\.\.\.$' "$log" "lagpmd ran its commands to quit under valgrind"
lt_expect_no_grep 'Bad arguments|failed' "$log" "every command taken"
lt_expect_grep 'txq rebalance by weights: moved' "$log" "rebalanced by weights"
lt_expect_grep 'txq rebalance by speed: moved' "$log" "rebalanced by speed"
ours='(commands|display|fwd|main|rebalance)\.c:|lagpmd\.h:'
ours+='|txweight_[a-z_]+\.c:|librte_txweight'
lt_valgrind_clean "$log" "$ours" "lagpmd"
[ "$rc" = 0 ] || lt_fail "valgrind or lagpmd exited with $rc"
lt_ok "lagpmd valgrind clean"
