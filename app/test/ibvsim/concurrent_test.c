/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/*
 * Concurrent ibvsim-ctl runs are serialized: devices added at the same time
 * are all kept (no lost read-modify-write), storms queued at the same time
 * all arrive whole, and a reader querying meanwhile always sees a whole
 * model (a known speed, never an error).
 */

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "verbs_util.h"

#define N_ADDERS 16
#define N_STORMS 8
#define STORM_LEN "500"
#define STORM_EVENTS (N_STORMS * 500)
#define N_TOGGLES 12

int
main(void)
{
	pid_t adders[N_ADDERS], storms[N_STORMS], toggles[N_TOGGLES];
	struct ibv_async_event ev;
	struct ibv_context *ctx, *vf;
	unsigned int got = 0, queries = 0;
	char name[N_ADDERS][16];
	double deadline;
	int i;

	t_setup("concurrent");
	alarm(120);
	T_CTL("group", "g", "--pf", "100000,100000");
	T_CTL("device", "reader", "--speed", "10000");
	T_CTL("device", "vf", "--group", "g");
	ctx = t_open("reader");
	vf = t_open("vf");
	T_CHECK(ctx != NULL && vf != NULL, "open: %s", strerror(errno));
	t_set_nonblock(ctx, true);

	for (i = 0; i < N_STORMS; i++)
		storms[i] = t_ctl_start("fault", "reader", "storm", STORM_LEN,
				(char *)NULL);
	for (i = 0; i < N_ADDERS; i++) {
		snprintf(name[i], sizeof(name[i]), "dev%d", i);
		adders[i] = t_ctl_start("device", name[i], "--speed", "1000",
				(char *)NULL);
	}
	for (i = 0; i < N_TOGGLES; i++)
		toggles[i] = t_ctl_start("pf", "g", "1", i % 2 ? "up" : "down",
				(char *)NULL);

	/* Read while they run; query the VF's speed meanwhile. */
	deadline = t_now_ms() + 30000;
	while (got < STORM_EVENTS && t_now_ms() < deadline) {
		uint64_t speed = t_speed(vf, 1);

		T_CHECK(speed == 2000 || speed == 1000, "torn model: %lu",
				(unsigned long)speed);
		queries++;
		if (!t_readable(ctx, 100))
			continue;
		T_CHECK(V.get_async_event(ctx, &ev) == 0, "get: %s",
				strerror(errno));
		T_CHECK(ev.event_type == T_EVENT_SPEED_CHANGE &&
				ev.element.port_num == 0, "event %u: type %d port %d",
				got, ev.event_type, ev.element.port_num);
		V.ack_async_event(&ev);
		got++;
	}
	T_CHECK(got == STORM_EVENTS, "%u of %d storm events", got, STORM_EVENTS);
	for (i = 0; i < N_STORMS; i++)
		T_CHECK(t_ctl_wait(storms[i]) == 0, "storm %d", i);
	for (i = 0; i < N_ADDERS; i++)
		T_CHECK(t_ctl_wait(adders[i]) == 0, "adding %s", name[i]);
	for (i = 0; i < N_TOGGLES; i++)
		T_CHECK(t_ctl_wait(toggles[i]) == 0, "toggle %d", i);
	t_expect_no_event(ctx, "nothing beyond the storms");
	for (i = 0; i < N_ADDERS; i++)
		T_CHECK(t_listed(name[i]), "%s lost", name[i]);
	/* Each real toggle queued exactly one speed event on the VF. */
	got = 0;
	while (t_readable(vf, 0)) {
		T_CHECK(V.get_async_event(vf, &ev) == 0 &&
				ev.event_type == T_EVENT_SPEED_CHANGE, "vf event");
		V.ack_async_event(&ev);
		got++;
	}
	T_CHECK(got >= 1 && got <= N_TOGGLES, "%u toggle events", got);
	printf("%u speed queries during the run, %u toggle events\n", queries,
			got);
	V.close_device(ctx);
	V.close_device(vf);
	t_teardown();
	return 0;
}
