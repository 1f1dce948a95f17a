#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The lagspeed authors
#
# Multi-process: testpmd (primary) with the plugin keeps the shared link;
# Debian's dpdk-proc-info (secondary), with the plugin loaded too, reads
# the aggregated speed from it and never writes a single-link speed back.
#
# A limit: net_null's link_update does nothing in a secondary, so the
# speeds read there are the shared ones with or without the plugin; what
# the plugin adds for mlx5 (which has no link_update in secondaries) is not
# reproduced here, and dpdk-proc-info sets the log level to NOTICE, which
# hides the plugin's INFO line. What this checks: the primary keeps the
# shared link right, and a secondary loading the plugin never writes it.
#
# A secondary cannot attach to a --no-huge primary: this test needs
# hugepages. As root, when none are available, it reserves 256 x 2 MB and
# mounts hugetlbfs, and gives both back on exit; otherwise it skips.

. "$LAGSPEED_TEST_LIB"
lt_need DPDK_TESTPMD DPDK_PROC_INFO IBVSIM_LIB IBVSIM_CTL LAGSPEED_PLUGIN

prefix=$(lt_prefix mp)
nr=/proc/sys/vm/nr_hugepages
old_nr=$(cat "$nr" 2>/dev/null || echo 0)
mounted_here=0
restore_huge() {
	# our hugepage files only (the secondary needs them while it runs)
	rm -f /dev/hugepages/"$prefix"map_* 2>/dev/null
	if [ "$mounted_here" = 1 ]; then
		umount /dev/hugepages 2>/dev/null || umount -l /dev/hugepages 2>/dev/null
	fi
	if [ "$(cat "$nr" 2>/dev/null)" != "$old_nr" ]; then
		echo "$old_nr" >"$nr" 2>/dev/null
	fi
}
free_pages=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
if [ "${free_pages:-0}" -lt 128 ] || ! grep -q hugetlbfs /proc/mounts; then
	if [ "$(id -u)" != 0 ]; then
		echo "skip: no free hugepages (need 128 x 2 MB) and not root to reserve them"
		exit 77
	fi
	trap 'lt_cleanup; restore_huge' EXIT
	if [ "${free_pages:-0}" -lt 128 ]; then
		echo $((old_nr + 256)) >"$nr" 2>/dev/null
		free_pages=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
		if [ "${free_pages:-0}" -lt 128 ]; then
			echo "skip: cannot reserve hugepages here"
			exit 77
		fi
	fi
	if ! grep -q hugetlbfs /proc/mounts; then
		mkdir -p /dev/hugepages
		if ! mount -t hugetlbfs nodev /dev/hugepages; then
			echo "skip: cannot mount hugetlbfs"
			exit 77
		fi
		mounted_here=1
	fi
else
	trap 'lt_cleanup; rm -f /dev/hugepages/"$prefix"map_* 2>/dev/null' EXIT
fi

export IBVSIM_DIR="$LT_DIR/sim"
mkdir -p "$IBVSIM_DIR"
lt_ibvsim group g --pf 100000,100000 --max 50000
lt_ibvsim device mlx5_0 --group g --type vf
export LAGSPEED="ibverbs=$IBVSIM_LIB,bind=net_null0@mlx5_0:1"

log="$LT_DIR/primary.log"
fifo="$LT_DIR/stdin"
mkfifo "$fifo"
stdbuf_lib=/usr/libexec/coreutils/libstdbuf.so
LD_PRELOAD="$stdbuf_lib" _STDBUF_O=L lt_foreign timeout 60 "$DPDK_TESTPMD" \
	-l 0-1 --no-pci --file-prefix "$prefix" --base-virtaddr 0x200000000000 \
	--log-level=lib.eal:error -d "$LAGSPEED_PLUGIN" --vdev net_null0 \
	-- -i --total-num-mbufs=2048 <"$fifo" >"$log" 2>&1 &
tp_pid=$!
LT_PIDS+=("$tp_pid")
exec 3>"$fifo"
lt_wait_grep 'testpmd> ' "$log" 20 "primary testpmd is up"

# A secondary maps the primary's memory at the same addresses; the primary
# puts it far from where libraries (and sanitizer shadows) land, and an
# unlucky address-space layout is retried.
secondary() {
	local try rc
	for try in 1 2 3; do
		lt_foreign timeout 30 "$DPDK_PROC_INFO" --file-prefix "$prefix" \
			--log-level=lib.eal:error -d "$LAGSPEED_PLUGIN" -- \
			--show-port >"$LT_DIR/secondary.$1.log" 2>&1
		rc=$?
		[ "$rc" = 0 ] && return 0
		grep -q 'Cannot get a virtual area' "$LT_DIR/secondary.$1.log" ||
			break
	done
	lt_fail "dpdk-proc-info exited with $rc (see secondary.$1.log)"
}

secondary a
lt_expect_grep 'Link up at 200 Gbps' "$LT_DIR/secondary.a.log" \
	"secondary sees the aggregated speed"
lt_ibvsim pf g 1 down
lt_wait_grep 'Port 0: link state change event' "$log" 10 "primary got LSC"
secondary b
lt_expect_grep 'Link up at 100 Gbps' "$LT_DIR/secondary.b.log" \
	"secondary follows the change"

echo "show port info 0" >&3
lt_wait_grep '^Link speed: 100 Gbps' "$log" 10 \
	"primary still right after the secondary ran"
lt_expect_no_grep '^Link speed: 10 Gbps' "$log" \
	"no single-link speed ever shown"
for f in "$log" "$LT_DIR"/secondary.*.log; do
	lt_expect_no_grep 'Invalid port_id' "$f" "no 'Invalid port_id' in $(basename "$f")"
done

echo quit >&3
exec 3>&-
wait "$tp_pid" || lt_fail "testpmd exited with $?"
lt_ok "primary quits cleanly"
