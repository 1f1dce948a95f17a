/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/*
 * The verbs library, reached through dlopen()/dlsym() only: rdma-core's
 * libibverbs.so.1 (ibv_query_port_speed from rdma-core 62) or any library
 * with its ABI (the emulator). Never the inline wrappers of verbs.h.
 */

#ifndef MLX5_LAGSPEED_VERBS_H
#define MLX5_LAGSPEED_VERBS_H

#include <stddef.h>
#include <stdint.h>

#include <infiniband/verbs.h>

struct lagspeed_verbs {
	void *handle;
	struct ibv_device **(*get_device_list)(int *num);
	void (*free_device_list)(struct ibv_device **list);
	const char *(*get_device_name)(struct ibv_device *device);
	struct ibv_context *(*open_device)(struct ibv_device *device);
	int (*close_device)(struct ibv_context *context);
	int (*get_async_event)(struct ibv_context *context,
		struct ibv_async_event *event);
	void (*ack_async_event)(struct ibv_async_event *event);
	/** NULL when the library lacks it (rdma-core < 62). */
	int (*query_port_speed)(struct ibv_context *context, uint32_t port_num,
		uint64_t *port_speed);
};

/**
 * Load a verbs library.
 * @return 0, or -ENOENT (cannot load) / -ENOSYS (a required symbol is
 *   missing), with a message in @p err.
 */
int lagspeed_verbs_load(const char *path, struct lagspeed_verbs *verbs,
	char *err, size_t err_len);

/** Unload (dlclose); safe on an unloaded one. */
void lagspeed_verbs_unload(struct lagspeed_verbs *verbs);

/** Open the named device; NULL + errno. */
struct ibv_context *lagspeed_verbs_open(const struct lagspeed_verbs *verbs,
	const char *ibdev);

#endif /* MLX5_LAGSPEED_VERBS_H */
