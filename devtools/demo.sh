#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The lagspeed authors
#
# The lagspeed demo, on an emulated host (no NIC needed):
#
#   lag0: a VF-LAG group of 2 x 100G PFs (internal loopback max 50G)
#   lag1: a group of 1 x 100G PF
#   mlx5_0: a VF on lag0, mlx5_1: a VF on lag1
#
# dpdk-lag_tx_balance runs on two net_null ports that the lagspeed plugin
# binds to those VFs, so the ports report the VFs' effective speeds. On a
# schedule, PFs of lag0 go down and come back (ibvsim-ctl); the example
# prints each LSC event, the new weights and the shares following them.
# At the end, the per-port throughput and link speed are plotted (PNG).
#
# Usage: devtools/demo.sh BUILD_DIR
#   DEMO_FAST=1   a 4-second run (for tests)
#   DEMO_OUT=DIR  where to write the CSV, log and PNG (default BUILD_DIR/demo)

set -eu

die() {
	echo "demo: error: $*" >&2
	exit 1
}

[ $# -eq 1 ] || {
	echo "usage: $0 BUILD_DIR" >&2
	exit 2
}
build=$(cd "$1" 2>/dev/null && pwd) || die "no build directory $1"
top=$(cd "$(dirname "$0")/.." && pwd)
out=${DEMO_OUT:-$build/demo}

# find_built NAME: the first file called NAME in the build tree.
find_built() {
	find "$build" -name "$1" -type f -not -path '*/test-scratch.*' \
		-not -path "$out/*" 2>/dev/null | sort | head -n 1
}

app=$build/examples/lag_tx_balance/dpdk-lag_tx_balance
plugin=$(find_built librte_net_mlx5_lagspeed.so)
ibvsim_lib=$(find_built libibvsim.so)
ibvsim_ctl=$(find_built ibvsim-ctl)

[ -x "$app" ] || die "$app is not built (build the tree: ninja -C $build)"
[ -n "$plugin" ] || die "the lagspeed plugin (librte_net_mlx5_lagspeed.so) is not built in $build"
[ -n "$ibvsim_lib" ] ||
	die "the verbs emulator (libibvsim.so) is not built in $build (option ibverbs_emulator)"
[ -n "$ibvsim_ctl" ] && [ -x "$ibvsim_ctl" ] || die "ibvsim-ctl is not built in $build"
command -v gnuplot >/dev/null || die "gnuplot not found (Debian: apt-get install gnuplot-nox)"
[ "$(nproc)" -ge 2 ] || die "needs at least 2 CPUs (one sends, one prints)"

if [ "${DEMO_FAST:-0}" = 1 ]; then
	step=1 interval_ms=100
else
	step=5 interval_ms=250
fi
duration=$((4 * step))

# A directory the user named keeps its mode; one made here is 755.
if [ ! -d "$out" ]; then
	mkdir -p "$out" || die "cannot make $out"
	chmod 755 "$out"
fi
csv=$out/lag_tx_balance.csv
log=$out/lag_tx_balance.log
png=$out/lag_tx_balance.png
rm -f "$csv" "$log" "$png"

# emulator_state_only DIR: DIR holds nothing but an emulator's state
# (what an earlier demo left), so it can go.
emulator_state_only() {
	local f
	for f in "$1"/* "$1"/.[!.]*; do
		[ -e "$f" ] || continue
		case ${f##*/} in
		model | model.tmp | lock | ctx) ;;
		*) return 1 ;;
		esac
	done
}

# The emulated host: a fresh model directory.
export IBVSIM_DIR=$out/ibvsim
if [ -e "$IBVSIM_DIR" ]; then
	[ -d "$IBVSIM_DIR" ] && emulator_state_only "$IBVSIM_DIR" ||
		die "$IBVSIM_DIR is not an emulated host the demo left: choose another DEMO_OUT"
	rm -rf "$IBVSIM_DIR"
fi
mkdir -p "$IBVSIM_DIR"

bold=""
plain=""
if [ -t 1 ]; then
	bold=$(tput bold 2>/dev/null || true)
	plain=$(tput sgr0 2>/dev/null || true)
fi
# say TITLE [DETAIL...]: a step of the demo, in bold, details below it.
say() {
	printf '\n%s==> %s%s\n' "$bold" "$1" "$plain"
	shift
	[ $# -eq 0 ] || printf '    %s\n' "$@"
}

ctl() {
	"$ibvsim_ctl" "$@" >/dev/null || die "ibvsim-ctl $* failed"
}

say "Emulated host in $IBVSIM_DIR: lag0 = 2 x 100G (loopback max 50G), lag1 = 1 x 100G"
ctl group lag0 --pf 100000,100000 --max 50000
ctl group lag1 --pf 100000 --max 100000
ctl device mlx5_0 --group lag0 --type vf
ctl device mlx5_1 --group lag1 --type vf
"$ibvsim_ctl" show || die "ibvsim-ctl show failed"

say "Starting dpdk-lag_tx_balance for ${duration} s" \
	"port 0 = net_null0 on VF mlx5_0 (lag0), port 1 = net_null1 on VF mlx5_1 (lag1)" \
	"expect weights 200000:100000, i.e. shares 66.7% / 33.3%"

# The example's output goes to the terminal and to the log, which tells
# when traffic started. tee ignores the terminal's Ctrl-C: it must stay to
# carry the summary the example prints when this script stops it.
LAGSPEED="ibverbs=$ibvsim_lib,bind=net_null0@mlx5_0:1,bind=net_null1@mlx5_1:1" \
	"$app" -l 0-1 --no-huge -m 512 --no-pci \
	--file-prefix "lagspeed_demo_$$" --log-level=lib.eal:error \
	-d "$plugin" --vdev net_null0 --vdev net_null1 -- \
	--duration "$duration" --interval-ms "$interval_ms" --csv "$csv" \
	> >(trap '' INT; exec tee "$log") 2>&1 &
app_pid=$!
# Interrupted: stop the example cleanly (it prints its summary), then quit.
on_signal() {
	kill -TERM "$app_pid" 2>/dev/null || true
	wait "$app_pid" 2>/dev/null || true
	exit 130
}
# On exit: stop the example if still running, and remove the runtime
# directory EAL leaves behind for its file prefix (~6 MB).
eal_runtime=/var/run/dpdk
[ "$(id -u)" -eq 0 ] || eal_runtime=${XDG_RUNTIME_DIR:-/tmp}/dpdk
trap 'kill -TERM $app_pid 2>/dev/null || true; rm -rf "$eal_runtime/lagspeed_demo_$$"' EXIT
trap on_signal INT TERM

# t0: the example's "t=0 is UNIX time X" line.
t0=""
for _ in $(seq 1 200); do
	t0=$(sed -n 's/.*t=0 is UNIX time \([0-9.]*\).*/\1/p' "$log" 2>/dev/null | head -n 1)
	[ -n "$t0" ] && break
	kill -0 "$app_pid" 2>/dev/null || break
	sleep 0.1
done
[ -n "$t0" ] || {
	wait "$app_pid" || true
	die "dpdk-lag_tx_balance did not start (see $log)"
}

# at T: sleep until T seconds after t0.
at() {
	local wait_s
	wait_s=$(awk -v t0="$t0" -v t="$1" -v now="$(date +%s.%N)" \
		'BEGIN { d = t0 + t - now; print (d > 0 ? d : 0) }')
	sleep "$wait_s"
}

at "$step"
say "t=${step}s: PF 1 of lag0 goes down" \
	"mlx5_0 drops to 100G; expect weights 100000:100000, shares 50% / 50%"
ctl pf lag0 1 down

at $((2 * step))
say "t=$((2 * step))s: PF 0 of lag0 goes down too" \
	"no PF of lag0 is up: mlx5_0 reports the group's internal loopback max, 50G" \
	"expect weights 50000:100000, shares 33.3% / 66.7%"
ctl pf lag0 0 down

at $((3 * step))
say "t=$((3 * step))s: both PFs of lag0 come back" \
	"mlx5_0 returns to 200G (via 100G: one event per PF)" \
	"expect weights 200000:100000, shares 66.7% / 33.3%"
ctl pf lag0 0 up
ctl pf lag0 1 up

status=0
wait "$app_pid" || status=$?
trap - EXIT INT TERM
rm -rf "$eal_runtime/lagspeed_demo_$$"
sleep 0.2	# let tee drain
[ "$status" -eq 0 ] || die "dpdk-lag_tx_balance exited with status $status (see $log)"

say "Plotting $csv"
"$top/devtools/plot-throughput.sh" "$csv" "$png" \
	"lag_tx_balance on an emulated VF-LAG host: PFs of lag0 down at ${step}s and \
$((2 * step))s, up at $((3 * step))s" \
	>/dev/null || die "plotting failed"
say "Plot: $png"
echo "    CSV: $csv"
echo "    log: $log"
