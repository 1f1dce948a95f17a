/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/* Port -> (IB device, IB port) discovery through sysfs. */

#ifndef MLX5_LAGSPEED_SYSFS_H
#define MLX5_LAGSPEED_SYSFS_H

#include <stddef.h>
#include <stdint.h>

/**
 * Find the IB device and port behind an ethdev port.
 *
 * First through its netdev (if_index, e.g. from rte_eth_dev_info):
 * ROOT/class/net/<if>/device/infiniband/<ibdev> (PF, VF, SF alike: their
 * netdev and IB device share a parent device), with the IB port whose
 * GID 0 belongs to the netdev (ports/<n>/gid_attrs/ndevs/0: a
 * representor's port on its uplink's IB device), else dev_port + 1; a
 * bond netdev without a device of its own resolves through its slaves
 * (ROOT/class/net/<bond>/bonding/slaves or lower_* links), whose PF holds
 * the bond's IB device. Then through the device name (PCI address or
 * auxiliary device, e.g. "0000:08:00.2", "mlx5_core.sf.4"):
 * ROOT/bus/{pci,auxiliary}/devices/<name>/infiniband/<ibdev>, with the
 * port whose GID 0 belongs to the netdev if there is one, else port 1.
 *
 * @param root  the sysfs mount point, "/sys" outside tests
 * @return 0, or -ENOENT.
 */
int lagspeed_sysfs_find(const char *root, unsigned int if_index,
	const char *dev_name, char *ibdev, size_t ibdev_len, uint32_t *ib_port);

#endif /* MLX5_LAGSPEED_SYSFS_H */
