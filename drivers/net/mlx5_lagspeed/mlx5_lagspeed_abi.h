/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/*
 * ============================================================
 *  THE ONLY PLACE THAT KNOWS DPDK INTERNALS.
 * ============================================================
 * The plugin hooks ports by swapping their dev_ops, raises LSC callbacks
 * and registers a bus: all driver-SDK (INTERNAL) pieces of ethdev and EAL.
 * Debian ships no driver-SDK headers, so this file either includes the real
 * ones (LAGSPEED_HAVE_DRIVER_SDK, found by meson) or uses our own
 * declarations of the few fields we touch, one variant per supported DPDK
 * ABI, picked at build time from RTE_VERSION. Every port is validated at
 * run time (lagspeed_abi_check_port()) before it is hooked.
 *
 * The rest of the plugin only sees the accessors below.
 */

#ifndef MLX5_LAGSPEED_ABI_H
#define MLX5_LAGSPEED_ABI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_ethdev.h>

struct rte_eth_dev;

/** The link_update slot's type (same in every supported release). */
typedef int (*lagspeed_link_update_t)(struct rte_eth_dev *dev, int wait);
/** The dev_start / dev_set_link_up / dev_set_link_down slots' type. */
typedef int (*lagspeed_dev_op_t)(struct rte_eth_dev *dev);

/** The ops slots the plugin wraps. */
enum lagspeed_abi_slot {
	LAGSPEED_SLOT_DEV_START,
	LAGSPEED_SLOT_SET_LINK_UP,
	LAGSPEED_SLOT_SET_LINK_DOWN,
	LAGSPEED_SLOT_LINK_UPDATE,
	LAGSPEED_SLOT_MAX,
};

/** A short name of the ABI variant compiled in, for logs and telemetry. */
extern const char lagspeed_abi_name[];

/** The device behind a port id (no check). */
struct rte_eth_dev *lagspeed_abi_dev(uint16_t port_id);
/** Its shared data's port id. */
uint16_t lagspeed_abi_port_id(const struct rte_eth_dev *dev);

/*
 * The same, inline, for the link_update fast path: the offsets come from
 * mlx5_lagspeed_abi.c (the declarations), this only adds them up.
 */
extern const size_t lagspeed_abi_off_data;
extern const size_t lagspeed_abi_off_port_id;

static inline uint16_t
lagspeed_abi_port_id_fast(const struct rte_eth_dev *dev)
{
	const char *data = *(const char *const *)(const void *)
		((const char *)dev + lagspeed_abi_off_data);

	return *(const uint16_t *)(const void *)(data +
		lagspeed_abi_off_port_id);
}
/** Its shared dev_link, as a 64-bit word for atomic access. */
uint64_t *lagspeed_abi_dev_link(struct rte_eth_dev *dev);
/** Whether dev_started is set in its shared data. */
bool lagspeed_abi_dev_started(const struct rte_eth_dev *dev);
/**
 * Whether its probe has returned: ethdev raises NEW and marks the port
 * attached inside the driver's probe, and the bus sets the device's
 * driver only once the probe returns. Until then rte_eth_dev_info_get()
 * follows that NULL driver.
 * @return 1 (returned), 0 (still in its probe), -1 (no rte_device at all:
 * rte_eth_dev_info_get() can never be called on it).
 */
int lagspeed_abi_dev_probed(const struct rte_eth_dev *dev);

/** Its shared data's name (valid while the port is being probed too). */
const char *lagspeed_abi_port_name(const struct rte_eth_dev *dev);

/** Its current ops table. */
const void *lagspeed_abi_ops(const struct rte_eth_dev *dev);
/** Install an ops table (the original or our copy). */
void lagspeed_abi_ops_set(struct rte_eth_dev *dev, const void *ops);
/** sizeof(struct eth_dev_ops) of this ABI. */
size_t lagspeed_abi_ops_size(void);
/** Read / write one slot of an ops table. */
void *lagspeed_abi_ops_slot_get(const void *ops, enum lagspeed_abi_slot slot);
void lagspeed_abi_ops_slot_set(void *ops, enum lagspeed_abi_slot slot,
	void *fn);

/** Run the port's application callbacks for an event (driver side). */
int lagspeed_abi_callback_process(struct rte_eth_dev *dev,
	enum rte_eth_event_type event);

/**
 * Check that our view of a port agrees with the library's: its data and
 * ops pointers lead to readable memory (checked without following them),
 * the device's address, its data's port id, name and MTU, its rte_device,
 * its ops (with a link_update if @p need_link_update).
 * A port being probed (RTE_ETH_EVENT_NEW: ethdev marks it attached only
 * after the callbacks, and its rte_device has no driver yet) is checked
 * through rte_eth_dev_allocated() and its data only.
 * @return 0, or -EPROTO with a reason in @p why.
 */
int lagspeed_abi_check_port(uint16_t port_id, bool probing,
	bool need_link_update, const char **why);

/**
 * Check what can be checked before any port exists: the size of
 * rte_eth_devices[] as the library's symbol table records it against
 * RTE_MAX_ETHPORTS times our struct rte_eth_dev.
 * @return 0, or -EPROTO with a reason in @p why.
 */
int lagspeed_abi_check_global(const char **why);

/** Register / unregister the plugin's bus (see mlx5_lagspeed.c). */
void lagspeed_abi_bus_register(const char *name, int (*probe)(void),
	int (*cleanup)(void));
void lagspeed_abi_bus_unregister(void);

/**
 * Where the members the plugin touches sit, in bytes (bits for the
 * dev_started bit-field), as this file's declarations say. The test
 * lagspeed_abi_layout builds this file twice, with the driver-SDK headers
 * and with our own declarations, and compares the two.
 */
#define LAGSPEED_ABI_LAYOUT(X) \
	/* struct rte_eth_dev: its size is the stride of rte_eth_devices[] */ \
	X(dev_size) X(dev_data) X(dev_ops) X(dev_device) \
	/* struct rte_eth_dev_data */ \
	X(data_name) X(data_dev_link) X(data_mtu) X(data_port_id) \
	X(data_dev_started_bit) \
	/* struct eth_dev_ops and the slots the plugin wraps */ \
	X(ops_size) X(ops_dev_start) X(ops_link_up) X(ops_link_down) \
	X(ops_link_update) \
	/* struct rte_bus and the members the plugin fills in */ \
	X(bus_size) X(bus_name) X(bus_scan) X(bus_probe) X(bus_find_device) \
	X(bus_cleanup)

struct lagspeed_abi_layout {
#define LAGSPEED_ABI_LAYOUT_MEMBER(name) size_t name;
	LAGSPEED_ABI_LAYOUT(LAGSPEED_ABI_LAYOUT_MEMBER)
#undef LAGSPEED_ABI_LAYOUT_MEMBER
};

/** Fill @p layout from the declarations this file was built with. */
void lagspeed_abi_layout_get(struct lagspeed_abi_layout *layout);

#endif /* MLX5_LAGSPEED_ABI_H */
