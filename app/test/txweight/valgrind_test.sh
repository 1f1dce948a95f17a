#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The lagspeed authors
#
# One txweight test program under valgrind memcheck: it must pass there
# too, with no invalid access anywhere and no block definitely lost by
# lib/txweight or the test (lt_valgrind_clean tells DPDK's own leaks
# apart).
#
# Usage: valgrind_test.sh TEST_PROGRAM [ARGS...]

. "$LAGSPEED_TEST_LIB"
lt_need LAGSPEED_VALGRIND
bin=$1
shift
name=$(basename "$bin")
log="$LT_DIR/$name.log"
# Valgrind runs one thread at a time, some 20 times slower: the tests
# that need two lcores to overlap run for longer (tw_test_slow()).
export LAGSPEED_TEST_SLOW=10

rc=0
lt_valgrind "$log" "$bin" "$@" || rc=$?
lt_expect_grep "^test_[a-z_]+: [0-9]+ checks, 0 failures" "$log" \
	"$name passes under valgrind"
lt_valgrind_clean "$log" \
	'txweight_[a-z_]+\.c:|test_[a-z_]+\.c:|tw_[a-z_]+\.h:|librte_txweight' "$name"
[ "$rc" = 0 ] || lt_fail "valgrind or $name exited with $rc"
lt_ok "$name valgrind clean"
