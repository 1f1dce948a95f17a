#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The lagspeed authors
#
# The harness itself: DPDK starts here the way every test starts it
# (no hugepages, no PCI, a virtual device, a unique file prefix), and two
# processes with different prefixes run side by side.

. "$LAGSPEED_TEST_LIB"
lt_need DPDK_TESTPMD

run_testpmd() {
	# shellcheck disable=SC2046
	printf 'show port info 0\nquit\n' | lt_foreign timeout 60 "$DPDK_TESTPMD" \
		$(lt_eal_args "$1") --vdev net_null0 -- -i --total-num-mbufs=2048 \
		>"$LT_DIR/$1.log" 2>&1
}

run_testpmd a &
pid_a=$!
run_testpmd b &
pid_b=$!
wait "$pid_a" || lt_fail "testpmd a exited with $?"
wait "$pid_b" || lt_fail "testpmd b exited with $?"

for t in a b; do
	lt_expect_grep 'Link speed: 10 Gbps' "$LT_DIR/$t.log" \
		"testpmd $t reports net_null's 10 Gbps"
done
[ "$(lt_prefix a)" != "$(lt_prefix b)" ] || lt_fail "file prefixes collide"
lt_ok "distinct file prefixes"
