/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/*
 * The feature's scenario on a VF of a 2x100G group, through the verbs API
 * only, with every change made by ibvsim-ctl in another process: the
 * aggregate, one PF down, both down (internal maximum), the VF down (0),
 * everything up again; the async fd's readiness, O_NONBLOCK and blocking
 * behaviour, and acknowledgement accounting.
 */

#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "verbs_util.h"

#define LATENCY_LIMIT_MS 100.0

/* Change the model from another process and measure how soon the async fd
 * becomes readable after that process made the change (it queues the
 * events before it exits).
 */
static void
timed_change(struct ibv_context *ctx, const char *group, const char *index,
		const char *state)
{
	double start = t_now_ms(), exited = 0, ready;
	pid_t pid = t_ctl_start("pf", group, index, state, (char *)NULL);
	int status = -1;

	while (!t_readable(ctx, 5)) {
		if (exited == 0 && waitpid(pid, &status, WNOHANG) == pid)
			exited = t_now_ms();
		T_CHECK(exited == 0 || t_now_ms() - exited <= LATENCY_LIMIT_MS,
				"async fd not readable %.0f ms after ibvsim-ctl exited",
				LATENCY_LIMIT_MS);
		T_CHECK(t_now_ms() - start < 10000, "ibvsim-ctl did not finish");
	}
	ready = t_now_ms();
	if (exited == 0)
		status = t_ctl_wait(pid) << 8;
	T_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			"ibvsim-ctl pf %s %s %s failed", group, index, state);
	printf("pf %s %s %s: async fd readable %.2f ms after ibvsim-ctl started\n",
			group, index, state, ready - start);
}

static void
check_port_state(struct ibv_context *ctx, enum ibv_port_state state)
{
	struct ibv_port_attr attr;
	int ret;

	memset(&attr, 0xa5, sizeof(attr));
	ret = V.query_port(ctx, 1, &attr);
	T_CHECK(ret == 0, "ibv_query_port: %d", ret);
	T_CHECK(attr.state == state, "port state %d, expected %d", attr.state,
			state);
	T_CHECK(attr.link_layer == IBV_LINK_LAYER_ETHERNET, "link layer %u",
			attr.link_layer);
	T_CHECK(attr.active_mtu == IBV_MTU_1024, "active_mtu %d", attr.active_mtu);
	/*
	 * The exported function fills rdma-core's 48-byte compat struct:
	 * what follows (port_cap_flags2 on) is the caller's to clear.
	 */
	{
		const unsigned char *tail = (const unsigned char *)&attr +
			offsetof(struct ibv_port_attr, port_cap_flags2);
		size_t i, n = sizeof(attr) -
			offsetof(struct ibv_port_attr, port_cap_flags2);
		bool untouched = true;

		for (i = 0; i < n; i++)
			untouched &= tail[i] == 0xa5;
		T_CHECK(untouched, "ibv_query_port wrote past the compat struct");
	}
}

/* Set the VF mlx5_2 up or down: its port event, then one speed event,
 * nothing more; then its speed and port state.
 */
static void
set_vf(struct ibv_context *ctx, bool up, uint64_t speed)
{
	const char *what = up ? "VF up" : "VF down";

	T_CTL("set", "mlx5_2", up ? "up" : "down");
	t_expect_event(ctx, up ? IBV_EVENT_PORT_ACTIVE : IBV_EVENT_PORT_ERR, 1,
			1000, what);
	t_expect_event(ctx, T_EVENT_SPEED_CHANGE, 0, 1000, what);
	t_expect_no_event(ctx, what);
	T_CHECK(t_speed(ctx, 1) == speed, "%s: %lu, expected %lu", what,
			(unsigned long)t_speed(ctx, 1), (unsigned long)speed);
	check_port_state(ctx, up ? IBV_PORT_ACTIVE : IBV_PORT_DOWN);
}

int
main(void)
{
	struct ibv_device_attr dattr;
	struct epoll_event eev = { .events = EPOLLIN };
	struct ibv_async_event ev;
	struct ibv_context *ctx;
	uint64_t speed;
	pid_t pid;
	int ep;

	t_setup("speed");
	alarm(120); /* a blocking read that never returns fails the test */

	T_CHECK(strcmp(V.event_type_str(T_EVENT_SPEED_CHANGE),
			"Device link speed change") == 0, "event name");
	T_CHECK(strcmp(V.event_type_str(IBV_EVENT_PORT_ERR), "port error") == 0,
			"event name");

	/* Only the verbs and the control API are exported, under rdma-core's
	 * version nodes.
	 */
	T_CHECK(dlsym(V.handle, "ibvsim_model_load") == NULL, "internals exported");
	T_CHECK(dlvsym(V.handle, "ibv_query_port_speed", "IBVERBS_1.16") != NULL,
			"ibv_query_port_speed@IBVERBS_1.16");
	T_CHECK(dlvsym(V.handle, "ibv_open_device", "IBVERBS_1.1") != NULL,
			"ibv_open_device@IBVERBS_1.1");

	T_CTL("group", "g", "--pf", "100000,100000", "--max", "400000");
	T_CTL("device", "mlx5_2", "--group", "g", "--type", "vf");
	ctx = t_open("mlx5_2");
	T_CHECK(ctx != NULL, "open mlx5_2: %s", strerror(errno));
	T_CHECK(V.query_device(ctx, &dattr) == 0 && dattr.phys_port_cnt == 1,
			"ibv_query_device");
	check_port_state(ctx, IBV_PORT_ACTIVE);

	T_CHECK(t_speed(ctx, 1) == 2000, "2x100G: %lu", (unsigned long)t_speed(ctx, 1));
	T_CHECK(V.query_port_speed(ctx, 0, &speed) == EINVAL, "port 0");
	T_CHECK(V.query_port_speed(ctx, 2, &speed) == EINVAL, "port 2");

	/* Nothing queued: not readable, EAGAIN once non-blocking. */
	t_set_nonblock(ctx, true);
	T_CHECK(!t_readable(ctx, 0), "readable with nothing queued");
	errno = 0;
	T_CHECK(V.get_async_event(ctx, &ev) == -1 && errno == EAGAIN,
			"empty non-blocking async fd: errno %d", errno);

	/* epoll sees the fd as poll does (level-triggered readiness). */
	ep = epoll_create1(EPOLL_CLOEXEC);
	T_CHECK(ep >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, ctx->async_fd, &eev) == 0,
			"epoll: %s", strerror(errno));
	T_CHECK(epoll_wait(ep, &eev, 1, 0) == 0, "epoll: ready while empty");

	/* One PF down: one speed event, half the speed. */
	timed_change(ctx, "g", "1", "down");
	T_CHECK(epoll_wait(ep, &eev, 1, 0) == 1 && (eev.events & EPOLLIN),
			"epoll: an event queued but not ready");
	T_CHECK(V.unacked_events() == 0, "unacked before");
	T_CHECK(V.get_async_event(ctx, &ev) == 0, "get: %s", strerror(errno));
	T_CHECK(V.unacked_events() == 1, "an event got and not acked");
	T_CHECK(ev.event_type == T_EVENT_SPEED_CHANGE && ev.element.port_num == 0,
			"got %s port %d", V.event_type_str(ev.event_type),
			ev.element.port_num);
	V.ack_async_event(&ev);
	T_CHECK(V.unacked_events() == 0, "acked");
	t_expect_no_event(ctx, "one event per change");
	T_CHECK(epoll_wait(ep, &eev, 1, 0) == 0, "epoll: ready once drained");
	close(ep);
	T_CHECK(t_speed(ctx, 1) == 1000, "1x100G: %lu", (unsigned long)t_speed(ctx, 1));

	/* Both PFs down, VF up: the internal maximum. */
	T_CTL("pf", "g", "0", "down");
	t_expect_event(ctx, T_EVENT_SPEED_CHANGE, 0, 1000, "both PFs down");
	t_expect_no_event(ctx, "both PFs down");
	T_CHECK(t_speed(ctx, 1) == 4000, "internal max: %lu",
			(unsigned long)t_speed(ctx, 1));
	check_port_state(ctx, IBV_PORT_ACTIVE);

	/* The VF down: port error and 0. */
	set_vf(ctx, false, 0);

	/* PFs up while the VF is down: its speed stays 0, no event. */
	T_CTL("pf", "g", "0", "up");
	T_CTL("pf", "g", "1", "up");
	t_expect_no_event(ctx, "PFs up under a down VF");
	T_CHECK(t_speed(ctx, 1) == 0, "still 0");

	/* The VF up: port active and the full aggregate. */
	set_vf(ctx, true, 2000);

	/* A change to the same state changes nothing. */
	T_CTL("pf", "g", "0", "up");
	T_CTL("set", "mlx5_2", "up");
	t_expect_no_event(ctx, "no-op changes");

	/* Blocking mode: ibv_get_async_event() waits for the next change. */
	t_set_nonblock(ctx, false);
	pid = t_ctl_start("pf", "g", "0", "down", (char *)NULL);
	T_CHECK(V.get_async_event(ctx, &ev) == 0, "blocking get: %s",
			strerror(errno));
	T_CHECK(ev.event_type == T_EVENT_SPEED_CHANGE, "blocking get: %s",
			V.event_type_str(ev.event_type));
	V.ack_async_event(&ev);
	T_CHECK(t_ctl_wait(pid) == 0, "ibvsim-ctl");
	T_CHECK(t_speed(ctx, 1) == 1000, "after blocking get");

	T_CHECK(V.unacked_events() == 0, "all acked");
	T_CHECK(V.close_device(ctx) == 0, "close");
	t_teardown();
	return 0;
}
