#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The lagspeed authors
#
# dpdk-lagpmd's command line on two net_null ports, no plugin: testpmd's
# output formats, every new command's output, wrong commands and arguments
# rejected with a message while the tool keeps running, --cmdline-file.

. "$LAGSPEED_TEST_LIB"
. "$(dirname "$0")/lagpmd_lib.sh"

out=$LT_DIR/out.txt
vdevs=(--vdev net_null0 --vdev net_null1)

# A script on stdin: nothing but the commands' output, exit at quit.
cat >"$LT_DIR/script.txt" <<'CMDS'
show port summary all
show port info 0
show port speed all
show txq map
set burst 16
set burst 0
set burst 513
set txpkts 20
set txpkts 128
set fwd io
set fwd txonly
set fwd bogus
show port info 9
show port stats 9
show port info x
foo bar
txq rebalance weights 0:3,1:1
show txq map
show txq schedule
txq rebalance weights 1:2
show txq map
txq rebalance weights 0:0,1:0
txq rebalance weights 5:1
txq rebalance weights 0:1,0:2
txq rebalance weights 0:-1
txq rebalance weights 0:
txq rebalance weights 0:1,
txq rebalance weights 0:1x
txq rebalance weights +0:5
txq rebalance weights 0:+5
txq rebalance weights 0:4503599627370496,1:1
txq rebalance weights 0:99999999999999999999
txq rebalance weights 99999999999999999999:1
txq rebalance cap 0:5000
show txq map
txq rebalance cap 0:5000,1:1
txq rebalance cap 0:0
txq rebalance cap 0:0
txq rebalance cap 0:4294967296
CMDS
# Lines a heredoc holds badly: a weights list longer than a plain token
# (128 bytes) with blanks at its end, a NUL byte inside a command (which
# must not run cut short: weights 0:1 would show), a line too long, and
# lines of 4222 characters (the most: it runs) and 4223 (refused).
{
	printf 'txq rebalance weights 0:%0150d,1:3  \n' 5
	printf 'show txq map\n'
	printf 'txq rebalance weights 0:1\0,1:7\n'
	printf 'show txq map\n'
	printf 'show port summary all%5000s\n' ''
	printf 'show port summary all%4201s\n' ''
	printf 'show port summary all%4202s\n' ''
} >>"$LT_DIR/script.txt"
cat >>"$LT_DIR/script.txt" <<'CMDS'
txq rebalance auto maybe
txq rebalance auto on
txq rebalance auto off
stop
start
start
sleep 200
clear port stats all
clear port stats 65536
show port stats 0
sleep 100
stop
help
quit
show port summary all
CMDS
# shellcheck disable=SC2046
"$LAGPMD" $(lt_eal_args cmds) "${vdevs[@]}" -- --txq 2 <"$LT_DIR/script.txt" \
	>"$out" 2>&1 || lt_fail "lagpmd exited with status $?"

lt_expect_grep '^Number of available ports: 2$' "$out" "summary header"
lt_expect_grep '^0    [0-9A-F:]{17} net_null0    net_null       up       10 Gbps$' \
	"$out" "summary line in testpmd's layout"
lt_expect_grep '^\*+ Infos for port 0  \*+$' "$out" "port info banner"
lt_expect_grep '^Link speed: 10 Gbps$' "$out" "port info link speed"
lt_expect_grep '^Current number of TX queues: 2$' "$out" "port info TX queues"
lt_expect_grep '^port 1  speed 10000 Mbps  link up  pmd-speed 10000 Mbps  '\
'source pmd  last-change never$' \
	"$out" "show port speed without the plugin"
lt_expect_grep '^port 0  speed 10000  weight 10000  txqs 2  share 50.0%$' \
	"$out" "txq map by speed at startup"
lt_expect_grep '^  lcore 1  port 1  txq 1  slots 60  share 25.0%$' \
	"$out" "txq map per lcore and queue"
lt_expect_grep '^Number of packets per burst set to 16$' "$out" "set burst"
[ "$(grep -c '^nb pkt per burst must be >= 1 and <= 512$' "$out")" -eq 2 ] ||
	lt_fail "set burst 0 and 513: not both rejected"
lt_ok "set burst 0 and 513 rejected"
lt_expect_grep '^total packet length=20 < 42 - give up$' "$out" "short txpkts rejected"
lt_expect_grep '^Set io packet forwarding mode$' "$out" "set fwd io"
lt_expect_grep '^Set txonly packet forwarding mode$' "$out" "set fwd txonly"
lt_expect_grep '^Invalid port 9$' "$out" "invalid port"
lt_expect_grep '^The valid ports array is \[ 0 1 \]$' "$out" "valid ports listed"
lt_expect_grep '^Command not found$' "$out" "unknown command"
# Each malformed command of the script gives exactly one line (fourteen in
# all, four of them numbers out of range: a weight and a port past 2^64, a
# cap past 2^32, a port past 2^16).
bad_args=$(grep -c '^Bad arguments$' "$out")
[ "$bad_args" -eq 14 ] ||
	lt_fail "malformed arguments: $bad_args 'Bad arguments', expected 14"
lt_ok "malformed arguments rejected"
lt_expect_grep '^port 0  speed 10000  weight 3  txqs 2  share 75.0%$' \
	"$out" "manual weights 3:1"
# The round runs each port's bursts spread out, not in runs: at 3:1, at
# most three bursts in a row to port 0 and never two to port 1.
awk '/^lcore 1  slots 240  \(port\/txq in the order they run\)$/ { on = 1; next }
	on && /^   / { for (i = 1; i <= NF; i++) { split($i, pq, "/"); print pq[1] } next }
	on { exit }' "$out" >"$LT_DIR/order.txt"
[ "$(wc -l <"$LT_DIR/order.txt")" -eq 240 ] ||
	lt_fail "show txq schedule: $(wc -l <"$LT_DIR/order.txt") slots, expected 240"
read -r run0 run1 < <(awk '{ run = ($1 == prev) ? run + 1 : 1; prev = $1
		if (run > max[$1]) max[$1] = run }
	END { print max[0] + 0, max[1] + 0 }' "$LT_DIR/order.txt")
[ "$run0" -le 3 ] && [ "$run1" -eq 1 ] ||
	lt_fail "schedule at 3:1: runs of up to $run0 bursts to port 0, $run1 to port 1"
[ "$(grep -c '^0$' "$LT_DIR/order.txt")" -eq 180 ] ||
	lt_fail "schedule at 3:1: port 0 has not 180 of the 240 slots"
lt_ok "schedule at 3:1 interleaved (runs $run0 and $run1)"
lt_expect_grep '^port 0  speed 10000  weight 3  txqs 2  share 60.0%$' \
	"$out" "weights for port 1 alone: port 0 keeps its weight"
lt_expect_grep '^Every weight is zero: TX map unchanged$' "$out" "all-zero weights rejected"
lt_expect_grep '^txq rebalance failed: the weights add up to more than 4503599627370496$' \
	"$out" "weights over lib/txweight's sum limit (2^52) rejected"
lt_expect_grep '^Invalid port 5$' "$out" "weights on a port lagpmd does not use"
lt_expect_grep '^Port 0 given twice$' "$out" "duplicate port rejected"
lt_expect_grep '^Port 0: TX cap 5000 Mbps$' "$out" "cap set"
lt_expect_grep '^port 0  speed 10000  weight 5000  txqs 2  share 33.3%$' \
	"$out" "cap 5000 on port 0 gives 1:2"
lt_expect_grep '^Port 0: TX cap removed \(was 5000 Mbps\)$' "$out" "cap removed"
lt_expect_grep '^Port 0: no TX cap to remove$' "$out" "no cap to remove"
[ "$(grep -c '^port 0  speed 10000  weight 5  txqs 2  share 62\.5%$' "$out")" \
	-eq 2 ] || lt_fail "a 160-character weights list: not applied, or changed" \
	"by the line with a NUL byte that followed it"
lt_ok "a weights list longer than 128 characters applied"
lt_expect_grep '^Bad arguments: NUL byte in the line$' "$out" \
	"a line with a NUL byte rejected"
[ "$(grep -c '^Bad arguments: line longer than 4222 characters$' "$out")" \
	-eq 2 ] || lt_fail "not the two lines over 4222 characters refused"
lt_ok "the lines over 4222 characters rejected"
[ "$(grep -c '^Number of available ports: 2$' "$out")" -eq 2 ] ||
	lt_fail "a line of 4222 characters did not run"
lt_ok "a line of 4222 characters runs"
lt_expect_grep '^TX rebalance on link state change: on$' "$out" "auto on"
lt_expect_grep '^Warning: no forwarding port raises link state change interrupts: '\
'nothing will trigger a rebalance$' "$out" "auto on: net_null raises no LSC, said so"
lt_expect_grep '^Packet forwarding not started$' "$out" "stop before start"
lt_expect_grep '^Packet forwarding already started$' "$out" "double start"
lt_expect_grep '^txonly packet forwarding - ports=2 - cores=1 - streams=4 - ' "$out" \
	"start banner"
lt_expect_grep '^Telling cores to stop\.\.\.$' "$out" "stop output"
lt_expect_grep '^  NIC statistics for port 1 cleared$' "$out" "clear port stats all"
# The clear came while forwarding: the counters shown restart from it,
# the statistics at stop still cover the whole run (they add up).
lp_expect_tx_adds_up "$out" "short run, counters cleared in it"
lt_expect_grep 'txq rebalance auto on\|off' "$out" "help lists the new commands"
lt_expect_grep '^Bye\.\.\.$' "$out" "clean exit at quit"
# Two before quit: the first line and the one of 4222 characters.
[ "$(grep -c '^Number of available ports' "$out")" -eq 2 ] ||
	lt_fail "commands after quit were run"
lt_ok "nothing runs after quit"
lt_expect_no_grep 'lagpmd>' "$out" "no prompt echoed on a script"

# The same commands from --cmdline-file, stdin at EOF: exits after it.
out2=$LT_DIR/out2.txt
printf 'show txq map\ntxq rebalance weights 0:1,1:4\nbogus\n' >"$LT_DIR/file.txt"
# shellcheck disable=SC2046
"$LAGPMD" $(lt_eal_args file) "${vdevs[@]}" -- --cmdline-file "$LT_DIR/file.txt" \
	</dev/null >"$out2" 2>&1 || lt_fail "lagpmd --cmdline-file exited with status $?"
lt_expect_grep '^txq rebalance by weights: moved 72 of 240 slots: '\
'port 0 weight 1 share 20.0%, port 1 weight 4 share 80.0%$' \
	"$out2" "--cmdline-file runs the commands"
lt_expect_grep "^Read CLI commands from $LT_DIR/file.txt\$" "$out2" "--cmdline-file summary line"
lt_expect_grep '^Command not found$' "$out2" "--cmdline-file reports bad commands"

# A --cmdline-file that cannot be opened: said, ports closed, status 1.
status=0
# shellcheck disable=SC2046
"$LAGPMD" $(lt_eal_args nofile) "${vdevs[@]}" -- --cmdline-file "$LT_DIR/absent.txt" \
	</dev/null >"$out2" 2>&1 || status=$?
[ "$status" -eq 1 ] || lt_fail "missing --cmdline-file: exit status $status, want 1"
absent_msg="Failed to create file based cmdline context: $LT_DIR/absent.txt"
lt_expect_grep "^$absent_msg: No such file or directory\$" \
	"$out2" "missing --cmdline-file: said"
lt_expect_grep '^Bye\.\.\.$' "$out2" "missing --cmdline-file: clean exit"

# A --cmdline-file that opens but cannot be read (a directory): said,
# not announced as read, status 1.
status=0
# shellcheck disable=SC2046
"$LAGPMD" $(lt_eal_args dirfile) "${vdevs[@]}" -- --cmdline-file "$LT_DIR" \
	</dev/null >"$out2" 2>&1 || status=$?
[ "$status" -eq 1 ] || lt_fail "directory as --cmdline-file: exit status $status, want 1"
lt_expect_grep "^Failed to read $LT_DIR: Is a directory\$" "$out2" \
	"directory as --cmdline-file: said"
lt_expect_no_grep '^Read CLI commands from' "$out2" \
	"directory as --cmdline-file: not announced as read"

# Numbers are decimal, as in testpmd: 010 is ten queues, not eight.
echo 'show port info 0' >"$LT_DIR/info.txt"
# shellcheck disable=SC2046
"$LAGPMD" $(lt_eal_args decimal) "${vdevs[@]}" -- --txq=010 \
	<"$LT_DIR/info.txt" >"$out2" 2>&1 || lt_fail "--txq=010: exit status $?"
lt_expect_grep '^Current number of TX queues: 10$' "$out2" "--txq=010 is decimal"

# A port whose link comes up just after its start (a bond: its link
# follows its members') gets its weight by speed at startup: lagpmd waits
# for the links, as testpmd does, before the first rebalance.
echo 'show txq map' >"$LT_DIR/map.txt"
member=$(lt_bond_member)
# shellcheck disable=SC2046
"$LAGPMD" $(lt_eal_args bond) --vdev net_null0 --vdev net_null1 \
	--vdev "net_bonding0,mode=0,$member=net_null0,$member=net_null1" \
	--vdev net_null2 -- --ports=2,3 <"$LT_DIR/map.txt" >"$out2" 2>&1 ||
	lt_fail "bond: exit status $?"
lt_expect_grep '^Checking link statuses\.\.\.$' "$out2" "links checked at startup"
lt_expect_grep '^port 2  speed 20000  weight 20000  txqs 1  share 66\.7%$' \
	"$out2" "a bond up just after its start gets its weight by speed"

# Bad options are refused before anything runs.
# shellcheck disable=SC2046
if "$LAGPMD" $(lt_eal_args opts) "${vdevs[@]}" -- --txq 0 >"$out2" 2>&1; then
	lt_fail "--txq 0 accepted"
fi
lt_expect_grep '^Invalid txq: 0' "$out2" "bad option refused"
for list in 0, 0,0 +1 ' 1' 0,,1 64; do
	# shellcheck disable=SC2046
	if "$LAGPMD" $(lt_eal_args opts) "${vdevs[@]}" -- --ports="$list" \
			>"$out2" 2>&1; then
		lt_fail "--ports='$list' accepted"
	fi
	re=$(printf '%s' "$list" | sed 's/[+]/[+]/g')
	lt_expect_grep "^(Invalid port list: $re|Port 0 given twice in the port list: 0,0)\$" \
		"$out2" "--ports='$list' refused"
done
# A mask is hexadecimal: no sign or blank, which strtoull() would take.
for mask in -1 +3 ' 3' 3x 0; do
	# shellcheck disable=SC2046
	if "$LAGPMD" $(lt_eal_args opts) "${vdevs[@]}" -- --portmask="$mask" \
			>"$out2" 2>&1; then
		lt_fail "--portmask='$mask' accepted"
	fi
	re=$(printf '%s' "$mask" | sed 's/[+]/[+]/g')
	lt_expect_grep "^Invalid portmask: $re\$" "$out2" "--portmask='$mask' refused"
done
# --txpkts names the lengths it takes, as `set txpkts` does.
for len in 0 41 2049 70000; do
	# shellcheck disable=SC2046
	if "$LAGPMD" $(lt_eal_args opts) "${vdevs[@]}" -- --txpkts=$len \
			>"$out2" 2>&1; then
		lt_fail "--txpkts=$len accepted"
	fi
	lt_expect_grep "^Invalid txpkts: $len \(42\.\.2048\)\$" "$out2" \
		"--txpkts=$len refused"
done
# Only ports that do not exist: said so, with the valid ones.
# shellcheck disable=SC2046
if "$LAGPMD" $(lt_eal_args opts) "${vdevs[@]}" -- --portmask=4 >"$out2" 2>&1; then
	lt_fail "--portmask=4 accepted with ports 0 and 1"
fi
lt_expect_grep '^Invalid port in the port list or mask$' "$out2" "--portmask of absent ports"
lt_expect_grep '^The valid ports array is \[ 0 1 \]$' "$out2" "--portmask: valid ports listed"

# Signals, as testpmd: SIGINT while the command line waits for input,
# SIGTERM in the middle of a `sleep`. The tool says so, stops forwarding
# (printing the statistics), closes its ports and exits with status 0.
for sig in INT:2 TERM:15; do
	name=SIG${sig%:*}
	out3=$LT_DIR/$name.txt
	cmds=(start "sleep 300" "show port stats all")
	[ "$name" = SIGINT ] || cmds+=("sleep 600000")
	rm -f "$LT_DIR/cmd.fifo"
	lp_start "$out3" "$name" "${vdevs[@]}" --
	lp_cmd "${cmds[@]}"
	lt_wait_grep 'NIC statistics for port 1 ' "$out3" 20 "$name: forwarding"
	kill -"${sig%:*}" "$LP_PID"
	lt_wait_exit "$LP_PID" 20 "$name"
	exec 3>&-
	[ "$LT_STATUS" -eq 0 ] || lt_fail "$name: exit status $LT_STATUS"
	lt_ok "$name: exit status 0"
	lt_expect_grep "^Signal ${sig#*:} received, preparing to exit\.\.\.\$" "$out3" \
		"$name: announced"
	lt_expect_grep '^Telling cores to stop\.\.\.$' "$out3" "$name: forwarding stopped"
	lp_expect_tx_adds_up "$out3" "$name"
	lt_expect_grep '^Closing port 1\.\.\.$' "$out3" "$name: ports closed"
	lt_expect_grep '^Bye\.\.\.$' "$out3" "$name: clean exit"
done
