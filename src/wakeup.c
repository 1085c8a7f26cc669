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
#include <sys/inotify.h>
#include "wakeup.h"

struct wakeup {
	int fd;
	char wal[NAME_MAX + 1];		/* basename of the WAL file */
};

struct wakeup *wakeup_new(const char *db_url)
{
	char dir[PATH_MAX];
	const char *path = db_url, *slash;
	struct wakeup *w;

	if (!path)
		return NULL;
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
	close(w->fd);
	free(w);
}
