/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mlx5_lagspeed_verbs.h"

static int
lagspeed_verbs_sym(void *handle, const char *name, void *fn_ptr, char *err,
	size_t err_len)
{
	void *sym = dlsym(handle, name);

	memcpy(fn_ptr, &sym, sizeof(sym));
	if (sym == NULL) {
		snprintf(err, err_len, "%s not found in the verbs library",
			name);
		return -ENOSYS;
	}
	return 0;
}

int
lagspeed_verbs_load(const char *path, struct lagspeed_verbs *verbs,
	char *err, size_t err_len)
{
	void *speed;
	int ret = 0;

	memset(verbs, 0, sizeof(*verbs));
	/* RTLD_LOCAL: never let a test double leak into the global scope. */
	verbs->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (verbs->handle == NULL) {
		snprintf(err, err_len, "cannot load %s: %s", path, dlerror());
		return -ENOENT;
	}
#define SYM(field, name) \
	do { \
		if (ret == 0) \
			ret = lagspeed_verbs_sym(verbs->handle, name, \
				&verbs->field, err, err_len); \
	} while (0)
	SYM(get_device_list, "ibv_get_device_list");
	SYM(free_device_list, "ibv_free_device_list");
	SYM(get_device_name, "ibv_get_device_name");
	SYM(open_device, "ibv_open_device");
	SYM(close_device, "ibv_close_device");
	SYM(get_async_event, "ibv_get_async_event");
	SYM(ack_async_event, "ibv_ack_async_event");
#undef SYM
	if (ret != 0) {
		dlclose(verbs->handle);
		memset(verbs, 0, sizeof(*verbs));
		return ret;
	}
	/* Optional: the feature itself. */
	speed = dlsym(verbs->handle, "ibv_query_port_speed");
	memcpy(&verbs->query_port_speed, &speed, sizeof(speed));
	return 0;
}

void
lagspeed_verbs_unload(struct lagspeed_verbs *verbs)
{
	if (verbs->handle != NULL)
		dlclose(verbs->handle);
	memset(verbs, 0, sizeof(*verbs));
}

struct ibv_context *
lagspeed_verbs_open(const struct lagspeed_verbs *verbs, const char *ibdev)
{
	struct ibv_device **list;
	struct ibv_context *ctx = NULL;
	int n, i, err = ENODEV;

	list = verbs->get_device_list(&n);
	if (list == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		const char *name = verbs->get_device_name(list[i]);

		if (name != NULL && strcmp(name, ibdev) == 0) {
			ctx = verbs->open_device(list[i]);
			err = ctx == NULL ? (errno != 0 ? errno : EIO) : 0;
			break;
		}
	}
	verbs->free_device_list(list);
	errno = err;
	return ctx;
}
