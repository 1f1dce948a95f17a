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
	struct txweight_weight_set set;
	uint32_t k;

	if (!txweight_weights_read(swrr->table, &set))
		return false;
	swrr->version = set.version;
	if (set.n == swrr->n && set.total == swrr->total &&
			memcmp(set.port_ids, swrr->port_ids,
				sizeof(set.port_ids[0]) * set.n) == 0 &&
			memcmp(set.nb_queues, swrr->nb_queues,
				sizeof(set.nb_queues[0]) * set.n) == 0 &&
			memcmp(set.weight, swrr->weight,
				sizeof(set.weight[0]) * set.n) == 0)
		return true;
	swrr->n = set.n;
	swrr->total = set.total;
	memcpy(swrr->port_ids, set.port_ids, sizeof(set.port_ids[0]) * set.n);
	memcpy(swrr->nb_queues, set.nb_queues,
		sizeof(set.nb_queues[0]) * set.n);
	memcpy(swrr->weight, set.weight, sizeof(set.weight[0]) * set.n);
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
