/*
 * sqlite/schema.c — the SQLite dialect's schema and SQL text: the
 * migrations, oldest first, and one statement for each name of db.h, with
 * its parameters in db.h's order as ?1, ?2, ...  Times are milliseconds
 * since the epoch from the host clock (the `now` parameters), which is the
 * database's clock for an embedded database.
 *
 * Migrations never give an existing row a new status: `status` has no
 * default, so a migration cannot make an old finished scan pending by
 * accident (the seeds' re-run bug).  Status counts are kept by triggers in
 * the same transaction as each change, so queue status never counts the
 * whole table.
 */
#include "store/db.h"
#include "store/sqlite/sqlite.h"

const struct db_migration sqlite_migrations[] = {
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
	{ 8, "maintenance leadership",
	  "CREATE TABLE leader (id INTEGER PRIMARY KEY CHECK (id = 1), holder TEXT NOT NULL,"
	  " expires_at INTEGER NOT NULL);" },
	/* PostgreSQL's migration 9 moves its counting triggers from each row
	 * to each statement.  SQLite runs its triggers in-process, where a row
	 * trigger costs next to nothing: the version is kept in step only. */
	{ 9, "status counts and the duration histogram kept once per statement",
	  "SELECT 1;" },
	/* Worker identity (issue: the registry lied): rows are keyed by a unique
	 * identity, NAME@HOST:PID, instead of the short name that two serve
	 * processes share; scans count how often a dead worker handed them back. */
	{ 10, "workers keyed by identity; scans count hand-backs",
	  "CREATE TABLE workers_v10 (id TEXT PRIMARY KEY, name TEXT NOT NULL, host TEXT NOT NULL,"
	  " pid INTEGER NOT NULL, started_at INTEGER NOT NULL, heartbeat_at INTEGER NOT NULL,"
	  " concurrency INTEGER NOT NULL, running INTEGER NOT NULL DEFAULT 0,"
	  " scans_done INTEGER NOT NULL DEFAULT 0, last_exit TEXT, stopped_at INTEGER) WITHOUT ROWID;"
	  "INSERT INTO workers_v10 SELECT substr(name || '@' || host || ':' || pid, 1, 63), name,"
	  " host, pid, started_at, heartbeat_at, concurrency, running, scans_done, last_exit,"
	  " stopped_at FROM workers;"
	  "DROP TABLE workers;"
	  "ALTER TABLE workers_v10 RENAME TO workers;"
	  "ALTER TABLE scans ADD COLUMN lost_workers INTEGER NOT NULL DEFAULT 0;" },
	/* Scheduled scans (issue 12): schedules fire scans, each scan names the
	 * schedule that fired it (the baseline of change tracking), and a scan
	 * keeps a hash of its normalised request for idempotency keys.  A
	 * schedule id is never reused (AUTOINCREMENT): scans keep it after rm. */
	{ 11, "scheduled scans; scans name their schedule and request hash",
	  "CREATE TABLE schedules (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE,"
	  " cron TEXT NOT NULL, tz TEXT NOT NULL,"
	  " overlap TEXT NOT NULL CHECK (overlap IN ('skip', 'queue')),"
	  " type TEXT NOT NULL, targets TEXT NOT NULL, options TEXT NOT NULL DEFAULT '{}',"
	  " priority INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL,"
	  " time_limit_s INTEGER NOT NULL, paused INTEGER NOT NULL DEFAULT 0,"
	  " next_run_at INTEGER NOT NULL, created_at INTEGER NOT NULL, last_fired_at INTEGER,"
	  " last_skipped_at INTEGER, fired INTEGER NOT NULL DEFAULT 0,"
	  " skipped INTEGER NOT NULL DEFAULT 0);"
	  "CREATE INDEX schedules_due ON schedules(next_run_at) WHERE paused = 0;"
	  "ALTER TABLE scans ADD COLUMN schedule_id INTEGER;"
	  "ALTER TABLE scans ADD COLUMN request_hash TEXT;"
	  "CREATE INDEX scans_schedule ON scans(schedule_id, id) WHERE schedule_id IS NOT NULL;" },
	{ 0, NULL, NULL }
};

#define SCAN_COLS DB_SCAN_COLS
/* A schedule's columns and its last scan (id, status), newest by id. */
#define SCHED_SELECT DB_SCHED_COLS ", (SELECT id FROM scans INDEXED BY scans_schedule" \
	" WHERE schedule_id = schedules.id ORDER BY id DESC LIMIT 1), (SELECT status FROM scans" \
	" INDEXED BY scans_schedule WHERE schedule_id = schedules.id ORDER BY id DESC LIMIT 1)"

const char *const sqlite_sql[DB_STMT_COUNT] = {
	[S_KEY_LOOKUP] = "SELECT id FROM scans WHERE idempotency_key = ?1",
	[S_INSERT_SCAN] =
		"INSERT INTO scans (type, targets, options, status, priority, max_attempts,"
		" time_limit_s, run_after, created_at, idempotency_key)"
		" VALUES (?1, ?2, ?3, 'pending', ?4, ?5, ?6, ?7, ?7, ?8)"
		" ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
	[S_EVENT] =
		"INSERT INTO scan_events (scan_id, at, from_status, to_status, attempt,"
		" worker_id, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[S_COUNT] = "UPDATE counters SET value = value + ?2 WHERE name = ?1",
	[S_NOTIFY] = NULL,	/* every commit appends to the WAL, which inotify sees */
	[S_GET] = "SELECT " SCAN_COLS " FROM scans WHERE id = ?1",
	[S_LIST_ALL] = "SELECT " SCAN_COLS " FROM scans WHERE id < ?3"
		" ORDER BY id DESC LIMIT ?4",
	[S_LIST_STATUS] = "SELECT " SCAN_COLS " FROM scans WHERE status = ?1 AND id < ?3"
		" ORDER BY id DESC LIMIT ?4",
	[S_LIST_TYPE] = "SELECT " SCAN_COLS " FROM scans WHERE type = ?2 AND id < ?3"
		" ORDER BY id DESC LIMIT ?4",
	[S_LIST_BOTH] = "SELECT " SCAN_COLS " FROM scans WHERE status = ?1 AND type = ?2"
		" AND id < ?3 ORDER BY id DESC LIMIT ?4",
	[S_EVENTS] = "SELECT id, scan_id, at, from_status, to_status, attempt, worker_id,"
		" reason FROM scan_events WHERE scan_id = ?1 ORDER BY id LIMIT ?2",
	[S_EXISTS] = "SELECT 1 FROM scans WHERE id = ?1",
	[S_FINDINGS] = "SELECT " DB_FINDING_COLS " FROM findings WHERE scan_id = ?1 AND id > ?2"
		" ORDER BY id LIMIT ?3",
	/* INDEXED BY: the planner would otherwise pick scans_status_id and sort
	 * every pending row on each claim (measured: 10k/s instead of 40k/s). */
	[S_CLAIM] =
		"UPDATE scans SET status = 'running', attempt = attempt + 1, worker_id = ?1,"
		" claimed_at = ?2, lease_expires_at = ?2 + ?3, progress = 0"
		" WHERE id IN (SELECT id FROM scans INDEXED BY scans_claim"
		"  WHERE status = 'pending' AND run_after <= ?2"
		"  ORDER BY priority DESC, id LIMIT ?4)"
		" RETURNING " SCAN_COLS,
	[S_HEARTBEAT] =
		"UPDATE scans SET lease_expires_at = ?3 + ?4,"
		" progress = CASE WHEN ?5 >= 0 THEN ?5 ELSE progress END"
		" WHERE id = ?1 AND attempt = ?2 AND status = 'running'"
		" RETURNING cancel_requested",
	[S_COMPLETE] =
		"UPDATE scans SET status = 'completed', finished_at = ?3, progress = 1,"
		" summary = ?4, lease_expires_at = NULL, error_code = NULL,"
		" error_message = NULL, error_detail = NULL"
		" WHERE id = ?1 AND attempt = ?2 AND status = 'running'"
		" RETURNING coalesce(worker_id, '')",
	[S_FINDING_INSERT] =
		"INSERT INTO findings (scan_id, kind, target, port, proto, service, severity,"
		" title, detail, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[S_RUNNING_ROW] =
		"SELECT attempt - attempt_base, max_attempts, cancel_requested, worker_id"
		" FROM scans WHERE id = ?1 AND attempt = ?2 AND status = 'running'",
	[S_SET_PENDING] =
		"UPDATE scans SET status = 'pending', run_after = ?3 + ?4, lease_expires_at = NULL,"
		" attempt_base = attempt_base + ?5,"
		" error_code = coalesce(?6, error_code), error_message = coalesce(?7, error_message),"
		" error_detail = coalesce(?8, error_detail)"
		" WHERE id = ?1 AND attempt = ?2 AND status = 'running'",
	[S_SET_FINAL] =
		"UPDATE scans SET status = ?3, finished_at = ?4, lease_expires_at = NULL,"
		" error_code = ?5, error_message = ?6, error_detail = ?7"
		" WHERE id = ?1 AND attempt = ?2 AND status = ?8",
	[S_EXPIRED] =
		"SELECT id, attempt, attempt - attempt_base, max_attempts, cancel_requested,"
		" worker_id FROM scans INDEXED BY scans_lease"
		" WHERE status = 'running' AND lease_expires_at < ?1"
		" ORDER BY lease_expires_at LIMIT ?2",
	[S_EXTEND_LEASES] =
		"UPDATE scans SET lease_expires_at = lease_expires_at + ?1 WHERE status = 'running'",
	[S_STATUS_OF] = "SELECT status, attempt, cancel_requested FROM scans WHERE id = ?1",
	[S_CANCEL_REQUEST] =
		"UPDATE scans SET cancel_requested = 1 WHERE id = ?1 AND status = 'running'",
	[S_RETRY] =
		"UPDATE scans SET status = 'pending', attempt_base = attempt, run_after = ?2,"
		" finished_at = NULL, cancel_requested = 0, progress = 0, error_code = NULL,"
		" error_message = NULL, error_detail = NULL"
		" WHERE id = ?1 AND status IN ('failed', 'cancelled')",
	[S_COUNTS] = "SELECT type, status, n FROM scan_counts WHERE n <> 0 ORDER BY type",
	/* From when the scan became due (run_after), not created_at: a retried
	 * scan due now is not hours old (issue 12). */
	[S_OLDEST_PENDING] =
		"SELECT ?1 - run_after FROM scans INDEXED BY scans_pending_due"
		" WHERE status = 'pending' AND run_after <= ?1 ORDER BY run_after LIMIT 1",
	/* Only the finished events of the last minute, not every submission of
	 * a burst (measured: 2-4 ms right after 44k submits, ~0 with the index). */
	[S_FINISHED_SINCE] =
		"SELECT count(*) FROM scan_events INDEXED BY scan_events_finished WHERE at >= ?1 - 60000"
		" AND to_status IN ('completed', 'failed', 'cancelled')",
	[S_WORKER_BEATS] =
		"SELECT ?1 - w.heartbeat_at, (SELECT count(*) FROM scans s INDEXED BY scans_running_worker"
		" WHERE s.status = 'running' AND s.worker_id = w.id) FROM workers w"
		" WHERE w.stopped_at IS NULL",
	[S_COUNTERS] = "SELECT name, value FROM counters",
	[S_STUCK_PENDING] =
		"SELECT id, type, status, attempt, coalesce(worker_id, ''), run_after"
		" FROM scans INDEXED BY scans_pending_due"
		" WHERE status = 'pending' AND run_after <= ?1 - ?2 ORDER BY run_after LIMIT ?3",
	[S_STUCK_RUNNING] =
		"SELECT id, type, status, attempt, coalesce(worker_id, ''), lease_expires_at"
		" FROM scans INDEXED BY scans_lease"
		" WHERE status = 'running' AND lease_expires_at < ?1 ORDER BY lease_expires_at LIMIT ?2",
	[S_STUCK_PENDING_N] = "SELECT count(*) FROM scans INDEXED BY scans_pending_due"
		" WHERE status = 'pending' AND run_after <= ?1 - ?2",
	[S_STUCK_RUNNING_N] = "SELECT count(*) FROM scans INDEXED BY scans_lease"
		" WHERE status = 'running' AND lease_expires_at < ?1",
	/* Events and findings go with their scan (ON DELETE CASCADE); the count
	 * trigger keeps scan_counts right. */
	[S_PRUNE] =
		"DELETE FROM scans WHERE id IN (SELECT id FROM scans INDEXED BY scans_finished"
		" WHERE finished_at < ?1 AND status IN ('completed', 'failed', 'cancelled')"
		" ORDER BY finished_at LIMIT ?2)",
	[S_PRUNE_COUNT] =
		"SELECT count(*) FROM scans INDEXED BY scans_finished"
		" WHERE finished_at < ?1 AND status IN ('completed', 'failed', 'cancelled')",
	[S_WORKER_UPSERT] =
		"INSERT INTO workers (id, name, host, pid, started_at, heartbeat_at, concurrency,"
		" running, scans_done) VALUES (?1, ?2, ?3, ?4, coalesce(?5, ?6), ?6, ?7, 0, 0)"
		" ON CONFLICT(id) DO UPDATE SET name = excluded.name, host = excluded.host,"
		" pid = excluded.pid, started_at = excluded.started_at,"
		" heartbeat_at = excluded.heartbeat_at, concurrency = excluded.concurrency,"
		" running = 0, scans_done = 0, stopped_at = NULL, last_exit = NULL",
	/* A heartbeat also clears stopped_at: a live worker is never "stopped". */
	[S_WORKER_BEAT] =
		"UPDATE workers SET heartbeat_at = ?2, scans_done = ?3, stopped_at = NULL WHERE id = ?1",
	[S_WORKER_EXIT] = "UPDATE workers SET last_exit = ?2, running = 0, stopped_at = ?3"
		" WHERE id = ?1",
	[S_WORKER_LIST] =
		"SELECT w.id, w.name, w.host, w.pid, w.started_at, w.heartbeat_at, w.concurrency,"
		" (SELECT count(*) FROM scans s INDEXED BY scans_running_worker"
		"  WHERE s.status = 'running' AND s.worker_id = w.id),"
		" w.scans_done, coalesce(w.last_exit, ''), w.stopped_at FROM workers w"
		" ORDER BY w.name, w.started_at DESC",
	[S_WORKER_RUNNING] =
		"SELECT id FROM scans INDEXED BY scans_running_worker"
		" WHERE status = 'running' AND worker_id = ?1 ORDER BY id LIMIT 16",
	[S_WORKER_HELD] =
		"SELECT id, attempt, attempt - attempt_base, max_attempts, cancel_requested, lost_workers"
		" FROM scans INDEXED BY scans_running_worker WHERE status = 'running' AND worker_id = ?1"
		" ORDER BY id LIMIT ?2",
	[S_HANDBACK] =
		"UPDATE scans SET status = 'pending', run_after = ?3, lease_expires_at = NULL,"
		" attempt_base = attempt_base + 1, lost_workers = lost_workers + 1"
		" WHERE id = ?1 AND attempt = ?2 AND status = 'running'",
	[S_WORKER_PRUNE] =
		"DELETE FROM workers WHERE coalesce(stopped_at, heartbeat_at) < ?1 - ?2",
	[S_TOKEN_INSERT] =
		"INSERT INTO tokens (name, role, hash, created_at) VALUES (?1, ?2, ?3, ?4)"
		" RETURNING id",
	[S_TOKEN_GET] = "SELECT role, hash FROM tokens WHERE id = ?1",
	[S_TOKEN_ANY] = "SELECT EXISTS (SELECT 1 FROM tokens)",
	[S_LEADER_TAKE] =
		"INSERT INTO leader (id, holder, expires_at) VALUES (1, ?1, ?2 + ?3)"
		" ON CONFLICT (id) DO UPDATE SET holder = excluded.holder,"
		" expires_at = excluded.expires_at"
		" WHERE leader.holder = excluded.holder OR leader.expires_at < ?2"
		" RETURNING holder",
	[S_LEADER_DROP] = "DELETE FROM leader WHERE holder = ?1",
	[S_SCHEMA_PRESENT] =
		"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
	[S_SCHEMA_INIT] =
		"CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
		" name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
	[S_SCHEMA_VERSION] = "SELECT coalesce(max(version), 0) FROM schema_migrations",
	[S_SCHEMA_LOCK] = NULL,	/* BEGIN IMMEDIATE already holds the only write lock */
	[S_SCHEMA_RECORD] =
		"INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
	/* ---- scheduled scans ---- */
	[S_SCHED_INSERT] =
		"INSERT INTO schedules (name, cron, tz, overlap, type, targets, options, priority,"
		" max_attempts, time_limit_s, next_run_at, created_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
		" ON CONFLICT (name) DO NOTHING RETURNING id",
	[S_SCHED_LIST] = "SELECT " SCHED_SELECT " FROM schedules ORDER BY name",
	[S_SCHED_BY_NAME] = "SELECT " SCHED_SELECT " FROM schedules WHERE name = ?1",
	[S_SCHED_BY_ID] = "SELECT " SCHED_SELECT " FROM schedules WHERE id = ?1",
	[S_SCHED_DUE] = "SELECT " SCHED_SELECT " FROM schedules INDEXED BY schedules_due"
		" WHERE paused = 0 AND next_run_at <= ?1 ORDER BY next_run_at LIMIT ?2",
	[S_SCHED_LATE] = "SELECT " SCHED_SELECT " FROM schedules INDEXED BY schedules_due"
		" WHERE paused = 0 AND next_run_at < ?1 - ?2 ORDER BY next_run_at",
	[S_SCHED_ADVANCE] = "UPDATE schedules SET next_run_at = ?3"
		" WHERE id = ?1 AND next_run_at = ?2 AND paused = 0",
	[S_SCHED_ACTIVE] = "SELECT 1 FROM scans INDEXED BY scans_schedule WHERE schedule_id = ?1"
		" AND status IN ('pending', 'running') LIMIT 1",
	[S_SCHED_MARK] = "UPDATE schedules SET fired = fired + ?2, skipped = skipped + ?3,"
		" last_fired_at = CASE WHEN ?2 > 0 THEN ?4 ELSE last_fired_at END,"
		" last_skipped_at = CASE WHEN ?3 > 0 THEN ?4 ELSE last_skipped_at END WHERE id = ?1",
	[S_SCHED_TAG] = "UPDATE scans SET schedule_id = ?2 WHERE id = ?1",
	[S_SCHED_PAUSE] = "UPDATE schedules SET paused = ?2, next_run_at = ?3 WHERE id = ?1",
	[S_SCHED_DELETE] = "DELETE FROM schedules WHERE id = ?1",
	[S_FINISHED_WINDOW] =
		"SELECT count(*) FROM scan_events INDEXED BY scan_events_finished WHERE at >= ?1 - ?2"
		" AND to_status IN ('completed', 'failed', 'cancelled')",
	[S_LIST_TARGET] = "SELECT " SCAN_COLS " FROM scans WHERE id < ?3"
		" AND (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR type = ?2)"
		" AND instr(targets, ?5) > 0 ORDER BY id DESC LIMIT ?4",
	[S_REQUEST_HASH_SET] = "UPDATE scans SET request_hash = ?2 WHERE id = ?1",
	[S_REQUEST_HASH_GET] = "SELECT id, coalesce(request_hash, '') FROM scans"
		" WHERE idempotency_key = ?1",
};
