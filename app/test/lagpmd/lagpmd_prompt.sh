#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The lagspeed authors
#
# dpdk-lagpmd -i on a terminal (a pseudo-terminal, DPDK's line editor):
# a line longer than the editor holds is refused with a message, not cut
# and run as another command; the prompt goes on working after it.

. "$LAGSPEED_TEST_LIB"
. "$(dirname "$0")/lagpmd_lib.sh"

out=$LT_DIR/out.txt
lines=$LT_DIR/lines.txt
# 1000 as port 1's weight, beyond any editor's end (512 characters in
# DPDK 22.11 and 23.11, 2048 since 24.11): cut, it would read 10 or so.
long="txq rebalance weights 0:$(printf '0%.0s' $(seq 3000))1,1:1000"
{
	echo "$long"
	echo "show txq map"
	echo "txq rebalance weights 0:1,1:1000"
	echo "clear port stats 0x1"
	echo "quit"
} >"$lines"
# shellcheck disable=SC2046
python3 "$LT_SRC/app/test/lib/pty_run.py" 'lagpmd> ' "$lines" 40 -- \
	"$LAGPMD" $(lt_eal_args prompt) --vdev net_null0 --vdev net_null1 \
	-- -i --txq 2 >"$out" 2>&1 || lt_fail "lagpmd -i exited with status $?"
tr -d '\r' <"$out" >"$out.txt"
out=$out.txt

lt_expect_grep '^Bad arguments: line too long \(the prompt takes [0-9]+ characters' \
	"$out" "a line over the editor's end is refused"
# Nothing of it ran: the first rebalance line is the one typed in full.
first=$(grep -m 1 -E '^txq rebalance by weights' "$out") ||
	lt_fail "no rebalance ran at all"
case $first in
*"port 0 weight 1 share"*"port 1 weight 1000 share"*)
	lt_ok "the cut line ran nothing; the next one ran as typed" ;;
*) lt_fail "first rebalance: $first" ;;
esac
lt_expect_no_grep '^Bad arguments$' "$out" "clear port stats takes 0x1, as show port does"
lt_expect_grep '^Bye' "$out" "quit ends the prompt"
