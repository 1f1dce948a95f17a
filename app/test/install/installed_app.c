/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/*
 * An application built outside the tree, against an installed lagspeed,
 * with nothing but what pkg-config says:
 *
 *   cc installed_app.c $(pkg-config --cflags --libs librte_txweight \
 *	librte_net_mlx5_lagspeed)
 *
 * It sends PKTS packets with made-up flow hashes over two net_null ports
 * through a flow table weighted 3:1, one TX per group of each split, as
 * the guide's sample does, and checks that the ports counted exactly what
 * it sent them, three quarters of it to port 0. It prints where
 * librte_txweight was loaded from (the test checks that it is the
 * installed copy) and what the plugin's header answers for port 0.
 */

#define _GNU_SOURCE /* dladdr() */
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <rte_pmd_mlx5_lagspeed.h>
#include <rte_txweight.h>

#define PKTS 100000
#define BURST 32
#define NB_PORTS 2

static int
port_start(uint16_t port, struct rte_mempool *pool)
{
	struct rte_eth_conf conf = { 0 };
	int ret;

	ret = rte_eth_dev_configure(port, 1, 1, &conf);
	if (ret == 0)
		ret = rte_eth_rx_queue_setup(port, 0, 256, rte_socket_id(),
			NULL, pool);
	if (ret == 0)
		ret = rte_eth_tx_queue_setup(port, 0, 256, rte_socket_id(),
			NULL);
	if (ret == 0)
		ret = rte_eth_dev_start(port);
	return ret;
}

/* One burst through the table: split, then one TX per group. */
static int
send_burst(struct rte_txweight_table *t, struct rte_mbuf **pkts,
	uint16_t nb, uint64_t *sent)
{
	struct rte_txweight_target tg[BURST];
	uint16_t cnt[BURST];
	unsigned int off = 0;
	int g, n_groups;

	n_groups = rte_txweight_table_split(t, pkts, NULL, nb, tg, cnt);
	if (n_groups < 0)
		return n_groups;
	for (g = 0; g < n_groups; off += cnt[g], g++) {
		uint16_t done;

		if (tg[g].port_id >= NB_PORTS)
			return -ENOENT;
		done = rte_eth_tx_burst(tg[g].port_id, tg[g].queue_id,
			&pkts[off], cnt[g]);
		sent[tg[g].port_id] += done;
		if (done < cnt[g])
			rte_pktmbuf_free_bulk(&pkts[off + done], cnt[g] - done);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const uint16_t ports[NB_PORTS] = { 0, 1 };
	static const uint64_t weights[NB_PORTS] = { 3, 1 };
	struct rte_txweight_table_params params = {
		.name = "installed", .size = 1024,
		.socket_id = SOCKET_ID_ANY, .max_readers = 1,
	};
	struct rte_pmd_mlx5_lagspeed_info info;
	uint64_t sent[NB_PORTS] = { 0 };
	struct rte_txweight_table *t;
	struct rte_mbuf *pkts[BURST];
	struct rte_mempool *pool;
	struct rte_eth_stats st;
	uint32_t hash = 1;
	int ret, bad = 0;
	unsigned int i;
	uint16_t p;
	Dl_info where;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	if (rte_eth_dev_count_avail() < NB_PORTS) {
		fprintf(stderr, "need %d ports\n", NB_PORTS);
		return 1;
	}
	pool = rte_pktmbuf_pool_create("installed", 1023, 64, 0,
		RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (pool == NULL) {
		fprintf(stderr, "mempool: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	for (p = 0; p < NB_PORTS; p++) {
		ret = port_start(p, pool);
		if (ret != 0) {
			fprintf(stderr, "port %u: %s\n", p, strerror(-ret));
			return 1;
		}
	}

	t = rte_txweight_table_create(&params);
	if (t == NULL) {
		fprintf(stderr, "table: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	ret = rte_txweight_table_update(t, ports, weights, NULL, NB_PORTS);
	if (ret >= 0)
		ret = rte_txweight_table_reader_register(t, 0);
	if (ret < 0) {
		fprintf(stderr, "table: %s\n", strerror(-ret));
		return 1;
	}
	for (i = 0; i < PKTS; i += BURST) {
		unsigned int k;

		if (rte_pktmbuf_alloc_bulk(pool, pkts, BURST) != 0) {
			fprintf(stderr, "mbuf allocation failed\n");
			return 1;
		}
		for (k = 0; k < BURST; k++) {
			/* xorshift32: flows spread over the whole table */
			hash ^= hash << 13;
			hash ^= hash >> 17;
			hash ^= hash << 5;
			pkts[k]->hash.rss = hash;
			pkts[k]->data_len = 64;
			pkts[k]->pkt_len = 64;
		}
		ret = send_burst(t, pkts, BURST, sent);
		if (ret != 0) {
			fprintf(stderr, "split: %s\n", strerror(-ret));
			return 1;
		}
		rte_txweight_table_quiescent(t, 0);
	}

	for (p = 0; p < NB_PORTS; p++) {
		if (rte_eth_stats_get(p, &st) != 0)
			return 1;
		printf("port %u: sent %" PRIu64 ", counted %" PRIu64 "\n",
			p, sent[p], st.opackets);
		if (st.opackets != sent[p] || sent[p] == 0)
			bad = 1;
	}
	if (sent[0] + sent[1] != (PKTS + BURST - 1) / BURST * BURST)
		bad = 1;
	/* 3:1, within a point: the hashes spread evenly over the entries */
	printf("total: %" PRIu64 ", port 0's share %.2f%%\n", sent[0] + sent[1],
		100.0 * sent[0] / (sent[0] + sent[1]));
	if (sent[0] * 100 < (sent[0] + sent[1]) * 74 ||
			sent[0] * 100 > (sent[0] + sent[1]) * 76)
		bad = 1;

	if (dladdr((void *)(uintptr_t)rte_txweight_table_create, &where) != 0)
		printf("librte_txweight: %s\n", where.dli_fname);
	ret = rte_pmd_mlx5_lagspeed_info_get_dyn(0, &info);
	printf("lagspeed info of port 0: %s\n", ret == 0 ? "0" :
		ret == -ENODEV ? "-ENODEV" : ret == -ENOTSUP ? "-ENOTSUP" :
		"other");

	rte_txweight_table_reader_unregister(t, 0);
	rte_txweight_table_free(t);
	for (p = 0; p < NB_PORTS; p++) {
		rte_eth_dev_stop(p);
		rte_eth_dev_close(p);
	}
	rte_mempool_free(pool);
	rte_eal_cleanup();
	printf("%s\n", bad ? "FAILED" : "OK");
	return bad;
}
