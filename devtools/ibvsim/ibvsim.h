/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

#ifndef IBVSIM_H
#define IBVSIM_H

/**
 * @file
 * ibvsim: the in-process control API of the verbs emulator libibvsim.so.
 *
 * libibvsim.so is a drop-in for libibverbs.so.1 (the subset the lagspeed
 * plugin uses) whose devices are described by a *model* kept in a state
 * directory. This header changes that model from C, exactly as
 * `ibvsim-ctl` does from the shell; every change queues the matching async
 * events on every open verbs context of the affected devices, in every
 * process, before the call returns.
 *
 * Every call returning int returns 0 or a negative errno value:
 * -EINVAL malformed argument, -ERANGE a number or index out of range,
 * -ENOENT unknown name, -EEXIST duplicate name, -ENOSPC model full,
 * -ETIMEDOUT the change was made but a context did not drain its events in
 * time (see doc/guides/ibvsim.md), -EACCES the model or a context that
 * would get the change's events belongs to another user, other values
 * from the file system. A call that fails leaves the model unchanged,
 * except when delivering a stored change's events failed: -ETIMEDOUT
 * above, and, rarely, others (a context registered meanwhile that this
 * process cannot open, -EACCES; its own memory or descriptor limits);
 * the change is then made, and some context misses its events.
 *
 * Every function taking a handle (sim) takes one from ibvsim_open(): NULL
 * gives -EINVAL (ibvsim_dir(): NULL; ibvsim_close(): nothing).
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Value of IBV_EVENT_DEVICE_SPEED_CHANGE (rdma-core >= 62). */
#define IBVSIM_EVENT_DEVICE_SPEED_CHANGE 20

/** ibvsim_device_add() flag: a device or provider without the verb. */
#define IBVSIM_F_LEGACY (1u << 0)
/** ibvsim_device_add() flag: a kernel without the verb's ioctl method. */
#define IBVSIM_F_OLD_KERNEL (1u << 1)

/** Longest group or device name, without its terminating NUL. */
#define IBVSIM_NAME_LEN 63
/** Most groups in one model. */
#define IBVSIM_MAX_GROUPS 32
/** Most PFs in one group. */
#define IBVSIM_MAX_PFS 16
/** Most devices in one model. */
#define IBVSIM_MAX_DEVICES 128
/** Most ports of one device. */
#define IBVSIM_MAX_PORTS 8
/**
 * Highest speed given for one PF, for a device of its own speed, or as a
 * group's max_mbps, in Mb/s (1.6 Tb/s). A device in a group reports the
 * sum of its PFs, which can be higher.
 */
#define IBVSIM_MAX_MBPS 1600000u
/**
 * Every speed given is a multiple of this many Mb/s: the unit of
 * ibv_query_port_speed(), so that what the verb says is what was set.
 */
#define IBVSIM_MBPS_UNIT 100u
/** Longest event storm of one call. */
#define IBVSIM_MAX_STORM 1000000u

/** The environment variable naming the default state directory. */
#define IBVSIM_DIR_ENV "IBVSIM_DIR"

/** A handle on a model directory. */
struct ibvsim;

/**
 * Whether a name is valid for a group or a device: 1 to IBVSIM_NAME_LEN
 * characters of [A-Za-z0-9_.-], not starting with '.' or '-' (no ':',
 * which the plugin's bind=IBDEV:PORT could not take).
 *
 * @param name
 *   The name, or NULL (not valid).
 * @return
 *   true when valid.
 */
bool ibvsim_name_valid(const char *name);

/**
 * Open a model directory.
 *
 * @param dir
 *   The state directory; NULL: the one named by $IBVSIM_DIR. It must exist;
 *   an empty model is created in it if it holds none.
 * @return
 *   A handle, or NULL with errno set: ENOENT, ENOTDIR, EINVAL when dir
 *   is empty, or NULL and $IBVSIM_DIR unset or empty, EBADMSG for a
 *   corrupt model, ENAMETOOLONG, EACCES, and others from the file system
 *   (EISDIR when the model's file is a directory).
 */
struct ibvsim *ibvsim_open(const char *dir);

/**
 * Release a handle (the model stays in its directory).
 *
 * @param sim
 *   The handle, or NULL (a no-op).
 */
void ibvsim_close(struct ibvsim *sim);

/**
 * The state directory of a handle.
 *
 * @param sim
 *   The handle.
 * @return
 *   Its absolute path, or NULL when sim is NULL.
 */
const char *ibvsim_dir(const struct ibvsim *sim);

/**
 * Add a group (a LAG or MP-Ethernet aggregation), all its PFs up.
 *
 * @param sim
 *   The handle.
 * @param name
 *   The group's name (see ibvsim_name_valid()).
 * @param pf_mbps
 *   Speed of each member PF, in Mb/s: a multiple of IBVSIM_MBPS_UNIT,
 *   up to IBVSIM_MAX_MBPS.
 * @param n_pf
 *   Number of PFs (1 to IBVSIM_MAX_PFS).
 * @param max_mbps
 *   The internal (loopback) maximum reported while every PF is down and the
 *   device up: a multiple of IBVSIM_MBPS_UNIT up to IBVSIM_MAX_MBPS, or 0
 *   for the sum of the PF speeds (which may be higher).
 * @return
 *   0 or a negative errno (above).
 */
int ibvsim_group_add(struct ibvsim *sim, const char *name,
		const uint32_t *pf_mbps, unsigned int n_pf, uint32_t max_mbps);

/**
 * Add an IB device (a PF, VF or SF function), up.
 *
 * @param sim
 *   The handle.
 * @param ibdev
 *   Its name (as ibv_get_device_name() returns it), same rules as groups.
 * @param group
 *   The group whose speed it reports, or NULL for a fixed speed.
 * @param speed_mbps
 *   Its own speed when group is NULL (a multiple of IBVSIM_MBPS_UNIT, up
 *   to IBVSIM_MAX_MBPS); ignored when a group is given.
 * @param n_ports
 *   Number of ports (1 to IBVSIM_MAX_PORTS); 0 means 1.
 * @param type
 *   "pf", "vf" or "sf"; NULL means "vf". Shown by ibvsim_show(), and
 *   ibv_query_device() gives a VF the vendor part id 4126, a PF or SF
 *   4129; no other behaviour depends on it.
 * @param flags
 *   0, IBVSIM_F_LEGACY or IBVSIM_F_OLD_KERNEL.
 * @return
 *   0 or a negative errno (above).
 */
int ibvsim_device_add(struct ibvsim *sim, const char *ibdev,
		const char *group, uint32_t speed_mbps, unsigned int n_ports,
		const char *type, unsigned int flags);

/**
 * Set a PF of a group up or down.
 *
 * @param sim
 *   The handle.
 * @param group
 *   The group's name.
 * @param index
 *   The PF, from 0.
 * @param up
 *   Its new state.
 * @return
 *   0 or a negative errno (above; -ERANGE for an index the group lacks).
 */
int ibvsim_pf_set(struct ibvsim *sim, const char *group, unsigned int index,
		bool up);

/**
 * Set a device (all its ports) up or down.
 *
 * @param sim
 *   The handle.
 * @param ibdev
 *   The device's name.
 * @param up
 *   Its new state.
 * @return
 *   0 or a negative errno (above).
 */
int ibvsim_device_set(struct ibvsim *sim, const char *ibdev, bool up);

/**
 * Inject a fault.
 *
 * @param sim
 *   The handle.
 * @param ibdev
 *   The device's name.
 * @param fault
 *   "query-eio": the port queries fail with EIO until cleared;
 *   "open-fail": ibv_open_device() fails with EIO until cleared;
 *   "fatal": IBV_EVENT_DEVICE_FATAL on every open context, whose async fd
 *   then reports end of file; the device leaves the device list until
 *   cleared;
 *   "storm": @p count (1 to IBVSIM_MAX_STORM) speed events without a speed
 *   change (none on legacy or old-kernel devices, nor on a device a
 *   "fatal" removed: it has no context);
 *   "clear": remove the device's faults.
 * @param count
 *   Number of events of a storm; ignored otherwise.
 * @return
 *   0 or a negative errno (above).
 */
int ibvsim_fault(struct ibvsim *sim, const char *ibdev, const char *fault,
		unsigned int count);

/**
 * The model's current effective speed of a device, in 100 Mb/s units (what
 * ibv_query_port_speed() returns for a supported device without faults).
 *
 * @param sim
 *   The handle.
 * @param ibdev
 *   The device's name.
 * @param[out] speed_100mbps
 *   The speed.
 * @return
 *   0 with *speed_100mbps set, or a negative errno (above).
 */
int ibvsim_device_speed(struct ibvsim *sim, const char *ibdev,
		uint64_t *speed_100mbps);

/**
 * Number of verbs contexts currently open on a device, in every process.
 *
 * @param sim
 *   The handle.
 * @param ibdev
 *   The device's name.
 * @return
 *   The count (>= 0) or a negative errno.
 */
int ibvsim_device_contexts(struct ibvsim *sim, const char *ibdev);

/**
 * Print the model: a table, or JSON (see the guide).
 *
 * @param sim
 *   The handle.
 * @param out
 *   Where to print.
 * @param json
 *   JSON rather than a table.
 * @return
 *   0, -EINVAL when sim or out is NULL, -EIO when out cannot be written,
 *   or an error reading the model (-ENOMEM, -EBADMSG, ... as above).
 */
int ibvsim_show(struct ibvsim *sim, FILE *out, bool json);

/**
 * Events this process got from ibv_get_async_event() and has not yet
 * acknowledged with ibv_ack_async_event().
 *
 * @return
 *   The count.
 */
long ibvsim_unacked_events(void);

/**
 * How long a change waits for a full FIFO to drain (see the guide):
 * $IBVSIM_DRAIN_TIMEOUT_MS, 0 to 3600000, or 5000 when unset or empty.
 * @return
 *   The timeout in milliseconds, or -EINVAL when the variable holds
 *   anything else (changes then use 5000).
 */
long ibvsim_drain_timeout_ms(void);

#ifdef __cplusplus
}
#endif

#endif /* IBVSIM_H */
