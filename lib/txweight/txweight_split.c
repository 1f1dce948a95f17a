/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/*
 * Splitting a burst by flow-table lookup: the packets of each target made
 * contiguous, in place, so that each group goes out with one
 * rte_eth_tx_burst().
 *
 * Where the cycles go, per burst of 32 on a port as cheap as net_null
 * (about 40 cycles a packet), and what is done about each:
 * - the lookups: the published array and the mask are loaded once per
 *   burst, not per packet (one reader's burst sees one mapping, which
 *   RCU allows: the array stays valid until the reader's next quiescent
 *   state), so a lookup is a load of the hash, an and, a load of the entry;
 * - the grouping never keeps per-target counters in memory (consecutive
 *   packets of one target would chain through a load-increment-store):
 *   each target's packets are a bit mask, from SIMD compares of the
 *   looked-up words made as they are loaded (assembled in registers, not
 *   reloaded from memory);
 * - the common cases cost least: a burst of one target is left as it is
 *   (nothing is copied); two targets take one branch-free pass with both
 *   output cursors in registers (a group's packets go from a copy of the
 *   burst straight to their final slots: no second copy back);
 * - bit walks (a serial chain per packet) only for three targets or more;
 * - bursts of 32, the usual size, get loops of a known length, and on
 *   CPUs with AVX-512F (when the application allows 512-bit paths) gathers
 *   and compresses: eight pointers moved per instruction.
 * Measured alone (no TX), a burst of 32 over two ports costs about 5
 * cycles a packet with SSE4.1 and 2.6 with AVX-512 (bench_txweight.c,
 * split_2p_cycles_per_pkt).
 */

#include <errno.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_cpuflags.h>
#include <rte_mbuf.h>
#include <rte_vect.h>

#include "rte_txweight.h"
#include "txweight_private.h"

/* Bit i set when words[i] == key, for i < n_round (a multiple of 4). */
static inline uint64_t
split_match(const uint32_t *words, unsigned int n_round, uint32_t key)
{
	uint64_t mask = 0;
	unsigned int i;

#ifdef RTE_ARCH_X86
	const __m128i k = _mm_set1_epi32((int)key);

	for (i = 0; i < n_round; i += 4) {
		__m128i w = _mm_loadu_si128((const __m128i *)&words[i]);

		mask |= (uint64_t)(uint32_t)_mm_movemask_ps(_mm_castsi128_ps(
			_mm_cmpeq_epi32(w, k))) << i;
	}
#else
	for (i = 0; i < n_round; i++)
		mask |= (uint64_t)(words[i] == key) << i;
#endif
	return mask;
}

/*
 * Look up n packets' targets into words[] (padded to a multiple of 4 with
 * copies of the last) and return the mask of those equal to the first.
 * The SIMD path assembles each four words in a register and stores them
 * with one 16-byte store: 16-byte loads of words that were just written by
 * 4-byte stores cannot be forwarded from the store buffer and would stall
 * until the stores reach the cache.
 */
static inline uint64_t
split_lookup(const uint32_t *entries, uint32_t hmask, struct rte_mbuf **pkts,
	const uint32_t *hashes, unsigned int n, uint32_t *words)
{
#define SPLIT_HASH(i) (hashes != NULL ? hashes[i] : pkts[i]->hash.rss)
#define SPLIT_ENTRY(i) __atomic_load_n(&entries[SPLIT_HASH(i) & hmask], \
	__ATOMIC_RELAXED)
	uint64_t mask = 0;
	unsigned int i;
	uint32_t first = SPLIT_ENTRY(0);

#ifdef __SSE4_1__
	const __m128i k = _mm_set1_epi32((int)first);
	__m128i w;

	for (i = 0; i + 4 <= n; i += 4) {
		w = _mm_cvtsi32_si128((int)SPLIT_ENTRY(i));
		w = _mm_insert_epi32(w, (int)SPLIT_ENTRY(i + 1), 1);
		w = _mm_insert_epi32(w, (int)SPLIT_ENTRY(i + 2), 2);
		w = _mm_insert_epi32(w, (int)SPLIT_ENTRY(i + 3), 3);
		_mm_store_si128((__m128i *)&words[i], w);
		mask |= (uint64_t)(uint32_t)_mm_movemask_ps(_mm_castsi128_ps(
			_mm_cmpeq_epi32(w, k))) << i;
	}
	if (i < n) {
		/* The tail, padded with copies of the last packet's word. */
		w = _mm_setr_epi32((int)SPLIT_ENTRY(i),
			(int)SPLIT_ENTRY(i + 1 < n ? i + 1 : n - 1),
			(int)SPLIT_ENTRY(i + 2 < n ? i + 2 : n - 1),
			(int)SPLIT_ENTRY(n - 1));
		_mm_store_si128((__m128i *)&words[i], w);
		mask |= (uint64_t)(uint32_t)_mm_movemask_ps(_mm_castsi128_ps(
			_mm_cmpeq_epi32(w, k))) << i;
	}
#else
	for (i = 0; i < n; i++) {
		words[i] = SPLIT_ENTRY(i);
		mask |= (uint64_t)(words[i] == first) << i;
	}
	for (; i < RTE_ALIGN_CEIL(n, 4u); i++)
		words[i] = words[n - 1];
#endif
	return mask;
#undef SPLIT_ENTRY
#undef SPLIT_HASH
}

/* copy[0..n-1] = pkts[0..n-1], inline (no memcpy call for 256 bytes). */
static inline void
split_copy(struct rte_mbuf **copy, struct rte_mbuf *const *pkts, unsigned int n)
{
	unsigned int i = 0;

#ifdef RTE_ARCH_X86
	for (; i + 2 <= n; i += 2)
		_mm_storeu_si128((__m128i *)&copy[i],
			_mm_loadu_si128((const __m128i *)&pkts[i]));
#endif
	for (; i < n; i++)
		copy[i] = pkts[i];
}

/*
 * Three targets or more: group 0 (mask) and then each further group of
 * left, in order of first packet, by walking their masks' bits; packets
 * are read from copy and written into pkts. targets[0] and counts[0] are
 * already set. Returns the number of groups.
 */
static inline int
split_many(struct rte_mbuf **pkts, struct rte_mbuf *const *copy,
	const uint32_t *words, unsigned int n_round, uint64_t mask, uint64_t left,
	struct rte_txweight_target *targets, uint16_t *counts)
{
	union txweight_entry key;
	unsigned int len = 0, groups = 1;

	do {
		pkts[len++] = copy[__builtin_ctzll(mask)];
		mask &= mask - 1;
	} while (mask != 0);
	do {
		key.word = words[__builtin_ctzll(left)];
		mask = split_match(words, n_round, key.word) & left;
		left &= ~mask;
		targets[groups] = key.target;
		counts[groups] = (uint16_t)__builtin_popcountll(mask);
		groups++;
		do {
			pkts[len++] = copy[__builtin_ctzll(mask)];
			mask &= mask - 1;
		} while (mask != 0);
	} while (left != 0);
	return (int)groups;
}

/* The split of a checked, non-empty burst (n a constant when inlined). */
static __rte_always_inline int
split_burst(const struct rte_txweight_table *table, struct rte_mbuf **pkts,
	const uint32_t *hashes, unsigned int n,
	struct rte_txweight_target *targets, uint16_t *counts)
{
	const struct rte_txweight_table_fast *fast =
		(const struct rte_txweight_table_fast *)table;
	uint32_t words[RTE_TXWEIGHT_SPLIT_MAX] __rte_aligned(16);
	struct rte_mbuf *copy[RTE_TXWEIGHT_SPLIT_MAX];
	union txweight_entry key;
	const uint32_t *entries;
	uint64_t all, left, mask, second;
	unsigned int i, n_round;
	uint32_t hmask;

	/* One mapping for the whole burst (see above). */
	entries = __atomic_load_n(&fast->entries, __ATOMIC_ACQUIRE);
	hmask = fast->mask;
	n_round = RTE_ALIGN_CEIL(n, 4u);
	all = n == 64 ? UINT64_MAX : (UINT64_C(1) << n) - 1;
	if (hashes != NULL)
		mask = split_lookup(entries, hmask, NULL, hashes, n, words);
	else
		mask = split_lookup(entries, hmask, pkts, NULL, n, words);
	mask &= all;
	key.word = words[0];
	targets[0] = key.target;
	counts[0] = (uint16_t)__builtin_popcountll(mask);
	if (likely(mask == all))
		return 1;

	/*
	 * Every pointer is read from a copy of the burst and written once,
	 * into its final slot: a group's slots start where the previous
	 * group's count ends.
	 */
	split_copy(copy, pkts, n);
	left = all & ~mask;
	key.word = words[__builtin_ctzll(left)];
	second = split_match(words, n_round, key.word) & left;
	targets[1] = key.target;
	counts[1] = (uint16_t)__builtin_popcountll(second);
	if (likely(second == left)) {
		/*
		 * Two targets, the common LAG of two ports: no bit walking, one
		 * pass whose two cursors stay in registers; each packet picks
		 * its cursor without a branch.
		 */
		struct rte_mbuf **at0 = pkts;
		struct rte_mbuf **at1 = pkts + __builtin_popcountll(mask);
		uint64_t bits = mask;

		for (i = 0; i < n; i++, bits >>= 1) {
			unsigned int in_first = (unsigned int)bits & 1;

			*(in_first ? at0 : at1) = copy[i];
			at0 += in_first;
			at1 += in_first ^ 1;
		}
		return 2;
	}

	return split_many(pkts, copy, words, n_round, mask, left, targets,
		counts);
}

#if defined(RTE_ARCH_X86_64) && defined(__GNUC__)
#define SPLIT_HAVE_AVX512 1

/*
 * Bursts of 32 with AVX-512F, when the CPU has it and the application
 * allows 512-bit paths (EAL --force-max-simd-bitwidth=512, DPDK's rule
 * for them): the lookups are two 16-lane gathers, the compares two mask
 * compares, and two groups are written with four compresses each (eight
 * pointers per instruction) and masked stores. The packets are all in
 * registers before the first store, so the stores may go anywhere in
 * pkts. Three targets or more take the bit walks above.
 */
static __attribute__((target("avx512f"))) int
split32_avx512(const uint32_t *entries, uint32_t hmask, struct rte_mbuf **pkts,
	const uint32_t *hashes, struct rte_txweight_target *targets,
	uint16_t *counts)
{
	uint32_t words[32] __rte_aligned(64), own_hashes[32] __rte_aligned(64);
	struct rte_mbuf *copy[32];
	const __m512i hm = _mm512_set1_epi32((int)hmask);
	__m512i w0, w1, k, p[4];
	union txweight_entry key;
	uint32_t m, m2;
	unsigned int i, at0, at1;

	if (hashes == NULL) {
		for (i = 0; i < 32; i++)
			own_hashes[i] = pkts[i]->hash.rss;
		hashes = own_hashes;
	}
	w0 = _mm512_i32gather_epi32(_mm512_and_si512(_mm512_loadu_si512(hashes), hm),
		(const void *)entries, 4);
	w1 = _mm512_i32gather_epi32(_mm512_and_si512(
		_mm512_loadu_si512(hashes + 16), hm), (const void *)entries, 4);
	key.word = (uint32_t)_mm_cvtsi128_si32(_mm512_castsi512_si128(w0));
	k = _mm512_set1_epi32((int)key.word);
	m = (uint32_t)_mm512_cmpeq_epi32_mask(w0, k) |
		(uint32_t)_mm512_cmpeq_epi32_mask(w1, k) << 16;
	targets[0] = key.target;
	counts[0] = (uint16_t)__builtin_popcount(m);
	if (likely(m == UINT32_MAX))
		return 1;

	_mm512_store_si512(words, w0);
	_mm512_store_si512(words + 16, w1);
	key.word = words[__builtin_ctz(~m)];
	k = _mm512_set1_epi32((int)key.word);
	m2 = (uint32_t)_mm512_cmpeq_epi32_mask(w0, k) |
		(uint32_t)_mm512_cmpeq_epi32_mask(w1, k) << 16;
	targets[1] = key.target;
	counts[1] = (uint16_t)__builtin_popcount(m2);
	if (unlikely((m | m2) != UINT32_MAX)) {
		split_copy(copy, pkts, 32);
		return split_many(pkts, copy, words, 32, m, ~(uint64_t)m & UINT32_MAX,
			targets, counts);
	}

	for (i = 0; i < 4; i++)
		p[i] = _mm512_loadu_si512(&pkts[8 * i]);
	at0 = 0;
	at1 = counts[0];
	for (i = 0; i < 4; i++) {
		__mmask8 in0 = (__mmask8)(m >> (8 * i));
		unsigned int n0 = (unsigned int)__builtin_popcount(in0);

		_mm512_mask_storeu_epi64(&pkts[at0], (__mmask8)((1u << n0) - 1),
			_mm512_maskz_compress_epi64(in0, p[i]));
		_mm512_mask_storeu_epi64(&pkts[at1], (__mmask8)((1u << (8 - n0)) - 1),
			_mm512_maskz_compress_epi64((__mmask8)~in0, p[i]));
		at0 += n0;
		at1 += 8 - n0;
	}
	return 2;
}

/*
 * Whether the AVX-512 path may run, decided at the first split (so after
 * EAL parsed --force-max-simd-bitwidth). Threads racing on the first call
 * compute the same answer.
 */
static int
split_use_avx512(void)
{
	static int use = -1;
	int u = __atomic_load_n(&use, __ATOMIC_RELAXED);

	if (unlikely(u < 0)) {
		u = rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX512F) > 0 &&
			rte_vect_get_max_simd_bitwidth() >= RTE_VECT_SIMD_512;
		__atomic_store_n(&use, u, __ATOMIC_RELAXED);
	}
	return u;
}
#endif

int
rte_txweight_table_split(const struct rte_txweight_table *table,
	struct rte_mbuf **pkts, const uint32_t *hashes, uint16_t n,
	struct rte_txweight_target *targets, uint16_t *counts)
{
	if (unlikely(table == NULL || pkts == NULL || targets == NULL ||
			counts == NULL || n > RTE_TXWEIGHT_SPLIT_MAX)) {
		TXWEIGHT_LOG(ERR, "NULL argument, or burst of %u (max %u)", n,
			RTE_TXWEIGHT_SPLIT_MAX);
		return -EINVAL;
	}
	if (unlikely(n == 0))
		return 0;
#ifdef SPLIT_HAVE_AVX512
	if (n == 32 && split_use_avx512()) {
		const struct rte_txweight_table_fast *fast =
			(const struct rte_txweight_table_fast *)table;

		return split32_avx512(__atomic_load_n(&fast->entries,
			__ATOMIC_ACQUIRE), fast->mask, pkts, hashes, targets, counts);
	}
#endif
	/* The usual burst sizes get loops of a known length. */
	if (n == 32)
		return split_burst(table, pkts, hashes, 32, targets, counts);
	return split_burst(table, pkts, hashes, n, targets, counts);
}
