/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/*
 * Async event transport between processes.
 *
 * Every open verbs context owns a FIFO, DIR/ctx/<ibdev>/<pid>.<seq>. Its
 * async_fd is the FIFO's read end; the owner also keeps a write end open
 * (the "keeper") so that the read end never sees end-of-file while the
 * context lives: it is readable exactly when a record is queued, blocks or
 * returns EAGAIN (O_NONBLOCK) otherwise, like the kernel's uverbs async
 * file. When the owner reads IBV_EVENT_DEVICE_FATAL it closes the keeper;
 * the writer has already removed the FIFO's name, so no writer remains and
 * the fd reports end-of-file once drained (the device is gone).
 *
 * Writers (ibvsim-ctl, the C API) hold the directory lock, open each FIFO
 * of the device without blocking and write whole 8-byte records in chunks of
 * at most PIPE_BUF bytes (atomic, so a reader never sees part of a record).
 * A full FIFO makes the writer wait for the reader to drain it, at most
 * IBVSIM_DRAIN_TIMEOUT_MS without progress (default 5000): a stopped reader
 * cannot hold every other writer forever.
 *
 * Registrations whose process is gone, or whose FIFO has no reader (ENXIO,
 * EPIPE), are removed by the writer that finds them.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ibvsim_private.h"

/* Pipe capacity asked for each context: 131072 records. */
#define IBVSIM_PIPE_SIZE (1 << 20)
#define IBVSIM_DRAIN_TIMEOUT_DEFAULT_MS 5000
#define IBVSIM_CHUNK_RECS (PIPE_BUF / sizeof(struct ibvsim_event_rec))

static atomic_uint ctx_seq;

static int
ctx_dir_path(char *buf, size_t size, const char *dir, const char *ibdev)
{
	int n = snprintf(buf, size, "%s/%s/%s", dir, IBVSIM_CTX_DIR, ibdev);

	return (n < 0 || (size_t)n >= size) ? -ENAMETOOLONG : 0;
}

int
ibvsim_ctx_register(const char *dir, const char *ibdev, char **path_out,
		int *read_fd, int *keeper_fd)
{
	char path[PATH_MAX];
	size_t len;
	int rfd = -1, wfd = -1, flags, n, ret;

	ret = ctx_dir_path(path, sizeof(path), dir, "");
	if (ret < 0)
		return ret;
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -errno;
	ret = ctx_dir_path(path, sizeof(path), dir, ibdev);
	if (ret < 0)
		return ret;
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -errno;
	len = strlen(path);
	n = snprintf(path + len, sizeof(path) - len, "/%ld.%u", (long)getpid(),
			atomic_fetch_add(&ctx_seq, 1));
	if (n < 0 || (size_t)n >= sizeof(path) - len)
		return -ENAMETOOLONG;
	/* A leftover of a dead process that had the same pid. */
	unlink(path);
	if (mkfifo(path, 0600) < 0)
		return -errno;
	/* Non-blocking opens: the read end first (no writer yet), then the
	 * keeper (succeeds since a reader exists).
	 */
	rfd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (rfd < 0)
		goto fail;
	wfd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (wfd < 0)
		goto fail;
	/* Best effort: past the per-user pipe quota the default size stays,
	 * and writers then wait for the reader instead.
	 */
	(void)fcntl(rfd, F_SETPIPE_SZ, IBVSIM_PIPE_SIZE);
	/* rdma-core's async_fd is blocking until the user sets O_NONBLOCK. */
	flags = fcntl(rfd, F_GETFL);
	if (flags < 0 || fcntl(rfd, F_SETFL, flags & ~O_NONBLOCK) < 0)
		goto fail;
	*path_out = strdup(path);
	if (*path_out == NULL) {
		errno = ENOMEM;
		goto fail;
	}
	*read_fd = rfd;
	*keeper_fd = wfd;
	return 0;
fail:
	ret = -errno;
	if (wfd >= 0)
		close(wfd);
	if (rfd >= 0)
		close(rfd);
	unlink(path);
	return ret;
}

static long
drain_timeout_ms(void)
{
	const char *s = getenv("IBVSIM_DRAIN_TIMEOUT_MS");
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return IBVSIM_DRAIN_TIMEOUT_DEFAULT_MS;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0 || v > 3600000)
		return IBVSIM_DRAIN_TIMEOUT_DEFAULT_MS;
	return v;
}

/* Write n_ev records, count times over, to one FIFO. */
static int
write_events(int fd, const struct ibvsim_event_rec *ev, size_t n_ev,
		unsigned int count)
{
	struct ibvsim_event_rec chunk[IBVSIM_CHUNK_RECS];
	uint64_t total = (uint64_t)n_ev * count, done = 0;
	long timeout = drain_timeout_ms();

	while (done < total) {
		size_t n = 0, i;
		ssize_t w;

		for (i = 0; i < IBVSIM_CHUNK_RECS && done + i < total; i++)
			chunk[n++] = ev[(done + i) % n_ev];
		w = write(fd, chunk, n * sizeof(chunk[0]));
		if (w >= 0) {
			/* At most PIPE_BUF bytes: all or nothing. */
			done += (size_t)w / sizeof(chunk[0]);
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };
			int r = poll(&pfd, 1, (int)timeout);

			if (r == 0)
				return -ETIMEDOUT;
			if (r < 0 && errno != EINTR)
				return -errno;
			continue;
		}
		return -errno;
	}
	return 0;
}

/*
 * A writer must not die of SIGPIPE when a reader closes its context
 * meanwhile: block it around the writes and swallow the one they raise,
 * leaving any SIGPIPE pending before untouched.
 */
struct sigpipe_guard {
	sigset_t old_mask;
	bool was_pending;
};

static void
sigpipe_block(struct sigpipe_guard *g)
{
	sigset_t pipe_set, pending;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	g->was_pending = sigismember(&pending, SIGPIPE) == 1;
	pthread_sigmask(SIG_BLOCK, &pipe_set, &g->old_mask);
}

static void
sigpipe_restore(struct sigpipe_guard *g, bool raised)
{
	if (raised && !g->was_pending) {
		const struct timespec zero = { 0, 0 };
		sigset_t pipe_set;

		sigemptyset(&pipe_set);
		sigaddset(&pipe_set, SIGPIPE);
		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 &&
				errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &g->old_mask, NULL);
}

static bool
entry_pid(const char *name, long *pid)
{
	char *end;

	if (name[0] < '1' || name[0] > '9')
		return false;
	errno = 0;
	*pid = strtol(name, &end, 10);
	return errno == 0 && *end == '.' && *pid > 0;
}

static bool
pid_gone(long pid)
{
	return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

int
ibvsim_deliver(const char *dir, const char *ibdev,
		const struct ibvsim_event_rec *ev, size_t n_ev,
		unsigned int count, bool unregister)
{
	char dpath[PATH_MAX], path[PATH_MAX + NAME_MAX + 2];
	struct sigpipe_guard guard;
	bool raised = false;
	struct dirent *de;
	int ret = 0;
	DIR *d;

	if (ctx_dir_path(dpath, sizeof(dpath), dir, ibdev) < 0)
		return -ENAMETOOLONG;
	d = opendir(dpath);
	if (d == NULL)
		return errno == ENOENT ? 0 : -errno;
	sigpipe_block(&guard);
	while ((de = readdir(d)) != NULL) {
		long pid;
		int fd, r;

		if (!entry_pid(de->d_name, &pid))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dpath, de->d_name);
		if (pid_gone(pid)) {
			unlink(path);
			continue;
		}
		fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0) {
			/* ENXIO: nobody reads it (closed, exec'd, dying). */
			if (errno == ENXIO)
				unlink(path);
			continue;
		}
		r = n_ev > 0 && count > 0 ? write_events(fd, ev, n_ev, count) : 0;
		close(fd);
		if (r == -EPIPE) {
			raised = true;
			unlink(path);
		} else if (r < 0 && ret == 0) {
			ret = r;
		}
		if (unregister)
			unlink(path);
	}
	sigpipe_restore(&guard, raised);
	closedir(d);
	return ret;
}

int
ibvsim_ctx_count(const char *dir, const char *ibdev)
{
	char dpath[PATH_MAX], path[PATH_MAX + NAME_MAX + 2];
	struct dirent *de;
	int count = 0;
	DIR *d;

	if (ctx_dir_path(dpath, sizeof(dpath), dir, ibdev) < 0)
		return -ENAMETOOLONG;
	d = opendir(dpath);
	if (d == NULL)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d)) != NULL) {
		long pid;
		int fd;

		if (!entry_pid(de->d_name, &pid) || pid_gone(pid))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dpath, de->d_name);
		/* A reader is there exactly when a non-blocking write open
		 * succeeds; opening and closing writes nothing.
		 */
		fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0) {
			count++;
			close(fd);
		}
	}
	closedir(d);
	return count;
}
