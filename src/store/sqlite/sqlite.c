/*
 * sqlite/sqlite.c — the embedded SQLite dialect's primitives: one database
 * file in WAL mode with synchronous=FULL by default, so a call that
 * returned STORE_OK is on disk and survives a power cut.
 *
 * Writers take the database lock up front (BEGIN IMMEDIATE), so a
 * transaction never deadlocks on a lock upgrade and two workers can never
 * claim the same row: claims are serialized, and each one moves rows out of
 * `pending` in the statement that selects them.  Waiting for the lock is
 * bounded by BUSY_TIMEOUT_MS; past it a call returns STORE_BUSY and wrote
 * nothing.  Every statement is prepared once per handle and takes its
 * values as bound parameters.  The wake-up is inotify on the WAL file.
 */
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/inotify.h>
#include <sqlite3.h>
#include "store/dialect.h"
#include "store/sql.h"
#include "store/sqlite/schema.h"

/* The common statements (sql.h) as SQLite writes them: numbered `?N`
 * parameters (`$N` would be a named one, numbered by first appearance),
 * no casts, the core's `now` parameter for the clock, its index hints. */
static const struct sql_style SQLITE_STYLE = { '?', 0, NULL, 1 };

/* Every statement's text: sqlite_sql[] and the common ones, filled once. */
static const char *sqlite_text[DB_STMT_COUNT];
static pthread_once_t sqlite_text_once = PTHREAD_ONCE_INIT;
static int sqlite_text_rc;

static void sqlite_text_fill(void)
{
	sqlite_text_rc = sql_table(sqlite_sql, &SQLITE_STYLE, sqlite_text);
}

#define BUSY_TIMEOUT_MS 5000
/* SQLite checkpoints its WAL once it holds 1000 pages (4 MiB), and a WAL
 * only restarts from its beginning after a checkpoint: on a disk with
 * less room than that, the WAL grows until the disk is full again, even
 * after space came back (a 2 MiB disk, 512 KiB freed: the finished scans'
 * results never fit).  A connection that met a full disk checkpoints every
 * 64 pages (256 KiB) from then on. */
#define SQ_TIGHT_PAGES 64
#define HEAP_KEEP_BYTES (4 << 20)	/* freed heap top glibc keeps (see keep_heap) */

struct sq {
	struct store base;
	sqlite3 *db;
	char path[PATH_MAX];
	sqlite3_stmt *st[DB_STMT_COUNT];
	int tight;		/* met a full disk: checkpoints every SQ_TIGHT_PAGES */
};

static struct sq *SQ(struct store *s)
{
	return (struct sq *)s;
}

/* Records the database's error and maps it to a store rc. */
static int db_fail(struct sq *q, const char *what)
{
	int code = sqlite3_extended_errcode(q->db);

	snprintf(q->base.err, sizeof q->base.err, "database error while %s: %s",
		 what, sqlite3_errmsg(q->db));
	if ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED)
		return STORE_BUSY;
	if ((code & 0xff) == SQLITE_FULL) {
		q->base.full = 1;	/* an outage (db.c): no space for the WAL or the file */
		if (!q->tight) {
			sqlite3_wal_autocheckpoint(q->db, SQ_TIGHT_PAGES);
			q->tight = 1;
		}
	}
	return STORE_ERROR;
}

static int exec(struct sq *q, const char *sql, const char *what)
{
	char *msg = NULL;

	if (sqlite3_exec(q->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int rc = db_fail(q, what);

		if (msg)
			snprintf(q->base.err, sizeof q->base.err, "database error while %s: %s",
				 what, msg);
		sqlite3_free(msg);
		return rc;
	}
	return STORE_OK;
}

static int sq_begin(struct store *s, int write)
{
	return exec(SQ(s), write ? "BEGIN IMMEDIATE" : "BEGIN", "starting a transaction");
}

static int sq_commit(struct store *s)
{
	struct sq *q = SQ(s);
	int rc = exec(q, "COMMIT", "committing");

	if (rc != STORE_OK && !sqlite3_get_autocommit(q->db))
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static void sq_rollback(struct store *s)
{
	struct sq *q = SQ(s);

	if (!sqlite3_get_autocommit(q->db))
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
}

static int sq_query(struct store *s, enum db_stmt id, const struct db_args *a, struct db_cur *c)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = q->st[id];

	if (!st) {
		if (sqlite3_prepare_v3(q->db, sqlite_text[id], -1, SQLITE_PREPARE_PERSISTENT,
				       &q->st[id], NULL) != SQLITE_OK)
			return db_fail(q, "preparing a statement");
		st = q->st[id];
	} else {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
	/* As strict as PostgreSQL: a parameter left out is a bug of the
	 * caller, not a NULL (SQLite would bind NULL without a word). */
	if ((a ? a->n : 0) < sqlite3_bind_parameter_count(st)) {
		snprintf(q->base.err, sizeof q->base.err, "database error while running a statement:"
			 " it takes %d parameters, %d given (statement %d)",
			 sqlite3_bind_parameter_count(st), a ? a->n : 0, (int)id);
		return STORE_ERROR;
	}
	for (int i = 0; a && i < a->n; i++) {
		const struct db_arg *v = &a->v[i];

		switch (v->type) {
		case 'i': sqlite3_bind_int64(st, i + 1, v->i); break;
		case 'f': sqlite3_bind_double(st, i + 1, v->f); break;
		case 's': sqlite3_bind_text(st, i + 1, v->s, -1, SQLITE_STATIC); break;
		default: sqlite3_bind_null(st, i + 1); break;
		}
	}
	/* The first step runs the statement; next() hands out its rows. */
	c->state = sqlite3_step(st);
	c->h = st;
	c->row = 0;
	if (c->state != SQLITE_ROW && c->state != SQLITE_DONE) {
		int rc = db_fail(q, "running a statement");

		sqlite3_reset(st);
		c->h = NULL;
		return rc;
	}
	c->changes = sqlite3_changes(q->db);
	return STORE_OK;
}

static int sq_next(struct db_cur *c)
{
	sqlite3_stmt *st = c->h;

	if (c->row++ > 0 && c->state == SQLITE_ROW)
		c->state = sqlite3_step(st);
	if (c->state == SQLITE_ROW)
		return 1;
	if (c->state == SQLITE_DONE) {
		c->changes = sqlite3_changes(SQ(c->s)->db);
		return 0;
	}
	return db_fail(SQ(c->s), "reading rows");
}

static int64_t sq_i64(struct db_cur *c, int col) { return sqlite3_column_int64(c->h, col); }
static double sq_f64(struct db_cur *c, int col) { return sqlite3_column_double(c->h, col); }

static const char *sq_text(struct db_cur *c, int col)
{
	return (const char *)sqlite3_column_text(c->h, col);
}

static void sq_done(struct db_cur *c)
{
	sqlite3_reset(c->h);
}

static int sq_script(struct store *s, const char *sql, const char *what)
{
	return exec(SQ(s), sql, what);
}

static void sq_close(struct store *s)
{
	struct sq *q = SQ(s);

	for (int i = 0; i < DB_STMT_COUNT; i++)
		sqlite3_finalize(q->st[i]);
	sqlite3_close_v2(q->db);
	free(q);
}

/* ---- wake-up: inotify on the folder, filtered to the -wal file ---------------------- */

/* The folder is watched rather than the file so the watch survives the WAL
 * file being deleted and created again when the last connection closes. */
struct wal_watch {
	struct store_wakeup base;
	int fd;
	char wal[NAME_MAX + 1];		/* basename of the WAL file */
};

static int watch_fd(struct store_wakeup *w)
{
	return ((struct wal_watch *)w)->fd;
}

static int watch_drain(struct store_wakeup *base)
{
	struct wal_watch *w = (struct wal_watch *)base;
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

static void watch_free(struct store_wakeup *w)
{
	close(((struct wal_watch *)w)->fd);
	free(w);
}

static struct store_wakeup *sq_wakeup_new(struct store *s)
{
	const char *path = SQ(s)->path, *slash = strrchr(path, '/');
	struct wal_watch *w;
	char dir[PATH_MAX];

	if (strcmp(path, ":memory:") == 0)
		return NULL;
	if (slash) {
		size_t n = slash == path ? 1 : (size_t)(slash - path);	/* "/" for /x.db */

		memcpy(dir, path, n);
		dir[n] = '\0';
	} else {
		snprintf(dir, sizeof dir, ".");
	}
	if (!(w = calloc(1, sizeof *w)))
		return NULL;
	w->base = (struct store_wakeup){ "inotify", watch_fd, watch_drain, watch_free };
	if ((size_t)snprintf(w->wal, sizeof w->wal, "%s-wal", slash ? slash + 1 : path)
	    >= sizeof w->wal
	    || (w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0) {
		free(w);
		return NULL;
	}
	if (inotify_add_watch(w->fd, dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO) < 0) {
		close(w->fd);
		free(w);
		return NULL;
	}
	return &w->base;
}

/* After a full disk: the WAL grew into whatever space there was and does
 * not shrink by itself; copy it into the database and truncate it, so
 * that the space is there for the scans that finish next. */
static int sq_space_back(struct store *s)
{
	return exec(SQ(s), "PRAGMA wal_checkpoint(TRUNCATE)", "checkpointing the WAL");
}

static const struct dialect sqlite_dialect = {
	.name = "sqlite",
	.sql = sqlite_text,
	.migrations = sqlite_migrations,
	.caps = 0,
	.close = sq_close,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.query = sq_query,
	.next = sq_next,
	.col_i64 = sq_i64,
	.col_f64 = sq_f64,
	.col_text = sq_text,
	.done = sq_done,
	.script = sq_script,
	.reconnect = NULL,
	.space_back = sq_space_back,
	.wakeup_new = sq_wakeup_new,
};

/*
 * The busy handler: how a writer waits for the database lock.  SQLite's own
 * first sleep is 1 ms and grows to 100 ms; a claim or a commit holds the
 * lock for well under a millisecond, so this one starts at 50 us and
 * doubles up to 2 ms, and stays there for the first second: under heavy
 * contention (a prune's batches against back-to-back claims) a waiter
 * must look often, or it starves.  A lock held past a second is another
 * process's (an outage): from there the sleeps double again up to 64 ms,
 * so that a process waiting out a held lock costs next to no CPU.
 * It gives up after BUSY_TIMEOUT_MS in all.  Returns 1 to try again, 0 to
 * give up (the call then fails with SQLITE_BUSY).
 */
static long busy_sleep_us(int count)
{
	if (count < 6)
		return 50L << count;			/* 50 .. 1600 us: 3150 us */
	if (count < 504)
		return 2000;				/* 498 x 2 ms: to ~1 s */
	return count - 504 < 5 ? 4000L << (count - 504) : 64000;	/* 4 .. 64 ms */
}

static int busy_wait(void *arg, int count)
{
	long waited = 0;
	struct timespec ts;

	for (int i = 0; i < count; i++)
		waited += busy_sleep_us(i);
	if (waited >= BUSY_TIMEOUT_MS * 1000L)
		return 0;
	ts = (struct timespec){ 0, busy_sleep_us(count) * 1000 };
	nanosleep(&ts, NULL);
	return 1;
}

/*
 * Switches a database to WAL.  Two processes creating the same new file at
 * once race for the switch, and SQLite reports that race as SQLITE_BUSY
 * without calling the busy handler, so wait for it here (bounded).
 */
static int enable_wal(struct sq *q)
{
	for (int i = 0; i < 500; i++) {
		char *msg = NULL;
		int rc = sqlite3_exec(q->db, "PRAGMA journal_mode=WAL", NULL, NULL, &msg);

		sqlite3_free(msg);
		if (rc == SQLITE_OK)
			return STORE_OK;
		if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
			break;
		busy_wait(NULL, 3);	/* 400 us */
	}
	return exec(q, "PRAGMA journal_mode=WAL", "enabling WAL");
}

/*
 * SQLite's page cache takes its pages from malloc, a few kilobytes at a
 * time, and hands them back as statements finish.  With glibc's default
 * trim threshold (128 KiB, raised dynamically only by mmap-sized blocks)
 * those frees can land at the top of the heap and be given back to the
 * kernel, to be faulted in again by the next transaction: one build of
 * bench/queue went from 2,000 to 18,000 page faults and lost two thirds of
 * its claim + complete rate to that, from an unrelated change in the
 * heap's layout.  Keeping a few MiB of freed heap (the default cache is
 * 2 MiB a connection) makes the rate independent of such accidents.
 */
static void keep_heap(void)
{
#ifdef __GLIBC__
	mallopt(M_TRIM_THRESHOLD, HEAP_KEEP_BYTES);
#endif
}

struct store *store_sqlite_open(const char *path, char *err, size_t errlen)
{
	static pthread_once_t heap_once = PTHREAD_ONCE_INIT;

	struct sq *q = calloc(1, sizeof *q);
	const char *sync = getenv("SCANQ_SQLITE_SYNCHRONOUS");
	char pragma[96];

	pthread_once(&heap_once, keep_heap);
	pthread_once(&sqlite_text_once, sqlite_text_fill);
	if (!q || sqlite_text_rc != 0) {
		free(q);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	q->base.d = &sqlite_dialect;
	if (strlen(path) >= sizeof q->path) {
		snprintf(err, errlen, "database path too long");
		free(q);
		return NULL;
	}
	snprintf(q->path, sizeof q->path, "%s", path);
	if (sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
			    | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open database %s: %s", path,
			 q->db ? sqlite3_errmsg(q->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_handler(q->db, busy_wait, NULL);
	sqlite3_extended_result_codes(q->db, 1);
	/* Only FULL and NORMAL are offered: OFF would lose committed scans. */
	if (sync && strcmp(sync, "FULL") != 0 && strcmp(sync, "NORMAL") != 0) {
		snprintf(err, errlen, "SCANQ_SQLITE_SYNCHRONOUS must be FULL or NORMAL, not '%s'",
			 sync);
		goto fail;
	}
	snprintf(pragma, sizeof pragma, "PRAGMA synchronous=%s", sync ? sync : "FULL");
	if (enable_wal(q) < 0
	    || exec(q, pragma, "setting synchronous") < 0
	    || exec(q, "PRAGMA foreign_keys=ON", "enabling foreign keys") < 0) {
		snprintf(err, errlen, "cannot open database %s: %s", path, q->base.err);
		goto fail;
	}
	return &q->base;
fail:
	sqlite3_close_v2(q->db);
	free(q);
	return NULL;
}
