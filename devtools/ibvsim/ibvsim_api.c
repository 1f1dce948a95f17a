/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/*
 * The control API (ibvsim.h): each change is one transaction under the
 * directory lock: load the model, validate and apply the change to a copy,
 * store it (a new file swapped in), then queue the events its before/after
 * difference implies on every registered context of the affected devices.
 * Events are queued before the lock is dropped, so concurrent changes
 * deliver their events in the order their model versions were made.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <infiniband/verbs.h>

#include "ibvsim_private.h"

struct ibvsim {
	char *dir;
};

/* A change applied to the model in place: 0 to store it, 1 to leave the
 * model file as it is (an event-only operation), negative errno to abort.
 */
typedef int (*ibvsim_change_fn)(struct ibvsim_model *m, void *arg);
/* Extra events after the model is stored, still under the lock. */
typedef int (*ibvsim_after_fn)(const char *dir, struct ibvsim_model *m,
		void *arg);

struct ibvsim *
ibvsim_open(const char *dir)
{
	struct ibvsim *sim;
	int ret;

	if (dir == NULL)
		dir = getenv(IBVSIM_DIR_ENV);
	if (dir == NULL || *dir == '\0') {
		errno = EINVAL;
		return NULL;
	}
	ret = ibvsim_model_init(dir);
	if (ret < 0) {
		errno = -ret;
		return NULL;
	}
	sim = calloc(1, sizeof(*sim));
	if (sim == NULL)
		return NULL;
	/* Absolute: the caller may change its working directory. */
	sim->dir = realpath(dir, NULL);
	if (sim->dir == NULL) {
		free(sim);
		return NULL;
	}
	return sim;
}

void
ibvsim_close(struct ibvsim *sim)
{
	if (sim == NULL)
		return;
	free(sim->dir);
	free(sim);
}

const char *
ibvsim_dir(const struct ibvsim *sim)
{
	return sim != NULL ? sim->dir : NULL;
}

/*
 * The port and speed events a change gives device i (none for one it made
 * fatal: the fault delivers DEVICE_FATAL itself). Their number.
 */
static size_t
diff_events(const struct ibvsim_model *before,
		const struct ibvsim_model *after, uint32_t i,
		struct ibvsim_event_rec ev[IBVSIM_MAX_PORTS + 1])
{
	const struct ibvsim_device_rec *b = &before->devices[i];
	const struct ibvsim_device_rec *a = &after->devices[i];
	size_t n = 0;
	uint32_t p;

	if (a->faults & IBVSIM_FAULT_FATAL)
		return 0; /* removed: no context left */
	if (b->up != a->up)
		for (p = 1; p <= a->n_ports; p++)
			ev[n++] = (struct ibvsim_event_rec){
				.event_type = a->up ? IBV_EVENT_PORT_ACTIVE :
					IBV_EVENT_PORT_ERR,
				.element = p,
			};
	if (!(a->flags & (IBVSIM_F_LEGACY | IBVSIM_F_OLD_KERNEL)) &&
			ibvsim_effective_mbps(before, b) !=
			ibvsim_effective_mbps(after, a))
		ev[n++] = (struct ibvsim_event_rec){
			.event_type = IBVSIM_EVENT_DEVICE_SPEED_CHANGE,
			.element = 0, /* device-scoped, as the kernel */
		};
	return n;
}

/* Port and speed events of every device whose state or speed changed. */
static int
queue_diff_events(const char *dir, const struct ibvsim_model *before,
		const struct ibvsim_model *after)
{
	struct ibvsim_event_rec ev[IBVSIM_MAX_PORTS + 1];
	int ret = 0;
	uint32_t i;

	for (i = 0; i < before->hdr.n_devices; i++) {
		size_t n = diff_events(before, after, i, ev);
		int r;

		if (n == 0)
			continue;
		r = ibvsim_deliver(dir, after->devices[i].name, ev, n, 1, false);
		if (r < 0 && ret == 0)
			ret = r;
	}
	return ret;
}

/*
 * Before a change is stored: every context that will get events for it
 * must be writable by this process, or the change is refused (-EACCES)
 * and the model stays as it was. FIFOs are their opener's (mode 0600):
 * a control process of another user (not root) could not write to them,
 * and the context would silently miss the change.
 */
static int
check_deliverable(const char *dir, const struct ibvsim_model *before,
		const struct ibvsim_model *after)
{
	struct ibvsim_event_rec ev[IBVSIM_MAX_PORTS + 1];
	uint32_t i;
	int ret;

	for (i = 0; i < before->hdr.n_devices; i++) {
		const struct ibvsim_device_rec *a = &after->devices[i];
		bool made_fatal = (a->faults & IBVSIM_FAULT_FATAL) &&
			!(before->devices[i].faults & IBVSIM_FAULT_FATAL);

		if (!made_fatal && diff_events(before, after, i, ev) == 0)
			continue;
		ret = ibvsim_ctx_writable(dir, a->name);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int
transact(struct ibvsim *sim, ibvsim_change_fn change, ibvsim_after_fn after,
		void *arg)
{
	struct ibvsim_model *m;
	int lock_fd, ret;

	if (sim == NULL)
		return -EINVAL;
	m = malloc(2 * sizeof(*m));
	if (m == NULL)
		return -ENOMEM;
	lock_fd = ibvsim_lock(sim->dir);
	if (lock_fd < 0) {
		free(m);
		return lock_fd;
	}
	ret = ibvsim_model_load(sim->dir, &m[0]);
	if (ret < 0)
		goto out;
	m[1] = m[0];
	ret = change(&m[1], arg);
	if (ret < 0)
		goto out;
	if (ret == 0) {
		ret = check_deliverable(sim->dir, &m[0], &m[1]);
		if (ret < 0)
			goto out;
		ret = ibvsim_model_store(sim->dir, &m[1]);
		if (ret < 0)
			goto out;
		ret = queue_diff_events(sim->dir, &m[0], &m[1]);
	} else {
		ret = 0;
	}
	if (after != NULL) {
		int r = after(sim->dir, &m[1], arg);

		if (r < 0 && ret == 0)
			ret = r;
	}
out:
	ibvsim_unlock(lock_fd);
	free(m);
	return ret;
}

struct group_add_arg {
	const char *name;
	const uint32_t *pf_mbps;
	unsigned int n_pf;
	uint32_t max_mbps;
};

static int
group_add_change(struct ibvsim_model *m, void *arg)
{
	const struct group_add_arg *a = arg;
	struct ibvsim_group_rec *g;
	uint32_t sum = 0;
	unsigned int i;

	if (ibvsim_group_find(m, a->name) != NULL)
		return -EEXIST;
	if (m->hdr.n_groups >= IBVSIM_MAX_GROUPS)
		return -ENOSPC;
	g = &m->groups[m->hdr.n_groups];
	memset(g, 0, sizeof(*g));
	strcpy(g->name, a->name);
	g->n_pf = a->n_pf;
	for (i = 0; i < a->n_pf; i++) {
		g->pf_mbps[i] = a->pf_mbps[i];
		g->pf_up_mask |= 1u << i;
		sum += a->pf_mbps[i]; /* <= 16 * 1.6e6: no overflow */
	}
	g->max_mbps = a->max_mbps != 0 ? a->max_mbps : sum;
	m->hdr.n_groups++;
	return 0;
}

int
ibvsim_group_add(struct ibvsim *sim, const char *name,
		const uint32_t *pf_mbps, unsigned int n_pf, uint32_t max_mbps)
{
	struct group_add_arg a = { name, pf_mbps, n_pf, max_mbps };
	unsigned int i;

	if (!ibvsim_name_valid(name) || pf_mbps == NULL)
		return -EINVAL;
	if (n_pf == 0 || n_pf > IBVSIM_MAX_PFS)
		return -ERANGE;
	for (i = 0; i < n_pf; i++)
		if (!ibvsim_mbps_valid(pf_mbps[i]))
			return -ERANGE;
	if (max_mbps != 0 && !ibvsim_mbps_valid(max_mbps))
		return -ERANGE;
	return transact(sim, group_add_change, NULL, &a);
}

struct device_add_arg {
	const char *ibdev;
	const char *group;
	uint32_t speed_mbps;
	unsigned int n_ports;
	uint32_t type;
	unsigned int flags;
};

static int
device_add_change(struct ibvsim_model *m, void *arg)
{
	const struct device_add_arg *a = arg;
	struct ibvsim_device_rec *d;

	if (ibvsim_device_find(m, a->ibdev) != NULL)
		return -EEXIST;
	if (a->group != NULL && ibvsim_group_find(m, a->group) == NULL)
		return -ENOENT;
	if (m->hdr.n_devices >= IBVSIM_MAX_DEVICES)
		return -ENOSPC;
	d = &m->devices[m->hdr.n_devices];
	memset(d, 0, sizeof(*d));
	strcpy(d->name, a->ibdev);
	if (a->group != NULL)
		strcpy(d->group, a->group);
	d->speed_mbps = a->speed_mbps;
	d->n_ports = a->n_ports;
	d->type = a->type;
	d->flags = a->flags;
	d->up = 1;
	d->index = m->hdr.next_index++;
	m->hdr.n_devices++;
	return 0;
}

int
ibvsim_device_add(struct ibvsim *sim, const char *ibdev, const char *group,
		uint32_t speed_mbps, unsigned int n_ports, const char *type,
		unsigned int flags)
{
	struct device_add_arg a = {
		.ibdev = ibdev,
		.group = group,
		.speed_mbps = speed_mbps,
		.n_ports = n_ports == 0 ? 1 : n_ports,
		.flags = flags,
	};

	if (!ibvsim_name_valid(ibdev))
		return -EINVAL;
	if (group != NULL && !ibvsim_name_valid(group))
		return -EINVAL;
	if (group != NULL)
		a.speed_mbps = 0; /* the group's speed rules */
	else if (!ibvsim_mbps_valid(speed_mbps))
		return -ERANGE;
	if (a.n_ports > IBVSIM_MAX_PORTS)
		return -ERANGE;
	if ((flags & ~(IBVSIM_F_LEGACY | IBVSIM_F_OLD_KERNEL)) != 0 ||
			flags == (IBVSIM_F_LEGACY | IBVSIM_F_OLD_KERNEL))
		return -EINVAL;
	if (type == NULL || strcmp(type, "vf") == 0)
		a.type = IBVSIM_TYPE_VF;
	else if (strcmp(type, "pf") == 0)
		a.type = IBVSIM_TYPE_PF;
	else if (strcmp(type, "sf") == 0)
		a.type = IBVSIM_TYPE_SF;
	else
		return -EINVAL;
	return transact(sim, device_add_change, NULL, &a);
}

struct pf_set_arg {
	const char *group;
	unsigned int index;
	bool up;
};

static int
pf_set_change(struct ibvsim_model *m, void *arg)
{
	const struct pf_set_arg *a = arg;
	struct ibvsim_group_rec *g = ibvsim_group_find(m, a->group);

	if (g == NULL)
		return -ENOENT;
	if (a->index >= g->n_pf)
		return -ERANGE;
	if (a->up)
		g->pf_up_mask |= 1u << a->index;
	else
		g->pf_up_mask &= ~(1u << a->index);
	return 0;
}

int
ibvsim_pf_set(struct ibvsim *sim, const char *group, unsigned int index,
		bool up)
{
	struct pf_set_arg a = { group, index, up };

	if (!ibvsim_name_valid(group))
		return -EINVAL;
	return transact(sim, pf_set_change, NULL, &a);
}

struct device_set_arg {
	const char *ibdev;
	bool up;
};

static int
device_set_change(struct ibvsim_model *m, void *arg)
{
	const struct device_set_arg *a = arg;
	struct ibvsim_device_rec *d = ibvsim_device_find(m, a->ibdev);

	if (d == NULL)
		return -ENOENT;
	d->up = a->up;
	return 0;
}

int
ibvsim_device_set(struct ibvsim *sim, const char *ibdev, bool up)
{
	struct device_set_arg a = { ibdev, up };

	if (!ibvsim_name_valid(ibdev))
		return -EINVAL;
	return transact(sim, device_set_change, NULL, &a);
}

enum fault_op {
	FAULT_QUERY_EIO,
	FAULT_OPEN_FAIL,
	FAULT_FATAL,
	FAULT_STORM,
	FAULT_CLEAR,
};

struct fault_arg {
	const char *ibdev;
	enum fault_op op;
	unsigned int count;
};

static int
fault_change(struct ibvsim_model *m, void *arg)
{
	const struct fault_arg *a = arg;
	struct ibvsim_device_rec *d = ibvsim_device_find(m, a->ibdev);

	if (d == NULL)
		return -ENOENT;
	switch (a->op) {
	case FAULT_QUERY_EIO:
		d->faults |= IBVSIM_FAULT_QUERY_EIO;
		return 0;
	case FAULT_OPEN_FAIL:
		d->faults |= IBVSIM_FAULT_OPEN_FAIL;
		return 0;
	case FAULT_FATAL:
		d->faults |= IBVSIM_FAULT_FATAL;
		return 0;
	case FAULT_CLEAR:
		d->faults = 0;
		return 0;
	case FAULT_STORM:
		return 1;
	}
	return -EINVAL;
}

static int
fault_after(const char *dir, struct ibvsim_model *m, void *arg)
{
	const struct fault_arg *a = arg;
	struct ibvsim_device_rec *d = ibvsim_device_find(m, a->ibdev);
	struct ibvsim_event_rec ev = { .element = 0 };

	if (a->op == FAULT_FATAL) {
		/* The last event of every context of the device; then its
		 * registration goes, so nothing follows it.
		 */
		ev.event_type = IBV_EVENT_DEVICE_FATAL;
		return ibvsim_deliver(dir, a->ibdev, &ev, 1, 1, true);
	}
	if (a->op == FAULT_STORM && d != NULL &&
			!(d->flags & (IBVSIM_F_LEGACY | IBVSIM_F_OLD_KERNEL)) &&
			!(d->faults & IBVSIM_FAULT_FATAL)) {
		/* Refused as a change would be (check_deliverable()). */
		int ret = ibvsim_ctx_writable(dir, a->ibdev);

		if (ret < 0)
			return ret;
		ev.event_type = IBVSIM_EVENT_DEVICE_SPEED_CHANGE;
		return ibvsim_deliver(dir, a->ibdev, &ev, 1, a->count, false);
	}
	return 0;
}

int
ibvsim_fault(struct ibvsim *sim, const char *ibdev, const char *fault,
		unsigned int count)
{
	struct fault_arg a = { .ibdev = ibdev, .count = count };

	if (!ibvsim_name_valid(ibdev) || fault == NULL)
		return -EINVAL;
	if (strcmp(fault, "query-eio") == 0)
		a.op = FAULT_QUERY_EIO;
	else if (strcmp(fault, "open-fail") == 0)
		a.op = FAULT_OPEN_FAIL;
	else if (strcmp(fault, "fatal") == 0)
		a.op = FAULT_FATAL;
	else if (strcmp(fault, "storm") == 0)
		a.op = FAULT_STORM;
	else if (strcmp(fault, "clear") == 0)
		a.op = FAULT_CLEAR;
	else
		return -EINVAL;
	if (a.op == FAULT_STORM && (count == 0 || count > IBVSIM_MAX_STORM))
		return -ERANGE;
	return transact(sim, fault_change, fault_after, &a);
}

int
ibvsim_device_speed(struct ibvsim *sim, const char *ibdev,
		uint64_t *speed_100mbps)
{
	struct ibvsim_device_rec *d;
	struct ibvsim_model *m;
	int ret;

	if (sim == NULL || speed_100mbps == NULL || !ibvsim_name_valid(ibdev))
		return -EINVAL;
	m = malloc(sizeof(*m));
	if (m == NULL)
		return -ENOMEM;
	ret = ibvsim_model_load(sim->dir, m);
	if (ret == 0) {
		d = ibvsim_device_find(m, ibdev);
		if (d == NULL)
			ret = -ENOENT;
		else
			*speed_100mbps = ibvsim_effective_mbps(m, d) / 100;
	}
	free(m);
	return ret;
}

int
ibvsim_device_contexts(struct ibvsim *sim, const char *ibdev)
{
	struct ibvsim_model *m;
	int ret;

	if (sim == NULL || !ibvsim_name_valid(ibdev))
		return -EINVAL;
	m = malloc(sizeof(*m));
	if (m == NULL)
		return -ENOMEM;
	ret = ibvsim_model_load(sim->dir, m);
	if (ret == 0 && ibvsim_device_find(m, ibdev) == NULL)
		ret = -ENOENT;
	free(m);
	if (ret < 0)
		return ret;
	return ibvsim_ctx_count(sim->dir, ibdev);
}
