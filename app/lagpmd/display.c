/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/*
 * Port views with testpmd 22.11's layout: show port info / summary /
 * stats, clear port stats.
 */

#include <inttypes.h>
#include <string.h>

#include <rte_ethdev.h>

#include "lagpmd.h"

void
lp_print_valid_ports(void)
{
	uint16_t pid;

	printf("The valid ports array is [");
	RTE_ETH_FOREACH_DEV(pid)
		printf(" %d", pid);
	printf(" ]\n");
}

static void
print_ethaddr(const char *name, const struct rte_ether_addr *addr)
{
	char buf[RTE_ETHER_ADDR_FMT_SIZE];

	rte_ether_format_addr(buf, sizeof(buf), addr);
	printf("%s%s", name, buf);
}

void
lp_port_infos_display(uint16_t port_id)
{
	static const char *border = "*********************";
	struct rte_eth_dev_info dev_info;
	struct rte_ether_addr mac;
	struct rte_eth_link link;
	char name[RTE_ETH_NAME_MAX_LEN];
	char fw_version[64];
	uint16_t mtu;
	int ret;

	ret = rte_eth_link_get_nowait(port_id, &link);
	if (ret < 0) {
		fprintf(stderr, "Failed to get link of port %u: %s\n",
			port_id, rte_strerror(-ret));
		return;
	}
	ret = rte_eth_dev_info_get(port_id, &dev_info);
	if (ret != 0) {
		fprintf(stderr, "Error during getting device (port %u) info: %s\n",
			port_id, strerror(-ret));
		return;
	}
	printf("\n%s Infos for port %-2d %s\n", border, port_id, border);
	if (rte_eth_macaddr_get(port_id, &mac) == 0)
		print_ethaddr("MAC address: ", &mac);
	rte_eth_dev_get_name_by_port(port_id, name);
	printf("\nDevice name: %s", name);
	printf("\nDriver name: %s", dev_info.driver_name);
	if (rte_eth_dev_fw_version_get(port_id, fw_version,
			sizeof(fw_version)) == 0)
		printf("\nFirmware-version: %s", fw_version);
	else
		printf("\nFirmware-version: %s", "not available");
	if (rte_dev_devargs(dev_info.device) != NULL &&
			rte_dev_devargs(dev_info.device)->args[0] != '\0')
		printf("\nDevargs: %s", rte_dev_devargs(dev_info.device)->args);
	printf("\nConnect to socket: %d",
		RTE_MAX(rte_eth_dev_socket_id(port_id), 0));
	printf("\nmemory allocation on the socket: %d",
		RTE_MAX(rte_eth_dev_socket_id(port_id), 0));
	printf("\nLink status: %s\n", link.link_status ? "up" : "down");
	printf("Link speed: %s\n", rte_eth_link_speed_to_str(link.link_speed));
	printf("Link duplex: %s\n",
		link.link_duplex == RTE_ETH_LINK_FULL_DUPLEX ?
		"full-duplex" : "half-duplex");
	printf("Autoneg status: %s\n",
		link.link_autoneg == RTE_ETH_LINK_AUTONEG ? "On" : "Off");
	if (rte_eth_dev_get_mtu(port_id, &mtu) == 0)
		printf("MTU: %u\n", mtu);
	printf("Promiscuous mode: %s\n",
		rte_eth_promiscuous_get(port_id) ? "enabled" : "disabled");
	printf("Allmulticast mode: %s\n",
		rte_eth_allmulticast_get(port_id) ? "enabled" : "disabled");
	printf("Maximum number of MAC addresses: %u\n",
		(unsigned int)dev_info.max_mac_addrs);
	printf("Maximum number of MAC addresses of hash filtering: %u\n",
		(unsigned int)dev_info.max_hash_mac_addrs);
	printf("Minimum size of RX buffer: %u\n", dev_info.min_rx_bufsize);
	printf("Maximum configurable length of RX packet: %u\n",
		dev_info.max_rx_pktlen);
	printf("Current number of RX queues: %u\n", dev_info.nb_rx_queues);
	printf("Max possible RX queues: %u\n", dev_info.max_rx_queues);
	printf("Max possible number of RXDs per queue: %hu\n",
		dev_info.rx_desc_lim.nb_max);
	printf("Min possible number of RXDs per queue: %hu\n",
		dev_info.rx_desc_lim.nb_min);
	printf("RXDs number alignment: %hu\n", dev_info.rx_desc_lim.nb_align);
	printf("Current number of TX queues: %u\n", dev_info.nb_tx_queues);
	printf("Max possible TX queues: %u\n", dev_info.max_tx_queues);
	printf("Max possible number of TXDs per queue: %hu\n",
		dev_info.tx_desc_lim.nb_max);
	printf("Min possible number of TXDs per queue: %hu\n",
		dev_info.tx_desc_lim.nb_min);
	printf("TXDs number alignment: %hu\n", dev_info.tx_desc_lim.nb_align);
	printf("Max segment number per packet: %hu\n",
		dev_info.tx_desc_lim.nb_seg_max);
	printf("Max segment number per MTU/TSO: %hu\n",
		dev_info.tx_desc_lim.nb_mtu_seg_max);
}

void
lp_port_summary_display(void)
{
	uint16_t pid;

	printf("Number of available ports: %i\n", rte_eth_dev_count_avail());
	printf("%-4s %-17s %-12s %-14s %-8s %s\n", "Port", "MAC Address",
		"Name", "Driver", "Status", "Link");
	RTE_ETH_FOREACH_DEV(pid) {
		struct rte_eth_dev_info dev_info;
		struct rte_ether_addr mac;
		struct rte_eth_link link;
		char name[RTE_ETH_NAME_MAX_LEN];

		if (rte_eth_link_get_nowait(pid, &link) < 0 ||
				rte_eth_dev_info_get(pid, &dev_info) != 0 ||
				rte_eth_macaddr_get(pid, &mac) != 0)
			continue;
		rte_eth_dev_get_name_by_port(pid, name);
		printf("%-4d " RTE_ETHER_ADDR_PRT_FMT " %-12s %-14s %-8s %s\n",
			pid, RTE_ETHER_ADDR_BYTES(&mac), name,
			dev_info.driver_name, link.link_status ? "up" : "down",
			rte_eth_link_speed_to_str(link.link_speed));
	}
}

/* What the counters held at the last `clear port stats` of each port. */
static struct rte_eth_stats clear_base[RTE_MAX_ETHPORTS];

/*
 * testpmd's NIC statistics block for counters read at time ns, shown from
 * the last clear; the throughput comes from the counters themselves.
 */
static void
port_stats_print(uint16_t port_id, const struct rte_eth_stats *st,
	uint64_t ns)
{
	static const char *border = "########################";
	static uint64_t prev_pkts_rx[RTE_MAX_ETHPORTS];
	static uint64_t prev_pkts_tx[RTE_MAX_ETHPORTS];
	static uint64_t prev_bytes_rx[RTE_MAX_ETHPORTS];
	static uint64_t prev_bytes_tx[RTE_MAX_ETHPORTS];
	static uint64_t prev_ns[RTE_MAX_ETHPORTS];
	uint64_t diff_ns = 0, pps_rx = 0, pps_tx = 0, bps_rx = 0, bps_tx = 0;

	const struct rte_eth_stats *base = &clear_base[port_id];

	printf("\n  %s NIC statistics for port %-2d %s\n", border, port_id,
		border);
	printf("  RX-packets: %-10" PRIu64 " RX-missed: %-10" PRIu64
		" RX-bytes:  %-" PRIu64 "\n", st->ipackets - base->ipackets,
		st->imissed - base->imissed, st->ibytes - base->ibytes);
	printf("  RX-errors: %-" PRIu64 "\n", st->ierrors - base->ierrors);
	printf("  RX-nombuf:  %-10" PRIu64 "\n", st->rx_nombuf - base->rx_nombuf);
	printf("  TX-packets: %-10" PRIu64 " TX-errors: %-10" PRIu64
		" TX-bytes:  %-" PRIu64 "\n", st->opackets - base->opackets,
		st->oerrors - base->oerrors, st->obytes - base->obytes);

	if (prev_ns[port_id] != 0 && ns > prev_ns[port_id])
		diff_ns = ns - prev_ns[port_id];
	prev_ns[port_id] = ns;
	if (diff_ns > 0) {
		double sec = diff_ns / 1e9;

		if (st->ipackets > prev_pkts_rx[port_id])
			pps_rx = (st->ipackets - prev_pkts_rx[port_id]) / sec;
		if (st->opackets > prev_pkts_tx[port_id])
			pps_tx = (st->opackets - prev_pkts_tx[port_id]) / sec;
		if (st->ibytes > prev_bytes_rx[port_id])
			bps_rx = (st->ibytes - prev_bytes_rx[port_id]) / sec;
		if (st->obytes > prev_bytes_tx[port_id])
			bps_tx = (st->obytes - prev_bytes_tx[port_id]) / sec;
	}
	prev_pkts_rx[port_id] = st->ipackets;
	prev_pkts_tx[port_id] = st->opackets;
	prev_bytes_rx[port_id] = st->ibytes;
	prev_bytes_tx[port_id] = st->obytes;
	printf("\n  Throughput (since last show)\n");
	printf("  Rx-pps: %12" PRIu64 "          Rx-bps: %12" PRIu64
		"\n  Tx-pps: %12" PRIu64 "          Tx-bps: %12" PRIu64 "\n",
		pps_rx, bps_rx * 8, pps_tx, bps_tx * 8);
	printf("  %s############################%s\n", border, border);
}

void
lp_port_stats_display(uint16_t port_id)
{
	struct rte_eth_stats st;
	int ret;

	ret = rte_eth_stats_get(port_id, &st);
	if (ret != 0) {
		fprintf(stderr, "%s: Error: failed to get stats (port %u): %d\n",
			__func__, port_id, ret);
		return;
	}
	port_stats_print(port_id, &st, lp_mono_ns());
}

/*
 * The counters of n ports are read first, then printed: the per-port
 * figures of one report are then taken at the same moment, and the TX
 * shares computed from two of them cover the same interval for every port
 * (printing is slow next to a null port's packet rate). ok[i] tells
 * whether pids[i]'s counters, st[i], were read; caller names the report
 * in the error lines.
 */
static void
ports_stats_read_print(const uint16_t *pids, unsigned int n,
	struct rte_eth_stats *st, bool *ok, const char *caller)
{
	int ret[RTE_MAX_ETHPORTS];
	unsigned int i;
	uint64_t ns;

	for (i = 0; i < n; i++)
		ret[i] = rte_eth_stats_get(pids[i], &st[i]);
	ns = lp_mono_ns();
	for (i = 0; i < n; i++) {
		ok[i] = ret[i] == 0;
		if (!ok[i])
			fprintf(stderr, "%s: Error: failed to get stats "
				"(port %u): %d\n", caller, pids[i], ret[i]);
		else
			port_stats_print(pids[i], &st[i], ns);
	}
}

/* `show port stats all`: every probed port, read at one moment. */
void
lp_port_stats_display_all(void)
{
	static struct rte_eth_stats st[RTE_MAX_ETHPORTS];
	static uint16_t pids[RTE_MAX_ETHPORTS];
	bool ok[RTE_MAX_ETHPORTS];
	unsigned int n = 0;
	uint16_t pid;

	RTE_ETH_FOREACH_DEV(pid)
		pids[n++] = pid;
	ports_stats_read_print(pids, n, st, ok, __func__);
}

/* TX packets of each forwarding port at the last --stats-period report. */
static uint64_t period_prev_tx[RTE_MAX_ETHPORTS];

/* The --stats-period reports start: the first period starts now. */
void
lp_stats_period_begin(void)
{
	struct rte_eth_stats st;
	unsigned int i;

	for (i = 0; i < lp.nb_ports; i++)
		period_prev_tx[i] = rte_eth_stats_get(lp.ports[i].port_id,
			&st) == 0 ? st.opackets : 0;
}

/*
 * One --stats-period report: testpmd's "Port statistics" blocks for the
 * forwarding ports (counters of all read first, as in
 * lp_port_stats_display_all()), then a line lagpmd adds: each port's
 * share of the TX packets of the period beside its share of the weights.
 * clear_screen: start with the ANSI clear and home, as testpmd does (only
 * for a terminal: in a log the reports stay one after another).
 */
void
lp_stats_period_display(bool clear_screen)
{
	static struct rte_eth_stats st[RTE_MAX_ETHPORTS];
	uint64_t delta[RTE_MAX_ETHPORTS], weight[RTE_MAX_ETHPORTS];
	uint16_t pids[RTE_MAX_ETHPORTS];
	bool ok[RTE_MAX_ETHPORTS], all_read = true;
	uint64_t total = 0, wsum = 0;
	unsigned int i;

	for (i = 0; i < lp.nb_ports; i++)
		pids[i] = lp.ports[i].port_id;
	if (clear_screen)
		printf("\033[2J\033[1;1H");
	printf("\nPort statistics ====================================");
	ports_stats_read_print(pids, lp.nb_ports, st, ok, __func__);
	lp_rebalance_weights_get(weight);
	for (i = 0; i < lp.nb_ports; i++) {
		if (!ok[i]) {
			all_read = false;
			continue;
		}
		delta[i] = st[i].opackets >= period_prev_tx[i] ?
			st[i].opackets - period_prev_tx[i] : 0;
		period_prev_tx[i] = st[i].opackets;
		total += delta[i];
		wsum += weight[i];
	}
	/* Shares need every port read, and traffic. */
	if (all_read && total != 0 && wsum != 0) {
		printf("  TX share of the period (weight share):");
		for (i = 0; i < lp.nb_ports; i++)
			printf("  port %u %.1f%% (%.1f%%)", pids[i],
				100.0 * delta[i] / total, 100.0 * weight[i] / wsum);
		printf("\n");
	}
}

/*
 * `clear port stats`: lagpmd keeps what the counters held and shows them
 * from there on; the ports' own counters are not reset. A reset cannot be
 * done in one step with the read: while forwarding, the packets counted
 * between the two would be lost to the statistics at stop, which cover
 * the whole run and must add up to what lagpmd sent. (testpmd resets the
 * ports' counters and restarts its forward statistics from the clear.)
 */
void
lp_port_stats_clear(uint16_t port_id)
{
	struct rte_eth_stats now;
	int ret = rte_eth_stats_get(port_id, &now);

	if (ret != 0) {
		fprintf(stderr, "%s: Error: failed to get stats (port %u): %s\n",
			__func__, port_id, strerror(-ret));
		return;
	}
	clear_base[port_id] = now;
	printf("\n  NIC statistics for port %d cleared\n", port_id);
}
