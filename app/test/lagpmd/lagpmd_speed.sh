#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The lagspeed authors
#
# dpdk-lagpmd with the plugin and the emulator on two net_null ports:
# port 0 is a VF of a 2x100G LAG (200G), port 1 a 100G VF.
# - show port speed names the plugin as the source of the speed;
# - txq rebalance speed gives TX shares 2:1 (within 2 points over 1 s);
# - with auto on, a PF of the LAG going down while forwarding runs prints
#   testpmd's LSC line, rebalances by itself, and the shares become 1:1;
# - a port whose function goes down stops getting TX, and is shown down;
# - with every link down the map stays, and lagpmd started so sends
#   equally; SIGINT in its startup link check ends it cleanly;
# - no packet is lost or duplicated across it all.

. "$LAGSPEED_TEST_LIB"
lt_need IBVSIM_LIB IBVSIM_CTL LAGSPEED_PLUGIN
. "$(dirname "$0")/lagpmd_lib.sh"

lp_sim_host

out=$LT_DIR/out.txt
lp_start "$out" speed -d "$LAGSPEED_PLUGIN" --vdev net_null0 --vdev net_null1 --
lp_cmd "show port speed all" \
	"show port info 0" \
	"txq rebalance weights 0:1,1:1" \
	"txq rebalance speed" \
	"txq rebalance auto on" \
	"start" \
	"sleep 100" \
	"show port stats all" \
	"sleep 1000" \
	"show port stats all"
lt_wait_count 'NIC statistics for port 1 ' 2 "$out" 10 "forwarding by speed for 1 s"

lt_ibvsim pf G 1 down
lt_wait_grep '^Port 0: link state change event$' "$out" 10 "LSC printed as testpmd does"
lt_wait_grep '^txq rebalance by speed \(auto, port 0 link state change\): '\
'.* port 0 weight 100000 share 50\.0%, port 1 weight 100000 share 50\.0%$' \
	"$out" 10 "automatic rebalance logged"
lt_expect_no_grep '^Warning: no forwarding port raises link state change' \
	"$out" "auto on: no warning where the plugin raises LSC"

lp_cmd "show port stats all" \
	"sleep 1000" \
	"show port stats all" \
	"show port speed all" \
	"show txq map"
lt_wait_count 'NIC statistics for port 1 ' 4 "$out" 10 "forwarding at 1:1 for 1 s"

# Port 1's function goes down: its link is down, its weight 0.
lt_ibvsim set mlx5_1 down
lt_wait_grep '^Port 1: link state change event$' "$out" 10 "LSC of the port going down"
lt_wait_grep '^txq rebalance by speed \(auto, port 1 link state change\): '\
'.* port 0 weight 100000 share 100\.0%, port 1 weight 0 share 0\.0%$' \
	"$out" 10 "a port with its link down gets no TX"
lp_cmd "show port stats all" \
	"sleep 300" \
	"show port stats all" \
	"stop" \
	"show port speed all" \
	"show txq map"
lt_wait_grep '^port 1  speed 0  weight 0  txqs 0  share 0\.0%$' "$out" 10 \
	"txq map: port 1 down"

# Then port 0's too: no link is usable, the map stays as it was (sending
# nowhere would lose every packet).
lt_ibvsim set mlx5_0 down
lt_wait_grep '^No port has a usable link: TX map unchanged$' "$out" 10 \
	"every link down: map kept"
lp_finish 20

lt_expect_grep '^port 0  speed 200000 Mbps  link up  pmd-speed 10000 Mbps  '\
'source lagspeed \(mlx5_0 port 1\)  state active  last-change ' \
	"$out" "speed source: the plugin"
lt_expect_grep '^Link speed: 200 Gbps$' "$out" "port info shows the effective speed"
lt_expect_grep '^txq rebalance by speed: moved 40 of 240 slots: '\
'port 0 weight 200000 share 66\.7%, port 1 weight 100000 share 33\.3%$' \
	"$out" "txq rebalance speed: 2:1"
LP_SNAP=2 lp_expect_shares "$out" "200G + 100G by speed" 66.67 33.33
LP_SNAP=4 lp_expect_shares "$out" "100G + 100G after the PF went down" 50 50
lt_expect_grep '^port 0  speed 100000 Mbps  link up  pmd-speed 10000 Mbps  '\
'source lagspeed \(mlx5_0 port 1\)  state active  last-change [0-9]{4}-' \
	"$out" "speed after the PF went down"
changes=$(grep -E '^port 0  speed [0-9]+ Mbps .* source lagspeed' "$out" |
	sed 's/.*last-change //' | sort -u | wc -l)
[ "$changes" -eq 2 ] || lt_fail "last-change of port 0 did not move ($changes values)"
lt_ok "speed change time recorded"
grep -E "link state change|^txq rebalance" "$out"
lt_expect_grep '^port 0  speed 100000  weight 100000  txqs 1  share 50\.0%$' "$out" \
	"txq map after the PF went down"
LP_SNAP=6 lp_expect_shares "$out" "port 1 down" 100 0
lp_expect_tx_adds_up "$out" "live rebalance on LSC"
lt_expect_grep '^port 1  speed 0 Mbps  link down  pmd-speed 10000 Mbps  '\
'source lagspeed \(mlx5_1 port 1\)' "$out" "show port speed: port 1 down"

# Started with every link down: each port gets an equal weight, so that
# forwarding still runs.
out2=$LT_DIR/out2.txt
rm -f "$LT_DIR/cmd.fifo"
lp_start "$out2" alldown -d "$LAGSPEED_PLUGIN" --vdev net_null0 --vdev net_null1 \
	-- --disable-link-check
lp_cmd "show txq map"
lp_finish 20
lt_expect_grep '^port 0  speed 0  weight 1  txqs 1  share 50\.0%$' "$out2" \
	"every link down at start: equal weights"
lt_expect_grep '^No port has a usable link: every port starts with an equal weight$' \
	"$out2" "every link down at start: said"
lt_expect_no_grep 'TX map unchanged' "$out2" "every link down at start: no map kept"

# SIGINT while the startup link check waits for those links: lagpmd stops
# waiting, does not claim it is set up ("Done"), closes its ports, exits 0.
out3=$LT_DIR/out3.txt
rm -f "$LT_DIR/cmd.fifo"
lp_start "$out3" linkwait -d "$LAGSPEED_PLUGIN" --vdev net_null0 \
	--vdev net_null1 --
lt_wait_grep '^Checking link statuses\.\.\.$' "$out3" 10 "link check waiting"
sleep 0.3
kill -INT "$LP_PID"
exec 3>&-
lt_wait_exit "$LP_PID" 20 "SIGINT during the link check"
[ "$LT_STATUS" -eq 0 ] || lt_fail "SIGINT during the link check: exit status $LT_STATUS"
lt_expect_grep '^Signal 2 received, preparing to exit\.\.\.$' "$out3" \
	"SIGINT during the link check: announced"
lt_expect_no_grep '^Done$' "$out3" "SIGINT during the link check: no Done"
lt_expect_grep '^Bye\.\.\.$' "$out3" "SIGINT during the link check: clean exit"
