/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "verbs_util.h"

struct t_verbs V;
const char *t_name = "ibvsim";
static char state_dir[PATH_MAX];
static char other_dir[PATH_MAX];

void
t_other_dir(const char *path)
{
	snprintf(other_dir, sizeof(other_dir), "%s", path != NULL ? path : "");
}

void
t_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "FAIL %s (%s:%d, pid %ld): ", t_name, file, line,
			(long)getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (state_dir[0] != '\0')
		fprintf(stderr, "state directory kept: %s\n", state_dir);
	if (other_dir[0] != '\0')
		fprintf(stderr, "state directory kept: %s\n", other_dir);
	exit(1);
}

double
t_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void *
sym(const char *name)
{
	void *p = dlsym(V.handle, name);

	T_CHECK(p != NULL, "dlsym(%s): %s", name, dlerror());
	return p;
}

void
t_setup(const char *name)
{
	const char *lib = getenv("IBVSIM_LIB");
	const char *base = getenv("LAGSPEED_BUILD_DIR");
	int n;

	t_name = name;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (lib == NULL || getenv("IBVSIM_CTL") == NULL) {
		printf("skip: IBVSIM_LIB / IBVSIM_CTL not set\n");
		exit(77);
	}
	V.handle = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	T_CHECK(V.handle != NULL, "dlopen(%s): %s", lib, dlerror());
	*(void **)&V.get_device_list = sym("ibv_get_device_list");
	*(void **)&V.free_device_list = sym("ibv_free_device_list");
	*(void **)&V.get_device_name = sym("ibv_get_device_name");
	*(void **)&V.open_device = sym("ibv_open_device");
	*(void **)&V.close_device = sym("ibv_close_device");
	*(void **)&V.query_device = sym("ibv_query_device");
	*(void **)&V.query_port = sym("ibv_query_port");
	*(void **)&V.query_port_speed = sym("ibv_query_port_speed");
	*(void **)&V.get_async_event = sym("ibv_get_async_event");
	*(void **)&V.ack_async_event = sym("ibv_ack_async_event");
	*(void **)&V.event_type_str = sym("ibv_event_type_str");
	*(void **)&V.unacked_events = sym("ibvsim_unacked_events");

	n = snprintf(state_dir, sizeof(state_dir), "%s/ibvsim-%s.XXXXXX",
			base != NULL ? base : "/tmp", name);
	T_CHECK(n > 0 && (size_t)n < sizeof(state_dir), "path too long");
	T_CHECK(mkdtemp(state_dir) != NULL, "mkdtemp: %s", strerror(errno));
	setenv("IBVSIM_DIR", state_dir, 1);
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void
t_teardown(void)
{
	nftw(state_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	dlclose(V.handle);
	printf("ok: %s\n", t_name);
}

static pid_t
ctl_spawn(const char *arg, va_list ap)
{
	const char *argv[32];
	int n = 0;
	pid_t pid;

	argv[n++] = getenv("IBVSIM_CTL");
	for (; arg != NULL && n < 31; arg = va_arg(ap, const char *))
		argv[n++] = arg;
	argv[n] = NULL;
	fflush(NULL);
	pid = fork();
	T_CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

int
t_ctl_wait(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		T_CHECK(errno == EINTR, "waitpid: %s", strerror(errno));
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

pid_t
t_ctl_start(const char *arg, ...)
{
	va_list ap;
	pid_t pid;

	va_start(ap, arg);
	pid = ctl_spawn(arg, ap);
	va_end(ap);
	return pid;
}

int
t_ctl(const char *arg, ...)
{
	va_list ap;
	pid_t pid;

	va_start(ap, arg);
	pid = ctl_spawn(arg, ap);
	va_end(ap);
	return t_ctl_wait(pid);
}

static struct ibv_device *
find(struct ibv_device **list, const char *ibdev)
{
	for (; list != NULL && *list != NULL; list++)
		if (strcmp(V.get_device_name(*list), ibdev) == 0)
			return *list;
	return NULL;
}

struct ibv_context *
t_open(const char *ibdev)
{
	struct ibv_device **list;
	struct ibv_context *ctx;
	struct ibv_device *dev;
	int n, err;

	list = V.get_device_list(&n);
	T_CHECK(list != NULL, "ibv_get_device_list: %s", strerror(errno));
	dev = find(list, ibdev);
	if (dev == NULL) {
		V.free_device_list(list);
		errno = ENODEV;
		return NULL;
	}
	ctx = V.open_device(dev);
	err = errno;
	/* rdma-core allows freeing the list once devices are open. */
	V.free_device_list(list);
	if (ctx != NULL) {
		T_CHECK(ctx->device != NULL &&
				strcmp(ctx->device->name, ibdev) == 0,
				"context->device is not %s", ibdev);
		T_CHECK(ctx->async_fd >= 0, "no async fd");
	}
	errno = err;
	return ctx;
}

bool
t_listed(const char *ibdev)
{
	struct ibv_device **list;
	bool found;
	int n;

	list = V.get_device_list(&n);
	T_CHECK(list != NULL, "ibv_get_device_list: %s", strerror(errno));
	found = find(list, ibdev) != NULL;
	V.free_device_list(list);
	return found;
}

uint64_t
t_speed(struct ibv_context *ctx, uint32_t port)
{
	uint64_t speed = UINT64_MAX;
	int ret = V.query_port_speed(ctx, port, &speed);

	T_CHECK(ret == 0, "ibv_query_port_speed(%s, %u) = %d", ctx->device->name,
			port, ret);
	return speed;
}

bool
t_readable(struct ibv_context *ctx, int timeout_ms)
{
	struct pollfd pfd = { .fd = ctx->async_fd, .events = POLLIN };
	int r;

	do {
		r = poll(&pfd, 1, timeout_ms);
	} while (r < 0 && errno == EINTR);
	T_CHECK(r >= 0, "poll: %s", strerror(errno));
	return r == 1 && (pfd.revents & POLLIN);
}

void
t_expect_event(struct ibv_context *ctx, enum ibv_event_type type, int port,
		int timeout_ms, const char *what)
{
	struct ibv_async_event ev;

	T_CHECK(t_readable(ctx, timeout_ms), "%s: %s: no event within %d ms",
			ctx->device->name, what, timeout_ms);
	T_CHECK(V.get_async_event(ctx, &ev) == 0, "%s: %s: get_async_event: %s",
			ctx->device->name, what, strerror(errno));
	T_CHECK(ev.event_type == type && ev.element.port_num == port,
			"%s: %s: got '%s' port %d, expected '%s' port %d",
			ctx->device->name, what, V.event_type_str(ev.event_type),
			ev.element.port_num, V.event_type_str(type), port);
	V.ack_async_event(&ev);
}

void
t_expect_no_event(struct ibv_context *ctx, const char *what)
{
	struct ibv_async_event ev;

	if (!t_readable(ctx, 0))
		return;
	if (V.get_async_event(ctx, &ev) == 0) {
		V.ack_async_event(&ev);
		T_FAIL("%s: %s: unexpected event '%s' port %d", ctx->device->name,
				what, V.event_type_str(ev.event_type),
				ev.element.port_num);
	}
	T_FAIL("%s: %s: fd readable but no event: %s", ctx->device->name, what,
			strerror(errno));
}

void
t_set_nonblock(struct ibv_context *ctx, bool on)
{
	int flags = fcntl(ctx->async_fd, F_GETFL);

	T_CHECK(flags >= 0, "F_GETFL: %s", strerror(errno));
	flags = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
	T_CHECK(fcntl(ctx->async_fd, F_SETFL, flags) == 0, "F_SETFL: %s",
			strerror(errno));
}
