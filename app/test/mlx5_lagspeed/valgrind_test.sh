#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The lagspeed authors
#
# The LSC and fault scenarios (hotplug, removal, close races, fatal
# detach, EAL cleanup) under valgrind: no invalid access anywhere, and
# no block definitely lost by the plugin. DPDK's own leaks (its mlx5
# PMDs' constructors, autoloaded) are not ours: only records whose stack
# passes through the plugin count.
#
# Usage: valgrind_test.sh VALGRIND TEST_LAGSPEED_LSC

. "$LAGSPEED_TEST_LIB"
lt_need IBVSIM_LIB LAGSPEED_PLUGIN
vg=$1
bin=$2
# valgrind runs it ~20 times slower: stretch the test's time bounds
export LAGSPEED_TEST_SLOW=5

for scenario in lsc faults; do
	"$vg" --error-exitcode=9 --errors-for-leak-kinds=none \
		--leak-check=full --show-leak-kinds=definite --num-callers=30 \
		"$bin" "$scenario" >"$LT_DIR/$scenario.log" 2>&1 &
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
	lt_expect_no_grep 'Invalid (read|write)|uninitialised|Invalid free' "$log" \
		"$scenario: no invalid access"
	# one leak record per paragraph: none may pass through the plugin
	if awk '/definitely lost in loss record/ { rec = 1; txt = "" }
		rec { txt = txt $0 "\n" }
		rec && /^==[0-9]+== $/ {
			if (txt ~ /mlx5_lagspeed[a-z_]*\.c:|librte_net_mlx5_lagspeed/) {
				printf "%s", txt
				bad = 1
			}
			rec = 0
		}
		END { exit bad ? 0 : 1 }' "$log" >"$LT_DIR/$scenario.ours"; then
		cat "$LT_DIR/$scenario.ours" >&2
		lt_fail "$scenario: the plugin leaks"
	fi
	lt_ok "$scenario: nothing definitely lost by the plugin"
done
[ "$rc" = 0 ] || lt_fail "valgrind exited with $rc"
lt_ok "valgrind clean"
