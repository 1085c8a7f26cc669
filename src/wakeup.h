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
 *
 * On PostgreSQL the same interface LISTENs on the channel scanq_pending,
 * which submissions and retries NOTIFY when they commit.
 */
#ifndef SCANQ_WAKEUP_H
#define SCANQ_WAKEUP_H

struct wakeup;

/*
 * Watches the database named by `db_url`: a local SQLite file (sqlite://PATH
 * or a plain path) with inotify, or a PostgreSQL database with LISTEN.
 * Returns NULL when neither is possible; the caller then polls.  Free with
 * wakeup_free().
 */
struct wakeup *wakeup_new(const char *db_url);

/* The descriptor to poll for POLLIN. */
int wakeup_fd(const struct wakeup *w);

/* Reads the pending events without blocking.  Returns 1 if the database
 * changed since the last call (or may have: a lost PostgreSQL connection),
 * 0 otherwise.  The descriptor may change after a reconnect: ask
 * wakeup_fd() again before each poll. */
int wakeup_drain(struct wakeup *w);

/* Closes the watch; NULL is a no-op. */
void wakeup_free(struct wakeup *w);

#endif
