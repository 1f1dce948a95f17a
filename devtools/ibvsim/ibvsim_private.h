/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

#ifndef IBVSIM_PRIVATE_H
#define IBVSIM_PRIVATE_H

/*
 * The emulator's internals, shared by its files: the model as stored in the
 * state directory, the directory lock and the per-context event FIFOs.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ibvsim.h"

/* State directory layout (see doc/guides/ibvsim.md). */
#define IBVSIM_MODEL_FILE "model"
#define IBVSIM_MODEL_TMP "model.tmp"
#define IBVSIM_LOCK_FILE "lock"
#define IBVSIM_CTX_DIR "ctx"

#define IBVSIM_MODEL_MAGIC 0x53564249u /* "IBVS" */
#define IBVSIM_MODEL_VERSION 1u

/* Device faults, a bit set. */
#define IBVSIM_FAULT_QUERY_EIO (1u << 0)
#define IBVSIM_FAULT_OPEN_FAIL (1u << 1)
#define IBVSIM_FAULT_FATAL (1u << 2)

enum ibvsim_dev_type {
	IBVSIM_TYPE_PF,
	IBVSIM_TYPE_VF,
	IBVSIM_TYPE_SF,
};

struct ibvsim_group_rec {
	char name[IBVSIM_NAME_LEN + 1];
	uint32_t max_mbps;
	uint32_t n_pf;
	uint32_t pf_mbps[IBVSIM_MAX_PFS];
	uint32_t pf_up_mask; /* bit i set: PF i up */
};

struct ibvsim_device_rec {
	char name[IBVSIM_NAME_LEN + 1];
	char group[IBVSIM_NAME_LEN + 1]; /* empty: fixed speed_mbps */
	uint32_t speed_mbps;
	uint32_t n_ports;
	uint32_t type;   /* enum ibvsim_dev_type */
	uint32_t flags;  /* IBVSIM_F_* */
	uint32_t up;
	uint32_t faults; /* IBVSIM_FAULT_* */
	uint32_t index;  /* uverbs index, stable for the device's life */
};

/*
 * The file "model" is this header followed by n_groups group records and
 * n_devices device records. It is only ever replaced whole by a new file
 * (never written in place), so a reader sees one whole version.
 */
struct ibvsim_model_hdr {
	uint32_t magic;
	uint32_t version;
	uint32_t n_groups;
	uint32_t n_devices;
	uint64_t generation; /* bumped by every change */
	uint32_t next_index;
	uint32_t reserved;
};

struct ibvsim_model {
	struct ibvsim_model_hdr hdr;
	struct ibvsim_group_rec groups[IBVSIM_MAX_GROUPS];
	struct ibvsim_device_rec devices[IBVSIM_MAX_DEVICES];
};

/*
 * One queued async event, as written to a context FIFO: the layout of the
 * kernel's struct ib_uverbs_async_event_desc (16 bytes), so that a program
 * reading async_fd itself gets what the kernel gives, one event per read.
 * PIPE_BUF-sized writes hold whole records only.
 */
struct ibvsim_event_rec {
	uint64_t element;    /* the port of a port event, else 0 */
	uint32_t event_type;
	uint32_t reserved;
};
_Static_assert(sizeof(struct ibvsim_event_rec) == 16,
	"struct ib_uverbs_async_event_desc is 16 bytes");

/* A speed a PF, a device of its own speed or a group's maximum may have. */
static inline bool
ibvsim_mbps_valid(uint32_t mbps)
{
	return mbps >= IBVSIM_MBPS_UNIT && mbps <= IBVSIM_MAX_MBPS &&
		mbps % IBVSIM_MBPS_UNIT == 0;
}

/* ibvsim_model.c (ibvsim_name_valid() is in ibvsim.h) */
int ibvsim_lock(const char *dir);
void ibvsim_unlock(int lock_fd);
int ibvsim_model_load(const char *dir, struct ibvsim_model *m);
int ibvsim_model_store(const char *dir, struct ibvsim_model *m);
int ibvsim_model_init(const char *dir);
struct ibvsim_group_rec *ibvsim_group_find(struct ibvsim_model *m,
		const char *name);
struct ibvsim_device_rec *ibvsim_device_find(struct ibvsim_model *m,
		const char *name);
uint64_t ibvsim_effective_mbps(const struct ibvsim_model *m,
		const struct ibvsim_device_rec *d);
uint64_t ibvsim_link_mbps(const struct ibvsim_model *m,
		const struct ibvsim_device_rec *d);
const char *ibvsim_type_name(uint32_t type);

/* ibvsim_events.c */
int ibvsim_ctx_register(const char *dir, const char *ibdev, char **path,
		int *read_fd, int *keeper_fd);
int ibvsim_deliver(const char *dir, const char *ibdev,
		const struct ibvsim_event_rec *ev, size_t n_ev,
		unsigned int count, bool unregister);
int ibvsim_ctx_count(const char *dir, const char *ibdev);
/*
 * 0 when this process can write to every context of a device, -EACCES
 * when one belongs to a user it cannot write for (a change would have to
 * leave that context without its events).
 */
int ibvsim_ctx_writable(const char *dir, const char *ibdev);

#endif /* IBVSIM_PRIVATE_H */
