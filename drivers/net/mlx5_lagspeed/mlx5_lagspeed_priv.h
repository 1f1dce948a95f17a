/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/* The plugin's shared state: extended ports and their IB devices. */

#ifndef MLX5_LAGSPEED_PRIV_H
#define MLX5_LAGSPEED_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>

#include <rte_config.h>
#include <rte_interrupts.h>
#include <rte_log.h>
#include <rte_spinlock.h>

#include "mlx5_lagspeed_abi.h"
#include "mlx5_lagspeed_config.h"
#include "mlx5_lagspeed_verbs.h"
#include "rte_pmd_mlx5_lagspeed.h"

/* The plugin is built with hidden visibility: only the public API shows. */
#define LAGSPEED_EXPORT __attribute__((visibility("default")))

extern int lagspeed_logtype;
#define LAGSPEED_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, lagspeed_logtype, \
		"mlx5_lagspeed: " fmt "\n", ## __VA_ARGS__)

/** One opened IB device: one verbs context shared by its ports. */
struct lagspeed_ibdev {
	TAILQ_ENTRY(lagspeed_ibdev) next;
	char name[LAGSPEED_IBDEV_NAME_MAX];
	struct ibv_context *ctx;
	struct rte_intr_handle *intr;
	unsigned int refs;       /**< extended ports using it */
	bool dead;               /**< fatal / EOF / released: ignore wakes */
	uint64_t events;         /**< async events read */
};

/** One extended port. Fields marked atomic are read lock-free. */
struct lagspeed_port {
	bool used;               /**< a record exists (info_get answers) */
	bool hooked;             /**< our ops are installed */
	uint16_t port_id;
	bool secondary;          /**< attached in a secondary process */
	/** Being forgotten: no LSC raise starts on it (under lock). */
	bool closing;
	struct rte_eth_dev *dev;
	uint64_t *dev_link;      /**< &dev->data->dev_link, as a word */
	const void *orig_ops;
	void *ops_copy;
	lagspeed_link_update_t orig_link_update;
	/** The PMD's dev_start / set_link_up / set_link_down, by slot. */
	lagspeed_dev_op_t orig_op[LAGSPEED_SLOT_MAX];
	struct lagspeed_ibdev *ibdev;
	char ib_name[LAGSPEED_IBDEV_NAME_MAX];
	uint32_t ib_port;
	unsigned int if_index;   /**< its netdev, 0 if none */
	uint64_t eff;            /**< atomic: see mlx5_lagspeed_link.h */
	uint64_t pmd_link;       /**< atomic: the link the PMD last wrote */
	uint64_t written;        /**< atomic: the link we last wrote */
	uint32_t pmd_learns;     /**< PMD writes learnt (fix_lock held) */
	rte_spinlock_t fix_lock; /**< serializes dev_link writers */
	enum rte_pmd_mlx5_lagspeed_state state;
	int last_error;
	uint64_t events;         /**< atomic */
	uint64_t changes;        /**< atomic */
	uint64_t lsc_callbacks;  /**< atomic */
	uint64_t last_change_us; /**< atomic */
};

/** Everything, under one lock (never held across application calls). */
struct lagspeed_state {
	pthread_mutex_t lock;
	struct lagspeed_config cfg;
	bool enabled;            /**< config good and not disabled */
	bool abi_broken;         /**< a run-time ABI check failed: hands off */
	bool cleaned;
	bool eth_cbs;            /**< NEW/DESTROY callbacks registered */
	bool verbs_tried;
	bool verbs_ok;
	pid_t pid;               /**< the process that loaded us */
	struct lagspeed_verbs verbs;
	TAILQ_HEAD(, lagspeed_ibdev) ibdevs;
	struct lagspeed_port ports[RTE_MAX_ETHPORTS];
	/** Bumped when a port's record is forgotten (outlives it). */
	uint32_t port_gen[RTE_MAX_ETHPORTS];
	/** atomic: LSC raises in flight on a port (outlives its record). */
	uint32_t raising[RTE_MAX_ETHPORTS];
	uint64_t intr_wakeups;   /**< atomic: interrupt callbacks run */
	/**
	 * atomic: devices allocated and not yet freed, including those EAL
	 * frees after their interrupt callback returned: the verbs library
	 * stays loaded for them.
	 */
	uint32_t ibdevs_live;
	bool cleanup_done;       /**< atomic: release_all() done with them */
	bool verbs_unloaded;     /**< atomic: the library went, once */
	/** Attach retries left for a port probed after us (under lock). */
	uint16_t attach_tries[RTE_MAX_ETHPORTS];
	/**
	 * NEW and DESTROY events seen per port id (under lock): an attach
	 * alarm armed before the last of them is stale.
	 */
	uint16_t attach_gen[RTE_MAX_ETHPORTS];
	/** Which bind= entries matched a port (under lock). */
	bool bind_used[LAGSPEED_MAX_BINDS];
};

extern struct lagspeed_state lagspeed;

/*
 * Unregister an interrupt callback, waiting while it runs on the interrupt
 * thread. From inside it, EAL unregisters it once it returned and calls
 * @p release: then true (the caller must not free what it uses).
 */
bool lagspeed_intr_unregister(struct rte_intr_handle *intr,
	rte_intr_callback_fn cb, void *arg,
	rte_intr_unregister_callback_fn release);

/* mlx5_lagspeed_hook.c: the wrapped ops. */
int lagspeed_hook_install(struct lagspeed_port *p);
/*
 * Unwrap, and give dev_link back to the PMD, as last learnt from
 * dev_link. That link can be stale: a PMD that wrote the very link we had
 * written (its speed grew to the effective one) cannot be told from us.
 * Returns the PMD's link_update, for a caller that can ask the PMD (not
 * under the plugin's lock), or NULL.
 */
lagspeed_link_update_t lagspeed_hook_remove(struct lagspeed_port *p);
/* Re-apply after the PMD may have written dev_link (cheap when not). */
void lagspeed_hook_fix_link(struct lagspeed_port *p);
/* Re-apply after the effective link changed. */
void lagspeed_hook_refresh(struct lagspeed_port *p);
/*
 * An LSC the PMD raised itself, having written dev_link behind dev_ops.
 * lagspeed_hook_pmd_lsc_masked() says whether our link down hides the
 * PMD's (its "down" would not show): then the caller asks the PMD for its
 * link (its link_update, not under the plugin's lock) and calls
 * lagspeed_hook_fix_link_pmd_lsc() with the learns it was given: a word
 * still ours, nothing learnt meanwhile, means the PMD's link is down.
 */
bool lagspeed_hook_pmd_lsc_masked(struct lagspeed_port *p, uint32_t *learns);
void lagspeed_hook_fix_link_pmd_lsc(struct lagspeed_port *p, uint32_t learns);

/* mlx5_lagspeed_netlink.c: re-apply after the PMD's netlink updates. */
int lagspeed_netlink_start(void);
void lagspeed_netlink_stop(void);

/* mlx5_lagspeed_telemetry.c */
void lagspeed_telemetry_register(void);

#endif /* MLX5_LAGSPEED_PRIV_H */
