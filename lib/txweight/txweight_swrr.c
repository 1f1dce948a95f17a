/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/*
 * Smooth weighted round robin states: the pick itself is inline in
 * rte_txweight.h; here the state follows its table's published weights.
 *
 * The pick (every port earns its weight, the port with most credit is
 * picked and pays the total) returns all credits to zero after exactly
 * total picks, during which each port was picked weight times: the
 * sequence is periodic with period total, so every window of total
 * consecutive picks holds each port exactly weight times. Picks of a port
 * are spread through the period rather than bunched (with up to four ports
 * every prefix stays within two picks of its exact share; tested).
 */

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <rte_common.h>
#include <rte_pause.h>

#include "rte_txweight.h"
#include "txweight_private.h"

/*
 * The state picks by the weights it holds until a read of the published
 * set succeeds, so the data path never waits: a read that meets an updater
 * (odd sequence, or a sequence that moved during the read) changes
 * nothing, and since the state's version still differs from the table's,
 * the next pick reads again.
 *
 * Credits and the schedule position restart only when the set differs
 * from the state's: an update that publishes the same weights (a refresh
 * on a timer, an LSC that did not change the speeds, weights scaled by a
 * common factor) leaves the sequence running. Restarting it would hand the
 * first picks to the largest weight again at every update, and a port of
 * small weight would be starved by updates more frequent than its turn.
 * Returns false when the read met an updater.
 */
static bool
swrr_load(struct rte_txweight_swrr *swrr)
{
	const struct txweight_weight_set *set = &swrr->table->weights;
	uint16_t port_ids[RTE_TXWEIGHT_MAX_PORTS];
	uint16_t nb_queues[RTE_TXWEIGHT_MAX_PORTS];
	int64_t weight[RTE_TXWEIGHT_MAX_PORTS], total;
	uint64_t version;
	uint32_t seq, k;
	unsigned int n;

	/* Seqcount read side. */
	seq = __atomic_load_n(&swrr->table->weights_seq, __ATOMIC_ACQUIRE);
	if (seq & 1)
		return false;
	version = set->version;
	/*
	 * Read once (an update may be writing it): the bound checked is the
	 * bound used, whatever the compiler would rather reload.
	 */
	n = __atomic_load_n(&set->n, __ATOMIC_RELAXED);
	total = set->total;
	if (n > RTE_TXWEIGHT_MAX_PORTS)
		return false; /* torn: the sequence check would fail too */
	memcpy(port_ids, set->port_ids, sizeof(port_ids[0]) * n);
	memcpy(nb_queues, set->nb_queues, sizeof(nb_queues[0]) * n);
	memcpy(weight, set->weight, sizeof(weight[0]) * n);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (__atomic_load_n(&swrr->table->weights_seq, __ATOMIC_RELAXED) != seq)
		return false;

	swrr->version = version;
	if (n == swrr->n && total == swrr->total &&
			memcmp(port_ids, swrr->port_ids, sizeof(port_ids[0]) * n) == 0 &&
			memcmp(nb_queues, swrr->nb_queues,
				sizeof(nb_queues[0]) * n) == 0 &&
			memcmp(weight, swrr->weight, sizeof(weight[0]) * n) == 0)
		return true;
	swrr->n = n;
	swrr->total = total;
	memcpy(swrr->port_ids, port_ids, sizeof(port_ids[0]) * n);
	memcpy(swrr->nb_queues, nb_queues, sizeof(nb_queues[0]) * n);
	memcpy(swrr->weight, weight, sizeof(weight[0]) * n);
	memset(swrr->current, 0, sizeof(swrr->current));
	memset(swrr->next_queue, 0, sizeof(swrr->next_queue));
	swrr->sched_len = 0;
	swrr->sched_pos = 0;
	if (swrr->n == 0 || swrr->total > RTE_TXWEIGHT_SWRR_SCHED_MAX)
		return true;
	/*
	 * A short period: run it once now, then replay it (the credits are
	 * back to zero after exactly one period, so the replay is the same
	 * sequence the credits would give).
	 */
	for (k = 0; k < (uint32_t)swrr->total; k++) {
		unsigned int i, best = 0;

		for (i = 0; i < swrr->n; i++) {
			swrr->current[i] += swrr->weight[i];
			if (swrr->current[i] > swrr->current[best])
				best = i;
		}
		swrr->current[best] -= swrr->total;
		swrr->sched[k] = (uint8_t)best;
	}
	swrr->sched_len = (uint32_t)swrr->total;
	return true;
}

void
rte_txweight_swrr_reload(struct rte_txweight_swrr *swrr)
{
	(void)swrr_load(swrr);
}

/*
 * The credits stay within (-total, (n - 1) * total] (their sum is 0 after
 * each pick and the one picked had at least the mean, total / n, before
 * paying total), and a credit plus its weight at most n * total: with
 * total at most RTE_TXWEIGHT_WEIGHT_SUM_MAX, int64_t holds them for these
 * many ports (n * 2^52 <= INT64_MAX: up to 2047).
 */
_Static_assert(RTE_TXWEIGHT_MAX_PORTS <=
	INT64_MAX / RTE_TXWEIGHT_WEIGHT_SUM_MAX,
	"SWRR credits could overflow int64_t");

int
rte_txweight_swrr_init(struct rte_txweight_swrr *swrr,
	const struct rte_txweight_table *table)
{
	if (swrr == NULL || table == NULL) {
		TXWEIGHT_LOG(ERR, "NULL swrr or table");
		return -EINVAL;
	}
	memset(swrr, 0, sizeof(*swrr));
	swrr->table = table;
	/* The control path may wait for an updater, unlike the picks. */
	while (!swrr_load(swrr))
		rte_pause();
	return 0;
}
