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

# ltb_now_since T0: seconds since T0 (UNIX time), as a decimal.
ltb_now_since() {
	awk -v t0="$1" -v now="$(date +%s.%N)" 'BEGIN { printf "%.6f\n", now - t0 }'
}

# ltb_stop PID LOG WHAT: SIGTERM, then the exit status must be 0 and the
# final summary printed.
ltb_stop() {
	local pid=$1 log=$2 status=0
	kill -TERM "$pid" 2>/dev/null || lt_fail "$3: the example died early"
	wait "$pid" || status=$?
	if [ "$status" -ne 0 ]; then
		tail -n 40 "$log" >&2
		lt_fail "$3: exit status $status after SIGTERM"
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

# ltb_check_shares CSV FROM TO TOL MIN_ROWS WHAT: every interval that
# starts at or after FROM and ends at or before TO (seconds since t=0),
# with enough packets to measure, has each port's share of packets within
# TOL percentage points of its share of the weights (both from the CSV).
# At least MIN_ROWS intervals must be checked.
ltb_check_shares() {
	local out
	out=$(awk -F, -v from="$2" -v to="$3" -v tol="$4" -v min_rows="$5" '
	NR == 1 { next }
	{
		# A new interval: a new time, or a port seen again (the final
		# row can have the same millisecond as the one before).
		t = $1
		if (t != cur || ($2 in inrow)) {
			flush()
			prev = cur
			cur = t
			n = 0
			delete inrow
		}
		inrow[$2] = 1
		port[n] = $2; weight[n] = $4; pkts[n] = $5; n++
	}
	function flush(   i, sw, sp, d) {
		if (cur == "" || prev == "" || prev + 0 < from || cur + 0 > to)
			return
		sw = 0; sp = 0
		for (i = 0; i < n; i++) { sw += weight[i]; sp += pkts[i] }
		if (sp < 2000 || sw == 0)
			return
		checked++
		for (i = 0; i < n; i++) {
			d = 100 * pkts[i] / sp - 100 * weight[i] / sw
			if (d < 0)
				d = -d
			if (d > worst)
				worst = d
			if (d > tol) {
				printf "BAD interval %s..%s port %s: share %.2f%%", \
					prev, cur, port[i], 100 * pkts[i] / sp
				printf " vs weight share %.2f%%\n", \
					100 * weight[i] / sw
				bad++
			}
		}
	}
	END {
		flush()
		printf "checked %d intervals, worst deviation %.3f points\n",
			checked, worst
		if (bad || checked < min_rows)
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
