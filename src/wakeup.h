/*
 * wakeup.h — "the database changed": an instant wake-up for workers on an
 * embedded SQLite database.
 *
 * Every commit to a SQLite database in WAL mode appends to its DB-wal file,
 * whichever process made it (the API, `scanq submit`, a schedule, lease
 * recovery).  A wakeup watches the database's folder with inotify and
 * reports a modification of that one file.  It says nothing about what
 * changed: the worker answers it with a claim, which finds the new work or
 * nothing.  An empty claim writes no page, so it wakes nobody in turn.
 * Because a change can also be missed (another host, a file system without
 * inotify), the worker still polls at config.poll_ms as a fallback; the
 * wake-up only makes pickup fast, never correct.
 */
#ifndef SCANQ_WAKEUP_H
#define SCANQ_WAKEUP_H

struct wakeup;

/*
 * Watches the database named by `db_url` (sqlite://PATH or a plain path).
 * Returns NULL when the URL names no local SQLite file or inotify is not
 * available; the caller then polls.  Free with wakeup_free().
 */
struct wakeup *wakeup_new(const char *db_url);

/* The descriptor to poll for POLLIN. */
int wakeup_fd(const struct wakeup *w);

/* Reads the pending events without blocking.  Returns 1 if the database's
 * WAL file was written since the last call, 0 otherwise. */
int wakeup_drain(struct wakeup *w);

/* Closes the watch; NULL is a no-op. */
void wakeup_free(struct wakeup *w);

#endif
