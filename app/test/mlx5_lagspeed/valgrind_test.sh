#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The lagspeed authors
#
# The LSC and fault scenarios (hotplug, removal, close races, fatal
# detach, EAL cleanup) under valgrind: no invalid access anywhere, and
# no block definitely lost by the plugin (lt_valgrind_clean tells DPDK's
# own leaks apart).
#
# Usage: valgrind_test.sh TEST_LAGSPEED_LSC

. "$LAGSPEED_TEST_LIB"
lt_need IBVSIM_LIB LAGSPEED_PLUGIN LAGSPEED_VALGRIND
bin=$1
# valgrind runs it ~20 times slower: stretch the test's time bounds
export LAGSPEED_TEST_SLOW=5

for scenario in lsc faults; do
	lt_valgrind "$LT_DIR/$scenario.log" "$bin" "$scenario" &
	LT_PIDS+=("$!")
done
rc=0
for pid in "${LT_PIDS[@]}"; do
	wait "$pid" || rc=$?
done
LT_PIDS=()
for scenario in lsc faults; do
	log="$LT_DIR/$scenario.log"
	lt_expect_grep "^$scenario: 0 failure\\(s\\)" "$log" "$scenario passes under valgrind"
	lt_valgrind_clean "$log" 'mlx5_lagspeed[a-z_]*\.c:|librte_net_mlx5_lagspeed' \
		"$scenario"
done
[ "$rc" = 0 ] || lt_fail "valgrind exited with $rc"
lt_ok "valgrind clean"
