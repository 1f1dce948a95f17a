/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/*
 * Unit tests of the plugin's DPDK-free parts: LAGSPEED parsing, sysfs
 * discovery on fake trees (PF, multi-port PF, VF, SF, bond), units and
 * limits, link rewriting, change detection and event coalescing.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "mlx5_lagspeed_config.h"
#include "mlx5_lagspeed_link.h"
#include "mlx5_lagspeed_sysfs.h"

static int failures;

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, \
			#cond); \
		failures++; \
	} \
} while (0)

/* ---- LAGSPEED parsing ---------------------------------------------- */

static void
test_config_good(void)
{
	struct lagspeed_config cfg;
	char err[256];

	CHECK(lagspeed_config_parse(NULL, &cfg, err, sizeof(err)) == 0);
	CHECK(strcmp(cfg.ibverbs, "libibverbs.so.1") == 0);
	CHECK(strcmp(cfg.sysfs, "/sys") == 0);
	CHECK(!cfg.disable && cfg.n_binds == 0);
	CHECK(lagspeed_config_parse("", &cfg, err, sizeof(err)) == 0);

	CHECK(lagspeed_config_parse(
		"ibverbs=/opt/x/libibvsim.so,bind=net_null0@mlx5_0:1,"
		"bind=net_null1@mlx5_bond_0:2,sysfs=/tmp/fake",
		&cfg, err, sizeof(err)) == 0);
	CHECK(strcmp(cfg.ibverbs, "/opt/x/libibvsim.so") == 0);
	CHECK(strcmp(cfg.sysfs, "/tmp/fake") == 0);
	CHECK(cfg.n_binds == 2);
	CHECK(strcmp(cfg.binds[0].ethdev, "net_null0") == 0);
	CHECK(strcmp(cfg.binds[0].ibdev, "mlx5_0") == 0);
	CHECK(cfg.binds[0].ib_port == 1);
	CHECK(strcmp(cfg.binds[1].ibdev, "mlx5_bond_0") == 0);
	CHECK(cfg.binds[1].ib_port == 2);
	CHECK(lagspeed_config_find_bind(&cfg, "net_null1") == &cfg.binds[1]);
	CHECK(lagspeed_config_find_bind(&cfg, "net_null2") == NULL);

	/* PCI-style ethdev names carry ':' too: the last ':' is the port. */
	CHECK(lagspeed_config_parse("bind=0000:08:00.2@mlx5_2:1", &cfg, err,
		sizeof(err)) == 0);
	CHECK(strcmp(cfg.binds[0].ethdev, "0000:08:00.2") == 0);
	CHECK(strcmp(cfg.binds[0].ibdev, "mlx5_2") == 0);

	CHECK(lagspeed_config_parse("disable=1", &cfg, err, sizeof(err)) == 0);
	CHECK(cfg.disable);
	CHECK(lagspeed_config_parse("disable=0", &cfg, err, sizeof(err)) == 0);
	CHECK(!cfg.disable);
}

static void
expect_bad(const char *str, const char *needle)
{
	struct lagspeed_config cfg;
	char err[256];

	if (lagspeed_config_parse(str, &cfg, err, sizeof(err)) != -EINVAL) {
		fprintf(stderr, "FAIL: '%s' accepted\n", str);
		failures++;
		return;
	}
	if (strstr(err, needle) == NULL) {
		fprintf(stderr, "FAIL: '%s': message '%s' lacks '%s'\n", str,
			err, needle);
		failures++;
	}
}

static void
test_config_bad(void)
{
	char many[4096];
	int i, len = 0;

	expect_bad("speed=1", "unknown key 'speed'");
	expect_bad("bind=net_null0", "bind=net_null0");
	expect_bad("bind=net_null0@mlx5_0", "ETHDEV@IBDEV:PORT");
	expect_bad("bind=@mlx5_0:1", "bad ethdev name");
	expect_bad("bind=net_null0 @mlx5_0:1", "bad ethdev name");
	expect_bad("bind==net_null0@mlx5_0:1", "bad ethdev name");
	expect_bad("bind=net\tnull0@mlx5_0:1", "bad ethdev name");
	expect_bad("bind=net_null0@:1", "bad IB device name");
	expect_bad("bind=net_null0@mlx5_0:0", "bad IB port '0'");
	expect_bad("bind=net_null0@mlx5_0:x", "bad IB port 'x'");
	expect_bad("bind=net_null0@mlx5_0:256", "bad IB port '256'");
	expect_bad("bind=net_null0@mlx5_0:1,bind=net_null0@mlx5_1:1",
		"bound twice");
	expect_bad("disable=yes", "disable=yes");
	expect_bad("ibverbs=", "ibverbs=");
	expect_bad("bind=net_null0@mlx5 0:1", "bad IB device name");
	expect_bad("ibverbs=/a.so,ibverbs=/b.so", "ibverbs= given twice");
	expect_bad("disable=1,disable=0", "disable= given twice");
	expect_bad(",disable=1", "empty entry");
	expect_bad("disable=1,,bind=a@b:1", "empty entry");
	expect_bad("disable=1,", "empty entry");
	expect_bad("=1", "no key");
	/* ibverbs= and LAGSPEED_MAX_BINDS binds: more than rte_kvargs holds */
	len = snprintf(many, sizeof(many), "ibverbs=/x.so");
	for (i = 0; i < LAGSPEED_MAX_BINDS && len < 4000; i++)
		len += snprintf(many + len, sizeof(many) - len,
			",bind=n%d@m:1", i);
	{
		struct lagspeed_config cfg;
		char err[256];

		CHECK(lagspeed_config_parse(many, &cfg, err, sizeof(err)) == 0);
		CHECK(cfg.n_binds == LAGSPEED_MAX_BINDS);
		snprintf(many + len, sizeof(many) - len, ",bind=n%d@m:1", i);
		expect_bad(many, "more than 32 bind= entries");
	}
}

/*
 * Names and paths at their buffers' sizes: the longest that fits (with its
 * terminating NUL) is taken whole, one more is refused, never truncated.
 */
static void
test_config_lengths(void)
{
	static char str[PATH_MAX + 64];
	struct lagspeed_config cfg;
	const size_t eth_max = sizeof(cfg.binds[0].ethdev) - 1;
	const size_t ib_max = sizeof(cfg.binds[0].ibdev) - 1;
	const size_t path_max = sizeof(cfg.ibverbs) - 1;
	char err[256];
	int len;

	len = snprintf(str, sizeof(str), "bind=%0*d@mlx5_0:1", (int)eth_max, 0);
	CHECK(lagspeed_config_parse(str, &cfg, err, sizeof(err)) == 0 &&
		strlen(cfg.binds[0].ethdev) == eth_max);
	snprintf(str, sizeof(str), "bind=%0*d@mlx5_0:1", (int)eth_max + 1, 0);
	expect_bad(str, "bad ethdev name");

	len = snprintf(str, sizeof(str), "bind=net_null0@%0*d:1", (int)ib_max, 0);
	CHECK(lagspeed_config_parse(str, &cfg, err, sizeof(err)) == 0 &&
		strlen(cfg.binds[0].ibdev) == ib_max);
	snprintf(str, sizeof(str), "bind=net_null0@%0*d:1", (int)ib_max + 1, 0);
	expect_bad(str, "bad IB device name");

	/* "/" and path_max - 1 more: path_max characters, the longest path */
	len = snprintf(str, sizeof(str), "ibverbs=/");
	memset(str + len, 'a', path_max - 1);
	str[len + path_max - 1] = '\0';
	CHECK(lagspeed_config_parse(str, &cfg, err, sizeof(err)) == 0 &&
		strlen(cfg.ibverbs) == path_max);
	len = snprintf(str, sizeof(str), "sysfs=/");
	memset(str + len, 'a', path_max);
	str[len + path_max] = '\0';
	snprintf(err, sizeof(err), "sysfs=: bad path (%zu characters, at most "
		"%zu)", path_max + 1, path_max);
	expect_bad(str, err);
}

/* ---- units, limits, link rewriting ----------------------------------- */

static void
test_link_model(void)
{
	struct rte_eth_link pmd = {
		.link_speed = RTE_ETH_SPEED_NUM_100G,
		.link_duplex = RTE_ETH_LINK_FULL_DUPLEX,
		.link_autoneg = RTE_ETH_LINK_AUTONEG,
		.link_status = RTE_ETH_LINK_UP,
	};
	struct rte_eth_link out;
	uint64_t eff;

	CHECK(lagspeed_speed_mbps(0) == 0);
	CHECK(lagspeed_speed_mbps(2000) == 200000);
	CHECK(lagspeed_speed_mbps(4000) == 400000);
	CHECK(lagspeed_speed_mbps(42949672) == 4294967200u);
	/* beyond UINT32_MAX Mb/s: clamped below UNKNOWN (UINT32_MAX) */
	CHECK(lagspeed_speed_mbps(42949673) == LAGSPEED_SPEED_MAX_MBPS);
	CHECK(lagspeed_speed_mbps(UINT64_MAX) == LAGSPEED_SPEED_MAX_MBPS);
	CHECK(LAGSPEED_SPEED_MAX_MBPS != RTE_ETH_SPEED_NUM_UNKNOWN);

	eff = lagspeed_eff_from_query(2000);
	CHECK(lagspeed_eff_up(eff) && lagspeed_eff_speed(eff) == 200000);
	out = lagspeed_link_apply(pmd, eff);
	CHECK(out.link_speed == 200000);
	CHECK(out.link_status == RTE_ETH_LINK_UP);
	CHECK(out.link_duplex == RTE_ETH_LINK_FULL_DUPLEX);
	CHECK(out.link_autoneg == RTE_ETH_LINK_AUTONEG);

	/* PMD says down (port stopped, link set down): its link stands */
	pmd.link_status = RTE_ETH_LINK_DOWN;
	pmd.link_speed = RTE_ETH_SPEED_NUM_NONE;
	out = lagspeed_link_apply(pmd, eff);
	CHECK(out.link_speed == RTE_ETH_SPEED_NUM_NONE &&
		out.link_status == RTE_ETH_LINK_DOWN);
	pmd.link_speed = 10000; /* net_null keeps its speed when stopped */
	out = lagspeed_link_apply(pmd, eff);
	CHECK(out.link_speed == 10000 && out.link_status == RTE_ETH_LINK_DOWN);
	pmd.link_status = RTE_ETH_LINK_UP;
	pmd.link_speed = RTE_ETH_SPEED_NUM_100G;

	/* function down: link down, no speed */
	eff = lagspeed_eff_from_query(0);
	CHECK(!lagspeed_eff_up(eff));
	out = lagspeed_link_apply(pmd, eff);
	CHECK(out.link_speed == RTE_ETH_SPEED_NUM_NONE);
	CHECK(out.link_status == RTE_ETH_LINK_DOWN);

	/* nothing to apply: the PMD's link as is */
	out = lagspeed_link_apply(pmd, 0);
	CHECK(memcmp(&out, &pmd, sizeof(out)) == 0);

	/* a PMD that cannot tell its speed (mlx5 from ethtool): ours stands */
	pmd.link_speed = RTE_ETH_SPEED_NUM_UNKNOWN;
	out = lagspeed_link_apply(pmd, lagspeed_eff_from_query(2000));
	CHECK(out.link_speed == 200000 && out.link_status == RTE_ETH_LINK_UP);
	out = lagspeed_link_apply(pmd, 0);
	CHECK(out.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN);
	/* faster than UINT32_MAX Mb/s: clamped, never read as UNKNOWN */
	out = lagspeed_link_apply(pmd, lagspeed_eff_from_query(UINT64_MAX));
	CHECK(out.link_speed == LAGSPEED_SPEED_MAX_MBPS);
	pmd.link_speed = RTE_ETH_SPEED_NUM_100G;

	/* both errno conventions */
	CHECK(lagspeed_verb_errno(0, 0) == 0);
	CHECK(lagspeed_verb_errno(EIO, 0) == EIO);
	CHECK(lagspeed_verb_errno(-EIO, 0) == EIO);
	CHECK(lagspeed_errno_unsupported(lagspeed_verb_errno(EOPNOTSUPP, 0)));
	CHECK(lagspeed_errno_unsupported(lagspeed_verb_errno(-EOPNOTSUPP, 0)));
	CHECK(lagspeed_errno_unsupported(
		lagspeed_verb_errno(EPROTONOSUPPORT, 0)));
	CHECK(lagspeed_errno_unsupported(
		lagspeed_verb_errno(-EPROTONOSUPPORT, 0)));
	/* -1 with errno set: the C library's convention */
	CHECK(lagspeed_verb_errno(-1, EOPNOTSUPP) == EOPNOTSUPP);
	CHECK(lagspeed_verb_errno(-1, 0) == EPERM);
	CHECK(lagspeed_verb_errno(INT_MIN, 0) == EIO);
	CHECK(!lagspeed_errno_unsupported(EIO));
	CHECK(!lagspeed_errno_unsupported(EINVAL));
}

/* ---- change detection and coalescing --------------------------------- */

static void
test_coalescing(void)
{
	uint64_t dirty = 0, old_eff, new_eff;
	unsigned int i, queries = 0, changes = 0;

	/* A storm of 10,000 speed events folds into one query per port. */
	for (i = 0; i < 10000; i++)
		CHECK(lagspeed_event_classify(
			LAGSPEED_IBV_EVENT_DEVICE_SPEED_CHANGE, 0, &dirty) ==
			LAGSPEED_EVENT_REQUERY);
	CHECK(lagspeed_event_port_dirty(dirty, 1));
	CHECK(lagspeed_event_port_dirty(dirty, 2));
	old_eff = lagspeed_eff_from_query(2000);
	for (i = 1; i <= 2; i++) {
		if (!lagspeed_event_port_dirty(dirty, i))
			continue;
		queries++;
		new_eff = lagspeed_eff_from_query(2000); /* nothing changed */
		if (lagspeed_eff_changed(old_eff, new_eff))
			changes++;
	}
	CHECK(queries == 2 && changes == 0);

	/* Port events mark their port only; port 0 marks all. */
	dirty = 0;
	CHECK(lagspeed_event_classify(IBV_EVENT_PORT_ERR, 2, &dirty) ==
		LAGSPEED_EVENT_REQUERY);
	CHECK(!lagspeed_event_port_dirty(dirty, 1));
	CHECK(lagspeed_event_port_dirty(dirty, 2));
	CHECK(lagspeed_event_classify(IBV_EVENT_PORT_ACTIVE, 1, &dirty) ==
		LAGSPEED_EVENT_REQUERY);
	CHECK(lagspeed_event_port_dirty(dirty, 1));
	dirty = 0;
	lagspeed_event_classify(IBV_EVENT_PORT_ACTIVE, 0, &dirty);
	CHECK(lagspeed_event_port_dirty(dirty, 7));
	/* Others ignored, fatal is fatal. */
	dirty = 0;
	CHECK(lagspeed_event_classify(IBV_EVENT_CQ_ERR, 0, &dirty) ==
		LAGSPEED_EVENT_IGNORE);
	CHECK(dirty == 0);
	CHECK(lagspeed_event_classify(IBV_EVENT_DEVICE_FATAL, 0, &dirty) ==
		LAGSPEED_EVENT_FATAL);

	/* What counts as a change: speed or function status. */
	CHECK(lagspeed_eff_changed(lagspeed_eff_from_query(2000),
		lagspeed_eff_from_query(1000)));
	CHECK(lagspeed_eff_changed(lagspeed_eff_from_query(500),
		lagspeed_eff_from_query(0)));
	CHECK(lagspeed_eff_changed(0, lagspeed_eff_from_query(1000)));
	CHECK(!lagspeed_eff_changed(lagspeed_eff_from_query(0),
		lagspeed_eff_from_query(0)));
	/* Different 100 Mb/s values that clamp alike are no change. */
	CHECK(!lagspeed_eff_changed(lagspeed_eff_from_query(UINT64_MAX),
		lagspeed_eff_from_query(UINT64_MAX - 1)));
}

/* ---- sysfs discovery on fake trees ----------------------------------- */

static char scratch[PATH_MAX - 64];

static void
mkdirs(const char *fmt, ...)
{
	char path[PATH_MAX], *p;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	for (p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	mkdir(path, 0755);
}

static void
put(const char *content, const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	f = fopen(path, "w");
	if (f == NULL) {
		perror(path);
		exit(1);
	}
	fputs(content, f);
	fclose(f);
}

static void
link_to(const char *target, const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (symlink(target, path) != 0) {
		perror(path);
		exit(1);
	}
}

/*
 * A netdev as the kernel lays it out: the device's net/<if> directory,
 * /class/net/<if> a link to it, <if>/device a link to the device.
 */
static void
fake_netdev(const char *root, const char *devpath, const char *ifname,
	const char *ifindex, const char *dev_port)
{
	char target[PATH_MAX];

	mkdirs("%s/devices/%s/net/%s", root, devpath, ifname);
	put(ifindex, "%s/devices/%s/net/%s/ifindex", root, devpath, ifname);
	if (dev_port != NULL)
		put(dev_port, "%s/devices/%s/net/%s/dev_port", root, devpath,
			ifname);
	link_to("../..", "%s/devices/%s/net/%s/device", root, devpath, ifname);
	mkdirs("%s/class/net", root);
	snprintf(target, sizeof(target), "../../devices/%s/net/%s", devpath,
		ifname);
	link_to(target, "%s/class/net/%s", root, ifname);
}

static void
fake_ibdev(const char *root, const char *devpath, const char *ibdev)
{
	mkdirs("%s/devices/%s/infiniband/%s", root, devpath, ibdev);
}

/* IB port port of an IB device, its GID 0 on netdev (NULL: no GID 0). */
static void
fake_roce_port(const char *root, const char *devpath, const char *ibdev,
	unsigned int port, const char *netdev)
{
	mkdirs("%s/devices/%s/infiniband/%s/ports/%u/gid_attrs/ndevs", root,
		devpath, ibdev, port);
	if (netdev != NULL)
		put(netdev, "%s/devices/%s/infiniband/%s/ports/%u/gid_attrs/ndevs/0",
			root, devpath, ibdev, port);
}

static void
expect_find(const char *root, unsigned int if_index, const char *name,
	const char *want_dev, uint32_t want_port)
{
	char ibdev[64] = "";
	uint32_t port = 0;
	int ret;

	ret = lagspeed_sysfs_find(root, if_index, name, ibdev, sizeof(ibdev),
		&port);
	if (want_dev == NULL) {
		if (ret != -ENOENT) {
			fprintf(stderr, "FAIL: ifindex %u/%s found %s:%u\n",
				if_index, name, ibdev, port);
			failures++;
		}
		return;
	}
	if (ret != 0 || strcmp(ibdev, want_dev) != 0 || port != want_port) {
		fprintf(stderr,
			"FAIL: ifindex %u/%s: got %d %s:%u, want %s:%u\n",
			if_index, name != NULL ? name : "-", ret, ibdev, port,
			want_dev, want_port);
		failures++;
	}
}

static void
test_sysfs(void)
{
	char root[PATH_MAX + 16], lag[PATH_MAX + 16], sw[PATH_MAX + 16];
	const char *pf0 = "pci0000:00/0000:08:00.0";
	const char *pf1 = "pci0000:00/0000:08:00.1";
	const char *vf = "pci0000:00/0000:08:00.2";
	const char *sf = "pci0000:00/0000:08:00.0/mlx5_core.sf.4";

	/* PF0, PF1 (separate IB devices), a VF, an SF; a dual-port PF. */
	snprintf(root, sizeof(root), "%s/sys", scratch);
	fake_ibdev(root, pf0, "mlx5_0");
	fake_netdev(root, pf0, "enp8s0f0np0", "4\n", "0\n");
	fake_ibdev(root, pf1, "mlx5_1");
	fake_netdev(root, pf1, "enp8s0f1np1", "5\n", "0\n");
	fake_ibdev(root, vf, "mlx5_2");
	fake_netdev(root, vf, "enp8s0f0v0", "10\n", "0\n");
	fake_ibdev(root, sf, "mlx5_4");
	fake_netdev(root, sf, "enp8s0f0s4", "12\n", NULL);
	fake_ibdev(root, "pci0000:00/0000:09:00.0", "mlx5_5");
	fake_netdev(root, "pci0000:00/0000:09:00.0", "ib_dual_p2", "14\n",
		"1\n");
	mkdirs("%s/bus/pci/devices", root);
	link_to("../../../devices/pci0000:00/0000:08:00.2",
		"%s/bus/pci/devices/0000:08:00.2", root);
	mkdirs("%s/bus/auxiliary/devices", root);
	link_to("../../../devices/pci0000:00/0000:08:00.0/mlx5_core.sf.4",
		"%s/bus/auxiliary/devices/mlx5_core.sf.4", root);

	expect_find(root, 4, "0000:08:00.0", "mlx5_0", 1);   /* PF */
	expect_find(root, 5, NULL, "mlx5_1", 1);
	expect_find(root, 10, "0000:08:00.2", "mlx5_2", 1);  /* VF */
	expect_find(root, 12, "mlx5_core.sf.4", "mlx5_4", 1); /* SF */
	expect_find(root, 14, NULL, "mlx5_5", 2);            /* dev_port 1 */
	/* by device name when there is no netdev (if_index 0) */
	expect_find(root, 0, "0000:08:00.2", "mlx5_2", 1);
	expect_find(root, 0, "mlx5_core.sf.4", "mlx5_4", 1);
	expect_find(root, 99, NULL, NULL, 0);
	expect_find(root, 0, "0000:0a:00.0", NULL, 0);
	expect_find(root, 0, "../../etc", NULL, 0);

	/* VF-LAG: the PFs in a bond share one IB device, mlx5_bond_0. */
	snprintf(lag, sizeof(lag), "%s/sys-lag", scratch);
	fake_ibdev(lag, pf0, "mlx5_bond_0");
	fake_netdev(lag, pf0, "enp8s0f0np0", "4\n", "0\n");
	fake_netdev(lag, pf1, "enp8s0f1np1", "5\n", "0\n");
	mkdirs("%s/devices/virtual/net/bond0/bonding", lag);
	put("20\n", "%s/devices/virtual/net/bond0/ifindex", lag);
	put("enp8s0f1np1 enp8s0f0np0\n",
		"%s/devices/virtual/net/bond0/bonding/slaves", lag);
	link_to("../../devices/virtual/net/bond0", "%s/class/net/bond0", lag);
	/* a team-like upper device: lower_* links only */
	mkdirs("%s/devices/virtual/net/team0", lag);
	put("21\n", "%s/devices/virtual/net/team0/ifindex", lag);
	link_to("../enp8s0f0np0", "%s/devices/virtual/net/team0/lower_enp8s0f0np0",
		lag);
	link_to("../../devices/virtual/net/team0", "%s/class/net/team0", lag);

	/* the bond's IB port names the bond: a PF falls back to dev_port */
	fake_roce_port(lag, pf0, "mlx5_bond_0", 1, "bond0\n");

	expect_find(lag, 20, NULL, "mlx5_bond_0", 1);  /* bond */
	expect_find(lag, 21, NULL, "mlx5_bond_0", 1);  /* team */
	expect_find(lag, 4, NULL, "mlx5_bond_0", 1);   /* its PF */

	/*
	 * switchdev: the representors' netdevs hang off the PF, share its IB
	 * device (one IB port each, found by GID 0's netdev) and have
	 * dev_port 0; one port has no GID 0.
	 */
	snprintf(sw, sizeof(sw), "%s/sys-switchdev", scratch);
	fake_ibdev(sw, pf0, "mlx5_0");
	fake_netdev(sw, pf0, "enp8s0f0np0", "4\n", "0\n");
	fake_netdev(sw, pf0, "pf0vf0", "30\n", "0\n");
	fake_netdev(sw, pf0, "pf0vf1", "31\n", "0\n");
	fake_netdev(sw, pf0, "pf0vf2", "32\n", "0\n");
	fake_roce_port(sw, pf0, "mlx5_0", 1, "enp8s0f0np0\n");
	fake_roce_port(sw, pf0, "mlx5_0", 2, "pf0vf0\n");
	fake_roce_port(sw, pf0, "mlx5_0", 3, "pf0vf1\n");
	fake_roce_port(sw, pf0, "mlx5_0", 10, NULL);

	/* a representor netdev with no parent device, found by name */
	mkdirs("%s/devices/virtual/net/pf0vf3", sw);
	put("33\n", "%s/devices/virtual/net/pf0vf3/ifindex", sw);
	link_to("../../devices/virtual/net/pf0vf3", "%s/class/net/pf0vf3", sw);
	fake_roce_port(sw, pf0, "mlx5_0", 5, "pf0vf3\n");
	mkdirs("%s/bus/pci/devices", sw);
	link_to("../../../devices/pci0000:00/0000:08:00.0",
		"%s/bus/pci/devices/0000:08:00.0", sw);

	expect_find(sw, 4, NULL, "mlx5_0", 1);   /* uplink */
	expect_find(sw, 33, "0000:08:00.0", "mlx5_0", 5);
	expect_find(sw, 0, "0000:08:00.0", "mlx5_0", 1); /* no netdev */
	expect_find(sw, 30, NULL, "mlx5_0", 2);  /* representors */
	expect_find(sw, 31, NULL, "mlx5_0", 3);
	expect_find(sw, 32, NULL, "mlx5_0", 1);  /* no GID: dev_port + 1 */
}

int
main(void)
{
	const char *build = getenv("LAGSPEED_BUILD_DIR");
	char cmd[PATH_MAX + 16];

	snprintf(scratch, sizeof(scratch), "%s/test-scratch.lagspeed_unit.XXXXXX",
		build != NULL ? build : ".");
	if (mkdtemp(scratch) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_config_good();
	test_config_bad();
	test_config_lengths();
	test_link_model();
	test_coalescing();
	test_sysfs();
	if (failures == 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", scratch);
		printf("all lagspeed unit tests passed\n");
		return 0;
	}
	fprintf(stderr, "%d failure(s); scratch kept: %s\n", failures,
		scratch);
	return 1;
}
