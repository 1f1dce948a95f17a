/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/*
 * Unit tests of the flow table on net_null ports: entry counts within one
 * of size * w / W, minimal remap (the number of changed entries equals the
 * theoretical minimum, and ports not over their count keep every entry),
 * queues, all-zero weights, bad input, the grace period of an update, and
 * lookups from another lcore during continuous updates.
 */

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "rte_txweight.h"
#include "tw_test.h"
#include "tw_tx.h"

#define N_PORTS 4
/* TX queues configured on every port: more than any test asks for. */
#define TEST_TXQ 8

static uint16_t ports[N_PORTS];

static struct rte_txweight_table *
make_table(uint32_t size, uint32_t max_readers)
{
	struct rte_txweight_table_params p = {
		.name = "test", .size = size, .socket_id = SOCKET_ID_ANY,
		.max_readers = max_readers,
	};

	return rte_txweight_table_create(&p);
}

/* The whole mapping, read through the data-path lookup. */
static void
snapshot(const struct rte_txweight_table *t, uint32_t size,
	struct rte_txweight_target *out)
{
	uint32_t h;

	for (h = 0; h < size; h++)
		out[h] = rte_txweight_table_lookup(t, h);
}

static uint64_t
floor_quota(uint32_t size, uint64_t w, uint64_t sum)
{
	return (uint64_t)((unsigned __int128)size * w / sum);
}

static bool
within_one(uint32_t count, uint32_t size, uint64_t w, uint64_t sum)
{
	uint64_t fl = floor_quota(size, w, sum);
	bool exact = (unsigned __int128)size * w % sum == 0;

	return count == fl || (!exact && count == fl + 1);
}

/*
 * The theoretical minimum of changed entries: over every valid choice of
 * floors and ceilings, sum(max(0, new - old)) (brute force, n <= 4).
 */
static uint32_t
min_changes(const uint64_t *w, unsigned int n, uint32_t size,
	const uint32_t *old)
{
	uint64_t sum = 0;
	uint32_t best = UINT32_MAX;
	unsigned int mask, i;

	for (i = 0; i < n; i++)
		sum += w[i];
	for (mask = 0; mask < (1u << n); mask++) {
		uint32_t total = 0, gained = 0, c;
		bool ok = true;

		for (i = 0; i < n; i++) {
			c = (uint32_t)floor_quota(size, w[i], sum) + ((mask >> i) & 1);
			if (!within_one(c, size, w[i], sum))
				ok = false;
			total += c;
			gained += c > old[i] ? c - old[i] : 0;
		}
		if (ok && total == size && gained < best)
			best = gained;
	}
	return best;
}

static void
test_create_bad(void)
{
	struct rte_txweight_table_params p = {
		.name = "bad", .size = 64, .socket_id = SOCKET_ID_ANY, .max_readers = 1,
	};
	static const uint32_t bad_sizes[] = { 0, 1, 32, 63, 100, 65535, 131072 };
	unsigned int i;

	TW_CHECK(rte_txweight_table_create(NULL) == NULL && rte_errno == EINVAL, "NULL");
	for (i = 0; i < RTE_DIM(bad_sizes); i++) {
		p.size = bad_sizes[i];
		rte_errno = 0;
		TW_CHECK(rte_txweight_table_create(&p) == NULL && rte_errno == EINVAL,
			"size %u accepted", bad_sizes[i]);
	}
	p.size = 64;
	p.max_readers = 0;
	TW_CHECK(rte_txweight_table_create(&p) == NULL && rte_errno == EINVAL,
		"0 readers accepted");
	p.max_readers = RTE_MAX_LCORE + 1;
	TW_CHECK(rte_txweight_table_create(&p) == NULL && rte_errno == EINVAL,
		"too many readers accepted");
	p.max_readers = 1;
	p.socket_id = RTE_MAX_NUMA_NODES;
	rte_errno = 0;
	TW_CHECK(rte_txweight_table_create(&p) == NULL && rte_errno == EINVAL,
		"socket %d accepted", p.socket_id);
	p.socket_id = -2;
	rte_errno = 0;
	TW_CHECK(rte_txweight_table_create(&p) == NULL && rte_errno == EINVAL,
		"socket -2 accepted");
	rte_txweight_table_free(NULL);
}

static void
test_fresh_and_bad_update(void)
{
	struct rte_txweight_table *t = make_table(64, 2);
	struct rte_txweight_target before[64], after[64];
	uint64_t w[RTE_TXWEIGHT_MAX_PORTS + 1] = { 1, 1, 1, 1 };
	uint16_t bad_port[2] = { ports[0], 31 };
	uint16_t dup[2] = { ports[0], ports[0] };
	uint16_t q0[2] = { 1, 0 };
	uint16_t q_over[2] = { 1, TEST_TXQ + 1 };
	uint64_t w_first_only[2] = { 1, 0 };
	uint16_t many[RTE_TXWEIGHT_MAX_PORTS + 1] = { 0 };
	uint64_t over[2] = { UINT64_C(1) << 52, 1 };
	uint32_t counts[N_PORTS];
	int ret;

	TW_CHECK(t != NULL, "create 64");
	if (t == NULL)
		return;
	TW_CHECK(rte_txweight_table_version(t) == 0, "version 0");
	TW_CHECK(rte_txweight_table_lookup(t, 12345).port_id == RTE_TXWEIGHT_NO_PORT,
		"fresh entry not NO_PORT");
	TW_CHECK(rte_txweight_table_count(t, ports, N_PORTS, counts) == 64 &&
		counts[0] == 0, "fresh count");
	ret = rte_txweight_table_update(t, ports, w, NULL, 2);
	TW_CHECK(ret == 64, "first update changes all 64: %d", ret);
	snapshot(t, 64, before);
	TW_CHECK(rte_txweight_table_update(NULL, ports, w, NULL, 2) == -EINVAL, "NULL t");
	TW_CHECK(rte_txweight_table_update(t, NULL, w, NULL, 2) == -EINVAL, "NULL ports");
	TW_CHECK(rte_txweight_table_update(t, ports, NULL, NULL, 2) == -EINVAL, "NULL w");
	TW_CHECK(rte_txweight_table_update(t, ports, w, NULL, 0) == -EINVAL, "n 0");
	TW_CHECK(rte_txweight_table_update(t, many, w, NULL,
		RTE_TXWEIGHT_MAX_PORTS + 1) == -EINVAL, "n 33");
	TW_CHECK(rte_txweight_table_update(t, bad_port, w, NULL, 2) == -EINVAL,
		"invalid port 31");
	TW_CHECK(rte_txweight_table_update(t, dup, w, NULL, 2) == -EINVAL, "duplicate");
	TW_CHECK(rte_txweight_table_update(t, ports, w, q0, 2) == -EINVAL, "0 queues");
	TW_CHECK(rte_txweight_table_update(t, ports, over, NULL, 2) == -EINVAL,
		"weight sum overflow");
	TW_CHECK(rte_txweight_table_update(t, ports, w, q_over, 2) == -EINVAL,
		"more TX queues than the port has configured");
	TW_CHECK(rte_txweight_table_count(NULL, ports, 1, counts) == -EINVAL,
		"count NULL");
	{
		const uint16_t out_of_range[2] = { ports[0], RTE_MAX_ETHPORTS };

		TW_CHECK(rte_txweight_table_count(t, out_of_range, 2, counts) ==
			-EINVAL, "count: port id out of range");
		TW_CHECK(rte_txweight_table_count(t, dup, 2, counts) == -EINVAL,
			"count: port given twice");
	}
	TW_CHECK(rte_txweight_table_reader_register(t, 2) == -EINVAL, "reader 2 of 2");
	TW_CHECK(rte_txweight_table_reader_register(NULL, 0) == -EINVAL, "reader NULL");
	TW_CHECK(rte_txweight_table_reader_unregister(t, 5) == -EINVAL, "unregister 5");
	TW_CHECK(rte_txweight_table_version(t) == 1, "bad updates kept version 1");
	snapshot(t, 64, after);
	TW_CHECK(memcmp(before, after, sizeof(before)) == 0, "bad updates changed entries");
	/* Exactly as many queues as configured is fine. */
	q_over[1] = TEST_TXQ;
	ret = rte_txweight_table_update(t, ports, w, q_over, 2);
	TW_CHECK(ret >= 0, "as many TX queues as configured: %d", ret);
	q_over[1] = TEST_TXQ + 1;
	/* A port that gets no entry is not held to its configured queues. */
	ret = rte_txweight_table_update(t, ports, w_first_only, q_over, 2);
	TW_CHECK(ret == 32 && rte_txweight_table_count(t, ports, 2, counts) == 0 &&
		counts[0] == 64, "weight 0 with too many queues: %d, %u entries on "
		"port 0", ret, counts[0]);
	/*
	 * Nor to a queue at all: queue counts apportioned by weight give a
	 * port of weight 0 none. Port 0's 64 entries spread over its two.
	 */
	{
		const uint16_t q_two_none[2] = { 2, 0 };
		unsigned int on_queue[2] = { 0, 0 }, h;

		ret = rte_txweight_table_update(t, ports, w_first_only,
			q_two_none, 2);
		snapshot(t, 64, after);
		for (h = 0; h < 64; h++)
			if (after[h].port_id == ports[0] && after[h].queue_id < 2)
				on_queue[after[h].queue_id]++;
		TW_CHECK(ret >= 0 && on_queue[0] == 32 && on_queue[1] == 32,
			"weight 0 with 0 queues: %d, port 0 queues %u/%u of 64",
			ret, on_queue[0], on_queue[1]);
		TW_CHECK(rte_txweight_table_update(t, ports, w, q_two_none, 2) ==
			-EINVAL, "0 queues for a port of weight 1");
	}
	rte_txweight_table_free(t);
}

/*
 * Entries per listed port in a snapshot, and entries to no port (returned):
 * what rte_txweight_table_count() must say, found without it.
 */
static int
count_in_snapshot(const struct rte_txweight_target *snap, uint32_t size,
	const uint16_t *list, unsigned int n, uint32_t *counts)
{
	unsigned int i;
	uint32_t e;
	int none = 0;

	memset(counts, 0, sizeof(*counts) * n);
	for (e = 0; e < size; e++) {
		if (snap[e].port_id == RTE_TXWEIGHT_NO_PORT) {
			none++;
			continue;
		}
		for (i = 0; i < n && list[i] != snap[e].port_id; i++)
			;
		if (i < n)
			counts[i]++;
	}
	return none;
}

/* Whether rte_txweight_table_count() agrees with a snapshot's counts. */
static bool
count_agrees(const struct rte_txweight_table *t, const uint16_t *list,
	unsigned int n, const uint32_t *counts, int none)
{
	uint32_t reported[N_PORTS];

	return rte_txweight_table_count(t, list, n, reported) == none &&
		memcmp(reported, counts, sizeof(*counts) * n) == 0;
}

/* 1..N_PORTS of the ports, in a random order. Returns how many. */
static unsigned int
random_subset(uint16_t *list)
{
	unsigned int i;

	memcpy(list, ports, sizeof(ports));
	for (i = 0; i < N_PORTS - 1; i++) {
		unsigned int j = i + (unsigned int)tw_rand_below(N_PORTS - i);
		uint16_t tmp = list[i];

		list[i] = list[j];
		list[j] = tmp;
	}
	return 1 + (unsigned int)tw_rand_below(N_PORTS);
}

/*
 * Random weights on sizes 64..65536. Every third step lists a random subset
 * of the ports in a random order: a port left out loses all its entries,
 * and one listed again starts from none.
 */
static void
test_counts_and_minimal_remap(void)
{
	static const uint32_t sizes[] = { 64, 256, 4096, 65536 };
	static struct rte_txweight_target before[65536], after[65536];
	unsigned int s, step, i;

	for (s = 0; s < RTE_DIM(sizes); s++) {
		uint32_t size = sizes[s];
		struct rte_txweight_table *t = make_table(size, 1);
		unsigned int steps = size >= 65536 ? 12 : 60;

		TW_CHECK(t != NULL, "create %u", size);
		if (t == NULL)
			continue;
		for (step = 0; step < steps; step++) {
			uint16_t list[N_PORTS];
			int pos[N_PORTS];   /* port id -> index in list, -1: left out */
			uint64_t w[N_PORTS], sum = 0;
			uint32_t old[N_PORTS], counts[N_PORTS], expect_min, changed = 0;
			uint64_t version = rte_txweight_table_version(t);
			unsigned int n = N_PORTS;
			uint32_t e;
			int ret, none;

			if (step % 3 == 2)
				n = random_subset(list);
			else
				memcpy(list, ports, sizeof(ports));
			for (i = 0; i < N_PORTS; i++)
				pos[i] = -1;
			for (i = 0; i < n; i++) {
				static const uint64_t speeds[] = {
					0, 1000, 10000, 25000, 50000, 100000, 200000, 400000,
				};
				pos[list[i]] = (int)i;
				w[i] = speeds[tw_rand_below(RTE_DIM(speeds))];
				sum += w[i];
			}
			if (sum == 0) {
				w[step % n] = 25000;
				sum = 25000;
			}
			snapshot(t, size, before);
			/* old: entries per port now, the starting point of the remap */
			none = count_in_snapshot(before, size, list, n, old);
			TW_CHECK_OR_BREAK(count_agrees(t, list, n, old, none),
				"size %u step %u: counted before the update, not as "
				"the entries are", size, step);
			expect_min = min_changes(w, n, size, old);
			ret = rte_txweight_table_update(t, list, w, NULL, n);
			snapshot(t, size, after);
			none = count_in_snapshot(after, size, list, n, counts);
			TW_CHECK_OR_BREAK(none == 0, "size %u step %u: %d unowned", size, step,
				none);
			TW_CHECK_OR_BREAK(count_agrees(t, list, n, counts, none),
				"size %u step %u: counted after the update, not as "
				"the entries are", size, step);
			TW_CHECK_OR_BREAK(rte_txweight_table_version(t) == version + 1,
				"version");
			for (i = 0; i < n; i++)
				if (!within_one(counts[i], size, w[i], sum))
					break;
			TW_CHECK_OR_BREAK(i == n, "size %u step %u: port %u has %u "
				"entries, quota %" PRIu64 "/%" PRIu64, size, step, list[i],
				counts[i], (uint64_t)size * w[i], sum);
			for (e = 0; e < size; e++)
				changed += memcmp(&before[e], &after[e], sizeof(before[e])) != 0;
			TW_CHECK_OR_BREAK(ret == (int)changed, "size %u step %u: returned %d, "
				"%u changed", size, step, ret, changed);
			TW_CHECK_OR_BREAK(changed == expect_min, "size %u step %u: %u changed, "
				"minimum %u", size, step, changed, expect_min);
			/* A port not over its new count kept all its entries. */
			for (e = 0; e < size; e++) {
				uint16_t p = before[e].port_id;

				if (p < N_PORTS && pos[p] >= 0 &&
						counts[pos[p]] >= old[pos[p]] &&
						after[e].port_id != p)
					break;
			}
			TW_CHECK_OR_BREAK(e == size, "size %u step %u: entry %u left port %u "
				"that was not over its count", size, step, e, before[e].port_id);
			/* Same weights again: nothing moves. */
			if (step % 10 == 0) {
				ret = rte_txweight_table_update(t, list, w, NULL, n);
				TW_CHECK_OR_BREAK(ret == 0, "same weights moved %d", ret);
			}
		}
		rte_txweight_table_free(t);
	}
}

static void
test_extreme_and_zero(void)
{
	struct rte_txweight_table *t = make_table(65536, 1);
	uint64_t w[2] = { 400000, 1000 }, zero[2] = { 0, 0 };
	uint32_t counts[2];
	int ret;

	if (t == NULL) {
		TW_CHECK(t != NULL, "create");
		return;
	}
	ret = rte_txweight_table_update(t, ports, w, NULL, 2);
	rte_txweight_table_count(t, ports, 2, counts);
	TW_CHECK(ret == 65536 && counts[0] == 65373 && counts[1] == 163,
		"400G:1G: %u %u", counts[0], counts[1]);
	ret = rte_txweight_table_update(t, ports, zero, NULL, 2);
	TW_CHECK(ret == -ENOENT, "all zero: %d", ret);
	TW_CHECK(rte_txweight_table_count(t, ports, 2, counts) == 65536 &&
		counts[0] == 0 && counts[1] == 0, "all zero: every entry NO_PORT");
	TW_CHECK(rte_txweight_table_lookup(t, 7).port_id == RTE_TXWEIGHT_NO_PORT,
		"all zero lookup");
	/* From nothing back to a port: every entry changes. */
	ret = rte_txweight_table_update(t, &ports[1], &w[1], NULL, 1);
	TW_CHECK(ret == 65536, "back to one port: %d", ret);
	/* Port set change: port 1 leaves, port 2 arrives: all move to 2. */
	w[0] = 10000;
	ret = rte_txweight_table_update(t, &ports[2], w, NULL, 1);
	TW_CHECK(ret == 65536, "replace port: %d", ret);
	rte_txweight_table_free(t);
}

/* Entries of port p that kept their queue. */
static uint32_t
kept_in_place(const struct rte_txweight_target *before,
	const struct rte_txweight_target *after, uint32_t size, uint16_t p,
	uint16_t nb_queues)
{
	uint32_t e, kept = 0;

	for (e = 0; e < size; e++)
		kept += before[e].port_id == p && after[e].port_id == p &&
			before[e].queue_id == after[e].queue_id &&
			after[e].queue_id < nb_queues;
	return kept;
}

/*
 * The most entries of port p that can keep their queue when each of its
 * nb_queues queues must end with the floor or the ceiling of its count /
 * nb_queues: every queue keeps up to the floor of the entries it had,
 * and as many queues as there are ceilings one more where it had one.
 * Any of the port's entries may be among those it keeps, not only those
 * an update happened to leave on it.
 */
static uint32_t
most_kept_in_place(const struct rte_txweight_target *before,
	const struct rte_txweight_target *after, uint32_t size, uint16_t p,
	uint16_t nb_queues)
{
	uint32_t stay[RTE_MAX_QUEUES_PER_PORT] = { 0 };
	uint32_t e, count = 0, floor, extra, most = 0, over = 0;
	uint16_t q;

	for (e = 0; e < size; e++) {
		count += after[e].port_id == p;
		if (before[e].port_id == p && before[e].queue_id < nb_queues)
			stay[before[e].queue_id]++;
	}
	floor = count / nb_queues;
	extra = count % nb_queues;
	for (q = 0; q < nb_queues; q++) {
		most += RTE_MIN(stay[q], floor);
		over += stay[q] > floor;
	}
	return most + RTE_MIN(over, extra);
}

static void
test_queues(void)
{
	struct rte_txweight_table *t = make_table(1024, 1);
	uint64_t w[2] = { 3, 1 };
	/* round 3: every port with 2 queues, none with 1 */
	uint16_t nbq[2] = { 4, 3 }, nbq2[2] = { 4, 5 }, nbq3[2] = { 2, 2 };
	/* round 4: 2 -> 7 queues on port 1, 4 queues at the ceiling */
	uint16_t nbq4[2] = { 4, 7 };
	uint32_t per_queue[2][8];
	struct rte_txweight_target before[1024], after[1024];
	unsigned int e, q, round, changed;
	int ret;

	if (t == NULL) {
		TW_CHECK(t != NULL, "create");
		return;
	}
	for (round = 0; round < 6; round++) {
		const uint16_t *qs = round == 1 ? nbq2 : round == 3 ? nbq3 :
			round == 4 ? nbq4 : nbq;
		unsigned int p;

		snapshot(t, 1024, before);
		ret = rte_txweight_table_update(t, ports, w, qs, 2);
		snapshot(t, 1024, after);
		memset(per_queue, 0, sizeof(per_queue));
		changed = 0;
		for (e = 0; e < 1024; e++) {
			TW_CHECK_OR_BREAK(after[e].port_id < 2 &&
				after[e].queue_id < qs[after[e].port_id], "entry %u", e);
			per_queue[after[e].port_id][after[e].queue_id]++;
			changed += memcmp(&before[e], &after[e], sizeof(before[e])) != 0;
		}
		TW_CHECK(ret == (int)changed, "round %u: %d returned, %u changed", round,
			ret, changed);
		/* 768 entries over 4 or 2 queues, 256 over 3, 5 or 2 */
		for (q = 0; q < qs[0]; q++)
			TW_CHECK(per_queue[0][q] == 768u / qs[0], "round %u port 0 queue %u: %u",
				round, q, per_queue[0][q]);
		for (q = 0; q < qs[1]; q++)
			TW_CHECK(per_queue[1][q] == 256u / qs[1] ||
				per_queue[1][q] == 256u / qs[1] + 1,
				"round %u port 1 queue %u: %u", round, q, per_queue[1][q]);
		/*
		 * 3 <-> 5 queues on port 1 (256 entries): queues 0..2 keep at most
		 * 52 + 51 + 51 of their entries, so exactly 102 must change queue.
		 */
		if (round == 1 || round == 2)
			TW_CHECK(changed == 102, "round %u: queue change moved %u", round,
				changed);
		for (p = 0; p < 2; p++) {
			uint32_t kept = kept_in_place(before, after, 1024, p, qs[p]);
			uint32_t most = most_kept_in_place(before, after, 1024, p, qs[p]);

			TW_CHECK(kept == most, "round %u port %u: %u entries kept their "
				"queue, %u could", round, p, kept, most);
		}
	}
	rte_txweight_table_free(t);
}

/*
 * Random queue counts (1..TEST_TXQ) and weights, every other update on a
 * random subset of the ports in a random order, and every fourth with one
 * queue per port (every eighth as nb_queues NULL), after updates with
 * several: each queue holds the floor or the ceiling of its port's
 * entries / queues, and as many entries keep their queue as can.
 */
static void
test_queues_random(void)
{
	static const uint64_t speeds[] = { 0, 10000, 25000, 100000, 200000 };
	struct rte_txweight_table *t = make_table(1024, 1);
	struct rte_txweight_target before[1024], after[1024];
	unsigned int round, i;

	if (t == NULL) {
		TW_CHECK(t != NULL, "create");
		return;
	}
	for (round = 0; round < 200; round++) {
		uint32_t per_queue[N_PORTS][TEST_TXQ] = { { 0 } };
		uint32_t count[N_PORTS] = { 0 };
		uint16_t list[N_PORTS], qs[N_PORTS] = { 0 }, lq[N_PORTS];
		uint64_t w[N_PORTS], sum = 0;
		unsigned int n = N_PORTS;
		uint32_t e;
		int ret;

		if (round % 2 == 1)
			n = random_subset(list);
		else
			memcpy(list, ports, sizeof(ports));
		for (i = 0; i < n; i++) {
			w[i] = speeds[tw_rand_below(RTE_DIM(speeds))];
			lq[i] = round % 4 == 3 ? 1 :
				(uint16_t)(1 + tw_rand_below(TEST_TXQ));
			qs[list[i]] = lq[i];
			sum += w[i];
		}
		if (sum == 0)
			w[round % n] = 10000;
		snapshot(t, 1024, before);
		ret = rte_txweight_table_update(t, list, w,
			round % 8 == 7 ? NULL : lq, n);
		TW_CHECK_OR_BREAK(ret >= 0, "round %u: update %d", round, ret);
		snapshot(t, 1024, after);
		for (e = 0; e < 1024; e++) {
			/* qs[] is 0 for a port left out: no entry may name it */
			TW_CHECK_OR_BREAK(after[e].port_id < N_PORTS &&
				after[e].queue_id < qs[after[e].port_id],
				"round %u entry %u", round, e);
			count[after[e].port_id]++;
			per_queue[after[e].port_id][after[e].queue_id]++;
		}
		for (i = 0; i < n; i++) {
			uint16_t p = list[i], q;
			uint32_t kept = kept_in_place(before, after, 1024, p, qs[p]);
			uint32_t most = most_kept_in_place(before, after, 1024, p, qs[p]);

			for (q = 0; q < qs[p]; q++)
				TW_CHECK(per_queue[p][q] == count[p] / qs[p] ||
					per_queue[p][q] == count[p] / qs[p] + 1,
					"round %u port %u queue %u: %u of %u", round, p, q,
					per_queue[p][q], count[p]);
			TW_CHECK(kept == most, "round %u port %u: %u entries kept their "
				"queue, %u could", round, p, kept, most);
		}
	}
	rte_txweight_table_free(t);
}

/* The update returns only after every registered reader went quiescent. */
static volatile int grace_stage;
static volatile uint64_t grace_entered; /* timer cycles at stage 1 */

static int
grace_reader(void *arg)
{
	struct rte_txweight_table *t = arg;

	rte_txweight_table_reader_register(t, 1);
	(void)rte_txweight_table_lookup(t, 1);
	grace_entered = rte_get_timer_cycles();
	grace_stage = 1;
	rte_delay_ms(150);
	grace_stage = 2;
	rte_txweight_table_quiescent(t, 1);
	rte_txweight_table_reader_unregister(t, 1);
	return 0;
}

static void
test_grace_period(unsigned int worker)
{
	struct rte_txweight_table *t = make_table(64, 2);
	uint64_t w[2] = { 1, 1 };
	uint64_t start;
	double ms;
	int stage_at_return;

	if (t == NULL) {
		TW_CHECK(t != NULL, "create");
		return;
	}
	grace_stage = 0;
	rte_eal_remote_launch(grace_reader, t, worker);
	while (grace_stage == 0)
		rte_pause();
	rte_txweight_table_update(t, ports, w, NULL, 2);
	stage_at_return = grace_stage;
	/*
	 * From the reader's entry into its read section, not from when this
	 * thread saw it: under valgrind, which runs one thread at a time, the
	 * reader may spend most of its 150 ms before this one runs again.
	 */
	ms = (double)(rte_get_timer_cycles() - grace_entered) * 1000 /
		rte_get_timer_hz();
	rte_eal_wait_lcore(worker);
	TW_CHECK(stage_at_return == 2 && ms > 100, "update returned %.1f ms after the "
		"reader entered its read section, before it was quiescent", ms);
	/* An unregistered reader is not waited for. */
	start = rte_get_timer_cycles();
	rte_txweight_table_update(t, ports, w, NULL, 2);
	ms = (double)(rte_get_timer_cycles() - start) * 1000 / rte_get_timer_hz();
	TW_CHECK(ms < 1000, "update with no reader took %.1f ms", ms);
	rte_txweight_table_free(t);
}

/*
 * Lookups on another lcore while the main lcore updates continuously. The
 * queue count of port i is always i + 1, so an entry mixing two targets
 * would show a queue its port does not have.
 */
/* Counts the reader made: the versions before and after, the counts. */
struct count_sample {
	uint64_t before, after;
	uint32_t counts[N_PORTS];
};

#define COUNT_SAMPLES 32768
/* Versions whose counts the updater keeps, to check the samples with. */
#define COUNT_VERSIONS 16384

struct concurrent_state {
	struct rte_txweight_table *t;
	volatile int stop;
	uint64_t lookups, bad, versions_seen;
	uint64_t counts_bad; /* entry counts not summing to the table size */
	struct count_sample samples[COUNT_SAMPLES];
	unsigned int n_samples;
	/* counts of each version, as the updater read them right after it */
	uint32_t published[COUNT_VERSIONS][N_PORTS];
	/* read sections; those an update published in; those that saw the
	 * array they hold change */
	uint64_t held, held_across_update, held_changed;
};

#define CONCURRENT_SIZE 4096
/* Read sections with an update published in them, at least. */
#define CONCURRENT_OVERLAPS 50

static int
concurrent_reader(void *arg)
{
	struct concurrent_state *cs = arg;
	uint64_t last_version = 0;
	uint32_t counts[N_PORTS];
	uint64_t counted_from;
	uint32_t h = 0;
	unsigned int k;
	int64_t total;

	const struct rte_txweight_table_fast *fast =
		(const struct rte_txweight_table_fast *)cs->t;
	static uint32_t copy[CONCURRENT_SIZE];

	rte_txweight_table_reader_register(cs->t, 0);
	while (!cs->stop) {
		uint64_t v = rte_txweight_table_version(cs->t);
		/*
		 * The array a reader holds between two quiescent reports must
		 * not change (rte_txweight_table_split() looks a whole burst up
		 * in it): a copy now, compared with it after a pause long
		 * enough for updates to be published meanwhile.
		 */
		const uint32_t *held = __atomic_load_n(&fast->entries,
			__ATOMIC_ACQUIRE);

		memcpy(copy, held, sizeof(copy));
		if (v != last_version) {
			cs->versions_seen++;
			last_version = v;
		}
		for (k = 0; k < 32; k++, h += 0x9e3779b9U) {
			struct rte_txweight_target tg = rte_txweight_table_lookup(cs->t, h);

			if (tg.port_id >= N_PORTS || tg.queue_id > tg.port_id)
				cs->bad++;
		}
		cs->lookups += 32;
		/* Counts made while updates run: one mapping's, never a mix. */
		counted_from = rte_txweight_table_version(cs->t);
		total = rte_txweight_table_count(cs->t, ports, N_PORTS, counts);
		for (k = 0; k < N_PORTS; k++)
			total += counts[k];
		cs->counts_bad += total != CONCURRENT_SIZE;
		if (cs->n_samples < COUNT_SAMPLES) {
			struct count_sample *sm = &cs->samples[cs->n_samples++];

			sm->before = counted_from;
			sm->after = rte_txweight_table_version(cs->t);
			memcpy(sm->counts, counts, sizeof(counts));
		}
		rte_delay_us_block(20);
		cs->held++;
		cs->held_across_update += rte_txweight_table_version(cs->t) != v;
		cs->held_changed += memcmp(copy, held, sizeof(copy)) != 0;
		rte_txweight_table_quiescent(cs->t, 0);
	}
	rte_txweight_table_reader_unregister(cs->t, 0);
	return 0;
}

static void
test_concurrent(unsigned int worker)
{
	static struct concurrent_state cs;
	uint16_t nbq[N_PORTS] = { 1, 2, 3, 4 };
	uint64_t w[N_PORTS] = { 1, 1, 1, 1 };
	uint32_t counts[N_PORTS];
	unsigned int i, updates = 0, mixed, checked;
	uint64_t span, start, now, version = 1;
	int ret;

	cs.t = make_table(CONCURRENT_SIZE, 1);
	if (cs.t == NULL) {
		TW_CHECK(cs.t != NULL, "create");
		return;
	}
	rte_txweight_table_update(cs.t, ports, w, nbq, N_PORTS);
	rte_txweight_table_count(cs.t, ports, N_PORTS, cs.published[1]);
	cs.stop = 0;
	rte_eal_remote_launch(concurrent_reader, &cs, worker);
	/*
	 * At least 0.75 s (times tw_test_slow()), then on until the reader saw
	 * enough updates land inside its read sections for the checks below
	 * to mean something, for at most four times as long: under valgrind,
	 * which runs one thread at a time, and with other tests beside it,
	 * such overlaps come a few times less often.
	 */
	span = rte_get_timer_hz() * 3 / 4 * tw_test_slow();
	start = rte_get_timer_cycles();
	while ((now = rte_get_timer_cycles()) - start < span ||
			(now - start < 4 * span &&
			__atomic_load_n(&cs.held_across_update, __ATOMIC_RELAXED) <
			CONCURRENT_OVERLAPS)) {
		uint64_t sum = 0;

		for (i = 0; i < N_PORTS; i++) {
			w[i] = tw_rand_below(4) * 25000;
			sum += w[i];
		}
		if (sum == 0)
			w[0] = 1;
		ret = rte_txweight_table_update(cs.t, ports, w, nbq, N_PORTS);
		TW_CHECK_OR_BREAK(ret >= 0, "update %u: %d", updates, ret);
		TW_CHECK_OR_BREAK(rte_txweight_table_count(cs.t, ports, N_PORTS, counts) == 0,
			"unowned entries");
		version = rte_txweight_table_version(cs.t);
		if (version < COUNT_VERSIONS)
			memcpy(cs.published[version], counts, sizeof(counts));
		updates++;
	}
	cs.stop = 1;
	rte_eal_wait_lcore(worker);
	printf("concurrent: %u updates, %" PRIu64 " lookups, %" PRIu64
		" versions seen by the reader, %" PRIu64 " of %" PRIu64
		" read sections with an update published in them\n", updates,
		cs.lookups, cs.versions_seen, cs.held_across_update, cs.held);
	TW_CHECK(cs.bad == 0, "%" PRIu64 " invalid or torn entries", cs.bad);
	TW_CHECK(cs.counts_bad == 0, "%" PRIu64 " entry counts made during "
		"updates did not sum to %u", cs.counts_bad, CONCURRENT_SIZE);
	/*
	 * Each count the reader made is that of a version published while
	 * it counted: from the one before to the one after, or the next (an
	 * update publishes its counts just before its version).
	 */
	for (i = 0, mixed = 0, checked = 0; i < cs.n_samples; i++) {
		const struct count_sample *sm = &cs.samples[i];
		uint64_t v;
		bool found = false;

		if (sm->after + 1 >= COUNT_VERSIONS || sm->after + 1 > version)
			continue;
		for (v = sm->before; v <= sm->after + 1 && !found; v++)
			found = memcmp(cs.published[v], sm->counts,
				sizeof(sm->counts)) == 0;
		mixed += !found;
		checked++;
	}
	printf("concurrent: %u counts checked against the published ones\n",
		checked);
	TW_CHECK(mixed == 0 && checked >= 100, "%u of %u counts made during "
		"updates were no published version's", mixed, checked);
	TW_CHECK(cs.held_changed == 0, "%" PRIu64 " read sections saw the array "
		"they hold rewritten before their quiescent report", cs.held_changed);
	TW_CHECK(updates >= 50 && cs.lookups > 100000 && cs.versions_seen >= 10 &&
		cs.held_across_update >= CONCURRENT_OVERLAPS,
		"too little concurrency to mean anything");
	rte_txweight_table_free(cs.t);
}

int
main(int argc, char **argv)
{
	unsigned int i, worker;

	(void)argc;
	(void)argv;
	if (tw_eal_init("twtable", N_PORTS, NULL, 0) != 0)
		return 1;
	/* The checks below rely on net_null<i> being port i. */
	for (i = 0; i < N_PORTS; i++) {
		char name[RTE_ETH_NAME_MAX_LEN];

		snprintf(name, sizeof(name), "net_null%u", i);
		if (rte_eth_dev_get_port_by_name(name, &ports[i]) != 0 || ports[i] != i) {
			fprintf(stderr, "net_null%u is not port %u\n", i, i);
			return 1;
		}
	}
	if (tw_ports_configure(N_PORTS, TEST_TXQ) != 0) {
		fprintf(stderr, "cannot configure the ports\n");
		return 1;
	}
	worker = rte_get_next_lcore(-1, 1, 0);
	test_create_bad();
	test_fresh_and_bad_update();
	test_counts_and_minimal_remap();
	test_extreme_and_zero();
	test_queues();
	test_queues_random();
	if (worker < RTE_MAX_LCORE) {
		test_grace_period(worker);
		test_concurrent(worker);
	} else {
		TW_CHECK(false, "no worker lcore: run with -l 0-1");
	}
	rte_eal_cleanup();
	return tw_finish("test_table");
}
