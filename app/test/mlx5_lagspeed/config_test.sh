#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The lagspeed authors
#
# The plugin stays out of the way when it cannot or must not work: a bad
# LAGSPEED (one error line naming it), a missing verbs library,
# disable=1. testpmd runs on with net_null's own 10 Gbps every time.

. "$LAGSPEED_TEST_LIB"
lt_need DPDK_TESTPMD LAGSPEED_PLUGIN

run() {
	local tag=$1 cfg=$2
	# shellcheck disable=SC2046
	printf 'show port info 0\nquit\n' | LAGSPEED="$cfg" lt_foreign \
		timeout 60 "$DPDK_TESTPMD" $(lt_eal_args "$tag") \
		-d "$LAGSPEED_PLUGIN" --vdev net_null0 \
		-- -i --total-num-mbufs=2048 >"$LT_DIR/$tag.log" 2>&1
	echo $? >"$LT_DIR/$tag.rc"
}

verbs=${IBVSIM_LIB:-libibverbs.so.1}
run badkey "ibverbs=$verbs,speed=1,bind=net_null0@mlx5_0:1" &
run badbind "ibverbs=$verbs,bind=net_null0@mlx5_0" &
wait
run noverbs "ibverbs=$LT_DIR/no-such-libibverbs.so,bind=net_null0@mlx5_0:1" &
run disabled "ibverbs=$verbs,bind=net_null0@mlx5_0:1,disable=1" &
wait

for t in badkey badbind noverbs disabled; do
	[ "$(cat "$LT_DIR/$t.rc")" = 0 ] || lt_fail "$t: testpmd exited with $(cat "$LT_DIR/$t.rc")"
	lt_expect_grep '^Link speed: 10 Gbps' "$LT_DIR/$t.log" "$t: testpmd runs on, 10 Gbps"
done
lt_expect_grep "mlx5_lagspeed: LAGSPEED: unknown key 'speed'" "$LT_DIR/badkey.log" \
	"bad key named"
lt_expect_grep 'mlx5_lagspeed: LAGSPEED: bind=net_null0@mlx5_0: expected bind=ETHDEV@IBDEV:PORT' \
	"$LT_DIR/badbind.log" "bad value named"
for t in badkey badbind; do
	[ "$(grep -c 'mlx5_lagspeed' "$LT_DIR/$t.log")" -eq 1 ] ||
		lt_fail "$t: more than one plugin log line"
done
lt_ok "one error line each"
lt_expect_grep 'mlx5_lagspeed: cannot load .*no-such-libibverbs.so' "$LT_DIR/noverbs.log" \
	"missing verbs library logged"
lt_expect_grep 'mlx5_lagspeed: disabled by LAGSPEED' "$LT_DIR/disabled.log" \
	"disable=1 honoured"
