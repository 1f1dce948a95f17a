/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/*
 * The forwarding engine: the lcores' burst loop, start and stop.
 * The schedules it runs are built by rebalance.c.
 */

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "lagpmd.h"

/* The headers of a txonly packet (Ethernet, IPv4, UDP), as testpmd's. */
#define LP_ETH_LEN ((uint16_t)sizeof(struct rte_ether_hdr))
#define LP_IP_LEN ((uint16_t)sizeof(struct rte_ipv4_hdr))
#define LP_UDP_LEN ((uint16_t)sizeof(struct rte_udp_hdr))

/* Template per port (only the source MAC address differs), as bytes. */
static uint8_t pkt_tmpl[RTE_MAX_ETHPORTS][LP_TXPKT_LEN_MIN];

/* RX queues an lcore polls in io mode: (port index, queue) pairs. */
struct lp_rx_stream {
	uint16_t port_id;
	uint16_t queue_id;
};

static void
pkt_tmpl_build(void)
{
	unsigned int i;

	for (i = 0; i < lp.nb_ports; i++) {
		uint16_t l3_len = lp.txpkt_len - LP_ETH_LEN;
		struct rte_ether_hdr eth;
		struct rte_ipv4_hdr ip;
		struct rte_udp_hdr udp;

		memset(&eth, 0, sizeof(eth));
		memset(&ip, 0, sizeof(ip));
		memset(&udp, 0, sizeof(udp));
		rte_eth_macaddr_get(lp.ports[i].port_id, &eth.src_addr);
		/* testpmd's default peer: 02:00:00:00:00:<port>. */
		eth.dst_addr.addr_bytes[0] = 0x02;
		eth.dst_addr.addr_bytes[5] = (uint8_t)lp.ports[i].port_id;
		eth.ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		ip.version_ihl = RTE_IPV4_VHL_DEF;
		ip.time_to_live = 64;
		ip.next_proto_id = IPPROTO_UDP;
		ip.total_length = rte_cpu_to_be_16(l3_len);
		ip.src_addr = rte_cpu_to_be_32(RTE_IPV4(198u, 18u, 0u, 1u));
		ip.dst_addr = rte_cpu_to_be_32(RTE_IPV4(198u, 18u, 0u, 2u));
		ip.hdr_checksum = rte_ipv4_cksum(&ip);
		udp.src_port = rte_cpu_to_be_16(9);
		udp.dst_port = rte_cpu_to_be_16(9);
		udp.dgram_len = rte_cpu_to_be_16(l3_len - LP_IP_LEN);
		memcpy(pkt_tmpl[i], &eth, LP_ETH_LEN);
		memcpy(pkt_tmpl[i] + LP_ETH_LEN, &ip, LP_IP_LEN);
		memcpy(pkt_tmpl[i] + LP_ETH_LEN + LP_IP_LEN, &udp, LP_UDP_LEN);
	}
}

int
lp_txpkt_len_set(uint16_t len)
{
	if (len < LP_TXPKT_LEN_MIN) {
		fprintf(stderr, "total packet length=%u < %u - give up\n",
			len, LP_TXPKT_LEN_MIN);
		return -EINVAL;
	}
	if (len > LP_TXPKT_LEN_MAX) {
		fprintf(stderr, "length[0]=%u > mbuf_data_size=%u - give up\n",
			len, LP_TXPKT_LEN_MAX);
		return -EINVAL;
	}
	lp.txpkt_len = len;
	if (lp.pool != NULL)
		pkt_tmpl_build();
	return 0;
}

/* Build a burst of txonly packets for a port; returns how many. */
static uint16_t
txonly_burst(struct lp_fwd_lcore *fl, uint16_t port_idx,
	struct rte_mbuf **pkts, uint16_t burst)
{
	const uint8_t *h = pkt_tmpl[port_idx];
	uint16_t len = lp.txpkt_len;
	uint16_t i;

	if (rte_pktmbuf_alloc_bulk(lp.pool, pkts, burst) != 0) {
		__atomic_store_n(&fl->alloc_failed, fl->alloc_failed + 1,
			__ATOMIC_RELAXED);
		return 0;
	}
	for (i = 0; i < burst; i++) {
		struct rte_mbuf *m = pkts[i];

		rte_memcpy(rte_pktmbuf_mtod(m, void *), h, LP_TXPKT_LEN_MIN);
		m->data_len = len;
		m->pkt_len = len;
		m->l2_len = LP_ETH_LEN;
		m->l3_len = LP_IP_LEN;
	}
	/* Read by the main lcore while this one runs: whole stores. */
	__atomic_store_n(&fl->generated, fl->generated + burst,
		__ATOMIC_RELAXED);
	return burst;
}

static int
fwd_lcore_main(void *arg)
{
	struct lp_fwd_lcore *fl = arg;
	struct rte_mbuf *pkts[LP_MAX_BURST];
	struct lp_rx_stream rx[RTE_MAX_ETHPORTS * LP_MAX_QUEUES];
	unsigned int nb_rx = 0, rx_next = 0;
	uint32_t pos = 0;
	unsigned int i;
	uint16_t q;

	/* io: this lcore polls the RX queues with its own index modulo. */
	for (i = 0; i < lp.nb_ports; i++)
		for (q = fl->index; q < lp.nb_rxq && nb_rx < RTE_DIM(rx);
				q += lp.nb_fwd_lcores) {
			rx[nb_rx].port_id = lp.ports[i].port_id;
			rx[nb_rx].queue_id = q;
			nb_rx++;
		}

	rte_rcu_qsbr_thread_online(lp.qsbr, fl->index);
	while (!__atomic_load_n(&lp.stop_request, __ATOMIC_RELAXED)) {
		const struct lp_sched *s;
		struct lp_slot slot;
		uint16_t burst = __atomic_load_n(&lp.burst, __ATOMIC_RELAXED);
		uint16_t n, sent;

		/* The schedule is read once per burst: a rebalance takes
		 * effect on the next burst and never splits one.
		 */
		s = __atomic_load_n(&fl->sched, __ATOMIC_ACQUIRE);
		if (s->n_slots == 0) {
			rte_rcu_qsbr_quiescent(lp.qsbr, fl->index);
			rte_pause();
			continue;
		}
		if (pos >= s->n_slots)
			pos = 0;
		slot = s->slot[pos];

		if (lp.mode == LP_FWD_TXONLY) {
			n = txonly_burst(fl, slot.port_idx, pkts, burst);
		} else if (nb_rx > 0) {
			struct lp_rx_stream *r = &rx[rx_next];

			rx_next = rx_next + 1 == nb_rx ? 0 : rx_next + 1;
			n = rte_eth_rx_burst(r->port_id, r->queue_id, pkts,
				burst);
			__atomic_store_n(&fl->received, fl->received + n,
				__ATOMIC_RELAXED);
		} else {
			n = 0;
		}
		if (n > 0) {
			struct lp_stream_stats *st =
				&fl->stats[slot.port_idx][slot.queue_id];

			pos++;
			sent = rte_eth_tx_burst(slot.port_id, slot.queue_id,
				pkts, n);
			__atomic_store_n(&st->tx_packets, st->tx_packets + sent,
				__ATOMIC_RELAXED);
			if (sent < n) {
				/* Counted, never hidden: the totals must add up. */
				__atomic_store_n(&st->tx_dropped,
					st->tx_dropped + n - sent,
					__ATOMIC_RELAXED);
				rte_pktmbuf_free_bulk(&pkts[sent], n - sent);
			}
		}
		/* Holds nothing of the schedule any more. */
		rte_rcu_qsbr_quiescent(lp.qsbr, fl->index);
	}
	rte_rcu_qsbr_thread_offline(lp.qsbr, fl->index);
	return 0;
}

int
lp_fwd_init(void)
{
	unsigned int i, lcore_id;
	size_t sz;

	lp.pool = rte_pktmbuf_pool_create("lagpmd_mbuf_pool",
		lp.total_num_mbufs, 256, 0, LP_MBUF_DATA_SIZE,
		rte_socket_id());
	if (lp.pool == NULL) {
		fprintf(stderr, "Creation of mbuf pool failed: %s\n",
			rte_strerror(rte_errno));
		return -rte_errno;
	}
	pkt_tmpl_build();

	sz = rte_rcu_qsbr_get_memsize(lp.nb_fwd_lcores);
	lp.qsbr = rte_zmalloc("lagpmd_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (lp.qsbr == NULL ||
			rte_rcu_qsbr_init(lp.qsbr, lp.nb_fwd_lcores) != 0)
		return -ENOMEM;

	i = 0;
	RTE_LCORE_FOREACH_WORKER(lcore_id) {
		struct lp_fwd_lcore *fl;

		if (i == lp.nb_fwd_lcores)
			break;
		fl = rte_zmalloc("lagpmd_lcore", sizeof(*fl),
			RTE_CACHE_LINE_SIZE);
		if (fl == NULL)
			return -ENOMEM;
		fl->lcore_id = lcore_id;
		fl->index = i;
		memset(fl->owner, 0xff, sizeof(fl->owner));
		/* Owned by lp.lcores[] from here: lp_fwd_fini() frees it. */
		lp.lcores[i] = fl;
		fl->sched = rte_zmalloc("lagpmd_sched", sizeof(*fl->sched), 0);
		if (fl->sched == NULL)
			return -ENOMEM;
		if (rte_rcu_qsbr_thread_register(lp.qsbr, i) != 0)
			return -EINVAL;
		i++;
	}
	return 0;
}

void
lp_fwd_fini(void)
{
	unsigned int i;

	for (i = 0; i < lp.nb_fwd_lcores; i++) {
		if (lp.lcores[i] == NULL)
			continue;
		rte_free(lp.lcores[i]->sched);
		rte_free(lp.lcores[i]);
		lp.lcores[i] = NULL;
	}
	rte_free(lp.qsbr);
	lp.qsbr = NULL;
	rte_mempool_free(lp.pool);
	lp.pool = NULL;
}

static const char *
fwd_mode_name(void)
{
	return lp.mode == LP_FWD_TXONLY ? "txonly" : "io";
}

/* testpmd's "packet forwarding - ports=..." block, one line per stream. */
static void
fwd_config_display(void)
{
	unsigned int i, p, nb_streams = 0;
	uint16_t q;

	for (i = 0; i < lp.nb_fwd_lcores; i++)
		for (q = i; q < lp.nb_txq; q += lp.nb_fwd_lcores)
			nb_streams += lp.nb_ports;
	printf("%s packet forwarding - ports=%u - cores=%u - streams=%u - "
		"NUMA support disabled, MP allocation mode: native\n",
		fwd_mode_name(), lp.nb_ports, lp.nb_fwd_lcores, nb_streams);
	for (i = 0; i < lp.nb_fwd_lcores; i++) {
		unsigned int lcore_id = lp.lcores[i]->lcore_id;
		unsigned int n = 0;

		for (q = i; q < lp.nb_txq; q += lp.nb_fwd_lcores)
			n += lp.nb_ports;
		printf("Logical Core %u (socket %u) forwards packets on "
			"%u streams:", lcore_id,
			rte_lcore_to_socket_id(lcore_id), n);
		/*
		 * io: what the lcore receives goes to whichever TX stream the
		 * schedule names, not to a paired one: say which RX queues
		 * it polls (in turn), then its TX streams.
		 */
		for (p = 0; p < lp.nb_ports && lp.mode == LP_FWD_IO; p++) {
			const char *sep = "";

			printf("\n  RX P=%u/Q=", lp.ports[p].port_id);
			for (q = i; q < lp.nb_rxq; q += lp.nb_fwd_lcores) {
				printf("%s%u", sep, q);
				sep = ",";
			}
			if (*sep == '\0')
				printf("none");
		}
		for (p = 0; p < lp.nb_ports; p++) {
			uint16_t pid = lp.ports[p].port_id;
			int socket = rte_eth_dev_socket_id(pid);

			if (socket < 0)
				socket = 0;
			for (q = i; q < lp.nb_txq; q += lp.nb_fwd_lcores) {
				if (lp.mode != LP_FWD_IO)
					printf("\n  RX P=%u/Q=%u (socket %d) ->",
						pid, q % lp.nb_rxq, socket);
				else
					printf("\n ");
				printf(" TX P=%u/Q=%u (socket %d) "
					"peer=02:00:00:00:00:%02X",
					pid, q, socket, pid & 0xff);
			}
		}
		printf("\n");
	}
	printf("\n");
}

int
lp_fwd_start(void)
{
	unsigned int i;

	if (lp.started) {
		fprintf(stderr, "Packet forwarding already started\n");
		return -EBUSY;
	}
	/* Forward statistics count from here (from zero if unreadable). */
	for (i = 0; i < lp.nb_ports; i++)
		if (rte_eth_stats_get(lp.ports[i].port_id,
				&lp.ports[i].start_stats) != 0)
			memset(&lp.ports[i].start_stats, 0,
				sizeof(lp.ports[i].start_stats));
	for (i = 0; i < lp.nb_fwd_lcores; i++) {
		struct lp_fwd_lcore *fl = lp.lcores[i];

		memset(fl->stats, 0, sizeof(fl->stats));
		fl->generated = 0;
		fl->received = 0;
		fl->alloc_failed = 0;
	}
	fwd_config_display();
	__atomic_store_n(&lp.stop_request, false, __ATOMIC_RELEASE);
	for (i = 0; i < lp.nb_fwd_lcores; i++) {
		int ret = rte_eal_remote_launch(fwd_lcore_main, lp.lcores[i],
			lp.lcores[i]->lcore_id);

		if (ret != 0) {
			fprintf(stderr, "Failed to start core %u: %d\n",
				lp.lcores[i]->lcore_id, ret);
			__atomic_store_n(&lp.stop_request, true,
				__ATOMIC_RELEASE);
			rte_eal_mp_wait_lcore();
			return ret;
		}
	}
	lp.started = true;
	return 0;
}

void
lp_fwd_stats_sum(unsigned int port_idx, uint64_t *tx, uint64_t *dropped)
{
	unsigned int i;
	uint16_t q;

	*tx = 0;
	*dropped = 0;
	for (i = 0; i < lp.nb_fwd_lcores; i++)
		for (q = 0; q < lp.nb_txq; q++) {
			const struct lp_stream_stats *st =
				&lp.lcores[i]->stats[port_idx][q];

			*tx += __atomic_load_n(&st->tx_packets,
				__ATOMIC_RELAXED);
			*dropped += __atomic_load_n(&st->tx_dropped,
				__ATOMIC_RELAXED);
		}
}

uint64_t
lp_fwd_generated(void)
{
	uint64_t sum = 0;
	unsigned int i;

	for (i = 0; i < lp.nb_fwd_lcores; i++)
		sum += lp.mode == LP_FWD_TXONLY ?
			__atomic_load_n(&lp.lcores[i]->generated,
				__ATOMIC_RELAXED) :
			__atomic_load_n(&lp.lcores[i]->received,
				__ATOMIC_RELAXED);
	return sum;
}

/* testpmd's forward statistics, plus lagpmd's own TX accounting. */
static void
fwd_stats_display(void)
{
	static const char *border = "----------------------";
	static const char *acc = "+++++++++++++++";
	uint64_t rx_tot = 0, rx_drop_tot = 0, tx_tot = 0, tx_drop_tot = 0;
	uint64_t own_tx_tot = 0, own_drop_tot = 0, no_mbuf = 0;
	unsigned int i;

	for (i = 0; i < lp.nb_ports; i++) {
		struct lp_port *port = &lp.ports[i];
		struct rte_eth_stats st;
		uint64_t own_tx, own_drop, rx, rx_drop, tx, tx_drop;

		if (rte_eth_stats_get(port->port_id, &st) != 0)
			memset(&st, 0, sizeof(st));
		lp_fwd_stats_sum(i, &own_tx, &own_drop);
		rx = st.ipackets - port->start_stats.ipackets;
		rx_drop = st.imissed - port->start_stats.imissed;
		tx = st.opackets - port->start_stats.opackets;
		tx_drop = own_drop + st.oerrors - port->start_stats.oerrors;
		rx_tot += rx;
		rx_drop_tot += rx_drop;
		tx_tot += tx;
		tx_drop_tot += tx_drop;
		own_tx_tot += own_tx;
		own_drop_tot += own_drop;

		printf("\n  %s Forward statistics for port %-2d %s\n",
			border, port->port_id, border);
		printf("  RX-packets: %-14" PRIu64 " RX-dropped: %-14" PRIu64
			"RX-total: %-" PRIu64 "\n", rx, rx_drop, rx + rx_drop);
		printf("  TX-packets: %-14" PRIu64 " TX-dropped: %-14" PRIu64
			"TX-total: %-" PRIu64 "\n", tx, tx_drop, tx + tx_drop);
		printf("  %s--------------------------------%s\n",
			border, border);
	}
	printf("\n  %s Accumulated forward statistics for all ports%s\n",
		acc, acc);
	printf("  RX-packets: %-14" PRIu64 " RX-dropped: %-14" PRIu64
		"RX-total: %-" PRIu64 "\n"
		"  TX-packets: %-14" PRIu64 " TX-dropped: %-14" PRIu64
		"TX-total: %-" PRIu64 "\n",
		rx_tot, rx_drop_tot, rx_tot + rx_drop_tot,
		tx_tot, tx_drop_tot, tx_tot + tx_drop_tot);
	printf("  %s++++++++++++++++++++++++++++++++++++++++++++++%s\n",
		acc, acc);
	/* lagpmd's own count of what it built and handed to the ports,
	 * to check against the ports' counters above.
	 */
	printf("\n  lagpmd %s: %" PRIu64 " packets, sent %" PRIu64
		", freed unsent %" PRIu64 ", rebalances %" PRIu64,
		lp.mode == LP_FWD_TXONLY ? "generated" : "received",
		lp_fwd_generated(), own_tx_tot, own_drop_tot, lp.rebalances);
	/* txonly bursts skipped for want of mbufs: a pool too small */
	for (i = 0; i < lp.nb_fwd_lcores; i++)
		no_mbuf += __atomic_load_n(&lp.lcores[i]->alloc_failed,
			__ATOMIC_RELAXED);
	if (no_mbuf != 0)
		printf(", bursts without mbufs %" PRIu64, no_mbuf);
	printf("\n");
}

int
lp_fwd_stop(void)
{
	unsigned int i;

	if (!lp.started) {
		fprintf(stderr, "Packet forwarding not started\n");
		return -EINVAL;
	}
	printf("Telling cores to stop...");
	__atomic_store_n(&lp.stop_request, true, __ATOMIC_RELEASE);
	printf("\nWaiting for lcores to finish...\n");
	for (i = 0; i < lp.nb_fwd_lcores; i++)
		rte_eal_wait_lcore(lp.lcores[i]->lcore_id);
	lp.started = false;
	fwd_stats_display();
	printf("\nDone.\n");
	return 0;
}
