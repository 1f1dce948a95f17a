/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

#ifndef TW_TX_H
#define TW_TX_H

/*
 * Transmit helpers shared by the integration test and the benchmark:
 * null ports set up with TX queues, and a burst sent through a flow table
 * (per-packet lookup, then one mini-burst per target).
 */

#include <string.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "rte_txweight.h"

#ifdef RTE_ARCH_X86
#include <rte_vect.h>
#endif

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

/* Every packet of a burst transmitted: retried until the port takes it. */
static inline void
tw_tx_all(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t sent = 0;

	while (sent < n)
		sent += rte_eth_tx_burst(port, queue, pkts + sent, n - sent);
}

/* A target as one word, the key packets are grouped by. */
union tw_target_word {
	uint32_t word;
	struct rte_txweight_target target;
};

/* Scratch space of one sending thread. */
struct tw_tx_ctx {
	union tw_target_word where[TW_BURST];
	struct rte_mbuf *group[TW_BURST];
	struct rte_mbuf *group2[TW_BURST];
};

static inline void
tw_tx_ctx_init(struct tw_tx_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
}

/* Bit i set when where[i] equals key, for the TW_BURST words. */
static inline uint32_t
tw_match_mask(const union tw_target_word *where, uint32_t key)
{
	uint32_t mask = 0;
	unsigned int i;

#ifdef RTE_ARCH_X86
	const __m128i k = _mm_set1_epi32((int)key);

	for (i = 0; i < TW_BURST; i += 4) {
		__m128i w = _mm_loadu_si128((const __m128i *)&where[i]);

		mask |= (uint32_t)_mm_movemask_ps(_mm_castsi128_ps(
			_mm_cmpeq_epi32(w, k))) << i;
	}
#else
	for (i = 0; i < TW_BURST; i++)
		mask |= (uint32_t)(where[i].word == key) << i;
#endif
	return mask;
}

/* Send one group of a burst (or free it when it has no port). */
static inline unsigned int
tw_tx_group(union tw_target_word key, struct rte_mbuf **group, unsigned int len,
	uint64_t *sent)
{
	if (unlikely(key.target.port_id >= RTE_MAX_ETHPORTS)) {
		rte_pktmbuf_free_bulk(group, len);
		return len;
	}
	tw_tx_all(key.target.port_id, key.target.queue_id, group, (uint16_t)len);
	if (sent != NULL)
		sent[key.target.port_id] += len;
	return 0;
}

/*
 * Send a burst through a table: hashes[i] is packet i's flow hash.
 *
 * First every packet's target is looked up (independent loads, so they
 * overlap), then the packets are grouped per target, in order, and each
 * group goes out as one mini-burst. Grouping works on bit masks from SIMD
 * compares, never on per-target counters in memory (whose
 * load-increment-store chain would serialise consecutive packets of one
 * target):
 * - one target: the burst goes out as it is;
 * - two targets (the common LAG of two ports): one branch-free pass writes
 *   every packet to both groups and advances only its own group's index,
 *   kept in a register;
 * - more: one pass of compares per target, then its set bits.
 *
 * Per-port counts (by port id) are added to sent[] when non-NULL.
 * Returns the number of packets that had no port (freed).
 */
static inline unsigned int
tw_tx_table_burst(struct tw_tx_ctx *ctx, const struct rte_txweight_table *table,
	struct rte_mbuf **pkts, const uint32_t *hashes, uint16_t n,
	uint64_t *sent)
{
	union tw_target_word key, key2;
	uint32_t left, mask, mask2;
	unsigned int dropped = 0, i, len, len2;

	RTE_ASSERT(n <= TW_BURST);
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		ctx->where[i].target = rte_txweight_table_lookup(table, hashes[i]);
	left = n == 32 ? UINT32_MAX : (UINT32_C(1) << n) - 1;
	key = ctx->where[0];
	mask = tw_match_mask(ctx->where, key.word) & left;
	if (mask == left)
		return tw_tx_group(key, pkts, n, sent);
	key2 = ctx->where[__builtin_ctz(left & ~mask)];
	mask2 = tw_match_mask(ctx->where, key2.word) & left;
	if ((mask | mask2) == left) {
		len = 0;
		len2 = 0;
		for (i = 0; i < n; i++) {
			unsigned int first = (mask >> i) & 1;

			ctx->group[len] = pkts[i];
			ctx->group2[len2] = pkts[i];
			len += first;
			len2 += first ^ 1;
		}
		dropped += tw_tx_group(key, ctx->group, len, sent);
		return dropped + tw_tx_group(key2, ctx->group2, len2, sent);
	}
	while (left != 0) {
		key = ctx->where[__builtin_ctz(left)];
		mask = tw_match_mask(ctx->where, key.word) & left;
		left &= ~mask;
		len = 0;
		do {
			ctx->group[len++] = pkts[__builtin_ctz(mask)];
			mask &= mask - 1;
		} while (mask != 0);
		dropped += tw_tx_group(key, ctx->group, len, sent);
	}
	return dropped;
}

#endif /* TW_TX_H */
