/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/*
 * Emulator figures, in process (no ibvsim-ctl start-up in the numbers):
 * the delay from ibvsim_pf_set() entering to a reader thread blocked in
 * poll() on the async fd waking up, the rate a storm is delivered and
 * drained at, the cost of one ibv_query_port_speed() call and of one
 * change.
 */

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

#include "ibvsim.h"
#include "verbs_util.h"

#define N_CHANGES 2000
#define N_STORM 100000u
#define N_QUERIES 20000

static struct ibv_context *ctx;
static atomic_int phase; /* 0 idle, 1 change under way */
static double sent_at, woke_at[N_CHANGES];

static void *
reader(void *arg)
{
	struct ibv_async_event ev;
	int i;

	(void)arg;
	for (i = 0; i < N_CHANGES; i++) {
		T_CHECK(t_readable(ctx, 5000), "change %d not seen", i);
		woke_at[i] = t_now_ms() - sent_at;
		T_CHECK(V.get_async_event(ctx, &ev) == 0, "get");
		V.ack_async_event(&ev);
		atomic_store(&phase, 0);
	}
	return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void *
storm_reader(void *arg)
{
	struct ibv_async_event ev;
	unsigned int i;

	(void)arg;
	for (i = 0; i < N_STORM; i++) {
		T_CHECK(t_readable(ctx, 5000), "storm event %u missing", i);
		T_CHECK(V.get_async_event(ctx, &ev) == 0, "get");
		V.ack_async_event(&ev);
	}
	return NULL;
}

int
main(void)
{
	const uint32_t pfs[2] = { 100000, 100000 };
	struct ibvsim *sim;
	pthread_t th;
	double start, elapsed;
	uint64_t speed;
	int i;

	t_setup("bench");
	sim = ibvsim_open(NULL);
	T_CHECK(sim != NULL, "ibvsim_open: %s", strerror(errno));
	T_CHECK(ibvsim_group_add(sim, "g", pfs, 2, 0) == 0, "group");
	T_CHECK(ibvsim_device_add(sim, "vf", "g", 0, 1, "vf", 0) == 0, "device");
	ctx = t_open("vf");
	T_CHECK(ctx != NULL, "open");

	T_CHECK(pthread_create(&th, NULL, reader, NULL) == 0, "thread");
	for (i = 0; i < N_CHANGES; i++) {
		atomic_store(&phase, 1);
		sent_at = t_now_ms();
		T_CHECK(ibvsim_pf_set(sim, "g", 1, i % 2 != 0) == 0, "pf_set");
		while (atomic_load(&phase) != 0)
			sched_yield(); /* leave the reader a core on small machines */
	}
	pthread_join(th, NULL);
	qsort(woke_at, N_CHANGES, sizeof(woke_at[0]), cmp_double);
	printf("BENCH ibvsim_change_to_wakeup_p50 %.1f us\n",
			woke_at[N_CHANGES / 2] * 1e3);
	printf("BENCH ibvsim_change_to_wakeup_p99 %.1f us\n",
			woke_at[N_CHANGES * 99 / 100] * 1e3);
	printf("BENCH ibvsim_change_to_wakeup_max %.1f us\n",
			woke_at[N_CHANGES - 1] * 1e3);

	T_CHECK(pthread_create(&th, NULL, storm_reader, NULL) == 0, "thread");
	start = t_now_ms();
	T_CHECK(ibvsim_fault(sim, "vf", "storm", N_STORM) == 0, "storm");
	pthread_join(th, NULL);
	elapsed = t_now_ms() - start;
	printf("BENCH ibvsim_storm_delivered_and_drained %.0f events/s\n",
			N_STORM / (elapsed / 1e3));

	start = t_now_ms();
	for (i = 0; i < N_QUERIES; i++)
		T_CHECK(V.query_port_speed(ctx, 1, &speed) == 0, "query");
	elapsed = t_now_ms() - start;
	printf("BENCH ibvsim_query_port_speed %.2f us\n",
			elapsed * 1e3 / N_QUERIES);

	V.close_device(ctx);

	/* One whole change (lock, load, replace the model file) with no
	 * context to tell: what every change costs on this file system.
	 */
	start = t_now_ms();
	for (i = 0; i < N_CHANGES; i++)
		T_CHECK(ibvsim_pf_set(sim, "g", 1, i % 2 != 0) == 0, "pf_set");
	elapsed = t_now_ms() - start;
	printf("BENCH ibvsim_change_cost %.1f us\n", elapsed * 1e3 / N_CHANGES);

	ibvsim_close(sim);
	t_teardown();
	return 0;
}
