/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/*
 * Benchmark of lib/txweight on net_null ports, one run, one core (the
 * rebalance latency uses a reader on the second core), bursts of 32 packets
 * of 64 bytes (IPv4/UDP, one flow per packet so that bonding's l34 hash
 * has work to do):
 *   (a) direct rte_eth_tx_burst() to one port;
 *   (b) flow-table distribution over 2, 4 and 8 ports: each burst split
 *       per target by rte_txweight_table_split() (per-packet lookup of a
 *       precomputed per-packet hash), then one mini-burst per target;
 *       over 2 ports also with the hashes taken from the mbufs' hash.rss,
 *       as an application forwarding what a NIC received would;
 *   (c) net_bonding balance-xor, xmit_policy l34, over net_null0/1;
 *   (d) SWRR spraying, per packet and per burst.
 * Breakdown cases beside them: whole bursts alternating over 2 ports, each
 * burst split in halves over 2 ports (and, apart, at a point that varies
 * as (b)'s group sizes do), one port with each burst reordered as
 * a per-packet split would (and, apart, in a fixed order), (b)'s lookups
 * without the grouping, (b) as first written (per-packet lookups and
 * grouping in the application), and direct TX with four register adds
 * per packet added (how much an added simple instruction costs the loop).
 * Then: selection and split cycles, share error over 10 M packets counted
 * by the ports, and the rebalance visibility on the second lcore with,
 * beside it, the floor of a plain flag between the same two lcores.
 * Every figure is printed as `BENCH <name> <value> <unit>`; throughputs are
 * the best of several rounds taken in turn, every case of a round starting
 * from the same mempool state and sending from the same burst array (see
 * reset_pool(), place_burst() and main()); the goal
 * ratios are printed both as ratios of bests and as medians of the
 * rounds' own ratios (paired_median()).
 * Memory is on 4 KiB pages (EAL --no-huge, as in the tests) unless
 * --hugepages is given; --default-simd keeps DPDK's default SIMD width.
 */

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include <rte_byteorder.h>
#include <rte_cpuflags.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_udp.h>
#include <rte_vect.h>
#include <rte_version.h>

#include "rte_txweight.h"
#include "tw_test.h"
#include "tw_tx.h"

#define N_NULL 8
/*
 * Free hugepage memory --hugepages asks for (the bench took 42 MiB of 2 MB
 * pages: HugePages_Free in /proc/meminfo during a run).
 */
#define BENCH_HUGEPAGE_MIB 128u
#define POOL_SIZE 16383
#define N_HASHES (1u << 20)
#define BENCH_PACKETS (1u * 1000 * 1000)
#define SHARE_PACKETS (10u * 1000 * 1000)
#define TABLE_SIZE 4096
#define ROUNDS 25

static struct rte_mempool *pool;
static uint32_t *hashes;
static uint16_t bond_port;
static volatile uint64_t sink;

static void
bench(const char *name, double value, const char *unit)
{
	printf("BENCH %s %.3f %s\n", name, value, unit);
	fflush(stdout);
}

/* Fill every mbuf of the pool once with an IPv4/UDP frame of its own flow. */
static int
prepare_pool(void)
{
	static struct rte_mbuf *all[POOL_SIZE];
	unsigned int n = 0, i;

	while (n < POOL_SIZE && rte_pktmbuf_alloc_bulk(pool, &all[n], 1) == 0)
		n++;
	for (i = 0; i < n; i++) {
		char *p = rte_pktmbuf_append(all[i], 64);
		struct rte_ether_hdr *eth = (struct rte_ether_hdr *)p;
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
		struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

		memset(p, 0, 64);
		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_UDP;
		ip->total_length = rte_cpu_to_be_16(64 - sizeof(*eth));
		ip->src_addr = rte_cpu_to_be_32(0x0a000001 + (i & 0xff));
		ip->dst_addr = rte_cpu_to_be_32(0x0a010001);
		udp->src_port = rte_cpu_to_be_16((uint16_t)(1024 + i));
		udp->dst_port = rte_cpu_to_be_16(4789);
		udp->dgram_len = rte_cpu_to_be_16(64 - sizeof(*eth) - sizeof(*ip));
		/*
		 * The flow's hash, as a NIC's RSS would give it: allocating
		 * and freeing an mbuf leave hash.rss as it is.
		 */
		all[i]->hash.rss = tw_mix32(i);
	}
	for (i = 0; i < n; i++)
		rte_pktmbuf_free(all[i]);
	return n == POOL_SIZE ? 0 : -1;
}

static int
cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;

	return x < y ? -1 : x > y;
}

/*
 * Put the pool in a state fixed by the round: every mbuf taken out
 * (emptying the lcore's mempool cache) and returned in an order shuffled
 * by the round's seed, straight to the ring. Called before every case of
 * a round, so that in one round every case starts from the same state and
 * works on the same mbufs, and the best-of-rounds figure of every case is
 * taken over the same set of starting states. Without it, a case inherits
 * its working set from the case run before it: the cache hands back what
 * was freed last, and with net_null a burst reuses the same 32 mbufs, whose
 * addresses alone moved direct TX by up to 15 % between runs.
 */
static void
reset_pool(unsigned int seed)
{
	static void *all[POOL_SIZE];
	unsigned int n = 0, i, j;
	void *tmp;

	while (n < POOL_SIZE && rte_mempool_get(pool, &all[n]) == 0)
		n++;
	qsort(all, n, sizeof(all[0]), cmp_ptr);
	tw_rand_state = 0x9e3779b97f4a7c15ULL + seed;
	for (i = n - 1; i > 0; i--) {
		j = (unsigned int)tw_rand_below(i + 1);
		tmp = all[i];
		all[i] = all[j];
		all[j] = tmp;
	}
	rte_mempool_put_bulk(pool, all, n);
}

/*
 * The burst array every case sends from (and, for the reordering cases,
 * the array they reorder into, right after it): one place for all the
 * cases of a round, moved to another offset in a page for the next round
 * (place_burst()). With an array on each case's own stack, its place
 * followed the frames around it, and that moved direct TX alone by up to
 * 18 % when unrelated code changed (doc/guides/txweight.md, Benchmark).
 * Now the best of each case is taken over the same 25 places, and each
 * round's ratio compares two cases sending from the same place.
 */
static uint8_t burst_space[2 * 4096] __rte_aligned(4096);
static struct rte_mbuf **burst;
static struct rte_mbuf **burst_order;

static void
place_burst(unsigned int round)
{
	/* 64 cache-line offsets in a page, in a scrambled order. */
	const unsigned int line = round * 13u % 64u;

	RTE_BUILD_BUG_ON(64u * 63u + 2u * TW_BURST * sizeof(void *) >
		sizeof(burst_space));
	burst = (struct rte_mbuf **)(void *)&burst_space[64u * line];
	burst_order = burst + TW_BURST;
}

/* A burst from the pool: the frames are already written; set the lengths. */
static inline void
get_burst(struct rte_mbuf **pkts)
{
	unsigned int i;

	while (rte_pktmbuf_alloc_bulk(pool, pkts, TW_BURST) != 0)
		;
	for (i = 0; i < TW_BURST; i++) {
		pkts[i]->data_len = 64;
		pkts[i]->pkt_len = 64;
	}
}

/*
 * Throughput is measured in the sending thread's CPU time, not wall time:
 * on a shared machine the thread may be preempted, and the time others
 * run is not the cost of the case.
 */
static uint64_t
cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double
mpps(uint64_t packets, uint64_t ns)
{
	return (double)packets * 1e3 / (double)ns;
}

/*
 * Whole bursts straight to the ports, in turn over n_ports (1: case (a)).
 * With 2 ports it is the anchor of what spreading costs by itself, with no
 * selection at all.
 */
static double
run_direct(uint16_t n_ports)
{
	struct rte_mbuf **pkts = burst;
	uint64_t start, k;
	uint16_t port = 0;

	start = cpu_ns();
	for (k = 0; k < BENCH_PACKETS; k += TW_BURST) {
		get_burst(pkts);
		tw_tx_all(port, 0, pkts, TW_BURST);
		if (++port == n_ports)
			port = 0;
	}
	return mpps(BENCH_PACKETS, cpu_ns() - start);
}

/*
 * (b) as an application would write it: rte_txweight_table_split() per
 * burst, then one rte_eth_tx_burst() per target (tw_tx_table_burst()).
 */
static double
run_table(struct rte_txweight_table *t, uint64_t packets, bool from_rss)
{
	struct rte_mbuf **pkts = burst;
	static struct tw_tx_ctx ctx;
	uint64_t start, k;
	uint32_t h = 0;

	tw_tx_ctx_init(&ctx);
	rte_txweight_table_reader_register(t, 0);
	start = cpu_ns();
	for (k = 0; k < packets; k += TW_BURST) {
		get_burst(pkts);
		tw_tx_table_burst(&ctx, t, pkts, from_rss ? NULL : &hashes[h],
			TW_BURST, NULL);
		h = (h + TW_BURST) & (N_HASHES - 1);
		rte_txweight_table_quiescent(t, 0);
	}
	start = cpu_ns() - start;
	rte_txweight_table_reader_unregister(t, 0);
	return mpps(packets, start);
}

/*
 * Reference only: (b) as it was first written, before
 * rte_txweight_table_split(): a rte_txweight_table_lookup() per packet
 * into an array of target words, SIMD compare masks per target, and for
 * two targets a branch-free pass writing every packet to both groups.
 * Kept to compare the library helper with it in the same run.
 */
struct prev_ctx {
	uint32_t where[TW_BURST];
	struct rte_mbuf *group[TW_BURST];
	struct rte_mbuf *group2[TW_BURST];
};

static inline uint32_t
prev_match_mask(const uint32_t *where, uint32_t key)
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
		mask |= (uint32_t)(where[i] == key) << i;
#endif
	return mask;
}

static inline struct rte_txweight_target
prev_target(uint32_t word)
{
	struct rte_txweight_target tg;

	memcpy(&tg, &word, sizeof(tg));
	return tg;
}

static inline void
prev_tx_burst(struct prev_ctx *ctx, const struct rte_txweight_table *table,
	struct rte_mbuf **pkts, const uint32_t *hs)
{
	struct rte_txweight_target tg;
	uint32_t key, key2, left, mask, mask2;
	unsigned int i, len, len2;

	for (i = 0; i < TW_BURST; i++) {
		tg = rte_txweight_table_lookup(table, hs[i]);
		memcpy(&ctx->where[i], &tg, sizeof(tg));
	}
	left = UINT32_MAX;
	key = ctx->where[0];
	mask = prev_match_mask(ctx->where, key);
	if (mask == left) {
		tg = prev_target(key);
		tw_tx_all(tg.port_id, tg.queue_id, pkts, TW_BURST);
		return;
	}
	key2 = ctx->where[__builtin_ctz(left & ~mask)];
	mask2 = prev_match_mask(ctx->where, key2);
	if ((mask | mask2) == left) {
		len = 0;
		len2 = 0;
		for (i = 0; i < TW_BURST; i++) {
			unsigned int first = (mask >> i) & 1;

			ctx->group[len] = pkts[i];
			ctx->group2[len2] = pkts[i];
			len += first;
			len2 += first ^ 1;
		}
		tg = prev_target(key);
		tw_tx_all(tg.port_id, tg.queue_id, ctx->group, (uint16_t)len);
		tg = prev_target(key2);
		tw_tx_all(tg.port_id, tg.queue_id, ctx->group2, (uint16_t)len2);
		return;
	}
	while (left != 0) {
		key = ctx->where[__builtin_ctz(left)];
		mask = prev_match_mask(ctx->where, key) & left;
		left &= ~mask;
		len = 0;
		do {
			ctx->group[len++] = pkts[__builtin_ctz(mask)];
			mask &= mask - 1;
		} while (mask != 0);
		tg = prev_target(key);
		tw_tx_all(tg.port_id, tg.queue_id, ctx->group, (uint16_t)len);
	}
}

static double
run_table_prev(struct rte_txweight_table *t)
{
	struct rte_mbuf **pkts = burst;
	static struct prev_ctx ctx;
	uint64_t start, k;
	uint32_t h = 0;

	rte_txweight_table_reader_register(t, 0);
	start = cpu_ns();
	for (k = 0; k < BENCH_PACKETS; k += TW_BURST) {
		get_burst(pkts);
		prev_tx_burst(&ctx, t, pkts, &hashes[h]);
		h = (h + TW_BURST) & (N_HASHES - 1);
		rte_txweight_table_quiescent(t, 0);
	}
	start = cpu_ns() - start;
	rte_txweight_table_reader_unregister(t, 0);
	return mpps(BENCH_PACKETS, start);
}

/*
 * Breakdown only: one port, but each burst reordered by its packets'
 * flow hashes as a 2-port split would (hash-odd packets first), with a
 * branch-free scalar pass: the cost of reordering by data, beside
 * run_direct_fixed_order(), the cost of the order alone.
 */
static double
run_direct_scattered(void)
{
	struct rte_mbuf **pkts = burst, **order = burst_order;
	uint64_t start, k;
	uint32_t h = 0;
	unsigned int i, a, b;

	start = cpu_ns();
	for (k = 0; k < BENCH_PACKETS; k += TW_BURST) {
		get_burst(pkts);
		a = 0;
		b = TW_BURST - 1;
		for (i = 0; i < TW_BURST; i++) {
			unsigned int odd = hashes[h + i] & 1;

			/* branch-free, like (b)'s grouping */
			order[a] = pkts[i];
			order[b] = pkts[i];
			a += odd;
			b -= odd ^ 1;
		}
		h = (h + TW_BURST) & (N_HASHES - 1);
		tw_tx_all(0, 0, order, TW_BURST);
	}
	return mpps(BENCH_PACKETS, cpu_ns() - start);
}

/*
 * Breakdown only: one port, each burst sent in a fixed shuffled order
 * (even slots, then odd ones): the mbufs return to the pool in a
 * different order than they came, as in (b), but nothing is computed.
 */
static double
run_direct_fixed_order(void)
{
	struct rte_mbuf **pkts = burst, **order = burst_order;
	uint64_t start, k;
	unsigned int i;

	start = cpu_ns();
	for (k = 0; k < BENCH_PACKETS; k += TW_BURST) {
		get_burst(pkts);
		for (i = 0; i < TW_BURST / 2; i++) {
			order[i] = pkts[2 * i];
			order[TW_BURST / 2 + i] = pkts[2 * i + 1];
		}
		tw_tx_all(0, 0, order, TW_BURST);
	}
	return mpps(BENCH_PACKETS, cpu_ns() - start);
}

/*
 * Breakdown only: direct TX plus four register adds per packet (four
 * independent chains, 128 adds per burst), work that touches no memory
 * and that nothing waits for. What it costs says how much room the loop
 * leaves for added simple instructions (loads and gathers may differ):
 * nothing where the loop waits on memory, close to their own issue cost
 * where it is bound by how many the core can take in
 * (doc/guides/txweight_bench_notes.md, "On hugepages").
 * The empty asm statements keep each add, one per chain per step.
 */
#define BENCH_ADD4 do { \
	r0++; r1++; r2++; r3++; \
	asm volatile("" : "+r" (r0), "+r" (r1), "+r" (r2), "+r" (r3)); \
} while (0)
#define BENCH_ADD4_X8 do { \
	BENCH_ADD4; BENCH_ADD4; BENCH_ADD4; BENCH_ADD4; \
	BENCH_ADD4; BENCH_ADD4; BENCH_ADD4; BENCH_ADD4; \
} while (0)

static volatile uint64_t bench_adds_sink;

static double
run_direct_adds(void)
{
	struct rte_mbuf **pkts = burst;
	uint64_t r0 = 0, r1 = 0, r2 = 0, r3 = 0;
	uint64_t start, k;

	RTE_BUILD_BUG_ON(TW_BURST != 32);
	start = cpu_ns();
	for (k = 0; k < BENCH_PACKETS; k += TW_BURST) {
		get_burst(pkts);
		BENCH_ADD4_X8;
		BENCH_ADD4_X8;
		BENCH_ADD4_X8;
		BENCH_ADD4_X8;
		tw_tx_all(0, 0, pkts, TW_BURST);
	}
	start = cpu_ns() - start;
	bench_adds_sink = r0 + r1 + r2 + r3;
	return mpps(BENCH_PACKETS, start);
}

/*
 * Breakdown only: each burst split, in its own order, at a point that
 * varies from burst to burst as (b)'s group sizes do over two equal ports
 * (the number of odd hashes in the burst: binomial, 32 draws), the first
 * part to one port, the rest to the other. Beside run_split(): what the
 * variable sizes alone cost the two rte_eth_tx_burst() calls. The split
 * points are computed before the run (split_at[]).
 */
static uint8_t *split_at;

static double
run_split_uneven(void)
{
	struct rte_mbuf **pkts = burst;
	uint64_t start, k;
	uint32_t b = 0;

	start = cpu_ns();
	for (k = 0; k < BENCH_PACKETS; k += TW_BURST) {
		const uint16_t at = split_at[b];

		get_burst(pkts);
		tw_tx_all(0, 0, pkts, at);
		tw_tx_all(1, 0, pkts + at, TW_BURST - at);
		b = (b + 1) & (N_HASHES / TW_BURST - 1);
	}
	return mpps(BENCH_PACKETS, cpu_ns() - start);
}

/* Breakdown only: each burst split in two halves, one per port. */
static double
run_split(void)
{
	struct rte_mbuf **pkts = burst;
	uint64_t start, k;

	start = cpu_ns();
	for (k = 0; k < BENCH_PACKETS; k += TW_BURST) {
		get_burst(pkts);
		tw_tx_all(0, 0, pkts, TW_BURST / 2);
		tw_tx_all(1, 0, pkts + TW_BURST / 2, TW_BURST / 2);
	}
	return mpps(BENCH_PACKETS, cpu_ns() - start);
}

/*
 * Breakdown only: the per-packet lookups of (b), but the whole burst goes
 * to the first packet's target, with no grouping.
 */
static double
run_lookup_only(struct rte_txweight_table *t)
{
	static struct rte_txweight_target where[TW_BURST];
	struct rte_mbuf **pkts = burst;
	uint64_t start, k;
	uint32_t h = 0;
	unsigned int i;

	rte_txweight_table_reader_register(t, 0);
	start = cpu_ns();
	for (k = 0; k < BENCH_PACKETS; k += TW_BURST) {
		get_burst(pkts);
		for (i = 0; i < TW_BURST; i++)
			where[i] = rte_txweight_table_lookup(t, hashes[h + i]);
		tw_tx_all(where[0].port_id, where[0].queue_id, pkts, TW_BURST);
		h = (h + TW_BURST) & (N_HASHES - 1);
		rte_txweight_table_quiescent(t, 0);
	}
	start = cpu_ns() - start;
	rte_txweight_table_reader_unregister(t, 0);
	return mpps(BENCH_PACKETS, start);
}

static double
run_bonding(uint64_t *dropped)
{
	struct rte_mbuf **pkts = burst;
	uint64_t start, k;

	*dropped = 0;
	start = cpu_ns();
	for (k = 0; k < BENCH_PACKETS; k += TW_BURST) {
		uint16_t sent;

		get_burst(pkts);
		sent = rte_eth_tx_burst(bond_port, 0, pkts, TW_BURST);
		if (unlikely(sent < TW_BURST)) {
			rte_pktmbuf_free_bulk(&pkts[sent], TW_BURST - sent);
			*dropped += TW_BURST - sent;
		}
	}
	return mpps(BENCH_PACKETS, cpu_ns() - start);
}

/* SWRR: one pick per packet (then per-port mini-bursts) or per burst. */
static double
run_swrr(struct rte_txweight_table *t, bool per_packet)
{
	struct rte_mbuf **pkts = burst, *group[RTE_MAX_ETHPORTS][TW_BURST];
	uint16_t len[RTE_MAX_ETHPORTS], used[TW_BURST];
	struct rte_txweight_swrr s;
	uint64_t start, k;
	unsigned int i, n_used;

	rte_txweight_swrr_init(&s, t);
	memset(len, 0, sizeof(len));
	start = cpu_ns();
	for (k = 0; k < BENCH_PACKETS; k += TW_BURST) {
		get_burst(pkts);
		if (!per_packet) {
			struct rte_txweight_target tg = rte_txweight_swrr_next(&s);

			tw_tx_all(tg.port_id, tg.queue_id, pkts, TW_BURST);
			continue;
		}
		n_used = 0;
		for (i = 0; i < TW_BURST; i++) {
			uint16_t p = rte_txweight_swrr_next(&s).port_id;

			if (len[p] == 0)
				used[n_used++] = p;
			group[p][len[p]++] = pkts[i];
		}
		for (i = 0; i < n_used; i++) {
			tw_tx_all(used[i], 0, group[used[i]], len[used[i]]);
			len[used[i]] = 0;
		}
	}
	return mpps(BENCH_PACKETS, cpu_ns() - start);
}

/* Cycles per packet of the selection alone (no packets, no TX). */
static double
select_cycles(struct rte_txweight_table *t, struct rte_txweight_swrr *s)
{
	uint64_t start, cycles, fewest = UINT64_MAX, acc = 0;
	unsigned int rep, i;

	/* Best of 16 passes over 1 M precomputed hashes (or 1 M picks). */
	for (rep = 0; rep < 16; rep++) {
		start = rte_rdtsc();
		if (s == NULL)
			for (i = 0; i < N_HASHES; i++)
				acc += rte_txweight_table_lookup(t, hashes[i]).port_id;
		else
			for (i = 0; i < N_HASHES; i++)
				acc += rte_txweight_swrr_next(s).port_id;
		cycles = rte_rdtsc() - start;
		fewest = RTE_MIN(fewest, cycles);
	}
	sink += acc;
	return (double)fewest / N_HASHES;
}

/*
 * Cycles per packet of rte_txweight_table_split() alone (lookups and
 * grouping, no packets, no TX): best of 16 passes over 1 M hashes in
 * bursts of 32. The mbuf pointers are never dereferenced (the hashes are
 * given), so an array of distinct addresses stands in for a burst.
 */
static double
split_cycles(struct rte_txweight_table *t)
{
	static struct rte_mbuf stand_in[TW_BURST];
	struct rte_txweight_target targets[TW_BURST];
	struct rte_mbuf *pkts[TW_BURST];
	uint64_t start, cycles, fewest = UINT64_MAX, acc = 0;
	unsigned int rep, i, j;

	for (j = 0; j < TW_BURST; j++)
		pkts[j] = &stand_in[j];
	for (rep = 0; rep < 16; rep++) {
		uint16_t counts[TW_BURST];

		start = rte_rdtsc();
		/* each split permutes the stand-ins: still 32 distinct pointers */
		for (i = 0; i < N_HASHES; i += TW_BURST)
			acc += (uint64_t)rte_txweight_table_split(t, pkts, &hashes[i],
				TW_BURST, targets, counts);
		cycles = rte_rdtsc() - start;
		fewest = RTE_MIN(fewest, cycles);
	}
	sink += acc;
	return (double)fewest / N_HASHES;
}

/* Rebalance visibility: a reader on the second lcore watches one entry. */
struct visibility {
	struct rte_txweight_table *t;
	volatile uint64_t seen_tsc;
	volatile uint16_t seen_port;
	volatile uint32_t ping;       /* floor: a plain flag the reader echoes */
	volatile uint32_t ping_seen;
	volatile uint64_t ping_tsc;
	volatile int stop;
};

static int
visibility_reader(void *arg)
{
	struct visibility *v = arg;
	uint16_t last = RTE_TXWEIGHT_NO_PORT;
	uint32_t last_ping = 0;

	rte_txweight_table_reader_register(v->t, 1);
	while (!v->stop) {
		uint16_t p = rte_txweight_table_lookup(v->t, 0).port_id;
		uint32_t ping = v->ping;

		if (p != last) {
			v->seen_tsc = rte_rdtsc();
			v->seen_port = p;
			last = p;
		}
		if (ping != last_ping) {
			v->ping_tsc = rte_rdtsc();
			v->ping_seen = ping;
			last_ping = ping;
		}
		rte_txweight_table_quiescent(v->t, 1);
	}
	rte_txweight_table_reader_unregister(v->t, 1);
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Each flip moves every entry, the most an update can have to write. At
 * the bench's table size every figure is printed; at another size (the
 * largest a table can have) the medians, named with the size.
 */
static void
rebalance_visibility(unsigned int worker, uint32_t size)
{
	struct rte_txweight_table_params params = {
		.name = "visibility", .size = size, .socket_id = SOCKET_ID_ANY,
		.max_readers = 2,
	};
	static struct visibility v;
	static double us[400], floor_us[400], call_us[400];
	uint64_t w[2][2] = { { 1, 0 }, { 0, 1 } };
	uint16_t ports[2] = { 0, 1 };
	unsigned int i, over = 0, n = RTE_DIM(us);
	double hz = (double)rte_get_tsc_hz();

	v.t = rte_txweight_table_create(&params);
	if (v.t == NULL)
		return;
	rte_txweight_table_update(v.t, ports, w[0], NULL, 2);
	v.seen_port = RTE_TXWEIGHT_NO_PORT;
	v.stop = 0;
	rte_eal_remote_launch(visibility_reader, &v, worker);
	while (v.seen_port != 0)
		rte_pause();
	for (i = 0; i < n; i++) {
		uint16_t want = (uint16_t)((i + 1) % 2);
		uint64_t t0;

		rte_delay_us_block(200);
		/* From the call (building the new mapping included). */
		t0 = rte_rdtsc();
		rte_txweight_table_update(v.t, ports, w[want], NULL, 2);
		call_us[i] = (double)(rte_rdtsc() - t0) * 1e6 / hz;
		while (v.seen_port != want)
			rte_pause();
		us[i] = (double)(int64_t)(v.seen_tsc - t0) * 1e6 / hz;
		over += us[i] > 1000;
		if (size != TABLE_SIZE)
			continue; /* only the medians are printed: no floor */
		/* The floor: the same two lcores, a plain flag, no library. */
		rte_delay_us_block(200);
		t0 = rte_rdtsc();
		v.ping = i + 1;
		while (v.ping_seen != i + 1)
			rte_pause();
		floor_us[i] = (double)(int64_t)(v.ping_tsc - t0) * 1e6 / hz;
	}
	v.stop = 1;
	rte_eal_wait_lcore(worker);
	rte_txweight_table_free(v.t);
	qsort(us, n, sizeof(us[0]), cmp_double);
	qsort(call_us, n, sizeof(call_us[0]), cmp_double);
	if (size != TABLE_SIZE) {
		char name[64];

		snprintf(name, sizeof(name), "rebalance_visible_%u_us", size);
		bench(name, us[n / 2], "us(p50)");
		snprintf(name, sizeof(name), "update_call_%u_p50_us", size);
		bench(name, call_us[n / 2], "us");
		return;
	}
	qsort(floor_us, n, sizeof(floor_us[0]), cmp_double);
	/* The median is the figure; its tail is printed beside its floor. */
	bench("rebalance_visible_us", us[n / 2], "us(p50)");
	bench("rebalance_visible_p99_us", us[n * 99 / 100], "us");
	bench("rebalance_visible_max_us", us[n - 1], "us");
	bench("rebalance_visible_over_1ms_pct", 100.0 * over / n, "%");
	bench("update_call_p50_us", call_us[n / 2], "us");
	bench("cross_lcore_floor_p50_us", floor_us[n / 2], "us");
	bench("cross_lcore_floor_p99_us", floor_us[n * 99 / 100], "us");
	bench("cross_lcore_floor_max_us", floor_us[n - 1], "us");
}

/*
 * The best round: on a shared machine, other processes only ever slow a
 * round down, so the fastest one is the closest to the case's own cost.
 */
static double
best(const double *samples)
{
	double top = samples[0];
	unsigned int r;

	for (r = 1; r < ROUNDS; r++)
		top = RTE_MAX(top, samples[r]);
	return top;
}

/*
 * The median over rounds of num[r] / den[r]: the two cases of a round ran
 * tens of milliseconds apart (direct then the table: two cases of ~16 ms
 * from one start to the other; the table then bonding: about 175 ms),
 * so a ratio of the same
 * round cancels the machine's slower drifts, which a ratio of bests (each
 * case's best round may be a different one) does not. Printed beside each
 * goal ratio.
 */
static double
paired_median(const double *num, const double *den)
{
	/* An odd number of rounds: the median is one of them. */
	RTE_BUILD_BUG_ON(ROUNDS % 2 != 1);
	double ratio[ROUNDS];
	unsigned int r;

	for (r = 0; r < ROUNDS; r++)
		ratio[r] = num[r] / den[r];
	qsort(ratio, ROUNDS, sizeof(ratio[0]), cmp_double);
	return ratio[ROUNDS / 2];
}

static int
setup_ports(void)
{
	struct rte_eth_conf conf;
	struct rte_eth_link link;
	unsigned int i;
	uint64_t deadline;

	for (i = 0; i < N_NULL; i++)
		if (tw_port_setup((uint16_t)i, 1, pool) != 0)
			return -1;
	if (rte_eth_dev_get_port_by_name("net_bonding0", &bond_port) != 0)
		return -1;
	memset(&conf, 0, sizeof(conf));
	if (rte_eth_dev_configure(bond_port, 1, 1, &conf) != 0 ||
			rte_eth_rx_queue_setup(bond_port, 0, 128, 0, NULL, pool) != 0 ||
			rte_eth_tx_queue_setup(bond_port, 0, 512, 0, NULL) != 0 ||
			rte_eth_dev_start(bond_port) != 0)
		return -1;
	/* The bond's members become active on its link-status poll. */
	deadline = rte_get_timer_cycles() + 5 * rte_get_timer_hz();
	do {
		rte_delay_ms(20);
		if (rte_eth_link_get_nowait(bond_port, &link) != 0)
			link.link_status = RTE_ETH_LINK_DOWN;
	} while (link.link_status != RTE_ETH_LINK_UP &&
		rte_get_timer_cycles() < deadline);
	return link.link_status == RTE_ETH_LINK_UP ? 0 : -1;
}

static void
port_opackets(uint64_t *out, unsigned int n)
{
	struct rte_eth_stats st;
	unsigned int i;

	for (i = 0; i < n; i++) {
		rte_eth_stats_get((uint16_t)i, &st);
		out[i] = st.opackets;
	}
}

/* A number from a sysfs file of one hugepage size; 0 when unreadable. */
static unsigned long
hugepage_count(const char *size_dir, const char *file)
{
	unsigned long n = 0;
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/%s/%s",
		size_dir, file);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	if (fscanf(f, "%lu", &n) != 1)
		n = 0;
	fclose(f);
	return n;
}

/*
 * Hugepage memory of every size, in MiB, that is free and not reserved
 * by another process (what EAL can still take), from sysfs: 0 when the
 * kernel has none. --hugepages needs BENCH_HUGEPAGE_MIB of it.
 */
static unsigned long
free_hugepage_mib(void)
{
	unsigned long kib_total = 0, kib, free_n, resv_n;
	struct dirent *d;
	DIR *dh;

	dh = opendir("/sys/kernel/mm/hugepages");
	if (dh == NULL)
		return 0;
	while ((d = readdir(dh)) != NULL) {
		if (sscanf(d->d_name, "hugepages-%lukB", &kib) != 1)
			continue;
		free_n = hugepage_count(d->d_name, "free_hugepages");
		resv_n = hugepage_count(d->d_name, "resv_hugepages");
		if (free_n > resv_n)
			kib_total += (free_n - resv_n) * kib;
	}
	closedir(dh);
	return kib_total / 1024;
}

/* The options, on out: stdout for --help, stderr after a bad one. */
static void
usage(FILE *out, const char *prog)
{
	fprintf(out,
		"usage: %s [--default-simd] [--hugepages] [--help]\n"
		"  --default-simd  DPDK's default SIMD width instead of 512 bits\n"
		"  --hugepages     run on hugepages (EAL --in-memory; needs %u MiB\n"
		"                  free) instead of 4 KiB pages (--no-huge)\n",
		prog, BENCH_HUGEPAGE_MIB);
}

int
main(int argc, char **argv)
{
	/* DPDK 23.11 renamed the bond's slave= devargs key to member=. */
	static const char *const bond[] = {
#if RTE_VERSION < RTE_VERSION_NUM(23, 11, 0, 0)
		"net_bonding0,mode=2,slave=net_null0,slave=net_null1,xmit_policy=l34",
#else
		"net_bonding0,mode=2,member=net_null0,member=net_null1,xmit_policy=l34",
#endif
	};
	static const uint64_t speeds[N_NULL] = {
		100000, 50000, 25000, 25000, 200000, 100000, 10000, 40000,
	};
	struct rte_txweight_table_params params = {
		.name = "bench", .size = TABLE_SIZE, .socket_id = SOCKET_ID_ANY,
		.max_readers = 2,
	};
	uint16_t ports[N_NULL] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	uint64_t equal[N_NULL] = { 1, 1, 1, 1, 1, 1, 1, 1 };
	uint64_t before[N_NULL], after[N_NULL], dropped, total, wsum;
	double direct_r[ROUNDS], alt_r[ROUNDS], table_r[3][ROUNDS], bonding_r[ROUNDS];
	double swrr_pkt_r[ROUNDS], swrr_burst_r[ROUNDS], lookup_only_r[ROUNDS];
	double split_r[ROUNDS], uneven_r[ROUNDS], scattered_r[ROUNDS];
	double fixed_r[ROUNDS], prev_r[ROUNDS], rss_r[ROUNDS], adds_r[ROUNDS];
	double direct, table[3], bonding, swrr_pkt, swrr_burst, err, e;
	struct rte_txweight_table *t;
	struct rte_txweight_swrr s;
	unsigned int i, np, r, worker;

	/*
	 * Let 512-bit paths run (rte_txweight_table_split()'s AVX-512 path for
	 * bursts of 32, on CPUs with AVX-512 VBMI2; the library logs whether it
	 * takes it): DPDK leaves that choice to the application. Nothing else
	 * in the cases (net_null, bonding, mempool) has a path that depends on
	 * it. "--default-simd" keeps DPDK's default width instead (256 bits on
	 * x86: the AVX2 split), the figures an application gets without the
	 * EAL option.
	 */
	tw_eal_simd_bitwidth = "512";
	for (i = 1; i < (unsigned int)argc; i++) {
		if (strcmp(argv[i], "--default-simd") == 0) {
			tw_eal_simd_bitwidth = NULL;
		} else if (strcmp(argv[i], "--hugepages") == 0) {
			tw_eal_hugepages = true;
		} else if (strcmp(argv[i], "--help") == 0) {
			usage(stdout, argv[0]);
			return 0;
		} else {
			fprintf(stderr, "bench: unknown argument '%s'\n", argv[i]);
			usage(stderr, argv[0]);
			return 2;
		}
	}
	/* Without them, the case is skipped (status 77), not failed. */
	if (tw_eal_hugepages) {
		const unsigned long have = free_hugepage_mib();

		if (have < BENCH_HUGEPAGE_MIB) {
			printf("bench: --hugepages needs %u MiB of free hugepages, "
				"the machine has %lu (as root, raise "
				"/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages "
				"by %lu): skipped\n", BENCH_HUGEPAGE_MIB, have,
				(BENCH_HUGEPAGE_MIB - have + 1) / 2);
			return 77;
		}
	}
	if (tw_eal_init("twbench", N_NULL, bond, RTE_DIM(bond)) != 0)
		return 1;
	pool = rte_pktmbuf_pool_create("bench_pool", POOL_SIZE, 256, 0,
		RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	hashes = malloc(sizeof(*hashes) * N_HASHES);
	split_at = calloc(N_HASHES / TW_BURST, sizeof(*split_at));
	if (pool == NULL || hashes == NULL || split_at == NULL ||
			prepare_pool() != 0 || setup_ports() != 0) {
		fprintf(stderr, "bench: setup failed\n");
		return 1;
	}
	for (i = 0; i < N_HASHES; i++) {
		hashes[i] = tw_mix32(i);
		split_at[i / TW_BURST] += hashes[i] & 1;
	}
	t = rte_txweight_table_create(&params);
	if (t == NULL)
		return 1;
	printf("bench: %u packets per case, bursts of %u, 64-byte IPv4/UDP, lcore %u, "
		"table %u entries, TSC %" PRIu64 " Hz, max SIMD %u bits, AVX-512 VBMI2 %s, "
		"memory on %s\n",
		BENCH_PACKETS, TW_BURST, rte_lcore_id(), TABLE_SIZE, rte_get_tsc_hz(),
		rte_vect_get_max_simd_bitwidth(),
		rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX512VBMI2) > 0 ? "yes" : "no",
		tw_eal_hugepages ? "hugepages" : "4 KiB pages (--no-huge)");

	/*
	 * Warm up (caches, mempool, CPU frequency), then ROUNDS rounds of every
	 * case in turn; each figure is the best of its rounds, so that a burst
	 * of noise from another process hits one sample, not a case.
	 */
	place_burst(0);
	(void)run_direct(1);
	for (r = 0; r < ROUNDS; r++) {
		place_burst(r);
		reset_pool(r);
		direct_r[r] = run_direct(1);
		reset_pool(r);
		alt_r[r] = run_direct(2);
		for (np = 2, i = 0; np <= N_NULL; np *= 2, i++) {
			rte_txweight_table_update(t, ports, equal, NULL, np);
			reset_pool(r);
			table_r[i][r] = run_table(t, BENCH_PACKETS, false);
		}
		rte_txweight_table_update(t, ports, equal, NULL, 2);
		reset_pool(r);
		rss_r[r] = run_table(t, BENCH_PACKETS, true);
		reset_pool(r);
		prev_r[r] = run_table_prev(t);
		reset_pool(r);
		lookup_only_r[r] = run_lookup_only(t);
		reset_pool(r);
		split_r[r] = run_split();
		reset_pool(r);
		uneven_r[r] = run_split_uneven();
		reset_pool(r);
		scattered_r[r] = run_direct_scattered();
		reset_pool(r);
		fixed_r[r] = run_direct_fixed_order();
		reset_pool(r);
		adds_r[r] = run_direct_adds();
		reset_pool(r);
		bonding_r[r] = run_bonding(&dropped);
		if (dropped != 0)
			printf("bench: bonding dropped %" PRIu64 " packets\n", dropped);
		rte_txweight_table_update(t, ports, equal, NULL, 2);
		reset_pool(r);
		swrr_pkt_r[r] = run_swrr(t, true);
		reset_pool(r);
		swrr_burst_r[r] = run_swrr(t, false);
	}
	direct = best(direct_r);
	bench("direct_1p_mpps", direct, "Mpps");
	bench("direct_alternate_2p_mpps", best(alt_r), "Mpps");
	for (np = 2, i = 0; np <= N_NULL; np *= 2, i++) {
		char name[32];

		table[i] = best(table_r[i]);
		snprintf(name, sizeof(name), "txweight_%up_mpps", np);
		bench(name, table[i], "Mpps");
	}
	bench("txweight_rss_2p_mpps", best(rss_r), "Mpps");
	bench("txweight_prev_grouping_2p_mpps", best(prev_r), "Mpps");
	bench("txweight_lookup_only_2p_mpps", best(lookup_only_r), "Mpps");
	bench("direct_split_2p_mpps", best(split_r), "Mpps");
	bench("direct_split_uneven_2p_mpps", best(uneven_r), "Mpps");
	bench("direct_scattered_1p_mpps", best(scattered_r), "Mpps");
	bench("direct_fixed_order_1p_mpps", best(fixed_r), "Mpps");
	bench("direct_4adds_1p_mpps", best(adds_r), "Mpps");
	bonding = best(bonding_r);
	bench("bonding_l34_2p_mpps", bonding, "Mpps");
	swrr_pkt = best(swrr_pkt_r);
	bench("swrr_pkt_2p_mpps", swrr_pkt, "Mpps");
	swrr_burst = best(swrr_burst_r);
	bench("swrr_burst_2p_mpps", swrr_burst, "Mpps");
	bench("txweight_vs_direct", table[0] / direct, "ratio");
	bench("txweight_vs_direct_paired_median",
		paired_median(table_r[0], direct_r), "ratio");
	bench("txweight_vs_bonding", table[0] / bonding, "ratio");
	bench("txweight_vs_bonding_paired_median",
		paired_median(table_r[0], bonding_r), "ratio");
	bench("txweight_rss_vs_direct", best(rss_r) / direct, "ratio");
	bench("txweight_rss_vs_direct_paired_median",
		paired_median(rss_r, direct_r), "ratio");
	bench("txweight_prev_grouping_vs_direct", best(prev_r) / direct, "ratio");
	bench("direct_4adds_vs_direct_paired_median",
		paired_median(adds_r, direct_r), "ratio");
	bench("swrr_vs_direct", swrr_pkt / direct, "ratio");
	bench("swrr_burst_vs_direct", swrr_burst / direct, "ratio");

	rte_txweight_table_update(t, ports, equal, NULL, 2);
	bench("split_2p_cycles_per_pkt", split_cycles(t), "cycles");
	rte_txweight_table_update(t, ports, equal, NULL, N_NULL);
	bench("split_8p_cycles_per_pkt", split_cycles(t), "cycles");
	rte_txweight_table_update(t, ports, speeds, NULL, 2);
	rte_txweight_swrr_init(&s, t);
	bench("swrr_2p_select_cycles_per_pkt", select_cycles(t, &s), "cycles");
	/* Selection cost, on unequal speeds over 8 ports. */
	rte_txweight_table_update(t, ports, speeds, NULL, N_NULL);
	rte_txweight_swrr_init(&s, t);
	bench("select_cycles_per_pkt", select_cycles(t, NULL), "cycles");
	bench("swrr_8p_select_cycles_per_pkt", select_cycles(t, &s), "cycles");

	/* Shares over 10 M real packets, counted by the ports. */
	port_opackets(before, N_NULL);
	run_table(t, SHARE_PACKETS, false);
	port_opackets(after, N_NULL);
	total = 0;
	wsum = 0;
	for (i = 0; i < N_NULL; i++) {
		total += after[i] - before[i];
		wsum += speeds[i];
	}
	err = 0;
	for (i = 0; i < N_NULL; i++) {
		e = 100.0 * ((double)(after[i] - before[i]) / total -
			(double)speeds[i] / wsum);
		err = RTE_MAX(err, e < 0 ? -e : e);
	}
	printf("bench: %" PRIu64 " packets counted by the ports for the share check\n",
		total);
	bench("share_error_pct", err, "%");

	worker = rte_get_next_lcore(-1, 1, 0);
	if (worker < RTE_MAX_LCORE) {
		rebalance_visibility(worker, TABLE_SIZE);
		rebalance_visibility(worker, RTE_TXWEIGHT_TABLE_MAX_SIZE);
	}
	rte_txweight_table_free(t);
	free(hashes);
	free(split_at);
	/*
	 * Stop the bond before EAL goes: its link-status poll is an EAL alarm,
	 * and one firing on the interrupt thread during rte_eal_cleanup()
	 * crashed the exit now and then.
	 */
	rte_eth_dev_stop(bond_port);
	rte_eth_dev_close(bond_port);
	rte_eal_cleanup();
	return 0;
}
