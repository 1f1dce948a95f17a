#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The lagspeed authors
"""Run a program on a pseudo-terminal and type lines at its prompt.

usage: pty_run.py PROMPT LINES_FILE SECONDS -- PROGRAM [ARGS...]

Each line of LINES_FILE is typed (ended by a carriage return, as the
Enter key sends in raw mode) once PROMPT has appeared once more on the
terminal than before and the terminal is in raw mode (not canonical: a
line editor may print its prompt before it leaves canonical mode, where
the terminal itself would take control characters and long lines).
Lines may hold control characters and escape sequences (arrow keys).
Everything the program writes goes to stdout. The exit status is the
program's, or 124 when it has not finished within SECONDS, or a prompt
did not come (then the program is killed).
"""

import os
import pty
import select
import signal
import sys
import termios
import time


def raw(fd):
    """Whether the terminal left canonical mode (the master reads the
    terminal's settings on Linux)."""
    try:
        return not termios.tcgetattr(fd)[3] & termios.ICANON
    except termios.error:
        return False


def main(argv):
    if len(argv) < 5 or argv[3] != '--':
        sys.stderr.write(__doc__)
        return 2
    prompt = argv[0].encode()
    with open(argv[1], encoding='utf-8') as f:
        lines = f.read().splitlines()
    deadline = time.monotonic() + float(argv[2])
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(argv[4], argv[4:])
    seen = b''
    typed = 0
    status = None
    while status is None:
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            sys.stdout.buffer.write(seen)
            sys.stdout.write(f'\npty_run: timed out after {typed} lines\n')
            return 124
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                data = os.read(fd, 4096)
            except OSError:  # the program closed the terminal
                data = b''
            seen += data
            if not data:
                status = os.waitpid(pid, 0)[1]
                break
        if typed < len(lines) and seen.count(prompt) > typed and raw(fd):
            os.write(fd, lines[typed].encode() + b'\r')
            typed += 1
    sys.stdout.buffer.write(seen)
    sys.stdout.flush()
    return os.waitstatus_to_exitcode(status)


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
