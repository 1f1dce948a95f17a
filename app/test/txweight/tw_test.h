/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

#ifndef TW_TEST_H
#define TW_TEST_H

/*
 * What the txweight test programs share: checks that count failures, a
 * deterministic random generator, and an EAL start on null ports.
 */

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include "../lib/lt_runtime_dir.h"

static unsigned int tw_failures;
static unsigned int tw_checks;

#define TW_CHECK(cond, fmt, ...) do { \
	tw_checks++; \
	if (!(cond)) { \
		tw_failures++; \
		fprintf(stderr, "FAIL %s:%d: %s: " fmt "\n", __FILE__, __LINE__, \
			#cond, ##__VA_ARGS__); \
	} \
} while (0)

/* Stop at the first failure of a loop, so that a bug prints one line. */
#define TW_CHECK_OR_BREAK(cond, fmt, ...) \
	if (!(cond)) { \
		TW_CHECK(cond, fmt, ##__VA_ARGS__); \
		break; \
	} else \
		tw_checks++

static inline int
tw_finish(const char *name)
{
	printf("%s: %u checks, %u failures\n", name, tw_checks, tw_failures);
	return tw_failures == 0 ? 0 : 1;
}

/* xorshift64*: deterministic, so that a failure replays. */
static uint64_t tw_rand_state = 0x9e3779b97f4a7c15ULL;

static inline uint64_t
tw_rand(void)
{
	tw_rand_state ^= tw_rand_state >> 12;
	tw_rand_state ^= tw_rand_state << 25;
	tw_rand_state ^= tw_rand_state >> 27;
	return tw_rand_state * 0x2545f4914f6cdd1dULL;
}

static inline uint64_t
tw_rand_below(uint64_t bound)
{
	return bound == 0 ? 0 : tw_rand() % bound;
}

/*
 * Durations of the tests that need concurrency are multiplied by this:
 * LAGSPEED_TEST_SLOW in the environment (1..100; the plugin's tests read
 * it too), 1 without it. The valgrind runs set it: there the test runs
 * some 20 times slower, and one thread at a time.
 */
static inline unsigned int
tw_test_slow(void)
{
	const char *s = getenv("LAGSPEED_TEST_SLOW");
	const int v = s != NULL ? atoi(s) : 1;

	return v < 1 ? 1 : v > 100 ? 100 : (unsigned int)v;
}

/* A well-mixed 32-bit hash of a flow number (murmur3's finalizer). */
static inline uint32_t
tw_mix32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x85ebca6bU;
	x ^= x >> 13;
	x *= 0xc2b2ae35U;
	x ^= x >> 16;
	return x;
}

/*
 * When set (e.g. "512"), EAL gets --force-max-simd-bitwidth with it: DPDK
 * lets 512-bit code paths run only when the application asks for them.
 */
static const char *tw_eal_simd_bitwidth;

/*
 * When true, EAL runs on the machine's hugepages (--in-memory: no files,
 * no shared state) instead of 4 KiB pages (--no-huge), as DPDK is
 * deployed: the benchmark's --hugepages.
 */
static bool tw_eal_hugepages;

/*
 * Start EAL, hugepage-less unless tw_eal_hugepages, with n_null net_null
 * ports (plus any extra vdev arguments), and a file prefix unique to this
 * process.
 */
static inline int
tw_eal_init(const char *tag, unsigned int n_null, const char *const *extra,
	unsigned int n_extra)
{
	static char args[48][96];
	char *argv[48];
	int argc = 0;
	unsigned int i;

#define TW_ARG(...) do { \
	snprintf(args[argc], sizeof(args[argc]), __VA_ARGS__); \
	argv[argc] = args[argc]; \
	argc++; \
} while (0)
	TW_ARG("%s", tag);
	TW_ARG("-l");
	TW_ARG("0-1");
	if (tw_eal_hugepages) {
		TW_ARG("--in-memory");
	} else {
		TW_ARG("--no-huge");
		TW_ARG("-m");
		TW_ARG("512");
	}
	TW_ARG("--no-pci");
	TW_ARG("--no-telemetry");
	if (tw_eal_simd_bitwidth != NULL)
		TW_ARG("--force-max-simd-bitwidth=%s", tw_eal_simd_bitwidth);
	TW_ARG("--log-level=lib.eal:error");
	TW_ARG("--file-prefix=tw_%s_%d", tag, (int)getpid());
	for (i = 0; i < n_null && argc < 44; i++) {
		TW_ARG("--vdev");
		TW_ARG("net_null%u", i);
	}
	for (i = 0; i < n_extra && argc < 46; i++) {
		TW_ARG("--vdev");
		TW_ARG("%s", extra[i]);
	}
#undef TW_ARG
	if (rte_eal_init(argc, argv) < 0) {
		fprintf(stderr, "%s: rte_eal_init failed\n", tag);
		return -1;
	}
	lt_runtime_dir_remove_at_exit();
	return 0;
}

#endif /* TW_TEST_H */
