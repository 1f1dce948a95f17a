/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/* Telemetry: /lagspeed/ports and /lagspeed/port,<id>. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_ethdev.h>
#include <rte_telemetry.h>
#include <rte_version.h>

#include "mlx5_lagspeed_priv.h"

/*
 * 23.03 added rte_tel_data_add_dict_uint() and deprecated the u64
 * function it replaced, which 22.11 has alone.
 */
#if RTE_VERSION >= RTE_VERSION_NUM(23, 3, 0, 0)
#define lagspeed_tel_add_u64 rte_tel_data_add_dict_uint
#else
#define lagspeed_tel_add_u64 rte_tel_data_add_dict_u64
#endif

static int
lagspeed_tel_ports(const char *cmd, const char *params, struct rte_tel_data *d)
{
	unsigned int i;

	RTE_SET_USED(cmd);
	RTE_SET_USED(params);
	rte_tel_data_start_array(d, RTE_TEL_INT_VAL);
	pthread_mutex_lock(&lagspeed.lock);
	for (i = 0; i < RTE_MAX_ETHPORTS; i++)
		if (lagspeed.ports[i].used)
			rte_tel_data_add_array_int(d, (int)i);
	pthread_mutex_unlock(&lagspeed.lock);
	return 0;
}

static int
lagspeed_tel_port(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct rte_pmd_mlx5_lagspeed_info info;
	char name[RTE_ETH_NAME_MAX_LEN];
	unsigned long port_id;
	char *end;

	RTE_SET_USED(cmd);
	/* Decimal digits alone: strtoul() would take " 1", "+1" and "-1". */
	if (params == NULL || params[0] < '0' || params[0] > '9')
		return -EINVAL;
	port_id = strtoul(params, &end, 10);
	if (*end != '\0' || port_id >= RTE_MAX_ETHPORTS)
		return -EINVAL;
	if (rte_pmd_mlx5_lagspeed_info_get((uint16_t)port_id, &info) != 0)
		return -ENODEV;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_int(d, "port_id", (int)port_id);
	if (rte_eth_dev_get_name_by_port((uint16_t)port_id, name) == 0)
		rte_tel_data_add_dict_string(d, "ethdev", name);
	rte_tel_data_add_dict_string(d, "ib_device", info.ib_device);
	rte_tel_data_add_dict_int(d, "ib_port", (int)info.ib_port);
	rte_tel_data_add_dict_string(d, "state",
		rte_pmd_mlx5_lagspeed_state_str(info.state));
	rte_tel_data_add_dict_int(d, "last_error", info.last_error);
	lagspeed_tel_add_u64(d, "effective_speed", info.effective_speed);
	lagspeed_tel_add_u64(d, "pmd_speed", info.pmd_speed);
	lagspeed_tel_add_u64(d, "events", info.events);
	lagspeed_tel_add_u64(d, "changes", info.changes);
	lagspeed_tel_add_u64(d, "lsc_callbacks", info.lsc_callbacks);
	lagspeed_tel_add_u64(d, "last_change_us", info.last_change_us);
	return 0;
}

void
lagspeed_telemetry_register(void)
{
	rte_telemetry_register_cmd("/lagspeed/ports", lagspeed_tel_ports,
		"Ports the lagspeed plugin has taken on (any state). No parameters");
	rte_telemetry_register_cmd("/lagspeed/port", lagspeed_tel_port,
		"Effective and PMD speed, IB device, state and counters of a port. "
		"Parameters: int port_id");
}
