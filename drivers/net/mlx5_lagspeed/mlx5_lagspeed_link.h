/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/*
 * The link model, free of DPDK internals and of verbs: units and limits,
 * how the effective speed rewrites a PMD link, what counts as a change,
 * which async events call for a re-query.
 */

#ifndef MLX5_LAGSPEED_LINK_H
#define MLX5_LAGSPEED_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>

/*
 * A port's effective link, published as one 64-bit word so that the
 * link_update wrapper reads it lock-free: 0 = nothing to apply (the PMD's
 * own link stands); otherwise VALID, UP when the function is up, and the
 * speed in Mb/s in the low 32 bits.
 */
#define LAGSPEED_EFF_VALID (UINT64_C(1) << 63)
#define LAGSPEED_EFF_UP (UINT64_C(1) << 32)
#define LAGSPEED_EFF_SPEED_MASK UINT64_C(0xffffffff)

/**
 * The largest speed reported: faster effective speeds are clamped here,
 * below RTE_ETH_SPEED_NUM_UNKNOWN (UINT32_MAX), which would mean unknown.
 */
#define LAGSPEED_SPEED_MAX_MBPS (UINT32_MAX - 1)

/** The verb's 100 Mb/s units to Mb/s, clamped. */
uint32_t lagspeed_speed_mbps(uint64_t speed_100mbps);

/** The word for a successful query. */
uint64_t lagspeed_eff_from_query(uint64_t speed_100mbps);

/** The speed (Mb/s) and whether up, from a word. */
static inline uint32_t
lagspeed_eff_speed(uint64_t eff)
{
	return (uint32_t)(eff & LAGSPEED_EFF_SPEED_MASK);
}

static inline bool
lagspeed_eff_up(uint64_t eff)
{
	return (eff & LAGSPEED_EFF_UP) != 0;
}

/** A link as the 64-bit word dev_link is read and written in. */
union lagspeed_link_word {
	uint64_t word;
	struct rte_eth_link link;
};

/**
 * Whether the record changed. What an application sees may still be the
 * same (see lagspeed_link_apply()): LSC is raised on that, not on this.
 */
bool lagspeed_eff_changed(uint64_t old_eff, uint64_t new_eff);

/**
 * A PMD link rewritten with the effective link: speed = effective speed;
 * a function that is down is link down with speed 0; status (when up),
 * duplex and autoneg stay the PMD's. eff 0, or a link the PMD reports
 * down, leaves the link as it is.
 */
struct rte_eth_link lagspeed_link_apply(struct rte_eth_link pmd_link,
	uint64_t eff);

/**
 * A verb's return value as 0 or a positive errno, whatever its convention:
 * a positive errno (rdma-core's man page), a negative one (the vendor's
 * text), or -1 with @p err the errno read right after the call.
 */
int lagspeed_verb_errno(int ret, int err);

/**
 * Whether an errno means the verb is not there (the PMD's speed is kept
 * for good): EOPNOTSUPP/ENOTSUP, EPROTONOSUPPORT, ENOSYS.
 */
bool lagspeed_errno_unsupported(int err);

/** What an async event asks of the plugin. */
enum lagspeed_event_action {
	LAGSPEED_EVENT_IGNORE,   /**< ack and forget */
	LAGSPEED_EVENT_REQUERY,  /**< re-query the ports in the mask */
	LAGSPEED_EVENT_FATAL,    /**< the device is gone: detach */
};

/** The value of IBV_EVENT_DEVICE_SPEED_CHANGE (rdma-core >= 62). */
#define LAGSPEED_IBV_EVENT_DEVICE_SPEED_CHANGE 20

/**
 * Classify an async event; for REQUERY, add to @p dirty the IB ports to
 * re-query (bit N = port N; a device-scoped event, port_num 0, or a port
 * beyond 63 marks them all). Many events in one wake-up fold into one
 * mask: each port is then queried once.
 */
enum lagspeed_event_action lagspeed_event_classify(int event_type,
	uint32_t port_num, uint64_t *dirty);

/** Whether IB port @p ib_port is in a dirty mask. */
static inline bool
lagspeed_event_port_dirty(uint64_t dirty, uint32_t ib_port)
{
	return ib_port >= 64 ? dirty != 0 : (dirty >> ib_port) & 1;
}

#endif /* MLX5_LAGSPEED_LINK_H */
