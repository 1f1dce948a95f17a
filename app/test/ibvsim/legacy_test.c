/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/*
 * Devices without the verb: a legacy device (provider without it) answers
 * EOPNOTSUPP, an old-kernel one EPROTONOSUPPORT; both still answer
 * ibv_query_port() and get port events, never speed events. A device of
 * its own fixed speed and a two-port device get their events per port.
 */

#include <errno.h>
#include <string.h>

#include "verbs_util.h"

static void
check_port_events_only(struct ibv_context *ctx, const char *ibdev)
{
	struct ibv_port_attr attr;

	T_CTL("set", ibdev, "down");
	t_expect_event(ctx, IBV_EVENT_PORT_ERR, 1, 1000, "down");
	t_expect_no_event(ctx, "no speed event when down");
	T_CHECK(V.query_port(ctx, 1, &attr) == 0 && attr.state == IBV_PORT_DOWN,
			"%s: port down", ibdev);
	T_CTL("set", ibdev, "up");
	t_expect_event(ctx, IBV_EVENT_PORT_ACTIVE, 1, 1000, "up");
	t_expect_no_event(ctx, "no speed event when up");
	T_CHECK(V.query_port(ctx, 1, &attr) == 0 && attr.state == IBV_PORT_ACTIVE,
			"%s: port active", ibdev);
}

int
main(void)
{
	struct ibv_context *vf, *leg, *old, *fixed, *dual, *uneq;
	uint64_t speed = 7;
	int ret;

	t_setup("legacy");
	alarm(120);
	T_CTL("group", "g", "--pf", "100000,100000,100000");
	T_CTL("device", "vf", "--group", "g");
	T_CTL("device", "leg", "--group", "g", "--legacy");
	T_CTL("device", "old", "--group", "g", "--old-kernel", "--type", "pf");
	T_CTL("device", "fixed", "--speed", "25000", "--type", "sf");
	T_CTL("device", "dual", "--group", "g", "--ports", "2");
	vf = t_open("vf");
	leg = t_open("leg");
	old = t_open("old");
	fixed = t_open("fixed");
	dual = t_open("dual");
	T_CHECK(vf && leg && old && fixed && dual, "open: %s", strerror(errno));

	ret = V.query_port_speed(leg, 1, &speed);
	T_CHECK(ret == EOPNOTSUPP, "legacy: %d", ret);
	ret = V.query_port_speed(old, 1, &speed);
	T_CHECK(ret == EPROTONOSUPPORT, "old kernel: %d", ret);
	T_CHECK(speed == 7, "speed written on failure");
	T_CHECK(t_speed(vf, 1) == 3000, "3x100G: %lu", (unsigned long)t_speed(vf, 1));
	T_CHECK(t_speed(fixed, 1) == 250, "fixed 25G");
	T_CHECK(t_speed(dual, 1) == 3000 && t_speed(dual, 2) == 3000, "dual");

	/* A PF down: a speed event for the VF, none for the others (the
	 * fixed-speed device is in no group).
	 */
	T_CTL("pf", "g", "2", "down");
	t_expect_event(vf, T_EVENT_SPEED_CHANGE, 0, 1000, "PF down");
	t_expect_event(dual, T_EVENT_SPEED_CHANGE, 0, 1000, "PF down");
	t_expect_no_event(vf, "PF down");
	t_expect_no_event(dual, "PF down");
	t_expect_no_event(leg, "legacy: no speed event");
	t_expect_no_event(old, "old kernel: no speed event");
	t_expect_no_event(fixed, "other group");
	T_CHECK(t_speed(vf, 1) == 2000, "2x100G");

	/* Storms are speed events: none for these either. */
	T_CTL("fault", "leg", "storm", "5");
	T_CTL("fault", "old", "storm", "5");
	t_expect_no_event(leg, "legacy storm");
	t_expect_no_event(old, "old-kernel storm");

	check_port_events_only(leg, "leg");
	check_port_events_only(old, "old");

	/* A fixed-speed device: port and speed events, its own speed. */
	T_CTL("set", "fixed", "down");
	t_expect_event(fixed, IBV_EVENT_PORT_ERR, 1, 1000, "fixed down");
	t_expect_event(fixed, T_EVENT_SPEED_CHANGE, 0, 1000, "fixed down");
	T_CHECK(t_speed(fixed, 1) == 0, "fixed down");

	/* Two ports: one port event each, one device-scoped speed event. */
	T_CTL("set", "dual", "down");
	t_expect_event(dual, IBV_EVENT_PORT_ERR, 1, 1000, "dual down");
	t_expect_event(dual, IBV_EVENT_PORT_ERR, 2, 1000, "dual down");
	t_expect_event(dual, T_EVENT_SPEED_CHANGE, 0, 1000, "dual down");
	t_expect_no_event(dual, "dual down");
	ret = V.query_port_speed(dual, 3, &speed);
	T_CHECK(ret == EINVAL, "port 3 of 2: %d", ret);
	t_expect_no_event(vf, "another device's state");

	/*
	 * The classic ibv_query_port() gives one link: that of the first PF
	 * up, not always PF 0's (PFs of unequal speeds: 100G and 25G).
	 */
	T_CTL("group", "u", "--pf", "100000,25000");
	T_CTL("device", "uneq", "--group", "u", "--legacy");
	uneq = t_open("uneq");
	T_CHECK(uneq != NULL, "open uneq: %s", strerror(errno));
	if (uneq != NULL) {
		struct ibv_port_attr attr;

		T_CHECK(V.query_port(uneq, 1, &attr) == 0 &&
				attr.active_width == 2 && attr.active_speed == 32,
				"PF 0 up: 4x EDR (100G), got width %u speed %u",
				attr.active_width, attr.active_speed);
		T_CTL("pf", "u", "0", "down");
		T_CHECK(V.query_port(uneq, 1, &attr) == 0 &&
				attr.active_width == 1 && attr.active_speed == 32,
				"PF 0 down: PF 1's 1x EDR (25G), got width %u speed %u",
				attr.active_width, attr.active_speed);
		t_expect_no_event(uneq, "legacy: no event for a PF");
		V.close_device(uneq);
	}

	T_CHECK(V.unacked_events() == 0, "all acked");
	V.close_device(vf);
	V.close_device(leg);
	V.close_device(old);
	V.close_device(fixed);
	V.close_device(dual);
	t_teardown();
	return 0;
}
