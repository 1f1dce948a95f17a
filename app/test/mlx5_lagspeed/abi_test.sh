#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The lagspeed authors
#
# A plugin whose idea of DPDK's internal structures is wrong (built with a
# struct rte_eth_dev of another release on purpose) must hook nothing, log
# it once, and leave testpmd running with net_null's own speed.

. "$LAGSPEED_TEST_LIB"
lt_need DPDK_TESTPMD LAGSPEED_WRONG_ABI_PLUGIN

verbs=${IBVSIM_LIB:-libibverbs.so.1}
log="$LT_DIR/testpmd.log"
# shellcheck disable=SC2046
printf 'show port info 0\nshow port info 1\nquit\n' |
	LAGSPEED="ibverbs=$verbs,bind=net_null0@mlx5_0:1,bind=net_null1@mlx5_0:1" \
	lt_foreign timeout 60 "$DPDK_TESTPMD" $(lt_eal_args abi) \
	-d "$LAGSPEED_WRONG_ABI_PLUGIN" --vdev net_null0 --vdev net_null1 \
	-- -i --total-num-mbufs=2048 >"$log" 2>&1 ||
	lt_fail "testpmd exited with $?"
lt_ok "testpmd runs with a plugin of the wrong ABI"
lt_expect_grep 'mlx5_lagspeed: DPDK ABI check failed .*extending no port' \
	"$log" "the ABI mismatch is logged"
[ "$(grep -c 'DPDK ABI check failed' "$log")" -eq 1 ] ||
	lt_fail "the ABI mismatch is logged more than once"
lt_ok "logged once"
lt_expect_no_grep 'extended by' "$log" "no port hooked"
[ "$(grep -c '^Link speed: 10 Gbps' "$log")" -eq 2 ] ||
	lt_fail "ports do not show net_null's 10 Gbps"
lt_ok "both ports keep net_null's 10 Gbps"
