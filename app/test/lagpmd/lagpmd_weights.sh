#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The lagspeed authors
#
# Live rebalancing on two net_null ports, no plugin: manual weights and a
# cap applied while txonly forwarding runs give per-port TX shares within
# 2 points of the weights over 1 s, and no packet is lost or duplicated
# across the rebalances (the ports' TX counters add up to what lagpmd
# generated).

. "$LAGSPEED_TEST_LIB"
. "$(dirname "$0")/lagpmd_lib.sh"

# run OUT TAG SCRIPT [TOOL ARGS]: run a stdin script; $LCORES, when set,
# replaces common.sh's "-l 0-1".
run() {
	local out=$1 tag=$2 script=$3 eal
	shift 3
	eal=$(lt_eal_args "$tag")
	[ -z "${LCORES:-}" ] || eal=${eal/-l 0-1/--lcores $LCORES}
	# shellcheck disable=SC2086
	"$LAGPMD" $eal --vdev net_null0 --vdev net_null1 -- \
		"${@:---txq=2}" <"$script" >"$out" 2>&1 ||
		lt_fail "lagpmd exited with status $?"
}

# Manual weights 2:1, set while forwarding at 1:1, with two forwarding
# lcores (both on CPU 1) over three TX queues per port: each lcore sends
# 2:1 on its own queues.
cat >"$LT_DIR/w.txt" <<'CMDS'
start
sleep 100
txq rebalance weights 0:2,1:1
show port stats all
sleep 1000
show port stats all
show txq map
stop
quit
CMDS
LCORES=0@0,1@1,2@1 run "$LT_DIR/w.out" w "$LT_DIR/w.txt" --txq=3
lt_expect_grep '^port 0  speed 10000  weight 2  txqs 3  share 66.7%$' "$LT_DIR/w.out" \
	"txq map after weights 2:1"
lt_expect_grep '^  lcore 2  port 1  txq 1  slots 80  share 16.7%$' "$LT_DIR/w.out" \
	"lcore 2 sends on its own queue"
lp_expect_shares "$LT_DIR/w.out" "weights 2:1" 66.67 33.33
lp_expect_tx_adds_up "$LT_DIR/w.out" "weights 2:1, rebalanced live"

# A cap of 2500 Mb/s on port 1 (10G null ports): 4:1 by speed, set live;
# then weights 1:3, live again.
cat >"$LT_DIR/c.txt" <<'CMDS'
start
sleep 100
txq rebalance cap 1:2500
show port stats all
sleep 1000
show port stats all
txq rebalance weights 0:1,1:3
show port stats all
sleep 1000
show port stats all
stop
quit
CMDS
run "$LT_DIR/c.out" c "$LT_DIR/c.txt"
lt_expect_grep '^txq rebalance by speed \(cap\): moved 72 of 240 slots: '\
'port 0 weight 10000 share 80.0%, port 1 weight 2500 share 20.0%$' \
	"$LT_DIR/c.out" "cap logged"
LP_SNAP=2 lp_expect_shares "$LT_DIR/c.out" "cap 2500 on port 1" 80 20
LP_SNAP=4 lp_expect_shares "$LT_DIR/c.out" "weights 1:3" 25 75
lp_expect_tx_adds_up "$LT_DIR/c.out" "cap then weights, rebalanced live"

# io forwarding: what the RX queues bring in is sent 3:1, nothing lost.
cat >"$LT_DIR/io.txt" <<'CMDS'
set fwd io
txq rebalance weights 0:3,1:1
start
sleep 100
show port stats all
sleep 500
show port stats all
stop
quit
CMDS
# shellcheck disable=SC2046
"$LAGPMD" $(lt_eal_args io) --vdev net_null0 --vdev net_null1 -- --rxq 2 \
	<"$LT_DIR/io.txt" >"$LT_DIR/io.out" 2>&1 || lt_fail "lagpmd exited with status $?"
lp_expect_shares "$LT_DIR/io.out" "io, weights 3:1" 75 25
lt_expect_grep '^  lagpmd received: ([0-9]+) packets, sent \1, freed unsent 0,' \
	"$LT_DIR/io.out" "io: every received packet sent"
# One forwarding lcore: it polls both RX queues of each port, and says so.
lt_expect_grep '^  RX P=0/Q=0,1$' "$LT_DIR/io.out" "io: the RX queues polled, shown"
lt_expect_grep '^  TX P=1/Q=0 \(socket 0\) peer=02:00:00:00:00:01$' \
	"$LT_DIR/io.out" "io: a TX stream, shown without an RX queue paired"
