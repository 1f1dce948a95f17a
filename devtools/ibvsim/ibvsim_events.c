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
 * of the device without blocking and write whole 16-byte records in chunks of
 * at most PIPE_BUF bytes (atomic, so a reader never sees part of a record).
 * Opening a context takes no lock (ibvsim_ctx_register()), so that it
 * never waits for a writer that waits for a full FIFO: the reader of that
 * FIFO may be the very thread that is opening a context (the lagspeed
 * plugin attaches a hot-plugged port on the thread that reads its events).
 * Every context first gets what its FIFO takes at once; the writer then
 * waits for the full ones together, each at most IBVSIM_DRAIN_TIMEOUT_MS
 * without progress (default 5000): a slow reader delays no other context's
 * events, and a stopped one cannot hold every other writer forever.
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

/* Pipe capacity asked for each context: 65536 records. */
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

/* The name prefix of a FIFO ibv_open_device() is still setting up. */
#define CTX_SETTING_UP "new-"

/*
 * A context's name, written at buf (room bytes) after its device's
 * directory: "/<prefix><pid>.<seq>". 0 or -ENAMETOOLONG.
 */
static int
ctx_entry_name(char *buf, size_t room, const char *prefix, unsigned int seq)
{
	int n = snprintf(buf, room, "/%s%ld.%u", prefix, (long)getpid(), seq);

	return (n < 0 || (size_t)n >= room) ? -ENAMETOOLONG : 0;
}

/*
 * Move a FIFO set up under tmp to its registration name path (the
 * device's directory is its first dir_len characters) without replacing
 * a live registration: a name whose opener had this PID may still be
 * read by a child that opener forked. A name nobody reads is replaced;
 * otherwise the next sequence number is taken. 0 or -errno.
 */
static int
ctx_place(const char *tmp, char *path, size_t size, size_t dir_len)
{
	unsigned int tries;
	int fd;

	for (tries = 0; tries < 64; tries++) {
		if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path,
				RENAME_NOREPLACE) == 0)
			return 0;
		/* A file system without it: as rename(), replacing. */
		if (errno == EINVAL || errno == ENOSYS)
			return rename(tmp, path) == 0 ? 0 : -errno;
		if (errno != EEXIST)
			return -errno;
		fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0 && errno == ENXIO) {
			unlink(path);
			continue;
		}
		if (fd >= 0)
			close(fd);
		if (ctx_entry_name(path + dir_len, size - dir_len, "",
				atomic_fetch_add(&ctx_seq, 1)) < 0)
			return -ENAMETOOLONG;
	}
	return -EEXIST;
}

int
ibvsim_ctx_register(const char *dir, const char *ibdev, char **path_out,
		int *read_fd, int *keeper_fd)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	unsigned int seq;
	size_t len;
	int rfd = -1, wfd = -1, flags, ret;

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
	seq = atomic_fetch_add(&ctx_seq, 1);
	if (ctx_entry_name(path + len, sizeof(path) - len, "", seq) < 0)
		return -ENAMETOOLONG;
	/*
	 * Made under a name writers skip (not "<pid>."), opened, then renamed
	 * into place: a writer never finds a FIFO without its reader yet
	 * (it would take it for a dead registration and remove it), and no
	 * lock is needed against writers. A leftover nobody reads under the
	 * same name is replaced, a live one never (ctx_place()).
	 */
	memcpy(tmp, path, len);
	if (ctx_entry_name(tmp + len, sizeof(tmp) - len, CTX_SETTING_UP,
			seq) < 0)
		return -ENAMETOOLONG;
	unlink(tmp);
	if (mkfifo(tmp, 0600) < 0)
		return -errno;
	/* Non-blocking opens: the read end first (no writer yet), then the
	 * keeper (succeeds since a reader exists).
	 */
	rfd = open(tmp, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (rfd < 0)
		goto fail;
	wfd = open(tmp, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
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
	ret = ctx_place(tmp, path, sizeof(path), len);
	if (ret < 0) {
		errno = -ret;
		goto fail;
	}
	*path_out = strdup(path);
	if (*path_out == NULL) {
		unlink(path);
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
	unlink(tmp);
	return ret;
}

long
ibvsim_drain_timeout_ms(void)
{
	const char *s = getenv("IBVSIM_DRAIN_TIMEOUT_MS");
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return IBVSIM_DRAIN_TIMEOUT_DEFAULT_MS;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0 || v > 3600000 ||
			!(*s >= '0' && *s <= '9'))
		return -EINVAL;
	return v;
}

static long
drain_timeout_ms(void)
{
	long v = ibvsim_drain_timeout_ms();

	return v >= 0 ? v : IBVSIM_DRAIN_TIMEOUT_DEFAULT_MS;
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

/*
 * A registration this process may not open (another user's) whose opener
 * is gone. Whether anyone reads it cannot be told without opening it; it
 * is most likely a leftover (a crash, or a forked child's close) that
 * only its user can remove: no reason to refuse or fail every change.
 */
static bool
foreign_leftover(const char *name)
{
	long pid;

	return entry_pid(name, &pid) && pid_gone(pid);
}

/* Called for each registration, live or not (visitors find out): its
 * FIFO's path and its name in the device's directory; a negative return
 * stops the walk.
 */
typedef int (*ctx_visit_fn)(const char *path, const char *name, void *arg);

/*
 * Walk the registrations of a device (DIR/ctx/IBDEV). A registration is
 * alive while its FIFO has a reader, whichever process holds it (a
 * forked child may, after the opener exited): visitors find out by
 * opening it. FIFOs left half set up (new-PID.SEQ) by a process that is
 * gone are skipped, and removed when @p prune (writers do; read-only
 * callers leave the directory alone); those of live processes are not
 * registrations yet.
 */
static int
ctx_walk(const char *dir, const char *ibdev, bool prune, ctx_visit_fn visit,
		void *arg)
{
	char dpath[PATH_MAX], path[PATH_MAX + NAME_MAX + 2];
	struct dirent *de;
	int ret = 0;
	DIR *d;

	if (ctx_dir_path(dpath, sizeof(dpath), dir, ibdev) < 0)
		return -ENAMETOOLONG;
	d = opendir(dpath);
	if (d == NULL)
		return errno == ENOENT ? 0 : -errno;
	while (ret >= 0 && (de = readdir(d)) != NULL) {
		bool setting_up = strncmp(de->d_name, CTX_SETTING_UP,
			strlen(CTX_SETTING_UP)) == 0;
		long pid;

		if (!entry_pid(de->d_name +
				(setting_up ? strlen(CTX_SETTING_UP) : 0), &pid))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dpath, de->d_name);
		if (!setting_up)
			ret = visit(path, de->d_name, arg);
		else if (prune && pid_gone(pid))
			unlink(path);
	}
	closedir(d);
	return ret;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Contexts written to at the same time; more are taken in turns. */
#define IBVSIM_DELIVER_BATCH 32

/* One context being written to. */
struct target {
	int fd;
	uint64_t done;      /* records written */
	int64_t deadline;   /* give up at this time (ms) without progress */
	char name[NAME_MAX + 1]; /* in the device's directory */
};

/*
 * One delivery: n_ev records, count times over, to every context of a
 * device. Each context gets what its FIFO takes at once; those that are
 * full are then waited for together, so that a slow reader delays neither
 * the others' events nor, beyond its own bounded wait, the writer.
 */
struct delivery {
	char dpath[PATH_MAX]; /* the device's directory */
	const struct ibvsim_event_rec *ev;
	size_t n_ev;
	uint64_t total;
	long timeout_ms;
	bool unregister;
	bool raised;        /* a write raised SIGPIPE (reader gone) */
	int ret;
	unsigned int n;     /* targets still being written to */
	struct target t[IBVSIM_DELIVER_BATCH];
};

/* Write what fits without blocking: 0 all written, 1 FIFO full, or -errno. */
static int
push(struct delivery *dl, struct target *t)
{
	struct ibvsim_event_rec chunk[IBVSIM_CHUNK_RECS];
	bool progress = false;
	int ret = 0;

	while (t->done < dl->total) {
		size_t n = 0;
		ssize_t w;

		while (n < IBVSIM_CHUNK_RECS && t->done + n < dl->total) {
			chunk[n] = dl->ev[(t->done + n) % dl->n_ev];
			n++;
		}
		/* At most PIPE_BUF bytes: written whole or not at all. */
		w = write(t->fd, chunk, n * sizeof(chunk[0]));
		if (w >= 0) {
			t->done += (size_t)w / sizeof(chunk[0]);
			progress = true;
			continue;
		}
		if (errno == EINTR)
			continue;
		ret = errno == EAGAIN ? 1 : -errno;
		break;
	}
	if (progress)
		t->deadline = now_ms() + dl->timeout_ms;
	return ret;
}

/* A target is through (r: push()'s result, or -ETIMEDOUT). */
static void
finish(struct delivery *dl, struct target *t, int r)
{
	char path[PATH_MAX + NAME_MAX + 2];

	close(t->fd);
	if (r < 0 && r != -EPIPE && dl->ret == 0)
		dl->ret = r;
	/* EPIPE: its reader closed meanwhile, the registration is dead. */
	if (r == -EPIPE || dl->unregister) {
		snprintf(path, sizeof(path), "%s/%s", dl->dpath, t->name);
		unlink(path);
	}
	if (r == -EPIPE)
		dl->raised = true;
}

/* Wait for the full FIFOs to drain, each at most timeout_ms idle. */
static void
flush(struct delivery *dl)
{
	struct pollfd pfd[IBVSIM_DELIVER_BATCH];
	unsigned int i;

	while (dl->n > 0) {
		int64_t now = now_ms(), first = dl->t[0].deadline;

		for (i = 0; i < dl->n; i++) {
			pfd[i] = (struct pollfd){ .fd = dl->t[i].fd, .events = POLLOUT };
			if (dl->t[i].deadline < first)
				first = dl->t[i].deadline;
		}
		if (poll(pfd, dl->n, first > now ? (int)(first - now) : 0) < 0 &&
				errno != EINTR) {
			int err = -errno;

			for (i = 0; i < dl->n; i++)
				finish(dl, &dl->t[i], err);
			dl->n = 0;
			return;
		}
		now = now_ms();
		for (i = 0; i < dl->n;) {
			struct target *t = &dl->t[i];
			int r = push(dl, t);

			if (r == 1 && now < t->deadline) {
				i++;
				continue;
			}
			finish(dl, t, r == 1 ? -ETIMEDOUT : r);
			*t = dl->t[--dl->n];
		}
	}
}

static int
deliver_visit(const char *path, const char *name, void *arg)
{
	struct delivery *dl = arg;
	struct target *t;
	int r;

	if (dl->n == IBVSIM_DELIVER_BATCH)
		flush(dl);
	t = &dl->t[dl->n];
	t->fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (t->fd < 0) {
		/* ENXIO: nobody reads it (closed, exec'd, dying). */
		if (errno == ENXIO)
			unlink(path);
		/*
		 * ENOENT: closed meanwhile. Anything else (EACCES: a context
		 * that registered after ibvsim_ctx_writable()) is said.
		 */
		else if (errno != ENOENT && dl->ret == 0 &&
				!(errno == EACCES && foreign_leftover(name)))
			dl->ret = -errno;
		return 0;
	}
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->done = 0;
	t->deadline = now_ms() + dl->timeout_ms;
	r = push(dl, t);
	if (r == 1)
		dl->n++;
	else
		finish(dl, t, r);
	return 0;
}

int
ibvsim_deliver(const char *dir, const char *ibdev,
		const struct ibvsim_event_rec *ev, size_t n_ev,
		unsigned int count, bool unregister)
{
	struct sigpipe_guard guard;
	struct delivery *dl;
	int ret;

	dl = malloc(sizeof(*dl));
	if (dl == NULL)
		return -ENOMEM;
	if (ctx_dir_path(dl->dpath, sizeof(dl->dpath), dir, ibdev) < 0) {
		free(dl);
		return -ENAMETOOLONG;
	}
	dl->ev = ev;
	dl->n_ev = n_ev;
	dl->total = n_ev > 0 ? (uint64_t)n_ev * count : 0;
	dl->timeout_ms = drain_timeout_ms();
	dl->unregister = unregister;
	dl->raised = false;
	dl->ret = 0;
	dl->n = 0;
	sigpipe_block(&guard);
	ret = ctx_walk(dir, ibdev, true, deliver_visit, dl);
	flush(dl);
	sigpipe_restore(&guard, dl->raised);
	if (ret == 0)
		ret = dl->ret;
	free(dl);
	return ret;
}

static int
count_visit(const char *path, const char *name, void *arg)
{
	int *count = arg;
	int fd;

	/* A reader is there exactly when a non-blocking write open succeeds;
	 * opening and closing writes nothing.
	 */
	fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0) {
		(*count)++;
		close(fd);
	} else if (errno == EACCES && !foreign_leftover(name)) {
		/* Another user's, its opener alive: taken as read. */
		(*count)++;
	}
	return 0;
}

int
ibvsim_ctx_count(const char *dir, const char *ibdev)
{
	int count = 0, ret;

	ret = ctx_walk(dir, ibdev, false, count_visit, &count);
	return ret < 0 ? ret : count;
}

static int
writable_visit(const char *path, const char *name, void *arg)
{
	(void)arg;
	/* As open() will: with the effective ids. */
	if (faccessat(AT_FDCWD, path, W_OK, AT_EACCESS) == 0 || errno != EACCES)
		return 0;
	return foreign_leftover(name) ? 0 : -EACCES;
}

int
ibvsim_ctx_writable(const char *dir, const char *ibdev)
{
	return ctx_walk(dir, ibdev, false, writable_visit, NULL);
}
