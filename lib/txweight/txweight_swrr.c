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
#include <string.h>

#include <rte_common.h>
#include <rte_pause.h>

#include "rte_txweight.h"
#include "txweight_private.h"

void
rte_txweight_swrr_reload(struct rte_txweight_swrr *swrr)
{
	const struct txweight_weight_set *set = &swrr->table->weights;
	uint32_t seq_before, seq_after, k;

	/* Seqcount read side: retry while an updater rewrites the set. */
	for (;;) {
		seq_before = __atomic_load_n(&swrr->table->weights_seq,
			__ATOMIC_ACQUIRE);
		if (seq_before & 1) {
			rte_pause();
			continue;
		}
		swrr->version = set->version;
		swrr->n = set->n;
		swrr->total = set->total;
		if (swrr->n > RTE_TXWEIGHT_MAX_PORTS)
			swrr->n = 0; /* torn read: retried below */
		memcpy(swrr->port_ids, set->port_ids,
			sizeof(swrr->port_ids[0]) * swrr->n);
		memcpy(swrr->nb_queues, set->nb_queues,
			sizeof(swrr->nb_queues[0]) * swrr->n);
		memcpy(swrr->weight, set->weight, sizeof(swrr->weight[0]) * swrr->n);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		seq_after = __atomic_load_n(&swrr->table->weights_seq,
			__ATOMIC_RELAXED);
		if (seq_before == seq_after)
			break;
	}
	memset(swrr->current, 0, sizeof(swrr->current));
	memset(swrr->next_queue, 0, sizeof(swrr->next_queue));
	swrr->sched_len = 0;
	swrr->sched_pos = 0;
	if (swrr->n == 0 || swrr->total > RTE_TXWEIGHT_SWRR_SCHED_MAX)
		return;
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
	rte_txweight_swrr_reload(swrr);
	return 0;
}
