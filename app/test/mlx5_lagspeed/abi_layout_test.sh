#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The lagspeed authors
#
# The plugin's own declarations of DPDK internals, checked against the
# driver-SDK headers of the DPDK it is built against: mlx5_lagspeed_abi.c
# built both ways must place every member the plugin touches at the same
# offset. Defined only when those headers are installed (Debian's 22.11
# has none): a DPDK built with -Denable_driver_sdk=true checks the
# declarations written for its release.
# Arguments: the two builds of abi_layout.c (SDK, own).

. "$LAGSPEED_TEST_LIB"

sdk=$1 own=$2
release=$(echo "$LAGSPEED_DPDK_VERSION" | cut -d. -f1,2)
"$sdk" >"$LT_DIR/sdk.txt" || lt_fail "the SDK build: exit status $?"
"$own" >"$LT_DIR/own.txt" || lt_fail "the own build: exit status $?"
lt_expect_grep '^declarations driver-sdk$' "$LT_DIR/sdk.txt" \
	"one build uses the SDK headers"
lt_expect_grep "^declarations own-$release$" \
	"$LT_DIR/own.txt" "the other, our declarations for DPDK $LAGSPEED_DPDK_VERSION"
if diff -u <(sed 1d "$LT_DIR/sdk.txt") <(sed 1d "$LT_DIR/own.txt") \
		>"$LT_DIR/diff.txt"; then
	lt_ok "$(($(wc -l <"$LT_DIR/own.txt") - 1)) offsets and sizes agree"
else
	cat "$LT_DIR/diff.txt"
	lt_fail "our declarations differ from the SDK headers (- SDK, + own)"
fi
