/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_kvargs.h>

#include "mlx5_lagspeed_config.h"

static int
lagspeed_config_bind(const char *value, struct lagspeed_config *cfg,
	char *err, size_t err_len)
{
	struct lagspeed_bind *b;
	const char *at, *colon;
	unsigned long port;
	size_t eth_len, ib_len;
	char *end;

	if (cfg->n_binds >= LAGSPEED_MAX_BINDS) {
		snprintf(err, err_len, "bind=%s: more than %d bind= entries",
			value, LAGSPEED_MAX_BINDS);
		return -EINVAL;
	}
	at = strchr(value, '@');
	colon = at != NULL ? strrchr(at, ':') : NULL;
	if (at == NULL || colon == NULL) {
		snprintf(err, err_len,
			"bind=%s: expected bind=ETHDEV@IBDEV:PORT", value);
		return -EINVAL;
	}
	eth_len = (size_t)(at - value);
	ib_len = (size_t)(colon - at - 1);
	if (eth_len == 0 || eth_len >= sizeof(b->ethdev)) {
		snprintf(err, err_len, "bind=%s: bad ethdev name", value);
		return -EINVAL;
	}
	if (ib_len == 0 || ib_len >= sizeof(b->ibdev)) {
		snprintf(err, err_len, "bind=%s: bad IB device name", value);
		return -EINVAL;
	}
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || errno != 0 ||
			port < 1 || port > 255) {
		snprintf(err, err_len,
			"bind=%s: bad IB port '%s' (1..255)", value, colon + 1);
		return -EINVAL;
	}
	b = &cfg->binds[cfg->n_binds];
	memcpy(b->ethdev, value, eth_len);
	b->ethdev[eth_len] = '\0';
	if (lagspeed_config_find_bind(cfg, b->ethdev) != NULL) {
		snprintf(err, err_len, "bind=%s: ethdev %s bound twice",
			value, b->ethdev);
		return -EINVAL;
	}
	memcpy(b->ibdev, at + 1, ib_len);
	b->ibdev[ib_len] = '\0';
	b->ib_port = (uint32_t)port;
	cfg->n_binds++;
	return 0;
}

static int
lagspeed_config_path(const char *key, const char *value, char *dst,
	size_t dst_len, char *err, size_t err_len)
{
	if (value == NULL || value[0] == '\0' || strlen(value) >= dst_len) {
		snprintf(err, err_len, "%s=%s: bad path", key,
			value != NULL ? value : "");
		return -EINVAL;
	}
	strcpy(dst, value);
	return 0;
}

int
lagspeed_config_parse(const char *str, struct lagspeed_config *cfg,
	char *err, size_t err_len)
{
	struct rte_kvargs *kvlist;
	unsigned int i;
	int ret = 0;

	memset(cfg, 0, sizeof(*cfg));
	strcpy(cfg->ibverbs, LAGSPEED_DEFAULT_IBVERBS);
	strcpy(cfg->sysfs, "/sys");
	if (err_len > 0)
		err[0] = '\0';
	if (str == NULL || str[0] == '\0')
		return 0;
	/* No key list: rte_kvargs would reject an unknown key without
	 * saying which; we check the keys ourselves to name it.
	 */
	kvlist = rte_kvargs_parse(str, NULL);
	if (kvlist == NULL) {
		snprintf(err, err_len, "'%s' is not key=value[,key=value...]",
			str);
		return -EINVAL;
	}
	for (i = 0; i < kvlist->count && ret == 0; i++) {
		const char *key = kvlist->pairs[i].key;
		const char *value = kvlist->pairs[i].value;

		if (strcmp(key, "bind") == 0) {
			ret = lagspeed_config_bind(value != NULL ? value : "",
				cfg, err, err_len);
		} else if (strcmp(key, "ibverbs") == 0) {
			ret = lagspeed_config_path(key, value, cfg->ibverbs,
				sizeof(cfg->ibverbs), err, err_len);
		} else if (strcmp(key, "sysfs") == 0) {
			ret = lagspeed_config_path(key, value, cfg->sysfs,
				sizeof(cfg->sysfs), err, err_len);
		} else if (strcmp(key, "disable") == 0) {
			if (value != NULL && strcmp(value, "1") == 0) {
				cfg->disable = true;
			} else if (value != NULL && strcmp(value, "0") == 0) {
				cfg->disable = false;
			} else {
				snprintf(err, err_len,
					"disable=%s: expected 0 or 1",
					value != NULL ? value : "");
				ret = -EINVAL;
			}
		} else {
			snprintf(err, err_len,
				"unknown key '%s' (known: ibverbs, bind, disable, sysfs)",
				key);
			ret = -EINVAL;
		}
	}
	rte_kvargs_free(kvlist);
	return ret;
}

const struct lagspeed_bind *
lagspeed_config_find_bind(const struct lagspeed_config *cfg,
	const char *ethdev)
{
	unsigned int i;

	for (i = 0; i < cfg->n_binds; i++)
		if (strcmp(cfg->binds[i].ethdev, ethdev) == 0)
			return &cfg->binds[i];
	return NULL;
}
