/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

#include <errno.h>
#include <limits.h>

#include <infiniband/verbs.h>

#include "lagspeed_config.h"
#include "mlx5_lagspeed_link.h"

#if LAGSPEED_HAVE_IBV_EVENT_DEVICE_SPEED_CHANGE
static_assert(IBV_EVENT_DEVICE_SPEED_CHANGE ==
		LAGSPEED_IBV_EVENT_DEVICE_SPEED_CHANGE,
	"IBV_EVENT_DEVICE_SPEED_CHANGE value");
#endif

uint32_t
lagspeed_speed_mbps(uint64_t speed_100mbps)
{
	if (speed_100mbps > LAGSPEED_SPEED_MAX_MBPS / 100)
		return LAGSPEED_SPEED_MAX_MBPS;
	return (uint32_t)(speed_100mbps * 100);
}

uint64_t
lagspeed_eff_from_query(uint64_t speed_100mbps)
{
	uint64_t eff = LAGSPEED_EFF_VALID;

	if (speed_100mbps != 0)
		eff |= LAGSPEED_EFF_UP | lagspeed_speed_mbps(speed_100mbps);
	return eff;
}

bool
lagspeed_eff_changed(uint64_t old_eff, uint64_t new_eff)
{
	return old_eff != new_eff;
}

struct rte_eth_link
lagspeed_link_apply(struct rte_eth_link pmd_link, uint64_t eff)
{
	struct rte_eth_link link = pmd_link;

	/*
	 * A link the PMD reports down stays as the PMD reports it. The
	 * function may still have a group speed (a VF's is its vport's,
	 * whatever the VF's own state), but a link that is down carries
	 * nothing, and mlx5 itself treats a speed on a link that is down as
	 * a state still settling, to be read again.
	 */
	if (!(eff & LAGSPEED_EFF_VALID) ||
			pmd_link.link_status == RTE_ETH_LINK_DOWN)
		return link;
	if (lagspeed_eff_up(eff)) {
		link.link_speed = lagspeed_eff_speed(eff);
	} else {
		link.link_speed = RTE_ETH_SPEED_NUM_NONE;
		link.link_status = RTE_ETH_LINK_DOWN;
	}
	return link;
}

int
lagspeed_verb_errno(int ret, int err)
{
	if (ret >= 0)
		return ret;
	/* -1: the C library's convention, the errno is in errno. */
	if (ret == -1 && err > 0)
		return err;
	return ret == INT_MIN ? EIO : -ret;
}

bool
lagspeed_errno_unsupported(int err)
{
	return err == EOPNOTSUPP || err == ENOTSUP ||
		err == EPROTONOSUPPORT || err == ENOSYS;
}

enum lagspeed_event_action
lagspeed_event_classify(int event_type, uint32_t port_num, uint64_t *dirty)
{
	switch (event_type) {
	case LAGSPEED_IBV_EVENT_DEVICE_SPEED_CHANGE:
		/* device-scoped whatever port_num says */
		*dirty = UINT64_MAX;
		return LAGSPEED_EVENT_REQUERY;
	case IBV_EVENT_PORT_ACTIVE:
	case IBV_EVENT_PORT_ERR:
		if (port_num == 0 || port_num >= 64)
			*dirty = UINT64_MAX;
		else
			*dirty |= UINT64_C(1) << port_num;
		return LAGSPEED_EVENT_REQUERY;
	case IBV_EVENT_DEVICE_FATAL:
		return LAGSPEED_EVENT_FATAL;
	default:
		return LAGSPEED_EVENT_IGNORE;
	}
}
