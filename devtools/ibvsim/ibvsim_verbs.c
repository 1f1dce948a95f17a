/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/*
 * The verbs entry points: the subset of libibverbs.so.1 (rdma-core >= 62
 * ABI) that the lagspeed plugin resolves with dlsym(). Devices are those of
 * the model in $IBVSIM_DIR; queries read the model file afresh each time,
 * so they always see the latest whole change.
 *
 * Return conventions are rdma-core's: the query verbs return 0 or a
 * positive errno; ibv_open_device() and ibv_get_device_list() return NULL
 * with errno; ibv_get_async_event() returns -1 with errno.
 */

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "lagspeed_config.h"
#include "ibvsim_private.h"

/* verbs.h turns these into inline wrappers; we define the real symbols. */
#undef ibv_get_device_list
#undef ibv_query_port

#ifndef LAGSPEED_HAVE_IBV_QUERY_PORT_SPEED
int ibv_query_port_speed(struct ibv_context *context, uint32_t port_num,
		uint64_t *port_speed);
#endif
#ifdef LAGSPEED_HAVE_IBV_EVENT_DEVICE_SPEED_CHANGE
_Static_assert(IBV_EVENT_DEVICE_SPEED_CHANGE == IBVSIM_EVENT_DEVICE_SPEED_CHANGE,
		"rdma-core's value of IBV_EVENT_DEVICE_SPEED_CHANGE");
#endif
/* The compat entry point, which verbs.h hides behind a macro. */
int ibv_query_port(struct ibv_context *context, uint8_t port_num,
		struct _compat_ibv_port_attr *port_attr);
struct ibv_device **ibv_get_device_list(int *num_devices);

/*
 * A device as listed: referenced by the registry below while the model
 * has it, by each list that holds it and by each open context, since
 * context->device must outlive ibv_free_device_list().
 */
struct ibvsim_dev {
	struct ibv_device dev;
	atomic_int refs;
	uint32_t index;          /* uverbs index: a device re-added is new */
	struct ibvsim_dev *next; /* in the registry (devs_lock) */
	bool seen;               /* in the model at this listing (devs_lock) */
	char dir[PATH_MAX];
};

/*
 * The devices listed so far, as rdma-core keeps them: a device gets one
 * struct ibv_device for as long as it exists, the same pointer from every
 * ibv_get_device_list(); one gone from the model leaves the registry at
 * the next listing.
 */
static pthread_mutex_t devs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ibvsim_dev *devs;

struct ibvsim_ctx {
	struct ibv_context ctx;
	struct ibvsim_dev *sdev;
	char *fifo_path;
	/*
	 * The process that opened it. A forked child that closes its copy
	 * leaves the registration to the parent, as a kernel context's file
	 * stays open in the parent.
	 */
	pid_t owner;
	int keeper_fd; /* write end held so async_fd sees no EOF; -1 after FATAL */
	/*
	 * ibv_get_async_event() returned DEVICE_FATAL or met the end of the
	 * events: nothing can follow, and the kernel's read then fails with
	 * EIO at once. Not left to the end of file, which a forked child
	 * holding a copy of the keeper would delay for ever.
	 */
	atomic_bool events_over;
	/*
	 * The device was removed while the context was open (see
	 * ctx_dead()): from then on every verb that reaches the kernel fails
	 * with EIO, as on a context the kernel disassociated, even after the
	 * model's fault is cleared.
	 */
	atomic_bool dead;
};

static atomic_long unacked_events;

static void
dev_put(struct ibvsim_dev *sdev)
{
	if (atomic_fetch_sub(&sdev->refs, 1) == 1)
		free(sdev);
}

static struct ibvsim_dev *
dev_new(const char *dir, const struct ibvsim_device_rec *d)
{
	struct ibvsim_dev *sdev = calloc(1, sizeof(*sdev));

	if (sdev == NULL)
		return NULL;
	atomic_init(&sdev->refs, 1);
	sdev->index = d->index;
	snprintf(sdev->dir, sizeof(sdev->dir), "%s", dir);
	sdev->dev.node_type = IBV_NODE_CA;
	sdev->dev.transport_type = IBV_TRANSPORT_IB;
	snprintf(sdev->dev.name, sizeof(sdev->dev.name), "%s", d->name);
	snprintf(sdev->dev.dev_name, sizeof(sdev->dev.dev_name), "uverbs%u",
			d->index);
	snprintf(sdev->dev.dev_path, sizeof(sdev->dev.dev_path),
			"/sys/class/infiniband_verbs/uverbs%u", d->index);
	snprintf(sdev->dev.ibdev_path, sizeof(sdev->dev.ibdev_path),
			"/sys/class/infiniband/%s", d->name);
	return sdev;
}

/*
 * The registry's device for a model record, with a reference for the
 * caller, made if new; marked seen (devs_lock held).
 */
static struct ibvsim_dev *
dev_get(const char *dir, const struct ibvsim_device_rec *d)
{
	struct ibvsim_dev *sdev;

	for (sdev = devs; sdev != NULL; sdev = sdev->next)
		if (sdev->index == d->index &&
				strcmp(sdev->dev.name, d->name) == 0 &&
				strcmp(sdev->dir, dir) == 0)
			break;
	if (sdev == NULL) {
		sdev = dev_new(dir, d);
		if (sdev == NULL)
			return NULL;
		sdev->next = devs;
		devs = sdev;
	}
	sdev->seen = true;
	atomic_fetch_add(&sdev->refs, 1);
	return sdev;
}

/* Drop from the registry the devices this listing did not see. */
static void
devs_prune(void)
{
	struct ibvsim_dev **pp = &devs, *sdev;

	while ((sdev = *pp) != NULL) {
		if (sdev->seen) {
			sdev->seen = false;
			pp = &sdev->next;
		} else {
			*pp = sdev->next;
			dev_put(sdev);
		}
	}
}

/*
 * Unloaded (dlclose(), exit): the registry lets go of its devices; those
 * of lists or contexts still open stay theirs. Not if the lock is taken:
 * a child forked while another thread listed has it taken for ever, and
 * must still be able to exit.
 */
static void __attribute__((destructor))
devs_release(void)
{
	struct ibvsim_dev *sdev;

	if (pthread_mutex_trylock(&devs_lock) != 0)
		return;
	while ((sdev = devs) != NULL) {
		devs = sdev->next;
		dev_put(sdev);
	}
	pthread_mutex_unlock(&devs_lock);
}

/* Said once: a mistyped directory would look like a machine without RDMA. */
static void
warn_no_dir(const char *env, int err)
{
	static atomic_bool warned;

	if (!atomic_exchange(&warned, true))
		fprintf(stderr, "ibvsim: %s=%s: %s: no devices\n",
				IBVSIM_DIR_ENV, env, strerror(err));
}

struct ibv_device **
ibv_get_device_list(int *num_devices)
{
	const char *env = getenv(IBVSIM_DIR_ENV);
	char dir[PATH_MAX];
	struct ibv_device **list;
	struct ibvsim_model *m;
	uint32_t i;
	int n = 0, ret;

	if (num_devices != NULL)	/* as rdma-core, before anything fails */
		*num_devices = 0;
	m = malloc(sizeof(*m));
	if (m == NULL)
		return NULL;
	/*
	 * No directory or no model yet: a machine without devices. The
	 * devices keep the directory's absolute path: the application may
	 * change its working directory while a context is open.
	 */
	if (env == NULL || *env == '\0') {
		ret = -ENOENT;
	} else if (realpath(env, dir) == NULL) {
		ret = -errno;
		if (ret == -ENOENT || ret == -ENOTDIR)
			warn_no_dir(env, -ret);
	} else {
		ret = ibvsim_model_load(dir, m);
	}
	if (ret == -ENOENT || ret == -ENOTDIR) {
		m->hdr.n_devices = 0;
	} else if (ret < 0) {
		free(m);
		errno = -ret;
		return NULL;
	}
	list = calloc(m->hdr.n_devices + 1, sizeof(*list));
	if (list == NULL) {
		free(m);
		return NULL;
	}
	pthread_mutex_lock(&devs_lock);
	for (i = 0; i < m->hdr.n_devices; i++) {
		struct ibvsim_dev *sdev;

		/* A device after a fatal error is removed, as on hot-unplug. */
		if (m->devices[i].faults & IBVSIM_FAULT_FATAL)
			continue;
		sdev = dev_get(dir, &m->devices[i]);
		if (sdev == NULL) {
			while (n > 0)
				dev_put((struct ibvsim_dev *)list[--n]);
			for (sdev = devs; sdev != NULL; sdev = sdev->next)
				sdev->seen = false;
			pthread_mutex_unlock(&devs_lock);
			free(list);
			free(m);
			errno = ENOMEM;
			return NULL;
		}
		list[n++] = &sdev->dev;
	}
	devs_prune();
	pthread_mutex_unlock(&devs_lock);
	free(m);
	if (num_devices != NULL)
		*num_devices = n;
	return list;
}

void
ibv_free_device_list(struct ibv_device **list)
{
	struct ibv_device **p;

	if (list == NULL)
		return;
	for (p = list; *p != NULL; p++)
		dev_put((struct ibvsim_dev *)*p);
	free(list);
}

const char *
ibv_get_device_name(struct ibv_device *device)
{
	return device != NULL ? device->name : NULL;
}

/*
 * Whether the context's device was removed since it was opened: it read
 * DEVICE_FATAL or the end of its events, or, read or not, its
 * registration is gone (a fatal fault delivers the event, then unlinks
 * every registration of the device; nothing else unlinks that of a
 * context still open).
 */
static bool
ctx_dead(struct ibvsim_ctx *sctx)
{
	if (atomic_load(&sctx->dead))
		return true;
	if (access(sctx->fifo_path, F_OK) != 0 && errno == ENOENT) {
		atomic_store(&sctx->dead, true);
		return true;
	}
	return false;
}

/* Load the model and find a context's device in it: 0 or positive errno. */
static int
ctx_device(struct ibv_context *context, struct ibvsim_model **mp,
		struct ibvsim_device_rec **dp)
{
	struct ibvsim_ctx *sctx = (struct ibvsim_ctx *)context;
	struct ibvsim_model *m;
	int ret;

	if (context == NULL)
		return EINVAL;
	m = malloc(sizeof(*m));
	if (m == NULL)
		return ENOMEM;
	ret = ibvsim_model_load(sctx->sdev->dir, m);
	if (ret < 0) {
		free(m);
		return EIO;
	}
	*dp = ibvsim_device_find(m, sctx->sdev->dev.name);
	if (*dp == NULL) {
		free(m);
		return ENODEV;
	}
	*mp = m;
	return 0;
}

struct ibv_context *
ibv_open_device(struct ibv_device *device)
{
	struct ibvsim_dev *sdev = (struct ibvsim_dev *)device;
	struct ibvsim_device_rec *d;
	struct ibvsim_ctx *sctx;
	struct ibvsim_model *m;
	int ret, rfd, keeper;
	char *path;

	if (device == NULL) {
		errno = EINVAL;
		return NULL;
	}
	m = malloc(sizeof(*m));
	if (m == NULL)
		return NULL;
	/*
	 * Registered first, then the model read: a change is then either
	 * stored before the read (seen by this context's queries) or
	 * delivered after the registration (queued here), and sometimes both,
	 * as a kernel context opened during a change may see its new state
	 * and get its event. No lock: a writer holds the directory lock while
	 * it waits for full FIFOs, and the reader of one of them may be this
	 * very thread.
	 */
	ret = -ibvsim_ctx_register(sdev->dir, device->name, &path, &rfd,
			&keeper);
	if (ret != 0)
		goto fail;
	ret = -ibvsim_model_load(sdev->dir, m);
	if (ret == 0) {
		d = ibvsim_device_find(m, device->name);
		if (d == NULL || (d->faults & IBVSIM_FAULT_FATAL))
			ret = ENODEV;
		else if (d->faults & IBVSIM_FAULT_OPEN_FAIL)
			ret = EIO;
	}
	if (ret != 0) {
		close(rfd);
		close(keeper);
		unlink(path);
		free(path);
		goto fail;
	}
	free(m);

	sctx = calloc(1, sizeof(*sctx));
	if (sctx == NULL) {
		close(rfd);
		close(keeper);
		unlink(path);
		free(path);
		errno = ENOMEM;
		return NULL;
	}
	atomic_fetch_add(&sdev->refs, 1);
	sctx->sdev = sdev;
	sctx->fifo_path = path;
	sctx->owner = getpid();
	sctx->keeper_fd = keeper;
	sctx->ctx.device = device;
	sctx->ctx.cmd_fd = -1; /* no kernel command channel here */
	sctx->ctx.async_fd = rfd;
	sctx->ctx.num_comp_vectors = 1;
	pthread_mutex_init(&sctx->ctx.mutex, NULL);
	return &sctx->ctx;

fail:
	free(m);
	errno = ret;
	return NULL;
}

/*
 * Unacknowledged events do not make this wait: rdma-core only waits for
 * the events of CQs, QPs, SRQs and WQs, which the emulator has none of.
 */
int
ibv_close_device(struct ibv_context *context)
{
	struct ibvsim_ctx *sctx = (struct ibvsim_ctx *)context;

	if (context == NULL)
		return EINVAL;
	/* Closing the read end first makes a writer blocked on a full FIFO
	 * fail with EPIPE at once rather than time out; the name goes after,
	 * without the lock (the writer may already have removed it).
	 */
	close(context->async_fd);
	pthread_mutex_lock(&context->mutex);
	if (sctx->keeper_fd >= 0)
		close(sctx->keeper_fd);
	sctx->keeper_fd = -1;
	pthread_mutex_unlock(&context->mutex);
	if (getpid() == sctx->owner)
		unlink(sctx->fifo_path);
	free(sctx->fifo_path);
	pthread_mutex_destroy(&context->mutex);
	dev_put(sctx->sdev);
	free(sctx);
	return 0;
}

int
ibv_query_device(struct ibv_context *context,
		struct ibv_device_attr *device_attr)
{
	struct ibvsim_device_rec *d;
	struct ibvsim_model *m;
	int ret;

	if (device_attr == NULL)
		return EINVAL;
	ret = ctx_device(context, &m, &d);
	if (ret != 0)
		return ret;
	if ((d->faults & IBVSIM_FAULT_FATAL) ||
			ctx_dead((struct ibvsim_ctx *)context)) {
		free(m);
		return EIO;
	}
	memset(device_attr, 0, sizeof(*device_attr));
	snprintf(device_attr->fw_ver, sizeof(device_attr->fw_ver),
			"ibvsim-%s", LAGSPEED_VERSION);
	device_attr->node_guid = htobe64(0x0002c90300000000ull | d->index);
	device_attr->sys_image_guid = device_attr->node_guid;
	device_attr->vendor_id = 0x02c9; /* Mellanox */
	/* ConnectX-7 PF, ConnectX family VF; SFs show the PF's id. */
	device_attr->vendor_part_id = d->type == IBVSIM_TYPE_VF ? 4126 : 4129;
	device_attr->phys_port_cnt = (uint8_t)d->n_ports;
	free(m);
	return 0;
}

/* The classic (per-lane) speed encoding of one link, for ibv_query_port. */
static void
encode_link(uint64_t mbps, uint8_t *width, uint8_t *speed)
{
	static const struct {
		uint64_t min_mbps;
		uint8_t width; /* 1: 1x, 2: 4x, 16: 2x */
		uint8_t speed; /* 1 SDR, 4 QDR, 32 EDR, 64 HDR, 128 NDR */
	} table[] = {
		{ 400000, 2, 128 },
		{ 200000, 2, 64 },
		{ 100000, 2, 32 },
		{ 50000, 16, 32 },
		{ 40000, 2, 4 },
		{ 25000, 1, 32 },
		{ 10000, 1, 4 },
		{ 0, 1, 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (mbps >= table[i].min_mbps)
			break;
	*width = table[i].width;
	*speed = table[i].speed;
}

/*
 * The exported ibv_query_port (IBVERBS_1.1) fills rdma-core's
 * struct _compat_ibv_port_attr: struct ibv_port_attr up to and without
 * port_cap_flags2, 48 bytes; verbs.h's inline wrapper zeroes the rest of
 * a caller's struct before calling it. Filled in a whole struct here,
 * then only that much copied out, as rdma-core's __lib_query_port() does.
 */
#define IBVSIM_COMPAT_PORT_ATTR_LEN offsetof(struct ibv_port_attr, port_cap_flags2)
_Static_assert(IBVSIM_COMPAT_PORT_ATTR_LEN == 48,
	"rdma-core's struct _compat_ibv_port_attr is 48 bytes");

int
ibv_query_port(struct ibv_context *context, uint8_t port_num,
		struct _compat_ibv_port_attr *port_attr)
{
	struct ibv_port_attr whole, *attr = &whole;
	struct ibvsim_device_rec *d;
	struct ibvsim_model *m;
	int ret;

	if (port_attr == NULL)
		return EINVAL;
	ret = ctx_device(context, &m, &d);
	if (ret != 0)
		return ret;
	/*
	 * The kernel's order: a removed device fails first, then the port
	 * number, then the driver's own query.
	 */
	if ((d->faults & IBVSIM_FAULT_FATAL) ||
			ctx_dead((struct ibvsim_ctx *)context))
		ret = EIO;
	else if (port_num < 1 || port_num > d->n_ports)
		ret = EINVAL;
	else if (d->faults & IBVSIM_FAULT_QUERY_EIO)
		ret = EIO;
	if (ret != 0) {
		free(m);
		return ret;
	}
	memset(attr, 0, sizeof(*attr));
	attr->state = d->up ? IBV_PORT_ACTIVE : IBV_PORT_DOWN;
	attr->phys_state = d->up ? 5 : 3; /* LinkUp : Disabled */
	attr->max_mtu = IBV_MTU_4096;
	attr->active_mtu = IBV_MTU_1024; /* RoCE on a 1500-byte netdev */
	attr->gid_tbl_len = 256;
	attr->pkey_tbl_len = 1;
	attr->max_msg_sz = 1u << 30;
	attr->link_layer = IBV_LINK_LAYER_ETHERNET;
	encode_link(ibvsim_link_mbps(m, d), &attr->active_width,
			&attr->active_speed);
	free(m);
	memcpy(port_attr, &whole, IBVSIM_COMPAT_PORT_ATTR_LEN);
	return 0;
}

int
ibv_query_port_speed(struct ibv_context *context, uint32_t port_num,
		uint64_t *port_speed)
{
	struct ibvsim_device_rec *d;
	struct ibvsim_model *m;
	int ret;

	ret = ctx_device(context, &m, &d);
	if (ret != 0) {
		errno = ret;
		return ret;
	}
	/* The order of rdma-core: no provider op, then no kernel method,
	 * then the kernel's own checks: a removed device, the port number,
	 * the driver's query, the copy to the user's address.
	 */
	if (d->flags & IBVSIM_F_LEGACY)
		ret = EOPNOTSUPP;
	else if (d->flags & IBVSIM_F_OLD_KERNEL)
		ret = EPROTONOSUPPORT;
	else if ((d->faults & IBVSIM_FAULT_FATAL) ||
			ctx_dead((struct ibvsim_ctx *)context))
		ret = EIO;
	else if (port_num < 1 || port_num > d->n_ports)
		ret = EINVAL;
	else if (d->faults & IBVSIM_FAULT_QUERY_EIO)
		ret = EIO;
	else if (port_speed == NULL)
		ret = EFAULT;
	else
		*port_speed = ibvsim_effective_mbps(m, d) / 100;
	free(m);
	/* rdma-core's failed ioctl leaves its errno behind as well */
	if (ret != 0)
		errno = ret;
	return ret;
}

int
ibv_get_async_event(struct ibv_context *context, struct ibv_async_event *event)
{
	struct ibvsim_ctx *sctx = (struct ibvsim_ctx *)context;
	struct ibvsim_event_rec rec;
	ssize_t r;

	if (context == NULL || event == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (atomic_load(&sctx->events_over)) {
		errno = EIO;
		return -1;
	}
	/* One record per call: the fd stays readable while more are queued. */
	r = read(context->async_fd, &rec, sizeof(rec));
	if (r < 0)
		return -1;
	if (r != (ssize_t)sizeof(rec)) {
		/* End of file: the device is gone, as the kernel's EIO. */
		atomic_store(&sctx->dead, true);
		atomic_store(&sctx->events_over, true);
		errno = EIO;
		return -1;
	}
	memset(event, 0, sizeof(*event));
	event->event_type = (enum ibv_event_type)rec.event_type;
	/* A port event's element is its port; a device event's is unused. */
	event->element.port_num = (int)rec.element;
	if (rec.event_type == IBV_EVENT_DEVICE_FATAL) {
		atomic_store(&sctx->dead, true);
		atomic_store(&sctx->events_over, true);
		/* Nothing follows: let the fd reach end-of-file. */
		pthread_mutex_lock(&context->mutex);
		if (sctx->keeper_fd >= 0)
			close(sctx->keeper_fd);
		sctx->keeper_fd = -1;
		pthread_mutex_unlock(&context->mutex);
	}
	atomic_fetch_add(&unacked_events, 1);
	return 0;
}

void
ibv_ack_async_event(struct ibv_async_event *event)
{
	long n;

	if (event == NULL)
		return;
	n = atomic_load(&unacked_events);
	while (n > 0 && !atomic_compare_exchange_weak(&unacked_events, &n, n - 1))
		;
}

long
ibvsim_unacked_events(void)
{
	return atomic_load(&unacked_events);
}

const char *
ibv_event_type_str(enum ibv_event_type event)
{
	static const char *const names[] = {
		[IBV_EVENT_CQ_ERR] = "CQ error",
		[IBV_EVENT_QP_FATAL] = "local work queue catastrophic error",
		[IBV_EVENT_QP_REQ_ERR] = "invalid request local work queue error",
		[IBV_EVENT_QP_ACCESS_ERR] = "local access violation work queue error",
		[IBV_EVENT_COMM_EST] = "communication established",
		[IBV_EVENT_SQ_DRAINED] = "send queue drained",
		[IBV_EVENT_PATH_MIG] = "path migrated",
		[IBV_EVENT_PATH_MIG_ERR] = "path migration request error",
		[IBV_EVENT_DEVICE_FATAL] = "local catastrophic error",
		[IBV_EVENT_PORT_ACTIVE] = "port active",
		[IBV_EVENT_PORT_ERR] = "port error",
		[IBV_EVENT_LID_CHANGE] = "LID change",
		[IBV_EVENT_PKEY_CHANGE] = "P_Key change",
		[IBV_EVENT_SM_CHANGE] = "SM change",
		[IBV_EVENT_SRQ_ERR] = "SRQ catastrophic error",
		[IBV_EVENT_SRQ_LIMIT_REACHED] = "SRQ limit reached",
		[IBV_EVENT_QP_LAST_WQE_REACHED] = "last WQE reached",
		[IBV_EVENT_CLIENT_REREGISTER] = "client reregistration",
		[IBV_EVENT_GID_CHANGE] = "GID table change",
		[IBV_EVENT_WQ_FATAL] = "WQ fatal",
		[IBVSIM_EVENT_DEVICE_SPEED_CHANGE] = "Device link speed change",
	};
	unsigned int e = (unsigned int)event;

	if (e >= sizeof(names) / sizeof(names[0]) || names[e] == NULL)
		return "unknown";
	return names[e];
}
