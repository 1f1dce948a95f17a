/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

#ifndef IBVSIM_TEST_VERBS_UTIL_H
#define IBVSIM_TEST_VERBS_UTIL_H

/*
 * What the emulator's C tests share: the verbs library reached only through
 * dlopen()/dlsym() of $IBVSIM_LIB, as the lagspeed plugin reaches it, and
 * ibvsim-ctl ($IBVSIM_CTL) run as a separate process to change the model.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <infiniband/verbs.h>

/* rdma-core >= 62's value, absent from older headers. */
#define T_EVENT_SPEED_CHANGE 20

struct t_verbs {
	void *handle;
	struct ibv_device **(*get_device_list)(int *n);
	void (*free_device_list)(struct ibv_device **list);
	const char *(*get_device_name)(struct ibv_device *dev);
	struct ibv_context *(*open_device)(struct ibv_device *dev);
	int (*close_device)(struct ibv_context *ctx);
	int (*query_device)(struct ibv_context *ctx,
			struct ibv_device_attr *attr);
	int (*query_port)(struct ibv_context *ctx, uint8_t port,
			struct ibv_port_attr *attr);
	int (*query_port_speed)(struct ibv_context *ctx, uint32_t port,
			uint64_t *speed);
	int (*get_async_event)(struct ibv_context *ctx,
			struct ibv_async_event *ev);
	void (*ack_async_event)(struct ibv_async_event *ev);
	const char *(*event_type_str)(enum ibv_event_type ev);
	long (*unacked_events)(void); /* ibvsim's own, not a verb */
};

extern struct t_verbs V;
extern const char *t_name;

/* Fail the test: message with the caller's line, exit status 1. */
#define T_FAIL(...) t_fail(__FILE__, __LINE__, __VA_ARGS__)
#define T_CHECK(cond, ...) do { \
		if (!(cond)) \
			T_FAIL(__VA_ARGS__); \
	} while (0)

void t_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));

/* dlopen $IBVSIM_LIB, make a fresh state directory, set $IBVSIM_DIR. */
void t_setup(const char *name);
/* Remove the state directory, dlclose. */
void t_teardown(void);
/*
 * A second state directory outside the first (NULL: none any more), named
 * by t_fail() as kept too; the test removes it itself when it passes.
 */
void t_other_dir(const char *path);

/* Run ibvsim-ctl with the NULL-terminated arguments; its exit status. */
int t_ctl(const char *arg, ...) __attribute__((sentinel));
/* The same, that must succeed. */
#define T_CTL(...) T_CHECK(t_ctl(__VA_ARGS__, (char *)NULL) == 0, \
		"ibvsim-ctl failed")
/* Start ibvsim-ctl without waiting for it. */
pid_t t_ctl_start(const char *arg, ...) __attribute__((sentinel));
/* Wait for a started ibvsim-ctl; its exit status. */
int t_ctl_wait(pid_t pid);

/* Open an IB device by name; NULL (errno set) if it cannot be. */
struct ibv_context *t_open(const char *ibdev);
/* Whether ibv_get_device_list() lists the device. */
bool t_listed(const char *ibdev);

/* Effective speed of a port, failing the test on error. */
uint64_t t_speed(struct ibv_context *ctx, uint32_t port);

/* Wait up to timeout_ms for the async fd to be readable. */
bool t_readable(struct ibv_context *ctx, int timeout_ms);
/* Take one event (the fd must be readable within timeout_ms), check its
 * type and port, ack it.
 */
void t_expect_event(struct ibv_context *ctx, enum ibv_event_type type,
		int port, int timeout_ms, const char *what);
/* Nothing queued on the context now. */
void t_expect_no_event(struct ibv_context *ctx, const char *what);

/* Set or clear O_NONBLOCK on the async fd, as a user does with fcntl. */
void t_set_nonblock(struct ibv_context *ctx, bool on);

double t_now_ms(void);

#endif /* IBVSIM_TEST_VERBS_UTIL_H */
