#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The lagspeed authors
#
# A shared library exports exactly the functions its public header
# declares, and no data: none missing (an application could not link),
# nothing more (an internal helper would become ABI by accident).
#
# Usage: exports_test.sh LIBRARY.so HEADER.h

. "$LAGSPEED_TEST_LIB"
lib=$1
header=$2
name=$(basename "$lib")

# Functions the header declares, static inline ones left out: a name
# followed by "(" at the start of a line, or after the return type on it,
# where neither that line nor the one before it says "static".
awk '
	/^[A-Za-z_]/ && !/static/ && prev !~ /static/ &&
	    match($0, /[A-Za-z_][A-Za-z0-9_]*\(/) {
		print substr($0, RSTART, RLENGTH - 1)
	}
	{ prev = $0 }
' "$header" | sort -u >"$LT_DIR/declared"
nm -D --defined-only "$lib" | awk 'NF == 3 { print $3 }' |
	sort -u >"$LT_DIR/exported"

[ -s "$LT_DIR/declared" ] || lt_fail "no function found in $header"
if ! diff -u "$LT_DIR/declared" "$LT_DIR/exported" >"$LT_DIR/diff"; then
	cat "$LT_DIR/diff" >&2
	lt_fail "$name: exports differ from $(basename "$header")" \
		"(- declared only, + exported only)"
fi
lt_ok "$name exports the $(wc -l <"$LT_DIR/declared") functions of $(basename "$header"), no more"
