/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/*
 * Unit tests of rte_txweight_apportion() and rte_txweight_assign():
 * exactness (floor or ceiling of the exact quota, sum), largest remainder,
 * stability proven against a brute-force search of every valid
 * apportionment, zero weights, extreme ratios, ties, bad input; and the
 * weight of a link. No EAL needed.
 */

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "rte_txweight.h"
#include "tw_test.h"
#include "txweight_private.h"

/* Is counts a valid apportionment: each floor or ceil, summing to units? */
static bool
valid_apportionment(const uint64_t *w, unsigned int n, uint32_t units,
	const uint32_t *counts)
{
	unsigned __int128 sum = 0;
	uint64_t total = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		sum += w[i];
	for (i = 0; i < n; i++) {
		unsigned __int128 p = (unsigned __int128)units * w[i];
		uint64_t fl = (uint64_t)(p / sum);
		uint64_t ce = fl + (p % sum != 0);

		if (counts[i] != fl && counts[i] != ce)
			return false;
		total += counts[i];
	}
	return total == units;
}

static uint64_t
distance(const uint32_t *a, const uint32_t *b, unsigned int n)
{
	uint64_t d = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		d += a[i] > b[i] ? a[i] - b[i] : b[i] - a[i];
	return d;
}

/*
 * Brute force: the smallest distance to prev over every choice of floor or
 * ceiling per port that sums to units.
 */
static uint64_t
brute_min_distance(const uint64_t *w, unsigned int n, uint32_t units,
	const uint32_t *prev)
{
	uint64_t best = UINT64_MAX, sum = 0;
	uint32_t c[8];
	unsigned int mask, i;

	for (i = 0; i < n; i++)
		sum += w[i];
	for (mask = 0; mask < (1u << n); mask++) {
		for (i = 0; i < n; i++)
			c[i] = (uint32_t)((uint64_t)units * w[i] / sum) +
				((mask >> i) & 1);
		if (!valid_apportionment(w, n, units, c))
			continue;
		if (distance(c, prev, n) < best)
			best = distance(c, prev, n);
	}
	return best;
}

static void
test_exactness(void)
{
	unsigned int iter, i;

	for (iter = 0; iter < 20000; iter++) {
		unsigned int n = 1 + (unsigned int)tw_rand_below(RTE_TXWEIGHT_MAX_PORTS);
		uint64_t w[RTE_TXWEIGHT_MAX_PORTS];
		uint32_t counts[RTE_TXWEIGHT_MAX_PORTS];
		uint32_t units = (uint32_t)tw_rand_below(70000);
		bool any = false;
		int ret;

		for (i = 0; i < n; i++) {
			switch (tw_rand_below(4)) {
			case 0:
				w[i] = 0;
				break;
			case 1:
				w[i] = 1 + tw_rand_below(10);
				break;
			case 2:
				w[i] = 1000 * (1 + tw_rand_below(1600)); /* Mb/s */
				break;
			default:
				/* summed over up to 64 ports: below 2^52 */
				w[i] = tw_rand_below(UINT64_C(1) << 46);
				break;
			}
			any |= w[i] != 0;
		}
		ret = rte_txweight_apportion(w, n, units, NULL, counts);
		if (!any) {
			TW_CHECK_OR_BREAK(ret == -ENOENT, "iter %u ret %d", iter, ret);
			continue;
		}
		TW_CHECK_OR_BREAK(ret == 0, "iter %u ret %d", iter, ret);
		TW_CHECK_OR_BREAK(valid_apportionment(w, n, units, counts),
			"iter %u: n %u units %u", iter, n, units);
		/* Largest remainder: a ceiling never has a smaller remainder. */
		{
			unsigned __int128 sum = 0;
			unsigned __int128 min_ceil = ~(unsigned __int128)0, max_floor = 0;

			for (i = 0; i < n; i++)
				sum += w[i];
			for (i = 0; i < n; i++) {
				unsigned __int128 p = (unsigned __int128)units * w[i];
				unsigned __int128 r = p % sum;

				if (r == 0)
					continue;
				if (counts[i] == p / sum)
					max_floor = r > max_floor ? r : max_floor;
				else
					min_ceil = r < min_ceil ? r : min_ceil;
			}
			TW_CHECK_OR_BREAK(min_ceil == ~(unsigned __int128)0 ||
				min_ceil >= max_floor, "iter %u: not largest remainder", iter);
		}
	}
}

static void
test_stability_brute_force(void)
{
	unsigned int iter, i;

	for (iter = 0; iter < 30000; iter++) {
		unsigned int n = 1 + (unsigned int)tw_rand_below(6);
		uint64_t w[8];
		uint32_t prev[8], counts[8], prev_sum = 0, gained = 0;
		uint32_t units = (uint32_t)tw_rand_below(25);
		bool any = false, same_sum = tw_rand_below(2) == 0;
		uint64_t best;
		int ret;

		for (i = 0; i < n; i++) {
			w[i] = tw_rand_below(7);
			any |= w[i] != 0;
		}
		if (!any)
			w[0] = 1;
		/* prev: any sum, or an earlier apportionment of the same units. */
		for (i = 0; i < n; i++) {
			prev[i] = (uint32_t)tw_rand_below(units + 2);
			prev_sum += prev[i];
		}
		if (same_sum) {
			uint64_t w2[8];

			for (i = 0; i < n; i++)
				w2[i] = 1 + tw_rand_below(7);
			rte_txweight_apportion(w2, n, units, NULL, prev);
		}
		ret = rte_txweight_apportion(w, n, units, prev, counts);
		TW_CHECK_OR_BREAK(ret >= 0, "iter %u ret %d", iter, ret);
		TW_CHECK_OR_BREAK(valid_apportionment(w, n, units, counts), "iter %u", iter);
		best = brute_min_distance(w, n, units, prev);
		TW_CHECK_OR_BREAK(distance(counts, prev, n) == best,
			"iter %u: distance %" PRIu64 ", minimum %" PRIu64, iter,
			distance(counts, prev, n), best);
		for (i = 0; i < n; i++)
			gained += counts[i] > prev[i] ? counts[i] - prev[i] : 0;
		TW_CHECK_OR_BREAK((uint32_t)ret == gained, "iter %u: moved %d, gained %u",
			iter, ret, gained);
		(void)prev_sum;
	}
}

/* Weight changes in sequence: same weights move nothing; moves are minimal. */
static void
test_sequences(void)
{
	uint64_t w[4] = { 100000, 100000, 25000, 25000 };
	uint32_t c[4], c2[4], units = 48;
	unsigned int step, i;
	int ret;

	ret = rte_txweight_apportion(w, 4, units, NULL, c);
	TW_CHECK(ret == 0 && c[0] == 19 && c[1] == 19 && c[2] == 5 && c[3] == 5,
		"%u %u %u %u", c[0], c[1], c[2], c[3]);
	ret = rte_txweight_apportion(w, 4, units, c, c2);
	TW_CHECK(ret == 0 && memcmp(c, c2, sizeof(c)) == 0, "unchanged weights moved %d",
		ret);
	/* One PF of port 0's group goes down: 100G -> 50G. */
	w[0] = 50000;
	ret = rte_txweight_apportion(w, 4, units, c, c2);
	TW_CHECK(valid_apportionment(w, 4, units, c2), "after change");
	TW_CHECK(ret == (int)(distance(c, c2, 4) / 2), "moved %d", ret);
	TW_CHECK(distance(c, c2, 4) == brute_min_distance(w, 4, units, c), "minimal");
	for (step = 0; step < 200; step++) {
		for (i = 0; i < 4; i++)
			w[i] = tw_rand_below(5) * 25000;
		if (w[0] + w[1] + w[2] + w[3] == 0)
			w[step % 4] = 10000;
		memcpy(c, c2, sizeof(c));
		ret = rte_txweight_apportion(w, 4, units, c, c2);
		TW_CHECK_OR_BREAK(ret >= 0 && valid_apportionment(w, 4, units, c2),
			"step %u", step);
		TW_CHECK_OR_BREAK(distance(c, c2, 4) == brute_min_distance(w, 4, units, c),
			"step %u not minimal", step);
	}
}

static void
test_zero_and_extreme(void)
{
	uint64_t zero[3] = { 0, 0, 0 };
	uint64_t some_zero[3] = { 0, 7, 0 };
	uint64_t w400[2] = { 400000, 1000 };
	uint64_t huge[2] = { UINT64_C(1) << 51, (UINT64_C(1) << 51) - 1 };
	uint64_t overflow[2] = { UINT64_C(1) << 52, 1 };
	uint64_t max_one[1] = { UINT64_C(1) << 52 };
	uint32_t c[3] = { 9, 9, 9 }, prev[2] = { 1, 1 };
	int ret;

	ret = rte_txweight_apportion(zero, 3, 10, NULL, c);
	TW_CHECK(ret == -ENOENT && c[0] == 0 && c[1] == 0 && c[2] == 0, "all zero: %d", ret);
	ret = rte_txweight_apportion(some_zero, 3, 10, NULL, c);
	TW_CHECK(ret == 0 && c[0] == 0 && c[1] == 10 && c[2] == 0, "some zero");
	/* 400G:1G over a 65536-entry table: 65372.57... and 163.42... */
	ret = rte_txweight_apportion(w400, 2, 65536, NULL, c);
	TW_CHECK(ret == 0 && c[0] == 65373 && c[1] == 163, "400G:1G %u %u", c[0], c[1]);
	ret = rte_txweight_apportion(w400, 2, 65536, prev, c);
	TW_CHECK(ret == 65534 && c[0] == 65373 && c[1] == 163, "400G:1G prev %d", ret);
	/* 400G:1G over 8 queues: 7.98 and 0.02. */
	ret = rte_txweight_apportion(w400, 2, 8, NULL, c);
	TW_CHECK(ret == 0 && c[0] == 8 && c[1] == 0, "400G:1G 8 units %u %u", c[0], c[1]);
	ret = rte_txweight_apportion(huge, 2, UINT32_C(65536), NULL, c);
	TW_CHECK(ret == 0 && c[0] + c[1] == 65536 && valid_apportionment(huge, 2, 65536, c),
		"huge weights");
	ret = rte_txweight_apportion(max_one, 1, 1000, NULL, c);
	TW_CHECK(ret == 0 && c[0] == 1000, "weight 2^52");
	ret = rte_txweight_apportion(overflow, 2, 10, NULL, c);
	TW_CHECK(ret == -EINVAL, "weight sum over 2^52: %d", ret);
	ret = rte_txweight_apportion(w400, 2, 0, NULL, c);
	TW_CHECK(ret == 0 && c[0] == 0 && c[1] == 0, "no units");
}

/* prev and counts one array: the same result as apart. */
static void
test_in_place(void)
{
	uint64_t w[3] = { 1, 1, 1 };
	uint32_t prev[3] = { 0, 1, 1 }, apart[3], same[3] = { 0, 1, 1 };
	int ret_apart, ret_same, iter;

	ret_apart = rte_txweight_apportion(w, 3, 2, prev, apart);
	ret_same = rte_txweight_apportion(w, 3, 2, same, same);
	TW_CHECK(ret_apart == 0 && apart[0] == 0 && apart[1] == 1 && apart[2] == 1,
		"1:1:1 from {0,1,1}: nothing moves (%d)", ret_apart);
	TW_CHECK(ret_same == ret_apart && memcmp(same, apart, sizeof(same)) == 0,
		"in place: %d {%u,%u,%u}", ret_same, same[0], same[1], same[2]);
	for (iter = 0; iter < 2000; iter++) {
		unsigned int n = 1 + (unsigned int)tw_rand_below(8), i;
		uint64_t wr[8];
		uint32_t p[8], a[8], b[8];
		uint32_t units = (uint32_t)tw_rand_below(100);

		for (i = 0; i < n; i++) {
			wr[i] = 1 + tw_rand_below(5);
			p[i] = b[i] = (uint32_t)tw_rand_below(30);
		}
		ret_apart = rte_txweight_apportion(wr, n, units, p, a);
		ret_same = rte_txweight_apportion(wr, n, units, b, b);
		TW_CHECK_OR_BREAK(ret_same == ret_apart &&
			memcmp(a, b, sizeof(a[0]) * n) == 0, "in place, iter %d", iter);
	}
}

static void
test_bad_input(void)
{
	uint64_t w[RTE_TXWEIGHT_MAX_PORTS + 1] = { 1, 1 };
	uint32_t c[RTE_TXWEIGHT_MAX_PORTS + 1];
	uint16_t owner[4] = { 0, 1, 2, 0 };

	TW_CHECK(rte_txweight_apportion(NULL, 2, 4, NULL, c) == -EINVAL, "NULL weights");
	TW_CHECK(rte_txweight_apportion(w, 2, 4, NULL, NULL) == -EINVAL, "NULL counts");
	TW_CHECK(rte_txweight_apportion(w, 0, 4, NULL, c) == -EINVAL, "n 0");
	TW_CHECK(rte_txweight_apportion(w, RTE_TXWEIGHT_MAX_PORTS + 1, 4, NULL, c) ==
		-EINVAL, "n too large");
	TW_CHECK(rte_txweight_assign(NULL, 2, owner, 4) == -EINVAL, "assign NULL w");
	TW_CHECK(rte_txweight_assign(w, 2, NULL, 4) == -EINVAL, "assign NULL owner");
	TW_CHECK(rte_txweight_assign(w, 0, owner, 4) == -EINVAL, "assign n 0");
	TW_CHECK(rte_txweight_assign(w, 2, owner, 4) == -EINVAL, "owner index 2 of 2");
	TW_CHECK(owner[0] == 0 && owner[1] == 1 && owner[2] == 2,
		"owners unchanged on -EINVAL");
	TW_CHECK(rte_txweight_assign(w, 2, NULL, 1) == -EINVAL,
		"assign NULL owner, one unit");
	TW_CHECK(rte_txweight_assign(w, 2, NULL, 0) == 0,
		"assign NULL owner, no unit");
	/* More units than an int return can count: refused before any work. */
	TW_CHECK(rte_txweight_apportion(w, 2, (uint32_t)INT32_MAX + 1, NULL, c) ==
		-EINVAL, "units over INT32_MAX");
	TW_CHECK(rte_txweight_apportion(w, 2, INT32_MAX, NULL, c) == 0 &&
		c[0] + c[1] == (uint32_t)INT32_MAX, "units INT32_MAX");
	TW_CHECK(rte_txweight_assign(w, 2, owner, (unsigned int)INT32_MAX + 1) ==
		-EINVAL, "assign: units over INT32_MAX");
	TW_CHECK(rte_txweight_weights_from_links(NULL, NULL, 1, w) == -EINVAL,
		"links NULL ports");
}

/*
 * Equal claims to the last units (equal remainders, equally close to the
 * previous apportionment) go to the lower index: the result is fully
 * determined by the arguments, as the header says.
 */
static void
test_ties(void)
{
	static const struct {
		uint64_t w[4];
		uint32_t units;
		bool with_prev;
		uint32_t prev[4];
		uint32_t expect[4];
	} cases[] = {
		{ { 1, 1, 1, 0 }, 4, false, { 0 }, { 2, 1, 1, 0 } },
		{ { 1, 1, 1, 0 }, 5, false, { 0 }, { 2, 2, 1, 0 } },
		{ { 0, 1, 1, 1 }, 1, false, { 0 }, { 0, 1, 0, 0 } },
		{ { 2, 1, 1, 2 }, 3, false, { 0 }, { 1, 1, 0, 1 } },
		/* remainders 4, 5, 5, 4 (of 6): ports 1 and 2, then port 0 */
		{ { 2, 1, 1, 2 }, 5, false, { 0 }, { 2, 1, 1, 1 } },
		/* ports 1 and 2 both had the ceiling: the lower keeps it */
		{ { 1, 1, 1, 1 }, 5, true, { 1, 2, 2, 0 }, { 1, 2, 1, 1 } },
		/* prev wins over the index: port 2 kept its ceiling */
		{ { 1, 1, 1, 0 }, 4, true, { 1, 1, 2, 0 }, { 1, 1, 2, 0 } },
	};
	uint32_t c[4];
	unsigned int k, i;

	for (k = 0; k < RTE_DIM(cases); k++) {
		int ret = rte_txweight_apportion(cases[k].w, 4, cases[k].units,
			cases[k].with_prev ? cases[k].prev : NULL, c);
		bool same = ret >= 0;

		for (i = 0; i < 4; i++)
			same = same && c[i] == cases[k].expect[i];
		TW_CHECK(same, "case %u: %d: %u %u %u %u, want %u %u %u %u", k, ret,
			c[0], c[1], c[2], c[3], cases[k].expect[0],
			cases[k].expect[1], cases[k].expect[2], cases[k].expect[3]);
	}
}

/*
 * The weight of a link, as rte_txweight_weights_from_links() takes it:
 * net_null ports cannot report a speed that is unknown or none with their
 * link up, as virtio-net and some PMDs do, so the rule is checked here.
 */
static void
test_link_weight(void)
{
	static const struct {
		uint32_t speed;
		uint16_t up;
		uint32_t cap;
		uint64_t weight;
	} cases[] = {
		{ 200000, RTE_ETH_LINK_UP, 0, 200000 },
		{ 200000, RTE_ETH_LINK_UP, 150000, 150000 },
		{ 100000, RTE_ETH_LINK_UP, 150000, 100000 },
		{ 200000, RTE_ETH_LINK_DOWN, 0, 0 },
		{ 200000, RTE_ETH_LINK_DOWN, 150000, 0 },
		{ RTE_ETH_SPEED_NUM_UNKNOWN, RTE_ETH_LINK_UP, 0, 0 },
		{ RTE_ETH_SPEED_NUM_UNKNOWN, RTE_ETH_LINK_UP, 25000, 0 },
		{ RTE_ETH_SPEED_NUM_NONE, RTE_ETH_LINK_UP, 0, 0 },
		{ RTE_ETH_SPEED_NUM_NONE, RTE_ETH_LINK_UP, 25000, 0 },
		{ 1, RTE_ETH_LINK_UP, 0, 1 },
	};
	unsigned int k;

	for (k = 0; k < RTE_DIM(cases); k++) {
		struct rte_eth_link link;
		uint64_t got;

		memset(&link, 0, sizeof(link));
		link.link_speed = cases[k].speed;
		link.link_status = cases[k].up;
		got = txweight_link_weight(&link, cases[k].cap);
		TW_CHECK(got == cases[k].weight, "speed %u %s cap %u: weight %"
			PRIu64 ", want %" PRIu64, cases[k].speed,
			cases[k].up ? "up" : "down", cases[k].cap, got,
			cases[k].weight);
	}
}

static void
test_assign(void)
{
	unsigned int iter, u, i;

	for (iter = 0; iter < 5000; iter++) {
		unsigned int n = 1 + (unsigned int)tw_rand_below(5);
		unsigned int n_units = (unsigned int)tw_rand_below(40);
		uint64_t w[8];
		uint16_t owner[40] = { 0 }, before[40];
		uint32_t prev[8] = { 0 }, counts[8] = { 0 }, expect[8];
		bool any = false;
		unsigned int changed = 0, gained = 0;
		int ret, ret2;

		for (i = 0; i < n; i++) {
			w[i] = tw_rand_below(5);
			any |= w[i] != 0;
		}
		for (u = 0; u < n_units; u++) {
			owner[u] = tw_rand_below(4) == 0 ? RTE_TXWEIGHT_NO_PORT :
				(uint16_t)tw_rand_below(n);
			if (owner[u] != RTE_TXWEIGHT_NO_PORT)
				prev[owner[u]]++;
		}
		memcpy(before, owner, sizeof(owner));
		ret = rte_txweight_assign(w, n, owner, n_units);
		if (!any) {
			for (u = 0; u < n_units; u++)
				if (owner[u] != RTE_TXWEIGHT_NO_PORT)
					break;
			TW_CHECK_OR_BREAK(ret == -ENOENT && u == n_units, "iter %u", iter);
			continue;
		}
		ret2 = rte_txweight_apportion(w, n, n_units, prev, expect);
		for (u = 0; u < n_units; u++) {
			if (owner[u] >= n)
				break;
			counts[owner[u]]++;
			changed += owner[u] != before[u];
		}
		TW_CHECK_OR_BREAK(u == n_units, "iter %u: unit %u unowned", iter, u);
		TW_CHECK_OR_BREAK(memcmp(counts, expect, sizeof(uint32_t) * n) == 0,
			"iter %u: counts differ from the apportionment", iter);
		for (i = 0; i < n; i++)
			gained += expect[i] > prev[i] ? expect[i] - prev[i] : 0;
		TW_CHECK_OR_BREAK(ret == (int)changed && changed == gained &&
			ret == ret2, "iter %u: reassigned %d, changed %u, minimum %u", iter,
			ret, changed, gained);
		/* A port not over its new count kept every unit it had. */
		for (u = 0; u < n_units; u++)
			if (before[u] != RTE_TXWEIGHT_NO_PORT &&
					expect[before[u]] >= prev[before[u]] &&
					owner[u] != before[u])
				break;
		TW_CHECK_OR_BREAK(u == n_units, "iter %u: unit %u of a port under its count "
			"moved", iter, u);
	}
}

int
main(void)
{
	test_exactness();
	test_stability_brute_force();
	test_sequences();
	test_zero_and_extreme();
	test_in_place();
	test_bad_input();
	test_ties();
	test_link_weight();
	test_assign();
	return tw_finish("test_apportion");
}
