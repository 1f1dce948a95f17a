/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/*
 * Integration test on net_null ports: weights from the links (with caps
 * and a port set down), packets sent through the flow table and by SWRR,
 * counted by the ports themselves (rte_eth_stats opackets): the shares
 * follow the weights, and across live rebalances made while another lcore
 * transmits, every packet sent is counted exactly once.
 */

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "rte_txweight.h"
#include "tw_test.h"
#include "tw_tx.h"

#define N_PORTS 4
#define NB_TXQ 2

static uint16_t ports[N_PORTS] = { 0, 1, 2, 3 };
static const uint16_t nb_queues[N_PORTS] = { NB_TXQ, NB_TXQ, NB_TXQ, NB_TXQ };
static struct rte_mempool *pool;

static void
port_opackets(uint64_t *out)
{
	struct rte_eth_stats st;
	unsigned int i;

	for (i = 0; i < N_PORTS; i++) {
		rte_eth_stats_get(ports[i], &st);
		out[i] = st.opackets;
	}
}

/* The largest |share - weight share| in percent. */
static double
share_error_pct(const uint64_t *count, const uint64_t *w)
{
	uint64_t total = 0, wsum = 0;
	double worst = 0;
	unsigned int i;

	for (i = 0; i < N_PORTS; i++) {
		total += count[i];
		wsum += w[i];
	}
	for (i = 0; i < N_PORTS && total != 0; i++) {
		double e = 100.0 * ((double)count[i] / total - (double)w[i] / wsum);

		worst = RTE_MAX(worst, e < 0 ? -e : e);
	}
	return worst;
}

static int
alloc_burst(struct rte_mbuf **pkts)
{
	unsigned int i;

	if (rte_pktmbuf_alloc_bulk(pool, pkts, TW_BURST) != 0)
		return -1;
	for (i = 0; i < TW_BURST; i++) {
		pkts[i]->data_len = 64;
		pkts[i]->pkt_len = 64;
	}
	return 0;
}

static void
test_weights_from_links(uint64_t *w)
{
	uint32_t caps[N_PORTS] = { 0, 5000, 2500, 0 };
	uint16_t bad[2] = { 0, 17 };
	struct rte_eth_link link;
	int ret;

	memset(&link, 0, sizeof(link));
	TW_CHECK(rte_eth_link_get_nowait(ports[0], &link) == 0,
		"link of port %u", ports[0]);
	ret = rte_txweight_weights_from_links(ports, caps, N_PORTS, w);
	TW_CHECK(ret == N_PORTS && w[0] == link.link_speed && w[1] == 5000 &&
		w[2] == 2500 && w[3] == link.link_speed,
		"weights %d: %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64, ret,
		w[0], w[1], w[2], w[3]);
	/* net_null has no set_link_down; a stopped port reports its link down */
	TW_CHECK(rte_eth_dev_stop(ports[3]) == 0, "stop port 3");
	ret = rte_txweight_weights_from_links(ports, caps, N_PORTS, w);
	TW_CHECK(ret == 3 && w[3] == 0, "port 3 down: %d, weight %" PRIu64, ret, w[3]);
	ret = rte_txweight_weights_from_links(ports, NULL, 2, w);
	TW_CHECK(ret == 2 && w[1] == link.link_speed, "no caps");
	TW_CHECK(rte_txweight_weights_from_links(bad, NULL, 2, w) == -EINVAL,
		"invalid port");
	TW_CHECK(rte_txweight_weights_from_links(ports, NULL, 0, w) == -EINVAL, "n 0");
	TW_CHECK(rte_eth_dev_start(ports[3]) == 0, "start port 3");
	ret = rte_txweight_weights_from_links(ports, caps, N_PORTS, w);
	TW_CHECK(ret == N_PORTS, "port 3 up again: %d", ret);
}

/* One lcore sends 1 M packets through the table: shares and counts. */
static void
test_table_shares(struct rte_txweight_table *t, const uint64_t *w)
{
	uint64_t before[N_PORTS], after[N_PORTS], sent[RTE_MAX_ETHPORTS] = { 0 };
	uint64_t delta[N_PORTS];
	struct rte_mbuf *pkts[TW_BURST];
	uint32_t hashes[TW_BURST], flow = 0;
	unsigned int b, i, dropped = 0;
	static struct tw_tx_ctx ctx;
	int ret;

	tw_tx_ctx_init(&ctx);

	ret = rte_txweight_table_update(t, ports, w, nb_queues, N_PORTS);
	TW_CHECK(ret >= 0, "update %d", ret);
	port_opackets(before);
	for (b = 0; b < 1000000 / TW_BURST; b++) {
		if (alloc_burst(pkts) != 0) {
			TW_CHECK(false, "mbuf pool empty");
			return;
		}
		for (i = 0; i < TW_BURST; i++)
			hashes[i] = tw_mix32(flow++);
		dropped += tw_tx_table_burst(&ctx, t, pkts, hashes, TW_BURST, sent);
	}
	port_opackets(after);
	for (i = 0; i < N_PORTS; i++) {
		delta[i] = after[i] - before[i];
		TW_CHECK(delta[i] == sent[ports[i]], "port %u: counted %" PRIu64
			", sent %" PRIu64, i, delta[i], sent[ports[i]]);
	}
	TW_CHECK(dropped == 0, "%u packets without port", dropped);
	printf("table shares: %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
		", error %.3f%%\n", delta[0], delta[1], delta[2], delta[3],
		share_error_pct(delta, w));
	TW_CHECK(share_error_pct(delta, w) < 0.5, "share error %.3f%%",
		share_error_pct(delta, w));
}

/*
 * The burst helper's three grouping paths (one target, two, more): every
 * packet reaches the port its lookup chose, once.
 */
static void
test_grouping_paths(struct rte_txweight_table *t)
{
	static const uint16_t one_queue[N_PORTS] = { 1, 1, 1, 1 };
	static const struct {
		unsigned int n_ports;
		const uint16_t *nbq;
	} configs[] = {
		{ 1, one_queue }, { 2, one_queue }, { 3, one_queue }, { 2, nb_queues },
	};
	static struct tw_tx_ctx ctx;
	uint64_t w[N_PORTS] = { 5, 3, 2, 1 };
	uint64_t before[N_PORTS], after[N_PORTS], sent[RTE_MAX_ETHPORTS];
	uint64_t expect[RTE_MAX_ETHPORTS];
	struct rte_mbuf *pkts[TW_BURST];
	uint32_t hashes[TW_BURST], flow = 0;
	unsigned int c, b, i;

	tw_tx_ctx_init(&ctx);
	for (c = 0; c < RTE_DIM(configs); c++) {
		rte_txweight_table_update(t, ports, w, configs[c].nbq, configs[c].n_ports);
		memset(sent, 0, sizeof(sent));
		memset(expect, 0, sizeof(expect));
		port_opackets(before);
		for (b = 0; b < 3000; b++) {
			/* bursts of every length up to 32 */
			uint16_t n = (uint16_t)(1 + b % TW_BURST);

			if (alloc_burst(pkts) != 0) {
				TW_CHECK(false, "mbuf pool empty");
				return;
			}
			for (i = 0; i < TW_BURST; i++) {
				hashes[i] = tw_mix32(flow++);
				if (i < n)
					expect[rte_txweight_table_lookup(t, hashes[i]).port_id]++;
			}
			rte_pktmbuf_free_bulk(&pkts[n], TW_BURST - n);
			tw_tx_table_burst(&ctx, t, pkts, hashes, n, sent);
		}
		port_opackets(after);
		for (i = 0; i < N_PORTS; i++)
			TW_CHECK(after[i] - before[i] == expect[ports[i]] &&
				sent[ports[i]] == expect[ports[i]],
				"config %u port %u: counted %" PRIu64 ", sent %" PRIu64
				", looked up %" PRIu64, c, i, after[i] - before[i],
				sent[ports[i]], expect[ports[i]]);
	}
}

/* SWRR per packet: after a multiple of the period, shares are exact. */
static void
test_swrr_exact(struct rte_txweight_table *t)
{
	uint64_t w[N_PORTS] = { 40, 20, 10, 0 };
	uint64_t before[N_PORTS], after[N_PORTS], period = 7, packets;
	struct rte_txweight_swrr s;
	struct rte_mbuf *pkts[TW_BURST];
	unsigned int i;
	uint64_t k = 0;

	rte_txweight_table_update(t, ports, w, nb_queues, N_PORTS);
	rte_txweight_swrr_init(&s, t);
	packets = period * TW_BURST * 2000;
	port_opackets(before);
	while (k < packets) {
		if (alloc_burst(pkts) != 0) {
			TW_CHECK(false, "mbuf pool empty");
			return;
		}
		for (i = 0; i < TW_BURST; i++, k++) {
			struct rte_txweight_target tg = rte_txweight_swrr_next(&s);

			tw_tx_all(tg.port_id, tg.queue_id, &pkts[i], 1);
		}
	}
	port_opackets(after);
	for (i = 0; i < N_PORTS; i++)
		TW_CHECK(after[i] - before[i] == packets * w[i] / 70, "swrr port %u: %" PRIu64
			", want %" PRIu64, i, after[i] - before[i], packets * w[i] / 70);
}

/* Live rebalance: lcore 1 transmits while the main lcore updates. */
struct live_state {
	struct rte_txweight_table *t;
	volatile int stop;
	uint64_t sent[RTE_MAX_ETHPORTS];
	uint64_t dropped, bursts;
	uint64_t not_permuted; /* bursts the split did not just reorder */
	int failed;
	struct tw_tx_ctx ctx;
};

/* Sum and xor of a burst's mbuf addresses: a reordering keeps both. */
static void
burst_fingerprint(struct rte_mbuf *const *pkts, uint64_t *sum, uint64_t *x)
{
	unsigned int i;

	*sum = 0;
	*x = 0;
	for (i = 0; i < TW_BURST; i++) {
		*sum += (uintptr_t)pkts[i];
		*x ^= (uintptr_t)pkts[i];
	}
}

static int
live_sender(void *arg)
{
	struct live_state *ls = arg;
	struct rte_mbuf *pkts[TW_BURST];
	uint32_t hashes[TW_BURST], flow = 0;
	unsigned int i;

	tw_tx_ctx_init(&ls->ctx);
	rte_txweight_table_reader_register(ls->t, 0);
	while (!ls->stop) {
		if (alloc_burst(pkts) != 0) {
			ls->failed = 1;
			break;
		}
		uint64_t sum0, x0, sum1, x1;
		unsigned int off = 0;
		int g, n_groups;

		for (i = 0; i < TW_BURST; i++)
			hashes[i] = tw_mix32(flow++);
		/*
		 * tw_tx_table_burst(), with a check between the split and the
		 * sends that every mbuf is still there once: a split that lost
		 * one and doubled another would keep the ports' counts right.
		 */
		burst_fingerprint(pkts, &sum0, &x0);
		n_groups = rte_txweight_table_split(ls->t, pkts, hashes, TW_BURST,
			ls->ctx.targets, ls->ctx.counts);
		burst_fingerprint(pkts, &sum1, &x1);
		ls->not_permuted += sum0 != sum1 || x0 != x1;
		for (g = 0; g < n_groups; g++) {
			ls->dropped += tw_tx_group(ls->ctx.targets[g], &pkts[off],
				ls->ctx.counts[g], ls->sent);
			off += ls->ctx.counts[g];
		}
		ls->bursts++;
		rte_txweight_table_quiescent(ls->t, 0);
	}
	rte_txweight_table_reader_unregister(ls->t, 0);
	return 0;
}

/*
 * The packets each port sends in a window of at least 120 ms, from counts
 * a (taken at its start) to b. Under valgrind (tw_test_slow()) the sender
 * runs far slower, and more so beside other tests: there the window goes
 * on, in sleeps that leave valgrind's one running thread to the sender,
 * until it holds the 40,000 packets a share needs, within a bound.
 */
static void
measure_window(const uint64_t *a, uint64_t *b, uint64_t *d)
{
	const uint64_t hz = rte_get_timer_hz();
	const uint64_t start = rte_get_timer_cycles();
	const uint64_t min_end = start + hz * 120 / 1000;
	const uint64_t max_end = start + hz * 600 / 1000 * tw_test_slow();
	uint64_t total, now;
	unsigned int i;

	do {
		rte_delay_us_sleep(10 * 1000);
		port_opackets(b);
		total = 0;
		for (i = 0; i < N_PORTS; i++) {
			d[i] = b[i] - a[i];
			total += d[i];
		}
		now = rte_get_timer_cycles();
	} while (now < min_end || (tw_test_slow() > 1 && total < 40000 &&
			now < max_end));
}

static void
test_live_rebalance(struct rte_txweight_table *t, unsigned int worker)
{
	static const uint64_t phases[][N_PORTS] = {
		{ 1, 1, 1, 1 },
		{ 100000, 25000, 0, 25000 },
		{ 0, 0, 10000, 30000 },
		{ 400000, 1000, 1000, 1000 },
		{ 3, 2, 2, 1 },
	};
	static struct live_state ls;
	uint64_t start[N_PORTS], end[N_PORTS], a[N_PORTS], b[N_PORTS], d[N_PORTS];
	uint64_t counted = 0, sent = 0;
	unsigned int p, i;

	memset(&ls, 0, sizeof(ls));
	ls.t = t;
	rte_txweight_table_update(t, ports, phases[0], nb_queues, N_PORTS);
	port_opackets(start);
	rte_eal_remote_launch(live_sender, &ls, worker);
	for (p = 1; p < RTE_DIM(phases); p++) {
		int ret = rte_txweight_table_update(t, ports, phases[p], nb_queues, N_PORTS);

		TW_CHECK(ret > 0, "phase %u update %d", p, ret);
		/*
		 * The update returned: the sender went quiescent since, so it
		 * now sees only the new mapping. Measure its shares.
		 */
		port_opackets(a);
		measure_window(a, b, d);
		printf("phase %u: %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
			", error %.3f%%\n", p, d[0], d[1], d[2], d[3],
			share_error_pct(d, phases[p]));
		TW_CHECK(d[0] + d[1] + d[2] + d[3] > 20000, "phase %u: too few packets", p);
		TW_CHECK(share_error_pct(d, phases[p]) < 1.0, "phase %u: share error %.3f%%",
			p, share_error_pct(d, phases[p]));
		for (i = 0; i < N_PORTS; i++)
			if (phases[p][i] == 0)
				TW_CHECK(d[i] == 0, "phase %u: port %u has weight 0 but sent %"
					PRIu64, p, i, d[i]);
	}
	ls.stop = 1;
	rte_eal_wait_lcore(worker);
	port_opackets(end);
	TW_CHECK(!ls.failed, "sender ran out of mbufs");
	for (i = 0; i < N_PORTS; i++) {
		TW_CHECK(end[i] - start[i] == ls.sent[ports[i]], "port %u: counted %"
			PRIu64 ", sent %" PRIu64, i, end[i] - start[i], ls.sent[ports[i]]);
		counted += end[i] - start[i];
		sent += ls.sent[ports[i]];
	}
	TW_CHECK(ls.dropped == 0, "%" PRIu64 " packets had no port", ls.dropped);
	TW_CHECK(ls.not_permuted == 0, "%" PRIu64 " of %" PRIu64 " bursts lost or "
		"doubled an mbuf in the split", ls.not_permuted, ls.bursts);
	TW_CHECK(counted == sent && sent == ls.bursts * TW_BURST,
		"across the rebalances: %" PRIu64 " counted, %" PRIu64 " sent, %" PRIu64
		" made", counted, sent, ls.bursts * TW_BURST);
	printf("live: %" PRIu64 " packets over %zu rebalances, all counted once\n",
		sent, RTE_DIM(phases) - 1);
}

int
main(void)
{
	struct rte_txweight_table_params params = {
		.name = "null_tx", .size = 4096, .socket_id = SOCKET_ID_ANY,
		.max_readers = 2,
	};
	struct rte_txweight_table *t;
	uint64_t w[N_PORTS];
	unsigned int i, worker;

	if (tw_eal_init("twnull", N_PORTS, NULL, 0) != 0)
		return 1;
	pool = rte_pktmbuf_pool_create("tw_pool", 8191, 256, 0,
		RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (pool == NULL || rte_eth_dev_count_avail() < N_PORTS)
		return 1;
	for (i = 0; i < N_PORTS; i++)
		if (tw_port_setup(ports[i], NB_TXQ, pool) != 0) {
			fprintf(stderr, "port %u setup failed\n", i);
			return 1;
		}
	worker = rte_get_next_lcore(-1, 1, 0);
	t = rte_txweight_table_create(&params);
	TW_CHECK(t != NULL && worker < RTE_MAX_LCORE, "table and worker lcore");
	if (t != NULL && worker < RTE_MAX_LCORE) {
		test_weights_from_links(w);
		test_table_shares(t, w);
		test_grouping_paths(t);
		test_swrr_exact(t);
		test_live_rebalance(t, worker);
	}
	rte_txweight_table_free(t);
	for (i = 0; i < N_PORTS; i++) {
		rte_eth_dev_stop(ports[i]);
		rte_eth_dev_close(ports[i]);
	}
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return tw_finish("test_null_tx");
}
