/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

#ifndef RTE_PMD_MLX5_LAGSPEED_H
#define RTE_PMD_MLX5_LAGSPEED_H

/**
 * @file
 * lagspeed: the effective (aggregated) speed of mlx5 VF-LAG / MP-Ethernet
 * ports, as the plugin librte_net_mlx5_lagspeed.so maintains it.
 *
 * Applications need nothing of this header to benefit from the plugin:
 * rte_eth_link_get() and RTE_ETH_EVENT_INTR_LSC callbacks already carry the
 * effective speed. This header tells where a port's speed comes from.
 *
 * EAL loads plugins privately (-d or its plugin directory), so their
 * symbols are not visible to the application's linker. Use
 * rte_pmd_mlx5_lagspeed_info_get_dyn(), which finds the loaded plugin at
 * run time, or link the plugin and call rte_pmd_mlx5_lagspeed_info_get().
 */

#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The plugin's shared-object name (its DT_SONAME). */
#define RTE_PMD_MLX5_LAGSPEED_SONAME "librte_net_mlx5_lagspeed.so"

/** Where an extended port's speed comes from. */
enum rte_pmd_mlx5_lagspeed_state {
	/** The effective speed, from ibv_query_port_speed(). */
	RTE_PMD_MLX5_LAGSPEED_ACTIVE = 0,
	/**
	 * The verb is not available (rdma-core < 62, a device or provider
	 * without it, a kernel without it): the PMD's own speed is kept.
	 */
	RTE_PMD_MLX5_LAGSPEED_UNSUPPORTED,
	/**
	 * The last query failed (e.g. EIO): the last good speed is kept, or
	 * the PMD's own while no query has succeeded yet.
	 */
	RTE_PMD_MLX5_LAGSPEED_QUERY_ERROR,
	/**
	 * The device reported a fatal error or was removed, or the IB device
	 * or port named for it cannot be used (none of that name, a port it
	 * does not have): the port is not extended and reports the PMD's own
	 * speed; last_error says which. For good: a device that comes back
	 * extends only ports probed after it (remove the port and probe it
	 * again).
	 */
	RTE_PMD_MLX5_LAGSPEED_DETACHED,
};

/**
 * What the plugin knows of one extended port. In a secondary process it
 * knows only the shared link the primary keeps: state is then
 * RTE_PMD_MLX5_LAGSPEED_ACTIVE (the speed comes from that link, whatever
 * the primary's state), and pmd_speed and the counters are 0.
 */
struct rte_pmd_mlx5_lagspeed_info {
	char ib_device[64];          /**< IB device name, e.g. "mlx5_2" */
	uint32_t ib_port;            /**< IB port number, from 1 */
	enum rte_pmd_mlx5_lagspeed_state state; /**< source of the speed */
	int last_error;              /**< 0, or why the speed is not the
					* effective one: the errno of the
					* last failed query (EIO...), of the
					* device's open (ENODEV: no such
					* device), EINVAL for a port the
					* device lacks, ENODEV after a fatal
					* event, ENOSYS for a verbs library
					* without the verb,
					* EOPNOTSUPP/EPROTONOSUPPORT where
					* the device or kernel lacks it */
	uint32_t effective_speed;    /**< Mb/s, as rte_eth_link_get() reports
					* (unless the PMD rewrote its link on
					* its own since: the guide's Limits) */
	uint32_t pmd_speed;          /**< Mb/s, as the PMD alone reports;
					* while extended, as last seen in
					* dev_link: a PMD that writes the
					* very link the plugin wrote is not
					* told from it */
	uint64_t events;             /**< async events seen for this port */
	uint64_t changes;            /**< effective speeds applied to the
					* link that the application could see
					* change (not a detach; not one made
					* while the port was stopped or held
					* down, which shows at its start) */
	uint64_t lsc_callbacks;      /**< LSC events the plugin raised (a
					* detach's included), whether or not
					* the application registered a
					* callback */
	uint64_t last_change_us;     /**< CLOCK_REALTIME of the last change
					* counted in changes, or of the detach,
					* in microseconds; 0 = none yet */
};

/**
 * Get what the plugin knows of a port.
 *
 * @param port_id
 *   The ethdev port.
 * @param[out] info
 *   Filled on success.
 * @return
 *   0 for every port the plugin has taken on, whether it extends it
 *   (state active or query-error) or leaves it the PMD's speed
 *   (unsupported, detached: a bind= to a device or port that cannot be
 *   used included); -ENODEV for a port it never took on (not mlx5 nor
 *   bound, no IB device found in sysfs for an mlx5 port, a PMD without
 *   link_update, no verbs library, the plugin disabled), for a port it
 *   forgot (closed or removed) and for a port id out of range; -EINVAL
 *   when info is NULL.
 */
int rte_pmd_mlx5_lagspeed_info_get(uint16_t port_id,
	struct rte_pmd_mlx5_lagspeed_info *info);

/**
 * A state's name: "active", "unsupported", "query-error", "detached".
 *
 * @param state
 *   A state.
 * @return
 *   Its name, or "unknown" for a value outside the enum.
 */
const char *rte_pmd_mlx5_lagspeed_state_str(enum rte_pmd_mlx5_lagspeed_state state);

/**
 * The same names as rte_pmd_mlx5_lagspeed_state_str(), for applications
 * that do not link the plugin (the names are part of this contract).
 *
 * @param state
 *   A state.
 * @return
 *   The state's name, or "unknown".
 */
static inline const char *
rte_pmd_mlx5_lagspeed_state_name(enum rte_pmd_mlx5_lagspeed_state state)
{
	switch (state) {
	case RTE_PMD_MLX5_LAGSPEED_ACTIVE:
		return "active";
	case RTE_PMD_MLX5_LAGSPEED_UNSUPPORTED:
		return "unsupported";
	case RTE_PMD_MLX5_LAGSPEED_QUERY_ERROR:
		return "query-error";
	case RTE_PMD_MLX5_LAGSPEED_DETACHED:
		return "detached";
	}
	return "unknown";
}

/**
 * How many times the plugin's interrupt callbacks ran on the EAL
 * interrupt thread since it was loaded: the IB devices' async fds and,
 * while a port with a netdev is extended, the netlink socket, which wakes
 * on a change of any link in the network namespace. The plugin never
 * polls: without events there is no growth. Its alarms (a port's
 * deferred attach) are not counted.
 *
 * @return
 *   The count.
 */
uint64_t rte_pmd_mlx5_lagspeed_intr_wakeups(void);

/**
 * rte_pmd_mlx5_lagspeed_info_get() through the plugin EAL already loaded,
 * for applications that do not link it (they need dlopen(): -ldl before
 * glibc 2.34).
 *
 * @param port_id
 *   The ethdev port.
 * @param[out] info
 *   Filled on success.
 * @return
 *   As rte_pmd_mlx5_lagspeed_info_get(); -ENOTSUP when the plugin is not
 *   loaded in this process.
 */
static inline int
rte_pmd_mlx5_lagspeed_info_get_dyn(uint16_t port_id,
	struct rte_pmd_mlx5_lagspeed_info *info)
{
	int (*get)(uint16_t, struct rte_pmd_mlx5_lagspeed_info *);
	void *handle;
	int ret;

	handle = dlopen(RTE_PMD_MLX5_LAGSPEED_SONAME, RTLD_NOW | RTLD_NOLOAD);
	if (handle == NULL)
		return -ENOTSUP;
	*(void **)&get = dlsym(handle, "rte_pmd_mlx5_lagspeed_info_get");
	ret = get != NULL ? get(port_id, info) : -ENOTSUP;
	dlclose(handle);
	return ret;
}

#ifdef __cplusplus
}
#endif

#endif /* RTE_PMD_MLX5_LAGSPEED_H */
