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
#include "store/sql.h"
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
	  SQL_M1_SCAN_INDEXES
	  "CREATE TABLE scan_events ("
	  " id INTEGER PRIMARY KEY,"
	  " scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,"
	  " at INTEGER NOT NULL,"
	  " from_status TEXT,"
	  " to_status TEXT NOT NULL,"
	  " attempt INTEGER NOT NULL,"
	  " worker_id TEXT,"
	  " reason TEXT);"
	  SQL_M1_EVENT_INDEXES
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
	  SQL_M1_COUNTERS },
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
	  SQL_M4 },
	{ 5, "workers record when they stopped",
	  "ALTER TABLE workers ADD COLUMN stopped_at INTEGER;" },
	{ 6, "an index for the last minute's finished scans",
	  SQL_M6 },
	{ 7, "the scan duration histogram, kept by a trigger",
	  SQL_M7_COUNTERS
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
	  SQL_M11_FLOW },
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
	  SQL_M12_DELIVERY_INDEXES
	  "CREATE TABLE webhook_attempts (id INTEGER PRIMARY KEY,"
	  " delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,"
	  " attempt INTEGER NOT NULL, at INTEGER NOT NULL, status_code INTEGER, error TEXT,"
	  " duration_ms INTEGER NOT NULL);"
	  "CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery_id, id);"
	  SQL_M12_COUNTERS },
	/* Issue 12 part B: tokens expire and can be revoked; who did what. */
	{ 13, "token expiry and revocation; the audit trail",
	  "ALTER TABLE tokens ADD COLUMN expires_at INTEGER;"
	  "ALTER TABLE tokens ADD COLUMN revoked_at INTEGER;"
	  "CREATE TABLE audit (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor TEXT NOT NULL,"
	  " action TEXT NOT NULL, scan_id INTEGER, detail TEXT);"
	  SQL_M13_INDEXES },
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
	  SQL_M14_REQUEST },
	{ 15, "a counter of scans handed back from dead workers",
	  SQL_M15 },
	/* Pools (issue 20): a scan, a schedule and an agent token belong to a
	 * pool; the claim index leads with it so that one pool's claim stays an
	 * index range.  SQLite cannot change a CHECK, so the tokens table is
	 * copied into one that allows the agent role.  The registry tells
	 * agents from workers. */
	{ 16, "pools; agent tokens; agents in the worker registry",
	  SQL_M16_POOLS
	  "CREATE TABLE tokens_v16 (id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
	  " role TEXT NOT NULL CHECK (role IN ('viewer','operator','admin','agent')),"
	  " hash TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER,"
	  " revoked_at INTEGER, pool TEXT);"
	  "INSERT INTO tokens_v16 (id, name, role, hash, created_at, expires_at, revoked_at)"
	  " SELECT id, name, role, hash, created_at, expires_at, revoked_at FROM tokens;"
	  "DROP TABLE tokens;"
	  "ALTER TABLE tokens_v16 RENAME TO tokens;"
	  SQL_M16_WORKERS },
	/* The lifecycle of findings (issue 24): one row per baseline key and,
	 * under it, one per fingerprint with its state across complete runs. */
	{ 17, "the lifecycle of findings per baseline",
	  "CREATE TABLE finding_baselines (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE,"
	  " schedule_id INTEGER, created_at INTEGER NOT NULL);"
	  "CREATE TABLE finding_states (id INTEGER PRIMARY KEY,"
	  " baseline_id INTEGER NOT NULL REFERENCES finding_baselines(id) ON DELETE CASCADE,"
	  " fingerprint TEXT NOT NULL,"
	  " state TEXT NOT NULL CHECK (state IN"
	  "  ('open', 'fixed', 'reopened', 'accepted', 'false_positive')),"
	  " kind TEXT NOT NULL, target TEXT, port INTEGER NOT NULL DEFAULT 0, proto TEXT,"
	  " severity TEXT NOT NULL, title TEXT, cve TEXT,"
	  " first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, times_seen INTEGER NOT NULL,"
	  " first_scan_id INTEGER NOT NULL, last_scan_id INTEGER NOT NULL, fixed_scan_id INTEGER,"
	  " reason TEXT, actor TEXT, expires_at INTEGER, updated_at INTEGER NOT NULL,"
	  " UNIQUE (fingerprint, baseline_id));"	/* also the triage's lookup by fingerprint */
	  SQL_M17_INDEXES },
	/* The inventory's hostnames are read from the findings that
	 * carry them (S_HOST_NAMES); this index finds those findings without a
	 * pass over all the others. */
	{ 18, "an index of the findings that name hosts (http, host, dns_ptr)",
	  SQL_M18 },
	/* Scanning politely: the global exclusion list (store/exclusions.c);
	 * the audit trail names the client address of an API change; pauses
	 * (store/pause.c), which the claim consults (DB_CLAIM_NOT_PAUSED). */
	{ 19, "exclusions; the audit trail's client address; pauses",
	  "CREATE TABLE exclusions (entry TEXT PRIMARY KEY, reason TEXT NOT NULL DEFAULT '',"
	  " created_at INTEGER NOT NULL, created_by TEXT NOT NULL);"
	  "ALTER TABLE audit ADD COLUMN client TEXT;"
	  "CREATE TABLE pauses (kind TEXT NOT NULL CHECK (kind IN ('all', 'type', 'schedule', 'pool')),"
	  " value TEXT NOT NULL, since INTEGER NOT NULL, reason TEXT NOT NULL DEFAULT '',"
	  " actor TEXT NOT NULL, PRIMARY KEY (kind, value));" },
	/* Maintenance windows (store/windows.c), which the claim consults
	 * (DB_CLAIMABLE): a window's current or next occurrence is kept in
	 * opens_at / closes_at (ms, the database's clock), its target blocks
	 * as address ranges, and each scan's addresses as one span (addr_lo,
	 * addr_hi: 32 hex digits of a 128-bit address, compared as text), so
	 * the claim decides in SQL.  Worker names (w-1, w-2...) are taken per
	 * database in worker_names, held by the serve that took them
	 * (store/registry.c), so two serves never both run a w-1. */
	{ 20, "maintenance windows; the span of a scan's addresses; worker names",
	  "ALTER TABLE scans ADD COLUMN addr_lo TEXT;"
	  "ALTER TABLE scans ADD COLUMN addr_hi TEXT;"
	  "CREATE TABLE windows (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE,"
	  " cron TEXT NOT NULL, tz TEXT NOT NULL, duration_ms INTEGER NOT NULL,"
	  " pool TEXT NOT NULL DEFAULT '', targets TEXT NOT NULL DEFAULT '',"
	  " running TEXT NOT NULL CHECK (running IN ('finish', 'handback')),"
	  " opens_at INTEGER NOT NULL, closes_at INTEGER NOT NULL,"
	  " handed_at INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL,"
	  " created_by TEXT NOT NULL);"
	  "CREATE TABLE window_ranges (window_id INTEGER NOT NULL REFERENCES windows(id)"
	  " ON DELETE CASCADE, lo TEXT NOT NULL, hi TEXT NOT NULL);"
	  "CREATE INDEX window_ranges_window ON window_ranges(window_id);"
	  "CREATE TABLE worker_names (name TEXT PRIMARY KEY, holder TEXT NOT NULL,"
	  " expires_at INTEGER NOT NULL);" },
	/* Rate caps per network (store/ratecaps.c): the caps `scanq ratecap
	 * set` keeps, and each network's budget per one-second window, which
	 * expires on its own (a dead worker's slice is gone with its second). */
	{ 21, "rate caps per network and their budgets per second",
	  "CREATE TABLE rate_caps (network TEXT PRIMARY KEY, probes INTEGER NOT NULL"
	  " CHECK (probes > 0), created_at INTEGER NOT NULL, created_by TEXT NOT NULL);"
	  "CREATE TABLE rate_budget (network TEXT NOT NULL, window_s INTEGER NOT NULL,"
	  " taken INTEGER NOT NULL, granted INTEGER NOT NULL, PRIMARY KEY (network, window_s));" },
	/* The dashboard's chart reads the open finding states and those fixed
	 * lately from this index alone (S_DASH_TREND), not the whole table. */
	{ 22, "an index of finding states for the dashboard",
	  SQL_M22 },
	/* A removed webhook is kept, marked, with its deliveries (webhooks.c).
	 * The inventory's service of a port is the latest one detection named
	 * (S_INVENTORY): this index holds only the open ports detection named,
	 * newest last per port.  The test is on the text, not json_extract(),
	 * so that no detail can make an insert fail: in compact JSON
	 * `"detected_by":` (unescaped quotes) can only be that key. */
	{ 24, "removed webhooks kept with their deliveries; an index of detected services",
	  "ALTER TABLE webhooks ADD COLUMN removed_at INTEGER;"
	  "ALTER TABLE webhooks ADD COLUMN removed_by TEXT;"
	  "CREATE INDEX findings_detected ON findings(target, port, proto, scan_id)"
	  " WHERE kind = 'open_port' AND detail LIKE '%\"detected_by\":%';" },
	/* The dashboard's rollups (db.h, "the dashboard's rollups"): the
	 * chart's open findings as per-day deltas, the changes per hour, kept
	 * by triggers in every writing transaction and backfilled here, so the
	 * dashboard reads a few hundred small rows instead of an index entry
	 * per open finding and per scan of the week (the changes per minute
	 * too, so the part hour at a window's start is read from minutes and
	 * at most a minute of scans).  The chart no longer
	 * reads finding_states_dashboard, which every lifecycle step wrote. */
	{ 25, "the dashboard's rollups: open findings per day, changes per hour",
	  "CREATE TABLE dash_trend (day INTEGER NOT NULL, severity TEXT NOT NULL,"
	  " shard INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (day, severity, shard))"
	  " WITHOUT ROWID;"
	  "CREATE TABLE dash_changes (span INTEGER NOT NULL, bucket INTEGER NOT NULL,"
	  " change_type TEXT NOT NULL, shard INTEGER NOT NULL, n INTEGER NOT NULL,"
	  " PRIMARY KEY (span, bucket, change_type, shard))"
	  " WITHOUT ROWID;"
	  DB_DASH_BACKFILL
	  "DROP INDEX finding_states_dashboard;"
	  "CREATE TRIGGER finding_states_dash_insert AFTER INSERT ON finding_states BEGIN "
	  DB_TREND_ADD("0", DB_TREND_PART("NEW", "1", "")) "; END;"
	  "CREATE TRIGGER finding_states_dash_delete AFTER DELETE ON finding_states BEGIN "
	  DB_TREND_ADD("0", DB_TREND_PART("OLD", "-1", "")) "; END;"
	  "CREATE TRIGGER finding_states_dash_update AFTER UPDATE ON finding_states"
	  " WHEN " DB_TREND_MOVED " BEGIN "
	  DB_TREND_ADD("0", DB_TREND_PART("NEW", "1", "") " UNION ALL " DB_TREND_PART("OLD", "-1", ""))
	  "; END;"
	  "CREATE TRIGGER scan_changes_dash AFTER INSERT ON scan_changes BEGIN "
	  DB_CHANGES_ADD("0", DB_CHANGES_NEW) "; END;"
	  "CREATE TRIGGER scans_dash_delete BEFORE DELETE ON scans"
	  " WHEN OLD.status = 'completed' AND OLD.finished_at IS NOT NULL BEGIN "
	  DB_CHANGES_ADD("0", DB_CHANGES_PART("OLD", "-1")) "; END;"
	  "CREATE TRIGGER scans_dash_update AFTER UPDATE OF status, finished_at ON scans"
	  " WHEN " DB_CHANGES_MOVED " BEGIN "
	  DB_CHANGES_ADD("0", DB_CHANGES_PART("NEW", "1") " UNION ALL " DB_CHANGES_PART("OLD", "-1"))
	  "; END;" },
	/* Hot state apart from history, its first step (docs/STORE.md): the
	 * lease of a running scan in a small table of its own, which a
	 * heartbeat updates instead of the wide scans row.  Running scans keep
	 * their lease and attempt (the fence); one held by no worker or lease
	 * gets none and stays in the stuck report.  The two indexes that only
	 * served leases go with scans.lease_expires_at. */
	{ 26, "leases of running scans in a table of their own",
	  "CREATE TABLE leases (scan_id INTEGER PRIMARY KEY, attempt INTEGER NOT NULL,"
	  " worker_id TEXT NOT NULL, lease_expires_at INTEGER NOT NULL,"
	  " progress REAL NOT NULL DEFAULT 0);"
	  SQL_M26_MOVE },
	{ 0, NULL, NULL }
};


const char *const sqlite_sql[DB_STMT_COUNT] = {
	/* One row per counter: SQLite has one writer at a time (PostgreSQL
	 * writes its counters in shards, its migration 23). */
	[S_COUNT] = "UPDATE counters SET value = value + ?2 WHERE name = ?1",
	[S_NOTIFY] = NULL,	/* every commit appends to the WAL, which inotify sees */
	[S_EVENTS] = "SELECT id, scan_id, at, from_status, to_status, attempt, worker_id,"
		" reason FROM scan_events WHERE scan_id = ?1 ORDER BY id LIMIT ?2",
	/* INDEXED BY: the planner would otherwise pick scans_status_id and sort
	 * every pending row on each claim (measured: 10k/s instead of 40k/s). */
	[S_CLAIM] =
		"UPDATE scans SET status = 'running', attempt = attempt + 1, worker_id = ?1,"
		" claimed_at = ?2, progress = 0"
		" WHERE id IN (SELECT id FROM scans INDEXED BY scans_claim"
		"  WHERE status = 'pending' AND pool = ?5 AND run_after <= ?2" DB_CLAIMABLE("?2")
		"  ORDER BY priority DESC, id LIMIT ?4)"
		" RETURNING " DB_SCAN_COLS_CLAIMED("?3"),
	[S_RUNNING_ROW] =
		"SELECT attempt - attempt_base, max_attempts, cancel_requested, worker_id"
		" FROM scans WHERE id = ?1 AND attempt = ?2 AND status = 'running'",
	[S_EXPIRED] =
		"SELECT l.scan_id, l.attempt, s.attempt - s.attempt_base, s.max_attempts,"
		" s.cancel_requested, l.worker_id FROM leases l JOIN scans s ON s.id = l.scan_id"
		" WHERE l.lease_expires_at < ?1 AND s.status = 'running' AND s.attempt = l.attempt"
		" ORDER BY l.lease_expires_at LIMIT ?2",
	[S_STATUS_OF] = "SELECT status, attempt, cancel_requested FROM scans WHERE id = ?1",
	/* Events and findings go with their scan (ON DELETE CASCADE); the count
	 * trigger keeps scan_counts right. */
	[S_PRUNE] =
		"DELETE FROM scans WHERE id IN (SELECT id FROM scans INDEXED BY scans_finished"
		" WHERE finished_at < ?1 AND status IN ('completed', 'failed', 'cancelled')"
		" ORDER BY finished_at LIMIT ?2)",
	[S_WORKER_HELD] =
		"SELECT l.scan_id, l.attempt, s.attempt - s.attempt_base, s.max_attempts,"
		" s.cancel_requested, s.lost_workers FROM leases l INDEXED BY leases_worker"
		" JOIN scans s ON s.id = l.scan_id WHERE l.worker_id = ?1 AND s.status = 'running'"
		" AND s.attempt = l.attempt ORDER BY l.scan_id LIMIT ?2",
	[S_TOKEN_ANY] = "SELECT EXISTS (SELECT 1 FROM tokens)",
	[S_LEADER_TAKE] =
		"INSERT INTO leader (id, holder, expires_at) VALUES (1, ?1, ?2 + ?3)"
		" ON CONFLICT (id) DO UPDATE SET holder = excluded.holder,"
		" expires_at = excluded.expires_at"
		" WHERE leader.holder = excluded.holder OR leader.expires_at < ?2"
		" RETURNING holder",
	[S_WNAME_TAKE] =
		"INSERT INTO worker_names (name, holder, expires_at) VALUES (?1, ?2, ?3 + ?4)"
		" ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,"
		" expires_at = excluded.expires_at"
		" WHERE worker_names.holder = excluded.holder OR worker_names.expires_at < ?3"
		" RETURNING holder",
	[S_SCHEMA_PRESENT] =
		"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
	[S_SCHEMA_INIT] =
		"CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
		" name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
	[S_SCHEMA_LOCK] = NULL,	/* BEGIN IMMEDIATE already holds the only write lock */
	[S_WINDOW_LOCK] = NULL,	/* (the same) */
	[S_SCHEMA_RECORD] =
		"INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
	/* follow-up stages and shards (issue 14) */
	[S_FLOW_ROW] =
		"SELECT coalesce(parent_id, 0), flow, type, options, priority, max_attempts,"
		" time_limit_s, cancel_requested, status FROM scans WHERE id = ?1",
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
		" (SELECT count(*) FROM webhooks WHERE removed_at IS NULL), CASE WHEN key LIKE 'stage:%'"
		" THEN (SELECT targets FROM scans WHERE id = scan_id) END,"
		" EXISTS (SELECT 1 FROM finding_baselines fb JOIN finding_states fs"
		"  ON fs.baseline_id = fb.id WHERE fb.key = scan_baselines.key"
		"  AND fs.state IN ('open', 'reopened', 'accepted')"
		"  AND (fs.state <> 'accepted' OR fs.expires_at IS NOT NULL))",
	[S_CHANGES_STAGE_FINDINGS] =
		"WITH run AS (SELECT b.scan_id AS id FROM scan_baselines b JOIN scans x ON x.id = b.scan_id"
		"  WHERE b.key = (SELECT key FROM scan_baselines WHERE scan_id = ?1)"
		"  AND x.parent_id = (SELECT parent_id FROM scans WHERE id = ?1))"
		" SELECT kind, target, coalesce(port, 0), coalesce(proto, ''), service, severity, title,"
		" detail FROM findings WHERE scan_id IN (SELECT id FROM run UNION ALL"
		" SELECT s.id FROM scans s WHERE s.parent_id IN (SELECT id FROM run) AND (s.flow & 4) <> 0)"
		" AND target IN (SELECT value FROM json_each(?2))",
	/* Due pending deliveries, and those whose sender died (lease expired). */
	[S_DELIVERY_CLAIM] =
		"UPDATE webhook_deliveries SET status = 'sending', attempt = attempt + 1,"
		" worker_id = ?1, lease_expires_at = ?2 + ?3"
		" WHERE id IN (SELECT id FROM webhook_deliveries INDEXED BY webhook_deliveries_due"
		"  WHERE status = 'pending' AND run_after <= ?2"
		"  UNION ALL SELECT id FROM webhook_deliveries INDEXED BY webhook_deliveries_lease"
		"  WHERE status = 'sending' AND lease_expires_at < ?2 LIMIT ?4)"
		" RETURNING id, uuid, webhook_id, attempt, max_attempts, created_at, event, body",
	/* The names of an address: an http endpoint's names (the target's
	 * name, certificate names, redirect hosts), a dns host's forward names
	 * and PTR names, from completed scans. */
	[S_HOST_NAMES] =
		"WITH f AS (SELECT f.kind, f.target, f.scan_id, s.finished_at,"
		"  CASE WHEN json_valid(f.detail) THEN f.detail ELSE '{}' END AS d"
		"  FROM findings f INDEXED BY findings_names"
		"  JOIN scans s ON s.id = f.scan_id AND s.status = 'completed'"
		"  WHERE f.kind IN ('http', 'host', 'dns_ptr')),"
		" n AS (SELECT json_extract(d, '$.address') AS address, j.value AS name, 'http' AS source,"
		"  scan_id, finished_at FROM f, json_each(f.d, '$.names') j"
		"  WHERE f.kind = 'http' AND json_extract(d, '$.check') IS NULL AND j.type = 'text'"
		"  UNION ALL SELECT target, j.value, 'dns', scan_id, finished_at"
		"  FROM f, json_each(f.d, '$.names') j WHERE f.kind = 'host' AND j.type = 'text'"
		"  UNION ALL SELECT target, json_extract(d, '$.name'), 'ptr', scan_id, finished_at"
		"  FROM f WHERE f.kind = 'dns_ptr')"
		" SELECT address, lower(name), group_concat(DISTINCT source), min(finished_at),"
		"  max(finished_at), max(scan_id) FROM n"
		" WHERE address IS NOT NULL AND typeof(name) = 'text' AND name <> '' AND name <> address"
		" GROUP BY address, lower(name) ORDER BY address, lower(name) LIMIT ?1",
	[S_SQ_OVERTIME] = "SELECT s.id, s.type, s.status, s.attempt, l.worker_id,"
		" s.claimed_at + s.time_limit_s * 1000, 'hard limit ' || s.time_limit_s || ' s'"
		" FROM leases l JOIN scans s ON s.id = l.scan_id WHERE l.lease_expires_at >= ?1"
		" AND s.claimed_at + s.time_limit_s * 1000 + ?5 < ?1 ORDER BY s.id LIMIT ?3",
	[S_SQ_BUDGET] = "SELECT id, type, status, attempt, coalesce(worker_id, ''), created_at,"
		" (attempt - attempt_base) || ' of ' || max_attempts FROM scans"
		" WHERE (status = 'pending' AND attempt - attempt_base >= max_attempts)"
		" OR (status = 'running' AND attempt - attempt_base > max_attempts) ORDER BY id LIMIT ?3",
	[S_RESET_RUNNING] = "SELECT id, attempt, coalesce(worker_id, '') FROM scans"
		" WHERE status = 'running' ORDER BY id LIMIT ?1",
	[S_PRUNE_STATUS] =
		"DELETE FROM scans WHERE id IN (SELECT id FROM scans INDEXED BY scans_finished_status"
		" WHERE status = ?3 AND finished_at < ?1 ORDER BY finished_at LIMIT ?2)",
	[S_FINISHED_HOUR] = "SELECT count(*) FILTER (WHERE to_status = 'completed'),"
		" count(*) FILTER (WHERE to_status = 'failed') FROM scan_events"
		" INDEXED BY scan_events_finished WHERE at >= ?1 - 3600000"
		" AND to_status IN ('completed', 'failed', 'cancelled') AND from_status IS NOT to_status",
	/* An open finding this complete run lacks is fixed; a stage fixes only
	 * on its own targets (another scan of the stage covers the others). */
	[S_FSTATE_FIX] =
		"UPDATE finding_states SET state = 'fixed', fixed_scan_id = ?2, updated_at = ?3"
		" WHERE baseline_id = ?1 AND last_scan_id <> ?2"
		" AND state IN ('open', 'reopened', 'accepted') AND (state <> 'accepted' OR expires_at <= ?3)"
		" AND (?4 IS NULL OR target IN (SELECT value FROM json_each(?4)))",
	[S_LIST_TARGET] = "SELECT " DB_SCAN_COLS " FROM scans WHERE id < ?3"
		" AND (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR type = ?2)"
		" AND instr(targets, ?5) > 0 ORDER BY id DESC LIMIT ?4",
	/* One writer at a time: the sum, then the delete of what it summed. */
	[S_DASH_FOLD] =
		"INSERT INTO dash_trend (day, severity, shard, n) SELECT 0, severity, 0, sum(n)"
		" FROM dash_trend WHERE day > 0 AND day < ?1 GROUP BY severity"
		" ON CONFLICT (day, severity, shard) DO UPDATE SET n = dash_trend.n + excluded.n",
	[S_DASH_FOLD_DROP] = "DELETE FROM dash_trend WHERE day > 0 AND day < ?1",
	[S_AGENT_ROW] = "SELECT status, attempt, pool, coalesce(worker_id, ''), flow FROM scans"
		" WHERE id = ?1",
};
