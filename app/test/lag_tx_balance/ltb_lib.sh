# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The lagspeed authors
#
# shellcheck shell=bash
# Helpers for the dpdk-lag_tx_balance tests: sourced after common.sh.

LTB_APP=$LAGSPEED_BUILD_DIR/examples/lag_tx_balance/dpdk-lag_tx_balance
[ -x "$LTB_APP" ] || {
	echo "skip: dpdk-lag_tx_balance is not built"
	exit 77
}

# ltb_start TAG LOG [ENV=VALUE...] -- [EAL args] -- [app args]: run the
# example in the background with the test's EAL arguments; sets LTB_PID.
ltb_start() {
	local tag=$1 log=$2
	shift 2
	local envs=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		envs+=("$1")
		shift
	done
	shift
	# shellcheck disable=SC2046
	env "${envs[@]}" "$LTB_APP" $(lt_eal_args "$tag") "$@" >"$log" 2>&1 &
	LTB_PID=$!
	LT_PIDS+=("$LTB_PID")
}

# ltb_t0 LOG: wait for traffic to start (the example started last);
# print t=0 as UNIX time.
ltb_t0() {
	local t0="" deadline=$((SECONDS + 20))
	while [ "$SECONDS" -lt "$deadline" ]; do
		t0=$(sed -n 's/.*t=0 is UNIX time \([0-9.]*\).*/\1/p' "$1" 2>/dev/null |
			head -n 1)
		[ -n "$t0" ] && break
		kill -0 "$LTB_PID" 2>/dev/null || break
		sleep 0.05
	done
	if [ -z "$t0" ]; then
		tail -n 40 "$1" >&2
		lt_fail "traffic did not start"
	fi
	echo "$t0"
}

# ltb_since T0 T: seconds from T0 to T (both UNIX times), as a decimal.
# Take T with $EPOCHREALTIME: no process is started to read the clock.
ltb_since() {
	awk -v t0="$1" -v t="$2" 'BEGIN { printf "%.6f\n", t - t0 }'
}

# ltb_model_time BEFORE AFTER: when the emulated hardware changed, as UNIX
# time, for a change ibvsim-ctl made between BEFORE and AFTER: the mtime of
# $IBVSIM_DIR/model, which ibvsim-ctl rewrites as it applies a change (how
# long the tool itself took to start, which a loaded machine stretches to
# a tenth of a second and more, is then not counted against the example).
# File times come from the kernel's coarse clock, a tick behind at most:
# that only makes the change look earlier. Without a usable mtime: BEFORE.
ltb_model_time() {
	local mtime
	mtime=$(stat -c %.9Y "$IBVSIM_DIR/model" 2>/dev/null) || mtime=""
	awk -v b="$1" -v a="$2" -v m="$mtime" 'BEGIN {
		printf "%.6f\n", (m != "" && m + 0.02 >= b && m <= a) ? m : b }'
}

# ltb_wait_traffic CSV FROM PKTS SECONDS WHAT: wait until the CSV's
# intervals that start at or after FROM (seconds since t=0) span at least
# half a second and carry at least PKTS packets: a measurement window
# that does not depend on how much CPU the example got meanwhile.
ltb_wait_traffic() {
	local deadline=$((SECONDS + $4))
	while [ "$SECONDS" -lt "$deadline" ]; do
		kill -0 "$LTB_PID" 2>/dev/null || lt_fail "$5: the example died"
		if awk -F, -v from="$2" -v want="$3" '
			NR > 1 && $1 != cur { prev = cur; cur = $1 }
			NR > 1 && prev != "" && prev + 0 >= from {
				pkts += $5; last = $1
			}
			END { exit !(pkts >= want && last - from >= 0.5) }' "$1" \
			2>/dev/null; then
			lt_ok "$5"
			return 0
		fi
		sleep 0.05
	done
	tail -n 20 "$1" >&2
	lt_fail "$5: not within $4 s"
}

# ltb_stop PID LOG WHAT: SIGTERM, then the exit status must be 0 and the
# final summary printed.
ltb_stop() {
	local pid=$1 log=$2
	kill -TERM "$pid" 2>/dev/null || lt_fail "$3: the example died early"
	lt_wait_exit "$pid" 20 "$3: SIGTERM"
	if [ "$LT_STATUS" -ne 0 ]; then
		tail -n 40 "$log" >&2
		lt_fail "$3: exit status $LT_STATUS after SIGTERM"
	fi
	lt_ok "$3: exit status 0 after SIGTERM"
	lt_expect_grep '==== lag_tx_balance summary' "$log" "$3: final summary"
	lt_expect_grep '^Bye' "$log" "$3: ports closed, EAL cleaned up"
}

# ltb_check_totals CSV LOG WHAT: the CSV's intervals add up to the
# summary's per-port totals (no packet lost between rows).
ltb_check_totals() {
	local csv_sums log_sums
	csv_sums=$(awk -F, 'NR > 1 { p[$2] += $5; b[$2] += $6 }
		END { for (k in p) printf "%d %.0f %.0f\n", k, p[k], b[k] }' "$1" | sort -n)
	log_sums=$(awk '/==== lag_tx_balance summary/ { s = 1; next }
		s && $1 ~ /^[0-9]+$/ { print $1, $2, $3 }
		s && $1 == "total" { exit }' "$2" | sort -n)
	[ -n "$csv_sums" ] && [ "$csv_sums" = "$log_sums" ] || {
		echo "CSV sums: $csv_sums" >&2
		echo "summary:  $log_sums" >&2
		lt_fail "$3: CSV intervals do not add up to the summary"
	}
	lt_ok "$3: CSV intervals add up to the summary"
}

# ltb_check_no_drops LOG WHAT: the summary's total dropped and oerrors
# columns are 0, and no packet lacked a port.
ltb_check_no_drops() {
	lt_expect_grep '^  total +[0-9]+ +[0-9]+ +[0-9.]+ +[0-9.]+ +0 +0$' "$1" \
		"$2: no TX drops, no oerrors"
	lt_expect_grep 'no-port drops 0,' "$1" "$2: no packet without a port"
}

# ltb_check_shares CSV FROM TO TOL MIN_WINDOWS WHAT: the CSV's intervals
# that start at or after FROM and end at or before TO (seconds since t=0)
# are taken in order and merged into windows of at least LTB_WINDOW_PKTS
# packets (default 20000; a window never spans a change of weights). In
# every window each port's share of packets is within TOL percentage
# points of its share of the weights (both from the CSV). At least
# MIN_WINDOWS windows must be checked. The window size keeps the
# statistical wobble of a partial round of flows (a few tens of packets)
# well below TOL whatever CPU time the example got in each interval.
ltb_check_shares() {
	local out
	out=$(awk -F, -v from="$2" -v to="$3" -v tol="$4" -v min_win="$5" \
		-v win_pkts="${LTB_WINDOW_PKTS:-20000}" '
	NR == 1 { next }
	{
		# A new interval: a new time, or a port seen again (the final
		# row can have the same millisecond as the one before).
		t = $1
		if (t != cur || ($2 in inrow)) {
			interval_end()
			prev = cur
			cur = t
			n = 0
			delete inrow
		}
		inrow[$2] = 1
		port[n] = $2; weight[n] = $4; pkts[n] = $5; n++
	}
	# Add the interval just read to the window, or start a new one.
	function interval_end(   i, key) {
		if (cur == "" || prev == "" || prev + 0 < from || cur + 0 > to)
			return
		key = ""
		for (i = 0; i < n; i++)
			key = key port[i] ":" weight[i] " "
		if (key != wkey)
			window_start(key, prev)
		for (i = 0; i < n; i++) {
			wport[i] = port[i]; wweight[i] = weight[i]
			wpkts[i] += pkts[i]; wsum += pkts[i]
		}
		wn = n
		wend = cur
		if (wsum >= win_pkts)
			window_start(key, cur)
	}
	# Check the window in progress (if full), then start an empty one.
	function window_start(key, begin,   i, sw, d) {
		if (wsum >= win_pkts) {
			sw = 0
			for (i = 0; i < wn; i++)
				sw += wweight[i]
			if (sw > 0) {
				checked++
				for (i = 0; i < wn; i++) {
					d = 100 * wpkts[i] / wsum - 100 * wweight[i] / sw
					if (d < 0)
						d = -d
					if (d > worst)
						worst = d
					if (d > tol) {
						printf "BAD window %s..%s port %s:", \
							wbegin, wend, wport[i]
						printf " share %.2f%% vs weight share %.2f%%\n", \
							100 * wpkts[i] / wsum, 100 * wweight[i] / sw
						bad++
					}
				}
			}
		}
		for (i = 0; i < wn; i++)
			wpkts[i] = 0
		wsum = 0
		wkey = key
		wbegin = begin
	}
	END {
		interval_end()
		printf "checked %d windows of >= %d packets, worst deviation %.3f points\n",
			checked, win_pkts, worst
		if (bad || checked < min_win)
			exit 1
	}' "$1") || {
		echo "$out" >&2
		lt_fail "$6"
	}
	lt_ok "$6 ($(echo "$out" | tail -n 1))"
}

# ltb_weights_at CSV T: the weights of all ports at the first row at or
# after T, as "w0 w1 ...".
ltb_weights_at() {
	awk -F, -v t="$2" 'NR > 1 && $1 + 0 >= t {
		if (cur == "") cur = $1
		if ($1 != cur) exit
		printf "%s%s", sep, $4; sep = " "
	} END { print "" }' "$1"
}
