/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/*
 * The plugin: attach to ports, service the IB async events, detach.
 *
 * Loading: EAL runs our constructor inside rte_eal_init(), before the heap
 * exists. There we read LAGSPEED and register a bus whose probe() EAL
 * calls after the PCI/auxiliary buses (mlx5 ports exist) and before vdevs,
 * with the heap ready: there we attach the probed ports and ask for
 * RTE_ETH_EVENT_NEW (later ports: vdevs, hotplug) and DESTROY.
 *
 * Events: one verbs context per IB device, its async fd (non-blocking) on
 * the EAL interrupt thread. Each wake drains the fd (a bounded batch),
 * acks every event, folds them into one set of ports to re-query, queries
 * each once, and raises RTE_ETH_EVENT_INTR_LSC only for ports whose link
 * actually changed.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_alarm.h>
#include <rte_bus.h>
#include <rte_common.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_interrupts.h>
#include <rte_log.h>
#include <rte_version.h>

#include "mlx5_lagspeed_link.h"
#include "mlx5_lagspeed_priv.h"
#include "mlx5_lagspeed_sysfs.h"

RTE_LOG_REGISTER(lagspeed_logtype, pmd.net.mlx5_lagspeed, INFO);

/* The name of our bus (it only gives us a probe() and a cleanup()). */
#define LAGSPEED_BUS_NAME "mlx5_lagspeed"

/* Events read per wake before yielding the interrupt thread. */
#define LAGSPEED_EVENT_BUDGET 512

struct lagspeed_state lagspeed = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.ibdevs = TAILQ_HEAD_INITIALIZER(lagspeed.ibdevs),
};

static bool
lagspeed_is_primary(void)
{
	return rte_eal_process_type() == RTE_PROC_PRIMARY;
}

static uint64_t
lagspeed_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* ---- IB devices ---------------------------------------------------- */

static void lagspeed_ibdev_intr(void *arg);

/*
 * The verbs library goes once EAL cleanup ran and every device is freed
 * (whichever comes last; once). A device released from inside its own
 * interrupt callback (a fatal event) is freed by EAL later, possibly
 * after cleanup: it still needs the library to close its context.
 * Without the plugin's lock: EAL frees such a device holding its own
 * interrupt lock, which the plugin takes the other way round (callback
 * registration under the plugin's lock).
 */
static void
lagspeed_verbs_unload_when_unused(void)
{
	/*
	 * Sequentially consistent: a free (count, then flag) and the cleanup
	 * (flag, then count) must not both miss the other's write.
	 */
	if (__atomic_load_n(&lagspeed.cleanup_done, __ATOMIC_SEQ_CST) &&
			__atomic_load_n(&lagspeed.ibdevs_live, __ATOMIC_SEQ_CST) == 0 &&
			!__atomic_exchange_n(&lagspeed.verbs_unloaded, true,
				__ATOMIC_ACQ_REL))
		lagspeed_verbs_unload(&lagspeed.verbs);
}

static void
lagspeed_ibdev_free(struct lagspeed_ibdev *ib)
{
	if (ib->ctx != NULL)
		lagspeed.verbs.close_device(ib->ctx);
	rte_intr_instance_free(ib->intr);
	free(ib);
	__atomic_sub_fetch(&lagspeed.ibdevs_live, 1, __ATOMIC_SEQ_CST);
	lagspeed_verbs_unload_when_unused();
}

/* Called by EAL once our callback is off the list (pending unregister). */
static void
lagspeed_ibdev_free_pending(struct rte_intr_handle *handle, void *arg)
{
	RTE_SET_USED(handle);
	lagspeed_ibdev_free(arg);
}

bool
lagspeed_intr_unregister(struct rte_intr_handle *intr,
	rte_intr_callback_fn cb, void *arg,
	rte_intr_unregister_callback_fn release)
{
	int ret;

	for (;;) {
		ret = rte_intr_callback_unregister(intr, cb, arg);
		if (ret != -EAGAIN)
			return false;
		/*
		 * The callback is running. From inside it (it unhooks itself:
		 * a fatal event), waiting would never end: EAL releases once
		 * the callback returned. From another thread, wait for it.
		 */
		if (rte_thread_is_intr() &&
				rte_intr_callback_unregister_pending(intr, cb, arg,
					release) >= 0)
			return true;
		usleep(100);
	}
}

/*
 * Stop servicing a device and free it; without the lock held, since our
 * callback may be waiting for it.
 */
static void
lagspeed_ibdev_release(struct lagspeed_ibdev *ib)
{
	if (ib->intr != NULL && rte_intr_fd_get(ib->intr) >= 0 &&
			lagspeed_intr_unregister(ib->intr, lagspeed_ibdev_intr,
				ib, lagspeed_ibdev_free_pending))
		return;
	lagspeed_ibdev_free(ib);
}

/* Drop a port's reference; the device to release (unlocked) or NULL. */
static struct lagspeed_ibdev *
lagspeed_ibdev_put(struct lagspeed_ibdev *ib)
{
	if (ib == NULL || --ib->refs > 0)
		return NULL;
	TAILQ_REMOVE(&lagspeed.ibdevs, ib, next);
	ib->dead = true;
	return ib;
}

static bool
lagspeed_verbs_ready(void)
{
	char err[256];

	if (!lagspeed.verbs_tried) {
		lagspeed.verbs_tried = true;
		if (lagspeed_verbs_load(lagspeed.cfg.ibverbs, &lagspeed.verbs,
				err, sizeof(err)) != 0) {
			LAGSPEED_LOG(ERR,
				"%s: ports keep the speed their PMD reports", err);
			return false;
		}
		lagspeed.verbs_ok = true;
	}
	return lagspeed.verbs_ok;
}

static struct lagspeed_ibdev *
lagspeed_ibdev_get(const char *name)
{
	struct lagspeed_ibdev *ib;
	int flags, fd, err;

	TAILQ_FOREACH(ib, &lagspeed.ibdevs, next)
		if (strcmp(ib->name, name) == 0) {
			ib->refs++;
			return ib;
		}
	ib = calloc(1, sizeof(*ib));
	if (ib == NULL)
		return NULL;
	/* Counted until lagspeed_ibdev_free(): it keeps the library. */
	__atomic_add_fetch(&lagspeed.ibdevs_live, 1, __ATOMIC_SEQ_CST);
	strlcpy(ib->name, name, sizeof(ib->name));
	ib->ctx = lagspeed_verbs_open(&lagspeed.verbs, name);
	if (ib->ctx == NULL) {
		err = errno;
		/* The port's ERR line says it, with the port (one line). */
		LAGSPEED_LOG(DEBUG, "cannot open IB device %s: %s", name,
			strerror(err));
		lagspeed_ibdev_free(ib);
		errno = err; /* for the port's last_error */
		return NULL;
	}
	fd = ib->ctx->async_fd;
	flags = fcntl(fd, F_GETFL);
	ib->intr = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
			ib->intr == NULL ||
			rte_intr_type_set(ib->intr, RTE_INTR_HANDLE_EXT) != 0 ||
			rte_intr_fd_set(ib->intr, fd) != 0 ||
			rte_intr_callback_register(ib->intr, lagspeed_ibdev_intr,
				ib) != 0) {
		/* The port's ERR line says it, with the port (one line). */
		LAGSPEED_LOG(DEBUG, "cannot watch the async events of %s",
			name);
		if (ib->intr != NULL)
			rte_intr_fd_set(ib->intr, -1);
		lagspeed_ibdev_free(ib);
		errno = EIO;
		return NULL;
	}
	ib->refs = 1;
	TAILQ_INSERT_TAIL(&lagspeed.ibdevs, ib, next);
	return ib;
}

/* ---- ports --------------------------------------------------------- */

/* Whether the link laid over the PMD's differs between two records. */
static bool
lagspeed_link_visible_change(const struct lagspeed_port *p, uint64_t old_eff,
	uint64_t new_eff)
{
	union lagspeed_link_word pmd, before, after;

	pmd.word = __atomic_load_n(&p->pmd_link, __ATOMIC_RELAXED);
	before.word = 0;
	after.word = 0;
	before.link = lagspeed_link_apply(pmd.link, old_eff);
	after.link = lagspeed_link_apply(pmd.link, new_eff);
	return before.word != after.word;
}

/*
 * Query a port's effective speed and publish it (lock held).
 * @return true when the link an application sees changed.
 */
static bool
lagspeed_port_query(struct lagspeed_port *p, bool attaching)
{
	uint64_t speed = 0, old_eff, new_eff;
	int ret, err;

	errno = 0;
	ret = lagspeed.verbs.query_port_speed(p->ibdev->ctx, p->ib_port,
		&speed);
	err = lagspeed_verb_errno(ret, errno);
	old_eff = __atomic_load_n(&p->eff, __ATOMIC_RELAXED);
	if (err == 0) {
		new_eff = lagspeed_eff_from_query(speed);
		if (p->state == RTE_PMD_MLX5_LAGSPEED_QUERY_ERROR)
			LAGSPEED_LOG(INFO, "port %u: %s:%u queries again",
				p->port_id, p->ib_name, p->ib_port);
		p->state = RTE_PMD_MLX5_LAGSPEED_ACTIVE;
		p->last_error = 0;
	} else if (lagspeed_errno_unsupported(err)) {
		new_eff = 0;
		/* At attach, the attach's own line says it, with the name. */
		if (p->state != RTE_PMD_MLX5_LAGSPEED_UNSUPPORTED && !attaching)
			LAGSPEED_LOG(INFO,
				"port %u: %s:%u has no effective speed (%s): "
				"the PMD's speed is kept",
				p->port_id, p->ib_name, p->ib_port,
				strerror(err));
		p->state = RTE_PMD_MLX5_LAGSPEED_UNSUPPORTED;
		p->last_error = err;
	} else {
		/*
		 * Transient: keep the last good speed. At attach there is
		 * none yet, and the attach's own line says what failed.
		 */
		new_eff = old_eff;
		if (p->state != RTE_PMD_MLX5_LAGSPEED_QUERY_ERROR && !attaching)
			LAGSPEED_LOG(WARNING,
				"port %u: querying %s:%u failed (%s): last speed kept",
				p->port_id, p->ib_name, p->ib_port,
				strerror(err));
		p->state = RTE_PMD_MLX5_LAGSPEED_QUERY_ERROR;
		p->last_error = err;
	}
	if (!lagspeed_eff_changed(old_eff, new_eff))
		return false;
	__atomic_store_n(&p->eff, new_eff, __ATOMIC_RELEASE);
	if (p->hooked)
		lagspeed_hook_refresh(p);
	/*
	 * A new record need not change what applications see: a speed that
	 * comes back equal to the PMD's after none was applied (a query
	 * error, then the same speed), or an effective link laid over a
	 * link the PMD reports down. Only a change they see is one.
	 */
	if (!lagspeed_link_visible_change(p, old_eff, new_eff))
		return false;
	__atomic_add_fetch(&p->changes, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&p->last_change_us, lagspeed_now_us(),
		__ATOMIC_RELAXED);
	return true;
}

/*
 * Our own LSC callback, on every port slot (RTE_ETH_ALL) from our bus
 * probe, inside rte_eal_init(): ahead of any callback the application can
 * register, on ports probed later too. ethdev runs callbacks in
 * registration order, so when a PMD raises LSC itself after rewriting
 * dev_link behind dev_ops (mlx5 on netlink, net_bonding on a member
 * change), the link is fixed before any application callback reads it.
 */
static int
lagspeed_port_lsc_first(uint16_t port_id, enum rte_eth_event_type event,
	void *cb_arg, void *ret_param)
{
	lagspeed_link_update_t ask = NULL;
	struct lagspeed_port *p;
	uint32_t gen = 0, learns = 0;
	bool answered;

	RTE_SET_USED(event);
	RTE_SET_USED(cb_arg);
	RTE_SET_USED(ret_param);
	if (port_id >= RTE_MAX_ETHPORTS || !lagspeed_is_primary())
		return 0;
	p = &lagspeed.ports[port_id];
	/* The lock keeps the port from being forgotten meanwhile. */
	pthread_mutex_lock(&lagspeed.lock);
	if (!p->hooked) {
		pthread_mutex_unlock(&lagspeed.lock);
		return 0;
	}
	/*
	 * Ours (lagspeed_ibdev_intr() raising it: the fix is done) or the
	 * PMD's. The PMD's, over our link down, may hide its own "down":
	 * ask it for its link, outside the lock (a PMD may call back), the
	 * port held as during our raises.
	 */
	if (!p->closing &&
			__atomic_load_n(&lagspeed.raising[port_id],
				__ATOMIC_ACQUIRE) == 0 &&
			p->orig_link_update != NULL &&
			lagspeed_hook_pmd_lsc_masked(p, &learns)) {
		ask = p->orig_link_update;
		gen = lagspeed.port_gen[port_id];
		__atomic_add_fetch(&lagspeed.raising[port_id], 1,
			__ATOMIC_ACQUIRE);
	} else {
		lagspeed_hook_fix_link(p);
	}
	pthread_mutex_unlock(&lagspeed.lock);
	if (ask == NULL)
		return 0;
	/*
	 * A PMD whose link_update failed may have written nothing: no
	 * conclusion from its silence. -1 is no failure: many PMDs return
	 * what rte_eth_linkstatus_set() says, -1 for a link unchanged.
	 */
	answered = ask(lagspeed_abi_dev(port_id), 0) >= -1;
	pthread_mutex_lock(&lagspeed.lock);
	if (lagspeed.port_gen[port_id] == gen && p->hooked) {
		if (answered)
			lagspeed_hook_fix_link_pmd_lsc(p, learns);
		else
			lagspeed_hook_fix_link(p);
	}
	pthread_mutex_unlock(&lagspeed.lock);
	__atomic_sub_fetch(&lagspeed.raising[port_id], 1, __ATOMIC_RELEASE);
	return 0;
}

/*
 * Undo a port (lock held); the IB device to release, or NULL. The PMD's
 * link_update in *ask when it can be asked for its link afterwards.
 */
static struct lagspeed_ibdev *
lagspeed_port_unhook(struct lagspeed_port *p, lagspeed_link_update_t *ask)
{
	struct lagspeed_ibdev *ib = p->ibdev;
	lagspeed_link_update_t pmd_link_update = lagspeed_hook_remove(p);

	if (ask != NULL)
		*ask = pmd_link_update;
	__atomic_store_n(&p->eff, 0, __ATOMIC_RELEASE);
	p->ibdev = NULL;
	return lagspeed_ibdev_put(ib);
}

/* Forget a port entirely (lock held). */
static struct lagspeed_ibdev *
lagspeed_port_forget(struct lagspeed_port *p)
{
	struct lagspeed_ibdev *ib = lagspeed_port_unhook(p, NULL);

	lagspeed.port_gen[p->port_id]++;
	free(p->ops_copy);
	memset(p, 0, sizeof(*p));
	return ib;
}

/* Give up a port's device (lock held); the device to release or NULL. */
static struct lagspeed_ibdev *
lagspeed_port_drop_ibdev(struct lagspeed_port *p)
{
	struct lagspeed_ibdev *ib = lagspeed_ibdev_put(p->ibdev);

	p->ibdev = NULL;
	return ib;
}

static bool
lagspeed_driver_is_mlx5(const char *driver)
{
	return driver != NULL && (strcmp(driver, "mlx5_pci") == 0 ||
		strcmp(driver, "mlx5_auxiliary") == 0 ||
		strcmp(driver, "net_mlx5") == 0);
}

/*
 * Whether our view of a port's internals agrees with the library's (lock
 * held). The first mismatch turns the plugin off for good, said once.
 */
static bool
lagspeed_abi_port_ok(uint16_t port_id, bool probing)
{
	const char *why;

	if (lagspeed.abi_broken)
		return false;
	if (lagspeed_abi_check_port(port_id, probing, false, &why) == 0)
		return true;
	lagspeed.abi_broken = true;
	LAGSPEED_LOG(ERR,
		"DPDK ABI check failed on port %u (%s; built for %s, "
		"running %s): extending no port",
		port_id, why, lagspeed_abi_name, rte_version());
	return false;
}

/*
 * Follow the netlink messages of the port's netdev, if it has one (lock
 * held): mlx5 rewrites dev_link from ethtool on them.
 */
static void
lagspeed_port_follow_netdev(struct lagspeed_port *p)
{
	if (p->if_index != 0 && lagspeed_netlink_start() != 0)
		LAGSPEED_LOG(WARNING,
			"port %u: cannot follow netlink: a speed-only change "
			"the PMD reads from ethtool stays until the next event",
			p->port_id);
}

/*
 * Extend one port if it is ours to extend (lock held). Returns an IB
 * device to release once the lock is dropped, or NULL.
 */
static struct lagspeed_ibdev *
lagspeed_port_attach(uint16_t port_id, bool probing)
{
	char name[RTE_ETH_NAME_MAX_LEN], ibdev[LAGSPEED_IBDEV_NAME_MAX];
	const struct lagspeed_bind *bind;
	struct rte_eth_dev_info info;
	struct lagspeed_port *p;
	const char *origin = ""; /* where the IB device came from, for logs */
	uint32_t ib_port;
	uint64_t eff;

	if (port_id >= RTE_MAX_ETHPORTS)
		return NULL;
	p = &lagspeed.ports[port_id];
	if (!lagspeed.enabled || lagspeed.abi_broken || lagspeed.cleaned ||
			p->used)
		return NULL;
	memset(&info, 0, sizeof(info));
	if (probing) {
		/* Its name is only in its data: check before reading it. */
		if (!lagspeed_abi_port_ok(port_id, true))
			return NULL;
		strlcpy(name, lagspeed_abi_port_name(lagspeed_abi_dev(port_id)),
			sizeof(name));
	} else if (rte_eth_dev_get_name_by_port(port_id, name) != 0 ||
			rte_eth_dev_info_get(port_id, &info) != 0) {
		return NULL;
	}
	bind = lagspeed_config_find_bind(&lagspeed.cfg, name);
	if (bind != NULL)
		lagspeed.bind_used[bind - lagspeed.cfg.binds] = true;
	else if (!lagspeed_driver_is_mlx5(info.driver_name))
		return NULL;
	if (!probing && !lagspeed_abi_port_ok(port_id, false))
		return NULL;
	if (lagspeed_is_primary() && lagspeed_abi_ops_slot_get(
			lagspeed_abi_ops(lagspeed_abi_dev(port_id)),
			LAGSPEED_SLOT_LINK_UPDATE) == NULL) {
		/* Said once: a port bound by name comes back after its NEW. */
		if (!probing)
			LAGSPEED_LOG(INFO, "port %u (%s): its PMD has no "
				"link_update: not extended", port_id, name);
		return NULL;
	}
	if (bind != NULL) {
		strlcpy(ibdev, bind->ibdev, sizeof(ibdev));
		ib_port = bind->ib_port;
		origin = " (from bind=)";
	} else if (lagspeed_sysfs_find(lagspeed.cfg.sysfs, info.if_index,
			info.device != NULL ? rte_dev_name(info.device) : NULL,
			ibdev, sizeof(ibdev), &ib_port) != 0) {
		LAGSPEED_LOG(INFO, "port %u (%s): no IB device found in %s",
			port_id, name, lagspeed.cfg.sysfs);
		return NULL;
	}

	memset(p, 0, sizeof(*p));
	p->port_id = port_id;
	p->dev = lagspeed_abi_dev(port_id);
	strlcpy(p->ib_name, ibdev, sizeof(p->ib_name));
	p->ib_port = ib_port;
	p->if_index = info.if_index;

	if (!lagspeed_is_primary()) {
		/* The primary maintains the shared link; we only read it. */
		if (lagspeed_hook_install(p) != 0)
			return NULL;
		p->used = true;
		p->state = RTE_PMD_MLX5_LAGSPEED_ACTIVE;
		LAGSPEED_LOG(INFO, "port %u (%s): %s:%u, secondary: shared link",
			port_id, name, ibdev, ib_port);
		return NULL;
	}
	if (!lagspeed_verbs_ready())
		return NULL;
	p->used = true;
	if (lagspeed.verbs.query_port_speed == NULL) {
		p->state = RTE_PMD_MLX5_LAGSPEED_UNSUPPORTED;
		p->last_error = ENOSYS;
		LAGSPEED_LOG(INFO,
			"port %u (%s): %s has no ibv_query_port_speed "
			"(rdma-core < 62): the PMD's speed is kept",
			port_id, name, lagspeed.cfg.ibverbs);
		return NULL;
	}
	p->ibdev = lagspeed_ibdev_get(ibdev);
	if (p->ibdev == NULL) {
		p->last_error = errno;
		p->state = RTE_PMD_MLX5_LAGSPEED_DETACHED;
		LAGSPEED_LOG(ERR, "port %u (%s): IB device %s:%u unusable%s: "
			"%s: the PMD's speed is kept", port_id, name, ibdev,
			ib_port, origin, strerror(p->last_error));
		return NULL;
	}
	p->state = RTE_PMD_MLX5_LAGSPEED_ACTIVE;
	lagspeed_port_query(p, true);
	/* The first query is where we start from, not a change. */
	p->changes = 0;
	p->last_change_us = 0;
	if (p->state == RTE_PMD_MLX5_LAGSPEED_UNSUPPORTED) {
		/* Nothing to change: leave the port as it is. */
		LAGSPEED_LOG(INFO, "port %u (%s): %s:%u has no effective speed"
			" (%s): the PMD's speed is kept", port_id, name, ibdev,
			ib_port, strerror(p->last_error));
		return lagspeed_port_drop_ibdev(p);
	}
	if (p->state == RTE_PMD_MLX5_LAGSPEED_QUERY_ERROR &&
			p->last_error == EINVAL) {
		/*
		 * The verb refuses the port number itself (a device with
		 * fewer ports): no later query will do better.
		 */
		LAGSPEED_LOG(ERR, "port %u (%s): %s has no port %u%s: "
			"the PMD's speed is kept", port_id, name, ibdev, ib_port,
			origin);
		p->state = RTE_PMD_MLX5_LAGSPEED_DETACHED;
		return lagspeed_port_drop_ibdev(p);
	}
	if (lagspeed_hook_install(p) != 0) {
		p->state = RTE_PMD_MLX5_LAGSPEED_DETACHED;
		return lagspeed_port_drop_ibdev(p);
	}
	lagspeed_port_follow_netdev(p);
	eff = __atomic_load_n(&p->eff, __ATOMIC_RELAXED);
	if (p->state != RTE_PMD_MLX5_LAGSPEED_ACTIVE)
		LAGSPEED_LOG(WARNING, "port %u (%s): extended by %s:%u, query "
			"failed (%s): the PMD's speed until the next event",
			port_id, name, ibdev, ib_port, strerror(p->last_error));
	else if (!lagspeed_eff_up(eff))
		LAGSPEED_LOG(INFO, "port %u (%s): extended by %s:%u, "
			"the function is down", port_id, name, ibdev, ib_port);
	else
		LAGSPEED_LOG(INFO, "port %u (%s): extended by %s:%u, %u Mb/s",
			port_id, name, ibdev, ib_port, lagspeed_eff_speed(eff));
	return NULL;
}

/* ---- async events -------------------------------------------------- */

/* A port whose LSC may be raised once the lock is dropped. */
struct lagspeed_raise {
	uint16_t port_id;
	uint32_t gen;           /* the port's generation: still the same port? */
	bool detached;          /* by this call: raise only if the link moved */
	uint64_t before;        /* dev_link before the detach */
	lagspeed_link_update_t ask; /* the PMD's link_update, or NULL */
};

static void
lagspeed_ibdev_intr(void *arg)
{
	struct lagspeed_ibdev *ib = arg, *release = NULL;
	struct lagspeed_raise raise[RTE_MAX_ETHPORTS];
	struct ibv_async_event event;
	unsigned int n = 0, n_raise = 0, i;
	uint64_t dirty = 0;
	bool fatal = false;
	int err = 0;

	__atomic_add_fetch(&lagspeed.intr_wakeups, 1, __ATOMIC_RELAXED);
	pthread_mutex_lock(&lagspeed.lock);
	if (ib->dead) {
		pthread_mutex_unlock(&lagspeed.lock);
		return;
	}
	while (n < LAGSPEED_EVENT_BUDGET) {
		uint64_t mask = 0;

		errno = 0;
		if (lagspeed.verbs.get_async_event(ib->ctx, &event) != 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
					errno == EINTR)
				break;
			/* EOF reads as a failure with errno untouched. */
			if (!fatal)
				err = errno != 0 ? errno : EPIPE;
			fatal = true;
			break;
		}
		n++;
		if (lagspeed_event_classify(event.event_type,
				(uint32_t)event.element.port_num, &mask) ==
				LAGSPEED_EVENT_FATAL && !fatal) {
			fatal = true;
			err = ENODEV;
		}
		for (i = 0; i < RTE_MAX_ETHPORTS; i++) {
			struct lagspeed_port *p = &lagspeed.ports[i];

			if (p->ibdev == ib && (fatal ||
				lagspeed_event_port_dirty(mask, p->ib_port)))
				__atomic_add_fetch(&p->events, 1,
					__ATOMIC_RELAXED);
		}
		dirty |= mask;
		lagspeed.verbs.ack_async_event(&event);
	}
	ib->events += n;

	for (i = 0; i < RTE_MAX_ETHPORTS; i++) {
		struct lagspeed_port *p = &lagspeed.ports[i];
		struct lagspeed_raise *r = &raise[n_raise];
		struct lagspeed_ibdev *gone;

		if (!p->used || p->ibdev != ib)
			continue;
		memset(r, 0, sizeof(*r));
		if (fatal) {
			uint64_t before = p->dev_link != NULL ?
				__atomic_load_n(p->dev_link, __ATOMIC_ACQUIRE) : 0;

			LAGSPEED_LOG(ERR,
				"port %u: IB device %s %s: detached, the PMD's speed is back",
				p->port_id, ib->name,
				err == ENODEV ? "reported a fatal error" :
				"async events failed");
			gone = lagspeed_port_unhook(p, &r->ask);
			p->state = RTE_PMD_MLX5_LAGSPEED_DETACHED;
			p->last_error = err;
			/* The speed source changed: when is part of the record. */
			__atomic_store_n(&p->last_change_us, lagspeed_now_us(),
				__ATOMIC_RELAXED);
			if (gone != NULL)
				release = gone;
			if (p->dev_link == NULL)
				continue;
			r->detached = true;
			r->before = before;
		} else if (!lagspeed_event_port_dirty(dirty, p->ib_port) ||
				!lagspeed_port_query(p, false)) {
			continue;
		}
		r->port_id = p->port_id;
		r->gen = lagspeed.port_gen[p->port_id];
		n_raise++;
	}
	pthread_mutex_unlock(&lagspeed.lock);

	/*
	 * Outside the lock: application callbacks may call into us, or
	 * close ports. A port released meanwhile (by a callback of ours,
	 * on this thread) is skipped; one being released by another thread
	 * waits in lagspeed_eth_event() until we are done with it.
	 */
	for (i = 0; i < n_raise; i++) {
		const struct lagspeed_raise *r = &raise[i];
		struct rte_eth_dev *dev = lagspeed_abi_dev(r->port_id);
		bool same;

		pthread_mutex_lock(&lagspeed.lock);
		same = lagspeed.port_gen[r->port_id] == r->gen &&
			lagspeed.ports[r->port_id].used &&
			!lagspeed.ports[r->port_id].closing;
		if (same) {
			__atomic_add_fetch(&lagspeed.raising[r->port_id], 1,
				__ATOMIC_ACQUIRE);
			/* A detached port is counted once it is known to move. */
			if (!r->detached)
				__atomic_add_fetch(
					&lagspeed.ports[r->port_id].lsc_callbacks,
					1, __ATOMIC_RELAXED);
		}
		pthread_mutex_unlock(&lagspeed.lock);
		if (!same)
			continue;
		/*
		 * A detached port got the PMD's link as last learnt, which
		 * can be stale (lagspeed_hook_remove()): ask the PMD, which
		 * writes over it if its link_update computes one (net_null's
		 * does not). Outside the lock: its link_update may raise
		 * events whose callbacks call into us. Only a started port:
		 * ethdev closes only stopped ones, so this keeps clear of
		 * most of a close on another thread (not all: a stop may
		 * begin right after the check), and readers of a stopped port
		 * call the PMD themselves. Then LSC only if the link the
		 * application sees changed.
		 */
		if (r->detached) {
			if (r->ask != NULL && lagspeed_abi_dev_started(dev))
				r->ask(dev, 0);
			if (__atomic_load_n(lagspeed_abi_dev_link(dev),
					__ATOMIC_ACQUIRE) == r->before) {
				__atomic_sub_fetch(&lagspeed.raising[r->port_id],
					1, __ATOMIC_RELEASE);
				continue;
			}
			pthread_mutex_lock(&lagspeed.lock);
			if (lagspeed.port_gen[r->port_id] == r->gen)
				__atomic_add_fetch(
					&lagspeed.ports[r->port_id].lsc_callbacks,
					1, __ATOMIC_RELAXED);
			pthread_mutex_unlock(&lagspeed.lock);
		}
		lagspeed_abi_callback_process(dev, RTE_ETH_EVENT_INTR_LSC);
		__atomic_sub_fetch(&lagspeed.raising[r->port_id], 1,
			__ATOMIC_RELEASE);
	}
	if (release != NULL)
		lagspeed_ibdev_release(release);
}

/* ---- attach points: bus probe, NEW / DESTROY, cleanup ---------------- */

/*
 * A port probed after us is seen again from the interrupt thread, once
 * ethdev marked it attached: that happens only after every NEW callback
 * returned (ours is first), so an application's slow one delays it. Tried
 * every millisecond, for two seconds at most.
 */
#define LAGSPEED_ATTACH_TRIES 2000
#define LAGSPEED_ATTACH_RETRY_US 1000

/* An attach alarm's argument: the port and the NEW event it follows. */
static void *
lagspeed_attach_arg(uint16_t port_id)
{
	return (void *)(uintptr_t)((uint32_t)lagspeed.attach_gen[port_id] << 16 |
		port_id);
}

static void
lagspeed_port_attach_later(void *arg)
{
	uint16_t port_id = (uint16_t)(uintptr_t)arg;
	uint16_t gen = (uint16_t)((uintptr_t)arg >> 16);
	struct lagspeed_ibdev *release = NULL;
	struct lagspeed_port *p = &lagspeed.ports[port_id];
	struct rte_eth_dev_info info;
	int probed;

	pthread_mutex_lock(&lagspeed.lock);
	if (lagspeed.cleaned || gen != lagspeed.attach_gen[port_id]) {
		/* destroyed meanwhile (or since new again), or EAL is going */
		pthread_mutex_unlock(&lagspeed.lock);
		return;
	} else if (rte_eth_dev_is_valid_port(port_id) &&
			(probed = lagspeed_abi_dev_probed(
				lagspeed_abi_dev(port_id))) <= 0) {
		/*
		 * Attached, but its driver's probe has not returned (it may
		 * go on with more ports): come back, for as long as it takes
		 * (DESTROY makes the alarm stale). Without a device at all,
		 * nothing can be asked of it.
		 */
		if (probed < 0)
			LAGSPEED_LOG(DEBUG, "port %u: no device: not extended",
				port_id);
		else if (rte_eal_alarm_set(LAGSPEED_ATTACH_RETRY_US,
				lagspeed_port_attach_later, arg) != 0)
			LAGSPEED_LOG(ERR, "port %u: cannot schedule its attach",
				port_id);
	} else if (!rte_eth_dev_is_valid_port(port_id)) {
		/* Not attached yet: within the NEW callbacks. */
		if (lagspeed.attach_tries[port_id] == 0)
			LAGSPEED_LOG(WARNING, "port %u: still not attached %u ms "
				"after its NEW event: not extended", port_id,
				LAGSPEED_ATTACH_TRIES * LAGSPEED_ATTACH_RETRY_US /
				1000);
		else if (rte_eal_alarm_set(LAGSPEED_ATTACH_RETRY_US,
				lagspeed_port_attach_later, arg) != 0)
			LAGSPEED_LOG(ERR, "port %u: cannot schedule its attach",
				port_id);
		else {
			lagspeed.attach_tries[port_id]--;
			pthread_mutex_unlock(&lagspeed.lock);
			return;
		}
	} else if (p->used) {
		/* Bound by name, extended at NEW: its netdev is known now. */
		if (lagspeed_is_primary() && p->hooked && p->if_index == 0 &&
				rte_eth_dev_info_get(port_id, &info) == 0) {
			p->if_index = info.if_index;
			lagspeed_port_follow_netdev(p);
		}
	} else {
		release = lagspeed_port_attach(port_id, false);
	}
	pthread_mutex_unlock(&lagspeed.lock);
	if (release != NULL)
		lagspeed_ibdev_release(release);
}

/*
 * Until the LSC raises under way on a port have returned (lock not held:
 * their application callbacks may call into us). The caller marked the
 * port closing first, so none starts meanwhile.
 */
static void
lagspeed_raises_wait(uint16_t port_id)
{
	while (__atomic_load_n(&lagspeed.raising[port_id],
			__ATOMIC_ACQUIRE) != 0)
		usleep(100);
}

static int
lagspeed_eth_event(uint16_t port_id, enum rte_eth_event_type event,
	void *cb_arg, void *ret_param)
{
	struct lagspeed_ibdev *release = NULL;

	RTE_SET_USED(cb_arg);
	RTE_SET_USED(ret_param);
	LAGSPEED_LOG(DEBUG, "port %u: event %d", port_id, (int)event);
	pthread_mutex_lock(&lagspeed.lock);
	if (event == RTE_ETH_EVENT_NEW && port_id < RTE_MAX_ETHPORTS &&
			lagspeed.enabled && !lagspeed.abi_broken) {
		/*
		 * ethdev raises NEW before the port is usable through its
		 * API. A port bound by name is extended now (before the
		 * application can see it); others wait for the interrupt
		 * thread to find out their driver. Its name is in its data
		 * only: the ABI check comes first.
		 */
		bool ok = lagspeed_abi_port_ok(port_id, true);

		if (ok && lagspeed_config_find_bind(&lagspeed.cfg,
				lagspeed_abi_port_name(
					lagspeed_abi_dev(port_id))) != NULL)
			release = lagspeed_port_attach(port_id, true);
		/*
		 * Bound ones come back for their netdev, others to attach;
		 * an alarm left from an earlier life of the port id is stale.
		 */
		lagspeed.attach_gen[port_id]++;
		lagspeed.attach_tries[port_id] = LAGSPEED_ATTACH_TRIES;
		if (ok && rte_eal_alarm_set(1, lagspeed_port_attach_later,
				lagspeed_attach_arg(port_id)) != 0)
			LAGSPEED_LOG(ERR, "port %u: cannot schedule its attach",
				port_id);
	} else if (event == RTE_ETH_EVENT_DESTROY &&
			port_id < RTE_MAX_ETHPORTS) {
		/* An attach alarm still to come for it is stale. */
		lagspeed.attach_gen[port_id]++;
		/*
		 * ethdev clears the port once we return, and an LSC the
		 * interrupt thread is raising on it may have a callback
		 * inside our wrappers, which use the record: no raise starts
		 * any more (closing), the ones under way end, then the
		 * record goes. Not on the interrupt thread: there the raise
		 * is ours, running the callback that closes.
		 */
		if (lagspeed.ports[port_id].used && !rte_thread_is_intr()) {
			lagspeed.ports[port_id].closing = true;
			pthread_mutex_unlock(&lagspeed.lock);
			lagspeed_raises_wait(port_id);
			pthread_mutex_lock(&lagspeed.lock);
		}
		if (lagspeed.ports[port_id].used)
			release = lagspeed_port_forget(&lagspeed.ports[port_id]);
	}
	pthread_mutex_unlock(&lagspeed.lock);
	if (release != NULL)
		lagspeed_ibdev_release(release);
	return 0;
}

static int
lagspeed_bus_probe(void)
{
	struct lagspeed_ibdev *release[RTE_MAX_ETHPORTS];
	unsigned int n = 0, i;
	const char *why;
	uint16_t port_id;

	LAGSPEED_LOG(DEBUG, "bus probe: %u ports so far", rte_eth_dev_count_avail());
	pthread_mutex_lock(&lagspeed.lock);
	if (lagspeed.enabled && !lagspeed.abi_broken &&
			lagspeed_abi_check_global(&why) != 0) {
		lagspeed.abi_broken = true;
		LAGSPEED_LOG(ERR,
			"DPDK ABI check failed (%s; built for %s, running %s): "
			"extending no port", why, lagspeed_abi_name,
			rte_version());
	}
	if (lagspeed.enabled && !lagspeed.abi_broken && !lagspeed.eth_cbs &&
			!lagspeed.cleaned) {
		if (rte_eth_dev_callback_register(RTE_ETH_ALL,
				RTE_ETH_EVENT_NEW, lagspeed_eth_event, NULL) != 0 ||
				rte_eth_dev_callback_register(RTE_ETH_ALL,
				RTE_ETH_EVENT_DESTROY, lagspeed_eth_event,
				NULL) != 0 ||
				rte_eth_dev_callback_register(RTE_ETH_ALL,
				RTE_ETH_EVENT_INTR_LSC, lagspeed_port_lsc_first,
				NULL) != 0)
			LAGSPEED_LOG(ERR,
				"cannot register ethdev callbacks: ports probed "
				"later or PMD-raised LSC may be missed");
		lagspeed.eth_cbs = true;
		RTE_ETH_FOREACH_DEV(port_id) {
			release[n] = lagspeed_port_attach(port_id, false);
			if (release[n] != NULL)
				n++;
		}
	}
	pthread_mutex_unlock(&lagspeed.lock);
	for (i = 0; i < n; i++)
		lagspeed_ibdev_release(release[i]);
	return 0;
}

/*
 * Unhook everything and release every resource. From EAL cleanup the
 * application is done with its ports: records are forgotten. At exit (the
 * library destructor, without EAL cleanup) other threads may still be
 * inside a wrapper: ports are unhooked but their records stay.
 */
static void
lagspeed_release_all(bool forget)
{
	struct lagspeed_ibdev *release[RTE_MAX_ETHPORTS], *ib;
	unsigned int n = 0, i;

	pthread_mutex_lock(&lagspeed.lock);
	if (lagspeed.cleaned) {
		pthread_mutex_unlock(&lagspeed.lock);
		return;
	}
	lagspeed.cleaned = true;
	/*
	 * A bind= that never matched is most likely a mistyped name. Said at
	 * exit too: applications that never call rte_eal_cleanup() exist.
	 */
	for (i = 0; lagspeed.enabled && i < lagspeed.cfg.n_binds; i++)
		if (!lagspeed.bind_used[i])
			LAGSPEED_LOG(WARNING, "bind=%s@%s:%u: no port named %s "
				"was seen", lagspeed.cfg.binds[i].ethdev,
				lagspeed.cfg.binds[i].ibdev,
				lagspeed.cfg.binds[i].ib_port,
				lagspeed.cfg.binds[i].ethdev);
	if (lagspeed.eth_cbs) {
		rte_eth_dev_callback_unregister(RTE_ETH_ALL, RTE_ETH_EVENT_NEW,
			lagspeed_eth_event, NULL);
		rte_eth_dev_callback_unregister(RTE_ETH_ALL,
			RTE_ETH_EVENT_DESTROY, lagspeed_eth_event, NULL);
		rte_eth_dev_callback_unregister(RTE_ETH_ALL,
			RTE_ETH_EVENT_INTR_LSC, lagspeed_port_lsc_first, NULL);
		lagspeed.eth_cbs = false;
	}
	/*
	 * As at DESTROY: an LSC the interrupt thread is raising may have a
	 * callback inside our wrappers, which use the records. EAL may clean
	 * our bus up before the buses of the ports (whose closes would wait
	 * at DESTROY): no raise starts any more, those under way end, then
	 * the records go.
	 */
	if (forget && !rte_thread_is_intr()) {
		for (i = 0; i < RTE_MAX_ETHPORTS; i++)
			lagspeed.ports[i].closing = lagspeed.ports[i].used;
		pthread_mutex_unlock(&lagspeed.lock);
		for (i = 0; i < RTE_MAX_ETHPORTS; i++)
			lagspeed_raises_wait(i);
		pthread_mutex_lock(&lagspeed.lock);
	}
	for (i = 0; i < RTE_MAX_ETHPORTS; i++) {
		if (!lagspeed.ports[i].used)
			continue;
		ib = forget ? lagspeed_port_forget(&lagspeed.ports[i]) :
			lagspeed_port_unhook(&lagspeed.ports[i], NULL);
		if (ib != NULL)
			release[n++] = ib;
	}
	/* Devices whose ports were detached already hold no reference. */
	pthread_mutex_unlock(&lagspeed.lock);
	/* Not under the lock: cancel waits for a running alarm, which locks. */
	rte_eal_alarm_cancel(lagspeed_port_attach_later, (void *)-1);
	lagspeed_netlink_stop();
	for (i = 0; i < n; i++)
		lagspeed_ibdev_release(release[i]);
	pthread_mutex_lock(&lagspeed.lock);
	lagspeed.verbs_tried = false;
	lagspeed.verbs_ok = false;
	pthread_mutex_unlock(&lagspeed.lock);
	/* Now, or by the last device EAL still has to free. */
	__atomic_store_n(&lagspeed.cleanup_done, true, __ATOMIC_SEQ_CST);
	lagspeed_verbs_unload_when_unused();
}

/* The bus's cleanup(), from rte_eal_cleanup(). */
static int
lagspeed_cleanup(void)
{
	lagspeed_release_all(true);
	return 0;
}

RTE_INIT(lagspeed_init)
{
	const char *env = getenv(LAGSPEED_ENV);
	char err[512];

	/*
	 * Installed in the plugin directory and given with -d too: the
	 * first copy loaded does the work (and says what it thinks of
	 * LAGSPEED), a second would wrap the ports again.
	 */
	if (rte_bus_find_by_name(LAGSPEED_BUS_NAME) != NULL) {
		LAGSPEED_LOG(INFO, "another copy of the plugin is loaded: "
			"this one stays out");
		return;
	}
	lagspeed.pid = getpid();
	lagspeed_abi_bus_register(LAGSPEED_BUS_NAME, lagspeed_bus_probe,
		lagspeed_cleanup);
	if (lagspeed_config_parse(env, &lagspeed.cfg, err, sizeof(err)) != 0) {
		LAGSPEED_LOG(ERR, "%s: %s: extending no port", LAGSPEED_ENV,
			err);
		return;
	}
	if (lagspeed.cfg.disable) {
		LAGSPEED_LOG(INFO, "disabled by %s", LAGSPEED_ENV);
		return;
	}
	lagspeed.enabled = true;
	lagspeed_telemetry_register();
}

RTE_FINI(lagspeed_fini)
{
	/*
	 * A forked child exiting owns none of this: the ports, their shared
	 * dev_link and the EAL heap are its parent's.
	 */
	if (lagspeed.pid == 0 || getpid() != lagspeed.pid)
		return;
	if (lagspeed.enabled)
		lagspeed_release_all(false);
	lagspeed_abi_bus_unregister();
}

/* ---- public API ------------------------------------------------------ */

LAGSPEED_EXPORT const char *
rte_pmd_mlx5_lagspeed_state_str(enum rte_pmd_mlx5_lagspeed_state state)
{
	return rte_pmd_mlx5_lagspeed_state_name(state);
}

LAGSPEED_EXPORT int
rte_pmd_mlx5_lagspeed_info_get(uint16_t port_id,
	struct rte_pmd_mlx5_lagspeed_info *info)
{
	struct lagspeed_port *p;
	struct rte_eth_link link;
	uint64_t eff;

	if (info == NULL)
		return -EINVAL;
	if (port_id >= RTE_MAX_ETHPORTS)
		return -ENODEV;
	pthread_mutex_lock(&lagspeed.lock);
	p = &lagspeed.ports[port_id];
	if (!p->used) {
		pthread_mutex_unlock(&lagspeed.lock);
		return -ENODEV;
	}
	memset(info, 0, sizeof(*info));
	strlcpy(info->ib_device, p->ib_name, sizeof(info->ib_device));
	info->ib_port = p->ib_port;
	info->state = p->state;
	info->last_error = p->last_error;
	if (lagspeed_is_primary() && p->hooked) {
		union lagspeed_link_word pmd;

		eff = __atomic_load_n(&p->eff, __ATOMIC_ACQUIRE);
		pmd.word = __atomic_load_n(&p->pmd_link, __ATOMIC_RELAXED);
		link = lagspeed_link_apply(pmd.link, eff);
		info->effective_speed = link.link_speed;
		info->pmd_speed = pmd.link.link_speed;
	} else {
		/*
		 * The shared link: in the primary a port not extended
		 * (unsupported, detached) holds the PMD's own; in a secondary
		 * it is the one the primary keeps, and what the PMD alone
		 * says and the primary's state are not known here.
		 */
		union lagspeed_link_word shared;

		shared.word = __atomic_load_n(lagspeed_abi_dev_link(p->dev),
			__ATOMIC_ACQUIRE);
		info->effective_speed = shared.link.link_speed;
		info->pmd_speed = lagspeed_is_primary() ?
			shared.link.link_speed : 0;
	}
	info->events = __atomic_load_n(&p->events, __ATOMIC_RELAXED);
	info->changes = __atomic_load_n(&p->changes, __ATOMIC_RELAXED);
	info->lsc_callbacks = __atomic_load_n(&p->lsc_callbacks,
		__ATOMIC_RELAXED);
	info->last_change_us = __atomic_load_n(&p->last_change_us,
		__ATOMIC_RELAXED);
	pthread_mutex_unlock(&lagspeed.lock);
	return 0;
}

LAGSPEED_EXPORT uint64_t
rte_pmd_mlx5_lagspeed_intr_wakeups(void)
{
	return __atomic_load_n(&lagspeed.intr_wakeups, __ATOMIC_RELAXED);
}
