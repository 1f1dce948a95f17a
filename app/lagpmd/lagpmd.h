/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

#ifndef LAGPMD_H
#define LAGPMD_H

/*
 * lagpmd: a testpmd-style forwarding tool whose TX is spread over its ports
 * in proportion to weights (effective link speeds, caps, or numbers the
 * user gives), rebalanced live.
 *
 * Model. Each forwarding lcore owns, on every port, the TX queues
 * q with q % nb_fwd_lcores == its index (a TX queue has one writer). It runs
 * a *schedule*: a ring of LP_SLOTS burst slots, each naming the (port,
 * queue) its next burst goes to. A rebalance assigns the slots to ports by
 * weight (rte_txweight_assign(), so the fewest slots move) and rotates each
 * port's slots over the lcore's queues of that port; the slots run in an
 * order that spreads each port's bursts over the round. Since every burst
 * carries the same number of packets, per-port packet shares follow the
 * slot shares to within 1 / LP_SLOTS.
 *
 * A new schedule is published with an atomic pointer store while the
 * lcores run; each lcore reports a quiescent state (DPDK RCU QSBR) between
 * bursts, and the old schedule is freed only once every online lcore has
 * done so. A burst is built and sent to the target read once, so no packet
 * is lost or sent twice by a swap.
 */

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_common.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>
#include <rte_udp.h>

/** Burst slots in one round of a forwarding lcore's schedule. */
#define LP_SLOTS 240

/** Largest burst. */
#define LP_MAX_BURST 512

/** Most forwarding lcores. */
#define LP_MAX_FWD_LCORES 64

/** Largest number of TX or RX queues per port the tool sets up. */
#define LP_MAX_QUEUES 64

/** The mbufs' data room, headroom included. */
#define LP_MBUF_DATA_SIZE RTE_MBUF_DEFAULT_BUF_SIZE

/** Shortest txonly packet: its Ethernet, IPv4 and UDP headers. */
#define LP_TXPKT_LEN_MIN ((uint16_t)(sizeof(struct rte_ether_hdr) + \
	sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_udp_hdr)))

/** Longest txonly packet: one mbuf's data room after the headroom. */
#define LP_TXPKT_LEN_MAX (LP_MBUF_DATA_SIZE - RTE_PKTMBUF_HEADROOM)

/** Forwarding modes. */
enum lp_fwd_mode {
	LP_FWD_TXONLY = 0, /**< generate packets */
	LP_FWD_IO,         /**< receive from the RX queues, send as is */
};

/** One slot of a schedule: where a burst goes. */
struct lp_slot {
	uint16_t port_id;  /**< ethdev port */
	uint16_t queue_id; /**< TX queue */
	uint16_t port_idx; /**< index in lp.ports[] */
};

/** A forwarding lcore's schedule (immutable once published). */
struct lp_sched {
	uint32_t n_slots;  /**< slots with a target (0: idle) */
	struct lp_slot slot[LP_SLOTS];
};

/** Counters of one lcore for one (port, TX queue): written by it alone. */
struct lp_stream_stats {
	uint64_t tx_packets; /**< accepted by rte_eth_tx_burst() */
	uint64_t tx_dropped; /**< not accepted, freed by lagpmd */
};

/** A forwarding lcore. */
struct lp_fwd_lcore {
	unsigned int lcore_id;
	unsigned int index;              /**< 0..nb_fwd_lcores-1, QSBR id */
	struct lp_sched *sched;          /**< published schedule */
	uint16_t owner[LP_SLOTS];        /**< slot -> port index, for assign */
	/* Per stream counters, [port index][queue]. */
	struct lp_stream_stats stats[RTE_MAX_ETHPORTS][LP_MAX_QUEUES];
	uint64_t generated;              /**< packets built (txonly) */
	uint64_t received;               /**< packets received (io) */
	uint64_t alloc_failed;           /**< bursts skipped: no mbuf */
} __rte_cache_aligned;

/** How a port's weight was last set. */
enum lp_weight_src {
	LP_WEIGHT_SPEED = 0, /**< from the link speed (and cap) */
	LP_WEIGHT_MANUAL,    /**< txq rebalance weights */
};

/** A forwarding port. */
struct lp_port {
	uint16_t port_id;
	bool lsc_intr;            /**< intr_conf.lsc enabled */
	bool dev_started;         /**< rte_eth_dev_start() succeeded */
	uint32_t cap_mbps;        /**< 0: none */
	uint64_t weight;          /**< current weight */
	uint32_t speed_seen;      /**< last speed lagpmd saw (Mb/s) */
	uint8_t status_seen;      /**< last link status lagpmd saw */
	uint64_t last_change_us;  /**< realtime, when lagpmd saw it change */
	struct rte_eth_stats start_stats; /**< snapshot at start */
};

/** Global configuration and state. */
struct lp_config {
	/* Options. */
	uint16_t nb_txq;
	uint16_t nb_rxq;
	uint16_t nb_txd;
	uint16_t nb_rxd;
	unsigned int nb_fwd_lcores;
	uint16_t burst;
	uint16_t txpkt_len;
	uint32_t total_num_mbufs;
	enum lp_fwd_mode mode;
	bool interactive;
	unsigned int stats_period; /**< seconds, 0: off */
	const char *cmdline_file;
	uint64_t portmask;         /**< 0: all */

	/* Ports. */
	unsigned int nb_ports;
	struct lp_port ports[RTE_MAX_ETHPORTS];

	/* Forwarding. */
	struct rte_mempool *pool;
	struct lp_fwd_lcore *lcores[LP_MAX_FWD_LCORES];
	struct rte_rcu_qsbr *qsbr;
	volatile bool stop_request;
	bool started;
	bool auto_rebalance;
	bool no_link_check;       /**< --disable-link-check */
	uint64_t rebalances;       /**< applied rebalances */
};

extern struct lp_config lp;

/** The SIGINT/SIGTERM received (0: none): the command line must end. */
extern volatile sig_atomic_t lp_quit_signal;

/* main.c */
int lp_port_index(uint16_t port_id);
uint64_t lp_now_us(void);   /* CLOCK_REALTIME, for display */
uint64_t lp_mono_ns(void);  /* CLOCK_MONOTONIC, for durations */

/* fwd.c */
int lp_fwd_init(void);
void lp_fwd_fini(void);
int lp_fwd_start(void);
int lp_fwd_stop(void);
void lp_fwd_stats_sum(unsigned int port_idx, uint64_t *tx, uint64_t *dropped);
uint64_t lp_fwd_generated(void);
int lp_txpkt_len_set(uint16_t len);

/* rebalance.c */
int lp_rebalance_init(void);
void lp_rebalance_fini(void);
void lp_rebalance_auto_check(void);
int lp_rebalance_speed(const char *why);
int lp_rebalance_apply(const uint64_t *weights, const char *why);
int lp_rebalance_weights(const uint64_t *values, const bool *set);
int lp_rebalance_cap(unsigned int port_idx, uint32_t cap_mbps);
void lp_rebalance_weights_get(uint64_t *weights);
void lp_txq_map_show(FILE *out);
void lp_txq_schedule_show(FILE *out);
void lp_port_speed_show(FILE *out, uint16_t port_id);
void lp_link_poll(uint16_t port_id);

/* display.c */
void lp_port_infos_display(uint16_t port_id);
void lp_port_summary_display(void);
void lp_port_stats_display(uint16_t port_id);
void lp_port_stats_display_all(void);
void lp_port_stats_clear(uint16_t port_id);
void lp_print_valid_ports(void);
void lp_stats_period_begin(void);
void lp_stats_period_display(bool clear_screen);

/* commands.c */
int lp_cli_run(void);

#endif /* LAGPMD_H */
