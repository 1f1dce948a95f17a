#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The lagspeed authors
#
# devtools/test-summary.py, which ends `lagspeed.sh test` (and so CI): the
# counts over meson's JSON logs, each skip with the reason the test gave,
# each failure by name, and its exit status.

. "$LAGSPEED_TEST_LIB"

summary=$LT_SRC/devtools/test-summary.py
a=$LT_DIR/a/meson-logs
b=$LT_DIR/b/meson-logs
mkdir -p "$a" "$b" "$LT_DIR/empty/meson-logs"
cat >"$a/testlog.json" <<'JSON'
{"name": "one", "result": "OK", "returncode": 0, "stdout": "ok: x\n"}
{"name": "ovs", "result": "SKIP", "returncode": 77, "stdout": "ok: y\nskip: no OVS here\n"}
{"name": "quiet", "result": "SKIP", "returncode": 77, "stdout": ""}

{"name": "xf", "result": "EXPECTEDFAIL", "returncode": 1, "stdout": ""}
JSON
cat >"$b/testlog.json" <<'JSON'
{"name": "two", "result": "OK", "returncode": 0, "stdout": ""}
JSON

out=$LT_DIR/ok.out
python3 "$summary" "$a/testlog.json" "$b/testlog.json" >"$out" ||
	lt_fail "status $? with nothing failed"
lt_expect_grep "^skipped: $LT_DIR/a: ovs: no OVS here\$" "$out" \
	"a skip shows the test's own reason"
lt_expect_grep "^skipped: $LT_DIR/a: quiet: exit status 77\$" "$out" \
	"a skip without a reason shows meson's"
[ "$(tail -n 1 "$out")" = "3 passed, 0 failed, 2 skipped" ] ||
	lt_fail "closing line: $(tail -n 1 "$out")"
lt_ok "counts over two logs, blank lines ignored"

# A failure and a timeout: named, counted, status 1.
cat >>"$b/testlog.json" <<'JSON'
{"name": "bad", "result": "FAIL", "returncode": 1, "stdout": "skip: not this\n"}
{"name": "slow", "result": "TIMEOUT", "returncode": -15, "stdout": ""}
JSON
out=$LT_DIR/fail.out
if python3 "$summary" "$a/testlog.json" "$b/testlog.json" >"$out"; then
	lt_fail "status 0 with a failure"
fi
lt_expect_grep "^problem: $LT_DIR/b: bad: FAIL\$" "$out" "a failure is named"
lt_expect_grep "^problem: $LT_DIR/b: slow: TIMEOUT\$" "$out" "a timeout is named"
lt_expect_no_grep "not this" "$out" "a failed test is not listed as skipped"
[ "$(tail -n 1 "$out")" = "3 passed, 2 failed, 2 skipped" ] ||
	lt_fail "closing line: $(tail -n 1 "$out")"
lt_ok "failures counted"

# A missing log or one with no test is a problem too.
: >"$LT_DIR/empty/meson-logs/testlog.json"
out=$LT_DIR/missing.out
if python3 "$summary" "$LT_DIR/empty/meson-logs/testlog.json" \
		"$LT_DIR/none/meson-logs/testlog.json" >"$out"; then
	lt_fail "status 0 with no test run"
fi
lt_expect_grep "^problem: .*/empty/meson-logs/testlog.json: no test ran\$" "$out" \
	"an empty log is a problem"
lt_expect_grep "^problem: .*/none/meson-logs/testlog.json: No such file" "$out" \
	"a missing log is a problem"
