/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/*
 * Each fault: query-eio, open-fail, a storm arriving whole (within the
 * FIFO's capacity while nobody reads, and beyond it while the reader
 * drains), the bounded wait for a reader that does not drain, a context
 * opened while a writer waits for a full FIFO, and fatal (DEVICE_FATAL,
 * then end-of-file, the device gone until cleared).
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "verbs_util.h"

static void
check_query_eio(void)
{
	struct ibv_context *ctx = t_open("vf");
	struct ibv_device_attr dattr;
	struct ibv_port_attr attr;
	uint64_t speed;

	T_CHECK(ctx != NULL, "open");
	errno = 0;
	T_CHECK(V.query_port_speed(ctx, 1, NULL) == EFAULT && errno == EFAULT,
			"no place for the speed: EFAULT, as the kernel's copy out");
	T_CTL("fault", "vf", "query-eio");
	T_CHECK(V.query_port_speed(ctx, 1, &speed) == EIO, "speed: EIO");
	T_CHECK(V.query_port(ctx, 1, &attr) == EIO, "port: EIO");
	/* The kernel checks the port before it asks the driver. */
	T_CHECK(V.query_port_speed(ctx, 2, &speed) == EINVAL,
			"speed of port 2 with query-eio: EINVAL first");
	T_CHECK(V.query_port(ctx, 0, &attr) == EINVAL,
			"port 0 with query-eio: EINVAL first");
	T_CHECK(V.query_port_speed(ctx, 1, NULL) == EIO,
			"no place for the speed with query-eio: EIO first");
	T_CHECK(V.query_device(ctx, &dattr) == 0, "device query unaffected");
	T_CTL("fault", "vf", "clear");
	T_CHECK(t_speed(ctx, 1) == 2000, "cleared");
	t_expect_no_event(ctx, "faults set and cleared");
	V.close_device(ctx);
}

static void
check_open_fail(void)
{
	struct ibv_context *ctx = t_open("vf"), *ctx2;

	T_CHECK(ctx != NULL, "open");
	T_CTL("fault", "vf", "open-fail");
	errno = 0;
	ctx2 = t_open("vf");
	T_CHECK(ctx2 == NULL && errno == EIO, "open-fail: %p errno %d",
			(void *)ctx2, errno);
	T_CHECK(t_speed(ctx, 1) == 2000, "open contexts unaffected");
	T_CTL("fault", "vf", "clear");
	ctx2 = t_open("vf");
	T_CHECK(ctx2 != NULL, "open after clear: %s", strerror(errno));
	V.close_device(ctx2);
	V.close_device(ctx);
}

/* Read n speed events (waiting for each), then nothing. */
static void
drain_storm(struct ibv_context *ctx, unsigned int n)
{
	struct ibv_async_event ev;
	unsigned int i;

	for (i = 0; i < n; i++) {
		T_CHECK(t_readable(ctx, 5000), "storm: only %u of %u events", i, n);
		T_CHECK(V.get_async_event(ctx, &ev) == 0, "get: %s", strerror(errno));
		T_CHECK(ev.event_type == T_EVENT_SPEED_CHANGE &&
				ev.element.port_num == 0, "storm event %u: %d", i,
				ev.event_type);
		V.ack_async_event(&ev);
	}
	t_expect_no_event(ctx, "after the storm");
}

static void *
drain_thread(void *arg)
{
	drain_storm(arg, 150000);
	return NULL;
}

/*
 * Stalled readers beside a live one: the live context gets the whole storm
 * while the writer waits for the stalled ones, and the writer waits for all
 * of them at once (one bounded wait, not one after the other).
 */
#define N_STALLED 3
#define STALL_TIMEOUT_MS 1000
#define OVERFLOW_STORM 140000u /* more than a 1 MiB FIFO holds */

static void *
drain_overflow_thread(void *arg)
{
	drain_storm(arg, OVERFLOW_STORM);
	return NULL;
}

static void
check_stalled_beside_reader(void)
{
	struct ibv_context *stalled[N_STALLED], *live;
	char timeout[16];
	pthread_t th;
	double start, took;
	int i, ret;

	for (i = 0; i < N_STALLED; i++) {
		stalled[i] = t_open("vf");
		T_CHECK(stalled[i] != NULL, "open");
	}
	live = t_open("vf");
	T_CHECK(live != NULL, "open");
	T_CHECK(pthread_create(&th, NULL, drain_overflow_thread, live) == 0,
			"thread");
	snprintf(timeout, sizeof(timeout), "%d", STALL_TIMEOUT_MS);
	setenv("IBVSIM_DRAIN_TIMEOUT_MS", timeout, 1);
	start = t_now_ms();
	ret = t_ctl("fault", "vf", "storm", "140000", (char *)NULL);
	took = t_now_ms() - start;
	unsetenv("IBVSIM_DRAIN_TIMEOUT_MS");
	T_CHECK(pthread_join(th, NULL) == 0, "join");
	T_CHECK(ret == 3, "stalled readers: ibvsim-ctl exit %d", ret);
	T_CHECK(took < (N_STALLED - 0.5) * STALL_TIMEOUT_MS,
			"%d stalled readers held the writer %.0f ms (timeout %d ms"
			" each): waited for one after the other", N_STALLED, took,
			STALL_TIMEOUT_MS);
	for (i = 0; i < N_STALLED; i++)
		V.close_device(stalled[i]);
	V.close_device(live);
}

/* Bytes queued on a context's async fd, and what it can hold. */
static int
queued_bytes(struct ibv_context *ctx)
{
	int n = 0;

	T_CHECK(ioctl(ctx->async_fd, FIONREAD, &n) == 0, "FIONREAD: %s",
			strerror(errno));
	return n;
}

/*
 * A context opened while a writer waits for a full FIFO is not held up
 * by that writer: the FIFO's reader may be the thread that opens (the
 * lagspeed plugin attaches a hot-plugged port on the thread that reads
 * its events). The context opened is another device's ("pf0", in no
 * group), so that the storm in flight has nothing to do with it whatever
 * the writer's walk of vf's contexts sees. Once the full FIFO drains, the
 * writer delivers the rest: nothing lost.
 */
static void
check_open_during_stall(void)
{
	struct ibv_context *full = t_open("vf"), *opened;
	int capacity, status;
	pid_t writer;
	double deadline;

	T_CHECK(full != NULL, "open");
	capacity = fcntl(full->async_fd, F_GETPIPE_SZ);
	T_CHECK(capacity > 0, "F_GETPIPE_SZ: %s", strerror(errno));
	/* Long enough that a writer giving up is not mistaken for a pass. */
	setenv("IBVSIM_DRAIN_TIMEOUT_MS", "20000", 1);
	writer = t_ctl_start("fault", "vf", "storm", "140000", (char *)NULL);
	unsetenv("IBVSIM_DRAIN_TIMEOUT_MS");
	/* 140000 events are more than the FIFO holds: it fills, then waits. */
	deadline = t_now_ms() + 10000;
	while (queued_bytes(full) < capacity && t_now_ms() < deadline &&
			waitpid(writer, &status, WNOHANG) == 0)
		usleep(10000);
	T_CHECK(queued_bytes(full) == capacity,
			"the FIFO never filled: %d of %d bytes", queued_bytes(full),
			capacity);
	opened = t_open("pf0");
	T_CHECK(opened != NULL, "open beside a waiting writer: %s",
			strerror(errno));
	T_CHECK(waitpid(writer, &status, WNOHANG) == 0,
			"the open waited for the writer to give up");
	T_CHECK(t_speed(opened, 1) == 250, "the context opened works");
	drain_storm(full, OVERFLOW_STORM);
	T_CHECK(t_ctl_wait(writer) == 0, "writer: not every event delivered");
	t_expect_no_event(opened, "another device's storm");
	V.close_device(opened);
	V.close_device(full);
}

static void
check_storms(void)
{
	struct ibv_context *ctx = t_open("vf");
	pthread_t th;
	double start;
	int ret;

	T_CHECK(ctx != NULL, "open");
	t_set_nonblock(ctx, true);
	/* Nobody reads while ibvsim-ctl queues: all fit. */
	T_CTL("fault", "vf", "storm", "10000");
	drain_storm(ctx, 10000);
	T_CHECK(t_speed(ctx, 1) == 2000, "a storm changes no speed");

	/* More than a FIFO holds, read meanwhile: the writer waits, none lost. */
	T_CHECK(pthread_create(&th, NULL, drain_thread, ctx) == 0, "thread");
	T_CTL("fault", "vf", "storm", "150000");
	T_CHECK(pthread_join(th, NULL) == 0, "join");

	/* Nobody reads at all: ibvsim-ctl gives up after the bounded wait
	 * and says so (exit 3), the change itself made.
	 */
	setenv("IBVSIM_DRAIN_TIMEOUT_MS", "200", 1);
	start = t_now_ms();
	ret = t_ctl("fault", "vf", "storm", "300000", (char *)NULL);
	unsetenv("IBVSIM_DRAIN_TIMEOUT_MS");
	T_CHECK(ret == 3, "stalled reader: ibvsim-ctl exit %d", ret);
	T_CHECK(t_now_ms() - start < 5000, "bounded wait took %.0f ms",
			t_now_ms() - start);
	V.close_device(ctx);
	check_stalled_beside_reader();
	check_open_during_stall();
	T_CHECK(V.unacked_events() == 0, "unacked %ld", V.unacked_events());
}

static void
check_fatal(void)
{
	struct ibv_context *a = t_open("vf"), *b = t_open("vf"), *c;
	struct ibv_context *unread = t_open("vf");
	struct pollfd pfd;
	struct ibv_async_event ev;
	uint64_t speed;

	T_CHECK(a != NULL && b != NULL && unread != NULL, "open");
	T_CTL("fault", "vf", "fatal");
	T_CHECK(!t_listed("vf"), "a removed device is not listed");
	errno = 0;
	T_CHECK(t_open("vf") == NULL && errno == ENODEV, "open: errno %d", errno);
	/* Later changes reach no removed context. */
	T_CTL("pf", "g", "0", "down");

	t_expect_event(a, IBV_EVENT_DEVICE_FATAL, 0, 1000, "fatal");
	T_CHECK(V.query_port_speed(a, 1, &speed) == EIO, "query after fatal");
	/*
	 * End of file, for good: get fails with EIO. (The emulator's fd shows
	 * POLLHUP and a plain read() gives 0; the kernel's shows POLLERR and
	 * read() fails with EIO: a consumer going through
	 * ibv_get_async_event() sees the same.)
	 */
	pfd = (struct pollfd){ .fd = a->async_fd, .events = POLLIN };
	T_CHECK(poll(&pfd, 1, 1000) == 1 && (pfd.revents & (POLLHUP | POLLIN)),
			"no end of file: revents %#x", pfd.revents);
	errno = 0;
	T_CHECK(V.get_async_event(a, &ev) == -1 && errno == EIO,
			"get after fatal: errno %d", errno);
	T_CHECK(V.get_async_event(a, &ev) == -1 && errno == EIO, "still EOF");
	/* Blocking mode too must not hang once the device is gone. */
	t_set_nonblock(b, false);
	T_CHECK(V.get_async_event(b, &ev) == 0 &&
			ev.event_type == IBV_EVENT_DEVICE_FATAL, "b: fatal");
	V.ack_async_event(&ev);
	T_CHECK(V.get_async_event(b, &ev) == -1 && errno == EIO, "b: EOF");
	T_CHECK(V.close_device(b) == 0, "close");

	/* Cleared: the device is back, with the model's current speed. */
	T_CTL("fault", "vf", "clear");
	T_CHECK(t_listed("vf"), "listed again");
	/* ... but not for a context that saw it go: disassociated for good. */
	errno = 0;
	T_CHECK(V.query_port_speed(a, 1, &speed) == EIO && errno == EIO,
			"old context after clear: EIO (errno %d)", errno);
	/* One that never read the event is cut off all the same. */
	T_CHECK(V.query_port_speed(unread, 1, &speed) == EIO,
			"old context, event unread, after clear: EIO");
	T_CHECK(V.close_device(a) == 0 && V.close_device(unread) == 0,
			"close the old contexts");
	c = t_open("vf");
	T_CHECK(c != NULL, "open after clear: %s", strerror(errno));
	T_CHECK(t_speed(c, 1) == 1000, "speed after clear");
	T_CTL("pf", "g", "0", "up");
	t_expect_event(c, T_EVENT_SPEED_CHANGE, 0, 1000, "events after clear");
	T_CHECK(t_speed(c, 1) == 2000, "speed after clear");
	V.close_device(c);
	T_CHECK(V.unacked_events() == 0, "unacked %ld", V.unacked_events());
}

/*
 * A forked child holds copies of every fd, the emulator's write end of the
 * FIFO too, so the fd reaches no end of file while it lives: after
 * DEVICE_FATAL, ibv_get_async_event() must fail with EIO all the same, at
 * once, as the kernel's read does (it waited for ever in blocking mode).
 */
static void
check_fatal_forked(void)
{
	struct ibv_context *ctx = t_open("vf");
	struct ibv_async_event ev;
	pid_t child;

	T_CHECK(ctx != NULL, "open");
	t_set_nonblock(ctx, false);
	child = fork();
	T_CHECK(child >= 0, "fork");
	if (child == 0) {
		/* Gone with the test, whatever becomes of it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		alarm(30);
		pause();
		_exit(0);
	}
	T_CTL("fault", "vf", "fatal");
	alarm(10); /* a hang fails here rather than at the test's timeout */
	T_CHECK(V.get_async_event(ctx, &ev) == 0 &&
			ev.event_type == IBV_EVENT_DEVICE_FATAL, "forked: fatal");
	V.ack_async_event(&ev);
	errno = 0;
	T_CHECK(V.get_async_event(ctx, &ev) == -1 && errno == EIO,
			"forked: EIO after fatal (errno %d)", errno);
	alarm(120);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	T_CHECK(V.close_device(ctx) == 0, "close");
	T_CTL("fault", "vf", "clear");
}

int
main(void)
{
	t_setup("fault");
	alarm(120);
	T_CTL("group", "g", "--pf", "100000,100000");
	T_CTL("device", "vf", "--group", "g");
	T_CTL("device", "pf0", "--speed", "25000");
	check_query_eio();
	check_open_fail();
	check_storms();
	check_fatal();
	check_fatal_forked();
	t_teardown();
	return 0;
}
