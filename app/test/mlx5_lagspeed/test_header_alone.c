/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/*
 * The plugin's public header used as an application that does not link
 * DPDK or the plugin would: included first and alone (it must bring what
 * it uses), built as C99 and in the project's own C standard. Without the
 * plugin loaded, rte_pmd_mlx5_lagspeed_info_get_dyn() says -ENOTSUP; the
 * state names are the documented ones, "unknown" outside the enum.
 */
#include <rte_pmd_mlx5_lagspeed.h>

#include <stdio.h>
#include <string.h>

static int failures;

static void
expect(int ok, const char *what)
{
	printf("%s: %s\n", ok ? "ok" : "FAIL", what);
	failures += !ok;
}

int
main(void)
{
	struct rte_pmd_mlx5_lagspeed_info info;

	expect(rte_pmd_mlx5_lagspeed_info_get_dyn(0, &info) == -ENOTSUP,
		"info_get_dyn without the plugin loaded: -ENOTSUP");
	expect(strcmp(rte_pmd_mlx5_lagspeed_state_name(
		RTE_PMD_MLX5_LAGSPEED_ACTIVE), "active") == 0 &&
		strcmp(rte_pmd_mlx5_lagspeed_state_name(
		RTE_PMD_MLX5_LAGSPEED_UNSUPPORTED), "unsupported") == 0 &&
		strcmp(rte_pmd_mlx5_lagspeed_state_name(
		RTE_PMD_MLX5_LAGSPEED_QUERY_ERROR), "query-error") == 0 &&
		strcmp(rte_pmd_mlx5_lagspeed_state_name(
		RTE_PMD_MLX5_LAGSPEED_DETACHED), "detached") == 0,
		"the four state names");
	expect(strcmp(rte_pmd_mlx5_lagspeed_state_name(
		(enum rte_pmd_mlx5_lagspeed_state)4), "unknown") == 0 &&
		strcmp(rte_pmd_mlx5_lagspeed_state_name(
		(enum rte_pmd_mlx5_lagspeed_state)-1), "unknown") == 0,
		"a value outside the enum: unknown");
	return failures == 0 ? 0 : 1;
}
