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
 * - bit walks (a serial chain per packet) only for three targets or more,
 *   or on the AVX-512 and AVX2 paths for more than eight;
 * - bursts of 32, the usual size, get loops of a known length, and on
 *   x86 paths of their own, chosen at the first burst of 32 by the CPU and
 *   the SIMD width the application allows: AVX-512 (VBMI2; 512-bit paths
 *   allowed), register permutes with no arrays on the stack
 *   (split32_avx512()); else AVX2 (DPDK's default width), gathers of the
 *   packets by index (split32_avx2()).
 * Measured alone (no TX), a burst of 32 over two ports costs about 3.7
 * cycles a packet with SSE4.1, 3.8 with AVX2 and 2.0 with AVX-512 (hashes
 * given); over eight ports 11.9, 8.4 and 8.4 (bench_txweight.c,
 * split_*_cycles_per_pkt).
 * In the sending loop what counts is less the cycles alone than how long
 * the TX waits for the split pointers: see split32_avx512().
 */

#include <errno.h>
#include <stddef.h>
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
 * Packet i's entry: the published word its flow hash maps to (hashes[i],
 * or its mbuf's hash.rss when no hashes are given).
 */
static __rte_always_inline uint32_t
split_entry(const uint32_t *entries, uint32_t hmask,
	struct rte_mbuf *const *pkts, const uint32_t *hashes, unsigned int i)
{
	return __atomic_load_n(&entries[(hashes != NULL ? hashes[i] :
		pkts[i]->hash.rss) & hmask], __ATOMIC_RELAXED);
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
#define SPLIT_ENTRY(i) split_entry(entries, hmask, pkts, hashes, (i))
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
#define SPLIT_AVX512_TARGET \
	__attribute__((target("avx2,avx512f,avx512bw,avx512vl,avx512vbmi,avx512vbmi2")))
#define SPLIT_AVX2_TARGET __attribute__((target("avx2")))

/* Most groups the register path orders (four pairs); beyond, bit walks. */
#define SPLIT32_VEC_GROUPS 8

/*
 * More than SPLIT32_VEC_GROUPS targets in a burst of 32: the bit walks,
 * on the looked-up words (mask: group 0's packets).
 */
static __rte_noinline int
split32_walk(struct rte_mbuf **pkts, const uint32_t *words, uint32_t mask,
	struct rte_txweight_target *targets, uint16_t *counts)
{
	struct rte_mbuf *copy[32];

	split_copy(copy, pkts, 32);
	return split_many(pkts, copy, words, 32, mask, ~(uint64_t)mask & UINT32_MAX,
		targets, counts);
}

/*
 * The same from the AVX-512 and AVX2 paths, kept out of them with its
 * array, so that they have none to align on the stack.
 */
static SPLIT_AVX2_TARGET __rte_noinline int
split32_many(struct rte_mbuf **pkts, __m256i w0, __m256i w1, __m256i w2,
	__m256i w3, uint32_t mask, struct rte_txweight_target *targets,
	uint16_t *counts)
{
	uint32_t words[32] __rte_aligned(32);

	_mm256_store_si256((__m256i *)&words[0], w0);
	_mm256_store_si256((__m256i *)&words[8], w1);
	_mm256_store_si256((__m256i *)&words[16], w2);
	_mm256_store_si256((__m256i *)&words[24], w3);
	return split32_walk(pkts, words, mask, targets, counts);
}

/*
 * Lookups of eight hashes: an 8-lane gather of their entries (AVX2, for
 * the AVX-512 path too).
 */
static SPLIT_AVX2_TARGET __rte_always_inline __m256i
split8_lookup(const uint32_t *entries, __m256i hm, __m256i h)
{
	return _mm256_i32gather_epi32((const int *)entries,
		_mm256_and_si256(h, hm), 4);
}

/*
 * Eight packet pointers into one register: by 8-byte loads
 * (split8_ptrs()) or by one 64-byte load (split8_ptrs_wide()). The
 * burst's array was written moments before by its producer (the
 * mempool's copy, a driver's RX), often 8 bytes at a time: a 64-byte load
 * cannot take its data from such stores while they wait in the store
 * buffer, an 8-byte load can, at the price of more instructions. With the
 * hashes given, the pointers are needed only by the final permutes, so
 * such a wait probably hides behind the gathers; from hash.rss they are
 * the gathers' indices, and a wait would delay everything after.
 * Measured on Zen 4 in the sending loop (the same bench binary against
 * each library in turn, five or six rounds), over 2 ports:
 * - hashes given: 64-byte loads level on 4 KiB pages and 1.5-2 % ahead on
 *   hugepages (the split alone about 2.0 against 2.5 cycles per packet);
 * - hashes from hash.rss: 64-byte loads 0.5 to 1.4 points lower on 4 KiB
 *   pages and 0.5 to 1 ahead on hugepages; 8-byte loads are kept there,
 *   a judgement between the two.
 * (An earlier state of this path, measured on 4 KiB pages only, had the
 * 8-byte loads 0.7 % ahead with the hashes given.)
 */
static SPLIT_AVX512_TARGET __rte_always_inline __m512i
split8_ptrs(struct rte_mbuf *const *p)
{
#define SPLIT_PAIR(i) _mm_insert_epi64(_mm_cvtsi64_si128( \
	(long long)(uintptr_t)p[i]), (long long)(uintptr_t)p[(i) + 1], 1)
	return _mm512_inserti64x4(_mm512_castsi256_si512(
			_mm256_set_m128i(SPLIT_PAIR(2), SPLIT_PAIR(0))),
		_mm256_set_m128i(SPLIT_PAIR(6), SPLIT_PAIR(4)), 1);
#undef SPLIT_PAIR
}

static SPLIT_AVX512_TARGET __rte_always_inline __m512i
split8_ptrs_wide(struct rte_mbuf *const *p)
{
	return _mm512_loadu_si512((const void *)p);
}

/* hash.rss of eight mbufs: their pointers are the gather's indices. */
static SPLIT_AVX512_TARGET __rte_always_inline __m256i
split8_rss(__m512i p)
{
	return _mm512_i64gather_epi32(p,
		(const void *)offsetof(struct rte_mbuf, hash.rss), 1);
}

/* Bit i set when lane i of the words w0..w3 (8 each) equals key. */
static SPLIT_AVX512_TARGET __rte_always_inline uint32_t
split32_match(__m256i w0, __m256i w1, __m256i w2, __m256i w3, uint32_t key)
{
	const __m256i k = _mm256_set1_epi32((int)key);

	return (uint32_t)_mm256_cmpeq_epi32_mask(w0, k) |
		(uint32_t)_mm256_cmpeq_epi32_mask(w1, k) << 8 |
		(uint32_t)_mm256_cmpeq_epi32_mask(w2, k) << 16 |
		(uint32_t)_mm256_cmpeq_epi32_mask(w3, k) << 24;
}

/*
 * Output slots 8s..8s+7: their lanes' numbers, from order, one per 64-bit
 * lane; then their packets, from the two pairs of pointer registers,
 * whichever half each lane number falls in.
 */
static SPLIT_AVX512_TARGET __rte_always_inline __m512i
split32_slots(__m512i order, unsigned int s, __m512i p0, __m512i p1,
	__m512i p2, __m512i p3)
{
	const __m512i from = _mm512_maskz_permutexvar_epi8(
		UINT64_C(0x0101010101010101),
		_mm512_add_epi64(_mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0),
			_mm512_set1_epi64(8 * s)), order);

	return _mm512_mask_blend_epi64(
		_mm512_test_epi64_mask(from, _mm512_set1_epi64(16)),
		_mm512_permutex2var_epi64(p0, from, p1),
		_mm512_permutex2var_epi64(p2, from, p3));
}

/*
 * The lanes of two groups, a then b, in byte order from byte 0: the index
 * of the packet each slot takes, for the slots of these two groups.
 */
static SPLIT_AVX512_TARGET __rte_always_inline __m512i
split32_order(uint32_t a, uint32_t b)
{
	/* Lane numbers 0..31 twice: compressed under (a, b). */
	static const uint8_t lanes[64] __rte_aligned(64) = {
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
		16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
		16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
	};

	return _mm512_maskz_compress_epi8((uint64_t)a | (uint64_t)b << 32,
		_mm512_load_si512(lanes));
}

/* The 32 packets to their slots: slot j takes lane order byte j. */
static SPLIT_AVX512_TARGET __rte_always_inline void
split32_store(struct rte_mbuf **pkts, __m512i order, __m512i p0, __m512i p1,
	__m512i p2, __m512i p3)
{
	_mm512_storeu_si512(&pkts[0], split32_slots(order, 0, p0, p1, p2, p3));
	_mm512_storeu_si512(&pkts[8], split32_slots(order, 1, p0, p1, p2, p3));
	_mm512_storeu_si512(&pkts[16], split32_slots(order, 2, p0, p1, p2, p3));
	_mm512_storeu_si512(&pkts[24], split32_slots(order, 3, p0, p1, p2, p3));
}

/*
 * Three targets or more (a LAG of 3 to 8 ports, or ports with several
 * queues): each further group is the first packet left's target and its
 * mask compare, one after another; then each pair of groups' lanes come
 * from one byte compress, moved up behind the pairs before it by a byte
 * permute, and the packets move as for two groups. More than
 * SPLIT32_VEC_GROUPS groups: split32_many(). Sets targets and counts from
 * group 2 on (groups 0 and 1 are set); returns the number of groups.
 *
 * Out of line, like split32_many(), and with its arguments all in
 * registers (six integer ones: the table's mask and group 0's mask share
 * one, group 1's is found again here), so that gcc makes the call a tail
 * jump and split32_avx512() needs no stack of its own for it. (gcc 12
 * then gives the one-target path no frame and the two-target path four
 * saved registers; clang 14 still passes the vectors through an aligned
 * frame.)
 */
static SPLIT_AVX512_TARGET __rte_noinline int
split32_more(const uint32_t *entries, uint64_t hmask_m, struct rte_mbuf **pkts,
	const uint32_t *hashes, struct rte_txweight_target *targets,
	uint16_t *counts, __m256i w0, __m256i w1, __m256i w2, __m256i w3,
	__m512i p0, __m512i p1, __m512i p2, __m512i p3)
{
	const uint32_t hmask = (uint32_t)(hmask_m >> 32);
	const uint32_t m = (uint32_t)hmask_m;
	const union txweight_entry second = { .target = targets[1] };
	const uint32_t m2 = split32_match(w0, w1, w2, w3, second.word);
	/* Byte numbers 0..63. */
	static const uint8_t bytes[64] __rte_aligned(64) = {
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
		16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
		32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47,
		48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63,
	};
	uint32_t group[SPLIT32_VEC_GROUPS] = { m, m2 };
	uint32_t left = ~(m | m2);
	union txweight_entry key;
	unsigned int n = 2, g, at, i;
	__m512i order;

	while (left != 0) {
		if (n == SPLIT32_VEC_GROUPS)
			return split32_many(pkts, w0, w1, w2, w3, m, targets,
				counts);
		i = (unsigned int)__builtin_ctz(left);
		key.word = split_entry(entries, hmask, pkts, hashes, i);
		group[n] = split32_match(w0, w1, w2, w3, key.word);
		targets[n] = key.target;
		counts[n] = (uint16_t)__builtin_popcount(group[n]);
		left &= ~group[n];
		n++;
	}
	order = split32_order(group[0], group[1]);
	at = counts[0] + counts[1];
	for (g = 2; g < n; g += 2) {
		uint32_t pair_second = g + 1 < n ? group[g + 1] : 0;

		/* byte j of the result: byte j - at of the pair's (none below) */
		order = _mm512_or_si512(order, _mm512_maskz_permutexvar_epi8(
			~UINT64_C(0) << at, _mm512_sub_epi8(_mm512_load_si512(bytes),
			_mm512_set1_epi8((char)at)),
			split32_order(group[g], pair_second)));
		at += (unsigned int)__builtin_popcount(group[g]) +
			(unsigned int)__builtin_popcount(pair_second);
	}
	split32_store(pkts, order, p0, p1, p2, p3);
	return (int)n;
}

/*
 * Bursts of 32 with AVX-512 (F, BW, VL, VBMI and VBMI2: Ice Lake, Zen 4
 * and later), when the application allows 512-bit paths (EAL
 * --force-max-simd-bitwidth=512, DPDK's rule for them).
 *
 * On a port as cheap as net_null the sending loop is bound by latency
 * (the mempool's and the driver's per-packet chains), not by throughput,
 * so what counts is how long after the burst's pointers are known the
 * split ones are stored. Everything that depends on the hashes alone
 * (lookups, target masks, the permutation) is off that path and overlaps
 * with the previous burst; between the pointers' loads and the stores of
 * the result there are only register permutes:
 * - the lookups are four 8-lane gathers (16-lane gathers were slower on
 *   Zen 4), the compares mask compares;
 * - the permutation is one byte compress of the lane numbers under the
 *   mask of group 0 followed by that of group 1 (the index of the packet
 *   each output slot takes), then per 8 output slots two two-source
 *   permutes and a blend, and one full store: no masked or
 *   data-dependent store addresses (masked compress stores cost Zen 4
 *   about 2 % of the whole loop on net_null).
 * Three to eight targets: split32_more(); more: the bit walks above.
 */
static SPLIT_AVX512_TARGET int
split32_avx512(const uint32_t *entries, uint32_t hmask, struct rte_mbuf **pkts,
	const uint32_t *hashes, struct rte_txweight_target *targets,
	uint16_t *counts)
{
	const __m256i hm = _mm256_set1_epi32((int)hmask);
	__m512i p0, p1, p2, p3;
	__m256i w0, w1, w2, w3;
	__m512i order;
	union txweight_entry key;
	uint32_t m, m2;
	unsigned int i;

	/*
	 * The pointers are loaded first, even for a burst of one target that
	 * will not use them: issued at once, their loads overlap the lookups
	 * (loaded after the check instead, 8-byte loads measured 0.5 % slower
	 * over 2 ports; not measured again with the 64-byte ones).
	 */
	if (hashes != NULL) {
		p0 = split8_ptrs_wide(&pkts[0]);
		p1 = split8_ptrs_wide(&pkts[8]);
		p2 = split8_ptrs_wide(&pkts[16]);
		p3 = split8_ptrs_wide(&pkts[24]);
		w0 = split8_lookup(entries, hm, _mm256_loadu_si256((const void *)&hashes[0]));
		w1 = split8_lookup(entries, hm, _mm256_loadu_si256((const void *)&hashes[8]));
		w2 = split8_lookup(entries, hm, _mm256_loadu_si256((const void *)&hashes[16]));
		w3 = split8_lookup(entries, hm, _mm256_loadu_si256((const void *)&hashes[24]));
	} else {
		p0 = split8_ptrs(&pkts[0]);
		p1 = split8_ptrs(&pkts[8]);
		p2 = split8_ptrs(&pkts[16]);
		p3 = split8_ptrs(&pkts[24]);
		w0 = split8_lookup(entries, hm, split8_rss(p0));
		w1 = split8_lookup(entries, hm, split8_rss(p1));
		w2 = split8_lookup(entries, hm, split8_rss(p2));
		w3 = split8_lookup(entries, hm, split8_rss(p3));
	}
	key.word = (uint32_t)_mm256_cvtsi256_si32(w0);
	m = split32_match(w0, w1, w2, w3, key.word);
	targets[0] = key.target;
	counts[0] = (uint16_t)__builtin_popcount(m);
	if (likely(m == UINT32_MAX))
		return 1;

	/* The second target: the first packet not in group 0. */
	i = (unsigned int)__builtin_ctz(~m);
	key.word = split_entry(entries, hmask, pkts, hashes, i);
	m2 = split32_match(w0, w1, w2, w3, key.word);
	targets[1] = key.target;
	counts[1] = (uint16_t)__builtin_popcount(m2);
	if (unlikely((m | m2) != UINT32_MAX))
		return split32_more(entries, (uint64_t)hmask << 32 | m, pkts,
			hashes, targets, counts, w0, w1, w2, w3, p0, p1, p2, p3);

	/*
	 * order byte j: the lane whose packet goes to slot j. Group 1 is ~m
	 * here (m2 is), and ~m does not wait for the second key's lookup.
	 */
	order = split32_order(m, ~m);
	split32_store(pkts, order, p0, p1, p2, p3);
	return 2;
}

/*
 * Lane numbers (0..7) of the bits set in a byte, packed from byte 0 of
 * the word up, each complemented, and the bytes past the last lane zero:
 * where the packets of 8 lanes in one group go, in order, in a form that
 * can be or-ed into place (split32_place()).
 */
static uint64_t split_byte_lanes[256];

RTE_INIT(split_byte_lanes_init)
{
	unsigned int b, l, o;

	for (b = 0; b < 256; b++)
		for (l = 0, o = 0; l < 8; l++)
			if (b & (1u << l))
				split_byte_lanes[b] |= (uint64_t)(uint8_t)~l <<
					(8 * o++);
}

/* hash.rss of the eight mbufs pkts[0..7] (AVX2): two 4-lane gathers. */
static SPLIT_AVX2_TARGET __rte_always_inline __m256i
split8_rss_avx2(struct rte_mbuf *const *pkts)
{
	const void *rss = (const void *)offsetof(struct rte_mbuf, hash.rss);

	return _mm256_set_m128i(
		_mm256_i64gather_epi32(rss, _mm256_loadu_si256(
			(const void *)&pkts[4]), 1),
		_mm256_i64gather_epi32(rss, _mm256_loadu_si256(
			(const void *)&pkts[0]), 1));
}

/* Bit i set when lane i of the words w0..w3 (8 each) equals key (AVX2). */
static SPLIT_AVX2_TARGET __rte_always_inline uint32_t
split32_match_avx2(__m256i w0, __m256i w1, __m256i w2, __m256i w3,
	uint32_t key)
{
	const __m256i k = _mm256_set1_epi32((int)key);

#define SPLIT_MASK8(w) ((uint32_t)_mm256_movemask_ps( \
	_mm256_castsi256_ps(_mm256_cmpeq_epi32((w), k))))
	return SPLIT_MASK8(w0) | SPLIT_MASK8(w1) << 8 |
		SPLIT_MASK8(w2) << 16 | SPLIT_MASK8(w3) << 24;
#undef SPLIT_MASK8
}

/*
 * Or the lane numbers of a group's packets into order (32 bytes,
 * complemented: see split_byte_lanes) from byte at, 8 lanes at a time;
 * returns the new end. Each word of 8 lanes moves into place with
 * variable shifts of the four 64-bit lanes of order (counts of 64 or more
 * shift in zeros): the order stays in a register, never in memory, where
 * it would be read back across several stores (a store-forwarding stall,
 * on the path to the TX, at every burst).
 */
static SPLIT_AVX2_TARGET __rte_always_inline unsigned int
split32_place(__m256i *order, unsigned int at, uint32_t group)
{
	const __m256i lane_bits = _mm256_setr_epi64x(0, 64, 128, 192);
	unsigned int i;

	for (i = 0; i < 4; i++) {
		const unsigned int byte = (group >> (8 * i)) & 0xff;
		/* lanes 8i..8i+7: complemented, ~(l + 8i) == ~l & ~8i */
		const __m256i word = _mm256_set1_epi64x((long long)
			(split_byte_lanes[byte] &
			~(UINT64_C(0x0808080808080808) * i)));
		const __m256i shift = _mm256_sub_epi64(
			_mm256_set1_epi64x(8 * (long long)at), lane_bits);

		*order = _mm256_or_si256(*order, _mm256_or_si256(
			_mm256_sllv_epi64(word, shift),
			_mm256_srlv_epi64(word, _mm256_sub_epi64(
				_mm256_setzero_si256(), shift))));
		at += (unsigned int)__builtin_popcount(byte);
	}
	return at;
}

/*
 * Slot j takes the packet at lane byte j of order (complemented, as
 * split32_place() builds it): eight 4-lane gathers of the pointers from
 * pkts, all before the first of eight full stores writes it.
 */
static SPLIT_AVX2_TARGET __rte_always_inline void
split32_gather_store(struct rte_mbuf **pkts, __m256i order)
{
	const __m256i lanes = _mm256_xor_si256(order, _mm256_set1_epi8(-1));
	const __m128i lo = _mm256_castsi256_si128(lanes);
	const __m128i hi = _mm256_extracti128_si256(lanes, 1);
#define SPLIT_SLOTS4(v, byte) _mm256_i32gather_epi64((const long long *)pkts, \
	_mm_cvtepu8_epi32(_mm_srli_si128((v), (byte))), 8)
	const __m256i s0 = SPLIT_SLOTS4(lo, 0), s1 = SPLIT_SLOTS4(lo, 4);
	const __m256i s2 = SPLIT_SLOTS4(lo, 8), s3 = SPLIT_SLOTS4(lo, 12);
	const __m256i s4 = SPLIT_SLOTS4(hi, 0), s5 = SPLIT_SLOTS4(hi, 4);
	const __m256i s6 = SPLIT_SLOTS4(hi, 8), s7 = SPLIT_SLOTS4(hi, 12);
#undef SPLIT_SLOTS4

	_mm256_storeu_si256((__m256i *)&pkts[0], s0);
	_mm256_storeu_si256((__m256i *)&pkts[4], s1);
	_mm256_storeu_si256((__m256i *)&pkts[8], s2);
	_mm256_storeu_si256((__m256i *)&pkts[12], s3);
	_mm256_storeu_si256((__m256i *)&pkts[16], s4);
	_mm256_storeu_si256((__m256i *)&pkts[20], s5);
	_mm256_storeu_si256((__m256i *)&pkts[24], s6);
	_mm256_storeu_si256((__m256i *)&pkts[28], s7);
}

/*
 * Three targets or more on the AVX2 path (groups 0 and 1 found, their
 * masks first and second, targets and counts set): each further group is
 * the first packet left's target and its compare, placed in order after
 * the groups before it. More than SPLIT32_VEC_GROUPS: split32_many().
 * Out of line, and with its arguments all in registers as split32_more()
 * (the table's mask and group 0's share one, group 1's is found again
 * here), so that the call is a tail jump and split32_avx2() keeps no frame.
 */
static SPLIT_AVX2_TARGET __rte_noinline int
split32_more_avx2(const uint32_t *entries, uint64_t hmask_first,
	struct rte_mbuf **pkts, const uint32_t *hashes,
	struct rte_txweight_target *targets, uint16_t *counts, __m256i w0,
	__m256i w1, __m256i w2, __m256i w3)
{
	const uint32_t hmask = (uint32_t)(hmask_first >> 32);
	const uint32_t first = (uint32_t)hmask_first;
	const union txweight_entry second = { .target = targets[1] };
	__m256i order = _mm256_setzero_si256();
	uint32_t group = split32_match_avx2(w0, w1, w2, w3, second.word);
	uint32_t left = ~(first | group);
	union txweight_entry key;
	unsigned int n, i, at;

	at = split32_place(&order, 0, first);
	for (n = 2;; n++) {
		/* group n - 1 placed; then group n, the first packet left's */
		at = split32_place(&order, at, group);
		if (left == 0)
			break;
		if (unlikely(n == SPLIT32_VEC_GROUPS))
			return split32_many(pkts, w0, w1, w2, w3, first, targets,
				counts);
		i = (unsigned int)__builtin_ctz(left);
		key.word = split_entry(entries, hmask, pkts, hashes, i);
		group = split32_match_avx2(w0, w1, w2, w3, key.word);
		targets[n] = key.target;
		counts[n] = (uint16_t)__builtin_popcount(group);
		left &= ~group;
	}
	split32_gather_store(pkts, order);
	return (int)n;
}

/*
 * Bursts of 32 with AVX2, when the AVX-512 path may not run (DPDK's
 * default SIMD width on x86 is 256 bits). The same plan as
 * split32_avx512(), with what AVX2 has:
 * - the lookups are four 8-lane gathers (from the mbufs: eight 4-lane
 *   gathers of hash.rss first), the compares movemasks;
 * - the packet index of every slot, built in a register from the group
 *   masks, 8 lanes at a time from a table of packed lane numbers
 *   (split32_place(); up to eight groups, more: the bit walks);
 * - the packets then come with eight 4-lane gathers from pkts at those
 *   indices, and go back with eight full stores. Only the gathers and the
 *   stores wait for the burst's pointers.
 * Two things measured on Zen 4 in the sending loop over two ports: the
 * index array written to memory 8 bytes at a time and read back 16 bytes
 * at a time (a store-forwarding stall) left this path level with SSE4.1;
 * in a register, it gains about 3 % of the loop's throughput. Storing
 * each group's packets at a data-dependent place, as the SSE4.1 path
 * does, measured no better than SSE4.1.
 */
static SPLIT_AVX2_TARGET int
split32_avx2(const uint32_t *entries, uint32_t hmask, struct rte_mbuf **pkts,
	const uint32_t *hashes, struct rte_txweight_target *targets,
	uint16_t *counts)
{
	const __m256i hm = _mm256_set1_epi32((int)hmask);
	__m256i order = _mm256_setzero_si256();
	__m256i w0, w1, w2, w3;
	union txweight_entry key;
	uint32_t first, second;
	unsigned int i, at;

	if (hashes != NULL) {
		w0 = split8_lookup(entries, hm,
			_mm256_loadu_si256((const void *)&hashes[0]));
		w1 = split8_lookup(entries, hm,
			_mm256_loadu_si256((const void *)&hashes[8]));
		w2 = split8_lookup(entries, hm,
			_mm256_loadu_si256((const void *)&hashes[16]));
		w3 = split8_lookup(entries, hm,
			_mm256_loadu_si256((const void *)&hashes[24]));
	} else {
		w0 = split8_lookup(entries, hm, split8_rss_avx2(&pkts[0]));
		w1 = split8_lookup(entries, hm, split8_rss_avx2(&pkts[8]));
		w2 = split8_lookup(entries, hm, split8_rss_avx2(&pkts[16]));
		w3 = split8_lookup(entries, hm, split8_rss_avx2(&pkts[24]));
	}
	key.word = (uint32_t)_mm256_cvtsi256_si32(w0);
	first = split32_match_avx2(w0, w1, w2, w3, key.word);
	targets[0] = key.target;
	counts[0] = (uint16_t)__builtin_popcount(first);
	if (likely(first == UINT32_MAX))
		return 1;

	/* The second target: the first packet not in group 0. */
	i = (unsigned int)__builtin_ctz(~first);
	key.word = split_entry(entries, hmask, pkts, hashes, i);
	second = split32_match_avx2(w0, w1, w2, w3, key.word);
	targets[1] = key.target;
	counts[1] = (uint16_t)__builtin_popcount(second);
	if (unlikely((first | second) != UINT32_MAX))
		return split32_more_avx2(entries, (uint64_t)hmask << 32 | first,
			pkts, hashes, targets, counts, w0, w1, w2, w3);

	/*
	 * Group 1 is ~first here (second is), and ~first does not wait for
	 * the second key's lookup.
	 */
	at = split32_place(&order, 0, first);
	split32_place(&order, at, ~first);
	split32_gather_store(pkts, order);
	return 2;
}

/* The paths for bursts of 32. */
enum split32_path {
	SPLIT32_OTHER = 0, /* the generic split (SSE4.1 or scalar) */
	SPLIT32_AVX2,
	SPLIT32_AVX512,
};

/*
 * The path for bursts of 32: -1 until the first one decides (so after EAL
 * parsed --force-max-simd-bitwidth). Threads racing on the first call
 * compute the same answer.
 */
static int split32_path_chosen = -1;

static __rte_noinline int
split32_decide(void)
{
	static const enum rte_cpu_flag_t avx512[] = {
		RTE_CPUFLAG_AVX512F, RTE_CPUFLAG_AVX512BW, RTE_CPUFLAG_AVX512VL,
		RTE_CPUFLAG_AVX512VBMI, RTE_CPUFLAG_AVX512VBMI2,
	};
	static const char *const names[] = {
		[SPLIT32_OTHER] =
#ifdef __SSE4_1__
			"SSE4.1",
#else
			"scalar code",
#endif
		[SPLIT32_AVX2] = "AVX2",
		[SPLIT32_AVX512] = "AVX-512",
	};
	const uint16_t width = rte_vect_get_max_simd_bitwidth();
	int path = SPLIT32_OTHER;
	unsigned int i;

	if (width >= RTE_VECT_SIMD_256 &&
			rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX2) > 0) {
		path = SPLIT32_AVX2;
		if (width >= RTE_VECT_SIMD_512) {
			path = SPLIT32_AVX512;
			for (i = 0; i < RTE_DIM(avx512); i++)
				if (rte_cpu_get_flag_enabled(avx512[i]) <= 0)
					path = SPLIT32_AVX2;
		}
	}
	TXWEIGHT_LOG_AS(INFO, "rte_txweight_table_split",
		"bursts of 32 split with %s (max SIMD width %u bits)",
		names[path], width);
	__atomic_store_n(&split32_path_chosen, path, __ATOMIC_RELAXED);
	return path;
}

static inline int
split32_path(void)
{
	int path = __atomic_load_n(&split32_path_chosen, __ATOMIC_RELAXED);

	return likely(path >= 0) ? path : split32_decide();
}
#endif

/* Every burst but those the AVX-512 and AVX2 paths take. */
static __rte_noinline int
split_checked(const struct rte_txweight_table *table, struct rte_mbuf **pkts,
	const uint32_t *hashes, uint16_t n, struct rte_txweight_target *targets,
	uint16_t *counts)
{
	if (unlikely(table == NULL || pkts == NULL || targets == NULL ||
			counts == NULL || n > RTE_TXWEIGHT_SPLIT_MAX)) {
		TXWEIGHT_LOG_AS(ERR, "rte_txweight_table_split",
			"NULL argument, or burst of %u (max %u)", n,
			RTE_TXWEIGHT_SPLIT_MAX);
		return -EINVAL;
	}
	if (unlikely(n == 0))
		return 0;
	/* The usual burst sizes get loops of a known length. */
	if (n == 32)
		return split_burst(table, pkts, hashes, 32, targets, counts);
	return split_burst(table, pkts, hashes, n, targets, counts);
}

int
rte_txweight_table_split(const struct rte_txweight_table *table,
	struct rte_mbuf **pkts, const uint32_t *hashes, uint16_t n,
	struct rte_txweight_target *targets, uint16_t *counts)
{
#ifdef SPLIT_HAVE_AVX512
	/*
	 * Checked and dispatched before anything else, so that these paths
	 * are a few instructions and a jump away: the sending loop they sit
	 * in is bound by latency.
	 */
	if (n == 32 && table != NULL && pkts != NULL && targets != NULL &&
			counts != NULL) {
		const struct rte_txweight_table_fast *fast =
			(const struct rte_txweight_table_fast *)table;
		const int path = split32_path();

		if (path == SPLIT32_AVX512)
			return split32_avx512(__atomic_load_n(&fast->entries,
				__ATOMIC_ACQUIRE), fast->mask, pkts, hashes, targets,
				counts);
		if (path == SPLIT32_AVX2)
			return split32_avx2(__atomic_load_n(&fast->entries,
				__ATOMIC_ACQUIRE), fast->mask, pkts, hashes, targets,
				counts);
	}
#endif
	return split_checked(table, pkts, hashes, n, targets, counts);
}
