/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/*
 * Rebalancing: weights -> per-lcore schedules, published live; the LSC
 * callback and the control thread that rebalances on link changes; the
 * `show txq map`, `show txq schedule` and `show port speed` views.
 */

#include <inttypes.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_pmd_mlx5_lagspeed.h>
#include <rte_txweight.h>

#include "lagpmd.h"

/* Serializes the control path: CLI commands and the control thread. */
static pthread_mutex_t ctl_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * LSC events are only noted on the EAL interrupt thread (it prints the
 * event, sets a bit, signals); the control thread does the rest. A
 * rebalance waits for the forwarding lcores (QSBR) and takes ctl_lock,
 * which a CLI command may hold while it waits for the lcores to stop:
 * neither belongs on the thread that delivers every port's interrupts,
 * and reading the link from inside the callback would re-enter the PMD
 * (or the plugin) that is raising the event.
 */
static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ev_cond = PTHREAD_COND_INITIALIZER;
static uint64_t ev_pending;   /* bit per port index */
_Static_assert(RTE_MAX_ETHPORTS <= 64, "ev_pending holds one bit per port");
static uint64_t ev_first_ns;  /* when the oldest pending event came */
static bool ev_exit;
static pthread_t ev_thread;
static bool ev_thread_running;

/*
 * The last applied rebalance (under ctl_lock): how long it took (assign +
 * publish + QSBR wait), and when its map was in force (lp_mono_ns()).
 */
static uint64_t last_apply_ns;
static uint64_t last_done_ns;

/*
 * Fill an lcore's schedule from its owners: each port gets as many slots
 * as it owns, interleaved by smooth weighted round robin over those
 * counts, so that a port's bursts are spread over the round instead of
 * coming in one run (a run of a port's bursts would fill its TX ring
 * while the other ports' drain). The owners say only how many slots a
 * port has; which ones they are is assign's business (fewest moves), the
 * order they run in is this one's. A port's slots rotate over the lcore's
 * nq queues of that port.
 */
static void
sched_fill(struct lp_sched *sched, const uint16_t *owner, unsigned int lcore,
	unsigned int nq)
{
	unsigned int count[RTE_MAX_ETHPORTS] = { 0 };
	unsigned int used[RTE_MAX_ETHPORTS] = { 0 };
	int credit[RTE_MAX_ETHPORTS] = { 0 };
	unsigned int n = 0, p, s;

	if (nq == 0)
		return;
	for (s = 0; s < LP_SLOTS; s++) {
		if (owner[s] == RTE_TXWEIGHT_NO_PORT || owner[s] >= lp.nb_ports)
			continue;
		count[owner[s]]++;
		n++;
	}
	for (s = 0; s < n; s++) {
		struct lp_slot *slot;
		unsigned int best = 0;

		for (p = 0; p < lp.nb_ports; p++) {
			credit[p] += count[p];
			if (credit[p] > credit[best])
				best = p;
		}
		credit[best] -= n;
		slot = &sched->slot[sched->n_slots++];
		slot->port_idx = best;
		slot->port_id = lp.ports[best].port_id;
		slot->queue_id = lcore + (used[best]++ % nq) * lp.nb_fwd_lcores;
	}
}

/*
 * Publish one schedule per lcore from the owners given (one row per
 * lcore), which become the lcores' owners; caller holds ctl_lock. Every
 * schedule is built before any is published, so that a failed allocation
 * leaves every lcore on its old schedule and owners (all or nothing).
 */
static int
publish(uint16_t (*owner)[LP_SLOTS])
{
	struct lp_sched *ns[LP_MAX_FWD_LCORES], *old[LP_MAX_FWD_LCORES];
	unsigned int i;

	for (i = 0; i < lp.nb_fwd_lcores; i++) {
		unsigned int nq = 0;
		uint16_t q;

		for (q = i; q < lp.nb_txq; q += lp.nb_fwd_lcores)
			nq++;
		ns[i] = rte_zmalloc("lagpmd_sched", sizeof(*ns[i]), 0);
		if (ns[i] == NULL) {
			while (i-- > 0)
				rte_free(ns[i]);
			return -ENOMEM;
		}
		sched_fill(ns[i], owner[i], i, nq);
	}
	for (i = 0; i < lp.nb_fwd_lcores; i++) {
		struct lp_fwd_lcore *fl = lp.lcores[i];

		memcpy(fl->owner, owner[i], sizeof(fl->owner));
		old[i] = fl->sched;
		__atomic_store_n(&fl->sched, ns[i], __ATOMIC_RELEASE);
	}
	/* Every online lcore has finished the burst that may have read an
	 * old schedule once this returns; offline ones hold nothing.
	 */
	rte_rcu_qsbr_synchronize(lp.qsbr, RTE_QSBR_THRID_INVALID);
	for (i = 0; i < lp.nb_fwd_lcores; i++)
		rte_free(old[i]);
	return 0;
}

static unsigned int
port_slots(unsigned int p)
{
	unsigned int i, s, n = 0;

	for (i = 0; i < lp.nb_fwd_lcores; i++)
		for (s = 0; s < lp.lcores[i]->sched->n_slots; s++)
			n += lp.lcores[i]->sched->slot[s].port_idx == p;
	return n;
}

static unsigned int
total_slots(void)
{
	unsigned int i, n = 0;

	for (i = 0; i < lp.nb_fwd_lcores; i++)
		n += lp.lcores[i]->sched->n_slots;
	return n;
}

static double
pct(unsigned int part, unsigned int whole)
{
	return whole == 0 ? 0.0 : 100.0 * part / whole;
}

/* One line: what a rebalance did. Caller holds ctl_lock. */
static void
rebalance_log(const char *why, unsigned int moved)
{
	unsigned int p, total = total_slots();

	printf("txq rebalance %s: moved %u of %u slots:", why, moved,
		LP_SLOTS * lp.nb_fwd_lcores);
	for (p = 0; p < lp.nb_ports; p++)
		printf("%s port %u weight %" PRIu64 " share %.1f%%",
			p == 0 ? "" : ",", lp.ports[p].port_id,
			lp.ports[p].weight, pct(port_slots(p), total));
	printf("\n");
	fflush(stdout);
}

/* Apply weights (one per forwarding port); caller holds ctl_lock. */
static int
apply_locked(const uint64_t *weights, const char *why)
{
	uint16_t owner[LP_MAX_FWD_LCORES][LP_SLOTS];
	unsigned int i, p, moved = 0;
	uint64_t t0;
	int ret;

	t0 = lp_mono_ns();
	for (i = 0; i < lp.nb_fwd_lcores; i++) {
		memcpy(owner[i], lp.lcores[i]->owner, sizeof(owner[i]));
		ret = rte_txweight_assign(weights, lp.nb_ports, owner[i],
			LP_SLOTS);
		if (ret < 0)
			goto out;
		moved += ret;
	}
	ret = publish(owner);
	if (ret < 0)
		goto out;
	last_done_ns = lp_mono_ns();
	last_apply_ns = last_done_ns - t0;
	for (p = 0; p < lp.nb_ports; p++)
		lp.ports[p].weight = weights[p];
	lp.rebalances++;
	if (why != NULL)
		rebalance_log(why, moved);
	ret = (int)moved;
out:
	if (ret == -ENOENT)
		fprintf(stderr, "Every weight is zero: TX map unchanged\n");
	else if (ret == -EINVAL)
		fprintf(stderr, "txq rebalance failed: the weights add up to "
			"more than %" PRIu64 "\n", RTE_TXWEIGHT_WEIGHT_SUM_MAX);
	else if (ret < 0)
		fprintf(stderr, "txq rebalance failed: %s\n", strerror(-ret));
	return ret;
}

int
lp_rebalance_apply(const uint64_t *weights, const char *why)
{
	int ret;

	pthread_mutex_lock(&ctl_lock);
	ret = apply_locked(weights, why);
	pthread_mutex_unlock(&ctl_lock);
	return ret;
}

/*
 * The weights of the links' speeds and caps (caller holds ctl_lock): the
 * number of usable links, or a negative errno, said.
 */
static int
link_weights_locked(uint64_t *weights)
{
	uint16_t port_ids[RTE_MAX_ETHPORTS];
	uint32_t caps[RTE_MAX_ETHPORTS];
	unsigned int p;
	int ret;

	for (p = 0; p < lp.nb_ports; p++) {
		port_ids[p] = lp.ports[p].port_id;
		caps[p] = lp.ports[p].cap_mbps;
	}
	ret = rte_txweight_weights_from_links(port_ids, caps, lp.nb_ports,
		weights);
	if (ret < 0)
		fprintf(stderr, "Cannot read the links: %s\n", strerror(-ret));
	return ret;
}

/* Rebalance by the links' speeds and caps; caller holds ctl_lock. */
static int
speed_locked(const char *why)
{
	uint64_t weights[RTE_MAX_ETHPORTS];
	int ret;

	ret = link_weights_locked(weights);
	if (ret < 0)
		return ret;
	if (ret == 0) {
		fprintf(stderr, "No port has a usable link: TX map unchanged\n");
		return -ENOENT;
	}
	return apply_locked(weights, why);
}

int
lp_rebalance_speed(const char *why)
{
	int ret;

	pthread_mutex_lock(&ctl_lock);
	ret = speed_locked(why);
	pthread_mutex_unlock(&ctl_lock);
	return ret;
}

/*
 * Manual weights for the ports with set[i]; the others keep theirs. Under
 * the lock, so that an automatic rebalance cannot slip in between reading
 * the current weights and applying the new ones.
 */
int
lp_rebalance_weights(const uint64_t *values, const bool *set)
{
	uint64_t weights[RTE_MAX_ETHPORTS];
	unsigned int i;
	int ret;

	pthread_mutex_lock(&ctl_lock);
	for (i = 0; i < lp.nb_ports; i++)
		weights[i] = set[i] ? values[i] : lp.ports[i].weight;
	ret = apply_locked(weights, "by weights");
	pthread_mutex_unlock(&ctl_lock);
	return ret;
}

/* Cap a port's speed-derived weight (0: no cap), then rebalance by speed. */
int
lp_rebalance_cap(unsigned int port_idx, uint32_t cap_mbps)
{
	struct lp_port *port = &lp.ports[port_idx];
	int ret;

	pthread_mutex_lock(&ctl_lock);
	if (cap_mbps == 0 && port->cap_mbps == 0)
		printf("Port %u: no TX cap to remove\n", port->port_id);
	else if (cap_mbps == 0)
		printf("Port %u: TX cap removed (was %u Mbps)\n",
			port->port_id, port->cap_mbps);
	else
		printf("Port %u: TX cap %u Mbps\n", port->port_id, cap_mbps);
	port->cap_mbps = cap_mbps;
	ret = speed_locked("by speed (cap)");
	pthread_mutex_unlock(&ctl_lock);
	return ret;
}

/* Note a port's link; remember when it changed. */
void
lp_link_poll(uint16_t port_id)
{
	struct rte_eth_link link;
	int idx = lp_port_index(port_id);
	struct lp_port *port;

	if (idx < 0 || rte_eth_link_get_nowait(port_id, &link) != 0)
		return;
	port = &lp.ports[idx];
	/* The control thread and the command line both note links. */
	pthread_mutex_lock(&ctl_lock);
	if (link.link_speed != port->speed_seen ||
			link.link_status != port->status_seen) {
		port->speed_seen = link.link_speed;
		port->status_seen = link.link_status;
		port->last_change_us = lp_now_us();
	}
	pthread_mutex_unlock(&ctl_lock);
}

static void *
ev_thread_main(void *arg __rte_unused)
{
	pthread_mutex_lock(&ev_lock);
	for (;;) {
		uint64_t pending, event_ns;
		unsigned int p;

		while (ev_pending == 0 && !ev_exit)
			pthread_cond_wait(&ev_cond, &ev_lock);
		if (ev_exit)
			break;
		pending = ev_pending;
		ev_pending = 0;
		event_ns = ev_first_ns;
		pthread_mutex_unlock(&ev_lock);

		for (p = 0; p < lp.nb_ports; p++)
			if (pending & (UINT64_C(1) << p))
				lp_link_poll(lp.ports[p].port_id);
		if (__atomic_load_n(&lp.auto_rebalance, __ATOMIC_ACQUIRE)) {
			char why[64];
			unsigned int first = __builtin_ctzll(pending);

			snprintf(why, sizeof(why),
				"by speed (auto, port %u link state change)",
				lp.ports[first].port_id);
			uint64_t done_ns, took_ns;
			int ret;

			/* Times read with the lock: a command may rebalance next. */
			pthread_mutex_lock(&ctl_lock);
			ret = speed_locked(why);
			done_ns = last_done_ns;
			took_ns = last_apply_ns;
			pthread_mutex_unlock(&ctl_lock);
			if (ret >= 0) {
				/* How long the TX map lagged the event. */
				printf("txq rebalance published %.1f us after "
					"the event, in %.1f us\n",
					(done_ns - event_ns) / 1e3, took_ns / 1e3);
				fflush(stdout);
			}
		}
		pthread_mutex_lock(&ev_lock);
	}
	pthread_mutex_unlock(&ev_lock);
	return NULL;
}

/* EAL interrupt thread: print as testpmd does, hand the rest over. */
static int
lsc_event_cb(uint16_t port_id, enum rte_eth_event_type type,
	void *param __rte_unused, void *ret_param __rte_unused)
{
	int idx;

	if (type != RTE_ETH_EVENT_INTR_LSC)
		return 0;
	printf("\nPort %" PRIu16 ": %s event\n", port_id, "link state change");
	fflush(stdout);
	idx = lp_port_index(port_id);
	if (idx < 0)
		return 0;
	pthread_mutex_lock(&ev_lock);
	if (ev_pending == 0)
		ev_first_ns = lp_mono_ns();
	ev_pending |= UINT64_C(1) << idx;
	pthread_cond_signal(&ev_cond);
	pthread_mutex_unlock(&ev_lock);
	return 0;
}

int
lp_rebalance_init(void)
{
	uint64_t w[RTE_MAX_ETHPORTS];
	unsigned int p;
	int ret;

	for (p = 0; p < lp.nb_ports; p++)
		lp_link_poll(lp.ports[p].port_id);
	/* The startup speeds are no "change". */
	for (p = 0; p < lp.nb_ports; p++)
		lp.ports[p].last_change_us = 0;
	ret = pthread_create(&ev_thread, NULL, ev_thread_main, NULL);
	if (ret != 0)
		return -ret;
	ev_thread_running = true;
	ret = rte_eth_dev_callback_register(RTE_ETH_ALL,
		RTE_ETH_EVENT_INTR_LSC, lsc_event_cb, NULL);
	if (ret != 0)
		return ret;
	/*
	 * Start by speed; when no link is usable, every port gets an equal
	 * weight so that forwarding still runs. The initial map is not a
	 * rebalance.
	 */
	pthread_mutex_lock(&ctl_lock);
	ret = link_weights_locked(w);
	if (ret <= 0) {
		/* Not said when a signal cut the link check short. */
		if (lp_quit_signal == 0)
			printf("%severy port starts with an equal weight\n",
				ret == 0 ? "No port has a usable link: " :
				"Links unread: ");
		fflush(stdout);
		for (p = 0; p < lp.nb_ports; p++)
			w[p] = 1;
	}
	ret = apply_locked(w, NULL);
	lp.rebalances = 0;
	pthread_mutex_unlock(&ctl_lock);
	if (ret >= 0 && lp.auto_rebalance)
		lp_rebalance_auto_check();
	return ret < 0 ? ret : 0;
}

/*
 * Automatic rebalancing waits for LSC events: say so when no forwarding
 * port can raise one, neither its PMD (LSC interrupts) nor the lagspeed
 * plugin (net_null without the plugin, say).
 */
void
lp_rebalance_auto_check(void)
{
	struct rte_pmd_mlx5_lagspeed_info info;
	unsigned int p;

	for (p = 0; p < lp.nb_ports; p++)
		if (lp.ports[p].lsc_intr || rte_pmd_mlx5_lagspeed_info_get_dyn(
				lp.ports[p].port_id, &info) == 0)
			return;
	printf("Warning: no forwarding port raises link state change "
		"interrupts: nothing will trigger a rebalance\n");
}

void
lp_rebalance_fini(void)
{
	/* -EAGAIN: the callback runs right now; it is short, try again. */
	while (rte_eth_dev_callback_unregister(RTE_ETH_ALL,
			RTE_ETH_EVENT_INTR_LSC, lsc_event_cb, NULL) == -EAGAIN)
		rte_delay_us_sleep(1000);
	if (ev_thread_running) {
		pthread_mutex_lock(&ev_lock);
		ev_exit = true;
		pthread_cond_signal(&ev_cond);
		pthread_mutex_unlock(&ev_lock);
		pthread_join(ev_thread, NULL);
		ev_thread_running = false;
	}
}

static uint32_t
link_speed_mbps(uint16_t port_id)
{
	struct rte_eth_link link;

	if (rte_eth_link_get_nowait(port_id, &link) != 0 ||
			!link.link_status ||
			link.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN)
		return 0;
	return link.link_speed;
}

/* Every forwarding port's weight, read under the lock rebalances take. */
void
lp_rebalance_weights_get(uint64_t *weights)
{
	unsigned int p;

	pthread_mutex_lock(&ctl_lock);
	for (p = 0; p < lp.nb_ports; p++)
		weights[p] = lp.ports[p].weight;
	pthread_mutex_unlock(&ctl_lock);
}

void
lp_txq_map_show(FILE *out)
{
	unsigned int i, p, s, total;
	uint16_t q;

	pthread_mutex_lock(&ctl_lock);
	total = total_slots();
	for (p = 0; p < lp.nb_ports; p++) {
		unsigned int txqs = 0;

		for (i = 0; i < lp.nb_fwd_lcores; i++) {
			const struct lp_sched *sc = lp.lcores[i]->sched;
			bool seen[LP_MAX_QUEUES] = { false };

			for (s = 0; s < sc->n_slots; s++)
				if (sc->slot[s].port_idx == p &&
						!seen[sc->slot[s].queue_id]) {
					seen[sc->slot[s].queue_id] = true;
					txqs++;
				}
		}
		fprintf(out, "port %u  speed %u  weight %" PRIu64
			"  txqs %u  share %.1f%%\n", lp.ports[p].port_id,
			link_speed_mbps(lp.ports[p].port_id),
			lp.ports[p].weight, txqs, pct(port_slots(p), total));
	}
	for (i = 0; i < lp.nb_fwd_lcores; i++) {
		const struct lp_sched *sc = lp.lcores[i]->sched;

		for (p = 0; p < lp.nb_ports; p++)
			for (q = i; q < lp.nb_txq; q += lp.nb_fwd_lcores) {
				unsigned int n = 0;

				for (s = 0; s < sc->n_slots; s++)
					n += sc->slot[s].port_idx == p &&
						sc->slot[s].queue_id == q;
				fprintf(out, "  lcore %u  port %u  txq %u  "
					"slots %u  share %.1f%%\n",
					lp.lcores[i]->lcore_id,
					lp.ports[p].port_id, q, n,
					pct(n, total));
			}
	}
	pthread_mutex_unlock(&ctl_lock);
}

/* Each lcore's round: its slots' port/queue in the order they run. */
void
lp_txq_schedule_show(FILE *out)
{
	unsigned int i, s;

	pthread_mutex_lock(&ctl_lock);
	for (i = 0; i < lp.nb_fwd_lcores; i++) {
		const struct lp_sched *sc = lp.lcores[i]->sched;

		fprintf(out, "lcore %u  slots %u  (port/txq in the order they "
			"run)", lp.lcores[i]->lcore_id, sc->n_slots);
		for (s = 0; s < sc->n_slots; s++)
			fprintf(out, "%s%u/%u", s % 16 == 0 ? "\n   " : " ",
				sc->slot[s].port_id, sc->slot[s].queue_id);
		fprintf(out, "\n");
	}
	pthread_mutex_unlock(&ctl_lock);
}

static void
time_str(uint64_t us, char *buf, size_t len)
{
	struct tm tm;
	time_t sec = (time_t)(us / 1000000);

	if (us == 0 || gmtime_r(&sec, &tm) == NULL) {
		snprintf(buf, len, "never");
		return;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ",
		tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		tm.tm_min, tm.tm_sec, (unsigned int)(us % 1000000));
}

void
lp_port_speed_show(FILE *out, uint16_t port_id)
{
	struct rte_pmd_mlx5_lagspeed_info info;
	struct rte_eth_link link;
	char when[80];
	int idx = lp_port_index(port_id);
	uint64_t last_us = 0;
	int ret;

	if (rte_eth_link_get_nowait(port_id, &link) != 0)
		memset(&link, 0, sizeof(link));
	ret = rte_pmd_mlx5_lagspeed_info_get_dyn(port_id, &info);
	if (ret == 0) {
		time_str(info.last_change_us, when, sizeof(when));
		fprintf(out, "port %u  speed %u Mbps  link %s  pmd-speed %u Mbps"
			"  source lagspeed (%s port %u)  state %s",
			port_id, link.link_speed,
			link.link_status ? "up" : "down", info.pmd_speed,
			info.ib_device, info.ib_port,
			rte_pmd_mlx5_lagspeed_state_name(info.state));
		if (info.last_error != 0)
			fprintf(out, " (%s)", strerror(info.last_error));
		fprintf(out, "  last-change %s\n", when);
		return;
	}
	if (idx >= 0) {
		lp_link_poll(port_id);
		pthread_mutex_lock(&ctl_lock);
		last_us = lp.ports[idx].last_change_us;
		pthread_mutex_unlock(&ctl_lock);
	}
	time_str(last_us, when, sizeof(when));
	fprintf(out, "port %u  speed %u Mbps  link %s  pmd-speed %u Mbps"
		"  source pmd  last-change %s\n", port_id, link.link_speed,
		link.link_status ? "up" : "down", link.link_speed, when);
}
