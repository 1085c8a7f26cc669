/*
 * pg/schema.c — the PostgreSQL dialect's schema and SQL text: the
 * migrations (same versions and meanings as SQLite's), and one statement
 * for each name of db.h, with its parameters in db.h's order as $1, $2, ...
 * Every time comes from the database's clock (scanq_now_ms()), so leases
 * mean the same thing on every host; the `now` parameters are not used.
 *
 * Claims take due pending rows with FOR UPDATE SKIP LOCKED inside the
 * UPDATE that moves them to running, and write their timeline events and
 * counter in the same statement (DB_CLAIM_LOGS): one round trip.  Rows an
 * operator or a worker changes are locked first (SELECT ... FOR UPDATE).
 */
#include "store/db.h"
#include "store/pg/pg.h"

const struct db_migration pg_migrations[] = {
	{ 1, "scans, scan events and status counts",
	  "CREATE FUNCTION scanq_now_ms() RETURNS bigint LANGUAGE sql VOLATILE AS"
	  " $$ SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint $$;"
	  "CREATE TABLE scans ("
	  " id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	  " type TEXT NOT NULL,"
	  " targets TEXT NOT NULL,"
	  " options TEXT NOT NULL DEFAULT '{}',"
	  " status TEXT NOT NULL CHECK (status IN"
	  "  ('pending','running','completed','failed','cancelled')),"
	  " priority INTEGER NOT NULL DEFAULT 0,"
	  " attempt INTEGER NOT NULL DEFAULT 0,"
	  " attempt_base INTEGER NOT NULL DEFAULT 0,"
	  " max_attempts INTEGER NOT NULL DEFAULT 3,"
	  " run_after BIGINT NOT NULL,"
	  " created_at BIGINT NOT NULL,"
	  " claimed_at BIGINT,"
	  " finished_at BIGINT,"
	  " lease_expires_at BIGINT,"
	  " worker_id TEXT,"
	  " cancel_requested INTEGER NOT NULL DEFAULT 0,"
	  " progress DOUBLE PRECISION NOT NULL DEFAULT 0,"
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
	  " id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	  " scan_id BIGINT NOT NULL REFERENCES scans(id) ON DELETE CASCADE,"
	  " at BIGINT NOT NULL,"
	  " from_status TEXT,"
	  " to_status TEXT NOT NULL,"
	  " attempt INTEGER NOT NULL,"
	  " worker_id TEXT,"
	  " reason TEXT);"
	  "CREATE INDEX scan_events_scan ON scan_events(scan_id, id);"
	  "CREATE INDEX scan_events_at ON scan_events(at);"
	  "CREATE TABLE scan_counts ("
	  " type TEXT NOT NULL, status TEXT NOT NULL, n BIGINT NOT NULL,"
	  " PRIMARY KEY (type, status));"
	  "CREATE FUNCTION scanq_count() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
	  " IF TG_OP IN ('UPDATE', 'DELETE') THEN"
	  "  UPDATE scan_counts SET n = n - 1 WHERE type = OLD.type AND status = OLD.status;"
	  " END IF;"
	  " IF TG_OP IN ('INSERT', 'UPDATE') THEN"
	  "  INSERT INTO scan_counts AS c (type, status, n) VALUES (NEW.type, NEW.status, 1)"
	  "   ON CONFLICT (type, status) DO UPDATE SET n = c.n + 1;"
	  " END IF;"
	  " RETURN NULL; END $$;"
	  "CREATE TRIGGER scans_count_insert AFTER INSERT ON scans"
	  " FOR EACH ROW EXECUTE FUNCTION scanq_count();"
	  "CREATE TRIGGER scans_count_update AFTER UPDATE OF status ON scans"
	  " FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)"
	  " EXECUTE FUNCTION scanq_count();"
	  "CREATE TRIGGER scans_count_delete AFTER DELETE ON scans"
	  " FOR EACH ROW EXECUTE FUNCTION scanq_count();"
	  "CREATE TABLE counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL);"
	  "INSERT INTO counters(name, value) VALUES ('submitted', 0), ('claims', 0),"
	  " ('completed', 0), ('failed', 0), ('cancelled', 0), ('retries', 0),"
	  " ('lease_recoveries', 0), ('fenced_writes', 0);" },
	{ 2, "per-scan time limit and the worker registry",
	  "ALTER TABLE scans ADD COLUMN time_limit_s INTEGER NOT NULL DEFAULT 1800;"
	  "CREATE TABLE workers ("
	  " name TEXT PRIMARY KEY,"
	  " host TEXT NOT NULL,"
	  " pid INTEGER NOT NULL,"
	  " started_at BIGINT NOT NULL,"
	  " heartbeat_at BIGINT NOT NULL,"
	  " concurrency INTEGER NOT NULL,"
	  " running INTEGER NOT NULL DEFAULT 0,"
	  " scans_done BIGINT NOT NULL DEFAULT 0,"
	  " last_exit TEXT);" },
	{ 3, "findings and API tokens",
	  "CREATE TABLE findings ("
	  " id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	  " scan_id BIGINT NOT NULL REFERENCES scans(id) ON DELETE CASCADE,"
	  " kind TEXT NOT NULL,"
	  " target TEXT,"
	  " port INTEGER,"
	  " proto TEXT,"
	  " service TEXT,"
	  " severity TEXT NOT NULL DEFAULT 'info',"
	  " title TEXT,"
	  " detail TEXT,"
	  " created_at BIGINT NOT NULL);"
	  "CREATE INDEX findings_scan ON findings(scan_id, id);"
	  "CREATE TABLE tokens ("
	  " id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	  " name TEXT NOT NULL,"
	  " role TEXT NOT NULL CHECK (role IN ('viewer','operator','admin')),"
	  " hash TEXT NOT NULL,"
	  " created_at BIGINT NOT NULL);" },
	{ 4, "indexes for the stuck report and pruning",
	  "CREATE INDEX scans_pending_due ON scans(run_after) WHERE status = 'pending';"
	  "CREATE INDEX scans_finished ON scans(finished_at) WHERE finished_at IS NOT NULL;" },
	{ 5, "workers record when they stopped",
	  "ALTER TABLE workers ADD COLUMN stopped_at BIGINT;" },
	{ 6, "an index for the last minute's finished scans",
	  "CREATE INDEX scan_events_finished ON scan_events(at)"
	  " WHERE to_status IN ('completed', 'failed', 'cancelled');" },
	{ 7, "the scan duration histogram, kept by a trigger",
	  "INSERT INTO counters(name, value) VALUES ('scan_duration_count', 0),"
	  " ('scan_duration_sum_ms', 0), ('scan_duration_b0', 0), ('scan_duration_b1', 0), ('scan_duration_b2', 0), ('scan_duration_b3', 0), ('scan_duration_b4', 0), ('scan_duration_b5', 0), ('scan_duration_b6', 0), ('scan_duration_b7', 0), ('scan_duration_b8', 0), ('scan_duration_b9', 0), ('scan_duration_b10', 0), ('scan_duration_b11', 0);"
	  "CREATE FUNCTION scanq_duration() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
	  " UPDATE counters SET value = value + 1 WHERE name = 'scan_duration_count';"
	  " UPDATE counters SET value = value + NEW.finished_at - NEW.claimed_at"
	  "  WHERE name = 'scan_duration_sum_ms';"
	  " UPDATE counters SET value = value + 1 WHERE name = 'scan_duration_b' ||"
	  "  (CASE WHEN NEW.finished_at - NEW.claimed_at <= 1000 THEN 0 WHEN NEW.finished_at - NEW.claimed_at <= 5000 THEN 1 WHEN NEW.finished_at - NEW.claimed_at <= 10000 THEN 2 WHEN NEW.finished_at - NEW.claimed_at <= 30000 THEN 3 WHEN NEW.finished_at - NEW.claimed_at <= 60000 THEN 4 WHEN NEW.finished_at - NEW.claimed_at <= 300000 THEN 5 WHEN NEW.finished_at - NEW.claimed_at <= 900000 THEN 6 WHEN NEW.finished_at - NEW.claimed_at <= 1800000 THEN 7 WHEN NEW.finished_at - NEW.claimed_at <= 3600000 THEN 8 WHEN NEW.finished_at - NEW.claimed_at <= 7200000 THEN 9 WHEN NEW.finished_at - NEW.claimed_at <= 21600000 THEN 10 ELSE 11 END);"
	  " RETURN NULL; END $$;"
	  "CREATE TRIGGER scans_duration AFTER UPDATE OF status ON scans FOR EACH ROW"
	  " WHEN (NEW.status = 'completed' AND OLD.status IS DISTINCT FROM NEW.status"
	  " AND NEW.claimed_at IS NOT NULL AND NEW.finished_at >= NEW.claimed_at)"
	  " EXECUTE FUNCTION scanq_duration();" },
	{ 8, "maintenance leadership",
	  "CREATE TABLE leader (id INTEGER PRIMARY KEY CHECK (id = 1), holder TEXT NOT NULL,"
	  " expires_at BIGINT NOT NULL);" },
	/* Per-row triggers cost a function call and two statements for every
	 * row a batch claims or completes; these run once per statement over
	 * its transition tables, and skip updates that change no status (lease
	 * renewals). */
	{ 9, "status counts and the duration histogram kept once per statement",
	  "DROP TRIGGER scans_count_insert ON scans;"
	  "DROP TRIGGER scans_count_update ON scans;"
	  "DROP TRIGGER scans_count_delete ON scans;"
	  "DROP TRIGGER scans_duration ON scans;"
	  "CREATE FUNCTION scanq_count_stmt() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
	  " IF TG_OP = 'INSERT' THEN"
	  "  INSERT INTO scan_counts AS c (type, status, n)"
	  "   SELECT type, status, count(*) FROM new_rows GROUP BY type, status"
	  "   ON CONFLICT (type, status) DO UPDATE SET n = c.n + excluded.n;"
	  " ELSIF TG_OP = 'DELETE' THEN"
	  "  UPDATE scan_counts c SET n = c.n - o.k FROM (SELECT type, status, count(*) AS k"
	  "   FROM old_rows GROUP BY type, status) o WHERE c.type = o.type AND c.status = o.status;"
	  " ELSIF EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id"
	  "  WHERE o.status <> n.status) THEN"
	  "  UPDATE scan_counts c SET n = c.n - m.k FROM (SELECT o.type, o.status, count(*) AS k"
	  "   FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE o.status <> n.status"
	  "   GROUP BY o.type, o.status) m WHERE c.type = m.type AND c.status = m.status;"
	  "  INSERT INTO scan_counts AS c (type, status, n)"
	  "   SELECT n.type, n.status, count(*) FROM old_rows o JOIN new_rows n ON n.id = o.id"
	  "   WHERE o.status <> n.status GROUP BY n.type, n.status"
	  "   ON CONFLICT (type, status) DO UPDATE SET n = c.n + excluded.n;"
	  "  UPDATE counters c SET value = c.value + h.k FROM ("
	  "   WITH t AS (SELECT n.finished_at - n.claimed_at AS d FROM old_rows o"
	  "    JOIN new_rows n ON n.id = o.id WHERE o.status <> 'completed'"
	  "    AND n.status = 'completed' AND n.claimed_at IS NOT NULL"
	  "    AND n.finished_at >= n.claimed_at)"
	  "   SELECT 'scan_duration_b' || (CASE WHEN d <= 1000 THEN 0 WHEN d <= 5000 THEN 1 WHEN d <= 10000 THEN 2 WHEN d <= 30000 THEN 3 WHEN d <= 60000 THEN 4 WHEN d <= 300000 THEN 5 WHEN d <= 900000 THEN 6 WHEN d <= 1800000 THEN 7 WHEN d <= 3600000 THEN 8 WHEN d <= 7200000 THEN 9 WHEN d <= 21600000 THEN 10 ELSE 11 END) AS name, count(*) AS k"
	  "    FROM t GROUP BY 1"
	  "   UNION ALL SELECT 'scan_duration_count', count(*) FROM t"
	  "   UNION ALL SELECT 'scan_duration_sum_ms', coalesce(sum(d), 0) FROM t) h"
	  "   WHERE c.name = h.name AND h.k <> 0;"
	  " END IF;"
	  " RETURN NULL; END $$;"
	  "CREATE TRIGGER scans_count_insert AFTER INSERT ON scans REFERENCING NEW TABLE AS new_rows"
	  " FOR EACH STATEMENT EXECUTE FUNCTION scanq_count_stmt();"
	  "CREATE TRIGGER scans_count_update AFTER UPDATE ON scans"
	  " REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
	  " FOR EACH STATEMENT EXECUTE FUNCTION scanq_count_stmt();"
	  "CREATE TRIGGER scans_count_delete AFTER DELETE ON scans REFERENCING OLD TABLE AS old_rows"
	  " FOR EACH STATEMENT EXECUTE FUNCTION scanq_count_stmt();" },
	/* Worker identity: rows are keyed by NAME@HOST:PID instead of the short
	 * name that two serve processes share; scans count hand-backs. */
	{ 10, "workers keyed by identity; scans count hand-backs",
	  "ALTER TABLE workers ADD COLUMN id TEXT;"
	  "UPDATE workers SET id = substr(name || '@' || host || ':' || pid, 1, 63);"
	  "ALTER TABLE workers DROP CONSTRAINT workers_pkey;"
	  "ALTER TABLE workers ALTER COLUMN id SET NOT NULL;"
	  "ALTER TABLE workers ADD PRIMARY KEY (id);"
	  "ALTER TABLE scans ADD COLUMN lost_workers INTEGER NOT NULL DEFAULT 0;" },
	/* Scheduled scans (issue 12); see the SQLite dialect. */
	{ 11, "scheduled scans; scans name their schedule and request hash",
	  "CREATE TABLE schedules (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	  " name TEXT NOT NULL UNIQUE, cron TEXT NOT NULL, tz TEXT NOT NULL,"
	  " overlap TEXT NOT NULL CHECK (overlap IN ('skip', 'queue')),"
	  " type TEXT NOT NULL, targets TEXT NOT NULL, options TEXT NOT NULL DEFAULT '{}',"
	  " priority INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL,"
	  " time_limit_s INTEGER NOT NULL, paused INTEGER NOT NULL DEFAULT 0,"
	  " next_run_at BIGINT NOT NULL, created_at BIGINT NOT NULL, last_fired_at BIGINT,"
	  " last_skipped_at BIGINT, fired BIGINT NOT NULL DEFAULT 0,"
	  " skipped BIGINT NOT NULL DEFAULT 0);"
	  "CREATE INDEX schedules_due ON schedules(next_run_at) WHERE paused = 0;"
	  "ALTER TABLE scans ADD COLUMN schedule_id BIGINT;"
	  "ALTER TABLE scans ADD COLUMN request_hash TEXT;"
	  "CREATE INDEX scans_schedule ON scans(schedule_id, id) WHERE schedule_id IS NOT NULL;" },
	{ 0, NULL, NULL }
};

#define SCAN_COLS DB_SCAN_COLS
/* A schedule's columns and its last scan (id, status), newest by id. */
#define SCHED_SELECT DB_SCHED_COLS ", (SELECT id FROM scans WHERE schedule_id = schedules.id" \
	" ORDER BY id DESC LIMIT 1), (SELECT status FROM scans WHERE schedule_id = schedules.id" \
	" ORDER BY id DESC LIMIT 1)"

const char *const pg_sql[DB_STMT_COUNT] = {
	[S_KEY_LOOKUP] = "SELECT id FROM scans WHERE idempotency_key = $1::text",
	/* ON CONFLICT: a concurrent submission with the same key won the race;
	 * no row comes back and the core looks the winner up. */
	[S_INSERT_SCAN] =
		"INSERT INTO scans (type, targets, options, status, priority, max_attempts,"
		" time_limit_s, run_after, created_at, idempotency_key)"
		" VALUES ($1::text, $2::text, $3::text, 'pending', $4::int, $5::int, $6::int,"
		" scanq_now_ms(), scanq_now_ms(), $8::text)"
		" ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
	/* A whole batch of submissions in one statement.  Ids are drawn first,
	 * so each request's id is known whether or not its row went in; a row
	 * whose idempotency key is taken (before, or earlier in the batch) is
	 * not inserted and the core looks the winner up. */
	[S_SUBMIT_BATCH] =
		"WITH i AS (SELECT x.*, nextval(pg_get_serial_sequence('scans', 'id')) AS id"
		"  FROM json_to_recordset($1::json) AS x(n int, type text, targets text, options text,"
		"  priority int, max_attempts int, time_limit_s int, key text, hash text)),"
		" c AS (INSERT INTO scans (id, type, targets, options, status, priority, max_attempts,"
		"  time_limit_s, run_after, created_at, idempotency_key, request_hash)"
		"  OVERRIDING SYSTEM VALUE"
		"  SELECT id, type, targets, options, 'pending', priority, max_attempts, time_limit_s,"
		"  scanq_now_ms(), scanq_now_ms(), key, hash FROM i ORDER BY n"
		"  ON CONFLICT (idempotency_key) DO NOTHING RETURNING id),"
		" e AS (INSERT INTO scan_events (scan_id, at, from_status, to_status, attempt, reason)"
		"  SELECT id, scanq_now_ms(), NULL, 'pending', 0, $2::text FROM c),"
		" k AS (UPDATE counters SET value = value + (SELECT count(*) FROM c)"
		"  WHERE name = 'submitted')"
		" SELECT i.n, i.id, (c.id IS NOT NULL)::int,"
		"  (SELECT count(pg_notify('scanq_pending', '')) FROM (SELECT 1 FROM c LIMIT 1) z)"
		" FROM i LEFT JOIN c ON c.id = i.id ORDER BY i.n",
	[S_EVENT] =
		"INSERT INTO scan_events (scan_id, at, from_status, to_status, attempt,"
		" worker_id, reason) VALUES ($1::bigint, scanq_now_ms(), $3::text, $4::text, $5::int,"
		" $6::text, $7::text)",
	[S_COUNT] = "UPDATE counters SET value = value + $2::bigint WHERE name = $1::text",
	[S_NOTIFY] = "SELECT pg_notify('scanq_pending', '')",
	[S_GET] = "SELECT " SCAN_COLS " FROM scans WHERE id = $1::bigint",
	[S_LIST_ALL] = "SELECT " SCAN_COLS " FROM scans WHERE id < $3::bigint"
		" ORDER BY id DESC LIMIT $4::int",
	[S_LIST_STATUS] = "SELECT " SCAN_COLS " FROM scans WHERE id < $3::bigint"
		" AND status = $1::text ORDER BY id DESC LIMIT $4::int",
	[S_LIST_TYPE] = "SELECT " SCAN_COLS " FROM scans WHERE id < $3::bigint"
		" AND type = $2::text ORDER BY id DESC LIMIT $4::int",
	[S_LIST_BOTH] = "SELECT " SCAN_COLS " FROM scans WHERE id < $3::bigint"
		" AND status = $1::text AND type = $2::text ORDER BY id DESC LIMIT $4::int",
	[S_EVENTS] = "SELECT id, scan_id, at, from_status, to_status, attempt,"
		" coalesce(worker_id, ''), coalesce(reason, '') FROM scan_events"
		" WHERE scan_id = $1::bigint ORDER BY id LIMIT $2::int",
	[S_EXISTS] = "SELECT 1 FROM scans WHERE id = $1::bigint",
	[S_FINDINGS] = "SELECT " DB_FINDING_COLS " FROM findings WHERE scan_id = $1::bigint"
		" AND id > $2::bigint ORDER BY id LIMIT $3::int",
	[S_CLAIM] =
		"WITH c AS ("
		" UPDATE scans SET status = 'running', attempt = attempt + 1, worker_id = $1::text,"
		"  claimed_at = scanq_now_ms(), lease_expires_at = scanq_now_ms() + $3::bigint,"
		"  progress = 0"
		" WHERE id IN (SELECT id FROM scans WHERE status = 'pending'"
		"  AND run_after <= scanq_now_ms() ORDER BY priority DESC, id LIMIT $4::int"
		"  FOR UPDATE SKIP LOCKED)"
		" RETURNING " SCAN_COLS "),"
		" e AS (INSERT INTO scan_events (scan_id, at, from_status, to_status, attempt,"
		"  worker_id, reason) SELECT id, claimed_at, 'pending', 'running', attempt, worker_id,"
		"  'claimed' FROM c),"
		" k AS (UPDATE counters SET value = value + (SELECT count(*) FROM c)"
		"  WHERE name = 'claims')"
		" SELECT * FROM c ORDER BY priority DESC, id",
	[S_HEARTBEAT] =
		"UPDATE scans SET lease_expires_at = scanq_now_ms() + $4::bigint,"
		" progress = CASE WHEN $5::float8 >= 0 THEN $5::float8 ELSE progress END"
		" WHERE id = $1::bigint AND attempt = $2::int AND status = 'running'"
		" RETURNING cancel_requested",
	[S_COMPLETE] =
		"UPDATE scans SET status = 'completed', finished_at = scanq_now_ms(), progress = 1,"
		" summary = $4::text, lease_expires_at = NULL, error_code = NULL,"
		" error_message = NULL, error_detail = NULL"
		" WHERE id = $1::bigint AND attempt = $2::int AND status = 'running'"
		" RETURNING coalesce(worker_id, '')",
	/* A whole batch of completions in one statement, one round trip: the
	 * fenced update, the findings of the scans it completed, their events,
	 * and the counters (completed, and fenced_writes for the rest). */
	[S_COMPLETE_BATCH] =
		"WITH i AS (SELECT * FROM json_to_recordset($1::json)"
		"  AS x(id bigint, attempt int, summary text)),"
		" c AS (UPDATE scans s SET status = 'completed', finished_at = scanq_now_ms(),"
		"  progress = 1, summary = i.summary, lease_expires_at = NULL, error_code = NULL,"
		"  error_message = NULL, error_detail = NULL FROM i"
		"  WHERE s.id = i.id AND s.attempt = i.attempt AND s.status = 'running'"
		"  RETURNING s.id, s.attempt, s.worker_id, s.finished_at),"
		" f AS (INSERT INTO findings (scan_id, kind, target, port, proto, service, severity,"
		"  title, detail, created_at) SELECT y.scan_id, y.kind, y.target, y.port, y.proto,"
		"  y.service, y.severity, y.title, y.detail, scanq_now_ms()"
		"  FROM json_to_recordset($2::json) AS y(scan_id bigint, kind text, target text,"
		"  port int, proto text, service text, severity text, title text, detail text)"
		"  WHERE y.scan_id IN (SELECT id FROM c)),"
		" e AS (INSERT INTO scan_events (scan_id, at, from_status, to_status, attempt,"
		"  worker_id, reason) SELECT id, finished_at, 'running', 'completed', attempt,"
		"  worker_id, $3::text FROM c),"
		" k AS (UPDATE counters SET value = value + CASE name WHEN 'completed'"
		"  THEN (SELECT count(*) FROM c) ELSE (SELECT count(*) FROM i) - (SELECT count(*) FROM c)"
		"  END WHERE name IN ('completed', 'fenced_writes'))"
		" SELECT id FROM c",
	[S_FINDING_INSERT] =
		"INSERT INTO findings (scan_id, kind, target, port, proto, service, severity,"
		" title, detail, created_at) VALUES ($1::bigint, $2::text, $3::text, $4::int,"
		" $5::text, $6::text, $7::text, $8::text, $9::text, scanq_now_ms())",
	[S_RUNNING_ROW] =
		"SELECT attempt - attempt_base, max_attempts, cancel_requested, coalesce(worker_id, '')"
		" FROM scans WHERE id = $1::bigint AND attempt = $2::int AND status = 'running'"
		" FOR UPDATE",
	[S_SET_PENDING] =
		"UPDATE scans SET status = 'pending', run_after = scanq_now_ms() + $4::bigint,"
		" lease_expires_at = NULL, attempt_base = attempt_base + $5::int,"
		" error_code = coalesce($6::text, error_code),"
		" error_message = coalesce($7::text, error_message),"
		" error_detail = coalesce($8::text, error_detail)"
		" WHERE id = $1::bigint AND attempt = $2::int AND status = 'running'",
	[S_SET_FINAL] =
		"UPDATE scans SET status = $3::text, finished_at = scanq_now_ms(),"
		" lease_expires_at = NULL, error_code = $5::text, error_message = $6::text,"
		" error_detail = $7::text"
		" WHERE id = $1::bigint AND attempt = $2::int AND status = $8::text",
	/* SKIP LOCKED: rows a worker is finishing right now are left to it. */
	[S_EXPIRED] =
		"SELECT id, attempt, attempt - attempt_base, max_attempts, cancel_requested,"
		" coalesce(worker_id, '') FROM scans WHERE status = 'running'"
		" AND lease_expires_at < scanq_now_ms() ORDER BY lease_expires_at LIMIT $2::int"
		" FOR UPDATE SKIP LOCKED",
	[S_EXTEND_LEASES] =
		"UPDATE scans SET lease_expires_at = lease_expires_at + $1::bigint"
		" WHERE status = 'running'",
	[S_STATUS_OF] = "SELECT status, attempt, cancel_requested FROM scans WHERE id = $1::bigint"
		" FOR UPDATE",
	[S_CANCEL_REQUEST] =
		"UPDATE scans SET cancel_requested = 1 WHERE id = $1::bigint AND status = 'running'",
	[S_RETRY] =
		"UPDATE scans SET status = 'pending', attempt_base = attempt, run_after = scanq_now_ms(),"
		" finished_at = NULL, cancel_requested = 0, progress = 0, error_code = NULL,"
		" error_message = NULL, error_detail = NULL"
		" WHERE id = $1::bigint AND status IN ('failed', 'cancelled')",
	[S_COUNTS] = "SELECT type, status, n FROM scan_counts WHERE n <> 0 ORDER BY type",
	/* From when the scan became due (run_after), not created_at (issue 12). */
	[S_OLDEST_PENDING] =
		"SELECT scanq_now_ms() - run_after FROM scans WHERE status = 'pending'"
		" AND run_after <= scanq_now_ms() ORDER BY run_after LIMIT 1",
	[S_FINISHED_SINCE] =
		"SELECT count(*) FROM scan_events WHERE at >= scanq_now_ms() - 60000"
		" AND to_status IN ('completed', 'failed', 'cancelled')",
	[S_WORKER_BEATS] = "SELECT scanq_now_ms() - w.heartbeat_at, (SELECT count(*) FROM scans s"
		" WHERE s.status = 'running' AND s.worker_id = w.id) FROM workers w"
		" WHERE w.stopped_at IS NULL",
	[S_COUNTERS] = "SELECT name, value FROM counters",
	[S_STUCK_PENDING] =
		"SELECT id, type, status, attempt, coalesce(worker_id, ''), run_after FROM scans"
		" WHERE status = 'pending' AND run_after <= scanq_now_ms() - $2::bigint"
		" ORDER BY run_after LIMIT $3::int",
	[S_STUCK_RUNNING] =
		"SELECT id, type, status, attempt, coalesce(worker_id, ''), lease_expires_at"
		" FROM scans WHERE status = 'running' AND lease_expires_at < scanq_now_ms()"
		" ORDER BY lease_expires_at LIMIT $2::int",
	[S_STUCK_PENDING_N] = "SELECT count(*) FROM scans WHERE status = 'pending'"
		" AND run_after <= scanq_now_ms() - $2::bigint",
	[S_STUCK_RUNNING_N] = "SELECT count(*) FROM scans WHERE status = 'running'"
		" AND lease_expires_at < scanq_now_ms()",
	[S_PRUNE] =
		"DELETE FROM scans WHERE id IN (SELECT id FROM scans WHERE finished_at < $1::bigint"
		" AND status IN ('completed', 'failed', 'cancelled') ORDER BY finished_at"
		" LIMIT $2::int FOR UPDATE SKIP LOCKED)",
	[S_PRUNE_COUNT] = "SELECT count(*) FROM scans WHERE finished_at < $1::bigint"
		" AND status IN ('completed', 'failed', 'cancelled')",
	[S_WORKER_UPSERT] =
		"INSERT INTO workers (id, name, host, pid, started_at, heartbeat_at, concurrency,"
		" running, scans_done) VALUES ($1::text, $2::text, $3::text, $4::int,"
		" coalesce($5::bigint, scanq_now_ms()), scanq_now_ms(), $7::int, 0, 0)"
		" ON CONFLICT (id) DO UPDATE SET name = excluded.name, host = excluded.host,"
		" pid = excluded.pid, started_at = excluded.started_at,"
		" heartbeat_at = excluded.heartbeat_at, concurrency = excluded.concurrency,"
		" running = 0, scans_done = 0, stopped_at = NULL, last_exit = NULL",
	/* A heartbeat also clears stopped_at: a live worker is never "stopped". */
	[S_WORKER_BEAT] =
		"UPDATE workers SET heartbeat_at = scanq_now_ms(), scans_done = $3::bigint,"
		" stopped_at = NULL WHERE id = $1::text",
	[S_WORKER_EXIT] =
		"UPDATE workers SET last_exit = $2::text, running = 0, stopped_at = scanq_now_ms()"
		" WHERE id = $1::text",
	[S_WORKER_LIST] =
		"SELECT w.id, w.name, w.host, w.pid, w.started_at, w.heartbeat_at, w.concurrency,"
		" (SELECT count(*) FROM scans s WHERE s.status = 'running' AND s.worker_id = w.id),"
		" w.scans_done, coalesce(w.last_exit, ''), w.stopped_at FROM workers w"
		" ORDER BY w.name, w.started_at DESC",
	[S_WORKER_RUNNING] =
		"SELECT id FROM scans WHERE status = 'running' AND worker_id = $1::text"
		" ORDER BY id LIMIT 16",
	[S_WORKER_HELD] =
		"SELECT id, attempt, attempt - attempt_base, max_attempts, cancel_requested, lost_workers"
		" FROM scans WHERE status = 'running' AND worker_id = $1::text ORDER BY id"
		" LIMIT $2::int FOR UPDATE",
	[S_HANDBACK] =
		"UPDATE scans SET status = 'pending', run_after = scanq_now_ms(), lease_expires_at = NULL,"
		" attempt_base = attempt_base + 1, lost_workers = lost_workers + 1"
		" WHERE id = $1::bigint AND attempt = $2::int AND status = 'running'",
	[S_WORKER_PRUNE] =
		"DELETE FROM workers WHERE coalesce(stopped_at, heartbeat_at) < scanq_now_ms() - $2::bigint",
	[S_TOKEN_INSERT] =
		"INSERT INTO tokens (name, role, hash, created_at) VALUES ($1::text, $2::text,"
		" $3::text, scanq_now_ms()) RETURNING id",
	[S_TOKEN_GET] = "SELECT role, hash FROM tokens WHERE id = $1::bigint",
	[S_TOKEN_ANY] = "SELECT EXISTS (SELECT 1 FROM tokens)::int",
	[S_LEADER_TAKE] =
		"INSERT INTO leader AS l (id, holder, expires_at)"
		" VALUES (1, $1::text, scanq_now_ms() + $3::bigint)"
		" ON CONFLICT (id) DO UPDATE SET holder = excluded.holder,"
		" expires_at = excluded.expires_at"
		" WHERE l.holder = excluded.holder OR l.expires_at < scanq_now_ms()"
		" RETURNING holder",
	[S_LEADER_DROP] = "DELETE FROM leader WHERE holder = $1::text",
	[S_SCHEMA_PRESENT] =
		"SELECT count(*) FROM pg_tables WHERE tablename = 'schema_migrations'"
		" AND schemaname = current_schema()",
	[S_SCHEMA_INIT] =
		"CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
		" name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
	[S_SCHEMA_VERSION] = "SELECT coalesce(max(version), 0) FROM schema_migrations",
	/* One migrator at a time across hosts, for the rest of the transaction. */
	[S_SCHEMA_LOCK] = "SELECT pg_advisory_xact_lock(7263524101)",
	[S_SCHEMA_RECORD] =
		"INSERT INTO schema_migrations (version, name, applied_at)"
		" VALUES ($1::int, $2::text, (extract(epoch FROM clock_timestamp()) * 1000)::bigint)",
	/* ---- scheduled scans: times are the scheduler's clock ($N), see db.h ---- */
	[S_SCHED_INSERT] =
		"INSERT INTO schedules (name, cron, tz, overlap, type, targets, options, priority,"
		" max_attempts, time_limit_s, next_run_at, created_at)"
		" VALUES ($1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text,"
		" $8::int, $9::int, $10::int, $11::bigint, $12::bigint)"
		" ON CONFLICT (name) DO NOTHING RETURNING id",
	[S_SCHED_LIST] = "SELECT " SCHED_SELECT " FROM schedules ORDER BY name",
	[S_SCHED_BY_NAME] = "SELECT " SCHED_SELECT " FROM schedules WHERE name = $1::text",
	[S_SCHED_BY_ID] = "SELECT " SCHED_SELECT " FROM schedules WHERE id = $1::bigint",
	[S_SCHED_DUE] = "SELECT " SCHED_SELECT " FROM schedules"
		" WHERE paused = 0 AND next_run_at <= $1::bigint ORDER BY next_run_at LIMIT $2::int",
	[S_SCHED_LATE] = "SELECT " SCHED_SELECT " FROM schedules"
		" WHERE paused = 0 AND next_run_at < $1::bigint - $2::bigint ORDER BY next_run_at",
	[S_SCHED_ADVANCE] = "UPDATE schedules SET next_run_at = $3::bigint"
		" WHERE id = $1::bigint AND next_run_at = $2::bigint AND paused = 0",
	[S_SCHED_ACTIVE] = "SELECT 1 FROM scans WHERE schedule_id = $1::bigint"
		" AND status IN ('pending', 'running') LIMIT 1",
	[S_SCHED_MARK] = "UPDATE schedules SET fired = fired + $2::int, skipped = skipped + $3::int,"
		" last_fired_at = CASE WHEN $2::int > 0 THEN $4::bigint ELSE last_fired_at END,"
		" last_skipped_at = CASE WHEN $3::int > 0 THEN $4::bigint ELSE last_skipped_at END"
		" WHERE id = $1::bigint",
	[S_SCHED_TAG] = "UPDATE scans SET schedule_id = $2::bigint WHERE id = $1::bigint",
	[S_SCHED_PAUSE] = "UPDATE schedules SET paused = $2::int, next_run_at = $3::bigint"
		" WHERE id = $1::bigint",
	[S_SCHED_DELETE] = "DELETE FROM schedules WHERE id = $1::bigint",
	[S_FINISHED_WINDOW] =
		"SELECT count(*) FROM scan_events WHERE at >= scanq_now_ms() - $2::bigint"
		" AND to_status IN ('completed', 'failed', 'cancelled')",
	[S_LIST_TARGET] = "SELECT " SCAN_COLS " FROM scans WHERE id < $3::bigint"
		" AND ($1::text IS NULL OR status = $1::text) AND ($2::text IS NULL OR type = $2::text)"
		" AND strpos(targets, $5::text) > 0 ORDER BY id DESC LIMIT $4::int",
	[S_REQUEST_HASH_SET] = "UPDATE scans SET request_hash = $2::text WHERE id = $1::bigint",
	[S_REQUEST_HASH_GET] = "SELECT id, coalesce(request_hash, '') FROM scans"
		" WHERE idempotency_key = $1::text",
};
