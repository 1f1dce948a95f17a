#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The lagspeed authors
#
# A plugin whose idea of DPDK's internal structures is wrong must hook
# nothing, log it once, and leave testpmd running with net_null's own
# speed. Two wrong builds: 'size' (a struct rte_eth_dev with more fast-path
# slots: its size differs) and 'data' (same size, the data pointer elsewhere:
# only the per-port checks see it, without following the wrong pointer).

. "$LAGSPEED_TEST_LIB"
lt_need DPDK_TESTPMD LAGSPEED_WRONG_SIZE_PLUGIN LAGSPEED_WRONG_DATA_PLUGIN

verbs=${IBVSIM_LIB:-libibverbs.so.1}
run() {
	local tag=$1 plugin=$2
	# shellcheck disable=SC2046
	printf 'show port info 0\nshow port info 1\nquit\n' |
		LAGSPEED="ibverbs=$verbs,bind=net_null0@mlx5_0:1,bind=net_null1@mlx5_0:1" \
		lt_foreign timeout 60 "$DPDK_TESTPMD" $(lt_eal_args "$tag") \
		-d "$plugin" --vdev net_null0 --vdev net_null1 \
		-- -i --total-num-mbufs=2048 >"$LT_DIR/$tag.log" 2>&1
	echo $? >"$LT_DIR/$tag.rc"
}
run size "$LAGSPEED_WRONG_SIZE_PLUGIN" &
run data "$LAGSPEED_WRONG_DATA_PLUGIN" &
wait

for t in size data; do
	log="$LT_DIR/$t.log"
	[ "$(cat "$LT_DIR/$t.rc")" = 0 ] || lt_fail "$t: testpmd exited with $(cat "$LT_DIR/$t.rc")"
	lt_ok "$t: testpmd runs with a plugin of the wrong ABI"
	lt_expect_grep 'mlx5_lagspeed: DPDK ABI check failed .*extending no port' \
		"$log" "$t: the ABI mismatch is logged"
	[ "$(grep -c 'DPDK ABI check failed' "$log")" -eq 1 ] ||
		lt_fail "$t: the ABI mismatch is logged more than once"
	lt_ok "$t: logged once"
	lt_expect_no_grep 'extended by' "$log" "$t: no port hooked"
	[ "$(grep -c '^Link speed: 10 Gbps' "$log")" -eq 2 ] ||
		lt_fail "$t: ports do not show net_null's 10 Gbps"
	lt_ok "$t: both ports keep net_null's 10 Gbps"
done
lt_expect_grep 'sizeof\(rte_eth_devices\) differs' "$LT_DIR/size.log" \
	"size: caught by the size of rte_eth_devices[]"
lt_expect_grep 'on port 0 \(struct rte_eth_dev layout differs \(data\)' \
	"$LT_DIR/data.log" "data: caught on the first port, before following the pointer"
