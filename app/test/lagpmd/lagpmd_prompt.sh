#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The lagspeed authors
#
# dpdk-lagpmd -i on a terminal (a pseudo-terminal, DPDK's line editor):
# a line longer than the editor holds is refused with a message, not cut
# and run as another command, also when shortened before Enter; the
# prompt and its history go on working after it.

. "$LAGSPEED_TEST_LIB"
. "$(dirname "$0")/lagpmd_lib.sh"

out=$LT_DIR/out.txt
lines=$LT_DIR/lines.txt
# 1000 as port 1's weight, beyond any editor's end (512 characters in
# DPDK 22.11 and 23.11, 2048 since 24.11): cut, it would read 10 or so.
long="txq rebalance weights 0:$(printf '0%.0s' $(seq 3000))1,1:1000"
# Cut, then shortened by a backspace (DEL) before Enter: still refused.
cut_then_short="txq rebalance weights 0:1,1:$(printf '0%.0s' $(seq 3000))1000000"$'\177'
{
	echo "$long"
	echo "clear port stats 0x1"
	echo "$cut_then_short"
	echo "txq rebalance weights 0:1,1:1000"
	echo "show txq map"
	# While Up browses the history, the editor keeps the line being typed
	# (abc) in it, until its own Enter: a refused line must go through it.
	echo $'abc\e[A'"$(printf 'x%.0s' $(seq 3000))"
	echo $'\e[A'
	echo "quit"
} >"$lines"
# shellcheck disable=SC2046
python3 "$LT_SRC/app/test/lib/pty_run.py" 'lagpmd> ' "$lines" 40 -- \
	"$LAGPMD" $(lt_eal_args prompt) --vdev net_null0 --vdev net_null1 \
	-- -i --txq 2 >"$out" 2>&1 || lt_fail "lagpmd -i exited with status $?"
tr -d '\r' <"$out" >"$out.txt"
out=$out.txt

[ "$(grep -c '^Bad arguments: line too long (the prompt takes [0-9]* characters' "$out")" \
	-eq 3 ] || lt_fail "not three lines refused: $(grep -c 'line too long' "$out")"
lt_ok "lines over the editor's end are refused, also once shortened"
# Nothing of it ran: the first rebalance line is the one typed in full.
first=$(grep -m 1 -E '^txq rebalance by weights' "$out") ||
	lt_fail "no rebalance ran at all"
case $first in
*"port 0 weight 1 share"*"port 1 weight 1000 share"*)
	lt_ok "the cut line ran nothing; the next one ran as typed" ;;
*) lt_fail "first rebalance: $first" ;;
esac
lt_expect_no_grep '^Bad arguments$' "$out" "clear port stats takes 0x1, as show port does"
lt_expect_no_grep '^Command not found' "$out" \
	"Up after a refused line recalls the last command, not a line never entered"
[ "$(grep -c '^port 0  speed' "$out")" -eq 2 ] ||
	lt_fail "show txq map did not run twice (typed, then recalled)"
lt_ok "the recalled command ran"
lt_expect_grep '^Bye' "$out" "quit ends the prompt"
