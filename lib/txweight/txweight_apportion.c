/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/*
 * Apportionment of units over weighted ports (largest remainder), and the
 * assignment of individual units that follows it with the fewest moves.
 *
 * Quotas are exact rationals units * w / W. With floor f and remainder r of
 * that division, the units left after the floors, L = units - sum(f), go to
 * L ports with r > 0, each getting f + 1: there are always enough of them
 * because sum(r) = L * W and every r < W. Any such choice is "within one
 * unit of the quota"; which L ports get their ceiling is the only freedom.
 *
 * Stability: the distance to prev, sum(|c - p|), is separable per port.
 * Giving port i its ceiling instead of its floor changes that distance by
 * -1 when p >= f + 1 and by +1 otherwise, so the optimum takes the ports
 * with p > f first, then the others; within each class the largest
 * remainder (then the lowest index) decides, so that without prev this is
 * plain largest remainder.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_log.h>

#include "rte_txweight.h"
#include "txweight_private.h"

RTE_LOG_REGISTER(txweight_logtype, lib.txweight, INFO);

/* Marks a unit to be moved, during rte_txweight_assign() only. */
#define TXWEIGHT_UNIT_MOVING (RTE_TXWEIGHT_NO_PORT - 1)

uint64_t
txweight_weight_sum(const uint64_t *weights, unsigned int n, const char *func,
	const char *table_name)
{
	uint64_t sum = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (weights[i] > RTE_TXWEIGHT_WEIGHT_SUM_MAX - sum) {
			TXWEIGHT_LOG_AS(ERR, func, "%s%ssum of the weights exceeds 2^52",
				table_name != NULL ? table_name : "",
				table_name != NULL ? ": " : "");
			return UINT64_MAX;
		}
		sum += weights[i];
	}
	return sum;
}

/* Order of the candidates for a ceiling: best first. */
struct ceil_candidate {
	unsigned int index;
	bool loses_less;    /* prev > floor: the ceiling brings it closer */
	uint64_t remainder; /* units * w mod W */
};

static bool
candidate_before(const struct ceil_candidate *a, const struct ceil_candidate *b)
{
	if (a->loses_less != b->loses_less)
		return a->loses_less;
	if (a->remainder != b->remainder)
		return a->remainder > b->remainder;
	return a->index < b->index;
}

int
txweight_apportion_checked(const uint64_t *weights, unsigned int n,
	uint64_t sum, uint32_t units, const uint32_t *prev, uint32_t *counts)
{
	struct ceil_candidate cand[RTE_TXWEIGHT_MAX_PORTS];
	uint32_t prev_copy[RTE_TXWEIGHT_MAX_PORTS];
	unsigned int n_cand = 0, i, j;
	uint64_t given = 0, left, moved = 0;

	/* prev may be counts itself: an apportionment updated in place. */
	if (prev != NULL) {
		memcpy(prev_copy, prev, sizeof(*prev) * n);
		prev = prev_copy;
	}
	if (sum == 0) {
		memset(counts, 0, sizeof(*counts) * n);
		return -ENOENT;
	}
	for (i = 0; i < n; i++) {
		/* units < 2^32 and w <= 2^52: the product needs 128 bits. */
		unsigned __int128 product = (unsigned __int128)units * weights[i];
		uint64_t floor_count = (uint64_t)(product / sum);
		uint64_t remainder = (uint64_t)(product % sum);

		counts[i] = (uint32_t)floor_count;
		given += floor_count;
		if (remainder != 0) {
			struct ceil_candidate c = {
				.index = i,
				.loses_less = prev != NULL && prev[i] > floor_count,
				.remainder = remainder,
			};

			/* Insertion sort: n is at most RTE_TXWEIGHT_MAX_PORTS. */
			for (j = n_cand; j > 0 && candidate_before(&c, &cand[j - 1]); j--)
				cand[j] = cand[j - 1];
			cand[j] = c;
			n_cand++;
		}
	}
	left = units - given;
	RTE_ASSERT(left <= n_cand);
	for (j = 0; j < left && j < n_cand; j++)
		counts[cand[j].index]++;
	if (prev == NULL)
		return 0;
	/* Units that arrive at a port they were not counted at before. */
	for (i = 0; i < n; i++)
		if (counts[i] > prev[i])
			moved += counts[i] - prev[i];
	return (int)RTE_MIN(moved, (uint64_t)INT32_MAX);
}

int
rte_txweight_apportion(const uint64_t *weights, unsigned int n,
	uint32_t units, const uint32_t *prev, uint32_t *counts)
{
	uint64_t sum;

	if (weights == NULL || counts == NULL) {
		TXWEIGHT_LOG(ERR, "NULL weights or counts");
		return -EINVAL;
	}
	if (n == 0 || n > RTE_TXWEIGHT_MAX_PORTS) {
		TXWEIGHT_LOG(ERR, "%u ports: must be 1..%u", n, RTE_TXWEIGHT_MAX_PORTS);
		return -EINVAL;
	}
	sum = txweight_weight_sum(weights, n, __func__, NULL);
	if (sum == UINT64_MAX)
		return -EINVAL;
	if (units > INT32_MAX) {
		TXWEIGHT_LOG(ERR, "%u units: at most %d", units, INT32_MAX);
		return -EINVAL;
	}
	return txweight_apportion_checked(weights, n, sum, units, prev, counts);
}

int
rte_txweight_assign(const uint64_t *weights, unsigned int n,
	uint16_t *owner, unsigned int n_units)
{
	uint32_t prev[RTE_TXWEIGHT_MAX_PORTS] = { 0 };
	uint32_t counts[RTE_TXWEIGHT_MAX_PORTS];
	uint32_t kept[RTE_TXWEIGHT_MAX_PORTS] = { 0 };
	unsigned int u, port = 0, reassigned = 0;
	uint64_t sum;
	int ret;

	if (weights == NULL || (owner == NULL && n_units != 0)) {
		TXWEIGHT_LOG(ERR, "NULL weights or owner");
		return -EINVAL;
	}
	if (n == 0 || n > RTE_TXWEIGHT_MAX_PORTS) {
		TXWEIGHT_LOG(ERR, "%u ports: must be 1..%u", n, RTE_TXWEIGHT_MAX_PORTS);
		return -EINVAL;
	}
	if (n_units > INT32_MAX) {
		TXWEIGHT_LOG(ERR, "%u units: at most %d", n_units, INT32_MAX);
		return -EINVAL;
	}
	sum = txweight_weight_sum(weights, n, __func__, NULL);
	if (sum == UINT64_MAX)
		return -EINVAL;
	for (u = 0; u < n_units; u++) {
		if (owner[u] == RTE_TXWEIGHT_NO_PORT)
			continue;
		if (owner[u] >= n) {
			TXWEIGHT_LOG(ERR, "unit %u: owner %u is not a port index (n %u)",
				u, owner[u], n);
			return -EINVAL;
		}
		prev[owner[u]]++;
	}
	ret = txweight_apportion_checked(weights, n, sum, n_units, prev, counts);
	if (ret == -ENOENT) {
		for (u = 0; u < n_units; u++)
			owner[u] = RTE_TXWEIGHT_NO_PORT;
		return -ENOENT;
	}
	/*
	 * A port keeps its first units up to its new count; the others (and
	 * the unowned ones) are marked, then handed to the ports below their
	 * count. Two passes, so that no port is filled with moved units before
	 * its own were counted.
	 */
	for (u = 0; u < n_units; u++) {
		uint16_t o = owner[u];

		if (o != RTE_TXWEIGHT_NO_PORT && kept[o] < counts[o])
			kept[o]++;
		else
			owner[u] = TXWEIGHT_UNIT_MOVING;
	}
	for (u = 0; u < n_units; u++) {
		if (owner[u] != TXWEIGHT_UNIT_MOVING)
			continue;
		while (kept[port] >= counts[port])
			port++;
		RTE_ASSERT(port < n);
		kept[port]++;
		owner[u] = (uint16_t)port;
		reassigned++;
	}
	return (int)reassigned;
}
