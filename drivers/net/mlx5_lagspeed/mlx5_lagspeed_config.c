/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "mlx5_lagspeed_config.h"

/* What an IB device name is made of (mlx5_0, mlx5_bond_0, rocep8s0f0). */
#define LAGSPEED_IBDEV_NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZ" \
	"abcdefghijklmnopqrstuvwxyz0123456789_.-"

/*
 * An ethdev name as DPDK makes them (net_null0, 0000:08:00.2,
 * net_bonding0): printable, no blank. An '=' is a typo (bind==name).
 * Such a name would match no port, and nothing says so before exit.
 */
static bool
lagspeed_config_ethdev_chars(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!isgraph((unsigned char)name[i]) || name[i] == '=')
			return false;
	return true;
}

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
	if (eth_len == 0 || eth_len >= sizeof(b->ethdev) ||
			!lagspeed_config_ethdev_chars(value, eth_len)) {
		snprintf(err, err_len, "bind=%s: bad ethdev name", value);
		return -EINVAL;
	}
	if (ib_len == 0 || ib_len >= sizeof(b->ibdev) ||
			strspn(at + 1, LAGSPEED_IBDEV_NAME_CHARS) < ib_len) {
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
	size_t len = value != NULL ? strlen(value) : 0;

	if (len == 0) {
		snprintf(err, err_len, "%s=: bad path (empty)", key);
		return -EINVAL;
	}
	/* Said by its length: the path itself would fill the message. */
	if (len >= dst_len) {
		snprintf(err, err_len, "%s=: bad path (%zu characters, at most "
			"%zu)", key, len, dst_len - 1);
		return -EINVAL;
	}
	memcpy(dst, value, len + 1);
	return 0;
}

/*
 * One key=value (value NULL: no '='). seen: the single-valued keys given
 * so far, so that a repeated one is refused rather than the last winning.
 */
static int
lagspeed_config_entry(const char *key, const char *value,
	struct lagspeed_config *cfg, unsigned int *seen, char *err,
	size_t err_len)
{
	static const char *const single[] = { "ibverbs", "sysfs", "disable" };
	unsigned int i;

	for (i = 0; i < RTE_DIM(single); i++) {
		if (strcmp(key, single[i]) != 0)
			continue;
		if (*seen & (1u << i)) {
			snprintf(err, err_len, "%s= given twice", key);
			return -EINVAL;
		}
		*seen |= 1u << i;
	}
	if (strcmp(key, "bind") == 0)
		return lagspeed_config_bind(value != NULL ? value : "", cfg, err,
			err_len);
	if (strcmp(key, "ibverbs") == 0)
		return lagspeed_config_path(key, value, cfg->ibverbs,
			sizeof(cfg->ibverbs), err, err_len);
	if (strcmp(key, "sysfs") == 0)
		return lagspeed_config_path(key, value, cfg->sysfs,
			sizeof(cfg->sysfs), err, err_len);
	if (strcmp(key, "disable") == 0) {
		if (value != NULL && strcmp(value, "1") == 0) {
			cfg->disable = true;
		} else if (value != NULL && strcmp(value, "0") == 0) {
			cfg->disable = false;
		} else {
			snprintf(err, err_len, "disable=%s: expected 0 or 1",
				value != NULL ? value : "");
			return -EINVAL;
		}
		return 0;
	}
	snprintf(err, err_len,
		"unknown key '%s' (known: ibverbs, bind, disable, sysfs)", key);
	return -EINVAL;
}

/*
 * Split on ',' and '=' here rather than with rte_kvargs: it holds at most
 * RTE_KVARGS_MAX (32) pairs and then reports the whole string as not
 * key=value, while LAGSPEED may carry ibverbs= and LAGSPEED_MAX_BINDS
 * binds; and its errors do not name the entry at fault.
 */
int
lagspeed_config_parse(const char *str, struct lagspeed_config *cfg,
	char *err, size_t err_len)
{
	char *copy, *entry, *save = NULL;
	unsigned int seen = 0;
	int ret = 0;

	memset(cfg, 0, sizeof(*cfg));
	strcpy(cfg->ibverbs, LAGSPEED_DEFAULT_IBVERBS);
	strcpy(cfg->sysfs, "/sys");
	if (err_len > 0)
		err[0] = '\0';
	if (str == NULL || str[0] == '\0')
		return 0;
	if (str[0] == ',' || str[strlen(str) - 1] == ',' ||
			strstr(str, ",,") != NULL) {
		snprintf(err, err_len, "'%s': empty entry", str);
		return -EINVAL;
	}
	copy = strdup(str);
	if (copy == NULL) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	for (entry = strtok_r(copy, ",", &save); entry != NULL && ret == 0;
			entry = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(entry, '=');

		if (eq != NULL)
			*eq = '\0';
		if (entry[0] == '\0') {
			snprintf(err, err_len, "'=%s': no key",
				eq != NULL ? eq + 1 : "");
			ret = -EINVAL;
			break;
		}
		ret = lagspeed_config_entry(entry, eq != NULL ? eq + 1 : NULL,
			cfg, &seen, err, err_len);
	}
	free(copy);
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
