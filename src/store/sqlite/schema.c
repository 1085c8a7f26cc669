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
#include "store/sqlite/schema.h"

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
	/* Follow-up stages and shards (issue 14): a stage or a shard names the
	 * scan it came from; `flow` says what its completion must also do (1: it
	 * has follow-up stages in options.then, 2: it is split into shards and
	 * never runs itself, 4: it is a shard); flow_note says why a chain ended. */
	{ 11, "follow-up stages and shards",
	  "ALTER TABLE scans ADD COLUMN parent_id INTEGER;"
	  "ALTER TABLE scans ADD COLUMN flow INTEGER NOT NULL DEFAULT 0;"
	  "ALTER TABLE scans ADD COLUMN flow_note TEXT;"
	  "CREATE INDEX scans_parent ON scans(parent_id) WHERE parent_id IS NOT NULL;" },
	/* Changes between the scans of a baseline, webhooks and their durable
	 * deliveries (issue 13). */
	{ 12, "changes between scans of a baseline; webhooks and their deliveries",
	  "CREATE TABLE scan_baselines ("
	  " scan_id INTEGER PRIMARY KEY REFERENCES scans(id) ON DELETE CASCADE,"
	  " key TEXT NOT NULL, baseline_id INTEGER, new INTEGER NOT NULL DEFAULT 0,"
	  " gone INTEGER NOT NULL DEFAULT 0, changed INTEGER NOT NULL DEFAULT 0);"
	  "CREATE INDEX scan_baselines_key ON scan_baselines(key, scan_id);"
	  "CREATE TABLE scan_changes (id INTEGER PRIMARY KEY,"
	  " scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,"
	  " baseline_id INTEGER NOT NULL,"
	  " change_type TEXT NOT NULL CHECK (change_type IN ('new', 'gone', 'changed')),"
	  " kind TEXT NOT NULL, target TEXT, port INTEGER, proto TEXT, ident TEXT,"
	  " severity TEXT NOT NULL, title TEXT, before_json TEXT, after_json TEXT);"
	  "CREATE INDEX scan_changes_scan ON scan_changes(scan_id, id);"
	  "CREATE TABLE webhooks (id INTEGER PRIMARY KEY, url TEXT NOT NULL, events TEXT NOT NULL,"
	  " secret TEXT NOT NULL, min_severity TEXT NOT NULL, created_at INTEGER NOT NULL);"
	  "CREATE TABLE webhook_deliveries (id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE,"
	  " webhook_id INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,"
	  " event TEXT NOT NULL, scan_id INTEGER,"
	  " status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'delivered', 'failed')),"
	  " attempt INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL,"
	  " run_after INTEGER NOT NULL, lease_expires_at INTEGER, worker_id TEXT,"
	  " created_at INTEGER NOT NULL, finished_at INTEGER, body TEXT NOT NULL,"
	  " last_code INTEGER, last_error TEXT);"
	  "CREATE INDEX webhook_deliveries_due ON webhook_deliveries(run_after) WHERE status = 'pending';"
	  "CREATE INDEX webhook_deliveries_lease ON webhook_deliveries(lease_expires_at)"
	  " WHERE status = 'sending';"
	  "CREATE INDEX webhook_deliveries_hook ON webhook_deliveries(webhook_id, id);"
	  "CREATE TABLE webhook_attempts (id INTEGER PRIMARY KEY,"
	  " delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,"
	  " attempt INTEGER NOT NULL, at INTEGER NOT NULL, status_code INTEGER, error TEXT,"
	  " duration_ms INTEGER NOT NULL);"
	  "CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery_id, id);"
	  "INSERT INTO counters(name, value) VALUES ('changes_new', 0), ('changes_gone', 0),"
	  " ('changes_changed', 0), ('webhook_delivered', 0), ('webhook_retried', 0),"
	  " ('webhook_failed', 0);" },
	/* Issue 12 part B: tokens expire and can be revoked; who did what. */
	{ 13, "token expiry and revocation; the audit trail",
	  "ALTER TABLE tokens ADD COLUMN expires_at INTEGER;"
	  "ALTER TABLE tokens ADD COLUMN revoked_at INTEGER;"
	  "CREATE TABLE audit (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor TEXT NOT NULL,"
	  " action TEXT NOT NULL, scan_id INTEGER, detail TEXT);"
	  "CREATE INDEX audit_at ON audit(at);"
	  "CREATE INDEX scans_finished_status ON scans(status, finished_at)"
	  " WHERE finished_at IS NOT NULL;" },
	/* Scheduled scans (issue 12): schedules fire scans, each scan names the
	 * schedule that fired it (the baseline of change tracking), and a scan
	 * keeps a hash of its normalised request for idempotency keys.  A
	 * schedule id is never reused (AUTOINCREMENT): scans keep it after rm. */
	{ 14, "scheduled scans; scans name their schedule and request hash",
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
	{ 15, "a counter of scans handed back from dead workers",
	  "INSERT INTO counters(name, value) VALUES ('worker_handbacks', 0);" },
	{ 0, NULL, NULL }
};

#define SCAN_COLS DB_SCAN_COLS
/* The stuck categories that are counted as well as listed (S_SQ_*, S_SQ_*_N):
 * each condition written once.  LIVE: EXISTS or NOT EXISTS a live worker. */
#define SQ_LEASE " FROM scans INDEXED BY scans_lease WHERE status = 'running'" \
	" AND lease_expires_at < ?1"
#define SQ_DUE(LIVE) " FROM scans INDEXED BY scans_pending_due WHERE status = 'pending'" \
	" AND run_after <= ?1 - ?2 AND " LIVE " (SELECT 1 FROM workers WHERE stopped_at IS NULL" \
	" AND heartbeat_at >= ?1 - ?4)"
/* A schedule's columns and its last scan (id, status), newest by id. */
#define SCHED_SELECT DB_SCHED_COLS ", (SELECT id FROM scans INDEXED BY scans_schedule" \
	" WHERE schedule_id = schedules.id ORDER BY id DESC LIMIT 1), (SELECT status FROM scans" \
	" INDEXED BY scans_schedule WHERE schedule_id = schedules.id ORDER BY id DESC LIMIT 1)"

const char *const sqlite_sql[DB_STMT_COUNT] = {
	[S_KEY_LOOKUP] = "SELECT id FROM scans WHERE idempotency_key = ?1",
	[S_INSERT_SCAN] =
		"INSERT INTO scans (type, targets, options, status, priority, max_attempts,"
		" time_limit_s, run_after, created_at, claimed_at, parent_id, flow, idempotency_key)"
		" VALUES (?1, ?2, ?3, ?10, ?4, ?5, ?6, ?7, ?7, CASE WHEN ?10 = 'running' THEN ?7 END,"
		" ?8, ?9, ?11) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
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
	/* Counted from when the scan became due (a retry waiting out its
	 * backoff is not old), as the stuck report counts. */
	[S_OLDEST_PENDING] =
		"SELECT ?1 - run_after FROM scans INDEXED BY scans_pending_due"
		" WHERE status = 'pending' AND run_after <= ?1 ORDER BY run_after LIMIT 1",
	[S_OVERDUE_LEASE] =
		"SELECT ?1 - lease_expires_at FROM scans INDEXED BY scans_lease"
		" WHERE status = 'running' AND lease_expires_at < ?1 ORDER BY lease_expires_at LIMIT 1",
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
	/* follow-up stages and shards (issue 14) */
	[S_FLOW_ROW] =
		"SELECT coalesce(parent_id, 0), flow, type, options, priority, max_attempts,"
		" time_limit_s, cancel_requested, status FROM scans WHERE id = ?1",
	[S_FLOW_HOSTS] =
		"SELECT DISTINCT target FROM findings WHERE kind = 'host' AND target IS NOT NULL"
		" AND scan_id IN (SELECT ?1 UNION ALL SELECT id FROM scans WHERE parent_id = ?1"
		" AND (flow & 4) <> 0) ORDER BY target LIMIT ?2",
	[S_FLOW_PORTS] =
		"SELECT DISTINCT target, port FROM findings WHERE kind = 'open_port'"
		" AND target IS NOT NULL AND port IS NOT NULL"
		" AND scan_id IN (SELECT ?1 UNION ALL SELECT id FROM scans WHERE parent_id = ?1"
		" AND (flow & 4) <> 0) ORDER BY target, port LIMIT ?2",
	[S_FLOW_SHARDS] =
		"SELECT id, status, coalesce(error_code, ''), progress, summary FROM scans"
		" WHERE parent_id = ?1 AND (flow & 4) <> 0 ORDER BY id",
	[S_FLOW_FINISH] =
		"UPDATE scans SET status = 'completed', finished_at = ?2, progress = 1, summary = ?3,"
		" error_code = NULL, error_message = NULL, error_detail = NULL"
		" WHERE id = ?1 AND status = 'running' AND (flow & 2) <> 0",
	[S_FLOW_SPLIT_END] =
		"UPDATE scans SET status = ?3, finished_at = ?2, error_code = ?4, error_message = ?5"
		" WHERE id = ?1 AND status = 'running' AND (flow & 2) <> 0",
	[S_FLOW_PROGRESS] = "UPDATE scans SET progress = ?2 WHERE id = ?1",
	[S_FLOW_NOTE] = "UPDATE scans SET flow_note = ?2 WHERE id = ?1",
	[S_FLOW_DESC_PENDING] =
		"WITH RECURSIVE t(id) AS (SELECT id FROM scans WHERE parent_id = ?1"
		" UNION ALL SELECT s.id FROM scans s JOIN t ON s.parent_id = t.id)"
		" UPDATE scans SET status = 'cancelled', finished_at = ?2, error_code = 'cancelled',"
		" error_message = 'cancelled by an operator with its chain'"
		" WHERE id IN (SELECT id FROM t) AND status = 'pending' RETURNING id, attempt",
	[S_FLOW_DESC_RUNNING] =
		"WITH RECURSIVE t(id) AS (SELECT id FROM scans WHERE parent_id = ?1"
		" UNION ALL SELECT s.id FROM scans s JOIN t ON s.parent_id = t.id)"
		" UPDATE scans SET cancel_requested = 1 WHERE id IN (SELECT id FROM t)"
		" AND status = 'running' AND (flow & 2) = 0 AND cancel_requested = 0"
		" RETURNING id, attempt",
	[S_FLOW_DESC_SPLIT] =
		"WITH RECURSIVE t(id) AS (SELECT id FROM scans WHERE parent_id = ?1"
		" UNION ALL SELECT s.id FROM scans s JOIN t ON s.parent_id = t.id)"
		" UPDATE scans SET status = 'cancelled', finished_at = ?2, error_code = 'cancelled',"
		" error_message = 'cancelled by an operator with its chain'"
		" WHERE id IN (SELECT id FROM t) AND status = 'running' AND (flow & 2) <> 0"
		" RETURNING id, attempt",
	[S_FLOW_TREE] =
		"WITH RECURSIVE t(id) AS (SELECT ?1 UNION ALL SELECT s.id FROM scans s"
		" JOIN t ON s.parent_id = t.id)"
		" SELECT s.id, coalesce(s.parent_id, 0), s.type, s.status, s.flow, s.progress,"
		" (SELECT count(*) FROM findings f WHERE f.scan_id = s.id), s.flow_note,"
		" s.error_message, s.targets FROM scans s WHERE s.id IN (SELECT id FROM t)"
		" ORDER BY s.id LIMIT ?2",
	[S_FLOW_ROOT] =
		"WITH RECURSIVE up(id, parent_id) AS (SELECT id, parent_id FROM scans WHERE id = ?1"
		" UNION ALL SELECT s.id, s.parent_id FROM scans s JOIN up ON s.id = up.parent_id)"
		" SELECT id FROM up WHERE parent_id IS NULL",
	[S_FLOW_FINDINGS] =
		"SELECT " DB_FINDING_COLS " FROM findings WHERE scan_id IN (SELECT ?1 UNION ALL"
		" SELECT id FROM scans WHERE parent_id = ?1 AND (flow & 4) <> 0) AND id > ?2"
		" ORDER BY id LIMIT ?3",
	[S_FLOW_OF] = "SELECT flow, coalesce(parent_id, 0) FROM scans WHERE id = ?1",
	[S_FLOW_REOPEN] =
		"UPDATE scans SET status = 'running', finished_at = NULL, cancel_requested = 0,"
		" error_code = NULL, error_message = NULL, error_detail = NULL"
		" WHERE id = ?1 AND status IN ('failed', 'cancelled') AND (flow & 2) <> 0",
	/* ---- changes, webhooks, inventory (issue 13) ---- */
	/* The baseline rule: the key is DB_CHANGES_KEY (db.h); a scan that is
	 * not a stage has its key's newest scan as baseline. */
	[S_CHANGES_MARK] =
		"INSERT INTO scan_baselines (scan_id, key, baseline_id)"
		" SELECT k.id, k.key, CASE WHEN k.parent IS NULL"
		"  THEN (SELECT b.scan_id FROM scan_baselines b WHERE b.key = k.key AND b.scan_id < k.id"
		"  ORDER BY b.scan_id DESC LIMIT 1)"
		/* a stage: the newest scan of its key from another run of the chain */
		"  ELSE (SELECT b.scan_id FROM scan_baselines b JOIN scans x ON x.id = b.scan_id"
		"  WHERE b.key = k.key AND b.scan_id < k.id AND x.parent_id IS NOT k.parent"
		"  ORDER BY b.scan_id DESC LIMIT 1) END"
		" FROM (SELECT id, " DB_CHANGES_KEY("char(10)") " AS key, parent_id AS parent"
		"  FROM scans WHERE id = ?1) k"
		" RETURNING baseline_id, (SELECT count(*) FROM findings f WHERE f.scan_id = baseline_id),"
		" (SELECT count(*) FROM webhooks), CASE WHEN key LIKE 'stage:%'"
		" THEN (SELECT targets FROM scans WHERE id = scan_id) END",
	[S_CHANGES_FINDINGS] =
		"SELECT kind, target, coalesce(port, 0), coalesce(proto, ''), service, severity, title,"
		" detail FROM findings WHERE scan_id IN (SELECT ?1 UNION ALL"
		" SELECT id FROM scans WHERE parent_id = ?1 AND (flow & 4) <> 0)",
	[S_CHANGES_STAGE_FINDINGS] =
		"WITH run AS (SELECT b.scan_id AS id FROM scan_baselines b JOIN scans x ON x.id = b.scan_id"
		"  WHERE b.key = (SELECT key FROM scan_baselines WHERE scan_id = ?1)"
		"  AND x.parent_id = (SELECT parent_id FROM scans WHERE id = ?1))"
		" SELECT kind, target, coalesce(port, 0), coalesce(proto, ''), service, severity, title,"
		" detail FROM findings WHERE scan_id IN (SELECT id FROM run UNION ALL"
		" SELECT s.id FROM scans s WHERE s.parent_id IN (SELECT id FROM run) AND (s.flow & 4) <> 0)"
		" AND target IN (SELECT value FROM json_each(?2))",
	[S_CHANGES_INSERT] =
		"INSERT INTO scan_changes (scan_id, baseline_id, change_type, kind, target, port, proto,"
		" ident, severity, title, before_json, after_json)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	[S_CHANGES_COUNT] =
		"UPDATE scan_baselines SET new = ?2, gone = ?3, changed = ?4 WHERE scan_id = ?1",
	[S_CHANGES_SUMMARY] = "UPDATE scans SET summary = ?2 WHERE id = ?1",
	[S_CHANGES_LIST] =
		"SELECT id, change_type, kind, target, coalesce(port, 0), coalesce(proto, ''), ident,"
		" severity, title, before_json, after_json, scan_id FROM scan_changes"
		" WHERE scan_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
	[S_CHANGES_OF] =
		"SELECT coalesce(baseline_id, 0), new, gone, changed FROM scan_baselines WHERE scan_id = ?1",
	[S_CHAIN_STAGES] =
		DB_CHAIN_CTE("?1")
		" SELECT s.id, s.type, s.status, CASE WHEN b.scan_id IS NULL THEN 0 ELSE 1 END,"
		" coalesce(b.baseline_id, 0),"
		" coalesce(b.new, 0), coalesce(b.gone, 0), coalesce(b.changed, 0)"
		" FROM scans s JOIN chain c ON c.id = s.id"
		" LEFT JOIN scan_baselines b ON b.scan_id = s.id ORDER BY s.id",
	[S_CHAIN_CHANGES] =
		DB_CHAIN_CTE("?1")
		" SELECT id, change_type, kind, target, coalesce(port, 0), coalesce(proto, ''), ident,"
		" severity, title, before_json, after_json, scan_id FROM scan_changes"
		" WHERE scan_id IN (SELECT id FROM chain) AND id > ?2"
		" ORDER BY id LIMIT ?3",
	[S_WEBHOOKS] =
		"SELECT id, url, events, secret, min_severity, created_at FROM webhooks ORDER BY id",
	[S_WEBHOOK_INSERT] =
		"INSERT INTO webhooks (url, events, secret, min_severity, created_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
	[S_WEBHOOK_DELETE] = "DELETE FROM webhooks WHERE id = ?1",
	[S_DELIVERY_INSERT] =
		"INSERT INTO webhook_deliveries (uuid, webhook_id, event, scan_id, status,"
		" max_attempts, run_after, created_at, body)"
		" VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?6, ?6, ?7) RETURNING id",
	/* Due pending deliveries, and those whose sender died (lease expired). */
	[S_DELIVERY_CLAIM] =
		"UPDATE webhook_deliveries SET status = 'sending', attempt = attempt + 1,"
		" worker_id = ?1, lease_expires_at = ?2 + ?3"
		" WHERE id IN (SELECT id FROM webhook_deliveries INDEXED BY webhook_deliveries_due"
		"  WHERE status = 'pending' AND run_after <= ?2"
		"  UNION ALL SELECT id FROM webhook_deliveries INDEXED BY webhook_deliveries_lease"
		"  WHERE status = 'sending' AND lease_expires_at < ?2 LIMIT ?4)"
		" RETURNING id, uuid, webhook_id, attempt, max_attempts, created_at, event, body",
	[S_DELIVERY_DONE] =
		"UPDATE webhook_deliveries SET status = ?3, lease_expires_at = NULL,"
		" run_after = ?4 + ?5, finished_at = CASE WHEN ?3 = 'pending' THEN NULL ELSE ?4 END,"
		" last_code = ?6, last_error = ?7"
		" WHERE id = ?1 AND attempt = ?2 AND status = 'sending'",
	[S_DELIVERY_ATTEMPT] =
		"INSERT INTO webhook_attempts (delivery_id, attempt, at, status_code, error, duration_ms)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[S_DELIVERY_LOG] =
		"SELECT d.id, d.uuid, d.webhook_id, d.event, coalesce(d.scan_id, 0), d.status,"
		" coalesce(a.attempt, 0), coalesce(a.at, d.created_at), a.status_code, a.error,"
		" coalesce(a.duration_ms, 0), d.created_at"
		" FROM webhook_deliveries d LEFT JOIN webhook_attempts a ON a.delivery_id = d.id"
		" WHERE (?1 = 0 OR d.webhook_id = ?1) ORDER BY d.id DESC, a.id DESC LIMIT ?2",
	/* Every host and port a completed scan saw, and whether the latest scan
	 * of its baseline still sees it. */
	[S_INVENTORY] =
		"WITH latest AS (SELECT max(scan_id) AS scan_id FROM scan_baselines GROUP BY key),"
		" f AS (SELECT f.target, coalesce(f.port, 0) AS port, coalesce(f.proto, '') AS proto,"
		"  f.service, f.scan_id, s.finished_at,"
		"  (CASE WHEN (s.flow & 4) <> 0 THEN s.parent_id ELSE f.scan_id END)"
		"  IN (SELECT scan_id FROM latest) AS still"
		"  FROM findings f JOIN scans s ON s.id = f.scan_id AND s.status = 'completed'"
		"  WHERE f.kind IN ('host', 'open_port') AND f.target IS NOT NULL"
		"  AND (?1 = 0 OR f.port = ?1) AND (?2 IS NULL OR f.service = ?2))"
		" SELECT target, port, proto,"
		"  (SELECT g.service FROM f g WHERE g.target = f.target AND g.port = f.port"
		"   AND g.proto = f.proto ORDER BY g.scan_id DESC LIMIT 1),"
		"  min(finished_at), max(finished_at), min(scan_id), max(scan_id), max(still)"
		" FROM f GROUP BY target, port, proto ORDER BY target, port, proto LIMIT ?3",
	/* operations (issue 12 part B) */
	[S_SQ_LEASE] = "SELECT id, type, status, attempt, coalesce(worker_id, ''), lease_expires_at, ''"
		SQ_LEASE " ORDER BY lease_expires_at, id LIMIT ?3",
	[S_SQ_LEASE_N] = "SELECT count(*)" SQ_LEASE,
	[S_SQ_OVERTIME] = "SELECT id, type, status, attempt, coalesce(worker_id, ''), claimed_at + time_limit_s * 1000,"
		" 'hard limit ' || time_limit_s || ' s' FROM scans INDEXED BY scans_lease"
		" WHERE status = 'running' AND lease_expires_at >= ?1"
		" AND claimed_at + time_limit_s * 1000 + ?5 < ?1 ORDER BY id LIMIT ?3",
	[S_SQ_NO_WORKER] = "SELECT id, type, status, attempt, coalesce(worker_id, ''), run_after, ''"
		SQ_DUE("NOT EXISTS") " ORDER BY run_after, id LIMIT ?3",
	[S_SQ_NO_WORKER_N] = "SELECT count(*)" SQ_DUE("NOT EXISTS"),
	[S_SQ_BACKLOG] = "SELECT id, type, status, attempt, coalesce(worker_id, ''), run_after, ''"
		SQ_DUE("EXISTS") " ORDER BY run_after, id LIMIT ?3",
	[S_SQ_BACKLOG_N] = "SELECT count(*)" SQ_DUE("EXISTS"),
	[S_SQ_NO_FINISH] = "SELECT id, type, status, attempt, coalesce(worker_id, ''), created_at, '' FROM scans"
		" WHERE status IN ('completed', 'failed', 'cancelled') AND finished_at IS NULL"
		" ORDER BY id LIMIT ?3",
	[S_SQ_NO_LEASE] = "SELECT id, type, status, attempt, coalesce(worker_id, ''), coalesce(claimed_at, created_at), '' FROM scans"
		" WHERE status = 'running' AND (worker_id IS NULL OR lease_expires_at IS NULL)"
		" AND (flow & 2) = 0 ORDER BY id LIMIT ?3",
	[S_SQ_CANCEL_LEFT] = "SELECT id, type, status, attempt, coalesce(worker_id, ''), coalesce(finished_at, created_at), '' FROM scans"
		" WHERE status IN ('completed', 'failed') AND cancel_requested <> 0 ORDER BY id LIMIT ?3",
	[S_SQ_TIMELINE] = "SELECT s.id, s.type, s.status, s.attempt, coalesce(s.worker_id, ''),"
		" e.at, e.to_status FROM scans s JOIN scan_events e ON e.id ="
		" (SELECT max(id) FROM scan_events WHERE scan_id = s.id)"
		" WHERE e.to_status <> s.status ORDER BY s.id LIMIT ?3",
	[S_SQ_BUDGET] = "SELECT id, type, status, attempt, coalesce(worker_id, ''), created_at,"
		" (attempt - attempt_base) || ' of ' || max_attempts FROM scans"
		" WHERE (status = 'pending' AND attempt - attempt_base >= max_attempts)"
		" OR (status = 'running' AND attempt - attempt_base > max_attempts) ORDER BY id LIMIT ?3",
	[S_LAST_EVENT] = "SELECT to_status, at FROM scan_events WHERE scan_id = ?1"
		" ORDER BY id DESC LIMIT 1",
	[S_FIX_FINISHED_AT] = "UPDATE scans SET finished_at = ?2 WHERE id = ?1",
	[S_FIX_CANCEL_FLAG] = "UPDATE scans SET cancel_requested = 0 WHERE id = ?1"
		" AND status IN ('completed', 'failed', 'cancelled')",
	[S_RESET_RUNNING] = "SELECT id, attempt, coalesce(worker_id, '') FROM scans"
		" WHERE status = 'running' ORDER BY id LIMIT ?1",
	[S_WORKERS_CLEAR] = "DELETE FROM workers",
	[S_AUDIT_INSERT] = "INSERT INTO audit (at, actor, action, scan_id, detail)"
		" VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_AUDIT_LIST] = "SELECT id, at, actor, action, scan_id, coalesce(detail, '') FROM audit"
		" WHERE id < ?1 ORDER BY id DESC LIMIT ?2",
	[S_TOKEN_INSERT_EXP] = "INSERT INTO tokens (name, role, hash, created_at, expires_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
	[S_TOKEN_CHECK] = "SELECT role, hash, name, CASE WHEN revoked_at IS NOT NULL THEN 'revoked'"
		" WHEN expires_at IS NOT NULL AND expires_at <= ?2 THEN 'expired' ELSE 'ok' END"
		" FROM tokens WHERE id = ?1",
	[S_TOKEN_LIST] = "SELECT id, name, role, created_at, expires_at, revoked_at FROM tokens"
		" ORDER BY id",
	[S_TOKEN_REVOKE] = "UPDATE tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
	[S_PRUNE_STATUS] =
		"DELETE FROM scans WHERE id IN (SELECT id FROM scans INDEXED BY scans_finished_status"
		" WHERE status = ?3 AND finished_at < ?1 ORDER BY finished_at LIMIT ?2)",
	[S_PRUNE_STATUS_COUNT] = "SELECT count(*) FROM scans INDEXED BY scans_finished_status"
		" WHERE status = ?2 AND finished_at < ?1",
	[S_FINISHED_HOUR] = "SELECT count(*) FILTER (WHERE to_status = 'completed'),"
		" count(*) FILTER (WHERE to_status = 'failed') FROM scan_events"
		" INDEXED BY scan_events_finished WHERE at >= ?1 - 3600000"
		" AND to_status IN ('completed', 'failed', 'cancelled') AND from_status IS NOT to_status",
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
