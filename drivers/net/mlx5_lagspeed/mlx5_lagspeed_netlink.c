/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/*
 * Following the mlx5 PMD's own link updates. On a netlink RTM_NEWLINK for
 * its netdev the PMD calls its link_update directly (not through dev_ops),
 * rewriting dev_link with the single-link speed from ethtool, and raises
 * LSC only if the status changed. A status change is caught by our own
 * LSC callback, registered before the application's. A speed-only change
 * raises nothing: we listen to the same netlink group and, once the PMD
 * has had its turn (an EAL alarm after the current interrupt round),
 * re-apply the effective link to every extended port with a netdev.
 */

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <rte_alarm.h>
#include <rte_common.h>
#include <rte_interrupts.h>

#include "mlx5_lagspeed_priv.h"

/* Let the PMD's handler of the same message run first. */
#define LAGSPEED_NETLINK_DELAY_US 200

static struct rte_intr_handle *lagspeed_nl_intr;
static int lagspeed_nl_fd = -1;

static void
lagspeed_netlink_reapply(void *arg)
{
	unsigned int i;

	RTE_SET_USED(arg);
	pthread_mutex_lock(&lagspeed.lock);
	for (i = 0; i < RTE_MAX_ETHPORTS; i++) {
		struct lagspeed_port *p = &lagspeed.ports[i];

		if (p->hooked && p->if_index != 0)
			lagspeed_hook_fix_link(p);
	}
	pthread_mutex_unlock(&lagspeed.lock);
}

static bool
lagspeed_netlink_ours(unsigned int if_index)
{
	unsigned int i;

	for (i = 0; i < RTE_MAX_ETHPORTS; i++)
		if (lagspeed.ports[i].hooked &&
				lagspeed.ports[i].if_index == if_index)
			return true;
	return false;
}

static void
lagspeed_netlink_intr(void *arg)
{
	char buf[8192] __rte_aligned(NLMSG_ALIGNTO);
	int fd = rte_intr_fd_get(arg);
	bool reapply = false;
	ssize_t len;

	__atomic_add_fetch(&lagspeed.intr_wakeups, 1, __ATOMIC_RELAXED);
	pthread_mutex_lock(&lagspeed.lock);
	while ((len = recv(fd, buf, sizeof(buf), 0)) > 0) {
		struct nlmsghdr *nh = (struct nlmsghdr *)(void *)buf;

		for (; NLMSG_OK(nh, (size_t)len); nh = NLMSG_NEXT(nh, len)) {
			struct ifinfomsg *ifi = NLMSG_DATA(nh);

			if (nh->nlmsg_type == RTM_NEWLINK &&
					nh->nlmsg_len >= NLMSG_LENGTH(sizeof(*ifi)) &&
					lagspeed_netlink_ours(
						(unsigned int)ifi->ifi_index))
				reapply = true;
		}
	}
	/*
	 * The socket overran (ENOBUFS): messages were dropped, one of ours
	 * may be among them. Re-apply as if it were; what is still queued
	 * wakes us again.
	 */
	if (len < 0 && errno == ENOBUFS)
		reapply = true;
	pthread_mutex_unlock(&lagspeed.lock);
	if (reapply)
		rte_eal_alarm_set(LAGSPEED_NETLINK_DELAY_US,
			lagspeed_netlink_reapply, NULL);
}

int
lagspeed_netlink_start(void)
{
	struct sockaddr_nl addr;
	int fd;

	if (lagspeed_nl_fd >= 0)
		return 0;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
		NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	memset(&addr, 0, sizeof(addr));
	addr.nl_family = AF_NETLINK;
	addr.nl_groups = RTMGRP_LINK;
	lagspeed_nl_intr = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
			lagspeed_nl_intr == NULL ||
			rte_intr_type_set(lagspeed_nl_intr, RTE_INTR_HANDLE_EXT) ||
			rte_intr_fd_set(lagspeed_nl_intr, fd) ||
			rte_intr_callback_register(lagspeed_nl_intr,
				lagspeed_netlink_intr, lagspeed_nl_intr)) {
		close(fd);
		rte_intr_instance_free(lagspeed_nl_intr);
		lagspeed_nl_intr = NULL;
		return -EIO;
	}
	lagspeed_nl_fd = fd;
	return 0;
}

/* Once our callback is off EAL's list: close what it used. */
static void
lagspeed_netlink_free(struct rte_intr_handle *handle, void *arg)
{
	struct rte_intr_handle *intr = arg;

	RTE_SET_USED(handle);
	close(rte_intr_fd_get(intr));
	rte_intr_instance_free(intr);
}

void
lagspeed_netlink_stop(void)
{
	struct rte_intr_handle *intr = lagspeed_nl_intr;

	if (lagspeed_nl_fd < 0)
		return;
	lagspeed_nl_intr = NULL;
	lagspeed_nl_fd = -1;
	rte_eal_alarm_cancel(lagspeed_netlink_reapply, NULL);
	if (!lagspeed_intr_unregister(intr, lagspeed_netlink_intr, intr,
			lagspeed_netlink_free))
		lagspeed_netlink_free(NULL, intr);
}
