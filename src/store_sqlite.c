/*
 * store_sqlite.c — the embedded SQLite backend of store.h.
 *
 * One database file in WAL mode with synchronous=FULL by default: a call
 * that returned STORE_OK is on disk and survives a power cut.  Writers take
 * the database lock up front (BEGIN IMMEDIATE), so a transaction never
 * deadlocks on a lock upgrade and two workers can never claim the same
 * row: claims are serialized, and each one moves rows out of `pending` in
 * the same transaction that selects them.  Waiting for the lock is bounded
 * by busy_timeout; past it a call returns STORE_BUSY and wrote nothing.
 *
 * Every statement is prepared once per handle from the table below and
 * takes its values as bound parameters.  Status counts are kept by
 * triggers in the same transaction as the change, so queue status never
 * counts the whole table.  Times are milliseconds since the epoch from the
 * host clock, which is the database's clock for an embedded database.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sqlite3.h>
#include "store_impl.h"

#define BUSY_TIMEOUT_MS 5000

/* ---- schema ------------------------------------------------------------ */

/*
 * The migrations, oldest first.  Each runs in one transaction together with
 * its row in schema_migrations.  They never give an existing row a new
 * status: `status` has no default, so a migration cannot make an old
 * finished scan pending by accident (the seeds' re-run bug).
 */
static const struct migration {
	int version;
	const char *name;
	const char *sql;
} migrations[] = {
	{ 1, "scans, scan events and status counts",
	  "CREATE TABLE scans ("
	  " id INTEGER PRIMARY KEY,"
	  " type TEXT NOT NULL,"
	  " targets TEXT NOT NULL,"
	  " options TEXT NOT NULL DEFAULT '{}',"
	  " status TEXT NOT NULL CHECK (status IN"
	  "  ('pending','running','completed','failed','cancelled')),"
	  " priority INTEGER NOT NULL DEFAULT 0,"
	  " attempt INTEGER NOT NULL DEFAULT 0,"
	  " attempt_base INTEGER NOT NULL DEFAULT 0,"
	  " max_attempts INTEGER NOT NULL DEFAULT 3,"
	  " run_after INTEGER NOT NULL,"
	  " created_at INTEGER NOT NULL,"
	  " claimed_at INTEGER,"
	  " finished_at INTEGER,"
	  " lease_expires_at INTEGER,"
	  " worker_id TEXT,"
	  " cancel_requested INTEGER NOT NULL DEFAULT 0,"
	  " progress REAL NOT NULL DEFAULT 0,"
	  " error_code TEXT,"
	  " error_message TEXT,"
	  " error_detail TEXT,"
	  " summary TEXT,"
	  " idempotency_key TEXT UNIQUE);"
	  "CREATE INDEX scans_claim ON scans(priority DESC, id) WHERE status = 'pending';"
	  "CREATE INDEX scans_pending_age ON scans(created_at) WHERE status = 'pending';"
	  "CREATE INDEX scans_lease ON scans(lease_expires_at) WHERE status = 'running';"
	  "CREATE INDEX scans_running_worker ON scans(worker_id) WHERE status = 'running';"
	  "CREATE INDEX scans_status_id ON scans(status, id);"
	  "CREATE INDEX scans_type_id ON scans(type, id);"
	  "CREATE TABLE scan_events ("
	  " id INTEGER PRIMARY KEY,"
	  " scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,"
	  " at INTEGER NOT NULL,"
	  " from_status TEXT,"
	  " to_status TEXT NOT NULL,"
	  " attempt INTEGER NOT NULL,"
	  " worker_id TEXT,"
	  " reason TEXT);"
	  "CREATE INDEX scan_events_scan ON scan_events(scan_id, id);"
	  "CREATE INDEX scan_events_at ON scan_events(at);"
	  "CREATE TABLE scan_counts ("
	  " type TEXT NOT NULL, status TEXT NOT NULL, n INTEGER NOT NULL,"
	  " PRIMARY KEY (type, status)) WITHOUT ROWID;"
	  "CREATE TRIGGER scans_count_insert AFTER INSERT ON scans BEGIN"
	  " INSERT INTO scan_counts(type, status, n) VALUES (NEW.type, NEW.status, 1)"
	  "  ON CONFLICT(type, status) DO UPDATE SET n = n + 1;"
	  " END;"
	  "CREATE TRIGGER scans_count_update AFTER UPDATE OF status ON scans"
	  " WHEN OLD.status IS NOT NEW.status BEGIN"
	  " UPDATE scan_counts SET n = n - 1 WHERE type = OLD.type AND status = OLD.status;"
	  " INSERT INTO scan_counts(type, status, n) VALUES (NEW.type, NEW.status, 1)"
	  "  ON CONFLICT(type, status) DO UPDATE SET n = n + 1;"
	  " END;"
	  "CREATE TRIGGER scans_count_delete AFTER DELETE ON scans BEGIN"
	  " UPDATE scan_counts SET n = n - 1 WHERE type = OLD.type AND status = OLD.status;"
	  " END;"
	  "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
	  "INSERT INTO counters(name, value) VALUES ('submitted', 0), ('claims', 0),"
	  " ('completed', 0), ('failed', 0), ('cancelled', 0), ('retries', 0),"
	  " ('lease_recoveries', 0), ('fenced_writes', 0);" },
	{ 2, "per-scan time limit and the worker registry",
	  "ALTER TABLE scans ADD COLUMN time_limit_s INTEGER NOT NULL DEFAULT 1800;"
	  "CREATE TABLE workers ("
	  " name TEXT PRIMARY KEY,"
	  " host TEXT NOT NULL,"
	  " pid INTEGER NOT NULL,"
	  " started_at INTEGER NOT NULL,"
	  " heartbeat_at INTEGER NOT NULL,"
	  " concurrency INTEGER NOT NULL,"
	  " running INTEGER NOT NULL DEFAULT 0,"
	  " scans_done INTEGER NOT NULL DEFAULT 0,"
	  " last_exit TEXT) WITHOUT ROWID;" },
	{ 3, "findings and API tokens",
	  "CREATE TABLE findings ("
	  " id INTEGER PRIMARY KEY,"
	  " scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,"
	  " kind TEXT NOT NULL,"
	  " target TEXT,"
	  " port INTEGER,"
	  " proto TEXT,"
	  " service TEXT,"
	  " severity TEXT NOT NULL DEFAULT 'info',"
	  " title TEXT,"
	  " detail TEXT,"
	  " created_at INTEGER NOT NULL);"
	  "CREATE INDEX findings_scan ON findings(scan_id, id);"
	  "CREATE TABLE tokens ("
	  " id INTEGER PRIMARY KEY,"
	  " name TEXT NOT NULL,"
	  " role TEXT NOT NULL CHECK (role IN ('viewer','operator','admin')),"
	  " hash TEXT NOT NULL,"
	  " created_at INTEGER NOT NULL);" },
	{ 4, "indexes for the stuck report and pruning",
	  "CREATE INDEX scans_pending_due ON scans(run_after) WHERE status = 'pending';"
	  "CREATE INDEX scans_finished ON scans(finished_at) WHERE finished_at IS NOT NULL;" },
	{ 5, "workers record when they stopped",
	  "ALTER TABLE workers ADD COLUMN stopped_at INTEGER;" },
	{ 6, "an index for the last minute's finished scans",
	  "CREATE INDEX scan_events_finished ON scan_events(at)"
	  " WHERE to_status IN ('completed', 'failed', 'cancelled');" },
	{ 7, "the scan duration histogram, kept by a trigger",
	  "INSERT INTO counters(name, value) VALUES ('scan_duration_count', 0),"
	  " ('scan_duration_sum_ms', 0), ('scan_duration_b0', 0), ('scan_duration_b1', 0), ('scan_duration_b2', 0), ('scan_duration_b3', 0), ('scan_duration_b4', 0), ('scan_duration_b5', 0), ('scan_duration_b6', 0), ('scan_duration_b7', 0), ('scan_duration_b8', 0), ('scan_duration_b9', 0), ('scan_duration_b10', 0), ('scan_duration_b11', 0);"
	  "CREATE TRIGGER scans_duration AFTER UPDATE OF status ON scans"
	  " WHEN NEW.status = 'completed' AND NEW.claimed_at IS NOT NULL"
	  " AND NEW.finished_at >= NEW.claimed_at BEGIN"
	  " UPDATE counters SET value = value + 1 WHERE name = 'scan_duration_count';"
	  " UPDATE counters SET value = value + NEW.finished_at - NEW.claimed_at"
	  "  WHERE name = 'scan_duration_sum_ms';"
	  " UPDATE counters SET value = value + 1 WHERE name = 'scan_duration_b' ||"
	  "  (CASE WHEN NEW.finished_at - NEW.claimed_at <= 1000 THEN 0 WHEN NEW.finished_at - NEW.claimed_at <= 5000 THEN 1 WHEN NEW.finished_at - NEW.claimed_at <= 10000 THEN 2 WHEN NEW.finished_at - NEW.claimed_at <= 30000 THEN 3 WHEN NEW.finished_at - NEW.claimed_at <= 60000 THEN 4 WHEN NEW.finished_at - NEW.claimed_at <= 300000 THEN 5 WHEN NEW.finished_at - NEW.claimed_at <= 900000 THEN 6 WHEN NEW.finished_at - NEW.claimed_at <= 1800000 THEN 7 WHEN NEW.finished_at - NEW.claimed_at <= 3600000 THEN 8 WHEN NEW.finished_at - NEW.claimed_at <= 7200000 THEN 9 WHEN NEW.finished_at - NEW.claimed_at <= 21600000 THEN 10 ELSE 11 END);"
	  " END;" },
};

#define NMIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

/* ---- statements ---------------------------------------------------------- */

#define SCAN_COLS "id, type, targets, options, status, priority, attempt, max_attempts," \
	" time_limit_s, run_after, created_at, claimed_at, finished_at, lease_expires_at," \
	" worker_id, cancel_requested, progress, error_code, error_message, error_detail," \
	" summary, idempotency_key"

#define FINDING_COLS "id, scan_id, kind, target, port, proto, service, severity, title," \
	" detail, created_at"

enum stmt_id {
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK,
	ST_KEY_LOOKUP, ST_INSERT_SCAN, ST_EVENT, ST_COUNT,
	ST_GET, ST_LIST_ALL, ST_LIST_STATUS, ST_LIST_TYPE, ST_LIST_BOTH, ST_EVENTS,
	ST_CLAIM, ST_HEARTBEAT, ST_COMPLETE, ST_FINDING_INSERT,
	ST_RUNNING_ROW, ST_SET_PENDING, ST_SET_FINAL,
	ST_EXPIRED, ST_STATUS_OF, ST_CANCEL_REQUEST, ST_RETRY,
	ST_FINDINGS, ST_EXISTS,
	ST_COUNTS, ST_OLDEST_PENDING, ST_FINISHED_SINCE, ST_WORKER_BEATS, ST_COUNTERS,
	ST_WORKER_UPSERT, ST_WORKER_BEAT, ST_WORKER_EXIT, ST_WORKER_LIST, ST_WORKER_RUNNING,
	ST_TOKEN_INSERT, ST_TOKEN_GET, ST_TOKEN_ANY,
	ST_STUCK_PENDING, ST_STUCK_RUNNING, ST_STUCK_PENDING_N, ST_STUCK_RUNNING_N,
	ST_PRUNE, ST_PRUNE_COUNT,
	ST_COUNT_OF_STMTS
};

static const char *const stmt_sql[ST_COUNT_OF_STMTS] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_KEY_LOOKUP] = "SELECT id FROM scans WHERE idempotency_key = ?1",
	[ST_INSERT_SCAN] =
		"INSERT INTO scans (type, targets, options, status, priority, max_attempts,"
		" time_limit_s, run_after, created_at, idempotency_key)"
		" VALUES (?1, ?2, ?3, 'pending', ?4, ?5, ?6, ?7, ?7, ?8)",
	[ST_EVENT] =
		"INSERT INTO scan_events (scan_id, at, from_status, to_status, attempt,"
		" worker_id, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_COUNT] = "UPDATE counters SET value = value + ?2 WHERE name = ?1",
	[ST_GET] = "SELECT " SCAN_COLS " FROM scans WHERE id = ?1",
	[ST_LIST_ALL] = "SELECT " SCAN_COLS " FROM scans WHERE id < ?3"
		" ORDER BY id DESC LIMIT ?4",
	[ST_LIST_STATUS] = "SELECT " SCAN_COLS " FROM scans WHERE status = ?1 AND id < ?3"
		" ORDER BY id DESC LIMIT ?4",
	[ST_LIST_TYPE] = "SELECT " SCAN_COLS " FROM scans WHERE type = ?2 AND id < ?3"
		" ORDER BY id DESC LIMIT ?4",
	[ST_LIST_BOTH] = "SELECT " SCAN_COLS " FROM scans WHERE status = ?1 AND type = ?2"
		" AND id < ?3 ORDER BY id DESC LIMIT ?4",
	[ST_EVENTS] = "SELECT id, scan_id, at, from_status, to_status, attempt, worker_id,"
		" reason FROM scan_events WHERE scan_id = ?1 ORDER BY id LIMIT ?2",
	/* INDEXED BY: the planner would otherwise pick scans_status_id and sort
	 * every pending row on each claim (measured: 10k/s instead of 40k/s). */
	[ST_CLAIM] =
		"UPDATE scans SET status = 'running', attempt = attempt + 1, worker_id = ?1,"
		" claimed_at = ?2, lease_expires_at = ?2 + ?3, progress = 0"
		" WHERE id IN (SELECT id FROM scans INDEXED BY scans_claim"
		"  WHERE status = 'pending' AND run_after <= ?2"
		"  ORDER BY priority DESC, id LIMIT ?4)"
		" RETURNING " SCAN_COLS,
	[ST_HEARTBEAT] =
		"UPDATE scans SET lease_expires_at = ?3,"
		" progress = CASE WHEN ?4 >= 0 THEN ?4 ELSE progress END"
		" WHERE id = ?1 AND attempt = ?2 AND status = 'running'"
		" RETURNING cancel_requested",
	[ST_COMPLETE] =
		"UPDATE scans SET status = 'completed', finished_at = ?3, progress = 1,"
		" summary = ?4, lease_expires_at = NULL, error_code = NULL,"
		" error_message = NULL, error_detail = NULL"
		" WHERE id = ?1 AND attempt = ?2 AND status = 'running'"
		" RETURNING worker_id",
	[ST_FINDING_INSERT] =
		"INSERT INTO findings (scan_id, kind, target, port, proto, service, severity,"
		" title, detail, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[ST_RUNNING_ROW] =
		"SELECT attempt - attempt_base, max_attempts, cancel_requested, worker_id"
		" FROM scans WHERE id = ?1 AND attempt = ?2 AND status = 'running'",
	[ST_SET_PENDING] =
		"UPDATE scans SET status = 'pending', run_after = ?3, lease_expires_at = NULL,"
		" attempt_base = attempt_base + ?4,"
		" error_code = coalesce(?5, error_code), error_message = coalesce(?6, error_message),"
		" error_detail = coalesce(?7, error_detail)"
		" WHERE id = ?1 AND attempt = ?2 AND status = 'running'",
	[ST_SET_FINAL] =
		"UPDATE scans SET status = ?3, finished_at = ?4, lease_expires_at = NULL,"
		" error_code = ?5, error_message = ?6, error_detail = ?7"
		" WHERE id = ?1 AND attempt = ?2 AND status = ?8",
	[ST_EXPIRED] =
		"SELECT id, attempt, attempt - attempt_base, max_attempts, cancel_requested,"
		" worker_id FROM scans INDEXED BY scans_lease"
		" WHERE status = 'running' AND lease_expires_at < ?1"
		" ORDER BY lease_expires_at LIMIT 500",
	[ST_STATUS_OF] = "SELECT status, attempt, cancel_requested FROM scans WHERE id = ?1",
	[ST_CANCEL_REQUEST] =
		"UPDATE scans SET cancel_requested = 1 WHERE id = ?1 AND status = 'running'",
	[ST_RETRY] =
		"UPDATE scans SET status = 'pending', attempt_base = attempt, run_after = ?2,"
		" finished_at = NULL, cancel_requested = 0, progress = 0, error_code = NULL,"
		" error_message = NULL, error_detail = NULL"
		" WHERE id = ?1 AND status IN ('failed', 'cancelled')",
	[ST_FINDINGS] = "SELECT " FINDING_COLS " FROM findings WHERE scan_id = ?1 AND id > ?2"
		" ORDER BY id LIMIT ?3",
	[ST_EXISTS] = "SELECT 1 FROM scans WHERE id = ?1",
	[ST_COUNTS] = "SELECT type, status, n FROM scan_counts WHERE n <> 0 ORDER BY type",
	[ST_OLDEST_PENDING] =
		"SELECT created_at FROM scans INDEXED BY scans_pending_age"
		" WHERE status = 'pending' ORDER BY created_at LIMIT 1",
	/* Only the finished events of the last minute, not every submission of
	 * a burst (measured: 2-4 ms right after 44k submits, ~0 with the index). */
	[ST_FINISHED_SINCE] =
		"SELECT count(*) FROM scan_events INDEXED BY scan_events_finished WHERE at >= ?1"
		" AND to_status IN ('completed', 'failed', 'cancelled')",
	[ST_WORKER_BEATS] = "SELECT heartbeat_at, running FROM workers WHERE stopped_at IS NULL",
	[ST_COUNTERS] = "SELECT name, value FROM counters",
	[ST_WORKER_UPSERT] =
		"INSERT INTO workers (name, host, pid, started_at, heartbeat_at, concurrency,"
		" running, scans_done) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, 0)"
		" ON CONFLICT(name) DO UPDATE SET host = excluded.host, pid = excluded.pid,"
		" started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at,"
		" concurrency = excluded.concurrency, running = 0, scans_done = 0, stopped_at = NULL",
	[ST_WORKER_BEAT] =
		"UPDATE workers SET heartbeat_at = ?2, running = ?3, scans_done = ?4 WHERE name = ?1",
	[ST_WORKER_EXIT] = "UPDATE workers SET last_exit = ?2, running = 0, stopped_at = ?3"
		" WHERE name = ?1",
	[ST_WORKER_LIST] =
		"SELECT name, host, pid, started_at, heartbeat_at, concurrency, running,"
		" scans_done, coalesce(last_exit, ''), stopped_at FROM workers ORDER BY name",
	[ST_WORKER_RUNNING] =
		"SELECT id FROM scans INDEXED BY scans_running_worker"
		" WHERE status = 'running' AND worker_id = ?1 ORDER BY id LIMIT 16",
	[ST_TOKEN_INSERT] =
		"INSERT INTO tokens (name, role, hash, created_at) VALUES (?1, ?2, ?3, ?4)",
	[ST_TOKEN_GET] = "SELECT role, hash FROM tokens WHERE id = ?1",
	[ST_TOKEN_ANY] = "SELECT EXISTS (SELECT 1 FROM tokens)",
	[ST_STUCK_PENDING] =
		"SELECT id, type, status, attempt, coalesce(worker_id, ''), run_after"
		" FROM scans INDEXED BY scans_pending_due"
		" WHERE status = 'pending' AND run_after <= ?1 ORDER BY run_after LIMIT ?2",
	[ST_STUCK_RUNNING] =
		"SELECT id, type, status, attempt, coalesce(worker_id, ''), lease_expires_at"
		" FROM scans INDEXED BY scans_lease"
		" WHERE status = 'running' AND lease_expires_at < ?1 ORDER BY lease_expires_at LIMIT ?2",
	[ST_STUCK_PENDING_N] = "SELECT count(*) FROM scans INDEXED BY scans_pending_due"
		" WHERE status = 'pending' AND run_after <= ?1",
	[ST_STUCK_RUNNING_N] = "SELECT count(*) FROM scans INDEXED BY scans_lease"
		" WHERE status = 'running' AND lease_expires_at < ?1",
	/* Events and findings go with their scan (ON DELETE CASCADE); the count
	 * trigger keeps scan_counts right. */
	[ST_PRUNE] =
		"DELETE FROM scans WHERE id IN (SELECT id FROM scans INDEXED BY scans_finished"
		" WHERE finished_at < ?1 AND status IN ('completed', 'failed', 'cancelled')"
		" ORDER BY finished_at LIMIT ?2)",
	[ST_PRUNE_COUNT] =
		"SELECT count(*) FROM scans INDEXED BY scans_finished"
		" WHERE finished_at < ?1 AND status IN ('completed', 'failed', 'cancelled')",
};

struct sq {
	struct store base;
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT_OF_STMTS];
};

static struct sq *SQ(struct store *s)
{
	return (struct sq *)s;
}

/* Records the database's error for the caller and maps it to a store rc. */
static int db_fail(struct sq *q, const char *what)
{
	int code = sqlite3_extended_errcode(q->db);

	snprintf(q->base.err, sizeof q->base.err, "database error while %s: %s",
		 what, sqlite3_errmsg(q->db));
	if ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED)
		return STORE_BUSY;
	return STORE_ERROR;
}

/* Returns the prepared statement `id`, reset and with no bindings, or NULL. */
static sqlite3_stmt *prep(struct sq *q, enum stmt_id id)
{
	sqlite3_stmt *st = q->st[id];

	if (!st) {
		if (sqlite3_prepare_v3(q->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
				       &q->st[id], NULL) != SQLITE_OK) {
			db_fail(q, "preparing a statement");
			return NULL;
		}
		return q->st[id];
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

/* Runs a statement that returns no rows.  Returns SQLITE_DONE on success. */
static int run(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc;
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static int begin(struct sq *q)
{
	sqlite3_stmt *st = prep(q, ST_BEGIN);

	if (!st || run(st) != SQLITE_DONE)
		return db_fail(q, "starting a transaction");
	return STORE_OK;
}

static int commit(struct sq *q)
{
	sqlite3_stmt *st = prep(q, ST_COMMIT);

	if (!st || run(st) != SQLITE_DONE) {
		int rc = db_fail(q, "committing");
		if (!sqlite3_get_autocommit(q->db))
			run(prep(q, ST_ROLLBACK));
		return rc;
	}
	return STORE_OK;
}

static void rollback(struct sq *q)
{
	char keep[sizeof q->base.err];

	if (sqlite3_get_autocommit(q->db))
		return;
	memcpy(keep, q->base.err, sizeof keep);	/* report the first error, not this one */
	run(prep(q, ST_ROLLBACK));
	memcpy(q->base.err, keep, sizeof keep);
}

/* Appends one event to a scan's timeline (inside the caller's transaction). */
static int add_event(struct sq *q, int64_t scan_id, int64_t now, const char *from,
		     const char *to, int attempt, const char *worker, const char *reason)
{
	sqlite3_stmt *st = prep(q, ST_EVENT);

	if (!st)
		return STORE_ERROR;
	sqlite3_bind_int64(st, 1, scan_id);
	sqlite3_bind_int64(st, 2, now);
	bind_text(st, 3, from);
	sqlite3_bind_text(st, 4, to, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, attempt);
	bind_text(st, 6, worker && *worker ? worker : NULL);
	bind_text(st, 7, reason);
	if (run(st) != SQLITE_DONE)
		return db_fail(q, "recording an event");
	return STORE_OK;
}

static int bump(struct sq *q, const char *counter, int64_t by)
{
	sqlite3_stmt *st;

	if (by == 0)
		return STORE_OK;
	st = prep(q, ST_COUNT);
	if (!st)
		return STORE_ERROR;
	sqlite3_bind_text(st, 1, counter, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, by);
	if (run(st) != SQLITE_DONE)
		return db_fail(q, "updating a counter");
	return STORE_OK;
}

static char *col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? strdup((const char *)t) : NULL;
}

static void col_copy(sqlite3_stmt *st, int i, char *dst, size_t len)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	snprintf(dst, len, "%s", t ? (const char *)t : "");
}

/* Fills *s from a row of SCAN_COLS. */
static void read_scan(sqlite3_stmt *st, struct scan *s)
{
	char status[16];

	memset(s, 0, sizeof *s);
	s->id = sqlite3_column_int64(st, 0);
	col_copy(st, 1, s->type, sizeof s->type);
	s->targets = col_dup(st, 2);
	s->options = col_dup(st, 3);
	col_copy(st, 4, status, sizeof status);
	if (scan_status_parse(status, &s->status) < 0)
		s->status = SCAN_FAILED;	/* CHECK constraint makes this unreachable */
	s->priority = sqlite3_column_int(st, 5);
	s->attempt = sqlite3_column_int(st, 6);
	s->max_attempts = sqlite3_column_int(st, 7);
	s->time_limit_s = sqlite3_column_int(st, 8);
	s->run_after = sqlite3_column_int64(st, 9);
	s->created_at = sqlite3_column_int64(st, 10);
	s->claimed_at = sqlite3_column_int64(st, 11);
	s->finished_at = sqlite3_column_int64(st, 12);
	s->lease_expires_at = sqlite3_column_int64(st, 13);
	col_copy(st, 14, s->worker_id, sizeof s->worker_id);
	s->cancel_requested = sqlite3_column_int(st, 15);
	s->progress = sqlite3_column_double(st, 16);
	col_copy(st, 17, s->error_code, sizeof s->error_code);
	s->error_message = col_dup(st, 18);
	s->error_detail = col_dup(st, 19);
	s->summary = col_dup(st, 20);
	s->idempotency_key = col_dup(st, 21);
}

/* Steps st to the end, collecting SCAN_COLS rows into a new array (cap max). */
static int collect_scans(struct sq *q, sqlite3_stmt *st, size_t max, struct scan **out,
			 size_t *n, const char *what)
{
	struct scan *arr = NULL;
	size_t cnt = 0;
	int rc;

	*out = NULL;
	*n = 0;
	arr = calloc(max ? max : 1, sizeof *arr);
	if (!arr)
		return store_set_error(&q->base, "out of memory");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && cnt < max)
		read_scan(st, &arr[cnt++]);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		rc = db_fail(q, what);
		sqlite3_reset(st);
		scan_array_free(arr, cnt);
		return rc;
	}
	sqlite3_reset(st);
	*out = arr;
	*n = cnt;
	return STORE_OK;
}

/* ---- open, close, migrate ---------------------------------------------- */

static int exec(struct sq *q, const char *sql, const char *what)
{
	char *msg = NULL;

	if (sqlite3_exec(q->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(q->base.err, sizeof q->base.err, "database error while %s: %s",
			 what, msg ? msg : sqlite3_errmsg(q->db));
		sqlite3_free(msg);
		return STORE_ERROR;
	}
	return STORE_OK;
}

static int sq_schema_latest(struct store *s)
{
	return migrations[NMIGRATIONS - 1].version;
}

static int sq_schema_version(struct store *s)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = NULL;
	int v = -1;

	if (sqlite3_prepare_v2(q->db, "SELECT coalesce(max(version), 0) FROM schema_migrations",
			       -1, &st, NULL) != SQLITE_OK) {
		/* no table yet: an empty database is at version 0 */
		v = sqlite3_errcode(q->db) == SQLITE_ERROR ? 0 : -1;
		if (v < 0)
			db_fail(q, "reading the schema version");
		goto out;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	else
		db_fail(q, "reading the schema version");
out:
	sqlite3_finalize(st);
	return v;
}

static int sq_migrate(struct store *s, int target, int *applied)
{
	struct sq *q = SQ(s);
	int done = 0, rc = STORE_OK;

	if (target < 0 || target > sq_schema_latest(s))
		target = sq_schema_latest(s);
	if (exec(q, "CREATE TABLE IF NOT EXISTS schema_migrations ("
		    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
		    "creating schema_migrations") < 0)
		return STORE_ERROR;
	for (int i = 0; i < NMIGRATIONS && migrations[i].version <= target; i++) {
		const struct migration *m = &migrations[i];
		sqlite3_stmt *st = NULL;
		int cur;

		/* Check inside the write lock: another process may have just migrated. */
		if (exec(q, "BEGIN IMMEDIATE", "starting a migration") < 0)
			return STORE_ERROR;
		cur = sq_schema_version(s);
		if (cur < 0) {
			rc = STORE_ERROR;
			goto fail;
		}
		if (cur >= m->version) {
			exec(q, "COMMIT", "ending a migration");
			continue;
		}
		if (exec(q, m->sql, "migrating") < 0) {
			rc = STORE_ERROR;
			goto fail;
		}
		if (sqlite3_prepare_v2(q->db, "INSERT INTO schema_migrations (version, name,"
				       " applied_at) VALUES (?1, ?2, ?3)", -1, &st, NULL) != SQLITE_OK) {
			rc = db_fail(q, "recording a migration");
			goto fail;
		}
		sqlite3_bind_int(st, 1, m->version);
		sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, scan_now_ms());
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = db_fail(q, "recording a migration");
			sqlite3_finalize(st);
			goto fail;
		}
		sqlite3_finalize(st);
		if (exec(q, "COMMIT", "committing a migration") < 0) {
			rc = STORE_ERROR;
			goto fail;
		}
		done++;
	}
	if (applied)
		*applied = done;
	return STORE_OK;
fail:
	if (!sqlite3_get_autocommit(q->db))
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
	if (applied)
		*applied = done;
	return rc;
}

static void sq_close(struct store *s)
{
	struct sq *q = SQ(s);

	for (int i = 0; i < ST_COUNT_OF_STMTS; i++)
		sqlite3_finalize(q->st[i]);
	sqlite3_close_v2(q->db);
	free(q);
}

/* ---- submit and read ----------------------------------------------------- */

static int sq_submit_many(struct store *s, const struct scan_request *reqs, size_t n,
			  int64_t *ids, int *existed)
{
	struct sq *q = SQ(s);
	int64_t now = scan_now_ms(), added = 0;
	int rc;

	if ((rc = begin(q)) != STORE_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		const struct scan_request *r = &reqs[i];
		const char *key = r->idempotency_key && *r->idempotency_key ? r->idempotency_key : NULL;
		sqlite3_stmt *st;

		if (existed)
			existed[i] = 0;
		if (key) {
			st = prep(q, ST_KEY_LOOKUP);
			if (!st)
				goto fail;
			sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
			rc = sqlite3_step(st);
			if (rc == SQLITE_ROW) {
				ids[i] = sqlite3_column_int64(st, 0);
				sqlite3_reset(st);
				if (existed)
					existed[i] = 1;
				continue;
			}
			sqlite3_reset(st);
			if (rc != SQLITE_DONE) {
				db_fail(q, "looking up an idempotency key");
				goto fail;
			}
		}
		st = prep(q, ST_INSERT_SCAN);
		if (!st)
			goto fail;
		sqlite3_bind_text(st, 1, r->type, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, r->targets, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, r->options ? r->options : "{}", -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 4, r->priority);
		sqlite3_bind_int(st, 5, r->max_attempts);
		sqlite3_bind_int(st, 6, r->time_limit_s);
		sqlite3_bind_int64(st, 7, now);
		bind_text(st, 8, key);
		if (run(st) != SQLITE_DONE) {
			db_fail(q, "queueing a scan");
			goto fail;
		}
		ids[i] = sqlite3_last_insert_rowid(q->db);
		if (add_event(q, ids[i], now, NULL, "pending", 0, NULL, "submitted") < 0)
			goto fail;
		added++;
	}
	if (bump(q, "submitted", added) < 0)
		goto fail;
	return commit(q);
fail:
	rc = (sqlite3_extended_errcode(q->db) & 0xff) == SQLITE_BUSY ? STORE_BUSY : STORE_ERROR;
	rollback(q);
	return rc;
}

static int sq_get(struct store *s, int64_t id, struct scan *out)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = prep(q, ST_GET);
	int rc;

	if (!st)
		return STORE_ERROR;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		read_scan(st, out);
		sqlite3_reset(st);
		return STORE_OK;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE) {
		store_set_error(s, "scan %lld not found", (long long)id);
		return STORE_NOT_FOUND;
	}
	return db_fail(q, "reading a scan");
}

static int sq_list(struct store *s, const struct scan_filter *f, struct scan **out, size_t *n)
{
	struct sq *q = SQ(s);
	enum stmt_id which;
	sqlite3_stmt *st;
	int limit = f->limit;

	if (limit < 1 || limit > STORE_LIST_MAX)
		limit = limit < 1 ? 1 : STORE_LIST_MAX;
	if (f->status >= 0 && f->type)
		which = ST_LIST_BOTH;
	else if (f->status >= 0)
		which = ST_LIST_STATUS;
	else if (f->type)
		which = ST_LIST_TYPE;
	else
		which = ST_LIST_ALL;
	st = prep(q, which);
	if (!st)
		return STORE_ERROR;
	if (f->status >= 0)
		sqlite3_bind_text(st, 1, scan_status_name((enum scan_status)f->status), -1,
				  SQLITE_STATIC);
	if (f->type)
		sqlite3_bind_text(st, 2, f->type, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, f->before_id > 0 ? f->before_id : INT64_MAX);
	sqlite3_bind_int(st, 4, limit);
	return collect_scans(q, st, (size_t)limit, out, n, "listing scans");
}

static int exists(struct sq *q, int64_t id)
{
	sqlite3_stmt *st = prep(q, ST_EXISTS);
	int rc;

	if (!st)
		return STORE_ERROR;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return STORE_OK;
	if (rc == SQLITE_DONE) {
		store_set_error(&q->base, "scan %lld not found", (long long)id);
		return STORE_NOT_FOUND;
	}
	return db_fail(q, "looking up a scan");
}

static int sq_events(struct store *s, int64_t id, int limit, struct scan_event **out, size_t *n)
{
	struct sq *q = SQ(s);
	struct scan_event *arr;
	sqlite3_stmt *st;
	size_t cnt = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = exists(q, id)) != STORE_OK)
		return rc;
	if (limit < 1 || limit > STORE_LIST_MAX)
		limit = STORE_LIST_MAX;
	st = prep(q, ST_EVENTS);
	if (!st)
		return STORE_ERROR;
	arr = calloc((size_t)limit, sizeof *arr);
	if (!arr)
		return store_set_error(s, "out of memory");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && cnt < (size_t)limit) {
		struct scan_event *e = &arr[cnt++];
		enum scan_status from;
		char buf[16];

		e->id = sqlite3_column_int64(st, 0);
		e->scan_id = sqlite3_column_int64(st, 1);
		e->at = sqlite3_column_int64(st, 2);
		col_copy(st, 3, buf, sizeof buf);
		e->from = scan_status_parse(buf, &from) == 0 ? (int)from : -1;
		col_copy(st, 4, buf, sizeof buf);
		scan_status_parse(buf, &e->to);
		e->attempt = sqlite3_column_int(st, 5);
		col_copy(st, 6, e->worker_id, sizeof e->worker_id);
		col_copy(st, 7, e->reason, sizeof e->reason);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		free(arr);
		return db_fail(q, "reading events");
	}
	*out = arr;
	*n = cnt;
	return STORE_OK;
}

/* ---- the worker's side ---------------------------------------------------- */

static int sq_claim(struct store *s, const char *worker, int max, int lease_ms,
		    struct scan **out, size_t *n)
{
	struct sq *q = SQ(s);
	int64_t now = scan_now_ms();
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	if (max < 1)
		return STORE_OK;
	if (max > STORE_CLAIM_MAX)
		max = STORE_CLAIM_MAX;
	if ((rc = begin(q)) != STORE_OK)
		return rc;
	st = prep(q, ST_CLAIM);
	if (!st)
		goto fail;
	sqlite3_bind_text(st, 1, worker, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, lease_ms);
	sqlite3_bind_int(st, 4, max);
	if (collect_scans(q, st, (size_t)max, out, n, "claiming scans") < 0)
		goto fail;
	for (size_t i = 0; i < *n; i++)
		if (add_event(q, (*out)[i].id, now, "pending", "running", (*out)[i].attempt,
			      worker, "claimed") < 0)
			goto fail;
	if (bump(q, "claims", (int64_t)*n) < 0)
		goto fail;
	if ((rc = commit(q)) != STORE_OK)
		goto fail_committed;
	return STORE_OK;
fail:
	rc = (sqlite3_extended_errcode(q->db) & 0xff) == SQLITE_BUSY ? STORE_BUSY : STORE_ERROR;
	rollback(q);
fail_committed:
	scan_array_free(*out, *n);
	*out = NULL;
	*n = 0;
	return rc;
}

/* Counts one write that fencing rejected, in its own short transaction. */
static void count_fenced(struct sq *q)
{
	if (sqlite3_get_autocommit(q->db)) {
		if (begin(q) == STORE_OK && bump(q, "fenced_writes", 1) == STORE_OK)
			commit(q);
		else
			rollback(q);
	} else {
		bump(q, "fenced_writes", 1);
	}
}

static int lost(struct sq *q, int64_t id, int attempt)
{
	snprintf(q->base.err, sizeof q->base.err,
		 "scan %lld attempt %d is no longer running here (fenced)", (long long)id, attempt);
	return STORE_LOST;
}

static int sq_heartbeat(struct store *s, int64_t id, int attempt, int lease_ms,
			double progress, int *cancel_requested)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = prep(q, ST_HEARTBEAT);
	int rc;

	if (!st)
		return STORE_ERROR;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, attempt);
	sqlite3_bind_int64(st, 3, scan_now_ms() + lease_ms);
	sqlite3_bind_double(st, 4, progress > 1 ? 1 : progress);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (cancel_requested)
			*cancel_requested = sqlite3_column_int(st, 0);
		sqlite3_step(st);
		sqlite3_reset(st);
		return STORE_OK;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(q, "renewing a lease");
	count_fenced(q);
	return lost(q, id, attempt);
}

static int insert_findings(struct sq *q, int64_t scan_id, const struct finding *f, size_t n,
			   int64_t now)
{
	for (size_t i = 0; i < n; i++) {
		sqlite3_stmt *st = prep(q, ST_FINDING_INSERT);

		if (!st)
			return STORE_ERROR;
		sqlite3_bind_int64(st, 1, scan_id);
		sqlite3_bind_text(st, 2, f[i].kind[0] ? f[i].kind : "finding", -1, SQLITE_STATIC);
		bind_text(st, 3, f[i].target);
		if (f[i].port > 0)
			sqlite3_bind_int(st, 4, f[i].port);
		bind_text(st, 5, f[i].proto[0] ? f[i].proto : NULL);
		bind_text(st, 6, f[i].service);
		sqlite3_bind_text(st, 7, f[i].severity[0] ? f[i].severity : "info", -1,
				  SQLITE_STATIC);
		bind_text(st, 8, f[i].title);
		bind_text(st, 9, f[i].detail);
		sqlite3_bind_int64(st, 10, now);
		if (run(st) != SQLITE_DONE)
			return db_fail(q, "storing findings");
	}
	return STORE_OK;
}

static int sq_complete_many(struct store *s, struct store_completion *c, size_t n)
{
	struct sq *q = SQ(s);
	int64_t now = scan_now_ms(), done = 0, fenced = 0;
	int rc;

	if ((rc = begin(q)) != STORE_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		sqlite3_stmt *st = prep(q, ST_COMPLETE);
		char worker[SCAN_WORKER_MAX];

		if (!st)
			goto fail;
		sqlite3_bind_int64(st, 1, c[i].id);
		sqlite3_bind_int(st, 2, c[i].attempt);
		sqlite3_bind_int64(st, 3, now);
		bind_text(st, 4, c[i].summary ? c[i].summary : "{}");
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			col_copy(st, 0, worker, sizeof worker);
			sqlite3_step(st);
		}
		sqlite3_reset(st);
		if (rc == SQLITE_DONE) {
			c[i].rc = STORE_LOST;
			fenced++;
			continue;
		}
		if (rc != SQLITE_ROW) {
			db_fail(q, "completing a scan");
			goto fail;
		}
		if (insert_findings(q, c[i].id, c[i].findings, c[i].nfindings, now) < 0)
			goto fail;
		if (add_event(q, c[i].id, now, "running", "completed", c[i].attempt, worker,
			      "finished") < 0)
			goto fail;
		c[i].rc = STORE_OK;
		done++;
	}
	if (bump(q, "completed", done) < 0 || bump(q, "fenced_writes", fenced) < 0)
		goto fail;
	if (n == 1 && fenced)
		lost(q, c[0].id, c[0].attempt);
	return commit(q);
fail:
	rc = (sqlite3_extended_errcode(q->db) & 0xff) == SQLITE_BUSY ? STORE_BUSY : STORE_ERROR;
	rollback(q);
	return rc;
}

/*
 * Reads the running row of (id, attempt) inside the caller's transaction.
 * Returns STORE_OK, or STORE_LOST when the row is no longer ours: the
 * rejected write is then already counted (fenced_writes) and the error set,
 * and the caller only commits that count.
 */
static int running_row(struct sq *q, int64_t id, int attempt, int *used, int *max,
		       int *cancel, char *worker)
{
	sqlite3_stmt *st = prep(q, ST_RUNNING_ROW);
	int rc;

	if (!st)
		return STORE_ERROR;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, attempt);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*used = sqlite3_column_int(st, 0);
		*max = sqlite3_column_int(st, 1);
		*cancel = sqlite3_column_int(st, 2);
		col_copy(st, 3, worker, SCAN_WORKER_MAX);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return STORE_OK;
	if (rc != SQLITE_DONE)
		return db_fail(q, "reading a running scan");
	if (bump(q, "fenced_writes", 1) < 0)
		return STORE_ERROR;
	return lost(q, id, attempt);
}

/* running -> pending (retry, recovery or hand-back).  `forgive` 1 gives the
 * attempt back to the budget. */
static int to_pending(struct sq *q, int64_t id, int attempt, int64_t run_after, int forgive,
		      const struct scan_failure *f)
{
	sqlite3_stmt *st = prep(q, ST_SET_PENDING);

	if (!st)
		return STORE_ERROR;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, attempt);
	sqlite3_bind_int64(st, 3, run_after);
	sqlite3_bind_int(st, 4, forgive);
	bind_text(st, 5, f ? f->code : NULL);
	bind_text(st, 6, f ? f->message : NULL);
	bind_text(st, 7, f ? f->detail : NULL);
	if (run(st) != SQLITE_DONE)
		return db_fail(q, "re-queueing a scan");
	return STORE_OK;
}

/* `action` on a scan in status `from` (completed, failed or cancelled as the
 * state machine says), fenced by attempt and the current status. */
static int to_final(struct sq *q, int64_t id, int attempt, enum scan_status from,
		    enum scan_action action, int64_t now, const char *code, const char *msg,
		    const char *detail)
{
	enum scan_status to;
	sqlite3_stmt *st;

	if (!scan_action_allowed(action, from, &to)) {
		store_set_error(&q->base, "cannot %s a %s scan", scan_action_name(action),
				scan_status_name(from));
		return STORE_ILLEGAL;
	}
	st = prep(q, ST_SET_FINAL);
	if (!st)
		return STORE_ERROR;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, attempt);
	sqlite3_bind_text(st, 3, scan_status_name(to), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
	bind_text(st, 5, code);
	bind_text(st, 6, msg);
	bind_text(st, 7, detail);
	sqlite3_bind_text(st, 8, scan_status_name(from), -1, SQLITE_STATIC);
	if (run(st) != SQLITE_DONE)
		return db_fail(q, "finishing a scan");
	return STORE_OK;
}

static const char CANCEL_MSG[] = "cancelled by an operator";

static int sq_fail(struct store *s, int64_t id, int attempt, const struct scan_failure *f,
		   enum scan_status *now_status)
{
	struct sq *q = SQ(s);
	int64_t now = scan_now_ms();
	int used, max, cancel, rc;
	char worker[SCAN_WORKER_MAX], reason[128];
	enum scan_status to;

	if ((rc = begin(q)) != STORE_OK)
		return rc;
	rc = running_row(q, id, attempt, &used, &max, &cancel, worker);
	if (rc == STORE_LOST) {		/* commit the count of the refused write */
		commit(q);
		return STORE_LOST;
	}
	if (rc != STORE_OK)
		goto fail;
	snprintf(reason, sizeof reason, "%s", f->code);
	switch (store_failure_action(used, max, cancel, f->retryable)) {
	case SCAN_ACT_CANCELLED:
		to = SCAN_CANCELLED;
		rc = to_final(q, id, attempt, SCAN_RUNNING, SCAN_ACT_CANCELLED, now, "cancelled",
			      CANCEL_MSG, f->detail);
		break;
	case SCAN_ACT_REQUEUE:
		to = SCAN_PENDING;
		rc = to_pending(q, id, attempt, now + store_backoff_ms(used, f->backoff_base_ms),
				0, f);
		snprintf(reason, sizeof reason, "%s; retry %d of %d", f->code, used, max - 1);
		break;
	default:
		to = SCAN_FAILED;
		rc = to_final(q, id, attempt, SCAN_RUNNING, SCAN_ACT_FAIL, now, f->code, f->message,
			      f->detail);
		break;
	}
	if (rc != STORE_OK)
		goto fail;
	if (add_event(q, id, now, "running", scan_status_name(to), attempt, worker, reason) < 0
	    || bump(q, to == SCAN_PENDING ? "retries" : to == SCAN_FAILED ? "failed" : "cancelled",
		    1) < 0)
		goto fail;
	if ((rc = commit(q)) != STORE_OK)
		return rc;
	if (now_status)
		*now_status = to;
	return STORE_OK;
fail:
	rc = rc == STORE_OK || rc == STORE_LOST ? STORE_ERROR : rc;
	rollback(q);
	return rc;
}

static int sq_cancelled(struct store *s, int64_t id, int attempt)
{
	struct sq *q = SQ(s);
	int64_t now = scan_now_ms();
	int used, max, cancel, rc;
	char worker[SCAN_WORKER_MAX];

	if ((rc = begin(q)) != STORE_OK)
		return rc;
	rc = running_row(q, id, attempt, &used, &max, &cancel, worker);
	if (rc == STORE_LOST) {		/* commit the count of the refused write */
		commit(q);
		return STORE_LOST;
	}
	if (rc != STORE_OK
	    || (rc = to_final(q, id, attempt, SCAN_RUNNING, SCAN_ACT_CANCELLED, now,
			      "cancelled", CANCEL_MSG, NULL)) != STORE_OK
	    || (rc = add_event(q, id, now, "running", "cancelled", attempt, worker,
			       "cancelled by an operator; child stopped")) != STORE_OK
	    || (rc = bump(q, "cancelled", 1)) != STORE_OK)
		goto fail;
	return commit(q);
fail:
	rollback(q);
	return rc;
}

static int sq_release(struct store *s, int64_t id, int attempt, const char *reason)
{
	struct sq *q = SQ(s);
	int64_t now = scan_now_ms();
	int used, max, cancel, rc;
	char worker[SCAN_WORKER_MAX];

	if ((rc = begin(q)) != STORE_OK)
		return rc;
	rc = running_row(q, id, attempt, &used, &max, &cancel, worker);
	if (rc == STORE_LOST) {		/* commit the count of the refused write */
		commit(q);
		return STORE_LOST;
	}
	if (rc != STORE_OK)
		goto fail;
	if (cancel) {
		rc = to_final(q, id, attempt, SCAN_RUNNING, SCAN_ACT_CANCELLED, now, "cancelled",
			      CANCEL_MSG, NULL);
		if (rc == STORE_OK)
			rc = add_event(q, id, now, "running", "cancelled", attempt, worker,
				       "cancelled by an operator during shutdown");
		if (rc == STORE_OK)
			rc = bump(q, "cancelled", 1);
	} else {
		rc = to_pending(q, id, attempt, now, 1, NULL);
		if (rc == STORE_OK)
			rc = add_event(q, id, now, "running", "pending", attempt, worker,
				       reason ? reason : "handed back");
	}
	if (rc != STORE_OK)
		goto fail;
	return commit(q);
fail:
	rollback(q);
	return rc;
}

static const char LOST_MSG[] = "the worker running this scan stopped responding";

static int sq_recover_leases(struct store *s, int *recovered, int *failed)
{
	struct sq *q = SQ(s);
	int64_t now = scan_now_ms();
	int nrec = 0, nfail = 0, ncanc = 0, rc;
	struct expired {
		int64_t id;
		int attempt, used, max, cancel;
		char worker[SCAN_WORKER_MAX];
	} *ex = NULL;
	size_t nex = 0;
	sqlite3_stmt *st;

	if (recovered)
		*recovered = 0;
	if (failed)
		*failed = 0;
	if ((rc = begin(q)) != STORE_OK)
		return rc;
	st = prep(q, ST_EXPIRED);
	if (!st)
		goto fail;
	ex = calloc(500, sizeof *ex);
	if (!ex) {
		store_set_error(s, "out of memory");
		goto fail;
	}
	sqlite3_bind_int64(st, 1, now);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && nex < 500) {
		struct expired *e = &ex[nex++];
		e->id = sqlite3_column_int64(st, 0);
		e->attempt = sqlite3_column_int(st, 1);
		e->used = sqlite3_column_int(st, 2);
		e->max = sqlite3_column_int(st, 3);
		e->cancel = sqlite3_column_int(st, 4);
		col_copy(st, 5, e->worker, sizeof e->worker);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_fail(q, "finding expired leases");
		goto fail;
	}
	for (size_t i = 0; i < nex; i++) {
		struct expired *e = &ex[i];
		struct scan_failure f = { "worker_lost", LOST_MSG, NULL, 1, 0 };
		char reason[128];
		enum scan_status to;

		snprintf(reason, sizeof reason, "lease expired; worker %s lost",
			 e->worker[0] ? e->worker : "?");
		switch (store_failure_action(e->used, e->max, e->cancel, 1)) {
		case SCAN_ACT_CANCELLED:
			to = SCAN_CANCELLED;
			rc = to_final(q, e->id, e->attempt, SCAN_RUNNING, SCAN_ACT_CANCELLED, now,
				      "cancelled", CANCEL_MSG, NULL);
			ncanc++;
			break;
		case SCAN_ACT_REQUEUE:
			to = SCAN_PENDING;
			rc = to_pending(q, e->id, e->attempt, now, 0, &f);
			nrec++;
			break;
		default:
			to = SCAN_FAILED;
			rc = to_final(q, e->id, e->attempt, SCAN_RUNNING, SCAN_ACT_FAIL, now, f.code,
				      f.message, NULL);
			nfail++;
			break;
		}
		if (rc != STORE_OK
		    || add_event(q, e->id, now, "running", scan_status_name(to), e->attempt,
				 e->worker, reason) < 0)
			goto fail;
	}
	if (bump(q, "lease_recoveries", (int64_t)nex) < 0 || bump(q, "failed", nfail) < 0
	    || bump(q, "cancelled", ncanc) < 0)
		goto fail;
	free(ex);
	if ((rc = commit(q)) != STORE_OK)
		return rc;
	if (recovered)
		*recovered = nrec;
	if (failed)
		*failed = nfail;
	return STORE_OK;
fail:
	free(ex);
	rc = (sqlite3_extended_errcode(q->db) & 0xff) == SQLITE_BUSY ? STORE_BUSY : STORE_ERROR;
	rollback(q);
	return rc;
}

/* ---- the operator's side ------------------------------------------------- */

/* Reads status, attempt and cancel_requested of a scan in a transaction. */
static int status_of(struct sq *q, int64_t id, enum scan_status *status, int *attempt,
		     int *cancel)
{
	sqlite3_stmt *st = prep(q, ST_STATUS_OF);
	char buf[16];
	int rc;

	if (!st)
		return STORE_ERROR;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		col_copy(st, 0, buf, sizeof buf);
		scan_status_parse(buf, status);
		*attempt = sqlite3_column_int(st, 1);
		*cancel = sqlite3_column_int(st, 2);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return STORE_OK;
	if (rc == SQLITE_DONE) {
		store_set_error(&q->base, "scan %lld not found", (long long)id);
		return STORE_NOT_FOUND;
	}
	return db_fail(q, "reading a scan");
}

static int sq_cancel(struct store *s, int64_t id, enum scan_status *now_status)
{
	struct sq *q = SQ(s);
	int64_t now = scan_now_ms();
	enum scan_status cur;
	int attempt, cancel, rc;
	sqlite3_stmt *st;

	if ((rc = begin(q)) != STORE_OK)
		return rc;
	if ((rc = status_of(q, id, &cur, &attempt, &cancel)) != STORE_OK)
		goto fail;
	if (cur == SCAN_PENDING) {
		if ((rc = to_final(q, id, attempt, SCAN_PENDING, SCAN_ACT_CANCEL, now, "cancelled",
				   CANCEL_MSG, NULL)) != STORE_OK
		    || (rc = add_event(q, id, now, "pending", "cancelled", attempt, NULL,
				       "cancelled by an operator")) != STORE_OK
		    || (rc = bump(q, "cancelled", 1)) != STORE_OK)
			goto fail;
		cur = SCAN_CANCELLED;
	} else if (cur == SCAN_RUNNING) {
		if (!cancel) {
			st = prep(q, ST_CANCEL_REQUEST);
			if (!st)
				goto fail_db;
			sqlite3_bind_int64(st, 1, id);
			if (run(st) != SQLITE_DONE)
				goto fail_db;
			if ((rc = add_event(q, id, now, "running", "running", attempt, NULL,
					    "cancel requested by an operator")) != STORE_OK)
				goto fail;
		}
	} else {
		rc = STORE_ILLEGAL;
		store_set_error(s, "scan %lld is already %s", (long long)id, scan_status_name(cur));
		goto fail;
	}
	if ((rc = commit(q)) != STORE_OK)
		return rc;
	if (now_status)
		*now_status = cur;
	return STORE_OK;
fail_db:
	rc = db_fail(q, "requesting a cancel");
fail:
	rollback(q);
	return rc;
}

static int sq_retry(struct store *s, int64_t id)
{
	struct sq *q = SQ(s);
	int64_t now = scan_now_ms();
	enum scan_status cur;
	int attempt, cancel, rc;
	sqlite3_stmt *st;

	if ((rc = begin(q)) != STORE_OK)
		return rc;
	if ((rc = status_of(q, id, &cur, &attempt, &cancel)) != STORE_OK)
		goto fail;
	if (!scan_action_allowed(SCAN_ACT_RETRY, cur, NULL)) {
		rc = STORE_ILLEGAL;
		store_set_error(s, "scan %lld is %s; only failed or cancelled scans can be retried",
				(long long)id, scan_status_name(cur));
		goto fail;
	}
	st = prep(q, ST_RETRY);
	if (!st)
		goto fail_db;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	if (run(st) != SQLITE_DONE)
		goto fail_db;
	if ((rc = add_event(q, id, now, scan_status_name(cur), "pending", attempt, NULL,
			    "retried by an operator")) != STORE_OK)
		goto fail;
	return commit(q);
fail_db:
	rc = db_fail(q, "retrying a scan");
fail:
	rollback(q);
	return rc;
}

/* ---- maintenance ------------------------------------------------------------ */

static int64_t count_of(struct sq *q, enum stmt_id id, int64_t arg)
{
	sqlite3_stmt *st = prep(q, id);
	int64_t v = -1;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, arg);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else
		db_fail(q, "counting scans");
	sqlite3_reset(st);
	return v;
}

static int sq_stuck(struct store *s, int64_t pending_ms, int limit, struct stuck_scan **out,
		    size_t *n, int64_t *total)
{
	struct sq *q = SQ(s);
	int64_t now = scan_now_ms(), np, nr;
	struct stuck_scan *arr;
	size_t cnt = 0;
	int rc = STORE_OK;

	*out = NULL;
	*n = 0;
	if (limit < 1 || limit > STORE_LIST_MAX)
		limit = STORE_LIST_MAX;
	if (!(arr = calloc((size_t)limit, sizeof *arr)))
		return store_set_error(s, "out of memory");
	if (exec(q, "BEGIN", "reading stuck scans") < 0) {
		free(arr);
		return STORE_ERROR;
	}
	np = count_of(q, ST_STUCK_PENDING_N, now - pending_ms);
	nr = count_of(q, ST_STUCK_RUNNING_N, now);
	if (np < 0 || nr < 0)
		goto fail;
	for (int pass = 0; pass < 2; pass++) {
		sqlite3_stmt *st = prep(q, pass ? ST_STUCK_PENDING : ST_STUCK_RUNNING);

		if (!st)
			goto fail;
		sqlite3_bind_int64(st, 1, pass ? now - pending_ms : now);
		sqlite3_bind_int(st, 2, limit);
		while (cnt < (size_t)limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			struct stuck_scan *x = &arr[cnt++];
			char buf[16];

			x->id = sqlite3_column_int64(st, 0);
			col_copy(st, 1, x->type, sizeof x->type);
			col_copy(st, 2, buf, sizeof buf);
			scan_status_parse(buf, &x->status);
			x->attempt = sqlite3_column_int(st, 3);
			col_copy(st, 4, x->worker_id, sizeof x->worker_id);
			x->since = sqlite3_column_int64(st, 5);
			x->reason = pass ? STUCK_PENDING_TOO_LONG : STUCK_LEASE_EXPIRED;
		}
		sqlite3_reset(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
			db_fail(q, "reading stuck scans");
			goto fail;
		}
	}
	exec(q, "COMMIT", "reading stuck scans");
	*out = arr;
	*n = cnt;
	if (total)
		*total = np + nr;
	return STORE_OK;
fail:
	rollback(q);
	free(arr);
	return STORE_ERROR;
}

static int sq_prune(struct store *s, int64_t before_ms, int batch, int max_batches, int dry_run,
		    int64_t *deleted)
{
	struct sq *q = SQ(s);
	int64_t total = 0;
	int rc;

	*deleted = 0;
	if (batch < 1)
		batch = 1000;
	if (dry_run) {
		total = count_of(q, ST_PRUNE_COUNT, before_ms);
		if (total < 0)
			return STORE_ERROR;
		*deleted = total;
		return STORE_OK;
	}
	/* Short transactions: writers (claims, completions) wait at most one batch. */
	for (int b = 0; max_batches == 0 || b < max_batches; b++) {
		sqlite3_stmt *st;
		int changed;

		if ((rc = begin(q)) != STORE_OK)
			return rc;
		if (!(st = prep(q, ST_PRUNE))) {
			rollback(q);
			return STORE_ERROR;
		}
		sqlite3_bind_int64(st, 1, before_ms);
		sqlite3_bind_int(st, 2, batch);
		if (run(st) != SQLITE_DONE) {
			rc = db_fail(q, "pruning scans");
			rollback(q);
			return rc;
		}
		changed = sqlite3_changes(q->db);
		if ((rc = commit(q)) != STORE_OK)
			return rc;
		total += changed;
		*deleted = total;
		if (changed < batch)
			break;
	}
	return STORE_OK;
}

/* ---- findings, status, counters -------------------------------------------- */

static int sq_findings(struct store *s, int64_t scan_id, int64_t after_id, int limit,
		       struct finding **out, size_t *n)
{
	struct sq *q = SQ(s);
	struct finding *arr;
	sqlite3_stmt *st;
	size_t cnt = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = exists(q, scan_id)) != STORE_OK)
		return rc;
	if (limit < 1 || limit > STORE_LIST_MAX)
		limit = STORE_LIST_MAX;
	st = prep(q, ST_FINDINGS);
	if (!st)
		return STORE_ERROR;
	arr = calloc((size_t)limit, sizeof *arr);
	if (!arr)
		return store_set_error(s, "out of memory");
	sqlite3_bind_int64(st, 1, scan_id);
	sqlite3_bind_int64(st, 2, after_id);
	sqlite3_bind_int(st, 3, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && cnt < (size_t)limit) {
		struct finding *f = &arr[cnt++];
		f->id = sqlite3_column_int64(st, 0);
		f->scan_id = sqlite3_column_int64(st, 1);
		col_copy(st, 2, f->kind, sizeof f->kind);
		f->target = col_dup(st, 3);
		f->port = sqlite3_column_int(st, 4);
		col_copy(st, 5, f->proto, sizeof f->proto);
		f->service = col_dup(st, 6);
		col_copy(st, 7, f->severity, sizeof f->severity);
		f->title = col_dup(st, 8);
		f->detail = col_dup(st, 9);
		f->created_at = sqlite3_column_int64(st, 10);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		finding_array_free(arr, cnt);
		return db_fail(q, "reading findings");
	}
	*out = arr;
	*n = cnt;
	return STORE_OK;
}

static int sq_queue_status(struct store *s, struct queue_status *qs)
{
	struct sq *q = SQ(s);
	int64_t now = scan_now_ms();
	sqlite3_stmt *st;
	int rc;

	memset(qs, 0, sizeof *qs);
	/* One read transaction, so the figures agree with each other. */
	if (exec(q, "BEGIN", "reading queue status") < 0)
		return STORE_ERROR;
	if (!(st = prep(q, ST_COUNTS)))
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *type = (const char *)sqlite3_column_text(st, 0);
		enum scan_status status;
		int t;

		if (scan_status_parse((const char *)sqlite3_column_text(st, 1), &status) < 0)
			continue;
		qs->by_status[status] += sqlite3_column_int64(st, 2);
		for (t = 0; t < qs->ntypes; t++)
			if (strcmp(qs->types[t].type, type) == 0)
				break;
		if (t == qs->ntypes) {
			if (qs->ntypes == STORE_TYPES_MAX)
				continue;	/* beyond the cap types are counted in totals only */
			snprintf(qs->types[t].type, sizeof qs->types[t].type, "%s", type);
			qs->ntypes++;
		}
		qs->types[t].by_status[status] += sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		goto fail_db;
	if (!(st = prep(q, ST_OLDEST_PENDING)))
		goto fail;
	if (sqlite3_step(st) == SQLITE_ROW)
		qs->oldest_pending_ms = now - sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (!(st = prep(q, ST_FINISHED_SINCE)))
		goto fail;
	sqlite3_bind_int64(st, 1, now - 60000);
	if (sqlite3_step(st) == SQLITE_ROW)
		qs->finished_last_minute = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (!(st = prep(q, ST_WORKER_BEATS)))
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (now - sqlite3_column_int64(st, 0) > STORE_WORKER_DEAD_MS)
			qs->workers_dead++;
		else if (sqlite3_column_int(st, 1) > 0)
			qs->workers_active++;
		else
			qs->workers_idle++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		goto fail_db;
	exec(q, "COMMIT", "reading queue status");
	return STORE_OK;
fail_db:
	db_fail(q, "reading queue status");
fail:
	rollback(q);
	return STORE_ERROR;
}

static int sq_counters(struct store *s, struct store_counters *c)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = prep(q, ST_COUNTERS);
	int rc;

	memset(c, 0, sizeof *c);
	if (!st)
		return STORE_ERROR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		store_counter_set(c, (const char *)sqlite3_column_text(st, 0),
				  sqlite3_column_int64(st, 1));
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? STORE_OK : db_fail(q, "reading counters");
}

/* ---- worker registry ------------------------------------------------------- */

static int sq_worker_register(struct store *s, const struct worker_info *w)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = prep(q, ST_WORKER_UPSERT);
	int64_t now = scan_now_ms();

	if (!st)
		return STORE_ERROR;
	sqlite3_bind_text(st, 1, w->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, w->host, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, w->pid);
	sqlite3_bind_int64(st, 4, w->started_at ? w->started_at : now);
	sqlite3_bind_int64(st, 5, now);
	sqlite3_bind_int(st, 6, w->concurrency);
	return run(st) == SQLITE_DONE ? STORE_OK : db_fail(q, "registering a worker");
}

static int sq_worker_heartbeat(struct store *s, const char *name, int running, int64_t done)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = prep(q, ST_WORKER_BEAT);

	if (!st)
		return STORE_ERROR;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, scan_now_ms());
	sqlite3_bind_int(st, 3, running);
	sqlite3_bind_int64(st, 4, done);
	if (run(st) != SQLITE_DONE)
		return db_fail(q, "recording a worker heartbeat");
	if (sqlite3_changes(q->db) == 0) {
		store_set_error(s, "worker %s is not registered", name);
		return STORE_NOT_FOUND;
	}
	return STORE_OK;
}

static int sq_worker_exited(struct store *s, const char *name, const char *reason)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = prep(q, ST_WORKER_EXIT);

	if (!st)
		return STORE_ERROR;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, scan_now_ms());
	return run(st) == SQLITE_DONE ? STORE_OK : db_fail(q, "recording a worker exit");
}

static int sq_worker_list(struct store *s, struct worker_info **out, size_t *n)
{
	struct sq *q = SQ(s);
	struct worker_info *arr = NULL, *grown;
	size_t cnt = 0, cap = 0;
	sqlite3_stmt *st = prep(q, ST_WORKER_LIST);
	int rc;

	*out = NULL;
	*n = 0;
	if (!st)
		return STORE_ERROR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && cnt < STORE_LIST_MAX) {
		struct worker_info *w;

		if (cnt == cap) {
			cap = cap ? cap * 2 : 8;
			grown = realloc(arr, cap * sizeof *arr);
			if (!grown) {
				sqlite3_reset(st);
				free(arr);
				return store_set_error(s, "out of memory");
			}
			arr = grown;
		}
		w = &arr[cnt++];
		memset(w, 0, sizeof *w);
		col_copy(st, 0, w->name, sizeof w->name);
		col_copy(st, 1, w->host, sizeof w->host);
		w->pid = sqlite3_column_int(st, 2);
		w->started_at = sqlite3_column_int64(st, 3);
		w->heartbeat_at = sqlite3_column_int64(st, 4);
		w->concurrency = sqlite3_column_int(st, 5);
		w->running = sqlite3_column_int(st, 6);
		w->scans_done = sqlite3_column_int64(st, 7);
		col_copy(st, 8, w->last_exit, sizeof w->last_exit);
		w->stopped_at = sqlite3_column_int64(st, 9);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		free(arr);
		return db_fail(q, "listing workers");
	}
	for (size_t i = 0; i < cnt; i++) {
		st = prep(q, ST_WORKER_RUNNING);
		if (!st)
			break;
		sqlite3_bind_text(st, 1, arr[i].name, -1, SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW && arr[i].nrunning_ids < 16)
			arr[i].running_ids[arr[i].nrunning_ids++] = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	*out = arr;
	*n = cnt;
	return STORE_OK;
}

/* ---- tokens ------------------------------------------------------------------ */

static int sq_token_create(struct store *s, const char *name, const char *role,
			   const char *hash, int64_t *id)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = prep(q, ST_TOKEN_INSERT);

	if (!st)
		return STORE_ERROR;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, role, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, scan_now_ms());
	if (run(st) != SQLITE_DONE)
		return db_fail(q, "storing a token");
	*id = sqlite3_last_insert_rowid(q->db);
	return STORE_OK;
}

static int sq_token_get(struct store *s, int64_t id, char *role, char *hash)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = prep(q, ST_TOKEN_GET);
	int rc;

	if (!st)
		return STORE_ERROR;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		col_copy(st, 0, role, 16);
		col_copy(st, 1, hash, 129);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return STORE_OK;
	return rc == SQLITE_DONE ? STORE_NOT_FOUND : db_fail(q, "reading a token");
}

static int sq_token_any(struct store *s)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = prep(q, ST_TOKEN_ANY);
	int rc, any = -1;

	if (!st)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		any = sqlite3_column_int(st, 0);
	else
		db_fail(q, "reading tokens");
	sqlite3_reset(st);
	return any;
}

static const struct store_ops sqlite_ops = {
	.name = "sqlite",
	.close = sq_close,
	.schema_latest = sq_schema_latest,
	.schema_version = sq_schema_version,
	.migrate = sq_migrate,
	.submit_many = sq_submit_many,
	.get = sq_get,
	.list = sq_list,
	.events = sq_events,
	.claim = sq_claim,
	.heartbeat = sq_heartbeat,
	.complete_many = sq_complete_many,
	.fail = sq_fail,
	.cancelled = sq_cancelled,
	.release = sq_release,
	.recover_leases = sq_recover_leases,
	.cancel = sq_cancel,
	.retry = sq_retry,
	.stuck = sq_stuck,
	.prune = sq_prune,
	.findings = sq_findings,
	.queue_status = sq_queue_status,
	.counters = sq_counters,
	.worker_register = sq_worker_register,
	.worker_heartbeat = sq_worker_heartbeat,
	.worker_exited = sq_worker_exited,
	.worker_list = sq_worker_list,
	.token_create = sq_token_create,
	.token_get = sq_token_get,
	.token_any = sq_token_any,
};

/*
 * The busy handler: how a writer waits for the database lock.  SQLite's own
 * first sleep is 1 ms and grows to 100 ms; a claim or a commit holds the
 * lock for well under a millisecond, so this one starts at 50 us and
 * doubles up to 2 ms, giving up after BUSY_TIMEOUT_MS in all.  Returns 1 to
 * try again, 0 to give up (the call then fails with SQLITE_BUSY).
 */
static int busy_wait(void *arg, int count)
{
	/* Sleeps of 50, 100, ..., 1600 us (3150 us in all), then 2 ms each. */
	long us = count < 6 ? 50L << count : 2000;
	long waited = count < 6 ? (50L << count) - 50 : 3150 + (count - 6) * 2000L;
	struct timespec ts = { 0, us * 1000 };

	if (waited >= BUSY_TIMEOUT_MS * 1000L)
		return 0;
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

struct store *store_sqlite_open(const char *path, int flags, char *err, size_t errlen)
{
	struct sq *q = calloc(1, sizeof *q);
	const char *sync = getenv("SCANQ_SQLITE_SYNCHRONOUS");
	char pragma[96];

	if (!q) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	q->base.ops = &sqlite_ops;
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
	if (!(flags & STORE_NO_MIGRATE) && sq_migrate(&q->base, -1, NULL) != STORE_OK) {
		snprintf(err, errlen, "cannot migrate database %s: %s", path, q->base.err);
		goto fail;
	}
	return &q->base;
fail:
	sqlite3_close_v2(q->db);
	free(q);
	return NULL;
}
