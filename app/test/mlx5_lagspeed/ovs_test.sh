#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The lagspeed authors
#
# Debian's OVS-DPDK (ovs-vswitchd-dpdk, Open vSwitch 3.1) loads the plugin
# through other_config:dpdk-extra, as the guide says, and probes its ports
# itself from their dpdk-devargs (for the plugin, a hotplug). The emulator
# plays a VF on 2 x 50G PFs behind net_null0 (p0) and one on 2 x 100G
# behind net_null1 (p1); net_null2 (p2) is left to net_null. What an
# operator sees in the Interface table, and each of the guide's OVS 3.1
# limits:
# - p2 shows net_null's 10G; p0 the group's 100G, kept when OVS
#   reconfigures the port (MTU, RX queues), and again once the port is
#   deleted (OVS removes the device) and added back (a new probe); p1's
#   200G is none of the speeds OVS 3.1 names: "Not Defined";
# - a PF going down (speed only) is not followed: OVS keeps 100G while the
#   port, read through DPDK's telemetry, says 50G;
# - the function going down and up is: OVS reads the link, and with it
#   the speed of that moment (status:link_speed "50Gbps"); the link_speed
#   column stays empty, 50G being none of the OpenFlow speeds it holds;
# - `ovs-appctl exit` ends OVS with status 0, the plugin's teardown
#   running in it (it names a bind= that never matched), and no plugin
#   error in OVS's log.
# The test runs its own ovsdb-server, in its scratch directory, and
# ovs-vswitchd-dpdk, in a network namespace of its own too: the userspace
# datapath creates tap devices ("ovs-netdev", "br0") whose names would
# clash with an OVS of the host. Both run in the foreground of this
# script (no --detach), so that meson's kill on a timeout reaches them.
# Needs root (tap devices, the namespace).

. "$LAGSPEED_TEST_LIB"
lt_need IBVSIM_LIB IBVSIM_CTL LAGSPEED_PLUGIN
if [ -n "${OVS_SKIP_REASON:-}" ]; then
	echo "skip: $OVS_SKIP_REASON"
	exit 77
fi
# Debian's paths (package openvswitch-switch-dpdk and what it pulls in),
# looked up now rather than when the build was configured, so that an
# OVS installed since then is found. Each may be set to another.
: "${OVS_VSWITCHD_DPDK:=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk}"
: "${OVSDB_SERVER:=/usr/sbin/ovsdb-server}"
: "${OVSDB_TOOL:=/usr/bin/ovsdb-tool}"
: "${OVS_VSCTL:=/usr/bin/ovs-vsctl}"
: "${OVS_APPCTL:=/usr/bin/ovs-appctl}"
: "${OVS_SCHEMA:=/usr/share/openvswitch/vswitch.ovsschema}"
missing=
for f in "$OVS_VSWITCHD_DPDK" "$OVSDB_SERVER" "$OVSDB_TOOL" "$OVS_VSCTL" \
		"$OVS_APPCTL"; do
	[ -x "$f" ] || missing=$f
done
[ -f "$OVS_SCHEMA" ] || missing=$OVS_SCHEMA
if [ -n "$missing" ]; then
	echo "skip: OVS-DPDK not installed (Debian: openvswitch-switch-dpdk): no $missing"
	exit 77
fi
if [ "$(id -u)" -ne 0 ] || ! unshare --net true 2>/dev/null; then
	echo "skip: needs root and a network namespace (unshare --net)"
	exit 77
fi

ovs=$LT_DIR/ovs
mkdir -p "$ovs" "$LT_DIR/sim"
# Where OVS's tools put and look for their sockets, logs and pid files.
export OVS_RUNDIR=$ovs OVS_LOGDIR=$ovs OVS_DBDIR=$ovs OVS_SYSCONFDIR=$ovs
export IBVSIM_DIR=$LT_DIR/sim
lt_ibvsim group G --pf 50000,50000
lt_ibvsim device mlx5_0 --group G --type vf
lt_ibvsim group H --pf 100000,100000
lt_ibvsim device mlx5_1 --group H --type vf

vsctl() { "$OVS_VSCTL" --db="unix:$ovs/db.sock" --timeout=20 "$@"; }

"$OVSDB_TOOL" create "$ovs/conf.db" "$OVS_SCHEMA" ||
	lt_fail "ovsdb-tool create"
"$OVSDB_SERVER" --remote="punix:$ovs/db.sock" --pidfile="$ovs/ovsdb-server.pid" \
	--unixctl="$ovs/ovsdb-server.ctl" --no-chdir \
	--log-file="$ovs/ovsdb-server.log" "$ovs/conf.db" 2>"$ovs/ovsdb-server.err" &
LT_PIDS+=("$!")
deadline=$((SECONDS + 10))
until [ -S "$ovs/db.sock" ]; do
	[ "$SECONDS" -lt "$deadline" ] ||
		{ cat "$ovs/ovsdb-server.err" >&2; lt_fail "ovsdb-server did not start"; }
	sleep 0.05
done
vsctl --no-wait init || lt_fail "ovs-vsctl init"
# No hugepages: --no-huge needs --legacy-mem, or OVS adds --in-memory,
# which EAL refuses with it. One lcore for the main thread, one PMD
# thread, and pools sized per port (the shared default needs ~300 MB).
prefix=$(lt_prefix ovs)
vsctl --no-wait set Open_vSwitch . other_config:dpdk-init=true \
	"other_config:dpdk-extra=--no-huge --legacy-mem -m 512 --no-pci \
--file-prefix $prefix --log-level=lib.eal:error -d $LAGSPEED_PLUGIN" \
	other_config:dpdk-lcore-mask=0x1 other_config:pmd-cpu-mask=0x2 \
	other_config:per-port-memory=true || lt_fail "ovs-vsctl set other_config"
log=$ovs/ovs-vswitchd.log
# In lt_foreign's environment, but started by exec (env, unshare) rather
# than as the child of a function: the pid is the daemon's.
lt_foreign_env
# net_null9 is never probed: the plugin names that bind= at its teardown,
# which shows that the teardown ran.
binds=bind=net_null0@mlx5_0:1,bind=net_null1@mlx5_1:1,bind=net_null9@mlx5_0:1
env "${LT_FOREIGN_ENV[@]}" LAGSPEED="ibverbs=$IBVSIM_LIB,$binds" \
	unshare --net "$OVS_VSWITCHD_DPDK" "unix:$ovs/db.sock" \
	--pidfile="$ovs/ovs-vswitchd.pid" --unixctl="$ovs/ovs-vswitchd.ctl" \
	--no-chdir --log-file="$log" 2>"$ovs/ovs-vswitchd.err" &
vswitchd_pid=$!
LT_PIDS+=("$vswitchd_pid")
# Up once it serves its control socket and DPDK is initialized (OVS does
# that after reading dpdk-init from the database); a daemon that died on
# the way says why.
deadline=$((SECONDS + 20))
until [ -S "$ovs/ovs-vswitchd.ctl" ] &&
		grep -q 'DPDK Enabled - initialized' "$log" 2>/dev/null; do
	if ! kill -0 "$vswitchd_pid" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
		tail -n 30 "$log" "$ovs/ovs-vswitchd.err" >&2
		lt_fail "ovs-vswitchd-dpdk did not start"
	fi
	sleep 0.05
done

# Without --no-wait, ovs-vsctl waits for ovs-vswitchd to apply each change.
vsctl add-br br0 -- set bridge br0 datapath_type=netdev ||
	lt_fail "ovs-vsctl add-br (netdev datapath)"
# add_port NAME DEVARGS
add_port() {
	vsctl add-port br0 "$1" -- set Interface "$1" type=dpdk \
		"options:dpdk-devargs=$2" || lt_fail "adding $1 ($2)"
}
add_port p0 net_null0
extended='mlx5_lagspeed: port 0 \(net_null0\): extended by mlx5_0:1, 100000 Mb/s'
lt_wait_grep "$extended" "$log" 10 \
	"ovs-vswitchd-dpdk loads the plugin from dpdk-extra, which extends the port OVS probes"

# iface_state NAME: "link_state link_resets link_speed status:link_speed".
iface_state() {
	vsctl get Interface "$1" link_state link_resets link_speed \
		status:link_speed 2>/dev/null | tr '\n' ' ' | sed 's/ $//'
}

# expect_iface NAME STATE SECONDS WHAT: the Interface row reaches STATE.
expect_iface() {
	local deadline=$((SECONDS + $3)) got
	while :; do
		got=$(iface_state "$1")
		[ "$got" = "$2" ] && break
		[ "$SECONDS" -lt "$deadline" ] ||
			lt_fail "$4: Interface $1 is '$got', want '$2'"
		sleep 0.2
	done
	lt_ok "$4: $1 $got"
}

# The port's own link, from DPDK's telemetry in ovs-vswitchd (OVS shows
# a link it read at a status change; this is the link of now).
port_speed() {
	echo /ethdev/link_status,0 |
		timeout 10 python3 "$DPDK_TELEMETRY" -f "$prefix" 2>/dev/null |
		sed -n 's/.*"speed": \([0-9]*\).*/\1/p'
}

# expect_port_speed MBPS WHAT (without DPDK's telemetry tool: nothing).
expect_port_speed() {
	local deadline=$((SECONDS + 10))

	[ -n "${DPDK_TELEMETRY:-}" ] || return 0
	until [ "$(port_speed)" = "$1" ]; do
		[ "$SECONDS" -lt "$deadline" ] ||
			lt_fail "$2: the port says $(port_speed) Mb/s, want $1"
		sleep 0.2
	done
	lt_ok "$2: the port says $1 Mb/s (telemetry)"
}

expect_iface p0 'up 0 100000000000 "100Gbps"' 20 "a VF on 2 x 50G, in OVS"
add_port p1 net_null1
add_port p2 net_null2
expect_iface p1 'up 0 [] "Not Defined"' 20 "a VF on 2 x 100G: 200G, no OVS 3.1 name"
expect_iface p2 'up 0 10000000000 "10Gbps"' 20 "net_null alone"

# OVS reconfigures the port (stop, configure, start): the speed stays.
vsctl set Interface p0 mtu_request=9000 options:n_rxq=2 ||
	lt_fail "setting mtu_request and n_rxq"
deadline=$((SECONDS + 15))
until [ "$(vsctl get Interface p0 mtu 2>/dev/null)" = 9000 ]; do
	[ "$SECONDS" -lt "$deadline" ] || lt_fail "OVS did not reconfigure p0"
	sleep 0.2
done
expect_port_speed 100000 "reconfigured (MTU 9000, 2 RX queues)"
expect_iface p0 'up 0 100000000000 "100Gbps"' 0 "reconfigured, in OVS"
# Deleted, OVS closes the port and removes the device; added back, it
# probes a new port, which the plugin extends again.
vsctl del-port br0 p0 || lt_fail "ovs-vsctl del-port"
lt_wait_grep "Device 'net_null0' has been removed and detached" "$log" 15 \
	"del-port: OVS removes the device"
add_port p0 net_null0
lt_wait_count "$extended" 2 "$log" 15 "the port added back is extended again"
expect_iface p0 'up 0 100000000000 "100Gbps"' 15 "the port added back, in OVS"

lt_ibvsim pf G 1 down
expect_port_speed 50000 "one PF down"
# OVS reads links every 5 s and keeps one only when its status changed.
sleep 6
expect_iface p0 'up 0 100000000000 "100Gbps"' 0 \
	"one PF down, 6 s later: OVS 3.1 keeps the old speed (a documented limit)"

lt_ibvsim set mlx5_0 down
expect_iface p0 'down 1 [] "Not Defined"' 15 "the VF down: OVS sees the link down"
lt_ibvsim set mlx5_0 up
expect_iface p0 'up 2 [] "50Gbps"' 15 \
	"the VF up: OVS reads the speed of that moment (no link_speed column for 50G)"

# A clean exit, as `ovs-ctl stop` asks for: EAL and the plugin's
# destructor run in it (SIGTERM would re-raise and skip them).
"$OVS_APPCTL" --timeout=20 -t "$ovs/ovs-vswitchd.ctl" exit ||
	lt_fail "ovs-appctl exit"
lt_wait_exit "$vswitchd_pid" 20 "ovs-vswitchd-dpdk at ovs-appctl exit"
if [ "$LT_STATUS" -ne 0 ]; then
	tail -n 20 "$ovs/ovs-vswitchd.err" >&2
	lt_fail "ovs-vswitchd-dpdk exit status $LT_STATUS"
fi
lt_ok "ovs-vswitchd-dpdk exits with status 0 at ovs-appctl exit"
lt_expect_grep 'mlx5_lagspeed: bind=net_null9@mlx5_0:1: no port named net_null9 was seen' \
	"$log" "the plugin's teardown ran in that exit"
lt_expect_no_grep 'mlx5_lagspeed.*(ERR|detached)|EMER' "$log" \
	"no plugin error in OVS's log"
