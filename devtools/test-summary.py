#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The lagspeed authors
"""Sum meson's JSON test logs into one closing line.

Prints each skipped test with the reason it gave (its "skip: ..." line),
each failed test by name, then "N passed, N failed, N skipped" alone on the
last line; exits 1 when anything failed, or when a log is missing or ran no
test at all.
"""

import json
import sys


def read_log(path):
    results = []
    with open(path, encoding='utf-8') as log:
        for line in log:
            line = line.strip()
            if line:
                results.append(json.loads(line))
    return results


def skip_reason(res):
    """The test's own "skip: ..." line, or what meson knows."""
    for line in (res.get('stdout') or '').splitlines():
        if line.startswith('skip:'):
            return line[len('skip:'):].strip()
    return f'exit status {res.get("returncode")}'


def main(paths):
    passed = failed = skipped = 0
    problems = []
    skips = []
    for path in paths:
        try:
            results = read_log(path)
        except OSError as err:
            problems.append(f'{path}: {err.strerror}')
            continue
        if not results:
            problems.append(f'{path}: no test ran')
        build = path.split('/meson-logs/')[0]
        for res in results:
            outcome = res.get('result')
            if outcome in ('OK', 'EXPECTEDFAIL'):
                passed += 1
            elif outcome == 'SKIP':
                skipped += 1
                skips.append(f'{build}: {res.get("name")}: {skip_reason(res)}')
            else:
                failed += 1
                problems.append(f'{build}: {res.get("name")}: {outcome}')
    for skip in skips:
        print(f'skipped: {skip}')
    for problem in problems:
        print(f'problem: {problem}')
    print(f'{passed} passed, {failed} failed, {skipped} skipped')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
