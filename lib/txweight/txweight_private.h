/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

#ifndef TXWEIGHT_PRIVATE_H
#define TXWEIGHT_PRIVATE_H

/* What the library's files share and applications never see. */

#include <pthread.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_rcu_qsbr.h>

#include "rte_txweight.h"

extern int txweight_logtype;

#define TXWEIGHT_LOG(level, fmt, ...) \
	TXWEIGHT_LOG_AS(level, __func__, fmt, ##__VA_ARGS__)

/* The same, naming the API function a helper works for. */
#define TXWEIGHT_LOG_AS(level, func, fmt, ...) \
	rte_log(RTE_LOG_ ## level, txweight_logtype, "TXWEIGHT: %s(): " fmt "\n", \
		func, ##__VA_ARGS__)

/* Entries are stored as the 32-bit words readers load in one go. */
union txweight_entry {
	uint32_t word;
	struct rte_txweight_target target;
};

/*
 * The weights a table last published, for SWRR states to follow, and the
 * entries each port holds, for rte_txweight_table_count() and the next
 * update. Only the ports with non-zero weight (the others hold none),
 * weights reduced by their gcd.
 */
struct txweight_weight_set {
	uint64_t version; /* the table version they belong to */
	unsigned int n;
	int64_t total;
	uint16_t port_ids[RTE_TXWEIGHT_MAX_PORTS];
	uint16_t nb_queues[RTE_TXWEIGHT_MAX_PORTS];
	int64_t weight[RTE_TXWEIGHT_MAX_PORTS];
	uint32_t entries[RTE_TXWEIGHT_MAX_PORTS];
};

struct rte_txweight_table {
	/* The data path reads this line only; it changes once per update. */
	struct rte_txweight_table_fast fast;

	/* Control path. */
	pthread_mutex_t update_lock __rte_cache_aligned; /* serializes updaters */
	uint32_t *arrays[2];  /* fast.entries is one; the other is spare */
	unsigned int active;  /* index of fast.entries in arrays */
	uint32_t size;
	uint32_t max_readers;
	struct rte_rcu_qsbr *qsbr;
	char name[32];

	/*
	 * Published weights and entry counts, read without a lock by SWRR
	 * states and rte_txweight_table_count(): seqcount odd while an
	 * updater rewrites them; readers retry then.
	 */
	uint32_t weights_seq __rte_cache_aligned;
	struct txweight_weight_set weights;
};

/*
 * Checks the weights of one call: sum within RTE_TXWEIGHT_WEIGHT_SUM_MAX.
 * Returns the sum, or UINT64_MAX (and logs, naming the API function func
 * and the table, unless table_name is NULL) when it is too large.
 */
uint64_t txweight_weight_sum(const uint64_t *weights, unsigned int n,
	const char *func, const char *table_name);

/*
 * The weight of one link: its speed in Mb/s, capped at cap_mbps when that
 * is non-zero; 0 when the link is down or its speed none or unknown (a
 * PMD's UINT32_MAX "unknown" would otherwise take nearly all the traffic).
 * Inline here so that the unit tests check the very rule the library runs.
 */
static inline uint64_t
txweight_link_weight(const struct rte_eth_link *link, uint32_t cap_mbps)
{
	uint64_t speed = 0;

	if (link->link_status != RTE_ETH_LINK_DOWN &&
			link->link_speed != RTE_ETH_SPEED_NUM_NONE &&
			link->link_speed != RTE_ETH_SPEED_NUM_UNKNOWN)
		speed = link->link_speed;
	if (cap_mbps != 0)
		speed = RTE_MIN(speed, (uint64_t)cap_mbps);
	return speed;
}

/*
 * A copy of the weights and counts the table last published (seqcount
 * read side, for SWRR states and rte_txweight_table_count()). Returns
 * false, *out unspecified, when the read met an updater: retry.
 */
bool txweight_weights_read(const struct rte_txweight_table *table,
	struct txweight_weight_set *out);

/* Apportionment with every argument already checked. */
int txweight_apportion_checked(const uint64_t *weights, unsigned int n,
	uint64_t sum, uint32_t units, const uint32_t *prev, uint32_t *counts);

#endif /* TXWEIGHT_PRIVATE_H */
