/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/*
 * DPDK-internal declarations and their accessors: see mlx5_lagspeed_abi.h.
 * Our own declarations are written from the named releases'
 * lib/ethdev/ethdev_driver.h and lib/eal/include/bus_driver.h; only the
 * members we use are named, the rest is kept as opaque padding so that
 * sizes and offsets match.
 */

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_config.h>
#include <rte_ethdev.h>
#include <rte_version.h>

#include "mlx5_lagspeed_abi.h"

#ifdef LAGSPEED_HAVE_DRIVER_SDK

#include <bus_driver.h>
#include <ethdev_driver.h>

const char lagspeed_abi_name[] = "driver-sdk";

#define LAGSPEED_OPS_SIZE sizeof(struct eth_dev_ops)
#define LAGSPEED_OPS_OFF_DEV_START offsetof(struct eth_dev_ops, dev_start)
#define LAGSPEED_OPS_OFF_LINK_UP offsetof(struct eth_dev_ops, dev_set_link_up)
#define LAGSPEED_OPS_OFF_LINK_DOWN \
	offsetof(struct eth_dev_ops, dev_set_link_down)
#define LAGSPEED_OPS_OFF_LINK_UPDATE offsetof(struct eth_dev_ops, link_update)

#else /* our own declarations */

/*
 * Per release, from its lib/ethdev/ethdev_driver.h: pointers before `data`
 * in struct rte_eth_dev (fast-path functions: 6 in 22.11, + 2 recycle_* in
 * 23.11, + tx_queue_count in 24.11), whether `flow_fp_ops` follows
 * `dev_ops` (24.11 on), and the number of function pointers in struct
 * eth_dev_ops (113, 116, 121, 124).
 */
/*
 * Each variant covers one release and its LTS updates (same ABI): a
 * release in between (23.03, 24.07, 25.03, ...) may have grown
 * eth_dev_ops, and a copy of the wrong size would be read past its end.
 */
#define LAGSPEED_DPDK_IS(year, month) \
	(RTE_VERSION >= RTE_VERSION_NUM(year, month, 0, 0) && \
	 RTE_VERSION < RTE_VERSION_NUM(year, (month) + 1, 0, 0))

#if LAGSPEED_DPDK_IS(25, 11)
const char lagspeed_abi_name[] = "own-25.11";
#define LAGSPEED_DEV_FP_SLOTS 9
#define LAGSPEED_DEV_HAS_FLOW_FP_OPS 1
#define LAGSPEED_OPS_SLOTS 124
#elif LAGSPEED_DPDK_IS(24, 11)
const char lagspeed_abi_name[] = "own-24.11";
#define LAGSPEED_DEV_FP_SLOTS 9
#define LAGSPEED_DEV_HAS_FLOW_FP_OPS 1
#define LAGSPEED_OPS_SLOTS 121
#elif LAGSPEED_DPDK_IS(23, 11)
const char lagspeed_abi_name[] = "own-23.11";
#define LAGSPEED_DEV_FP_SLOTS 8
#define LAGSPEED_DEV_HAS_FLOW_FP_OPS 0
#define LAGSPEED_OPS_SLOTS 116
#elif LAGSPEED_DPDK_IS(22, 11)
const char lagspeed_abi_name[] = "own-22.11";
#define LAGSPEED_DEV_FP_SLOTS 6
#define LAGSPEED_DEV_HAS_FLOW_FP_OPS 0
#define LAGSPEED_OPS_SLOTS 113
#else
/* Declarations exist for 22.11, 23.11, 24.11 and 25.11 only. */
#error "lagspeed: no ABI declarations for this DPDK release: install the driver-SDK headers"
#endif

struct rte_eth_dev_callback;
TAILQ_HEAD(lagspeed_eth_dev_cb_list, rte_eth_dev_callback);

/*
 * A wrong variant on purpose, for the test that the run-time checks
 * refuse it (app/test/mlx5_lagspeed builds a plugin with it).
 */
#if defined(LAGSPEED_ABI_TEST_WRONG) && LAGSPEED_ABI_TEST_WRONG == 1
/*
 * Eight fast-path slots more, a cache line: sizeof(struct rte_eth_dev)
 * differs in every release. Two more, as 23.11 added, would not do: 24.11's
 * struct has 40 bytes of tail padding, and 16 more fit in it.
 */
#define LAGSPEED_DEV_FP_SLOTS_USED (LAGSPEED_DEV_FP_SLOTS + 8)
#else
#define LAGSPEED_DEV_FP_SLOTS_USED LAGSPEED_DEV_FP_SLOTS
#endif

/* struct rte_eth_dev: identical prefix in every release but for fp slots. */
struct rte_eth_dev {
	void *fast_path[LAGSPEED_DEV_FP_SLOTS_USED];
#if defined(LAGSPEED_ABI_TEST_WRONG) && LAGSPEED_ABI_TEST_WRONG == 2
	/* same size, `data` elsewhere: only the per-port checks can tell */
	void *process_private;
	struct rte_eth_dev_data *data;
#else
	struct rte_eth_dev_data *data;
	void *process_private;
#endif
	const void *dev_ops;
#if LAGSPEED_DEV_HAS_FLOW_FP_OPS
	const void *flow_fp_ops;
#endif
	struct rte_device *device;
	struct rte_intr_handle *intr_handle;
	struct lagspeed_eth_dev_cb_list link_intr_cbs;
	void *post_rx_burst_cbs[RTE_MAX_QUEUES_PER_PORT];
	void *pre_tx_burst_cbs[RTE_MAX_QUEUES_PER_PORT];
	enum rte_eth_dev_state state;
	void *security_ctx;
} __rte_cache_aligned;

/* struct rte_eth_dev_data: same layout in 22.11 .. 25.11, public types. */
struct rte_eth_dev_data {
	char name[RTE_ETH_NAME_MAX_LEN];
	void **rx_queues;
	void **tx_queues;
	uint16_t nb_rx_queues;
	uint16_t nb_tx_queues;
	struct rte_eth_dev_sriov sriov;
	void *dev_private;
	struct rte_eth_link dev_link;
	struct rte_eth_conf dev_conf;
	uint16_t mtu;
	uint32_t min_rx_buf_size;
	uint64_t rx_mbuf_alloc_failed;
	struct rte_ether_addr *mac_addrs;
	uint64_t mac_pool_sel[RTE_ETH_NUM_RECEIVE_MAC_ADDR];
	struct rte_ether_addr *hash_mac_addrs;
	uint16_t port_id;
	__extension__ uint8_t promiscuous : 1, scattered_rx : 1,
		all_multicast : 1, dev_started : 1, lro : 1,
		dev_configured : 1, flow_configured : 1;
	/* the rest is not used */
};

/*
 * struct eth_dev_ops: function pointers only. Slots from 0:
 * 0 dev_configure, 1 dev_start, 2 dev_stop, 3 dev_set_link_up,
 * 4 dev_set_link_down, 5 dev_close, 6 dev_reset, 7 link_update, ...
 */
#define LAGSPEED_OPS_SIZE (LAGSPEED_OPS_SLOTS * sizeof(void *))
#define LAGSPEED_OPS_OFF_DEV_START (1 * sizeof(void *))
#define LAGSPEED_OPS_OFF_LINK_UP (3 * sizeof(void *))
#define LAGSPEED_OPS_OFF_LINK_DOWN (4 * sizeof(void *))
#define LAGSPEED_OPS_OFF_LINK_UPDATE (7 * sizeof(void *))

/* struct rte_bus: identical in 22.11 .. 25.11. */
struct rte_bus {
	TAILQ_ENTRY(rte_bus) next;
	const char *name;
	int (*scan)(void);
	int (*probe)(void);
	struct rte_device *(*find_device)(const struct rte_device *start,
		rte_dev_cmp_t cmp, const void *data);
	void *plug;
	void *unplug;
	void *parse;
	void *devargs_parse;
	void *dma_map;
	void *dma_unmap;
	struct {
		int scan_mode; /* enum rte_bus_scan_mode */
	} conf;
	void *get_iommu_class;
	void *dev_iterate;
	void *hot_unplug_handler;
	void *sigbus_handler;
	int (*cleanup)(void);
};

/* Exported with version INTERNAL by librte_ethdev / librte_eal. */
extern struct rte_eth_dev rte_eth_devices[];
struct rte_eth_dev *rte_eth_dev_allocated(const char *name);
int rte_eth_dev_callback_process(struct rte_eth_dev *dev,
	enum rte_eth_event_type event, void *ret_param);
void rte_bus_register(struct rte_bus *bus);
void rte_bus_unregister(struct rte_bus *bus);

#endif /* LAGSPEED_HAVE_DRIVER_SDK */

static_assert(offsetof(struct rte_eth_dev_data, dev_link) % 8 == 0,
	"dev_link must be 64-bit aligned for atomic access");
static_assert(sizeof(struct rte_eth_link) == sizeof(uint64_t),
	"struct rte_eth_link is one 64-bit word");

const size_t lagspeed_abi_off_data = offsetof(struct rte_eth_dev, data);
const size_t lagspeed_abi_off_port_id =
	offsetof(struct rte_eth_dev_data, port_id);

struct rte_eth_dev *
lagspeed_abi_dev(uint16_t port_id)
{
	return &rte_eth_devices[port_id];
}

uint16_t
lagspeed_abi_port_id(const struct rte_eth_dev *dev)
{
	return dev->data->port_id;
}

uint64_t *
lagspeed_abi_dev_link(struct rte_eth_dev *dev)
{
	return (uint64_t *)(void *)&dev->data->dev_link;
}

bool
lagspeed_abi_dev_started(const struct rte_eth_dev *dev)
{
	return dev->data->dev_started != 0;
}

int
lagspeed_abi_dev_probed(const struct rte_eth_dev *dev)
{
	if (dev->device == NULL)
		return -1;
	return rte_dev_driver(dev->device) != NULL;
}

const char *
lagspeed_abi_port_name(const struct rte_eth_dev *dev)
{
	return dev->data->name;
}

const void *
lagspeed_abi_ops(const struct rte_eth_dev *dev)
{
	return dev->dev_ops;
}

void
lagspeed_abi_ops_set(struct rte_eth_dev *dev, const void *ops)
{
	__atomic_store_n(&dev->dev_ops, ops, __ATOMIC_RELEASE);
}

size_t
lagspeed_abi_ops_size(void)
{
	return LAGSPEED_OPS_SIZE;
}

static size_t
lagspeed_abi_slot_offset(enum lagspeed_abi_slot slot)
{
	switch (slot) {
	case LAGSPEED_SLOT_DEV_START:
		return LAGSPEED_OPS_OFF_DEV_START;
	case LAGSPEED_SLOT_SET_LINK_UP:
		return LAGSPEED_OPS_OFF_LINK_UP;
	case LAGSPEED_SLOT_SET_LINK_DOWN:
		return LAGSPEED_OPS_OFF_LINK_DOWN;
	case LAGSPEED_SLOT_LINK_UPDATE:
	default:
		return LAGSPEED_OPS_OFF_LINK_UPDATE;
	}
}

void *
lagspeed_abi_ops_slot_get(const void *ops, enum lagspeed_abi_slot slot)
{
	void *fn;

	memcpy(&fn, (const char *)ops + lagspeed_abi_slot_offset(slot),
		sizeof(fn));
	return fn;
}

void
lagspeed_abi_ops_slot_set(void *ops, enum lagspeed_abi_slot slot, void *fn)
{
	memcpy((char *)ops + lagspeed_abi_slot_offset(slot), &fn, sizeof(fn));
}

int
lagspeed_abi_callback_process(struct rte_eth_dev *dev,
	enum rte_eth_event_type event)
{
	return rte_eth_dev_callback_process(dev, event, NULL);
}

/*
 * Whether [addr, addr + len) can be read, without touching it: the kernel
 * copies it into a pipe or fails with EFAULT. A wrong layout makes us
 * follow a wrong pointer; this turns the crash it could cause into a
 * refusal. Attach time only.
 */
static bool
lagspeed_abi_readable(const void *addr, size_t len)
{
	int fds[2];
	ssize_t n;

	if (addr == NULL)
		return false;
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0)
		return true; /* cannot tell: the other checks remain */
	n = write(fds[1], addr, len);
	close(fds[0]);
	close(fds[1]);
	return n == (ssize_t)len || (n < 0 && errno != EFAULT);
}

int
lagspeed_abi_check_port(uint16_t port_id, bool probing,
	bool need_link_update, const char **why)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	struct rte_eth_dev_info info;
	struct rte_eth_dev *dev;
	uint16_t mtu;

	*why = NULL;
	dev = lagspeed_abi_dev(port_id);
	if (!lagspeed_abi_readable(dev->data, sizeof(*dev->data))) {
		*why = "struct rte_eth_dev layout differs (data)";
		return -EPROTO;
	}
	if (probing)
		strlcpy(name, dev->data->name, sizeof(name));
	else if (rte_eth_dev_get_name_by_port(port_id, name) != 0) {
		*why = "port has no name";
		return -EPROTO;
	}
	/*
	 * The array stride (sizeof struct rte_eth_dev) and its base; while
	 * probing, the name came through our data pointer, which may be the
	 * wrong one.
	 */
	if (rte_eth_dev_allocated(name) != dev) {
		*why = probing ?
			"struct rte_eth_dev layout differs (stride or data)" :
			"rte_eth_devices[] stride differs from the library's";
		return -EPROTO;
	}
	if (dev->data->port_id != port_id ||
			strncmp(dev->data->name, name, sizeof(name)) != 0) {
		*why = "struct rte_eth_dev_data layout differs (port_id/name)";
		return -EPROTO;
	}
	if (!probing && (rte_eth_dev_info_get(port_id, &info) != 0 ||
			info.device != dev->device)) {
		*why = "struct rte_eth_dev layout differs (device)";
		return -EPROTO;
	}
	if (!probing && (rte_eth_dev_get_mtu(port_id, &mtu) != 0 ||
			mtu != dev->data->mtu)) {
		*why = "struct rte_eth_dev_data layout differs (mtu)";
		return -EPROTO;
	}
	if (!lagspeed_abi_readable(dev->dev_ops, LAGSPEED_OPS_SIZE)) {
		*why = "struct rte_eth_dev layout differs (dev_ops)";
		return -EPROTO;
	}
	if (need_link_update && lagspeed_abi_ops_slot_get(dev->dev_ops,
			LAGSPEED_SLOT_LINK_UPDATE) == NULL) {
		*why = "port's dev_ops has no link_update";
		return -EPROTO;
	}
	return 0;
}

int
lagspeed_abi_check_global(const char **why)
{
	const ElfW(Sym) *sym = NULL;
	int year = 0, month = 0;
	Dl_info info;

	*why = NULL;
	/* Our declarations are those of one release (and its LTS updates). */
	if (sscanf(rte_version(), "DPDK %d.%d", &year, &month) != 2 ||
			year != RTE_VER_YEAR || month != RTE_VER_MONTH) {
		*why = "another DPDK release";
		return -EPROTO;
	}
	if (dladdr1(rte_eth_devices, &info, (void **)&sym,
			RTLD_DL_SYMENT) == 0 || sym == NULL)
		return 0; /* not observable: the per-port checks remain */
	if (sym->st_size != 0 && sym->st_size !=
			sizeof(struct rte_eth_dev) * RTE_MAX_ETHPORTS) {
		*why = "sizeof(rte_eth_devices) differs from the library's";
		return -EPROTO;
	}
	return 0;
}

/* dev_started is a bit-field: find its bit by setting it alone. */
static size_t
lagspeed_abi_dev_started_bit(void)
{
	struct rte_eth_dev_data data;
	const unsigned char *byte = (const unsigned char *)&data;
	size_t i;

	memset(&data, 0, sizeof(data));
	data.dev_started = 1;
	for (i = 0; i < sizeof(data); i++)
		if (byte[i] != 0)
			return i * 8 + (size_t)__builtin_ctz(byte[i]);
	return SIZE_MAX;
}

void
lagspeed_abi_layout_get(struct lagspeed_abi_layout *l)
{
	l->dev_size = sizeof(struct rte_eth_dev);
	l->dev_data = offsetof(struct rte_eth_dev, data);
	l->dev_ops = offsetof(struct rte_eth_dev, dev_ops);
	l->dev_device = offsetof(struct rte_eth_dev, device);
	l->data_name = offsetof(struct rte_eth_dev_data, name);
	l->data_dev_link = offsetof(struct rte_eth_dev_data, dev_link);
	l->data_mtu = offsetof(struct rte_eth_dev_data, mtu);
	l->data_port_id = offsetof(struct rte_eth_dev_data, port_id);
	l->data_dev_started_bit = lagspeed_abi_dev_started_bit();
	l->ops_size = LAGSPEED_OPS_SIZE;
	l->ops_dev_start = LAGSPEED_OPS_OFF_DEV_START;
	l->ops_link_up = LAGSPEED_OPS_OFF_LINK_UP;
	l->ops_link_down = LAGSPEED_OPS_OFF_LINK_DOWN;
	l->ops_link_update = LAGSPEED_OPS_OFF_LINK_UPDATE;
	l->bus_size = sizeof(struct rte_bus);
	l->bus_name = offsetof(struct rte_bus, name);
	l->bus_scan = offsetof(struct rte_bus, scan);
	l->bus_probe = offsetof(struct rte_bus, probe);
	l->bus_find_device = offsetof(struct rte_bus, find_device);
	l->bus_cleanup = offsetof(struct rte_bus, cleanup);
}

static struct rte_bus lagspeed_bus;
static bool lagspeed_bus_registered;

static int
lagspeed_bus_scan(void)
{
	return 0;
}

static struct rte_device *
lagspeed_bus_find_device(const struct rte_device *start, rte_dev_cmp_t cmp,
	const void *data)
{
	RTE_SET_USED(start);
	RTE_SET_USED(cmp);
	RTE_SET_USED(data);
	return NULL;
}

void
lagspeed_abi_bus_register(const char *name, int (*probe)(void),
	int (*cleanup)(void))
{
	if (lagspeed_bus_registered)
		return;
	memset(&lagspeed_bus, 0, sizeof(lagspeed_bus));
	lagspeed_bus.name = name;
	lagspeed_bus.scan = lagspeed_bus_scan;
	lagspeed_bus.probe = probe;
	lagspeed_bus.find_device = lagspeed_bus_find_device;
	lagspeed_bus.cleanup = cleanup;
	rte_bus_register(&lagspeed_bus);
	lagspeed_bus_registered = true;
}

void
lagspeed_abi_bus_unregister(void)
{
	if (!lagspeed_bus_registered)
		return;
	rte_bus_unregister(&lagspeed_bus);
	lagspeed_bus_registered = false;
}
