/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/* The LAGSPEED environment variable, parsed with rte_kvargs. */

#ifndef MLX5_LAGSPEED_CONFIG_H
#define MLX5_LAGSPEED_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_dev.h>

/** Name of the environment variable. */
#define LAGSPEED_ENV "LAGSPEED"
/** The verbs library loaded when ibverbs= is not given. */
#define LAGSPEED_DEFAULT_IBVERBS "libibverbs.so.1"
/** Longest IB device name (IB_DEVICE_NAME_MAX in rdma-core). */
#define LAGSPEED_IBDEV_NAME_MAX 64
/** Most bind= entries. */
#define LAGSPEED_MAX_BINDS 32

/** One bind=ETHDEV@IBDEV:PORT. */
struct lagspeed_bind {
	char ethdev[RTE_DEV_NAME_MAX_LEN];
	char ibdev[LAGSPEED_IBDEV_NAME_MAX];
	uint32_t ib_port;
};

/** The parsed configuration. */
struct lagspeed_config {
	bool disable;                     /**< disable=1 */
	char ibverbs[PATH_MAX];           /**< ibverbs= or the default */
	char sysfs[PATH_MAX];             /**< sysfs= root, default "/sys" */
	unsigned int n_binds;
	struct lagspeed_bind binds[LAGSPEED_MAX_BINDS];
};

/**
 * Parse a LAGSPEED string (NULL or empty: defaults).
 * @param[out] err
 *   On failure, a message naming the bad key or value.
 * @return 0 or -EINVAL.
 */
int lagspeed_config_parse(const char *str, struct lagspeed_config *cfg,
	char *err, size_t err_len);

/** The bind= entry for an ethdev name, or NULL. */
const struct lagspeed_bind *lagspeed_config_find_bind(
	const struct lagspeed_config *cfg, const char *ethdev);

#endif /* MLX5_LAGSPEED_CONFIG_H */
