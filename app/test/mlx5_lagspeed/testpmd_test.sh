#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The lagspeed authors
#
# Debian's stock dpdk-testpmd loads the plugin with -d; the emulator plays
# a VF on a 2 x 100G VF-LAG group (internal maximum 50G), a legacy device
# and a VF on a 2 x 10G group (for net_ring, which can set its link down;
# and for net_tap, whose netdev `ip link` sets down, where the host lets
# this test make one). testpmd is driven through its interactive prompt,
# without LSC interrupts: every read asks the PMD.

. "$LAGSPEED_TEST_LIB"
lt_need DPDK_TESTPMD IBVSIM_LIB IBVSIM_CTL LAGSPEED_PLUGIN

export IBVSIM_DIR="$LT_DIR/sim"
mkdir -p "$IBVSIM_DIR"
lt_ibvsim group g --pf 100000,100000 --max 50000
lt_ibvsim device mlx5_0 --group g --type vf
lt_ibvsim device mlx5_1 --speed 25000 --legacy
lt_ibvsim group g2 --pf 10000,10000
lt_ibvsim device mlx5_2 --group g2 --type vf
lt_ibvsim device mlx5_3 --group g2 --type vf

vdevs=(--vdev net_null0 --vdev net_null1 --vdev net_ring0)
binds="bind=net_null0@mlx5_0:1,bind=net_null1@mlx5_1:1,bind=net_ring0@mlx5_2:1"
tap="lstap$$"
if [ -n "${LAGSPEED_NET_TAP:-}" ] && [ "$(id -u)" -eq 0 ] &&
		[ -c /dev/net/tun ] && command -v ip >/dev/null &&
		ip tuntap add dev "$tap" mode tap 2>/dev/null; then
	ip tuntap del dev "$tap" mode tap
	vdevs+=(--vdev "net_tap0,iface=$tap")
	binds+=",bind=net_tap0@mlx5_3:1"
else
	tap=""
	echo "note: no TAP device here (net_tap in DPDK, root, /dev/net/tun, ip):" \
		"net_tap part left out"
fi

log="$LT_DIR/testpmd.log"
fifo="$LT_DIR/stdin"
mkfifo "$fifo"
prefix=$(lt_prefix tp)
# testpmd's stdout is a file here: line-buffer it (coreutils' stdbuf
# library, loaded after any sanitizer runtime) to follow it live.
stdbuf_lib=/usr/libexec/coreutils/libstdbuf.so
[ -e "$stdbuf_lib" ] || { echo "skip: $stdbuf_lib missing"; exit 77; }
# shellcheck disable=SC2046
LD_PRELOAD="$stdbuf_lib" _STDBUF_O=L \
LAGSPEED="ibverbs=$IBVSIM_LIB,$binds" \
	lt_foreign timeout 60 "$DPDK_TESTPMD" $(lt_eal_args tp) \
	-d "$LAGSPEED_PLUGIN" "${vdevs[@]}" \
	-- -i --total-num-mbufs=2048 --no-lsc-interrupt <"$fifo" >"$log" 2>&1 &
tp_pid=$!
LT_PIDS+=("$tp_pid")
exec 3>"$fifo"
lt_wait_grep 'testpmd> ' "$log" 20 "testpmd is up with the plugin"

# lsc_count [PORT]: link-state-change lines of PORT (0) so far.
lsc_count() { grep -c "Port ${1:-0}: link state change event" "$log"; }

# show PORT: run `show port info PORT`, print "STATUS SPEED" of its answer.
show() {
	local n deadline
	n=$(grep -c '^Link speed:' "$log")
	echo "show port info $1" >&3
	deadline=$((SECONDS + 10))
	while [ "$(grep -c '^Link speed:' "$log")" -le "$n" ]; do
		[ "$SECONDS" -lt "$deadline" ] || lt_fail "no answer to show port info $1"
		sleep 0.05
	done
	echo "$(grep '^Link status:' "$log" | tail -n 1 | awk '{print $3}')" \
		"$(grep '^Link speed:' "$log" | tail -n 1 | cut -d' ' -f3-)"
}

expect_show() {
	local got
	got=$(show "$1") || lt_fail "$3: no answer from testpmd"
	[ "$got" = "$2" ] || lt_fail "$3: port $1 shows '$got', want '$2'"
	lt_ok "$3: port $1 shows $2"
}

# expect_lsc N WHAT [PORT]: exactly N link-state-change lines of PORT (0).
expect_lsc() {
	local deadline=$((SECONDS + 10)) port=${3:-0}
	while [ "$(lsc_count "$port")" -lt "$1" ]; do
		[ "$SECONDS" -lt "$deadline" ] ||
			lt_fail "$2: $(lsc_count "$port") LSC events, want $1"
		sleep 0.05
	done
	sleep 0.3
	[ "$(lsc_count "$port")" -eq "$1" ] ||
		lt_fail "$2: $(lsc_count "$port") LSC events, want $1"
	lt_ok "$2: testpmd printed its link state change event ($1 in all)"
}

expect_show 0 "up 200 Gbps" "VF on 2x100G"
lt_ibvsim pf g 1 down
expect_lsc 1 "one PF down"
expect_show 0 "up 100 Gbps" "one PF down"

if [ -n "${DPDK_TELEMETRY:-}" ] && command -v python3 >/dev/null; then
	tel=$(printf '%s\n' /lagspeed/ports /lagspeed/port,0 /lagspeed/port,1 \
		/lagspeed/port,7 /lagspeed/port,0x /lagspeed/port,+1 |
		timeout 10 python3 "$DPDK_TELEMETRY" -f "$prefix" 2>&1)
	echo "$tel" > "$LT_DIR/telemetry.out"
	lt_expect_grep '"/lagspeed/ports": \[\s*0,\s*1,\s*2\s*(,\s*3\s*)?\]' \
		"$LT_DIR/telemetry.out" "telemetry lists the ports the plugin knows"
	# The legacy device's port is known, not extended: the PMD's speeds.
	lt_expect_grep '"port_id": 1, .*"state": "unsupported"' \
		"$LT_DIR/telemetry.out" "telemetry: port 1 unsupported"
	# Port 0's record alone: port 1's has a pmd_speed of 10000 too.
	grep -F '"port_id": 0,' "$LT_DIR/telemetry.out" > "$LT_DIR/telemetry-0.out" || true
	for kv in '"effective_speed": 100000' '"pmd_speed": 10000' \
			'"ib_device": "mlx5_0"' '"state": "active"' \
			'"lsc_callbacks": 1' '"changes": 1'; do
		lt_expect_grep "$kv[,}]" "$LT_DIR/telemetry-0.out" "telemetry port 0 $kv"
	done
	# A port the plugin does not know, and malformed ids: no answer.
	[ "$(grep -c '"/lagspeed/port": null' "$LT_DIR/telemetry.out")" -eq 3 ] ||
		lt_fail "telemetry: /lagspeed/port,7, ,0x or ,+1 answered"
	lt_ok "telemetry: /lagspeed/port,7, ,0x and ,+1 refused"
fi

lt_ibvsim pf g 0 down
expect_lsc 2 "all PFs down"
expect_show 0 "up 50 Gbps" "all PFs down, VF up: internal maximum"
lt_ibvsim set mlx5_0 down
expect_lsc 3 "VF down"
expect_show 0 "down None" "VF down"
lt_ibvsim set mlx5_0 up
expect_lsc 4 "VF up"
lt_ibvsim pf g 0 up
expect_lsc 5 "PF 0 up"
lt_ibvsim pf g 1 up
expect_lsc 6 "PF 1 up"
expect_show 0 "up 200 Gbps" "all up again"
expect_show 1 "up 10 Gbps" "legacy device: net_null's own speed"
unsupported='mlx5_lagspeed: port 1 \(net_null1\): mlx5_1:1 has no effective speed'
unsupported+=' \(Operation not supported\)'
lt_expect_grep "$unsupported" \
	"$log" "one INFO line for the legacy device"
[ "$(grep -c 'has no effective speed' "$log")" -eq 1 ] ||
	lt_fail "the legacy device is logged more than once"
lt_expect_no_grep 'Port 1: link state change event' "$log" \
	"no LSC on the legacy port"

# The application holds a link down (set link-down) while the VF is down:
# net_ring writes its link's state alone, "down" over the plugin's down.
# The VF coming back must not raise that link, nor call anyone; set
# link-up brings it back with the group's speed, without an event.
expect_show 2 "up 20 Gbps" "VF on 2x10G"
lt_ibvsim set mlx5_2 down
expect_lsc 1 "port 2: VF down" 2
echo "set link-down port 2" >&3
# A link the PMD reports down is shown as it reports it (its speed kept).
expect_show 2 "down 10 Gbps" "port 2: link set down"
lt_ibvsim set mlx5_2 up
expect_lsc 1 "port 2: VF up while its link is set down" 2
expect_show 2 "down 10 Gbps" "port 2: VF up while its link is set down"
echo "set link-up port 2" >&3
expect_show 2 "up 20 Gbps" "port 2: link set up"
expect_lsc 1 "port 2: link set up" 2

# A netdev set down by the operator while the VF is down: net_tap's
# link_update writes its link's state alone, "down" over the plugin's
# down, which shows nothing. When the VF comes back the plugin lays the
# group's speed over the link it last saw up, and raises LSC; the next
# read, whose link_update writes "down" over that, shows the netdev's
# state (the guide's Limits).
if [ -n "$tap" ]; then
	expect_show 3 "up 20 Gbps" "VF on 2x10G over net_tap"
	lt_ibvsim set mlx5_3 down
	expect_lsc 1 "port 3: VF down" 3
	ip link set dev "$tap" down || lt_fail "ip link set $tap down"
	expect_show 3 "down None" "port 3: netdev set down"
	lt_ibvsim set mlx5_3 up
	expect_lsc 2 "port 3: VF up while its netdev is down" 3
	expect_show 3 "down 10 Gbps" "port 3: VF up while its netdev is down"
	ip link set dev "$tap" up || lt_fail "ip link set $tap up"
	expect_show 3 "up 20 Gbps" "port 3: netdev set up"
fi

lt_expect_no_grep 'Invalid port_id' "$log" \
	"the plugin makes ethdev log no 'Invalid port_id'"

echo quit >&3
exec 3>&-
wait "$tp_pid" || lt_fail "testpmd exited with $?"
lt_ok "testpmd quits cleanly"
