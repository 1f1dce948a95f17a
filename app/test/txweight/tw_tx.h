/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

#ifndef TW_TX_H
#define TW_TX_H

/*
 * Transmit helpers shared by the integration test and the benchmark:
 * null ports set up with TX queues, and a burst sent through a flow table
 * (split per target by the library, then one mini-burst per target).
 */

#include <string.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "rte_txweight.h"

#define TW_BURST 32

static inline int
tw_port_setup(uint16_t port, uint16_t nb_txq, struct rte_mempool *mp)
{
	struct rte_eth_conf conf;
	uint16_t q;

	memset(&conf, 0, sizeof(conf));
	if (rte_eth_dev_configure(port, 1, nb_txq, &conf) != 0)
		return -1;
	if (rte_eth_rx_queue_setup(port, 0, 128, rte_eth_dev_socket_id(port), NULL,
			mp) != 0)
		return -1;
	for (q = 0; q < nb_txq; q++)
		if (rte_eth_tx_queue_setup(port, q, 512, rte_eth_dev_socket_id(port),
				NULL) != 0)
			return -1;
	return rte_eth_dev_start(port);
}

/*
 * Ports 0..n-1 configured and started with nb_txq TX queues each, for
 * tests whose tables only need the queues to exist (an update gives a
 * port no more queues than it has configured). Their RX queue takes
 * mbufs from a small pool of its own.
 */
static inline int
tw_ports_configure(uint16_t n, uint16_t nb_txq)
{
	struct rte_mempool *mp = rte_pktmbuf_pool_create("tw_cfg_pool", 255, 0,
		0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	uint16_t port;

	if (mp == NULL)
		return -1;
	for (port = 0; port < n; port++)
		if (tw_port_setup(port, nb_txq, mp) != 0)
			return -1;
	return 0;
}

/* Every packet of a burst transmitted: retried until the port takes it. */
static inline void
tw_tx_all(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t sent = 0;

	while (sent < n)
		sent += rte_eth_tx_burst(port, queue, pkts + sent, n - sent);
}

/* Scratch space of one sending thread. */
struct tw_tx_ctx {
	struct rte_txweight_target targets[TW_BURST];
	uint16_t counts[TW_BURST];
};

static inline void
tw_tx_ctx_init(struct tw_tx_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
}

/* Send one group of a burst (or free it when it has no port). */
static inline unsigned int
tw_tx_group(struct rte_txweight_target target, struct rte_mbuf **group,
	unsigned int len, uint64_t *sent)
{
	if (unlikely(target.port_id >= RTE_MAX_ETHPORTS)) {
		rte_pktmbuf_free_bulk(group, len);
		return len;
	}
	tw_tx_all(target.port_id, target.queue_id, group, (uint16_t)len);
	if (sent != NULL)
		sent[target.port_id] += len;
	return 0;
}

/*
 * Send a burst through a table, as an application would: hashes[i] is
 * packet i's flow hash (NULL: the mbufs' hash.rss).
 * rte_txweight_table_split() makes each target's packets contiguous (in
 * place, stable), then each group goes out as one mini-burst.
 *
 * Per-port counts (by port id) are added to sent[] when non-NULL.
 * Returns the number of packets that had no port (freed).
 */
static inline unsigned int
tw_tx_table_burst(struct tw_tx_ctx *ctx, const struct rte_txweight_table *table,
	struct rte_mbuf **pkts, const uint32_t *hashes, uint16_t n,
	uint64_t *sent)
{
	unsigned int dropped = 0, off = 0;
	int g, n_groups;

	RTE_ASSERT(n <= TW_BURST);
	n_groups = rte_txweight_table_split(table, pkts, hashes, n, ctx->targets,
		ctx->counts);
	for (g = 0; g < n_groups; g++) {
		dropped += tw_tx_group(ctx->targets[g], &pkts[off], ctx->counts[g],
			sent);
		off += ctx->counts[g];
	}
	return dropped;
}

#endif /* TW_TX_H */
