#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The lagspeed authors
#
# A bad command line gets the usage on stderr and exit status 2; --help
# gets it on stdout and status 0. No traffic is sent in either case.

. "$LAGSPEED_TEST_LIB"
. "$(dirname "$0")/ltb_lib.sh"

n=0
bad() {
	local status=0
	n=$((n + 1))
	# shellcheck disable=SC2046
	timeout 30 "$LTB_APP" $(lt_eal_args "bad$n") --vdev net_null0 -- "$@" \
		>"$LT_DIR/bad$n.out" 2>"$LT_DIR/bad$n.err" || status=$?
	[ "$status" -eq 2 ] || {
		cat "$LT_DIR/bad$n.out" "$LT_DIR/bad$n.err" >&2
		lt_fail "'$*': exit status $status, not 2"
	}
	grep -q '^Usage: .* \[EAL options\] -- \[options\]' "$LT_DIR/bad$n.err" ||
		lt_fail "'$*': no usage on stderr"
	if grep -q 'Traffic started' "$LT_DIR/bad$n.out"; then
		lt_fail "'$*': traffic started anyway"
	fi
	lt_ok "'$*': usage on stderr, exit status 2"
}

bad --bogus
bad --flows 0
bad --flows many
bad --pkt-size 20
bad --rate -5
bad --rate 100000000001
bad --cap 0
bad --cap 0:
bad --cap 9:1000
bad --cap 0:100 --cap 0:5000
bad --cap +0:100
bad --cap 0:0
bad --flows ' 10'
bad --table-size 100
bad --interval-ms 5
bad --interval-ms 60001
bad --duration -1
bad --duration 2x
bad --duration ' 1'
bad --duration 0x1p-2
bad --duration 1e-3
bad stray-argument

status=0
# shellcheck disable=SC2046
timeout 30 "$LTB_APP" $(lt_eal_args help) --vdev net_null0 -- --help \
	>"$LT_DIR/help.out" 2>"$LT_DIR/help.err" || status=$?
[ "$status" -eq 0 ] || lt_fail "--help: exit status $status"
lt_expect_grep '^Usage: ' "$LT_DIR/help.out" "--help: usage on stdout"
lt_expect_grep '--cap PORT:MBPS' "$LT_DIR/help.out" "--help: documents --cap"
lt_expect_grep '--interval-ms MS' "$LT_DIR/help.out" "--help: documents --interval-ms"

# A CSV path that cannot be written ends the run before any port starts.
status=0
# shellcheck disable=SC2046
timeout 30 "$LTB_APP" $(lt_eal_args csv) --vdev net_null0 -- \
	--csv "$LT_DIR/missing/tx.csv" --duration 1 \
	>"$LT_DIR/csv.out" 2>"$LT_DIR/csv.err" || status=$?
[ "$status" -eq 1 ] || lt_fail "unwritable --csv: exit status $status, expected 1"
lt_expect_grep "Cannot open $LT_DIR/missing/tx.csv: No such file or directory" \
	"$LT_DIR/csv.err" "unwritable --csv: said so"
lt_expect_no_grep '^Port 0 ' "$LT_DIR/csv.out" "unwritable --csv: no port set up"
