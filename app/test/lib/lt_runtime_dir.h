/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

#ifndef LT_RUNTIME_DIR_H
#define LT_RUNTIME_DIR_H

/*
 * EAL leaves its runtime directory (/var/run/dpdk/<file-prefix> as root:
 * config and fbarray files, ~6 MB with --no-huge) behind at exit, even after
 * rte_eal_cleanup(). Each test process has a prefix of its own, so without
 * this every run of the suite would leave a few hundred MB on the disk.
 * Call lt_runtime_dir_remove_at_exit() once rte_eal_init() succeeded.
 */

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_eal.h>

static char lt_runtime_dir[PATH_MAX];

static void
lt_runtime_dir_remove(void)
{
	char path[PATH_MAX + NAME_MAX + 2];
	struct dirent *de;
	DIR *d;

	d = opendir(lt_runtime_dir);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", lt_runtime_dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(lt_runtime_dir);
}

static inline void
lt_runtime_dir_remove_at_exit(void)
{
	snprintf(lt_runtime_dir, sizeof(lt_runtime_dir), "%s",
		rte_eal_get_runtime_dir());
	if (lt_runtime_dir[0] != '\0')
		atexit(lt_runtime_dir_remove);
}

#endif /* LT_RUNTIME_DIR_H */
