/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/*
 * Weights from the ports' links: the speed each port reports, whatever
 * the PMD (mlx5 with the lagspeed plugin reports the aggregated speed).
 */

#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_ethdev.h>

#include "rte_txweight.h"
#include "txweight_private.h"

int
rte_txweight_weights_from_links(const uint16_t *port_ids,
	const uint32_t *caps_mbps, unsigned int n, uint64_t *weights)
{
	unsigned int i;
	int usable = 0;

	if (port_ids == NULL || weights == NULL) {
		TXWEIGHT_LOG(ERR, "NULL port_ids or weights");
		return -EINVAL;
	}
	if (n == 0 || n > RTE_TXWEIGHT_MAX_PORTS) {
		TXWEIGHT_LOG(ERR, "%u ports: must be 1..%u", n, RTE_TXWEIGHT_MAX_PORTS);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		if (!rte_eth_dev_is_valid_port(port_ids[i])) {
			TXWEIGHT_LOG(ERR, "port %u is not a valid port", port_ids[i]);
			return -EINVAL;
		}
	}
	for (i = 0; i < n; i++) {
		struct rte_eth_link link;

		memset(&link, 0, sizeof(link));
		/* A port whose link cannot be read is treated as down. */
		if (rte_eth_link_get_nowait(port_ids[i], &link) != 0)
			link.link_status = RTE_ETH_LINK_DOWN;
		weights[i] = txweight_link_weight(&link,
			caps_mbps != NULL ? caps_mbps[i] : 0);
		if (weights[i] != 0)
			usable++;
	}
	return usable;
}
