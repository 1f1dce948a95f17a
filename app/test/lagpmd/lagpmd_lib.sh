# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The lagspeed authors
#
# shellcheck shell=bash
# Helpers for the dpdk-lagpmd tests: sourced after common.sh, never run.
# lagpmd reads its commands from a FIFO the test writes to, so that the
# test can act between commands (change the emulator, wait for output).

LAGPMD=${1:?usage: $0 PATH_TO_DPDK_LAGPMD}

# lp_start OUT EAL_TAG [EAL and tool args...]: run lagpmd in the background
# with its output (stdout and stderr) in OUT; commands go to fd 3.
lp_start() {
	local out=$1 tag=$2
	shift 2
	mkfifo "$LT_DIR/cmd.fifo"
	# shellcheck disable=SC2046
	"$LAGPMD" $(lt_eal_args "$tag") "$@" <"$LT_DIR/cmd.fifo" >"$out" 2>&1 &
	LP_PID=$!
	LT_PIDS+=("$LP_PID")
	exec 3>"$LT_DIR/cmd.fifo"
}

# lp_cmd LINE...: send command lines.
lp_cmd() {
	local l
	for l in "$@"; do
		printf '%s\n' "$l" >&3
	done
}

# lp_finish SECONDS: send quit, close the FIFO, wait for a clean exit.
lp_finish() {
	lp_cmd quit
	exec 3>&-
	lt_wait_exit "$LP_PID" "$1" "lagpmd at quit"
	[ "$LT_STATUS" -eq 0 ] || lt_fail "lagpmd exited with status $LT_STATUS"
}

# lp_sim_host: the emulated host of the plugin tests, in $LT_DIR/sim:
# mlx5_0 a VF of group G (2 x 100G PFs, 200G), mlx5_1 a 100G VF, bound to
# net_null0 and net_null1 by $LAGSPEED.
lp_sim_host() {
	export IBVSIM_DIR=$LT_DIR/sim
	mkdir -p "$IBVSIM_DIR"
	lt_ibvsim group G --pf 100000,100000
	lt_ibvsim device mlx5_0 --group G --type vf
	lt_ibvsim device mlx5_1 --speed 100000 --type vf
	export LAGSPEED="ibverbs=$IBVSIM_LIB,bind=net_null0@mlx5_0:1,bind=net_null1@mlx5_1:1"
}

# lp_tx_deltas OUT [N]: "port delta" for each port, the TX-packets
# difference between `show port stats all` outputs N-1 and N in OUT
# (default: the last two).
lp_tx_deltas() {
	awk -v want="${2:-0}" '/NIC statistics for port/ { p = $6; next }
		/TX-packets:/ && p != "" {
			n[p]++
			if (want == 0 || n[p] <= want) {
				prev[p] = last[p]; last[p] = $2; k[p] = n[p]
			}
			p = ""
		}
		END { for (q in last) if (k[q] >= 2) print q, last[q] - prev[q] }' \
		"$1" | sort -n
}

# lp_expect_shares OUT WHAT PCT0 PCT1...: each port's share of the TX
# delta (snapshots $LP_SNAP-1 and $LP_SNAP, default the last two) is within
# 2 points (absolute) of the expected percentage.
lp_expect_shares() {
	local out=$1 what=$2
	shift 2
	local deltas
	deltas=$(lp_tx_deltas "$out" "${LP_SNAP:-0}")
	echo "TX deltas ($what):"
	echo "$deltas"
	if ! echo "$deltas" | awk -v want="$*" '
		BEGIN { n = split(want, e, " ") }
		{ port[NR] = $1; d[NR] = $2; tot += $2 }
		END {
			if (NR != n || tot <= 0) exit 1
			for (i = 1; i <= NR; i++) {
				s = 100 * d[i] / tot
				printf "port %s share %.2f%% (expected %s%%)\n",
					port[i], s, e[i]
				if (s - e[i] > 2 || e[i] - s > 2) bad = 1
			}
			exit bad
		}'; then
		lt_fail "$what: TX shares off by more than 2 points"
	fi
	lt_ok "$what: TX shares within 2 points of $*"
}

# lp_expect_tx_adds_up OUT WHAT: the stop summary's accumulated TX-packets
# equals what lagpmd generated, and nothing was dropped.
lp_expect_tx_adds_up() {
	local out=$1 what=$2 line
	line=$(awk '/Accumulated forward statistics/ { acc = 1; next }
		acc && /TX-packets:/ { tx = $2; drop = $4; acc = 0 }
		/lagpmd generated:/ { gen = $3; sent = $6; freed = $9 }
		END { print tx + 0, drop + 0, gen + 0, sent + 0, freed + 0 }' \
		"$out" | tr -d ',')
	echo "TX ports/dropped/generated/sent/freed: $line"
	# shellcheck disable=SC2086
	set -- $line
	[ "$3" -gt 0 ] || lt_fail "$what: nothing generated"
	[ "$1" -eq "$3" ] || lt_fail "$what: ports sent $1, lagpmd generated $3"
	[ "$4" -eq "$3" ] || lt_fail "$what: lagpmd sent $4 of $3"
	[ "$2" -eq 0 ] && [ "$5" -eq 0 ] || lt_fail "$what: $2 dropped"
	lt_ok "$what: TX counts add up ($3 packets, none lost)"
}
