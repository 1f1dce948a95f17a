/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlx5_lagspeed_sysfs.h"

/* snprintf into a path buffer; false when it does not fit. */
#define LAGSPEED_PATH(buf, ...) \
	(snprintf(buf, sizeof(buf), __VA_ARGS__) < (int)sizeof(buf))

/* The first line of a file, without its newline; false if absent or empty. */
static bool
lagspeed_sysfs_read_line(const char *path, char *buf, size_t len)
{
	FILE *f;
	bool ok;

	f = fopen(path, "r");
	if (f == NULL)
		return false;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

/* Read a small unsigned decimal file; false if absent or malformed. */
static bool
lagspeed_sysfs_read_uint(const char *path, unsigned long *value)
{
	char buf[32], *end;

	if (!lagspeed_sysfs_read_line(path, buf, sizeof(buf)))
		return false;
	errno = 0;
	*value = strtoul(buf, &end, 0);
	return errno == 0 && end != buf && *end == '\0';
}

/* The first (by name) entry of a directory; false if none. */
static bool
lagspeed_sysfs_first_entry(const char *dir, char *name, size_t len)
{
	struct dirent **list;
	bool found = false;
	int n, i;

	n = scandir(dir, &list, NULL, alphasort);
	if (n < 0)
		return false;
	for (i = 0; i < n; i++) {
		if (!found && list[i]->d_name[0] != '.' &&
				strlen(list[i]->d_name) < len) {
			strcpy(name, list[i]->d_name);
			found = true;
		}
		free(list[i]);
	}
	free(list);
	return found;
}

/* The netdev whose ifindex file holds if_index. */
static bool
lagspeed_sysfs_netdev(const char *root, unsigned int if_index, char *netdev,
	size_t len)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct dirent *e;
	unsigned long idx;
	bool found = false;
	DIR *d;

	if (!LAGSPEED_PATH(dir, "%s/class/net", root))
		return false;
	d = opendir(dir);
	if (d == NULL)
		return false;
	while (!found && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (!LAGSPEED_PATH(path, "%s/%s/ifindex", dir, e->d_name))
			continue;
		if (lagspeed_sysfs_read_uint(path, &idx) && idx == if_index &&
				strlen(e->d_name) < len) {
			strcpy(netdev, e->d_name);
			found = true;
		}
	}
	closedir(d);
	return found;
}

/*
 * The port of an IB device whose RoCE netdev is netdev: the netdev of its
 * GID 0 (ports/<n>/gid_attrs/ndevs/0), which every RoCE port has. This
 * is what tells the representors of a switchdev eswitch apart: they share
 * the uplink's IB device, one port each, and none has a dev_port.
 */
static bool
lagspeed_sysfs_roce_port(const char *ibdir, const char *netdev,
	uint32_t *ib_port)
{
	char dir[PATH_MAX], path[PATH_MAX], name[64];
	struct dirent *e;
	unsigned long port;
	bool found = false;
	char *end;
	DIR *d;

	if (!LAGSPEED_PATH(dir, "%s/ports", ibdir))
		return false;
	d = opendir(dir);
	if (d == NULL)
		return false;
	while (!found && (e = readdir(d)) != NULL) {
		errno = 0;
		port = strtoul(e->d_name, &end, 10);
		if (errno != 0 || end == e->d_name || *end != '\0' ||
				port == 0 || port > UINT32_MAX)
			continue;
		if (LAGSPEED_PATH(path, "%s/%s/gid_attrs/ndevs/0", dir,
				e->d_name) &&
				lagspeed_sysfs_read_line(path, name, sizeof(name)) &&
				strcmp(name, netdev) == 0) {
			*ib_port = (uint32_t)port;
			found = true;
		}
	}
	closedir(d);
	return found;
}

/* A netdev's own IB device and port. */
static bool
lagspeed_sysfs_netdev_ib(const char *root, const char *netdev, char *ibdev,
	size_t len, uint32_t *ib_port)
{
	char path[PATH_MAX];
	unsigned long dev_port;

	if (!LAGSPEED_PATH(path, "%s/class/net/%s/device/infiniband",
			root, netdev))
		return false;
	if (!lagspeed_sysfs_first_entry(path, ibdev, len))
		return false;
	if (LAGSPEED_PATH(path, "%s/class/net/%s/device/infiniband/%s", root,
			netdev, ibdev) &&
			lagspeed_sysfs_roce_port(path, netdev, ib_port))
		return true;
	/* No RoCE port names it (GIDs not populated, IB link layer). */
	if (!LAGSPEED_PATH(path, "%s/class/net/%s/dev_port", root, netdev) ||
			!lagspeed_sysfs_read_uint(path, &dev_port) ||
			dev_port > 254)
		dev_port = 0;
	*ib_port = (uint32_t)dev_port + 1;
	return true;
}

/* A bond's IB device, through its first slave that has one. */
static bool
lagspeed_sysfs_bond_ib(const char *root, const char *bond, char *ibdev,
	size_t len, uint32_t *ib_port)
{
	char path[PATH_MAX], slaves[1024], *slave, *save;
	struct dirent **list;
	bool found = false;
	int n, i;

	if (!LAGSPEED_PATH(path, "%s/class/net/%s/bonding/slaves", root,
			bond))
		return false;
	if (lagspeed_sysfs_read_line(path, slaves, sizeof(slaves))) {
		for (slave = strtok_r(slaves, " ", &save);
				slave != NULL && !found;
				slave = strtok_r(NULL, " ", &save))
			found = lagspeed_sysfs_netdev_ib(root, slave, ibdev,
				len, ib_port);
		if (found) {
			*ib_port = 1; /* a bond's IB device has one port */
			return true;
		}
	}
	/* Other upper devices (team, etc.): lower_<slave> links. */
	if (!LAGSPEED_PATH(path, "%s/class/net/%s", root, bond))
		return false;
	n = scandir(path, &list, NULL, alphasort);
	if (n < 0)
		return false;
	for (i = 0; i < n; i++) {
		if (!found && strncmp(list[i]->d_name, "lower_", 6) == 0)
			found = lagspeed_sysfs_netdev_ib(root,
				list[i]->d_name + 6, ibdev, len, ib_port);
		free(list[i]);
	}
	free(list);
	if (found)
		*ib_port = 1;
	return found;
}

int
lagspeed_sysfs_find(const char *root, unsigned int if_index,
	const char *dev_name, char *ibdev, size_t ibdev_len, uint32_t *ib_port)
{
	static const char *const buses[] = { "pci", "auxiliary" };
	char netdev[256], path[PATH_MAX];
	bool have_netdev;
	unsigned int i;

	have_netdev = if_index > 0 &&
		lagspeed_sysfs_netdev(root, if_index, netdev, sizeof(netdev));
	if (have_netdev) {
		if (lagspeed_sysfs_netdev_ib(root, netdev, ibdev, ibdev_len,
				ib_port))
			return 0;
		if (lagspeed_sysfs_bond_ib(root, netdev, ibdev, ibdev_len,
				ib_port))
			return 0;
	}
	if (dev_name == NULL || dev_name[0] == '\0' ||
			strchr(dev_name, '/') != NULL)
		return -ENOENT;
	for (i = 0; i < sizeof(buses) / sizeof(buses[0]); i++) {
		if (!LAGSPEED_PATH(path, "%s/bus/%s/devices/%s/infiniband",
			root, buses[i], dev_name))
			continue;
		if (!lagspeed_sysfs_first_entry(path, ibdev, ibdev_len))
			continue;
		/*
		 * A netdev without a parent device of its own (representors
		 * of some kernels) still names its RoCE port.
		 */
		if (!have_netdev || !LAGSPEED_PATH(path,
				"%s/bus/%s/devices/%s/infiniband/%s", root,
				buses[i], dev_name, ibdev) ||
				!lagspeed_sysfs_roce_port(path, netdev, ib_port))
			*ib_port = 1;
		return 0;
	}
	return -ENOENT;
}
