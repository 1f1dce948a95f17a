/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/*
 * Unit tests of rte_txweight_table_split(): against a reference model,
 * for every burst length 0..RTE_TXWEIGHT_SPLIT_MAX, 1 to 8 ports with
 * several queues, hashes given or taken from the mbufs: every packet once,
 * in the group of the target its own lookup gives, groups distinct and in
 * order of their first packet, packets in order inside a group (stable),
 * a one-target burst untouched; no-port entries; bad input.
 * The mbufs are plain structs (only hash.rss and their identity matter).
 * Run three times by meson: as is (DPDK's default SIMD width: the AVX2
 * path of bursts of 32 on x86 CPUs with AVX2), with "--simd512" (the
 * AVX-512 path where the CPU has AVX-512 F, BW, VL, VBMI and VBMI2) and
 * with "--simd128" (the generic path for every burst). The test checks,
 * from the line the library logs, that it takes the path the rule says.
 */

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <rte_cpuflags.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_vect.h>

#include "rte_txweight.h"
#include "tw_test.h"
#include "tw_tx.h"

#define N_PORTS 8
#define N_MBUFS RTE_TXWEIGHT_SPLIT_MAX

static uint16_t ports[N_PORTS] = { 0, 1, 2, 3, 4, 5, 6, 7 };
static struct rte_mbuf mbufs[N_MBUFS];

static bool
same_target(struct rte_txweight_target a, struct rte_txweight_target b)
{
	return a.port_id == b.port_id && a.queue_id == b.queue_id;
}

/*
 * Split one burst and check it against the reference: a stable grouping
 * by lookup, groups in order of first appearance.
 */
static bool
check_one(const struct rte_txweight_table *t, unsigned int n, bool use_rss,
	unsigned int *groups_seen)
{
	struct rte_mbuf *pkts[N_MBUFS], *orig[N_MBUFS], *want[N_MBUFS];
	struct rte_txweight_target targets[N_MBUFS], ref_t[N_MBUFS], tg;
	uint16_t counts[N_MBUFS], ref_c[N_MBUFS];
	uint32_t hashes[N_MBUFS];
	unsigned int perm[N_MBUFS], i, g, ref_groups = 0, off, k;
	int ret;

	/* distinct packets of the pool in a random order */
	for (i = 0; i < N_MBUFS; i++)
		perm[i] = i;
	for (i = N_MBUFS - 1; i > 0; i--) {
		k = (unsigned int)tw_rand_below(i + 1);
		g = perm[i];
		perm[i] = perm[k];
		perm[k] = g;
	}
	for (i = 0; i < n; i++) {
		orig[i] = &mbufs[perm[i]];
		/* half the bursts draw from 64 hashes only: larger groups */
		hashes[i] = (uint32_t)(tw_rand() >> (tw_rand_below(2) ? 32 : 58));
		/*
		 * Given hashes: hash.rss says something else, so that reading
		 * the wrong one of the two fails.
		 */
		orig[i]->hash.rss = use_rss ? hashes[i] : ~hashes[i] * 7;
		pkts[i] = orig[i];
	}

	/* reference: groups by first appearance, stable inside */
	off = 0;
	for (i = 0; i < n; i++) {
		tg = rte_txweight_table_lookup(t, hashes[i]);
		for (g = 0; g < ref_groups; g++)
			if (same_target(ref_t[g], tg))
				break;
		if (g == ref_groups) {
			ref_t[ref_groups] = tg;
			ref_c[ref_groups++] = 0;
		}
		ref_c[g]++;
	}
	for (g = 0; g < ref_groups; g++)
		for (i = 0; i < n; i++)
			if (same_target(rte_txweight_table_lookup(t, hashes[i]), ref_t[g]))
				want[off++] = orig[i];

	ret = rte_txweight_table_split(t, pkts, use_rss ? NULL : hashes,
		(uint16_t)n, targets, counts);
	if (ret != (int)ref_groups) {
		TW_CHECK(false, "n %u rss %d: %d groups, want %u", n, use_rss, ret,
			ref_groups);
		return false;
	}
	for (g = 0; g < ref_groups; g++)
		if (!same_target(targets[g], ref_t[g]) || counts[g] != ref_c[g]) {
			TW_CHECK(false, "n %u group %u: target %u/%u x%u, want %u/%u x%u",
				n, g, targets[g].port_id, targets[g].queue_id, counts[g],
				ref_t[g].port_id, ref_t[g].queue_id, ref_c[g]);
			return false;
		}
	for (i = 0; i < n; i++)
		if (pkts[i] != want[i]) {
			TW_CHECK(false, "n %u slot %u: wrong packet (%u groups)", n, i,
				ref_groups);
			return false;
		}
	groups_seen[RTE_MIN(ref_groups, 9u)]++;
	tw_checks++;
	return true;
}

static void
test_against_reference(struct rte_txweight_table *t)
{
	static const uint16_t nbq[N_PORTS] = { 1, 2, 1, 3, 1, 1, 4, 1 };
	unsigned int groups_seen[10] = { 0 }, groups_seen32[10] = { 0 };
	unsigned int np, n, rep, i;
	uint64_t w[N_PORTS];
	bool ok = true;

	for (np = 1; np <= N_PORTS && ok; np++) {
		for (i = 0; i < np; i++)
			w[i] = 1 + tw_rand_below(100);
		TW_CHECK(rte_txweight_table_update(t, ports, w, nbq, np) >= 0,
			"update %u ports", np);
		for (n = 0; n <= RTE_TXWEIGHT_SPLIT_MAX && ok; n++)
			for (rep = 0; rep < 40 && ok; rep++)
				ok = check_one(t, n, rep & 1,
					n == 32 ? groups_seen32 : groups_seen);
	}
	/*
	 * One queue per port, 2 and 3 ports, around the burst of 32: the
	 * two-target bursts the paths for 32 are written for.
	 */
	for (np = 2; np <= 3 && ok; np++) {
		for (i = 0; i < np; i++)
			w[i] = 1 + tw_rand_below(100);
		TW_CHECK(rte_txweight_table_update(t, ports, w, NULL, np) >= 0,
			"update %u ports, one queue", np);
		for (n = 31; n <= 33 && ok; n++)
			for (rep = 0; rep < 200 && ok; rep++)
				ok = check_one(t, n, rep & 1,
					n == 32 ? groups_seen32 : groups_seen);
	}
	/* every path ran: one group, two, more */
	TW_CHECK(groups_seen[1] > 100 && groups_seen[2] > 100 && groups_seen[3] > 100 &&
		groups_seen[9] > 100, "groups seen: 1:%u 2:%u 3:%u 9+:%u",
		groups_seen[1], groups_seen[2], groups_seen[3], groups_seen[9]);
	/*
	 * Bursts of 32 (their own paths): one group, two, three to eight
	 * (the AVX-512 path's register ordering) and more (its bit walks).
	 */
	TW_CHECK(groups_seen32[1] > 10 && groups_seen32[2] > 100 &&
		groups_seen32[3] > 10 && groups_seen32[8] > 2 &&
		groups_seen32[9] > 10,
		"bursts of 32, groups seen: 1:%u 2:%u 3:%u 8:%u 9+:%u",
		groups_seen32[1], groups_seen32[2], groups_seen32[3],
		groups_seen32[8], groups_seen32[9]);
}

/* A one-target burst is left as it is; n == 0 gives no group. */
static void
test_one_target_untouched(struct rte_txweight_table *t)
{
	struct rte_mbuf *pkts[N_MBUFS], *orig[N_MBUFS];
	struct rte_txweight_target targets[N_MBUFS];
	uint16_t counts[N_MBUFS];
	uint32_t hashes[N_MBUFS];
	uint64_t w[1] = { 10 };
	unsigned int i;
	int ret;

	TW_CHECK(rte_txweight_table_update(t, &ports[5], w, NULL, 1) >= 0, "update");
	for (i = 0; i < N_MBUFS; i++) {
		orig[i] = pkts[i] = &mbufs[N_MBUFS - 1 - i];
		hashes[i] = (uint32_t)tw_rand();
	}
	ret = rte_txweight_table_split(t, pkts, hashes, N_MBUFS, targets, counts);
	TW_CHECK(ret == 1 && targets[0].port_id == 5 && targets[0].queue_id == 0 &&
		counts[0] == N_MBUFS, "one port: %d groups", ret);
	TW_CHECK(memcmp(pkts, orig, sizeof(pkts)) == 0, "one port: order kept");
	TW_CHECK(rte_txweight_table_split(t, pkts, hashes, 0, targets, counts) == 0,
		"empty burst");
}

/* Entries of no port form a group of their own. */
static void
test_no_port(void)
{
	struct rte_txweight_table_params p = {
		.name = "split0", .size = 64, .socket_id = SOCKET_ID_ANY, .max_readers = 1,
	};
	struct rte_txweight_table *fresh = rte_txweight_table_create(&p);
	struct rte_mbuf *pkts[3] = { &mbufs[0], &mbufs[1], &mbufs[2] };
	struct rte_txweight_target targets[3];
	uint16_t counts[3];
	uint32_t hashes[3] = { 1, 2, 3 };
	uint64_t zero[2] = { 0, 0 };
	int ret;

	TW_CHECK(fresh != NULL, "create");
	if (fresh == NULL)
		return;
	ret = rte_txweight_table_split(fresh, pkts, hashes, 3, targets, counts);
	TW_CHECK(ret == 1 && targets[0].port_id == RTE_TXWEIGHT_NO_PORT &&
		counts[0] == 3, "fresh table: %d groups, port %u", ret,
		targets[0].port_id);
	TW_CHECK(rte_txweight_table_update(fresh, ports, zero, NULL, 2) == -ENOENT,
		"all zero");
	ret = rte_txweight_table_split(fresh, pkts, hashes, 3, targets, counts);
	TW_CHECK(ret == 1 && targets[0].port_id == RTE_TXWEIGHT_NO_PORT,
		"zero weights: no port");
	rte_txweight_table_free(fresh);
}

static void
test_bad_input(struct rte_txweight_table *t)
{
	struct rte_mbuf *pkts[RTE_TXWEIGHT_SPLIT_MAX + 1];
	struct rte_txweight_target targets[RTE_TXWEIGHT_SPLIT_MAX + 1];
	uint16_t counts[RTE_TXWEIGHT_SPLIT_MAX + 1];
	uint16_t n;
	unsigned int i;

	for (i = 0; i < RTE_DIM(pkts); i++)
		pkts[i] = &mbufs[i % N_MBUFS];
	/* 1 and 32: bursts of 32 are dispatched to the AVX-512 path first. */
	for (n = 1; n <= 32; n += 31) {
		TW_CHECK(rte_txweight_table_split(NULL, pkts, NULL, n, targets,
			counts) == -EINVAL, "NULL table, burst of %u", n);
		TW_CHECK(rte_txweight_table_split(t, NULL, NULL, n, targets,
			counts) == -EINVAL, "NULL pkts, burst of %u", n);
		TW_CHECK(rte_txweight_table_split(t, pkts, NULL, n, NULL,
			counts) == -EINVAL, "NULL targets, burst of %u", n);
		TW_CHECK(rte_txweight_table_split(t, pkts, NULL, n, targets,
			NULL) == -EINVAL, "NULL counts, burst of %u", n);
	}
	TW_CHECK(rte_txweight_table_split(t, pkts, NULL, RTE_TXWEIGHT_SPLIT_MAX + 1,
		targets, counts) == -EINVAL, "burst over the maximum");
}

/*
 * The path the library chose for bursts of 32, from the line it logs at
 * the first one, against the documented rule: AVX-512 when 512-bit paths
 * are allowed and the CPU has AVX2 and AVX-512 F, BW, VL, VBMI and VBMI2;
 * else AVX2 when 256-bit paths are allowed and the CPU has it; else the
 * generic split. Must run before any other split of 32 (the choice is
 * made once).
 */
static void
test_path_choice(struct rte_txweight_table *t)
{
#ifdef RTE_ARCH_X86_64
	static const enum rte_cpu_flag_t avx512[] = {
		RTE_CPUFLAG_AVX512F, RTE_CPUFLAG_AVX512BW, RTE_CPUFLAG_AVX512VL,
		RTE_CPUFLAG_AVX512VBMI, RTE_CPUFLAG_AVX512VBMI2,
	};
	const uint16_t width = rte_vect_get_max_simd_bitwidth();
	struct rte_txweight_target targets[32];
	struct rte_mbuf *pkts[32];
	uint16_t counts[32];
	uint32_t hashes[32];
	const char *want = NULL;
	char *text = NULL, expect[64];
	size_t len = 0;
	unsigned int i;
	FILE *log;

	if (width >= RTE_VECT_SIMD_256 &&
			rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX2) > 0) {
		want = "AVX2";
		if (width >= RTE_VECT_SIMD_512) {
			want = "AVX-512";
			for (i = 0; i < RTE_DIM(avx512); i++)
				if (rte_cpu_get_flag_enabled(avx512[i]) <= 0)
					want = "AVX2";
		}
	}
	for (i = 0; i < 32; i++) {
		pkts[i] = &mbufs[i];
		hashes[i] = i;
	}
	log = open_memstream(&text, &len);
	if (log == NULL || rte_openlog_stream(log) != 0) {
		TW_CHECK(false, "cannot capture the log");
		if (log != NULL)
			fclose(log);
		return;
	}
	TW_CHECK(rte_txweight_table_split(t, pkts, hashes, 32, targets, counts) > 0,
		"first split of 32");
	rte_openlog_stream(NULL);
	fclose(log);
	/* The generic split is SSE4.1 or scalar code, as compiled. */
	snprintf(expect, sizeof(expect), "bursts of 32 split with %s (",
		want != NULL ? want : "");
	TW_CHECK(text != NULL && (want != NULL ? strstr(text, expect) != NULL :
		strstr(text, "split with AVX") == NULL &&
		strstr(text, "bursts of 32 split with ") != NULL),
		"path for bursts of 32: want %s, log: %s",
		want != NULL ? want : "the generic split",
		text != NULL ? text : "(none)");
	printf("test_split: bursts of 32 take the %s path\n",
		want != NULL ? want : "generic");
	free(text);
#else
	RTE_SET_USED(t);
#endif
}

/*
 * Argument "--simd512": allow 512-bit paths (the AVX-512 split);
 * "--simd128": allow none wider than 128 bits (the generic split, SSE4.1
 * on x86, for bursts of 32 too). Without: DPDK's default (256 bits on
 * x86: the AVX2 split).
 */
int
main(int argc, char **argv)
{
	struct rte_txweight_table_params p = {
		.name = "split", .size = 1024, .socket_id = SOCKET_ID_ANY, .max_readers = 1,
	};
	struct rte_txweight_table *t;

	if (argc > 1 && strcmp(argv[1], "--simd512") == 0)
		tw_eal_simd_bitwidth = "512";
	else if (argc > 1 && strcmp(argv[1], "--simd128") == 0)
		tw_eal_simd_bitwidth = "128";
	if (tw_eal_init("twsplit", N_PORTS, NULL, 0) != 0)
		return 1;
	printf("test_split: max SIMD bit width %u\n",
		rte_vect_get_max_simd_bitwidth());
	if (rte_eth_dev_count_avail() < N_PORTS ||
			tw_ports_configure(N_PORTS, 4) != 0)
		return 1;
	t = rte_txweight_table_create(&p);
	TW_CHECK(t != NULL, "create");
	if (t != NULL) {
		test_path_choice(t);
		test_against_reference(t);
		test_one_target_untouched(t);
		test_bad_input(t);
		rte_txweight_table_free(t);
	}
	test_no_port();
	rte_eal_cleanup();
	return tw_finish("test_split");
}
