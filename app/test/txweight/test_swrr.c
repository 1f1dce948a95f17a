/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/*
 * Unit tests of smooth weighted round robin: exact shares in every window
 * of sum(weights) picks, even interleaving, gcd reduction, queue rotation,
 * following the table's weights after an update, a sequence left running
 * by updates that publish the same weights and restarted by those that
 * change them, no port, bad input.
 */

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "rte_txweight.h"
#include "tw_test.h"
#include "tw_tx.h"

#define N_PORTS 4
#define MAX_PICKS 900000

static uint16_t ports[N_PORTS] = { 0, 1, 2, 3 };

static struct rte_txweight_table *
make_table(void)
{
	struct rte_txweight_table_params p = {
		.name = "swrr", .size = 64, .socket_id = SOCKET_ID_ANY, .max_readers = 1,
	};

	return rte_txweight_table_create(&p);
}

/*
 * Every window of `window` consecutive picks holds port i exactly
 * expect[i] times (n ports, port i being port id i).
 */
static bool
windows_exact(const uint16_t *seq, unsigned int len, unsigned int window,
	const uint32_t *expect, unsigned int n)
{
	uint32_t in_window[N_PORTS] = { 0 };
	unsigned int k, i;

	for (k = 0; k < len; k++) {
		if (seq[k] >= n)
			return false;
		in_window[seq[k]]++;
		if (k >= window)
			in_window[seq[k - window]]--;
		if (k + 1 >= window)
			for (i = 0; i < n; i++)
				if (in_window[i] != expect[i])
					return false;
	}
	return true;
}

static void
test_shares(struct rte_txweight_table *t)
{
	static const struct {
		uint64_t w[N_PORTS];
		uint32_t reduced[N_PORTS];
	} cases[] = {
		{ { 5, 3, 2, 0 }, { 5, 3, 2, 0 } },
		{ { 100000, 25000, 0, 0 }, { 4, 1, 0, 0 } },
		{ { 400000, 1000, 0, 0 }, { 400, 1, 0, 0 } },
		{ { 50000, 50000, 50000, 50000 }, { 1, 1, 1, 1 } },
		{ { 25000, 0, 10000, 40000 }, { 5, 0, 2, 8 } },
		{ { 7, 11, 13, 17 }, { 7, 11, 13, 17 } },
		/* periods over RTE_TXWEIGHT_SWRR_SCHED_MAX: picks from credits */
		{ { 1000, 999, 7, 3 }, { 1000, 999, 7, 3 } },
		{ { 400000, 1000, 999, 0 }, { 400000, 1000, 999, 0 } },
	};
	static uint16_t seq[MAX_PICKS];
	struct rte_txweight_swrr s;
	unsigned int c, k, i;

	for (c = 0; c < RTE_DIM(cases); c++) {
		uint32_t total = 0, seen[N_PORTS] = { 0 };
		int64_t worst = 0;
		int ret = rte_txweight_table_update(t, ports, cases[c].w, NULL, N_PORTS);

		TW_CHECK(ret >= 0, "case %u update %d", c, ret);
		TW_CHECK(rte_txweight_swrr_init(&s, t) == 0, "init");
		for (i = 0; i < N_PORTS; i++)
			total += cases[c].reduced[i];
		TW_CHECK(s.total == (int64_t)total, "case %u: total %" PRId64 ", want %u", c,
			s.total, total);
		TW_CHECK((s.sched_len != 0) == (total <= RTE_TXWEIGHT_SWRR_SCHED_MAX),
			"case %u: schedule %u for a period of %u", c, s.sched_len, total);
		for (k = 0; k < MAX_PICKS && k < 3 * total; k++) {
			struct rte_txweight_target tg = rte_txweight_swrr_next(&s);

			seq[k] = tg.port_id;
			if (tg.port_id >= N_PORTS)
				continue;
			seen[tg.port_id]++;
			/* |picks - (k + 1) * w / total|, times total */
			for (i = 0; i < N_PORTS; i++) {
				int64_t d = (int64_t)seen[i] * total -
					(int64_t)(k + 1) * cases[c].reduced[i];

				worst = RTE_MAX(worst, d < 0 ? -d : d);
			}
		}
		TW_CHECK(windows_exact(seq, k, total, cases[c].reduced, N_PORTS),
			"case %u: a window of %u picks is not exact", c, total);
		/*
		 * Smooth: along the whole sequence every port stays within two
		 * picks of its exact share (a plain weighted round robin, which
		 * sends a port's whole weight in a row, strays by up to its weight).
		 */
		TW_CHECK(worst < 2 * (int64_t)total, "case %u: strays %.2f picks", c,
			(double)worst / total);
	}
}

static void
test_follows_table(struct rte_txweight_table *t)
{
	static uint16_t seq[MAX_PICKS];
	uint64_t w1[N_PORTS] = { 1, 1, 0, 0 }, w2[N_PORTS] = { 0, 1, 3, 0 };
	uint64_t zero[N_PORTS] = { 0 };
	uint32_t expect2[N_PORTS] = { 0, 1, 3, 0 };
	struct rte_txweight_swrr s;
	unsigned int k;

	rte_txweight_table_update(t, ports, w1, NULL, N_PORTS);
	rte_txweight_swrr_init(&s, t);
	for (k = 0; k < 7; k++)
		(void)rte_txweight_swrr_next(&s);
	rte_txweight_table_update(t, ports, w2, NULL, N_PORTS);
	for (k = 0; k < MAX_PICKS; k++)
		seq[k] = rte_txweight_swrr_next(&s).port_id;
	TW_CHECK(s.version == rte_txweight_table_version(t), "version followed");
	TW_CHECK(windows_exact(seq, MAX_PICKS, 4, expect2, N_PORTS),
		"after an update the very next pick uses the new weights");
	rte_txweight_table_update(t, ports, zero, NULL, N_PORTS);
	TW_CHECK(rte_txweight_swrr_next(&s).port_id == RTE_TXWEIGHT_NO_PORT,
		"all zero: no port");
}

/*
 * Updates that publish the same weights (a periodic refresh, an LSC with
 * no speed change, the weights scaled by a common factor) must not
 * restart the sequence: every window of sum(weights) picks stays exact.
 * Restarted at every update, the first picks go to the largest weight
 * each time, and with 4 equal ports refreshed before every pick port 0
 * would take them all.
 */
static void
test_same_weights_republished(struct rte_txweight_table *t)
{
	static uint16_t seq[40100];
	static const struct {
		uint64_t w[N_PORTS];
		uint64_t scaled[N_PORTS]; /* the same after gcd reduction */
		uint32_t reduced[N_PORTS];
		unsigned int every;       /* picks between two updates */
		unsigned int picks;
	} cases[] = {
		{ { 1, 1, 1, 1 }, { 5, 5, 5, 5 }, { 1, 1, 1, 1 }, 1, 4000 },
		{ { 1, 1, 1, 1 }, { 1, 1, 1, 1 }, { 1, 1, 1, 1 }, 2, 4000 },
		{ { 400000, 1000, 0, 0 }, { 400000, 1000, 0, 0 }, { 400, 1, 0, 0 },
			150, 40100 },
		{ { 3, 2, 0, 1 }, { 6, 4, 0, 2 }, { 3, 2, 0, 1 }, 5, 6000 },
	};
	struct rte_txweight_swrr s;
	unsigned int c, k, total, p;
	uint64_t version;

	for (c = 0; c < RTE_DIM(cases); c++) {
		total = 0;
		for (p = 0; p < N_PORTS; p++)
			total += cases[c].reduced[p];
		TW_CHECK(rte_txweight_table_update(t, ports, cases[c].w, NULL,
			N_PORTS) >= 0, "case %u: update", c);
		TW_CHECK(rte_txweight_swrr_init(&s, t) == 0, "init");
		for (k = 0; k < cases[c].picks; k++) {
			if (k % cases[c].every == 0)
				(void)rte_txweight_table_update(t, ports,
					(k / cases[c].every) % 2 ? cases[c].scaled :
					cases[c].w, NULL, N_PORTS);
			seq[k] = rte_txweight_swrr_next(&s).port_id;
		}
		version = rte_txweight_table_version(t);
		TW_CHECK(s.version == version, "case %u: version followed", c);
		TW_CHECK(windows_exact(seq, cases[c].picks, total, cases[c].reduced,
			N_PORTS), "case %u: updates every %u picks with the same weights "
			"keep every window of %u picks exact", c, cases[c].every, total);
	}
}

/*
 * SWRR as defined, from zero credits: every port earns its weight, the one
 * with most credit (the first listed among equals) is picked and pays the
 * sum. Ports of weight 0 are never picked: the credits of the others sum
 * to the total after they earn, so one of them is above 0.
 */
static void
reference_swrr(const uint64_t *w, unsigned int n, unsigned int picks,
	uint16_t *seq)
{
	int64_t credit[N_PORTS] = { 0 }, total = 0;
	unsigned int k, i, best;

	for (i = 0; i < n; i++)
		total += (int64_t)w[i];
	for (k = 0; k < picks; k++) {
		best = 0;
		for (i = 0; i < n; i++) {
			credit[i] += (int64_t)w[i];
			if (credit[i] > credit[best])
				best = i;
		}
		credit[best] -= total;
		seq[k] = (uint16_t)best;
	}
}

/*
 * A change of weights restarts the sequence from zero credits, whichever
 * way each side picks (from credits, or from a precomputed period): the
 * picks after the update are exactly those of a fresh state. Left-over
 * credits from a long period would otherwise keep one port picked (or
 * starved) for thousands of picks. The cases include ties, where the
 * first port listed must win in both ways of picking.
 */
static void
test_restart_on_change(struct rte_txweight_table *t)
{
	static const struct {
		uint64_t before[N_PORTS];
		unsigned int picks_before;
		uint64_t after[N_PORTS];
	} cases[] = {
		{ { 2000, 1, 0, 0 }, 1000, { 1, 1, 0, 0 } },
		{ { 2000, 1, 0, 0 }, 1500, { 1, 3, 0, 2 } },
		{ { 5, 3, 0, 0 }, 3, { 600, 600, 7, 0 } },
		{ { 1000, 999, 7, 3 }, 777, { 1, 1, 1, 1 } },
		{ { 1, 2, 0, 0 }, 1, { 0, 700, 700, 1 } },
	};
	static uint16_t got[4000], want[4000];
	struct rte_txweight_swrr s;
	unsigned int c, k;

	for (c = 0; c < RTE_DIM(cases); c++) {
		TW_CHECK(rte_txweight_table_update(t, ports, cases[c].before, NULL,
			N_PORTS) >= 0, "case %u: update", c);
		TW_CHECK(rte_txweight_swrr_init(&s, t) == 0, "init");
		for (k = 0; k < cases[c].picks_before; k++)
			(void)rte_txweight_swrr_next(&s);
		TW_CHECK(rte_txweight_table_update(t, ports, cases[c].after, NULL,
			N_PORTS) >= 0, "case %u: second update", c);
		for (k = 0; k < RTE_DIM(got); k++)
			got[k] = rte_txweight_swrr_next(&s).port_id;
		reference_swrr(cases[c].after, N_PORTS, RTE_DIM(want), want);
		for (k = 0; k < RTE_DIM(got) && got[k] == ports[want[k]]; k++)
			;
		TW_CHECK(k == RTE_DIM(got), "case %u: pick %u after the change is "
			"port %u, a fresh state picks port %u", c, k,
			k < RTE_DIM(got) ? got[k] : 0,
			k < RTE_DIM(got) ? ports[want[k]] : 0);
	}
}

/*
 * The queue rotation restarts with the weights too: after the ports are
 * listed in another order, with other queue counts, a pick never names a
 * queue its port does not have.
 */
static void
test_queues_after_change(struct rte_txweight_table *t)
{
	const uint16_t order1[2] = { 0, 1 }, order2[2] = { 1, 0 };
	const uint16_t nbq1[2] = { 4, 1 }, nbq2[2] = { 1, 4 };
	const uint64_t w[2] = { 1, 1 };
	struct rte_txweight_swrr s;
	unsigned int k, bad = 0;

	TW_CHECK(rte_txweight_table_update(t, order1, w, nbq1, 2) >= 0,
		"update, ports 0 (4 queues) and 1");
	rte_txweight_swrr_init(&s, t);
	for (k = 0; k < 5; k++)
		(void)rte_txweight_swrr_next(&s);
	TW_CHECK(rte_txweight_table_update(t, order2, w, nbq2, 2) >= 0,
		"update, ports 1 and 0 (4 queues)");
	for (k = 0; k < 40; k++) {
		struct rte_txweight_target tg = rte_txweight_swrr_next(&s);

		bad += tg.port_id > 1 ||
			tg.queue_id >= (tg.port_id == 0 ? nbq2[1] : nbq2[0]);
	}
	TW_CHECK(bad == 0, "%u of 40 picks name a queue their port lacks", bad);
}

static void
test_queue_rotation(struct rte_txweight_table *t)
{
	uint64_t w[N_PORTS] = { 1, 1, 0, 0 };
	uint16_t nbq[N_PORTS] = { 2, 3, 1, 1 };
	uint16_t next_q[2] = { 0, 0 };
	struct rte_txweight_swrr s;
	unsigned int k;
	bool ok = true;

	rte_txweight_table_update(t, ports, w, nbq, N_PORTS);
	rte_txweight_swrr_init(&s, t);
	for (k = 0; k < 60; k++) {
		struct rte_txweight_target tg = rte_txweight_swrr_next(&s);

		if (tg.port_id > 1 || tg.queue_id != next_q[tg.port_id])
			ok = false;
		else
			next_q[tg.port_id] = (uint16_t)((tg.queue_id + 1) % nbq[tg.port_id]);
	}
	TW_CHECK(ok, "queues rotate 0..nb_queues-1 per port");
}

/*
 * Weights summing to the largest sum allowed, in the path that computes
 * credits at each pick: the same picks as the algorithm with 128-bit
 * credits, and a sum one over the limit refused. The weights are in
 * proportions (found by a search) that drive a credit past twice the sum
 * within 8,000 picks: with a limit of 2^62 that overflows int64_t, which
 * this test (and UBSan, in the sanitizer run) would catch.
 */
static void
test_largest_weights(struct rte_txweight_table *t)
{
	const uint64_t total = RTE_TXWEIGHT_WEIGHT_SUM_MAX;
	/* in units of 2^-62 of the sum */
	static const uint64_t part[N_PORTS - 1] = {
		6587664192563218, 131102171857486966, 168866151298509,
	};
	const unsigned int shift = 62 - (unsigned int)__builtin_ctzll(total);
	uint64_t w[N_PORTS];
	__int128 credit[N_PORTS] = { 0 }, top = 0;
	struct rte_txweight_swrr s;
	unsigned int k, i, best, bad = 0;

	RTE_BUILD_BUG_ON((RTE_TXWEIGHT_WEIGHT_SUM_MAX & (RTE_TXWEIGHT_WEIGHT_SUM_MAX - 1)) != 0);
	w[0] = total;
	for (i = 1; i < N_PORTS; i++) {
		w[i] = part[i - 1] >> shift;
		w[0] -= w[i];
	}

	TW_CHECK(rte_txweight_table_update(t, ports, w, NULL, N_PORTS) >= 0,
		"weights summing to the largest sum accepted");
	rte_txweight_swrr_init(&s, t);
	TW_CHECK(s.sched_len == 0, "largest sum: credits computed at each pick");
	for (k = 0; k < 200000; k++) {
		best = 0;
		for (i = 0; i < N_PORTS; i++) {
			credit[i] += w[i];
			if (credit[i] > credit[best])
				best = i;
		}
		top = RTE_MAX(top, credit[best]);
		credit[best] -= total;
		bad += rte_txweight_swrr_next(&s).port_id != ports[best];
	}
	TW_CHECK(top > 2 * (__int128)total, "credits passed twice the sum");
	TW_CHECK(bad == 0, "largest sum: %u of 200000 picks differ from 128-bit "
		"credits", bad);
	w[3]++;
	TW_CHECK(rte_txweight_table_update(t, ports, w, NULL, N_PORTS) == -EINVAL,
		"weights summing to one over the largest sum refused");
}

static void
test_no_port_and_bad(void)
{
	struct rte_txweight_table *fresh = make_table();
	struct rte_txweight_swrr s;

	TW_CHECK(rte_txweight_swrr_init(NULL, fresh) == -EINVAL, "NULL swrr");
	TW_CHECK(rte_txweight_swrr_init(&s, NULL) == -EINVAL, "NULL table");
	TW_CHECK(rte_txweight_swrr_init(&s, fresh) == 0, "init on fresh table");
	TW_CHECK(rte_txweight_swrr_next(&s).port_id == RTE_TXWEIGHT_NO_PORT,
		"never-updated table: no port");
	rte_txweight_table_free(fresh);
}

int
main(void)
{
	struct rte_txweight_table *t;

	if (tw_eal_init("twswrr", N_PORTS, NULL, 0) != 0)
		return 1;
	if (rte_eth_dev_count_avail() < N_PORTS ||
			tw_ports_configure(N_PORTS, 4) != 0)
		return 1;
	t = make_table();
	TW_CHECK(t != NULL, "create");
	if (t != NULL) {
		test_shares(t);
		test_follows_table(t);
		test_same_weights_republished(t);
		test_queue_rotation(t);
		test_restart_on_change(t);
		test_queues_after_change(t);
		test_largest_weights(t);
		rte_txweight_table_free(t);
	}
	test_no_port_and_bad();
	rte_eal_cleanup();
	return tw_finish("test_swrr");
}
