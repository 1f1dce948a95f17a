/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/*
 * The in-process control API (ibvsim.h): its error codes, the model it
 * computes, that a refused call leaves the model file untouched, and that a
 * change made through it reaches verbs contexts before it returns.
 */

#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ibvsim.h"
#include "verbs_util.h"

static char *
show(struct ibvsim *sim)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	T_CHECK(f != NULL, "open_memstream");
	T_CHECK(ibvsim_show(sim, f, true) == 0, "show");
	fclose(f);
	return buf;
}

static uint64_t
speed_of(struct ibvsim *sim, const char *ibdev)
{
	uint64_t speed = 0;
	int ret = ibvsim_device_speed(sim, ibdev, &speed);

	T_CHECK(ret == 0, "ibvsim_device_speed(%s): %d", ibdev, ret);
	return speed;
}

/* The model file's generation counter (second 64-bit word of its header). */
static uint64_t
generation_at(int fd)
{
	uint64_t gen;

	T_CHECK(pread(fd, &gen, sizeof(gen), 16) == sizeof(gen), "pread: %s",
			strerror(errno));
	return gen;
}

/*
 * A change replaces the model file by a new one: a reader that opened the
 * old version before the change keeps reading it, unchanged and whole, and
 * no temporary file is left behind.
 */
static void
check_replaced_whole(struct ibvsim *sim, const char *dir)
{
	char path[4096];
	struct stat st_old, st_new;
	uint64_t gen;
	int old_fd, new_fd, i;

	snprintf(path, sizeof(path), "%s/model", dir);
	old_fd = open(path, O_RDONLY);
	T_CHECK(old_fd >= 0 && fstat(old_fd, &st_old) == 0, "open model");
	gen = generation_at(old_fd);
	for (i = 0; i < 4; i++) /* down, up, down, up */
		T_CHECK(ibvsim_pf_set(sim, "g", 0, i % 2 != 0) == 0, "pf");
	T_CHECK(fstat(old_fd, &st_new) == 0 && st_new.st_size == st_old.st_size &&
			generation_at(old_fd) == gen,
			"an open version of the model was written to");
	new_fd = open(path, O_RDONLY);
	T_CHECK(new_fd >= 0, "open model");
	T_CHECK(generation_at(new_fd) == gen + 4, "generation %lu after 4 changes"
			" from %lu", (unsigned long)generation_at(new_fd),
			(unsigned long)gen);
	close(new_fd);
	close(old_fd);
	snprintf(path, sizeof(path), "%s/model.tmp", dir);
	T_CHECK(access(path, F_OK) != 0 && errno == ENOENT, "model.tmp left");
}

/* One device, one struct ibv_device, as long as it exists (rdma-core). */
static void
check_same_devices(struct ibvsim *sim)
{
	struct ibv_device **l1, **l2, **l3;
	struct ibv_context *ctx;
	int n1, n2, n3, i;

	l1 = V.get_device_list(&n1);
	l2 = V.get_device_list(&n2);
	T_CHECK(l1 != NULL && l2 != NULL && n1 == 2 && n2 == 2, "lists");
	for (i = 0; i < n1; i++)
		T_CHECK(l1[i] == l2[i], "device %d: a new pointer (%p, %p)", i,
				(void *)l1[i], (void *)l2[i]);
	V.free_device_list(l1);
	ctx = t_open("vf");
	T_CHECK(ctx != NULL, "open vf");
	T_CHECK(ibvsim_device_add(sim, "third", NULL, 1000, 1, "vf", 0) == 0,
			"third");
	l3 = V.get_device_list(&n3);
	T_CHECK(l3 != NULL && n3 == 3, "list of 3: %d", n3);
	for (i = 0; i < n2; i++)
		T_CHECK(l3[i] == l2[i], "device %d changed with a third", i);
	T_CHECK(ctx->device == l3[0] || ctx->device == l3[1],
			"an open context's device is the listed one");
	V.free_device_list(l2);
	V.free_device_list(l3);
	V.close_device(ctx);
	/* A removed device leaves; back, it is a new one. */
	T_CHECK(ibvsim_fault(sim, "third", "fatal", 0) == 0, "third fatal");
	l1 = V.get_device_list(&n1);
	T_CHECK(l1 != NULL && n1 == 2, "removed: %d", n1);
	V.free_device_list(l1);
	T_CHECK(ibvsim_fault(sim, "third", "clear", 0) == 0, "third back");
	T_CHECK(t_listed("third"), "third listed again");
}

/* A directory that does not exist: no devices, and a line on stderr. */
static void
check_missing_dir(const char *dir)
{
	char path[] = "/tmp/ibvsim-api-err.XXXXXX", buf[256] = "";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO), n, i;
	struct ibv_device **list;
	ssize_t len;

	T_CHECK(fd >= 0 && saved >= 0, "stderr file");
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	setenv("IBVSIM_DIR", "/nonexistent/ibvsim", 1);
	for (i = 0; i < 2; i++) {
		list = V.get_device_list(&n);
		T_CHECK(list != NULL && n == 0, "missing dir: %d devices", n);
		V.free_device_list(list);
	}
	setenv("IBVSIM_DIR", dir, 1);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	len = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	unlink(path);
	T_CHECK(len > 0 && strcmp(buf, "ibvsim: IBVSIM_DIR=/nonexistent/ibvsim: "
			"No such file or directory: no devices\n") == 0,
			"missing dir, stderr: '%s'", buf);
}

int
main(void)
{
	const uint32_t pfs[3] = { 100000, 100000, 200000 };
	const uint32_t bad_pfs[2] = { 100000, IBVSIM_MAX_MBPS + 1 };
	const uint32_t odd_pfs[2] = { 100000, 150 };
	struct ibv_context *ctx;
	struct ibvsim *sim;
	char *before, *after, name[16];
	const char *dir;
	int i;

	t_setup("api");
	dir = getenv("IBVSIM_DIR");

	unsetenv("IBVSIM_DIR");
	errno = 0;
	T_CHECK(ibvsim_open(NULL) == NULL && errno == EINVAL, "no dir: %d", errno);
	setenv("IBVSIM_DIR", dir, 1);
	errno = 0;
	T_CHECK(ibvsim_open("/nonexistent/ibvsim") == NULL && errno == ENOENT,
			"missing dir: %d", errno);
	sim = ibvsim_open(NULL);
	T_CHECK(sim != NULL, "open: %s", strerror(errno));
	T_CHECK(strcmp(ibvsim_dir(sim), dir) == 0, "dir");
	T_CHECK(ibvsim_dir(NULL) == NULL, "dir of no handle");
	T_CHECK(ibvsim_group_add(sim, "a:b", pfs, 1, 0) == -EINVAL,
			"a ':' the plugin's bind= could not take");

	T_CHECK(ibvsim_group_add(sim, "g", pfs, 3, 50000) == 0, "group");
	T_CHECK(ibvsim_device_add(sim, "vf", "g", 0, 0, NULL, 0) == 0, "vf");
	T_CHECK(ibvsim_device_add(sim, "own", NULL, 40000, 2, "pf", 0) == 0, "own");

	before = show(sim);
	T_CHECK(ibvsim_group_add(sim, "g", pfs, 1, 0) == -EEXIST, "dup group");
	T_CHECK(ibvsim_group_add(sim, "a b", pfs, 1, 0) == -EINVAL, "bad name");
	T_CHECK(ibvsim_group_add(sim, "-h", pfs, 1, 0) == -EINVAL,
			"a name ibvsim-ctl would take for an option");
	T_CHECK(ibvsim_group_add(sim, "../h", pfs, 1, 0) == -EINVAL, "a path");
	T_CHECK(ibvsim_group_add(sim, "h", pfs, 0, 0) == -ERANGE, "no PF");
	T_CHECK(ibvsim_group_add(sim, "h", pfs, IBVSIM_MAX_PFS + 1, 0) == -ERANGE,
			"too many PFs");
	T_CHECK(ibvsim_group_add(sim, "h", bad_pfs, 2, 0) == -ERANGE, "PF speed");
	T_CHECK(ibvsim_group_add(sim, "h", odd_pfs, 2, 0) == -ERANGE,
			"PF speed not in the verb's unit");
	T_CHECK(ibvsim_group_add(sim, "h", pfs, 1, IBVSIM_MAX_MBPS + 1) == -ERANGE,
			"max");
	T_CHECK(ibvsim_group_add(sim, "h", pfs, 1, 250) == -ERANGE,
			"max not in the verb's unit");
	T_CHECK(ibvsim_device_add(sim, "vf", "g", 0, 1, "vf", 0) == -EEXIST,
			"dup device");
	T_CHECK(ibvsim_device_add(sim, "d", "nosuch", 0, 1, "vf", 0) == -ENOENT,
			"unknown group");
	T_CHECK(ibvsim_device_add(sim, "d", NULL, 0, 1, "vf", 0) == -ERANGE,
			"no speed");
	T_CHECK(ibvsim_device_add(sim, "d", NULL, 1001, 1, "vf", 0) == -ERANGE,
			"speed not in the verb's unit");
	T_CHECK(ibvsim_device_add(sim, "d", NULL, 1000, IBVSIM_MAX_PORTS + 1,
			"vf", 0) == -ERANGE, "ports");
	T_CHECK(ibvsim_device_add(sim, "d", NULL, 1000, 1, "nic", 0) == -EINVAL,
			"type");
	T_CHECK(ibvsim_device_add(sim, "d", NULL, 1000, 1, "vf",
			IBVSIM_F_LEGACY | IBVSIM_F_OLD_KERNEL) == -EINVAL, "flags");
	T_CHECK(ibvsim_pf_set(sim, "nosuch", 0, false) == -ENOENT, "pf group");
	T_CHECK(ibvsim_pf_set(sim, "g", 3, false) == -ERANGE, "pf index");
	T_CHECK(ibvsim_device_set(sim, "nosuch", false) == -ENOENT, "set");
	T_CHECK(ibvsim_fault(sim, "vf", "melt", 0) == -EINVAL, "fault name");
	T_CHECK(ibvsim_fault(sim, "nosuch", "clear", 0) == -ENOENT, "fault dev");
	T_CHECK(ibvsim_fault(sim, "vf", "storm", 0) == -ERANGE, "storm 0");
	T_CHECK(ibvsim_fault(sim, "vf", "storm", IBVSIM_MAX_STORM + 1) == -ERANGE,
			"storm max");
	T_CHECK(ibvsim_device_contexts(sim, "nosuch") == -ENOENT, "contexts");
	after = show(sim);
	T_CHECK(strcmp(before, after) == 0, "refused calls changed the model:\n"
			"%s\n%s", before, after);
	free(before);
	free(after);

	check_replaced_whole(sim, dir);
	check_same_devices(sim);
	check_missing_dir(dir);

	/* The rule, through the model alone. */
	T_CHECK(speed_of(sim, "vf") == 4000, "sum");
	T_CHECK(speed_of(sim, "own") == 400, "own speed");
	T_CHECK(ibvsim_pf_set(sim, "g", 2, false) == 0, "pf");
	T_CHECK(speed_of(sim, "vf") == 2000, "two of three");
	T_CHECK(ibvsim_pf_set(sim, "g", 0, false) == 0 &&
			ibvsim_pf_set(sim, "g", 1, false) == 0, "pf");
	T_CHECK(speed_of(sim, "vf") == 500, "internal max");
	T_CHECK(ibvsim_device_set(sim, "vf", false) == 0, "set");
	T_CHECK(speed_of(sim, "vf") == 0, "down");
	T_CHECK(ibvsim_device_set(sim, "vf", true) == 0, "set");
	T_CHECK(ibvsim_pf_set(sim, "g", 1, true) == 0, "pf");

	/* Events are queued by the time a change returns. */
	ctx = t_open("vf");
	T_CHECK(ctx != NULL, "open vf");
	T_CHECK(ibvsim_device_contexts(sim, "vf") == 1, "one context");
	T_CHECK(ibvsim_pf_set(sim, "g", 2, true) == 0, "pf");
	t_expect_event(ctx, T_EVENT_SPEED_CHANGE, 0, 0, "queued before return");
	T_CHECK(t_speed(ctx, 1) == 3000, "verb agrees with the model");
	T_CHECK(speed_of(sim, "vf") == 3000, "model");
	V.close_device(ctx);
	T_CHECK(ibvsim_device_contexts(sim, "vf") == 0, "closed");

	/* The model is bounded. */
	for (i = 1; i < IBVSIM_MAX_GROUPS; i++) {
		snprintf(name, sizeof(name), "g%d", i);
		T_CHECK(ibvsim_group_add(sim, name, pfs, 1, 0) == 0, "%s", name);
	}
	T_CHECK(ibvsim_group_add(sim, "one-too-many", pfs, 1, 0) == -ENOSPC,
			"groups full");

	ibvsim_close(sim);
	t_teardown();
	return 0;
}
