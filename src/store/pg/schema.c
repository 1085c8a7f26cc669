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
#include "store/pg/schema.h"
#include "store/sql.h"

/* The duration histogram's (name, k) rows that the completions of one
 * statement add (migrations 9 and 23: the counting trigger over its
 * transition tables), as a subquery h. */
#define PG_DURATION_ROWS \
	"   WITH t AS (SELECT n.finished_at - n.claimed_at AS d FROM old_rows o" \
	"    JOIN new_rows n ON n.id = o.id WHERE o.status <> 'completed'" \
	"    AND n.status = 'completed' AND n.claimed_at IS NOT NULL" \
	"    AND n.finished_at >= n.claimed_at)" \
	"   SELECT 'scan_duration_b' || (CASE WHEN d <= 1000 THEN 0 WHEN d <= 5000 THEN 1 WHEN d <= 10000 THEN 2 WHEN d <= 30000 THEN 3 WHEN d <= 60000 THEN 4 WHEN d <= 300000 THEN 5 WHEN d <= 900000 THEN 6 WHEN d <= 1800000 THEN 7 WHEN d <= 3600000 THEN 8 WHEN d <= 7200000 THEN 9 WHEN d <= 21600000 THEN 10 ELSE 11 END) AS name, count(*) AS k" \
	"    FROM t GROUP BY 1" \
	"   UNION ALL SELECT 'scan_duration_count', count(*) FROM t" \
	"   UNION ALL SELECT 'scan_duration_sum_ms', coalesce(sum(d), 0) FROM t) h"

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
	  SQL_M1_SCAN_INDEXES
	  "CREATE TABLE scan_events ("
	  " id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	  " scan_id BIGINT NOT NULL REFERENCES scans(id) ON DELETE CASCADE,"
	  " at BIGINT NOT NULL,"
	  " from_status TEXT,"
	  " to_status TEXT NOT NULL,"
	  " attempt INTEGER NOT NULL,"
	  " worker_id TEXT,"
	  " reason TEXT);"
	  SQL_M1_EVENT_INDEXES
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
	  SQL_M1_COUNTERS },
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
	  SQL_M4 },
	{ 5, "workers record when they stopped",
	  "ALTER TABLE workers ADD COLUMN stopped_at BIGINT;" },
	{ 6, "an index for the last minute's finished scans",
	  SQL_M6 },
	{ 7, "the scan duration histogram, kept by a trigger",
	  SQL_M7_COUNTERS
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
	  PG_DURATION_ROWS
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
	/* Follow-up stages and shards (issue 14): see SQLite's migration 11. */
	{ 11, "follow-up stages and shards",
	  "ALTER TABLE scans ADD COLUMN parent_id BIGINT;"
	  SQL_M11_FLOW },
	/* Changes between the scans of a baseline, webhooks and their durable
	 * deliveries (issue 13). */
	{ 12, "changes between scans of a baseline; webhooks and their deliveries",
	  "CREATE TABLE scan_baselines ("
	  " scan_id BIGINT PRIMARY KEY REFERENCES scans(id) ON DELETE CASCADE,"
	  " key TEXT NOT NULL, baseline_id BIGINT, new INTEGER NOT NULL DEFAULT 0,"
	  " gone INTEGER NOT NULL DEFAULT 0, changed INTEGER NOT NULL DEFAULT 0);"
	  "CREATE INDEX scan_baselines_key ON scan_baselines(key, scan_id);"
	  "CREATE TABLE scan_changes (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	  " scan_id BIGINT NOT NULL REFERENCES scans(id) ON DELETE CASCADE,"
	  " baseline_id BIGINT NOT NULL,"
	  " change_type TEXT NOT NULL CHECK (change_type IN ('new', 'gone', 'changed')),"
	  " kind TEXT NOT NULL, target TEXT, port INTEGER, proto TEXT, ident TEXT,"
	  " severity TEXT NOT NULL, title TEXT, before_json TEXT, after_json TEXT);"
	  "CREATE INDEX scan_changes_scan ON scan_changes(scan_id, id);"
	  "CREATE TABLE webhooks (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	  " url TEXT NOT NULL, events TEXT NOT NULL, secret TEXT NOT NULL,"
	  " min_severity TEXT NOT NULL, created_at BIGINT NOT NULL);"
	  "CREATE TABLE webhook_deliveries (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	  " uuid TEXT NOT NULL UNIQUE,"
	  " webhook_id BIGINT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,"
	  " event TEXT NOT NULL, scan_id BIGINT,"
	  " status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'delivered', 'failed')),"
	  " attempt INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL,"
	  " run_after BIGINT NOT NULL, lease_expires_at BIGINT, worker_id TEXT,"
	  " created_at BIGINT NOT NULL, finished_at BIGINT, body TEXT NOT NULL,"
	  " last_code INTEGER, last_error TEXT);"
	  SQL_M12_DELIVERY_INDEXES
	  "CREATE TABLE webhook_attempts (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	  " delivery_id BIGINT NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,"
	  " attempt INTEGER NOT NULL, at BIGINT NOT NULL, status_code INTEGER, error TEXT,"
	  " duration_ms BIGINT NOT NULL);"
	  "CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery_id, id);"
	  SQL_M12_COUNTERS },
	/* Issue 12 part B: tokens expire and can be revoked; who did what. */
	{ 13, "token expiry and revocation; the audit trail",
	  "ALTER TABLE tokens ADD COLUMN expires_at BIGINT;"
	  "ALTER TABLE tokens ADD COLUMN revoked_at BIGINT;"
	  "CREATE TABLE audit (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	  " at BIGINT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, scan_id BIGINT,"
	  " detail TEXT);"
	  SQL_M13_INDEXES },
	/* Scheduled scans (issue 12); see the SQLite dialect. */
	{ 14, "scheduled scans; scans name their schedule and request hash",
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
	  SQL_M14_REQUEST },
	{ 15, "a counter of scans handed back from dead workers",
	  SQL_M15 },
	/* Pools (issue 20); see the SQLite dialect. */
	{ 16, "pools; agent tokens; agents in the worker registry",
	  SQL_M16_POOLS
	  "ALTER TABLE tokens DROP CONSTRAINT tokens_role_check;"
	  "ALTER TABLE tokens ADD CONSTRAINT tokens_role_check"
	  " CHECK (role IN ('viewer','operator','admin','agent'));"
	  "ALTER TABLE tokens ADD COLUMN pool TEXT;"
	  SQL_M16_WORKERS },
	/* The lifecycle of findings (issue 24); see the SQLite dialect. */
	{ 17, "the lifecycle of findings per baseline",
	  "CREATE TABLE finding_baselines (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	  " key TEXT NOT NULL UNIQUE, schedule_id BIGINT, created_at BIGINT NOT NULL);"
	  "CREATE TABLE finding_states (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	  " baseline_id BIGINT NOT NULL REFERENCES finding_baselines(id) ON DELETE CASCADE,"
	  " fingerprint TEXT NOT NULL,"
	  " state TEXT NOT NULL CHECK (state IN"
	  "  ('open', 'fixed', 'reopened', 'accepted', 'false_positive')),"
	  " kind TEXT NOT NULL, target TEXT, port INTEGER NOT NULL DEFAULT 0, proto TEXT,"
	  " severity TEXT NOT NULL, title TEXT, cve TEXT,"
	  " first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL, times_seen BIGINT NOT NULL,"
	  " first_scan_id BIGINT NOT NULL, last_scan_id BIGINT NOT NULL, fixed_scan_id BIGINT,"
	  " reason TEXT, actor TEXT, expires_at BIGINT, updated_at BIGINT NOT NULL,"
	  " UNIQUE (fingerprint, baseline_id));"	/* also the triage's lookup by fingerprint */
	  SQL_M17_INDEXES },
	/* See the SQLite dialect. */
	{ 18, "an index of the findings that name hosts (http, host, dns_ptr)",
	  SQL_M18 },
	/* Scanning politely: the global exclusion list (store/exclusions.c);
	 * the audit trail names the client address of an API change; pauses
	 * (store/pause.c), which the claim consults (DB_CLAIM_NOT_PAUSED). */
	{ 19, "exclusions; the audit trail's client address; pauses",
	  "CREATE TABLE exclusions (entry TEXT PRIMARY KEY, reason TEXT NOT NULL DEFAULT '',"
	  " created_at BIGINT NOT NULL, created_by TEXT NOT NULL);"
	  "ALTER TABLE audit ADD COLUMN client TEXT;"
	  "CREATE TABLE pauses (kind TEXT NOT NULL CHECK (kind IN ('all', 'type', 'schedule', 'pool')),"
	  " value TEXT NOT NULL, since BIGINT NOT NULL, reason TEXT NOT NULL DEFAULT '',"
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
	  "ALTER TABLE scans ADD COLUMN addr_lo TEXT COLLATE \"C\";"
	  "ALTER TABLE scans ADD COLUMN addr_hi TEXT COLLATE \"C\";"
	  "CREATE TABLE windows (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
	  " cron TEXT NOT NULL, tz TEXT NOT NULL, duration_ms BIGINT NOT NULL,"
	  " pool TEXT NOT NULL DEFAULT '', targets TEXT NOT NULL DEFAULT '',"
	  " running TEXT NOT NULL CHECK (running IN ('finish', 'handback')),"
	  " opens_at BIGINT NOT NULL, closes_at BIGINT NOT NULL,"
	  " handed_at BIGINT NOT NULL DEFAULT 0, created_at BIGINT NOT NULL,"
	  " created_by TEXT NOT NULL);"
	  "CREATE TABLE window_ranges (window_id BIGINT NOT NULL REFERENCES windows(id)"
	  " ON DELETE CASCADE, lo TEXT COLLATE \"C\" NOT NULL, hi TEXT COLLATE \"C\" NOT NULL);"
	  "CREATE INDEX window_ranges_window ON window_ranges(window_id);"
	  "CREATE TABLE worker_names (name TEXT PRIMARY KEY, holder TEXT NOT NULL,"
	  " expires_at BIGINT NOT NULL);" },
	/* See the SQLite dialect.  The budget rows are hot (every slice of
	 * every worker updates its network's row of the second): no index
	 * beyond the key, so each update can stay HOT. */
	{ 21, "rate caps per network and their budgets per second",
	  "CREATE TABLE rate_caps (network TEXT PRIMARY KEY, probes BIGINT NOT NULL"
	  " CHECK (probes > 0), created_at BIGINT NOT NULL, created_by TEXT NOT NULL);"
	  "CREATE TABLE rate_budget (network TEXT NOT NULL, window_s BIGINT NOT NULL,"
	  " taken BIGINT NOT NULL, granted BIGINT NOT NULL, PRIMARY KEY (network, window_s))"
	  " WITH (fillfactor = 50);" },
	/* The dashboard's chart reads the open finding states and those fixed
	 * lately from this index alone (S_DASH_TREND), not the whole table. */
	{ 22, "an index of finding states for the dashboard",
	  SQL_M22 },
	/* Counters without hot rows (issue 23): every transaction that claimed,
	 * completed or submitted updated the same `counters` and `scan_counts`
	 * rows and held them until it committed, so connections queued behind
	 * each other.  Each row is now one of up to 16 shards, the writer's
	 * chosen by its backend (scanq_shard()), written by upsert; readers sum
	 * the shards (S_COUNTERS, S_COUNTS), so the figures stay exact.  SQLite
	 * has one writer at a time and keeps its rows as they are. */
	{ 23, "counters and status counts in shards",
	  "ALTER TABLE counters ADD COLUMN shard INTEGER NOT NULL DEFAULT 0;"
	  "ALTER TABLE counters DROP CONSTRAINT counters_pkey;"
	  "ALTER TABLE counters ADD PRIMARY KEY (name, shard);"
	  "ALTER TABLE scan_counts ADD COLUMN shard INTEGER NOT NULL DEFAULT 0;"
	  "ALTER TABLE scan_counts DROP CONSTRAINT scan_counts_pkey;"
	  "ALTER TABLE scan_counts ADD PRIMARY KEY (type, status, shard);"
	  "CREATE FUNCTION scanq_shard() RETURNS integer LANGUAGE sql STABLE AS"
	  " 'SELECT pg_backend_pid() % 16';"
	  "CREATE OR REPLACE FUNCTION scanq_count_stmt() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
	  " IF TG_OP = 'INSERT' THEN"
	  "  INSERT INTO scan_counts AS c (type, status, shard, n)"
	  "   SELECT type, status, scanq_shard(), count(*) FROM new_rows GROUP BY type, status"
	  "   ON CONFLICT (type, status, shard) DO UPDATE SET n = c.n + excluded.n;"
	  " ELSIF TG_OP = 'DELETE' THEN"
	  "  INSERT INTO scan_counts AS c (type, status, shard, n)"
	  "   SELECT type, status, scanq_shard(), -count(*) FROM old_rows GROUP BY type, status"
	  "   ON CONFLICT (type, status, shard) DO UPDATE SET n = c.n + excluded.n;"
	  " ELSIF EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id"
	  "  WHERE o.status <> n.status) THEN"
	  "  INSERT INTO scan_counts AS c (type, status, shard, n)"
	  "   SELECT type, status, scanq_shard(), sum(d) FROM ("
	  "    SELECT o.type, o.status, -1 AS d FROM old_rows o JOIN new_rows n ON n.id = o.id"
	  "    WHERE o.status <> n.status UNION ALL SELECT n.type, n.status, 1 FROM old_rows o"
	  "    JOIN new_rows n ON n.id = o.id WHERE o.status <> n.status) m"
	  "   GROUP BY type, status HAVING sum(d) <> 0"
	  "   ON CONFLICT (type, status, shard) DO UPDATE SET n = c.n + excluded.n;"
	  "  INSERT INTO counters AS c (name, shard, value)"
	  "   SELECT h.name, scanq_shard(), h.k FROM ("
	  PG_DURATION_ROWS
	  "   WHERE h.k <> 0"
	  "   ON CONFLICT (name, shard) DO UPDATE SET value = c.value + excluded.value;"
	  " END IF;"
	  " RETURN NULL; END $$;" },
	/* See the SQLite dialect.  LIKE, not a jsonb cast: a detail jsonb
	 * refuses (a \u0000) must not make a completion fail. */
	{ 24, "removed webhooks kept with their deliveries; an index of detected services",
	  "ALTER TABLE webhooks ADD COLUMN removed_at BIGINT;"
	  "ALTER TABLE webhooks ADD COLUMN removed_by TEXT;"
	  "CREATE INDEX findings_detected ON findings(target, port, proto, scan_id)"
	  " WHERE kind = 'open_port' AND detail LIKE '%\"detected_by\":%';" },
	/* The dashboard's rollups (db.h, "the dashboard's rollups"), as in
	 * SQLite's migration 25, with a shard per writer (scanq_shard(), as
	 * migration 23) so completing transactions do not queue on today's
	 * row; readers sum the shards.  Row triggers with a WHEN: a sighting
	 * that moves no number runs no function.  Their rows are updated by
	 * every transaction that opens or fixes a finding: a fill factor of
	 * 50 keeps those updates HOT (as rate_budget's). */
	{ 25, "the dashboard's rollups: open findings per day, changes per hour",
	  "CREATE TABLE dash_trend (day BIGINT NOT NULL, severity TEXT NOT NULL,"
	  " shard INTEGER NOT NULL, n BIGINT NOT NULL, PRIMARY KEY (day, severity, shard))"
	  " WITH (fillfactor = 50);"
	  "CREATE TABLE dash_changes (span BIGINT NOT NULL, bucket BIGINT NOT NULL,"
	  " change_type TEXT NOT NULL, shard INTEGER NOT NULL, n BIGINT NOT NULL,"
	  " PRIMARY KEY (span, bucket, change_type, shard))"
	  " WITH (fillfactor = 50);"
	  DB_DASH_BACKFILL
	  "DROP INDEX finding_states_dashboard;"
	  "CREATE FUNCTION scanq_dash_trend() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
	  " IF TG_OP = 'INSERT' THEN "
	  DB_TREND_ADD("scanq_shard()", DB_TREND_PART("NEW", "1", "")) ";"
	  " ELSIF TG_OP = 'DELETE' THEN "
	  DB_TREND_ADD("scanq_shard()", DB_TREND_PART("OLD", "-1", "")) ";"
	  " ELSE "
	  DB_TREND_ADD("scanq_shard()", DB_TREND_PART("NEW", "1", "") " UNION ALL "
		       DB_TREND_PART("OLD", "-1", "")) ";"
	  " END IF; RETURN NULL; END $$;"
	  "CREATE TRIGGER finding_states_dash AFTER INSERT OR DELETE ON finding_states"
	  " FOR EACH ROW EXECUTE FUNCTION scanq_dash_trend();"
	  "CREATE TRIGGER finding_states_dash_update AFTER UPDATE ON finding_states"
	  " FOR EACH ROW WHEN (" DB_TREND_MOVED ") EXECUTE FUNCTION scanq_dash_trend();"
	  "CREATE FUNCTION scanq_dash_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
	  DB_CHANGES_ADD("scanq_shard()", DB_CHANGES_NEW) "; RETURN NULL; END $$;"
	  "CREATE TRIGGER scan_changes_dash AFTER INSERT ON scan_changes"
	  " FOR EACH ROW EXECUTE FUNCTION scanq_dash_change();"
	  "CREATE FUNCTION scanq_dash_scan() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
	  " IF TG_OP = 'DELETE' THEN "
	  DB_CHANGES_ADD("scanq_shard()", DB_CHANGES_PART("OLD", "-1")) "; RETURN OLD;"
	  " END IF; "
	  DB_CHANGES_ADD("scanq_shard()", DB_CHANGES_PART("NEW", "1") " UNION ALL "
			 DB_CHANGES_PART("OLD", "-1")) "; RETURN NULL; END $$;"
	  "CREATE TRIGGER scans_dash_delete BEFORE DELETE ON scans FOR EACH ROW"
	  " WHEN (OLD.status = 'completed' AND OLD.finished_at IS NOT NULL)"
	  " EXECUTE FUNCTION scanq_dash_scan();"
	  "CREATE TRIGGER scans_dash_update AFTER UPDATE OF status, finished_at ON scans"
	  " FOR EACH ROW WHEN (" DB_CHANGES_MOVED ") EXECUTE FUNCTION scanq_dash_scan();" },
	/* Hot state apart from history, its first step (docs/STORE.md): the
	 * lease of a running scan in a small table of its own.  A heartbeat
	 * changes only lease_expires_at and progress, which no index covers,
	 * and the fill factor leaves room on each page for the new version:
	 * heartbeats are HOT updates.  Recovery reads the small table by a
	 * sequential scan.  No foreign key: its check would lock the scans
	 * row on every claim; the lifecycle keeps the two in step (a lease
	 * exists exactly while its scan runs that attempt).  Running scans
	 * keep their lease and attempt (the fence); the two indexes that only
	 * served leases go with scans.lease_expires_at. */
	{ 26, "leases of running scans in a table of their own",
	  "CREATE TABLE leases (scan_id BIGINT PRIMARY KEY, attempt INTEGER NOT NULL,"
	  " worker_id TEXT NOT NULL, lease_expires_at BIGINT NOT NULL,"
	  " progress DOUBLE PRECISION NOT NULL DEFAULT 0) WITH (fillfactor = 50);"
	  SQL_M26_MOVE },
	{ 0, NULL, NULL }
};


/* Adds to the counters the (name, by) rows of ROWS, in the writer's shard
 * (migration 23): rows that add nothing write nothing. */
#define PG_BUMP(ROWS) "INSERT INTO counters AS o (name, shard, value)" \
	" SELECT v.name, scanq_shard(), v.n FROM (" ROWS ") AS v(name, n) WHERE v.n <> 0" \
	" ON CONFLICT (name, shard) DO UPDATE SET value = o.value + excluded.value"

/* The completion half of S_COMPLETE_BATCH and S_COMPLETE_CLAIM: the clock
 * (t, read once), the batch (i: ids, attempts, summaries), the fenced
 * update (c) and the findings of the scans it completed (f: nine arrays,
 * a port <= 0 is NULL). */
#define PG_COMPLETE_CTES \
	"WITH t AS MATERIALIZED (SELECT scanq_now_ms() AS now)," \
	" i AS (SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[]) AS x(id, attempt, summary))," \
	" c AS (UPDATE scans s SET status = 'completed', finished_at = t.now," \
	"  progress = 1, summary = i.summary, error_code = NULL," \
	"  error_message = NULL, error_detail = NULL FROM i, t" \
	"  WHERE s.id = i.id AND s.attempt = i.attempt AND s.status = 'running'" \
	"  RETURNING s.id, s.attempt, s.worker_id, s.finished_at)," \
	" dl AS (DELETE FROM leases WHERE scan_id IN (SELECT id FROM c))," \
	" f AS (INSERT INTO findings (scan_id, kind, target, port, proto, service, severity," \
	"  title, detail, created_at) SELECT y.scan_id, y.kind, y.target," \
	"  CASE WHEN y.port > 0 THEN y.port END, y.proto, y.service, y.severity, y.title, y.detail, t.now" \
	"  FROM unnest($4::bigint[], $5::text[], $6::text[], $7::bigint[], $8::text[], $9::text[]," \
	"  $10::text[], $11::text[], $12::text[]) AS y(scan_id, kind, target, port, proto, service," \
	"  severity, title, detail), t WHERE y.scan_id IN (SELECT id FROM c)),"

const char *const pg_sql[DB_STMT_COUNT] = {
	[S_SUBMIT_BATCH] =
		"WITH i AS (SELECT x.*, nextval(pg_get_serial_sequence('scans', 'id')) AS id"
		"  FROM json_to_recordset($1::json) AS x(n int, type text, targets text, options text,"
		"  priority int, max_attempts int, time_limit_s int, key text, hash text, pool text,"
		"  lo text, hi text)),"
		" c AS (INSERT INTO scans (id, type, targets, options, status, priority, max_attempts,"
		"  time_limit_s, run_after, created_at, idempotency_key, request_hash, pool, addr_lo,"
		"  addr_hi) OVERRIDING SYSTEM VALUE"
		"  SELECT id, type, targets, options, 'pending', priority, max_attempts, time_limit_s,"
		"  scanq_now_ms(), scanq_now_ms(), key, hash, coalesce(pool, 'local'), lo, hi"
		"  FROM i ORDER BY n"
		"  ON CONFLICT (idempotency_key) DO NOTHING RETURNING id),"
		" e AS (INSERT INTO scan_events (scan_id, at, from_status, to_status, attempt, reason)"
		"  SELECT id, scanq_now_ms(), NULL, 'pending', 0, $2::text FROM c),"
		" k AS (" PG_BUMP("SELECT 'submitted', count(*) FROM c") ")"
		" SELECT i.n, i.id, (c.id IS NOT NULL)::int,"
		"  (SELECT count(pg_notify('scanq_pending', '')) FROM (SELECT 1 FROM c LIMIT 1) z)"
		" FROM i LEFT JOIN c ON c.id = i.id ORDER BY i.n",
	[S_NOTIFY] = "SELECT pg_notify('scanq_pending', '')",
	[S_COUNT] = PG_BUMP("SELECT $1::text, $2::bigint"),
	[S_EVENTS] = "SELECT id, scan_id, at, from_status, to_status, attempt,"
		" coalesce(worker_id, ''), coalesce(reason, '') FROM scan_events"
		" WHERE scan_id = $1::bigint ORDER BY id LIMIT $2::int",
	[S_CLAIM] =
		"WITH t AS MATERIALIZED (SELECT scanq_now_ms() AS now),"
		" c AS ("
		" UPDATE scans SET status = 'running', attempt = attempt + 1, worker_id = $1::text,"
		"  claimed_at = t.now, progress = 0 FROM t"
		" WHERE id IN (SELECT id FROM scans WHERE status = 'pending' AND pool = $5::text"
		"  AND run_after <= (SELECT now FROM t)" DB_CLAIMABLE("(SELECT now FROM t)")
		"  ORDER BY priority DESC, id LIMIT $4::int"
		"  FOR UPDATE SKIP LOCKED)"
		" RETURNING " DB_SCAN_COLS_CLAIMED("$3::bigint") "),"
		" l AS (INSERT INTO leases (scan_id, attempt, worker_id, lease_expires_at, progress)"
		"  SELECT id, attempt, worker_id, lease_expires_at, 0 FROM c),"
		" e AS (INSERT INTO scan_events (scan_id, at, from_status, to_status, attempt,"
		"  worker_id, reason) SELECT id, claimed_at, 'pending', 'running', attempt, worker_id,"
		"  'claimed' FROM c),"
		" k AS (" PG_BUMP("SELECT 'claims', count(*) FROM c") ")"
		" SELECT * FROM c ORDER BY priority DESC, id",
	/* A whole batch of completions in one statement, one round trip: the
	 * fenced update, the findings of the scans it completed, their events,
	 * and the counters (completed, and fenced_writes for the rest).  Typed
	 * arrays (unnest), the clock read once (t). */
	[S_COMPLETE_BATCH] = PG_COMPLETE_CTES
		" k AS (" PG_BUMP("VALUES ('completed', (SELECT count(*) FROM c)), ('fenced_writes',"
		"  (SELECT count(*) FROM i) - (SELECT count(*) FROM c))") "),"
		" e AS (INSERT INTO scan_events (scan_id, at, from_status, to_status, attempt,"
		"  worker_id, reason) SELECT id, finished_at, 'running', 'completed', attempt,"
		"  worker_id, $13::text FROM c)"
		" SELECT id FROM c",
	/* The same, and the claim of the next batch (S_CLAIM) in the same
	 * statement: the two updates touch disjoint rows (running, pending),
	 * their events go in as one insert and their counters as one update
	 * (a row updated twice in one statement keeps one of the two). */
	[S_COMPLETE_CLAIM] = PG_COMPLETE_CTES
		" q AS (UPDATE scans SET status = 'running', attempt = attempt + 1, worker_id = $14::text,"
		"  claimed_at = t.now, progress = 0 FROM t"
		"  WHERE id IN (SELECT id FROM scans WHERE status = 'pending' AND pool = $17::text"
		"  AND run_after <= (SELECT now FROM t)" DB_CLAIMABLE("(SELECT now FROM t)")
		"  ORDER BY priority DESC, id LIMIT $16::int FOR UPDATE SKIP LOCKED)"
		"  RETURNING " DB_SCAN_COLS_CLAIMED("$15::bigint") "),"
		" l AS (INSERT INTO leases (scan_id, attempt, worker_id, lease_expires_at, progress)"
		"  SELECT id, attempt, worker_id, lease_expires_at, 0 FROM q),"
		" e AS (INSERT INTO scan_events (scan_id, at, from_status, to_status, attempt,"
		"  worker_id, reason) SELECT id, finished_at, 'running', 'completed', attempt,"
		"  worker_id, $13::text FROM c UNION ALL SELECT id, claimed_at, 'pending', 'running',"
		"  attempt, worker_id, 'claimed' FROM q),"
		" k AS (" PG_BUMP("VALUES ('completed', (SELECT count(*) FROM c)), ('claims',"
		"  (SELECT count(*) FROM q)), ('fenced_writes', (SELECT count(*) FROM i)"
		"  - (SELECT count(*) FROM c))") ")"
		" SELECT q.*, d.done FROM (SELECT coalesce(string_agg(id::text, ','), '') AS done"
		"  FROM c) d LEFT JOIN q ON true ORDER BY q.priority DESC, q.id",
	[S_RUNNING_ROW] =
		"SELECT attempt - attempt_base, max_attempts, cancel_requested, coalesce(worker_id, '')"
		" FROM scans WHERE id = $1::bigint AND attempt = $2::int AND status = 'running'"
		" FOR UPDATE",
	/* SKIP LOCKED: rows a worker is finishing right now are left to it. */
	[S_EXPIRED] =
		"SELECT l.scan_id, l.attempt, s.attempt - s.attempt_base, s.max_attempts,"
		" s.cancel_requested, l.worker_id FROM leases l JOIN scans s ON s.id = l.scan_id"
		" WHERE l.lease_expires_at < scanq_now_ms() AND s.status = 'running'"
		" AND s.attempt = l.attempt ORDER BY l.lease_expires_at LIMIT $2::int"
		" FOR UPDATE OF l, s SKIP LOCKED",
	[S_STATUS_OF] = "SELECT status, attempt, cancel_requested FROM scans WHERE id = $1::bigint"
		" FOR UPDATE",
	[S_PRUNE] =
		"DELETE FROM scans WHERE id IN (SELECT id FROM scans WHERE finished_at < $1::bigint"
		" AND status IN ('completed', 'failed', 'cancelled') ORDER BY finished_at"
		" LIMIT $2::int FOR UPDATE SKIP LOCKED)",
	[S_WORKER_HELD] =
		"SELECT l.scan_id, l.attempt, s.attempt - s.attempt_base, s.max_attempts,"
		" s.cancel_requested, s.lost_workers FROM leases l JOIN scans s ON s.id = l.scan_id"
		" WHERE l.worker_id = $1::text AND s.status = 'running' AND s.attempt = l.attempt"
		" ORDER BY l.scan_id LIMIT $2::int FOR UPDATE OF s",
	[S_TOKEN_ANY] = "SELECT EXISTS (SELECT 1 FROM tokens)::int",
	[S_LEADER_TAKE] =
		"INSERT INTO leader AS l (id, holder, expires_at)"
		" VALUES (1, $1::text, scanq_now_ms() + $3::bigint)"
		" ON CONFLICT (id) DO UPDATE SET holder = excluded.holder,"
		" expires_at = excluded.expires_at"
		" WHERE l.holder = excluded.holder OR l.expires_at < scanq_now_ms()"
		" RETURNING holder",
	[S_WNAME_TAKE] =
		"INSERT INTO worker_names AS w (name, holder, expires_at)"
		" VALUES ($1::text, $2::text, scanq_now_ms() + $4::bigint)"
		" ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,"
		" expires_at = excluded.expires_at"
		" WHERE w.holder = excluded.holder OR w.expires_at < scanq_now_ms()"
		" RETURNING holder",
	[S_SCHEMA_PRESENT] =
		"SELECT count(*) FROM pg_tables WHERE tablename = 'schema_migrations'"
		" AND schemaname = current_schema()",
	[S_SCHEMA_INIT] =
		"CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
		" name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
	/* One migrator at a time across hosts, for the rest of the transaction. */
	[S_SCHEMA_LOCK] = "SELECT pg_advisory_xact_lock(7263524101)",
	/* Two window adds check the overlap rule one after the other. */
	[S_WINDOW_LOCK] = "SELECT pg_advisory_xact_lock(7263524102)",
	[S_SCHEMA_RECORD] =
		"INSERT INTO schema_migrations (version, name, applied_at)"
		" VALUES ($1::int, $2::text, (extract(epoch FROM clock_timestamp()) * 1000)::bigint)",
	/* follow-up stages and shards (issue 14) */
	[S_FLOW_ROW] =
		"SELECT coalesce(parent_id, 0), flow, type, options, priority, max_attempts,"
		" time_limit_s, cancel_requested, status FROM scans WHERE id = $1::bigint FOR UPDATE",
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
		"  WHERE b.key = k.key AND b.scan_id < k.id AND x.parent_id IS DISTINCT FROM k.parent"
		"  ORDER BY b.scan_id DESC LIMIT 1) END"
		" FROM (SELECT id, " DB_CHANGES_KEY("chr(10)") " AS key, parent_id AS parent"
		"  FROM scans WHERE id = $1::bigint) k"
		" RETURNING baseline_id, (SELECT count(*) FROM findings f"
		"  WHERE f.scan_id = scan_baselines.baseline_id), (SELECT count(*) FROM webhooks WHERE removed_at IS NULL),"
		" CASE WHEN key LIKE 'stage:%' THEN (SELECT targets FROM scans"
		"  WHERE id = scan_baselines.scan_id) END,"
		" CASE WHEN EXISTS (SELECT 1 FROM finding_baselines fb JOIN finding_states fs"
		"  ON fs.baseline_id = fb.id WHERE fb.key = scan_baselines.key"
		"  AND fs.state IN ('open', 'reopened', 'accepted')"
		"  AND (fs.state <> 'accepted' OR fs.expires_at IS NOT NULL)) THEN 1 ELSE 0 END",
	/* S_CHANGES_MARK for a batch ($1: the ids): the same rule, and a scan
	 * of the batch is also a baseline for the later ones of its key (the
	 * rows this statement inserts are not visible to it, so the batch is
	 * searched as well: greatest() of the two, which skips a NULL). */
	[S_CHANGES_MARK_BATCH] =
		"WITH k AS MATERIALIZED (SELECT id, " DB_CHANGES_KEY("chr(10)") " AS key,"
		"  parent_id AS parent, targets FROM scans WHERE id = ANY ($1::bigint[])),"
		" m AS (INSERT INTO scan_baselines (scan_id, key, baseline_id)"
		"  SELECT k.id, k.key, CASE WHEN k.parent IS NULL THEN greatest("
		"   (SELECT b.scan_id FROM scan_baselines b WHERE b.key = k.key AND b.scan_id < k.id"
		"   ORDER BY b.scan_id DESC LIMIT 1),"
		"   (SELECT max(j.id) FROM k j WHERE j.key = k.key AND j.id < k.id))"
		"  ELSE greatest((SELECT b.scan_id FROM scan_baselines b JOIN scans x ON x.id = b.scan_id"
		"   WHERE b.key = k.key AND b.scan_id < k.id AND x.parent_id IS DISTINCT FROM k.parent"
		"   ORDER BY b.scan_id DESC LIMIT 1),"
		"   (SELECT max(j.id) FROM k j WHERE j.key = k.key AND j.id < k.id"
		"   AND j.parent IS DISTINCT FROM k.parent)) END"
		"  FROM k RETURNING scan_id, key, baseline_id)"
		" SELECT m.scan_id, m.baseline_id, (SELECT count(*) FROM findings f"
		"  WHERE f.scan_id = m.baseline_id), (SELECT count(*) FROM webhooks WHERE removed_at IS NULL),"
		" CASE WHEN m.key LIKE 'stage:%' THEN k.targets END,"
		" CASE WHEN EXISTS (SELECT 1 FROM finding_baselines fb JOIN finding_states fs"
		"  ON fs.baseline_id = fb.id WHERE fb.key = m.key"
		"  AND fs.state IN ('open', 'reopened', 'accepted')"
		"  AND (fs.state <> 'accepted' OR fs.expires_at IS NOT NULL)) THEN 1 ELSE 0 END, m.key"
		" FROM m JOIN k ON k.id = m.scan_id ORDER BY m.scan_id",
	/* See the SQLite dialect. */
	[S_FSTATE_FIX] =
		"UPDATE finding_states SET state = 'fixed', fixed_scan_id = $2::bigint,"
		" updated_at = scanq_now_ms() WHERE baseline_id = $1::bigint AND last_scan_id <> $2::bigint"
		" AND state IN ('open', 'reopened', 'accepted')"
		" AND (state <> 'accepted' OR expires_at <= scanq_now_ms())"
		" AND ($4::text IS NULL OR target IN (SELECT jsonb_array_elements_text($4::text::jsonb)))",
	[S_CHANGES_STAGE_FINDINGS] =
		"WITH run AS (SELECT b.scan_id AS id FROM scan_baselines b JOIN scans x ON x.id = b.scan_id"
		"  WHERE b.key = (SELECT key FROM scan_baselines WHERE scan_id = $1::bigint)"
		"  AND x.parent_id = (SELECT parent_id FROM scans WHERE id = $1::bigint))"
		" SELECT kind, target, coalesce(port, 0), coalesce(proto, ''), service, severity, title,"
		" detail FROM findings WHERE scan_id IN (SELECT id FROM run UNION ALL"
		" SELECT s.id FROM scans s WHERE s.parent_id IN (SELECT id FROM run) AND (s.flow & 4) <> 0)"
		" AND target IN (SELECT jsonb_array_elements_text($2::text::jsonb))",
	/* Due pending deliveries, and those whose sender died (lease expired);
	 * SKIP LOCKED: another sender's claim in flight is left to it. */
	[S_DELIVERY_CLAIM] =
		"UPDATE webhook_deliveries SET status = 'sending', attempt = attempt + 1,"
		" worker_id = $1::text, lease_expires_at = scanq_now_ms() + $3::bigint"
		" WHERE id IN (SELECT id FROM webhook_deliveries"
		"  WHERE (status = 'pending' AND run_after <= scanq_now_ms())"
		"  OR (status = 'sending' AND lease_expires_at < scanq_now_ms())"
		"  ORDER BY id LIMIT $4::int FOR UPDATE SKIP LOCKED)"
		" RETURNING id, uuid, webhook_id, attempt, max_attempts, created_at, event, body",
	/* See the SQLite dialect.  The details are written by scanq's scanners
	 * (jansson, from C strings): valid JSON without NUL escapes. */
	[S_HOST_NAMES] =
		"WITH f AS (SELECT f.kind, f.target, f.scan_id, s.finished_at, f.detail::jsonb AS d"
		"  FROM findings f JOIN scans s ON s.id = f.scan_id AND s.status = 'completed'"
		"  WHERE f.kind IN ('http', 'host', 'dns_ptr') AND f.detail IS NOT NULL),"
		" n AS (SELECT d->>'address' AS address, j.name, 'http' AS source, scan_id, finished_at"
		"  FROM f, jsonb_array_elements_text(CASE WHEN jsonb_typeof(d->'names') = 'array'"
		"   THEN d->'names' ELSE '[]'::jsonb END) AS j(name)"
		"  WHERE f.kind = 'http' AND d->'check' IS NULL"
		"  UNION ALL SELECT target, j.name, 'dns', scan_id, finished_at"
		"  FROM f, jsonb_array_elements_text(CASE WHEN jsonb_typeof(d->'names') = 'array'"
		"   THEN d->'names' ELSE '[]'::jsonb END) AS j(name) WHERE f.kind = 'host'"
		"  UNION ALL SELECT target, d->>'name', 'ptr', scan_id, finished_at"
		"  FROM f WHERE f.kind = 'dns_ptr')"
		" SELECT address, lower(name), string_agg(DISTINCT source, ',' ORDER BY source),"
		"  min(finished_at), max(finished_at), max(scan_id) FROM n"
		" WHERE address IS NOT NULL AND name IS NOT NULL AND name <> '' AND name <> address"
		" GROUP BY address, lower(name) ORDER BY address, lower(name) LIMIT $1::int",
	[S_SQ_OVERTIME] = "SELECT s.id, s.type, s.status, s.attempt, l.worker_id,"
		" s.claimed_at + s.time_limit_s * 1000, 'hard limit ' || s.time_limit_s::text || ' s'"
		" FROM leases l JOIN scans s ON s.id = l.scan_id WHERE l.lease_expires_at >= scanq_now_ms()"
		" AND s.claimed_at + s.time_limit_s * 1000 + $5::bigint < scanq_now_ms()"
		" ORDER BY s.id LIMIT $3::int",
	[S_SQ_BUDGET] = "SELECT id, type, status, attempt, coalesce(worker_id, ''), created_at,"
		" (attempt - attempt_base)::text || ' of ' || max_attempts FROM scans"
		" WHERE (status = 'pending' AND attempt - attempt_base >= max_attempts)"
		" OR (status = 'running' AND attempt - attempt_base > max_attempts) ORDER BY id LIMIT $3::int",
	[S_RESET_RUNNING] = "SELECT id, attempt, coalesce(worker_id, '') FROM scans"
		" WHERE status = 'running' ORDER BY id LIMIT $1::int FOR UPDATE",
	[S_PRUNE_STATUS] =
		"DELETE FROM scans WHERE id IN (SELECT id FROM scans"
		" WHERE status = $3::text AND finished_at < $1::bigint ORDER BY finished_at LIMIT $2::int FOR UPDATE SKIP LOCKED)",
	/* One statement: the rows the DELETE returns are exactly the ones
	 * summed, so a delta a completing transaction adds to an old day
	 * meanwhile is either folded or left, never lost. */
	[S_DASH_FOLD] =
		"WITH d AS (DELETE FROM dash_trend WHERE day > 0 AND day < $1::bigint"
		" RETURNING severity, n) INSERT INTO dash_trend (day, severity, shard, n)"
		" SELECT 0, severity, 0, sum(n) FROM d GROUP BY severity"
		" ON CONFLICT (day, severity, shard) DO UPDATE SET n = dash_trend.n + excluded.n",
	/* The clock read once (an InitPlan), so scan_events_finished bounds
	 * the hour: with the volatile scanq_now_ms() in the condition it was
	 * a sequential scan of every event (bench/dashboard.sh). */
	[S_FINISHED_HOUR] = "SELECT count(*) FILTER (WHERE to_status = 'completed'),"
		" count(*) FILTER (WHERE to_status = 'failed') FROM scan_events"
		" WHERE at >= (SELECT scanq_now_ms()) - 3600000"
		" AND to_status IN ('completed', 'failed', 'cancelled')"
		" AND from_status IS DISTINCT FROM to_status",
	[S_LIST_TARGET] = "SELECT " DB_SCAN_COLS " FROM scans WHERE id < $3::bigint"
		" AND ($1::text IS NULL OR status = $1::text) AND ($2::text IS NULL OR type = $2::text)"
		" AND strpos(targets, $5::text) > 0 ORDER BY id DESC LIMIT $4::int",
	[S_AGENT_ROW] = "SELECT status, attempt, pool, coalesce(worker_id, ''), flow FROM scans"
		" WHERE id = $1::bigint FOR UPDATE",
};
