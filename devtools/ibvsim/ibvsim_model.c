/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/*
 * The model file: load (checked), store (write a new file, then put it in
 * place of the old one whole, so readers never see half a change), the
 * directory lock that serializes writers, and the effective-speed rule.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ibvsim_private.h"

bool
ibvsim_name_valid(const char *name)
{
	size_t i, len;

	if (name == NULL)
		return false;
	len = strnlen(name, IBVSIM_NAME_LEN + 1);
	/* A leading '-' would read as an option on ibvsim-ctl's line. */
	if (len == 0 || len > IBVSIM_NAME_LEN || name[0] == '.' ||
			name[0] == '-')
		return false;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				(c >= '0' && c <= '9') || c == '_' || c == '-' ||
				c == '.'))
			return false;
	}
	return true;
}

static int
path_in(char *buf, size_t size, const char *dir, const char *name)
{
	int n = snprintf(buf, size, "%s/%s", dir, name);

	return (n < 0 || (size_t)n >= size) ? -ENAMETOOLONG : 0;
}

int
ibvsim_lock(const char *dir)
{
	char path[PATH_MAX];
	int fd, ret;

	ret = path_in(path, sizeof(path), dir, IBVSIM_LOCK_FILE);
	if (ret < 0)
		return ret;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			ret = -errno;
			close(fd);
			return ret;
		}
	}
	return fd;
}

void
ibvsim_unlock(int lock_fd)
{
	/* Closing the only descriptor of the open file drops the lock. */
	if (lock_fd >= 0)
		close(lock_fd);
}

/*
 * Everything a reader relies on: names are what ibvsim_name_valid() accepts
 * (they become paths under DIR/ctx), a device's group exists, bits and
 * counts stay in range. A file failing this is refused as corrupt.
 */
/* Index of the group named @p name, or -1. */
static int
group_index(const struct ibvsim_model *m, const char *name)
{
	uint32_t i;

	for (i = 0; i < m->hdr.n_groups; i++)
		if (strcmp(m->groups[i].name, name) == 0)
			return (int)i;
	return -1;
}

/*
 * A stored speed: in range. Not necessarily a multiple of the verb's
 * unit, which the API asks only of new speeds: a state directory an
 * earlier version wrote stays usable.
 */
static bool
mbps_stored_valid(uint32_t mbps)
{
	return mbps >= 1 && mbps <= IBVSIM_MAX_MBPS;
}

static bool
group_sane(const struct ibvsim_model *m, uint32_t i)
{
	const struct ibvsim_group_rec *g = &m->groups[i];
	uint64_t sum = 0;
	uint32_t j;

	if (memchr(g->name, '\0', sizeof(g->name)) == NULL ||
			!ibvsim_name_valid(g->name) ||
			group_index(m, g->name) != (int)i ||
			g->n_pf == 0 || g->n_pf > IBVSIM_MAX_PFS ||
			(g->pf_up_mask >> g->n_pf) != 0)
		return false;
	for (j = 0; j < g->n_pf; j++) {
		if (!mbps_stored_valid(g->pf_mbps[j]))
			return false;
		sum += g->pf_mbps[j];
	}
	/* The maximum given, or by default the sum of the PFs (any size). */
	return mbps_stored_valid(g->max_mbps) || g->max_mbps == sum;
}

static bool
device_sane(const struct ibvsim_model *m, uint32_t i)
{
	const struct ibvsim_device_rec *d = &m->devices[i];
	uint32_t j;

	if (memchr(d->name, '\0', sizeof(d->name)) == NULL ||
			memchr(d->group, '\0', sizeof(d->group)) == NULL ||
			!ibvsim_name_valid(d->name) ||
			d->n_ports == 0 || d->n_ports > IBVSIM_MAX_PORTS ||
			d->type > IBVSIM_TYPE_SF || d->up > 1 ||
			(d->flags & ~(IBVSIM_F_LEGACY | IBVSIM_F_OLD_KERNEL)) != 0 ||
			d->flags == (IBVSIM_F_LEGACY | IBVSIM_F_OLD_KERNEL) ||
			(d->faults & ~(IBVSIM_FAULT_QUERY_EIO |
				IBVSIM_FAULT_OPEN_FAIL | IBVSIM_FAULT_FATAL)) != 0 ||
			d->index >= m->hdr.next_index)
		return false;
	/* In a group, the group's speed rules; otherwise its own. */
	if (d->group[0] != '\0' ? group_index(m, d->group) < 0 ||
			d->speed_mbps != 0 : !mbps_stored_valid(d->speed_mbps))
		return false;
	for (j = 0; j < i; j++)
		if (strcmp(m->devices[j].name, d->name) == 0 ||
				m->devices[j].index == d->index)
			return false;
	return true;
}

/*
 * What the C API could have written, nothing else: a model written by
 * hand or by another version is refused whole rather than half believed.
 */
static bool
model_sane(const struct ibvsim_model *m)
{
	uint32_t i;

	if (m->hdr.n_groups > IBVSIM_MAX_GROUPS ||
			m->hdr.n_devices > IBVSIM_MAX_DEVICES)
		return false;
	for (i = 0; i < m->hdr.n_groups; i++)
		if (!group_sane(m, i))
			return false;
	for (i = 0; i < m->hdr.n_devices; i++)
		if (!device_sane(m, i))
			return false;
	return true;
}

static int
read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len > 0) {
		ssize_t r = read(fd, p, len);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -EBADMSG;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

static int
write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t r = write(fd, p, len);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

int
ibvsim_model_load(const char *dir, struct ibvsim_model *m)
{
	char path[PATH_MAX];
	size_t groups_len, devices_len;
	struct stat st;
	int fd, ret;

	memset(m, 0, sizeof(*m));
	ret = path_in(path, sizeof(path), dir, IBVSIM_MODEL_FILE);
	if (ret < 0)
		return ret;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	ret = read_full(fd, &m->hdr, sizeof(m->hdr));
	if (ret < 0)
		goto out;
	ret = -EBADMSG;
	if (m->hdr.magic != IBVSIM_MODEL_MAGIC ||
			m->hdr.version != IBVSIM_MODEL_VERSION ||
			m->hdr.n_groups > IBVSIM_MAX_GROUPS ||
			m->hdr.n_devices > IBVSIM_MAX_DEVICES)
		goto out;
	groups_len = m->hdr.n_groups * sizeof(m->groups[0]);
	devices_len = m->hdr.n_devices * sizeof(m->devices[0]);
	if ((size_t)st.st_size != sizeof(m->hdr) + groups_len + devices_len)
		goto out;
	ret = read_full(fd, m->groups, groups_len);
	if (ret == 0)
		ret = read_full(fd, m->devices, devices_len);
	if (ret == 0 && !model_sane(m))
		ret = -EBADMSG;
out:
	close(fd);
	return ret;
}

/*
 * Put the new file in place of the old one atomically. rename() over an
 * existing file makes ext4 (auto_da_alloc) write the new file's data out
 * before it returns, an fsync in all but name that costs most of a change
 * and much more under I/O load; exchanging the two names does not. The old
 * version then goes by unlink(): a reader that still has it open keeps
 * reading it whole, since no writer ever writes into an existing file.
 * Without RENAME_EXCHANGE (first model, other file systems): rename().
 */
static int
replace_file(const char *tmp, const char *path)
{
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_EXCHANGE) == 0) {
		unlink(tmp);
		return 0;
	}
	if (rename(tmp, path) < 0)
		return -errno;
	return 0;
}

int
ibvsim_model_store(const char *dir, struct ibvsim_model *m)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	int fd, ret;

	ret = path_in(tmp, sizeof(tmp), dir, IBVSIM_MODEL_TMP);
	if (ret == 0)
		ret = path_in(path, sizeof(path), dir, IBVSIM_MODEL_FILE);
	if (ret < 0)
		return ret;
	m->hdr.magic = IBVSIM_MODEL_MAGIC;
	m->hdr.version = IBVSIM_MODEL_VERSION;
	m->hdr.generation++;
	/* Only writers holding the lock get here: a fixed temporary name is
	 * safe. Always a new file (a leftover of a crashed writer goes), so
	 * that no reader's open file is ever written to.
	 */
	if (unlink(tmp) < 0 && errno != ENOENT)
		return -errno;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	ret = write_full(fd, &m->hdr, sizeof(m->hdr));
	if (ret == 0)
		ret = write_full(fd, m->groups,
				m->hdr.n_groups * sizeof(m->groups[0]));
	if (ret == 0)
		ret = write_full(fd, m->devices,
				m->hdr.n_devices * sizeof(m->devices[0]));
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	if (ret == 0)
		ret = replace_file(tmp, path);
	if (ret < 0)
		unlink(tmp);
	return ret;
}

int
ibvsim_model_init(const char *dir)
{
	struct ibvsim_model *m;
	char path[PATH_MAX];
	struct stat st;
	int lock_fd, ret;

	if (stat(dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	ret = path_in(path, sizeof(path), dir, IBVSIM_CTX_DIR);
	if (ret < 0)
		return ret;
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -errno;
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return -ENOMEM;
	/* The usual case, a model in place, needs no lock: every tool run
	 * and every ibvsim_open() gets here.
	 */
	ret = ibvsim_model_load(dir, m);
	if (ret != -ENOENT) {
		free(m);
		return ret;
	}
	lock_fd = ibvsim_lock(dir);
	if (lock_fd < 0) {
		free(m);
		return lock_fd;
	}
	ret = ibvsim_model_load(dir, m);
	if (ret == -ENOENT) {
		memset(m, 0, sizeof(*m));
		ret = ibvsim_model_store(dir, m);
	}
	ibvsim_unlock(lock_fd);
	free(m);
	return ret;
}

struct ibvsim_group_rec *
ibvsim_group_find(struct ibvsim_model *m, const char *name)
{
	int i = group_index(m, name);

	return i < 0 ? NULL : &m->groups[i];
}

struct ibvsim_device_rec *
ibvsim_device_find(struct ibvsim_model *m, const char *name)
{
	uint32_t i;

	for (i = 0; i < m->hdr.n_devices; i++)
		if (strcmp(m->devices[i].name, name) == 0)
			return &m->devices[i];
	return NULL;
}

static const struct ibvsim_group_rec *
group_of(const struct ibvsim_model *m, const struct ibvsim_device_rec *d)
{
	int i = d->group[0] == '\0' ? -1 : group_index(m, d->group);

	return i < 0 ? NULL : &m->groups[i];
}

/*
 * The feature's rule: the sum of the group's PFs that are up; the group's
 * internal maximum if none is up while the device is up; 0 when the device
 * is down. A device outside any group has its own fixed speed.
 */
uint64_t
ibvsim_effective_mbps(const struct ibvsim_model *m,
		const struct ibvsim_device_rec *d)
{
	const struct ibvsim_group_rec *g;
	uint64_t sum = 0;
	uint32_t i;

	if (!d->up)
		return 0;
	g = group_of(m, d);
	if (g == NULL)
		return d->speed_mbps;
	for (i = 0; i < g->n_pf; i++)
		if (g->pf_up_mask & (1u << i))
			sum += g->pf_mbps[i];
	return sum != 0 ? sum : g->max_mbps;
}

/*
 * What the classic ibv_query_port() sees: one link, not the aggregate (the
 * first PF that is up, else PF 0).
 */
uint64_t
ibvsim_link_mbps(const struct ibvsim_model *m,
		const struct ibvsim_device_rec *d)
{
	const struct ibvsim_group_rec *g = group_of(m, d);
	uint32_t i;

	if (g == NULL)
		return d->speed_mbps;
	for (i = 0; i < g->n_pf; i++)
		if (g->pf_up_mask & (1u << i))
			return g->pf_mbps[i];
	return g->pf_mbps[0];
}

const char *
ibvsim_type_name(uint32_t type)
{
	switch (type) {
	case IBVSIM_TYPE_PF:
		return "pf";
	case IBVSIM_TYPE_SF:
		return "sf";
	default:
		return "vf";
	}
}
