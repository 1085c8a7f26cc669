/*
 * wakeup.c — inotify on the folder of a SQLite database, filtered to its
 * -wal file (see wakeup.h).  The folder is watched rather than the file so
 * the watch survives the WAL file being deleted and created again when the
 * last connection closes and a new one opens.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libpq-fe.h>
#include <sys/inotify.h>
#include "wakeup.h"

struct wakeup {
	int fd;				/* inotify; or the PostgreSQL socket */
	char wal[NAME_MAX + 1];		/* basename of the WAL file */
	PGconn *pg;			/* a LISTEN connection, or NULL */
};

/*
 * PostgreSQL: a connection of its own that LISTENs on scanq_pending, which
 * every submission and retry NOTIFYs when it commits (store_pg.c).  The
 * socket is the descriptor to poll.
 */
static struct wakeup *listen_pg(const char *db_url)
{
	struct wakeup *w = calloc(1, sizeof *w);
	PGresult *res;

	if (!w)
		return NULL;
	w->pg = PQconnectdb(db_url);
	if (PQstatus(w->pg) != CONNECTION_OK)
		goto fail;
	res = PQexec(w->pg, "LISTEN scanq_pending");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		PQclear(res);
		goto fail;
	}
	PQclear(res);
	if (PQsetnonblocking(w->pg, 1) != 0 || (w->fd = PQsocket(w->pg)) < 0)
		goto fail;
	return w;
fail:
	PQfinish(w->pg);
	free(w);
	return NULL;
}

/* Reads PostgreSQL notifications without blocking.  A broken connection
 * reports a change (the worker claims, and polls on) and reconnects. */
static int drain_pg(struct wakeup *w)
{
	PGnotify *n;
	int changed = 0;

	if (PQconsumeInput(w->pg) == 0 || PQstatus(w->pg) != CONNECTION_OK) {
		PQreset(w->pg);
		if (PQstatus(w->pg) == CONNECTION_OK) {
			PGresult *res = PQexec(w->pg, "LISTEN scanq_pending");
			PQclear(res);
			PQsetnonblocking(w->pg, 1);
		}
		w->fd = PQsocket(w->pg);
		return 1;
	}
	while ((n = PQnotifies(w->pg)) != NULL) {
		changed = 1;
		PQfreemem(n);
	}
	return changed;
}

struct wakeup *wakeup_new(const char *db_url)
{
	char dir[PATH_MAX];
	const char *path = db_url, *slash;
	struct wakeup *w;

	if (!path)
		return NULL;
	if (strncmp(path, "postgres://", 11) == 0 || strncmp(path, "postgresql://", 13) == 0)
		return listen_pg(db_url);
	if (strncmp(path, "sqlite://", 9) == 0)
		path += 9;
	else if (strstr(path, "://"))
		return NULL;
	if (!*path || strcmp(path, ":memory:") == 0)
		return NULL;
	slash = strrchr(path, '/');
	if (slash) {
		size_t n = (size_t)(slash - path);
		if (n == 0)
			n = 1;	/* the database is in / */
		if (n >= sizeof dir)
			return NULL;
		memcpy(dir, path, n);
		dir[n] = '\0';
	} else {
		dir[0] = '.';
		dir[1] = '\0';
	}
	w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	if ((size_t)snprintf(w->wal, sizeof w->wal, "%s-wal", slash ? slash + 1 : path)
	    >= sizeof w->wal)
		goto fail;
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0)
		goto fail;
	if (inotify_add_watch(w->fd, dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO) < 0) {
		close(w->fd);
		goto fail;
	}
	return w;
fail:
	free(w);
	return NULL;
}

int wakeup_fd(const struct wakeup *w)
{
	return w->fd;
}

int wakeup_drain(struct wakeup *w)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int changed = 0;

	if (w->pg)
		return drain_pg(w);
	for (;;) {
		ssize_t n = read(w->fd, buf, sizeof buf);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			/* An overflowed queue may have dropped ours: assume a change. */
			if ((ev->mask & IN_Q_OVERFLOW)
			    || (ev->len && strcmp(ev->name, w->wal) == 0))
				changed = 1;
			p += sizeof *ev + ev->len;
		}
	}
	return changed;
}

void wakeup_free(struct wakeup *w)
{
	if (!w)
		return;
	if (w->pg)
		PQfinish(w->pg);	/* closes its socket */
	else
		close(w->fd);
	free(w);
}
