/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

#ifndef RTE_TXWEIGHT_H
#define RTE_TXWEIGHT_H

/**
 * @file
 * Speed-weighted TX distribution across ethdev ports.
 *
 * A port's *weight* is its effective link speed in Mb/s (as
 * rte_eth_link_get_nowait() reports it), optionally capped, or a number the
 * application chooses. This library turns weights into:
 *
 * - an *apportionment* of K units (TX queues, streams, lcores) over the
 *   ports: every port gets its quota rounded down or up (largest
 *   remainder), and when weights change the fewest possible units move;
 * - a *flow table* of S entries mapping a flow hash to a (port, TX queue):
 *   each port owns its share of entries to within one entry, a weight
 *   change gives the minimum number of entries another port, and a
 *   lookup is one load and a mask;
 * - *packet spraying* for traffic without flows: smooth weighted round
 *   robin, per packet or per burst.
 *
 * The control path updates a table while data-path threads read it: the
 * data path never blocks and never sees a half-written table. Readers
 * register a reader id and report a quiescent state between bursts (the
 * model of DPDK's RCU QSBR); the updater waits for those reports before it
 * reuses memory a reader may still hold.
 *
 * The library knows nothing of any PMD: it works with whatever speed a
 * port reports (mlx5 extended by the lagspeed plugin, virtio-net,
 * bonding, null).
 */

#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_rcu_qsbr.h>

#ifdef __cplusplus
extern "C" {
#endif

/** "No port": the result when every weight is zero. */
#define RTE_TXWEIGHT_NO_PORT UINT16_MAX

/** Most ports one table or apportionment handles. */
#define RTE_TXWEIGHT_MAX_PORTS RTE_MAX_ETHPORTS

/** Smallest flow-table size (sizes are powers of two). */
#define RTE_TXWEIGHT_TABLE_MIN_SIZE 64
/** Largest flow-table size. */
#define RTE_TXWEIGHT_TABLE_MAX_SIZE 65536

/**
 * Largest sum of the weights of one call: a larger sum is rejected with
 * -EINVAL. Link speeds in Mb/s are far below it (2^52 Mb/s is about 4.5
 * million Pb/s). SWRR credits stay within (-sum, (n - 1) * sum] for n
 * ports, so with this limit they fit in 64 bits for up to 2047 ports.
 */
#define RTE_TXWEIGHT_WEIGHT_SUM_MAX (UINT64_C(1) << 52)

/**
 * Weights from the ports' links.
 *
 * weights[i] = 0 when port_ids[i]'s link is down or its speed is unknown
 * or none, else its speed in Mb/s, capped at caps_mbps[i] when that is
 * non-zero (a VF's hypervisor-set rate limit, which the VF cannot read).
 *
 * @param port_ids
 *   The ports, n of them.
 * @param caps_mbps
 *   Per-port caps in Mb/s (0: none), or NULL for no caps.
 * @param n
 *   Number of ports, 1..RTE_TXWEIGHT_MAX_PORTS.
 * @param[out] weights
 *   n weights.
 * @return
 *   The number of ports with a non-zero weight (0: no usable port);
 *   -EINVAL on a NULL pointer, n out of range or an invalid port id.
 */
int rte_txweight_weights_from_links(const uint16_t *port_ids,
	const uint32_t *caps_mbps, unsigned int n, uint64_t *weights);

/**
 * Apportion units over ports in proportion to weights (largest remainder).
 *
 * Every count ends within one unit of its exact quota
 * units * weights[i] / sum(weights): it is the quota rounded down or up.
 * With prev, among all such apportionments the one closest to prev is
 * chosen, so the fewest units move: sum(|counts[i] - prev[i]|) / 2 is
 * minimal. The units left after rounding down go first to the ports
 * that held more than their floor in prev, then by largest remainder,
 * then to the lower index: the result depends on the arguments alone.
 *
 * @param weights
 *   n weights.
 * @param n
 *   Number of ports, 1..RTE_TXWEIGHT_MAX_PORTS.
 * @param units
 *   Units to share out.
 * @param prev
 *   The current apportionment (n counts, any sum), or NULL. It may be
 *   counts itself, to update an apportionment in place.
 * @param[out] counts
 *   n counts summing to units.
 * @return
 *   The number of units that moved relative to prev (0 without prev):
 *   sum(max(0, counts[i] - prev[i])); -ENOENT when every weight is zero
 *   (counts are then all 0); -EINVAL on bad arguments (also units over
 *   INT32_MAX or a weight sum over RTE_TXWEIGHT_WEIGHT_SUM_MAX).
 */
int rte_txweight_apportion(const uint64_t *weights, unsigned int n,
	uint32_t units, const uint32_t *prev, uint32_t *counts);

/**
 * Assign individual units to ports by weight, moving as few as possible.
 *
 * owner[u] is the index (0..n-1) of the port unit u serves, or
 * RTE_TXWEIGHT_NO_PORT. After the call the number of units per port is an
 * apportionment as rte_txweight_apportion() computes it from the current
 * owners, and only units whose port must change were reassigned.
 *
 * @param weights
 *   n weights.
 * @param n
 *   Number of ports, 1..RTE_TXWEIGHT_MAX_PORTS.
 * @param[in,out] owner
 *   n_units owners, updated in place.
 * @param n_units
 *   Number of units.
 * @return
 *   The number of units reassigned; -ENOENT when every weight is zero
 *   (every owner is then RTE_TXWEIGHT_NO_PORT); -EINVAL on bad arguments.
 */
int rte_txweight_assign(const uint64_t *weights, unsigned int n,
	uint16_t *owner, unsigned int n_units);

/** Where a flow goes: one 32-bit word, read with one load. */
struct rte_txweight_target {
	uint16_t port_id;  /**< ethdev port, or RTE_TXWEIGHT_NO_PORT */
	uint16_t queue_id; /**< TX queue on that port */
};

/** A flow table (opaque but for the data-path prefix below). */
struct rte_txweight_table;

/**
 * @internal The first bytes of every struct rte_txweight_table: what the
 * inline data-path functions read, in one cache line. Applications must not
 * touch it.
 */
struct rte_txweight_table_fast {
	/** Published entry array (one of two); read with acquire. */
	const uint32_t *entries;
	/** size - 1. */
	uint32_t mask;
	uint32_t reserved;
	/** Published mapping version; read with acquire. */
	uint64_t version;
	/** The readers' quiescent-state variable. */
	struct rte_rcu_qsbr *qsbr;
};

/** Parameters of rte_txweight_table_create(). */
struct rte_txweight_table_params {
	/** For logs: the first 31 characters are kept; need not be unique;
	 * NULL gives "txweight". */
	const char *name;
	uint32_t size;        /**< entries: a power of two, 64..65536 */
	int socket_id;        /**< NUMA socket, or SOCKET_ID_ANY */
	uint32_t max_readers; /**< data-path reader ids, 1..RTE_MAX_LCORE */
};

/**
 * Create a flow table. Every entry starts as RTE_TXWEIGHT_NO_PORT.
 *
 * @param params
 *   Name, size, NUMA socket and number of reader ids (see the struct).
 * @return
 *   The table, or NULL with rte_errno set (EINVAL: NULL or bad
 *   parameters, a socket_id out of range included; ENOMEM: no memory, or
 *   none on that socket where DPDK's memory is per socket: with
 *   --no-huge one pool serves every socket).
 */
struct rte_txweight_table *
rte_txweight_table_create(const struct rte_txweight_table_params *params);

/**
 * Free a table. No reader may use it any more.
 *
 * @param table
 *   The table, or NULL (a no-op).
 */
void rte_txweight_table_free(struct rte_txweight_table *table);

/**
 * Set the ports and weights of a table (control path).
 *
 * Entries are redistributed so that each port owns within one entry of
 * size * weight / sum(weights); only the minimum number of entries changes
 * owner, so established flows stay on their port. Within a port, entries
 * spread over its nb_queues[i] TX queues (queue 0 when nb_queues is NULL),
 * each queue holding the floor or the ceiling of the port's share, and of
 * the flows that stay on their port as many stay on their queue as those
 * bounds allow.
 * The new mapping is published at once; the call returns once no
 * registered reader can still hold the old one. Several updaters are
 * serialized.
 *
 * @param table
 *   The table.
 * @param port_ids
 *   n distinct valid port ids.
 * @param weights
 *   n weights (0: the port gets no entry).
 * @param nb_queues
 *   n per-port TX queue counts, or NULL (one queue each). Each is at
 *   least 1, except for a port of weight 0, which gets no entry and may
 *   be given 0 (as rte_txweight_apportion() gives it). A port with a
 *   non-zero weight must have at least that many TX queues configured
 *   (rte_eth_dev_configure()) when the table is updated.
 * @param n
 *   Number of ports, 1..RTE_TXWEIGHT_MAX_PORTS.
 * @return
 *   The number of entries that changed target; -ENOENT when every weight
 *   is zero (every entry then maps to RTE_TXWEIGHT_NO_PORT); -EINVAL on
 *   bad arguments (also a queue count over RTE_MAX_QUEUES_PER_PORT or
 *   over the port's configured TX queues, or a weight sum over
 *   RTE_TXWEIGHT_WEIGHT_SUM_MAX); -ENOMEM. On -EINVAL and -ENOMEM the
 *   table is unchanged.
 *
 * It returns once every registered reader has reported a quiescent state
 * since the new mapping was published. The caller must not be a
 * registered reader of this table (it would wait for its own quiescent
 * state), and a registered reader that stops reporting quiescent states
 * (a thread gone idle, or one registered before it runs) holds it back
 * until it reports or unregisters.
 */
int rte_txweight_table_update(struct rte_txweight_table *table,
	const uint16_t *port_ids, const uint64_t *weights,
	const uint16_t *nb_queues, unsigned int n);

/**
 * Register a data-path reader (e.g. one per forwarding lcore) before its
 * first lookup, from the reader's own thread: from then on updates wait
 * for its quiescent states (rte_txweight_table_quiescent()) until it
 * unregisters.
 *
 * @param table
 *   The table.
 * @param reader_id
 *   0..max_readers - 1 (rte_txweight_table_params), one per thread.
 * @return
 *   0, or -EINVAL when table is NULL or reader_id >= max_readers.
 */
int rte_txweight_table_reader_register(struct rte_txweight_table *table,
	unsigned int reader_id);

/**
 * Unregister a reader: it makes no more lookups. Updaters stop waiting
 * for it.
 *
 * @param table
 *   The table.
 * @param reader_id
 *   The id it registered with.
 * @return
 *   0, or -EINVAL when table is NULL or reader_id >= max_readers.
 */
int rte_txweight_table_reader_unregister(struct rte_txweight_table *table,
	unsigned int reader_id);

/**
 * Report that a reader holds no result of an earlier lookup (call it
 * between bursts). Never blocks.
 *
 * @param table
 *   The table.
 * @param reader_id
 *   The calling reader's registered id (not checked on this fast path).
 */
static inline void
rte_txweight_table_quiescent(struct rte_txweight_table *table,
	unsigned int reader_id)
{
	const struct rte_txweight_table_fast *fast =
		(const struct rte_txweight_table_fast *)table;

	rte_rcu_qsbr_quiescent(fast->qsbr, reader_id);
}

/**
 * Look up where a flow goes (data path): one load and a mask (after the
 * load of the published array's address, which sits in the table's first
 * cache line beside the mask). The caller must be a registered reader.
 *
 * @param table
 *   The table.
 * @param hash
 *   The flow's hash (e.g. mbuf->hash.rss, or any well-mixed hash).
 * @return
 *   The target; its port_id is RTE_TXWEIGHT_NO_PORT when no port has
 *   weight.
 */
static inline struct rte_txweight_target
rte_txweight_table_lookup(const struct rte_txweight_table *table,
	uint32_t hash)
{
	const struct rte_txweight_table_fast *fast =
		(const struct rte_txweight_table_fast *)table;
	const uint32_t *entries =
		__atomic_load_n(&fast->entries, __ATOMIC_ACQUIRE);
	union {
		uint32_t word;
		struct rte_txweight_target target;
	} entry;

	/* The whole entry in one 32-bit load: never half old, half new. */
	entry.word = __atomic_load_n(&entries[hash & fast->mask],
		__ATOMIC_RELAXED);
	return entry.target;
}

/** Largest burst rte_txweight_table_split() takes. */
#define RTE_TXWEIGHT_SPLIT_MAX 64

struct rte_mbuf;

/**
 * Split a burst by flow-table lookup into one group per target, in place
 * (data path): afterwards the packets of each target are contiguous in
 * pkts, ready for one rte_eth_tx_burst() per group:
 *
 * @code
 * n_groups = rte_txweight_table_split(table, pkts, NULL, n, targets, counts);
 * for (g = 0, off = 0; g < n_groups; off += counts[g], g++) {
 *	if (targets[g].port_id == RTE_TXWEIGHT_NO_PORT) {
 *		rte_pktmbuf_free_bulk(pkts + off, counts[g]);
 *		continue;
 *	}
 *	sent = rte_eth_tx_burst(targets[g].port_id, targets[g].queue_id,
 *		pkts + off, counts[g]);
 * }
 * @endcode
 *
 * Each packet goes to the target its own hash maps to, exactly as
 * rte_txweight_table_lookup() would return it. Groups come in the order of
 * their first packet; within a group, packets keep their order (the
 * split is stable, so a flow's packets stay in sequence). A burst whose
 * packets all map to one target is left untouched. The whole burst is
 * looked up in one published mapping; like lookups, the caller must be a
 * registered reader and report its quiescent state between bursts.
 * Packets of no port form a group whose target's port_id is
 * RTE_TXWEIGHT_NO_PORT (the caller frees or keeps them).
 *
 * On x86, bursts of 32 use AVX-512 (F, BW, VL, VBMI, VBMI2: Ice Lake,
 * Zen 4 and later) where the CPU has it and the application allows 512-bit
 * paths (EAL --force-max-simd-bitwidth=512), else AVX2 where the CPU has
 * it and 256-bit paths are allowed (DPDK's default), else SSE4.1, as other
 * bursts do; decided at the first burst of 32 and logged. The result is
 * the same.
 *
 * @param table
 *   The table.
 * @param[in,out] pkts
 *   n packets, reordered in place.
 * @param hashes
 *   n flow hashes, hashes[i] for pkts[i]; or NULL to use each packet's
 *   hash.rss. Hashes the application already holds are the faster
 *   input: with NULL the lookups wait for the mbufs' first cache line,
 *   and for any store just made to it (doc/guides/txweight_bench_notes.md,
 *   "Earlier figures").
 * @param n
 *   Number of packets, 0..RTE_TXWEIGHT_SPLIT_MAX.
 * @param[out] targets
 *   One target per group (room for n).
 * @param[out] counts
 *   Packets per group (room for n), summing to n.
 * @return
 *   The number of groups (0 when n is 0; at most n), or -EINVAL on a NULL
 *   pointer (whatever n) or n over RTE_TXWEIGHT_SPLIT_MAX.
 */
int rte_txweight_table_split(const struct rte_txweight_table *table,
	struct rte_mbuf **pkts, const uint32_t *hashes, uint16_t n,
	struct rte_txweight_target *targets, uint16_t *counts);

/**
 * Count a table's entries per port, as currently published.
 *
 * The counts come with the mapping each update publishes: the call takes
 * time in the number of ports, not of entries, takes no lock and may be
 * made from any thread while another updates (it then returns the counts
 * of one of the two mappings, never a mix). An update publishes the new
 * counts just before the new entries: for that moment the counts are
 * ahead of rte_txweight_table_lookup().
 *
 * @param table
 *   The table.
 * @param port_ids
 *   n ports to count, each once, each below RTE_MAX_ETHPORTS. A port that
 *   no longer exists is counted too: entries keep mapping to it until the
 *   next update.
 * @param n
 *   Number of ports.
 * @param[out] counts
 *   n entry counts.
 * @return
 *   Entries mapping to no port (RTE_TXWEIGHT_NO_PORT), or -EINVAL (NULL
 *   table, NULL port_ids or counts with n > 0, n over
 *   RTE_TXWEIGHT_MAX_PORTS, a port id out of range or repeated). With n 0
 *   the arrays may be NULL: only the entries to no port are counted.
 */
int rte_txweight_table_count(const struct rte_txweight_table *table,
	const uint16_t *port_ids, unsigned int n, uint32_t *counts);

/**
 * Version of the published mapping: starts at 0, +1 per update that
 * publishes one (one returning -ENOENT included: it maps every entry to
 * no port).
 *
 * @param table
 *   The table.
 * @return
 *   The version.
 */
static inline uint64_t
rte_txweight_table_version(const struct rte_txweight_table *table)
{
	const struct rte_txweight_table_fast *fast =
		(const struct rte_txweight_table_fast *)table;

	return __atomic_load_n(&fast->version, __ATOMIC_ACQUIRE);
}

/** Longest SWRR period kept as a precomputed schedule. */
#define RTE_TXWEIGHT_SWRR_SCHED_MAX 1024

/**
 * Smooth weighted round robin state, owned by one data-path thread.
 * It follows a table's weights: after rte_txweight_table_update() the
 * next pick uses the new weights (unless a further update is rewriting
 * them at that moment; a later pick then does).
 */
struct rte_txweight_swrr {
	const struct rte_txweight_table *table; /**< weights come from here */
	uint64_t version;                   /**< table version in use */
	unsigned int n;                     /**< ports with non-zero weight */
	int64_t total;                      /**< sum of the weights in use */
	uint16_t port_ids[RTE_TXWEIGHT_MAX_PORTS];  /**< the n ports */
	uint16_t nb_queues[RTE_TXWEIGHT_MAX_PORTS]; /**< their TX queues */
	int64_t weight[RTE_TXWEIGHT_MAX_PORTS];  /**< reduced by their gcd */
	int64_t current[RTE_TXWEIGHT_MAX_PORTS]; /**< SWRR credit */
	uint16_t next_queue[RTE_TXWEIGHT_MAX_PORTS]; /**< queue rotation */
	/**
	 * One period of picks (indexes into port_ids), precomputed when
	 * total <= RTE_TXWEIGHT_SWRR_SCHED_MAX so that a pick is a load;
	 * sched_len 0: picks are computed from the credits.
	 */
	uint32_t sched_len;
	uint32_t sched_pos; /**< next pick in sched */
	uint8_t sched[RTE_TXWEIGHT_SWRR_SCHED_MAX]; /**< the period's picks */
};

/**
 * Start spraying by a table's weights.
 *
 * @param swrr
 *   The state to set up (owned by one thread).
 * @param table
 *   The table whose weights it follows.
 * @return
 *   0, or -EINVAL when swrr or table is NULL.
 */
int rte_txweight_swrr_init(struct rte_txweight_swrr *swrr,
	const struct rte_txweight_table *table);

/**
 * Reload a SWRR state from its table's published weights (called by
 * rte_txweight_swrr_next() when the table's version changed). Credits
 * restart from zero only when the weights changed (ports, weights reduced
 * by their gcd, queue counts): an update that publishes the same weights
 * leaves the sequence running. Never waits: while an updater is rewriting
 * the weights, the state keeps those it has and a later call (the next
 * pick) reads them again.
 *
 * @param swrr
 *   A state set up by rte_txweight_swrr_init().
 */
void rte_txweight_swrr_reload(struct rte_txweight_swrr *swrr);

/**
 * Pick the port for the next packet (or burst): smooth weighted round
 * robin, so that over any window of sum(weights) picks each port is picked
 * exactly in proportion to its weight, evenly interleaved. Every port
 * earns its weight in credit; the one with most credit (among equals, the
 * one listed first in the update) is picked and pays sum(weights).
 *
 * @param swrr
 *   A state set up by rte_txweight_swrr_init(), used by this thread only.
 * @return
 *   The target (queue 0 of the port unless the table has several queues,
 *   then they rotate), or port_id RTE_TXWEIGHT_NO_PORT when no port has
 *   weight.
 */
static inline struct rte_txweight_target
rte_txweight_swrr_next(struct rte_txweight_swrr *swrr)
{
	struct rte_txweight_target target;
	unsigned int i, best;
	uint16_t queue;

	if (unlikely(rte_txweight_table_version(swrr->table) != swrr->version))
		rte_txweight_swrr_reload(swrr);
	if (unlikely(swrr->n == 0)) {
		target.port_id = RTE_TXWEIGHT_NO_PORT;
		target.queue_id = 0;
		return target;
	}
	if (likely(swrr->sched_len != 0)) {
		/* The same picks, replayed from one precomputed period. */
		best = swrr->sched[swrr->sched_pos];
		if (++swrr->sched_pos == swrr->sched_len)
			swrr->sched_pos = 0;
	} else {
		/* Every port earns its weight; the richest is picked, pays all. */
		best = 0;
		for (i = 0; i < swrr->n; i++) {
			swrr->current[i] += swrr->weight[i];
			if (swrr->current[i] > swrr->current[best])
				best = i;
		}
		swrr->current[best] -= swrr->total;
	}
	target.port_id = swrr->port_ids[best];
	queue = swrr->next_queue[best];
	target.queue_id = queue;
	if (++queue >= swrr->nb_queues[best])
		queue = 0;
	swrr->next_queue[best] = queue;
	return target;
}

#ifdef __cplusplus
}
#endif

#endif /* RTE_TXWEIGHT_H */
