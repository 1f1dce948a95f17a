#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The lagspeed authors
#
# Build the tree in turn with gcc, clang, and gcc with ASan + UBSan, each
# at -Wall -Wextra -Werror (the project's defaults), in build-gcc,
# build-clang and build-sanitize. With --test, run the default test suites
# on each. Stops at the first failure.
#
# Usage: devtools/build.sh [--test]

set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

run_tests=0
case "$*" in
"") ;;
--test) run_tests=1 ;;
-h|--help) sed -n 's/^# \{0,1\}//p' "$0" | sed -n '5,11p'; exit 0 ;;
*) echo "error: unknown argument: $*" >&2
   echo "usage: $0 [--test]" >&2
   exit 2 ;;
esac

one() {
	local dir=$1 cc=$2
	shift 2
	echo "==> $dir (CC=$cc $*)"
	if [ ! -f "$dir/build.ninja" ]; then
		CC=$cc meson setup "$dir" "$@" >/dev/null
	fi
	ninja -C "$dir"
	if [ "$run_tests" = 1 ]; then
		meson test -C "$dir" --no-rebuild --suite unit --suite integration \
			--num-processes 2 --print-errorlogs
	fi
}

one build-gcc gcc
one build-clang clang
one build-sanitize gcc -Db_sanitize=address,undefined -Db_lundef=false
echo "==> all builds clean"
