#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The lagspeed authors
#
# Style check of the tree's C, meson and shell files (DPDK / kernel style).
#
# Always enforced: an SPDX line in the first lines, indentation by tabs
# (C and meson), no trailing white space, lines of at most 100 columns
# (tabs count 8), no DOS line ends.
# With --format, also report where clang-format (.clang-format) would
# rewrite a C file: advisory, since hand layout of tables and long macro
# argument lists is allowed.
#
# Usage: devtools/check-style.sh [--format] [FILE...]
# Exit status: 0 clean, 1 violations found.

set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

format=0
if [ "${1:-}" = --format ]; then
	format=1
	shift
fi

if [ $# -gt 0 ]; then
	files=("$@")
else
	mapfile -t files < <(git ls-files --cached --others --exclude-standard \
		'*.c' '*.h' '*.sh' 'meson.build' '*/meson.build' '.ci/run' |
		sort -u)
fi

bad=0
report() {
	echo "$1: $2"
	bad=1
}

for f in "${files[@]}"; do
	[ -f "$f" ] || continue
	head -n 5 "$f" | grep -q 'SPDX-License-Identifier' ||
		report "$f" "no SPDX-License-Identifier in its first lines"
	if grep -q $'\r' "$f"; then
		report "$f" "DOS line ends"
	fi
	awk -v f="$f" '
		/[ \t]+$/ { printf "%s:%d: trailing white space\n", f, NR; bad = 1 }
		{
			line = $0; col = 0
			for (i = 1; i <= length(line); i++) {
				c = substr(line, i, 1)
				col = (c == "\t") ? col + 8 - col % 8 : col + 1
			}
			if (col > 100) {
				printf "%s:%d: %d columns (max 100)\n", f, NR, col
				bad = 1
			}
		}
		END { exit bad }' "$f" || bad=1
	case "$f" in
	*.c | *.h | *meson.build)
		# Indentation is tabs; a space run may only follow tabs to
		# align a continuation, and block comments start with " *".
		awk -v f="$f" '
			/^ +[^ *]/ && !/^ +\*/ {
				printf "%s:%d: indented with spaces\n", f, NR
				bad = 1
			}
			END { exit bad }' "$f" || bad=1
		;;
	esac
	if [ "$format" = 1 ] && [[ "$f" == *.[ch] ]] &&
			command -v clang-format >/dev/null; then
		n=$(clang-format --dry-run "$f" 2>&1 | grep -c 'warning:')
		[ "$n" -eq 0 ] || echo "$f: clang-format would change $n places (advisory)"
	fi
done

if [ "$bad" -ne 0 ]; then
	echo "style check: violations found" >&2
	exit 1
fi
echo "style check: ${#files[@]} files clean"
