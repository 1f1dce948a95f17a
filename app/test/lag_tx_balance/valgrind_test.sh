#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The lagspeed authors
#
# dpdk-lag_tx_balance under valgrind memcheck, on two net_null ports with
# a cap, for two seconds of traffic to its summary and exit: no invalid
# access anywhere, and no block definitely lost by the example or
# lib/txweight (lt_valgrind_clean tells DPDK's own leaks apart).

. "$LAGSPEED_TEST_LIB"
. "$(dirname "$0")/ltb_lib.sh"
lt_need LAGSPEED_VALGRIND

log=$LT_DIR/ltb.log
rc=0
# shellcheck disable=SC2046
lt_valgrind "$log" "$LTB_APP" $(lt_eal_args valgrind) \
	--vdev net_null0 --vdev net_null1 -- --cap 1:2500 --duration 2 \
	--csv "$LT_DIR/ltb.csv" || rc=$?
lt_expect_grep '^==== lag_tx_balance summary: ' "$log" \
	"the example ran to its summary under valgrind"
ltb_check_totals "$LT_DIR/ltb.csv" "$log" "run under valgrind"
lt_valgrind_clean "$log" 'main\.c:|txweight_[a-z_]+\.c:|librte_txweight' \
	"lag_tx_balance"
[ "$rc" = 0 ] || lt_fail "valgrind or the example exited with $rc"
lt_ok "lag_tx_balance valgrind clean"
