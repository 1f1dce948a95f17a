/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/*
 * Prints where mlx5_lagspeed_abi.c, as this program was built, places
 * each DPDK-internal member the plugin touches: one "name value" line
 * each, after the name of the declarations in use. Built twice (driver-SDK
 * headers, own declarations) for abi_layout_test.sh to compare.
 */

#include <stdio.h>

#include "mlx5_lagspeed_abi.h"

int
main(void)
{
	struct lagspeed_abi_layout layout;

	lagspeed_abi_layout_get(&layout);
	printf("declarations %s\n", lagspeed_abi_name);
#define LAGSPEED_ABI_LAYOUT_PRINT(name) \
	printf("%s %zu\n", #name, layout.name);
	LAGSPEED_ABI_LAYOUT(LAGSPEED_ABI_LAYOUT_PRINT)
#undef LAGSPEED_ABI_LAYOUT_PRINT
	return 0;
}
