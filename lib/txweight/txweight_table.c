/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/*
 * The flow table: S entries, each a (port, queue) word, mapping a flow hash
 * to where it goes.
 *
 * Live update: two entry arrays. Readers load the published array's
 * address and one entry. The updater (one at a time, under update_lock)
 * writes the new mapping into the spare (an entry that keeps its target
 * gets the same word), publishes the spare with a release store and then
 * waits on the QSBR variable until every registered reader has reported a
 * quiescent state: from then on no reader holds the old array, which
 * becomes the spare of the next update. A reader therefore sees either
 * the old or the new mapping, never a mix inside one entry, and never
 * waits.
 *
 * Minimal remap: per-port entry counts come from the apportionment with
 * prev = the current counts (published with the weights, not counted), so
 * the fewest entries change port. A port keeps as many of its entries as
 * its new count allows; the others (and those of ports no longer in the
 * set) go to the ports under theirs, interleaved by a smooth weighted
 * round robin over the deficits. With one queue per port (now and in the
 * published mapping) a port keeps its first entries, in one pass over the
 * entries. Within a port, every queue holds the floor or the ceiling of
 * count / nb_queues entries, and the entries a port keeps are chosen by
 * queue, so that the fewest change target (port or queue).
 */

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_pause.h>
#include <rte_rcu_qsbr.h>

#include "rte_txweight.h"
#include "txweight_private.h"

static const union txweight_entry no_port_entry = {
	.target = { .port_id = RTE_TXWEIGHT_NO_PORT, .queue_id = 0 },
};

struct rte_txweight_table *
rte_txweight_table_create(const struct rte_txweight_table_params *params)
{
	struct rte_txweight_table *table;
	size_t qsbr_size;
	unsigned int i, a;

	if (params == NULL) {
		TXWEIGHT_LOG(ERR, "NULL params");
		rte_errno = EINVAL;
		return NULL;
	}
	if (params->size < RTE_TXWEIGHT_TABLE_MIN_SIZE ||
			params->size > RTE_TXWEIGHT_TABLE_MAX_SIZE ||
			!rte_is_power_of_2(params->size)) {
		TXWEIGHT_LOG(ERR, "table size %u: must be a power of two in %u..%u",
			params->size, RTE_TXWEIGHT_TABLE_MIN_SIZE,
			RTE_TXWEIGHT_TABLE_MAX_SIZE);
		rte_errno = EINVAL;
		return NULL;
	}
	if (params->max_readers == 0 || params->max_readers > RTE_MAX_LCORE) {
		TXWEIGHT_LOG(ERR, "max_readers %u: must be 1..%u",
			params->max_readers, RTE_MAX_LCORE);
		rte_errno = EINVAL;
		return NULL;
	}
	if (params->socket_id != SOCKET_ID_ANY && (params->socket_id < 0 ||
			params->socket_id >= RTE_MAX_NUMA_NODES)) {
		TXWEIGHT_LOG(ERR, "socket_id %d: must be SOCKET_ID_ANY or 0..%d",
			params->socket_id, RTE_MAX_NUMA_NODES - 1);
		rte_errno = EINVAL;
		return NULL;
	}
	table = rte_zmalloc_socket("txweight_table", sizeof(*table),
		RTE_CACHE_LINE_SIZE, params->socket_id);
	if (table == NULL)
		goto nomem;
	for (a = 0; a < 2; a++) {
		table->arrays[a] = rte_malloc_socket("txweight_entries",
			sizeof(uint32_t) * params->size, RTE_CACHE_LINE_SIZE,
			params->socket_id);
		if (table->arrays[a] == NULL)
			goto nomem;
		for (i = 0; i < params->size; i++)
			table->arrays[a][i] = no_port_entry.word;
	}
	qsbr_size = rte_rcu_qsbr_get_memsize(params->max_readers);
	table->qsbr = rte_zmalloc_socket("txweight_qsbr", qsbr_size,
		RTE_CACHE_LINE_SIZE, params->socket_id);
	if (table->qsbr == NULL)
		goto nomem;
	if (rte_rcu_qsbr_init(table->qsbr, params->max_readers) != 0) {
		TXWEIGHT_LOG(ERR, "cannot initialise the QSBR variable");
		rte_errno = EINVAL;
		rte_txweight_table_free(table);
		return NULL;
	}
	pthread_mutex_init(&table->update_lock, NULL);
	table->size = params->size;
	table->max_readers = params->max_readers;
	snprintf(table->name, sizeof(table->name), "%s",
		params->name != NULL ? params->name : "txweight");
	table->active = 0;
	table->fast.mask = params->size - 1;
	table->fast.qsbr = table->qsbr;
	table->fast.version = 0;
	__atomic_store_n(&table->fast.entries, table->arrays[0], __ATOMIC_RELEASE);
	return table;

nomem:
	TXWEIGHT_LOG(ERR, "out of memory for a table of %u entries (socket %d)",
		params->size, params->socket_id);
	rte_txweight_table_free(table);
	rte_errno = ENOMEM;
	return NULL;
}

void
rte_txweight_table_free(struct rte_txweight_table *table)
{
	if (table == NULL)
		return;
	rte_free(table->qsbr);
	rte_free(table->arrays[0]);
	rte_free(table->arrays[1]);
	if (table->size != 0)
		pthread_mutex_destroy(&table->update_lock);
	rte_free(table);
}

int
rte_txweight_table_reader_register(struct rte_txweight_table *table,
	unsigned int reader_id)
{
	if (table == NULL || reader_id >= table->max_readers) {
		TXWEIGHT_LOG(ERR, "bad table or reader id %u", reader_id);
		return -EINVAL;
	}
	if (rte_rcu_qsbr_thread_register(table->qsbr, reader_id) != 0)
		return -EINVAL;
	rte_rcu_qsbr_thread_online(table->qsbr, reader_id);
	return 0;
}

int
rte_txweight_table_reader_unregister(struct rte_txweight_table *table,
	unsigned int reader_id)
{
	if (table == NULL || reader_id >= table->max_readers) {
		TXWEIGHT_LOG(ERR, "bad table or reader id %u", reader_id);
		return -EINVAL;
	}
	rte_rcu_qsbr_thread_offline(table->qsbr, reader_id);
	if (rte_rcu_qsbr_thread_unregister(table->qsbr, reader_id) != 0)
		return -EINVAL;
	return 0;
}

/* Its messages name the API function it checks for. */
#define UPDATE_ERR(fmt, ...) \
	TXWEIGHT_LOG_AS(ERR, "rte_txweight_table_update", fmt, ##__VA_ARGS__)

/*
 * A port that gets entries must have been configured with the TX queues
 * they name: a burst sent to a queue beyond the configured count is not
 * an error the data path would see (net_null takes nothing, and a retry
 * loop spins; other PMDs dereference a NULL queue). Only the count is
 * checked: a queue configured but never set up
 * (rte_eth_tx_queue_setup()) goes unnoticed here.
 */
static int
check_configured_queues(const struct rte_txweight_table *table,
	uint16_t port_id, uint16_t want)
{
	struct rte_eth_dev_info info;
	int ret = rte_eth_dev_info_get(port_id, &info);

	if (ret != 0) {
		UPDATE_ERR("%s: port %u: cannot read its queue count (%s)",
			table->name, port_id, rte_strerror(-ret));
		return -EINVAL;
	}
	if (want > info.nb_tx_queues) {
		UPDATE_ERR("%s: port %u: %u TX queue(s) asked, %u configured",
			table->name, port_id, want, info.nb_tx_queues);
		return -EINVAL;
	}
	return 0;
}

static int
check_update_args(const struct rte_txweight_table *table,
	const uint16_t *port_ids, const uint64_t *weights,
	const uint16_t *nb_queues, unsigned int n, uint64_t *sum)
{
	bool seen[RTE_MAX_ETHPORTS] = { false };
	unsigned int i;

	if (table == NULL || port_ids == NULL || weights == NULL) {
		UPDATE_ERR("NULL table, port_ids or weights");
		return -EINVAL;
	}
	if (n == 0 || n > RTE_TXWEIGHT_MAX_PORTS) {
		UPDATE_ERR("%s: %u ports: must be 1..%u", table->name, n,
			RTE_TXWEIGHT_MAX_PORTS);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		if (!rte_eth_dev_is_valid_port(port_ids[i])) {
			UPDATE_ERR("%s: port %u is not a valid port", table->name,
				port_ids[i]);
			return -EINVAL;
		}
		if (seen[port_ids[i]]) {
			UPDATE_ERR("%s: port %u given twice", table->name,
				port_ids[i]);
			return -EINVAL;
		}
		seen[port_ids[i]] = true;
		/* A port of weight 0 gets no entry: it may have no queue. */
		if (nb_queues != NULL && ((nb_queues[i] == 0 && weights[i] != 0) ||
				nb_queues[i] > RTE_MAX_QUEUES_PER_PORT)) {
			UPDATE_ERR("%s: port %u: %u TX queues (1..%u; 0 only at "
				"weight 0)", table->name, port_ids[i], nb_queues[i],
				RTE_MAX_QUEUES_PER_PORT);
			return -EINVAL;
		}
		if (weights[i] != 0 && check_configured_queues(table, port_ids[i],
				nb_queues != NULL ? nb_queues[i] : 1) != 0)
			return -EINVAL;
	}
	*sum = txweight_weight_sum(weights, n, "rte_txweight_table_update",
		table->name);
	if (*sum == UINT64_MAX)
		return -EINVAL;
	return 0;
}

/* Per-port state while the queues of its entries are chosen. */
struct queue_fill {
	uint32_t *count;      /* entries per queue */
	uint32_t floor;       /* every queue gets floor entries ... */
	uint32_t extra_left;  /* ... and this many of them one more */
	uint16_t nb_queues;
	uint16_t cursor;      /* rotation over the queues for new entries */
};

static bool
queue_can_take(const struct queue_fill *qf, uint16_t q)
{
	return qf->count[q] < qf->floor ||
		(qf->count[q] == qf->floor && qf->extra_left > 0);
}

static void
queue_take(struct queue_fill *qf, uint16_t q)
{
	if (qf->count[q] == qf->floor)
		qf->extra_left--;
	qf->count[q]++;
}

/* The queue after q, in rotation (a compare: a division costs more). */
static uint16_t
queue_after(const struct queue_fill *qf, uint16_t q)
{
	return q + 1 == qf->nb_queues ? 0 : (uint16_t)(q + 1);
}

/* The next queue, in rotation, that can take one more entry. */
static uint16_t
queue_next(struct queue_fill *qf)
{
	uint16_t q = qf->cursor;

	while (!queue_can_take(qf, q))
		q = queue_after(qf, q);
	queue_take(qf, q);
	qf->cursor = queue_after(qf, q);
	return q;
}

/* Per entry during an update: the index of its new port, or none. */
#define OWNER_NONE UINT8_MAX
static_assert(RTE_TXWEIGHT_MAX_PORTS < OWNER_NONE, "port index fits a byte");

/*
 * Where the entries given up go (those over a port's new count, and those
 * of ports no longer in the set): to the ports under their count, by a
 * smooth weighted round robin over the deficits, so that each port's new
 * entries are spread over the table rather than in one run. Only the
 * ports with a deficit take part, in the order the update lists them:
 * a tie goes to the one listed first.
 */
struct deficit_rr {
	int64_t deficit[RTE_TXWEIGHT_MAX_PORTS];
	int64_t credit[RTE_TXWEIGHT_MAX_PORTS];
	uint8_t index[RTE_TXWEIGHT_MAX_PORTS]; /* into the update's ports */
	unsigned int n;
	int64_t total;
};

static void
deficit_rr_init(struct deficit_rr *rr, const uint32_t *counts,
	const uint32_t *prev, unsigned int n)
{
	unsigned int i;

	rr->n = 0;
	rr->total = 0;
	for (i = 0; i < n; i++) {
		if (counts[i] <= prev[i])
			continue;
		rr->deficit[rr->n] = (int64_t)counts[i] - (int64_t)prev[i];
		rr->credit[rr->n] = 0;
		rr->index[rr->n] = (uint8_t)i;
		rr->total += rr->deficit[rr->n];
		rr->n++;
	}
}

/* The port (index) of the next entry given up. */
static inline uint8_t
deficit_rr_next(struct deficit_rr *rr)
{
	unsigned int i, best = 0;

	RTE_ASSERT(rr->n != 0);
	/* One port gaining (one speed changing between two ports): all to it. */
	if (rr->n == 1)
		return rr->index[0];
	for (i = 0; i < rr->n; i++) {
		rr->credit[i] += rr->deficit[i];
		if (rr->credit[i] > rr->credit[best])
			best = i;
	}
	rr->credit[best] -= rr->total;
	return rr->index[best];
}

/* What decides the new port of each entry during one update. */
struct owner_pick {
	uint8_t index_of[RTE_MAX_ETHPORTS]; /* port id -> index, or OWNER_NONE */
	uint32_t keep_left[RTE_TXWEIGHT_MAX_PORTS]; /* entries each may still keep */
	struct deficit_rr rr;
};

/* The index of the port an entry names in this update, or OWNER_NONE. */
static inline uint8_t
entry_port_index(const struct owner_pick *pick, union txweight_entry old)
{
	return old.target.port_id < RTE_MAX_ETHPORTS ?
		pick->index_of[old.target.port_id] : OWNER_NONE;
}

/*
 * The new port (index) of an entry: its own while the port keeps entries
 * (its first ones, up to its new count), else the next in the deficits'
 * round robin. Called for every entry not yet placed, in order.
 */
static inline uint8_t
entry_owner(struct owner_pick *pick, uint32_t word)
{
	union txweight_entry old = { .word = word };
	uint8_t idx = entry_port_index(pick, old);

	if (idx != OWNER_NONE && pick->keep_left[idx] != 0) {
		pick->keep_left[idx]--;
		return idx;
	}
	return deficit_rr_next(&pick->rr);
}

/*
 * The mapping when some port has more than one queue: every queue of a
 * port ends with the floor or the ceiling of the port's count /
 * nb_queues, and as many entries as those bounds allow keep both port and
 * queue. Which entries a port keeps is therefore chosen by queue, not by
 * position: first those that keep their queue (up to every queue's floor,
 * then to the ceilings that remain), then, while the port keeps more,
 * its other entries, on a new queue. The port's total is the same as the
 * one-queue path keeps, so no more entries change port. Returns the
 * number of entries whose target changed or -ENOMEM.
 */
static int
build_with_queues(uint32_t *next, const uint32_t *cur, uint32_t size,
	const uint16_t *port_ids, const uint16_t *nb_queues,
	const uint32_t *counts, unsigned int n, struct owner_pick *pick)
{
	struct queue_fill fill[RTE_TXWEIGHT_MAX_PORTS];
	uint32_t *queue_count;
	uint8_t *settled;
	size_t total_queues = 0;
	uint32_t e, extra = 0;
	unsigned int i;
	int changed = 0;

	for (i = 0; i < n; i++)
		total_queues += nb_queues[i];
	queue_count = calloc(total_queues, sizeof(*queue_count));
	settled = calloc(size, sizeof(*settled));
	if (queue_count == NULL || settled == NULL) {
		free(queue_count);
		free(settled);
		return -ENOMEM;
	}
	total_queues = 0;
	for (i = 0; i < n; i++) {
		fill[i].nb_queues = nb_queues[i];
		fill[i].count = &queue_count[total_queues];
		/* No queue: weight 0, so no entry (check_update_args()). */
		fill[i].floor = fill[i].nb_queues != 0 ?
			counts[i] / fill[i].nb_queues : 0;
		fill[i].extra_left = fill[i].nb_queues != 0 ?
			counts[i] % fill[i].nb_queues : 0;
		fill[i].cursor = 0;
		total_queues += fill[i].nb_queues;
	}
	/*
	 * Entries keeping port and queue, first up to the floor of every
	 * queue (the floors sum to at most the port's count, so keep_left
	 * covers them) ...
	 */
	for (e = 0; e < size; e++) {
		union txweight_entry old = { .word = cur[e] };
		uint8_t o = entry_port_index(pick, old);
		uint16_t q = old.target.queue_id;

		if (o != OWNER_NONE && q < fill[o].nb_queues &&
				fill[o].count[q] < fill[o].floor) {
			queue_take(&fill[o], q);
			pick->keep_left[o]--;
			settled[e] = 1;
		}
	}
	/* ... then up to the ceilings that remain, while any does. */
	for (i = 0; i < n; i++)
		extra += fill[i].extra_left;
	for (e = 0; e < size && extra != 0; e++) {
		union txweight_entry old = { .word = cur[e] };
		uint8_t o = entry_port_index(pick, old);
		uint16_t q = old.target.queue_id;

		if (!settled[e] && o != OWNER_NONE && q < fill[o].nb_queues &&
				queue_can_take(&fill[o], q)) {
			queue_take(&fill[o], q);
			pick->keep_left[o]--;
			settled[e] = 1;
			extra--;
		}
	}
	/*
	 * The others, in order: on their port (a new queue) while it keeps
	 * entries, else where the deficits' round robin sends them.
	 */
	for (e = 0; e < size; e++) {
		union txweight_entry entry = { .word = cur[e] };
		uint8_t o;

		if (!settled[e]) {
			o = entry_owner(pick, cur[e]);
			entry.target.port_id = port_ids[o];
			entry.target.queue_id = queue_next(&fill[o]);
		}
		changed += entry.word != cur[e];
		__atomic_store_n(&next[e], entry.word, __ATOMIC_RELAXED);
	}
	free(queue_count);
	free(settled);
	return changed;
}

/*
 * The entries a port holds now, from the counts the last update published
 * (the caller holds update_lock, so they do not change meanwhile).
 */
static uint32_t
entries_held(const struct txweight_weight_set *set, uint16_t port_id)
{
	unsigned int k;

	for (k = 0; k < set->n; k++)
		if (set->port_ids[k] == port_id)
			return set->entries[k];
	return 0;
}

/*
 * Whether a port has more than one queue in the update or in the mapping
 * published before it (the caller holds update_lock).
 */
static bool
several_queues(const struct txweight_weight_set *set,
	const uint16_t *nb_queues, unsigned int n)
{
	unsigned int k;

	for (k = 0; nb_queues != NULL && k < n; k++)
		if (nb_queues[k] > 1)
			return true;
	for (k = 0; k < set->n; k++)
		if (set->nb_queues[k] > 1)
			return true;
	return false;
}

/*
 * Make the next mapping in the spare array from the published one, in one
 * pass over the entries when every port has one queue. Fills counts (the
 * new entries per port). Returns the number of entries whose target
 * changed, -ENOENT (all entries to no port) or -ENOMEM.
 */
static int
build_mapping(const struct rte_txweight_table *table, uint32_t *next,
	const uint16_t *port_ids, const uint64_t *weights, uint64_t sum,
	const uint16_t *nb_queues, unsigned int n, uint32_t *counts)
{
	const uint32_t *cur = table->arrays[table->active];
	uint32_t prev[RTE_TXWEIGHT_MAX_PORTS];
	uint32_t word_of[RTE_TXWEIGHT_MAX_PORTS];
	struct owner_pick pick;
	uint32_t e, size = table->size;
	unsigned int i;
	int changed = 0, ret;

	memset(pick.index_of, OWNER_NONE, sizeof(pick.index_of));
	for (i = 0; i < n; i++) {
		pick.index_of[port_ids[i]] = (uint8_t)i;
		prev[i] = entries_held(&table->weights, port_ids[i]);
	}
	ret = txweight_apportion_checked(weights, n, sum, size, prev, counts);
	if (ret == -ENOENT) {
		for (e = 0; e < size; e++)
			__atomic_store_n(&next[e], no_port_entry.word,
				__ATOMIC_RELAXED);
		return -ENOENT;
	}
	deficit_rr_init(&pick.rr, counts, prev, n);
	memcpy(pick.keep_left, counts, sizeof(*counts) * n);
	/*
	 * Queues to choose, now or in the published mapping: a port that
	 * goes to one queue keeps its entries on queue 0 first.
	 */
	if (several_queues(&table->weights, nb_queues, n)) {
		uint16_t ones[RTE_TXWEIGHT_MAX_PORTS];

		if (nb_queues == NULL) {
			for (i = 0; i < n; i++)
				ones[i] = 1;
			nb_queues = ones;
		}
		return build_with_queues(next, cur, size, port_ids, nb_queues,
			counts, n, &pick);
	}
	/* One queue per port (the common case): no queue to choose. */
	for (i = 0; i < n; i++) {
		union txweight_entry entry = {
			.target = { .port_id = port_ids[i], .queue_id = 0 },
		};

		word_of[i] = entry.word;
	}
	for (e = 0; e < size; e++) {
		uint32_t word = word_of[entry_owner(&pick, cur[e])];

		changed += word != cur[e];
		__atomic_store_n(&next[e], word, __ATOMIC_RELAXED);
	}
	return changed;
}

/*
 * Publish the weights SWRR states follow and the entries each port now
 * holds (seqcount write side).
 */
static void
publish_weights(struct rte_txweight_table *table, const uint16_t *port_ids,
	const uint64_t *weights, const uint16_t *nb_queues,
	const uint32_t *counts, unsigned int n, uint64_t version)
{
	struct txweight_weight_set *set = &table->weights;
	uint32_t seq = table->weights_seq;
	uint64_t gcd = 0;
	unsigned int i, k = 0;

	for (i = 0; i < n; i++) {
		uint64_t a = weights[i], b = gcd;

		while (b != 0) {
			uint64_t t = a % b;

			a = b;
			b = t;
		}
		gcd = a;
	}
	__atomic_store_n(&table->weights_seq, seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	set->version = version;
	set->total = 0;
	for (i = 0; i < n; i++) {
		if (weights[i] == 0)
			continue;
		set->port_ids[k] = port_ids[i];
		set->nb_queues[k] = nb_queues != NULL ? nb_queues[i] : 1;
		set->weight[k] = (int64_t)(weights[i] / gcd);
		set->entries[k] = counts[i];
		set->total += set->weight[k];
		k++;
	}
	set->n = k;
	__atomic_store_n(&table->weights_seq, seq + 2, __ATOMIC_RELEASE);
}

bool
txweight_weights_read(const struct rte_txweight_table *table,
	struct txweight_weight_set *out)
{
	const struct txweight_weight_set *set = &table->weights;
	uint32_t seq;
	unsigned int n;

	seq = __atomic_load_n(&table->weights_seq, __ATOMIC_ACQUIRE);
	if (seq & 1)
		return false;
	out->version = set->version;
	/*
	 * Read once (an update may be writing it): the bound checked is the
	 * bound used, whatever the compiler would rather reload.
	 */
	n = __atomic_load_n(&set->n, __ATOMIC_RELAXED);
	out->total = set->total;
	if (n > RTE_TXWEIGHT_MAX_PORTS)
		return false; /* torn: the sequence check would fail too */
	out->n = n;
	memcpy(out->port_ids, set->port_ids, sizeof(out->port_ids[0]) * n);
	memcpy(out->nb_queues, set->nb_queues, sizeof(out->nb_queues[0]) * n);
	memcpy(out->weight, set->weight, sizeof(out->weight[0]) * n);
	memcpy(out->entries, set->entries, sizeof(out->entries[0]) * n);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n(&table->weights_seq, __ATOMIC_RELAXED) == seq;
}

int
rte_txweight_table_update(struct rte_txweight_table *table,
	const uint16_t *port_ids, const uint64_t *weights,
	const uint16_t *nb_queues, unsigned int n)
{
	uint32_t counts[RTE_TXWEIGHT_MAX_PORTS];
	uint32_t *next;
	uint64_t sum, version;
	int ret;

	ret = check_update_args(table, port_ids, weights, nb_queues, n, &sum);
	if (ret != 0)
		return ret;
	pthread_mutex_lock(&table->update_lock);
	/* The spare: no reader holds it since the last update's grace period. */
	next = table->arrays[!table->active];
	ret = build_mapping(table, next, port_ids, weights, sum, nb_queues, n,
		counts);
	if (ret == -ENOMEM) {
		pthread_mutex_unlock(&table->update_lock);
		TXWEIGHT_LOG(ERR, "%s: out of memory", table->name);
		return ret;
	}
	version = table->fast.version + 1;
	/*
	 * SWRR states read the weights and the version together. A port
	 * left out of this update holds nothing from now on: it is not in
	 * the set.
	 */
	publish_weights(table, port_ids, weights, nb_queues, counts, n,
		version);
	__atomic_store_n(&table->fast.entries, next, __ATOMIC_RELEASE);
	__atomic_store_n(&table->fast.version, version, __ATOMIC_RELEASE);
	table->active = !table->active;
	/*
	 * Wait until no registered reader can hold the old array: it is the
	 * spare the next update rewrites.
	 */
	rte_rcu_qsbr_synchronize(table->qsbr, RTE_QSBR_THRID_INVALID);
	pthread_mutex_unlock(&table->update_lock);
	if (ret == -ENOENT)
		TXWEIGHT_LOG(DEBUG, "%s: version %" PRIu64 ", every weight 0: "
			"every entry to no port", table->name, version);
	else
		TXWEIGHT_LOG(DEBUG, "%s: version %" PRIu64 ", %d entries changed",
			table->name, version, ret);
	return ret;
}

int
rte_txweight_table_count(const struct rte_txweight_table *table,
	const uint16_t *port_ids, unsigned int n, uint32_t *counts)
{
	struct txweight_weight_set set;
	uint8_t index_of[RTE_MAX_ETHPORTS];
	uint32_t held = 0;
	unsigned int i, k;

	if (table == NULL || ((port_ids == NULL || counts == NULL) && n != 0) ||
			n > RTE_TXWEIGHT_MAX_PORTS) {
		TXWEIGHT_LOG(ERR, "bad table, ports or counts (n %u)", n);
		return -EINVAL;
	}
	memset(index_of, OWNER_NONE, sizeof(index_of));
	for (i = 0; i < n; i++) {
		/*
		 * A port that no longer exists is counted all the same: entries
		 * keep mapping to it until the next update moves them.
		 */
		if (port_ids[i] >= RTE_MAX_ETHPORTS ||
				index_of[port_ids[i]] != OWNER_NONE) {
			TXWEIGHT_LOG(ERR, "port %u: %s", port_ids[i],
				port_ids[i] >= RTE_MAX_ETHPORTS ?
				"not a port id" : "given twice");
			return -EINVAL;
		}
		index_of[port_ids[i]] = (uint8_t)i;
	}
	/*
	 * The counts the last update published with its weights: no pass
	 * over the entries, and no lock to wait for.
	 */
	while (!txweight_weights_read(table, &set))
		rte_pause();
	for (i = 0; i < n; i++)
		counts[i] = 0;
	for (k = 0; k < set.n; k++) {
		uint16_t port_id = set.port_ids[k];

		held += set.entries[k];
		if (port_id < RTE_MAX_ETHPORTS &&
				index_of[port_id] != OWNER_NONE)
			counts[index_of[port_id]] = set.entries[k];
	}
	/* Every entry not held by a port maps to no port. */
	return (int)(table->size - held);
}
