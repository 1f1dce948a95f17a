/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/*
 * Events reach every open context of a device in every process: a second
 * process (and a second context in this one) sees exactly the same events
 * in the same order. A context whose process died without closing it is
 * removed by the next change.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "verbs_util.h"

struct expected {
	enum ibv_event_type type;
	int port;
};

static const struct expected sequence[] = {
	{ T_EVENT_SPEED_CHANGE, 0 },   /* pf g 1 down */
	{ T_EVENT_SPEED_CHANGE, 0 },   /* pf g 0 down */
	{ IBV_EVENT_PORT_ERR, 1 },     /* set vf0 down */
	{ T_EVENT_SPEED_CHANGE, 0 },
	{ IBV_EVENT_PORT_ACTIVE, 1 },  /* set vf0 up */
	{ T_EVENT_SPEED_CHANGE, 0 },
	{ T_EVENT_SPEED_CHANGE, 0 },   /* pf g 0 up */
	{ T_EVENT_SPEED_CHANGE, 0 },   /* pf g 1 up */
};
#define N_EXPECTED (sizeof(sequence) / sizeof(sequence[0]))

static void
expect_sequence(struct ibv_context *ctx, const char *who)
{
	size_t i;

	for (i = 0; i < N_EXPECTED; i++)
		t_expect_event(ctx, sequence[i].type, sequence[i].port, 5000, who);
	t_expect_no_event(ctx, who);
	T_CHECK(t_speed(ctx, 1) == 500, "%s: final speed %lu", who,
			(unsigned long)t_speed(ctx, 1));
}

/* The second process: open, say ready, take the whole sequence. */
static void
child(int ready_fd)
{
	struct ibv_context *ctx = t_open("vf0");
	char c = 'r';

	T_CHECK(ctx != NULL, "child open: %s", strerror(errno));
	T_CHECK(write(ready_fd, &c, 1) == 1, "ready");
	close(ready_fd);
	expect_sequence(ctx, "second process");
	T_CHECK(V.close_device(ctx) == 0, "child close");
	exit(0);
}

static int
contexts_of(const char *ibdev)
{
	char cmd[512];
	FILE *p;
	int n = -1;

	/* show --json puts each device on one line. */
	snprintf(cmd, sizeof(cmd), "'%s' show --json | grep '\"name\": \"%s\"' |"
			" sed 's/.*\"contexts\": \\([0-9]*\\).*/\\1/'",
			getenv("IBVSIM_CTL"), ibdev);
	p = popen(cmd, "r");
	T_CHECK(p != NULL, "popen");
	T_CHECK(fscanf(p, "%d", &n) == 1, "no context count for %s", ibdev);
	pclose(p);
	return n;
}

/* Whether a registration of the process is in the state directory. */
static bool
registered(pid_t pid)
{
	char path[4096], prefix[32];
	struct dirent *de;
	bool found = false;
	DIR *d;

	snprintf(path, sizeof(path), "%s/ctx/vf0", getenv("IBVSIM_DIR"));
	snprintf(prefix, sizeof(prefix), "%ld.", (long)pid);
	d = opendir(path);
	T_CHECK(d != NULL, "opendir %s", path);
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			found = true;
	closedir(d);
	return found;
}

int
main(void)
{
	struct ibv_context *ctx, *ctx2;
	int ready[2], status;
	pid_t pid, dead;
	char half[4096], busy[4096], c;
	int busy_fd, queued = -1;

	t_setup("procs");
	alarm(120);
	T_CTL("group", "g", "--pf", "25000,25000", "--max", "100000");
	T_CTL("device", "vf0", "--group", "g");

	T_CHECK(pipe(ready) == 0, "pipe");
	fflush(NULL);
	pid = fork();
	T_CHECK(pid >= 0, "fork");
	if (pid == 0) {
		close(ready[0]);
		child(ready[1]);
	}
	close(ready[1]);
	T_CHECK(read(ready[0], &c, 1) == 1, "child not ready");
	close(ready[0]);

	ctx = t_open("vf0");
	ctx2 = t_open("vf0");
	T_CHECK(ctx != NULL && ctx2 != NULL, "open: %s", strerror(errno));
	T_CHECK(ctx->async_fd != ctx2->async_fd, "contexts share a fd");
	T_CHECK(contexts_of("vf0") == 3, "3 contexts registered, show says %d",
			contexts_of("vf0"));

	T_CTL("pf", "g", "1", "down");
	T_CTL("pf", "g", "0", "down");
	T_CTL("set", "vf0", "down");
	T_CTL("set", "vf0", "up");
	T_CTL("pf", "g", "0", "up");
	T_CTL("pf", "g", "1", "up");

	expect_sequence(ctx, "first context");
	expect_sequence(ctx2, "second context");
	T_CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	T_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			"second process failed (status %#x)", status);
	T_CHECK(V.close_device(ctx2) == 0, "close");
	T_CHECK(contexts_of("vf0") == 1, "1 context left, show says %d",
			contexts_of("vf0"));

	/* A process that dies with its context open: its registration is
	 * stale, found and removed by the next change, which still reaches
	 * the live context.
	 */
	T_CHECK(pipe(ready) == 0, "pipe");
	fflush(NULL);
	dead = fork();
	T_CHECK(dead >= 0, "fork");
	if (dead == 0) {
		close(ready[0]);
		if (t_open("vf0") == NULL)
			_exit(1);
		c = 'r';
		if (write(ready[1], &c, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	T_CHECK(read(ready[0], &c, 1) == 1, "dying child did not open");
	close(ready[0]);
	/* Killed from outside: nothing of it runs at exit, as in a crash. */
	kill(dead, SIGKILL);
	T_CHECK(waitpid(dead, &status, 0) == dead && WIFSIGNALED(status),
			"the dying child");
	T_CHECK(registered(dead), "the dead child never registered");
	/* As if it had died inside ibv_open_device(), its FIFO half set up. */
	snprintf(half, sizeof(half), "%s/ctx/vf0/new-%ld.7", getenv("IBVSIM_DIR"),
			(long)dead);
	T_CHECK(mkfifo(half, 0600) == 0, "mkfifo %s: %s", half, strerror(errno));
	/*
	 * And one of this live process, its read end open, as inside
	 * ibv_open_device() before the rename: not a context yet, so neither
	 * counted nor written to, nor removed.
	 */
	snprintf(busy, sizeof(busy), "%s/ctx/vf0/new-%ld.9", getenv("IBVSIM_DIR"),
			(long)getpid());
	T_CHECK(mkfifo(busy, 0600) == 0, "mkfifo %s: %s", busy, strerror(errno));
	busy_fd = open(busy, O_RDONLY | O_NONBLOCK);
	T_CHECK(busy_fd >= 0, "open %s: %s", busy, strerror(errno));
	T_CHECK(contexts_of("vf0") == 1, "dead or half-set-up context counted");
	T_CTL("fault", "vf0", "storm", "3");
	for (c = 0; c < 3; c++)
		t_expect_event(ctx, T_EVENT_SPEED_CHANGE, 0, 1000, "storm");
	t_expect_no_event(ctx, "storm of 3");
	T_CHECK(!registered(dead), "stale registration of pid %ld kept",
			(long)dead);
	T_CHECK(access(half, F_OK) < 0 && errno == ENOENT,
			"half-set-up FIFO of a dead process kept");
	T_CHECK(ioctl(busy_fd, FIONREAD, &queued) == 0 && queued == 0,
			"events written to a FIFO being set up: %d bytes", queued);
	T_CHECK(access(busy, F_OK) == 0, "FIFO being set up removed");
	close(busy_fd);
	unlink(busy);
	T_CHECK(V.close_device(ctx) == 0, "close");
	T_CHECK(contexts_of("vf0") == 0, "no context left");
	t_teardown();
	return 0;
}
