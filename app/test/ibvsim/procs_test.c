/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/*
 * Events reach every open context of a device in every process: a second
 * process (and a second context in this one) sees exactly the same events
 * in the same order. A context whose process died without closing it is
 * removed by the next change. A context is its open file's, as a kernel
 * context is: a forked child may close its copy, or keep it after the
 * opener exits. The state directory may be given relative to a working
 * directory the application later leaves. A change whose events a
 * context could not be given (another user's) is refused.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
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

/*
 * fork() with stdio flushed first, so that nothing buffered is written
 * twice, and with a pipe made before it when fds is not NULL, for the two
 * sides to talk through. The child's pid; 0 in the child.
 */
static pid_t
fork_flushed(int *fds)
{
	pid_t pid;

	if (fds != NULL)
		T_CHECK(pipe(fds) == 0, "pipe");
	fflush(NULL);
	pid = fork();
	T_CHECK(pid >= 0, "fork");
	return pid;
}

/*
 * A child that opens a context of ibdev and is killed from outside with
 * it open: nothing of it runs at exit, as in a crash. Its pid.
 */
static pid_t
open_and_die(const char *ibdev)
{
	int ready[2], status;
	pid_t pid;
	char c = 'r';

	pid = fork_flushed(ready);
	if (pid == 0) {
		close(ready[0]);
		if (t_open(ibdev) == NULL || write(ready[1], &c, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	T_CHECK(read(ready[0], &c, 1) == 1, "dying child did not open");
	close(ready[0]);
	kill(pid, SIGKILL);
	T_CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status),
			"the dying child");
	return pid;
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

/*
 * A forked child closing its copy of a context leaves the parent's open
 * (rdma-core: the child closes its file descriptors, the parent's file
 * stays open); a child keeping a context after its opener exited (a
 * daemon forking away) gets the events and answers queries.
 */
static void
fork_and_contexts(void)
{
	struct ibv_context *ctx;
	int ready[2], status;
	pid_t pid;
	char c;

	ctx = t_open("vf0");
	T_CHECK(ctx != NULL, "open: %s", strerror(errno));
	pid = fork_flushed(NULL);
	if (pid == 0)
		_exit(V.close_device(ctx) == 0 ? 0 : 1);
	T_CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
			WEXITSTATUS(status) == 0, "the child's close failed");
	T_CHECK(contexts_of("vf0") == 1,
			"the child's close took the parent's context: %d left",
			contexts_of("vf0"));
	T_CTL("pf", "g", "1", "down");
	t_expect_event(ctx, T_EVENT_SPEED_CHANGE, 0, 1000,
			"parent, after its child closed a copy");
	T_CHECK(t_speed(ctx, 1) == 250, "parent: speed %lu, want 250",
			(unsigned long)t_speed(ctx, 1));
	T_CHECK(V.close_device(ctx) == 0, "close");

	pid = fork_flushed(ready);
	if (pid == 0) {
		/* The opener: open, hand the context to a child, exit. */
		struct ibv_context *kept = t_open("vf0");
		pid_t keeper;

		close(ready[0]);
		if (kept == NULL)
			_exit(1);
		keeper = fork();
		if (keeper < 0)
			_exit(1);
		if (keeper == 0) {
			/* Told of the change by the test, through the FIFO. */
			t_expect_event(kept, T_EVENT_SPEED_CHANGE, 0, 5000,
					"the context kept by the opener's child");
			c = t_speed(kept, 1) == 500 ? 'k' : 'q';
			if (write(ready[1], &c, 1) != 1)
				_exit(1);
			V.close_device(kept);
			_exit(0);
		}
		_exit(0);
	}
	close(ready[1]);
	T_CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
			WEXITSTATUS(status) == 0, "the opener failed");
	T_CHECK(contexts_of("vf0") == 1,
			"the context its child keeps is not counted: %d",
			contexts_of("vf0"));
	T_CTL("pf", "g", "1", "up");
	c = 0;
	T_CHECK(read(ready[0], &c, 1) == 1 && c == 'k',
			"the opener's child: %s", c == 'q' ? "wrong speed" :
			"no event (or failed)");
	/* Its end: the child closed the pipe as it exited. */
	T_CHECK(read(ready[0], &c, 1) == 0, "the opener's child still runs");
	close(ready[0]);
	T_CHECK(contexts_of("vf0") == 0, "contexts left: %d",
			contexts_of("vf0"));
}

/*
 * $IBVSIM_DIR relative to the working directory when the device list was
 * read; the application then changes directory: its context still
 * answers, and its close removes its registration.
 */
static void
relative_dir(void)
{
	char abs_dir[PATH_MAX], cwd[PATH_MAX], *base;
	struct ibv_context *ctx;

	snprintf(abs_dir, sizeof(abs_dir), "%s", getenv("IBVSIM_DIR"));
	T_CHECK(getcwd(cwd, sizeof(cwd)) != NULL, "getcwd");
	base = strrchr(abs_dir, '/');
	T_CHECK(base != NULL && base != abs_dir, "state directory %s", abs_dir);
	*base = '\0';
	T_CHECK(chdir(abs_dir) == 0, "chdir %s", abs_dir);
	*base = '/';
	setenv("IBVSIM_DIR", base + 1, 1);
	ctx = t_open("vf0");
	T_CHECK(ctx != NULL, "open with IBVSIM_DIR=%s: %s", base + 1,
			strerror(errno));
	T_CHECK(chdir("/") == 0, "chdir /");
	T_CHECK(t_speed(ctx, 1) == 500, "after chdir: speed %lu",
			(unsigned long)t_speed(ctx, 1));
	T_CHECK(V.close_device(ctx) == 0, "close");
	setenv("IBVSIM_DIR", abs_dir, 1);
	T_CHECK(chdir(cwd) == 0, "chdir back");
	T_CHECK(!registered(getpid()), "the closed context's FIFO was left");
}

/* The unprivileged user the root branch runs the control tool as. */
#define OTHER_UID 65534
/* ctl_as_other(): that user cannot reach the control tool. */
#define CTL_UNREACHABLE 97

static int
give_to_other(const char *path, const struct stat *st, int flag,
		struct FTW *ftw)
{
	(void)flag;
	(void)ftw;
	/* The model is the other user's; contexts stay their opener's. */
	if (!S_ISFIFO(st->st_mode) && chown(path, OTHER_UID, OTHER_UID) != 0)
		return -1;
	return 0;
}

static int
remove_entry(const char *path, const struct stat *st, int flag,
		struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/*
 * Run ibvsim-ctl as OTHER_UID (as ourselves when not root): its exit
 * status, its stdout and stderr in out.
 */
static int
ctl_as_other(char *out, size_t out_len, const char *arg, ...)
{
	const char *argv[8] = { "ibvsim-ctl" };
	int pipe_fd[2], status, n = 1;
	ssize_t len;
	va_list ap;
	pid_t pid;

	va_start(ap, arg);
	for (; arg != NULL && n < 7; arg = va_arg(ap, const char *))
		argv[n++] = arg;
	va_end(ap);
	pid = fork_flushed(pipe_fd);
	if (pid == 0) {
		const char *ctl = getenv("IBVSIM_CTL");

		dup2(pipe_fd[1], STDOUT_FILENO);
		dup2(pipe_fd[1], STDERR_FILENO);
		close(pipe_fd[0]);
		if (geteuid() == 0 && (setgroups(0, NULL) != 0 ||
				setgid(OTHER_UID) != 0 || setuid(OTHER_UID) != 0))
			_exit(99);
		if (access(ctl, X_OK) != 0) {
			fprintf(stderr, "uid %d cannot run %s: %s\n",
				(int)getuid(), ctl, strerror(errno));
			_exit(CTL_UNREACHABLE);
		}
		execv(ctl, (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", ctl, strerror(errno));
		_exit(98);
	}
	close(pipe_fd[1]);
	/* All of it, to the end: the child must not meet a closed pipe. */
	n = 0;
	while ((len = read(pipe_fd[0], out + n, out_len - 1 - n)) > 0)
		n += (int)len;
	out[n] = '\0';
	close(pipe_fd[0]);
	T_CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status),
			"ibvsim-ctl as another user: status %#x", status);
	return WEXITSTATUS(status);
}

/* Make our own registration read-only (the non-root stand-in). */
static void
own_fifo_mode(const char *dir, mode_t mode)
{
	char fifo[PATH_MAX], prefix[32];
	struct dirent *de;
	DIR *d;

	snprintf(prefix, sizeof(prefix), "%ld.", (long)getpid());
	snprintf(fifo, sizeof(fifo), "%s/ctx/vf0", dir);
	d = opendir(fifo);
	T_CHECK(d != NULL, "opendir %s", fifo);
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			break;
	T_CHECK(de != NULL, "no registration of ours");
	snprintf(fifo + strlen(fifo), sizeof(fifo) - strlen(fifo), "/%s",
			de->d_name);
	closedir(d);
	T_CHECK(chmod(fifo, mode) == 0, "chmod %s", fifo);
}

/*
 * A context this process cannot write to (another user's; as a non-root
 * user, our own made read-only) would miss the change's events: the
 * change is refused, said, and the model stays as it was. A change that
 * sends it nothing goes through. As root, in a state directory of its
 * own under /tmp (the other user may not reach the build tree's), and
 * with a leftover of a killed root process, which that user neither
 * counts nor is stopped by; skipped when that user cannot run the
 * control tool where it was built.
 */
static void
refused_for_another_user(void)
{
	char dir[PATH_MAX], saved[PATH_MAX], out[2048];
	bool root = geteuid() == 0;
	struct ibv_context *ctx;
	int status;

	snprintf(saved, sizeof(saved), "%s", getenv("IBVSIM_DIR"));
	snprintf(dir, sizeof(dir), "%s", saved);
	if (root) {
		snprintf(dir, sizeof(dir), "/tmp/ibvsim-procs-other.XXXXXX");
		T_CHECK(mkdtemp(dir) != NULL, "mkdtemp: %s", strerror(errno));
		setenv("IBVSIM_DIR", dir, 1);
		T_CTL("group", "g", "--pf", "25000,25000", "--max", "100000");
		T_CTL("device", "vf0", "--group", "g");
		t_other_dir(dir);
		T_CHECK(nftw(dir, give_to_other, 16, FTW_PHYS) == 0,
				"chown the model to uid %d", OTHER_UID);
		if (ctl_as_other(out, sizeof(out), "show", NULL) ==
				CTL_UNREACHABLE) {
			printf("skip: another user's control tool: %s", out);
			setenv("IBVSIM_DIR", saved, 1);
			T_CHECK(nftw(dir, remove_entry, 16,
					FTW_DEPTH | FTW_PHYS) == 0, "remove %s", dir);
			t_other_dir(NULL);
			return;
		}
	}
	ctx = t_open("vf0");
	T_CHECK(ctx != NULL, "open: %s", strerror(errno));
	if (!root)
		own_fifo_mode(dir, 0400);
	status = ctl_as_other(out, sizeof(out), "pf", "g", "1", "down", NULL);
	T_CHECK(status == 1 && strstr(out, "Permission denied") != NULL &&
			strstr(out, "another user") != NULL,
			"a change another user's context would miss: exit %d, '%s'",
			status, out);
	T_CHECK(!t_readable(ctx, 200), "an event for a refused change");
	T_CHECK(t_speed(ctx, 1) == 500, "refused, yet the speed is %lu",
			(unsigned long)t_speed(ctx, 1));
	/* No event for that context: not refused. */
	status = ctl_as_other(out, sizeof(out), "fault", "vf0", "query-eio",
			NULL);
	T_CHECK(status == 0, "a fault that sends no event refused: exit %d, '%s'",
			status, out);
	status = ctl_as_other(out, sizeof(out), "fault", "vf0", "clear", NULL);
	T_CHECK(status == 0, "clear: exit %d, '%s'", status, out);
	/* A fatal error sends DEVICE_FATAL, though no speed moves. */
	status = ctl_as_other(out, sizeof(out), "fault", "vf0", "fatal", NULL);
	T_CHECK(status == 1 && strstr(out, "Permission denied") != NULL,
			"a fatal error the context would miss: exit %d, '%s'",
			status, out);
	T_CHECK(!t_readable(ctx, 200), "an event for a refused fatal error");
	T_CHECK(t_speed(ctx, 1) == 500, "after a refused fatal error: %lu",
			(unsigned long)t_speed(ctx, 1));
	if (!root)
		own_fifo_mode(dir, 0600);
	T_CHECK(V.close_device(ctx) == 0, "close");
	/* It was the context: without it the same user may change the model. */
	status = ctl_as_other(out, sizeof(out), "pf", "g", "1", "down", NULL);
	T_CHECK(status == 0, "no context left, still refused: exit %d, '%s'",
			status, out);
	status = ctl_as_other(out, sizeof(out), "pf", "g", "1", "up", NULL);
	T_CHECK(status == 0, "pf g 1 up: exit %d, '%s'", status, out);
	if (root) {
		/* A root process killed with its context open. */
		open_and_die("vf0");
		status = ctl_as_other(out, sizeof(out), "show", "--json", NULL);
		T_CHECK(status == 0 && strstr(out, "\"contexts\": 0") != NULL,
				"a leftover counted by another user: exit %d, '%s'",
				status, out);
		status = ctl_as_other(out, sizeof(out), "pf", "g", "1", "down",
				NULL);
		T_CHECK(status == 0, "refused for a leftover: exit %d, '%s'",
				status, out);
		setenv("IBVSIM_DIR", saved, 1);
		T_CHECK(nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) == 0,
				"remove %s", dir);
		t_other_dir(NULL);
	}
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

	pid = fork_flushed(ready);
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
	dead = open_and_die("vf0");
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
	fork_and_contexts();
	relative_dir();
	refused_for_another_user();
	t_teardown();
	return 0;
}
