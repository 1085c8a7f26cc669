/*
 * store_pg.c — the PostgreSQL backend of store.h, for when one machine is
 * not enough: any number of `scanq serve` and `scanq worker` processes on
 * any number of hosts share one database.
 *
 * The same contract as store_sqlite.c, in PostgreSQL's terms: claims take
 * due pending rows with FOR UPDATE SKIP LOCKED inside the UPDATE that moves
 * them to running, so concurrent claimers never wait on or take each
 * other's rows; operator changes lock their row (SELECT ... FOR UPDATE)
 * before asking the state machine; every time comes from the database's
 * clock (scanq_now_ms()), so leases mean the same thing on every host.
 * Status counts are kept by a trigger in the same transaction as each
 * change.  Every statement is prepared once per connection (PQprepare) and
 * takes its values as parameters.  Whatever makes a scan due now (a
 * submission, an operator's retry, lease recovery, a hand-back) also sends
 * NOTIFY scanq_pending, delivered when it commits (wakeup.c listens).
 *
 * Decisions (which action a failure leads to, the backoff) are the shared
 * ones of store.c and scan.c, so the two backends cannot drift apart.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>
#include "store_impl.h"

/* ---- schema ------------------------------------------------------------ */

/* Same versions and meanings as store_sqlite.c's migrations. */
static const struct migration {
	int version;
	const char *name;
	const char *sql;
} migrations[] = {
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
};

#define NMIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

/* ---- statements ---------------------------------------------------------- */

#define SCAN_COLS "id, type, targets, options, status, priority, attempt, max_attempts," \
	" time_limit_s, run_after, created_at, claimed_at, finished_at, lease_expires_at," \
	" worker_id, cancel_requested, progress, error_code, error_message, error_detail," \
	" summary, idempotency_key"

#define FINDING_COLS "id, scan_id, kind, target, port, proto, service, severity, title," \
	" detail, created_at"

enum pst {
	P_KEY_LOOKUP, P_INSERT_SCAN, P_EVENT, P_COUNT, P_NOTIFY,
	P_GET, P_LIST_ALL, P_LIST_STATUS, P_LIST_TYPE, P_LIST_BOTH, P_EVENTS,
	P_CLAIM, P_HEARTBEAT, P_COMPLETE, P_FINDING_INSERT,
	P_RUNNING_ROW, P_SET_PENDING, P_SET_FINAL,
	P_EXPIRED, P_STATUS_OF, P_CANCEL_REQUEST, P_RETRY,
	P_FINDINGS, P_EXISTS,
	P_COUNTS, P_OLDEST_PENDING, P_FINISHED_SINCE, P_WORKER_BEATS, P_COUNTERS,
	P_WORKER_UPSERT, P_WORKER_BEAT, P_WORKER_EXIT, P_WORKER_LIST, P_WORKER_RUNNING,
	P_TOKEN_INSERT, P_TOKEN_GET, P_TOKEN_ANY,
	P_STUCK_PENDING, P_STUCK_RUNNING, P_STUCK_PENDING_N, P_STUCK_RUNNING_N,
	P_PRUNE, P_PRUNE_COUNT,
	P_COUNT_OF_STMTS
};

static const char *const pst_sql[P_COUNT_OF_STMTS] = {
	[P_KEY_LOOKUP] = "SELECT id FROM scans WHERE idempotency_key = $1::text",
	/* ON CONFLICT: a concurrent submission with the same key won the race;
	 * no row comes back and the caller looks the winner up. */
	[P_INSERT_SCAN] =
		"INSERT INTO scans (type, targets, options, status, priority, max_attempts,"
		" time_limit_s, run_after, created_at, idempotency_key)"
		" VALUES ($1::text, $2::text, $3::text, 'pending', $4::int, $5::int, $6::int,"
		" scanq_now_ms(), scanq_now_ms(), $7::text)"
		" ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
	[P_EVENT] =
		"INSERT INTO scan_events (scan_id, at, from_status, to_status, attempt,"
		" worker_id, reason) VALUES ($1::bigint, scanq_now_ms(), $2::text, $3::text, $4::int,"
		" $5::text, $6::text)",
	[P_COUNT] = "UPDATE counters SET value = value + $2::bigint WHERE name = $1::text",
	[P_NOTIFY] = "SELECT pg_notify('scanq_pending', '')",
	[P_GET] = "SELECT " SCAN_COLS " FROM scans WHERE id = $1::bigint",
	[P_LIST_ALL] = "SELECT " SCAN_COLS " FROM scans WHERE id < $1::bigint"
		" ORDER BY id DESC LIMIT $2::int",
	[P_LIST_STATUS] = "SELECT " SCAN_COLS " FROM scans WHERE id < $1::bigint"
		" AND status = $3::text ORDER BY id DESC LIMIT $2::int",
	[P_LIST_TYPE] = "SELECT " SCAN_COLS " FROM scans WHERE id < $1::bigint"
		" AND type = $3::text ORDER BY id DESC LIMIT $2::int",
	[P_LIST_BOTH] = "SELECT " SCAN_COLS " FROM scans WHERE id < $1::bigint"
		" AND status = $3::text AND type = $4::text ORDER BY id DESC LIMIT $2::int",
	[P_EVENTS] = "SELECT id, scan_id, at, from_status, to_status, attempt,"
		" coalesce(worker_id, ''), coalesce(reason, '') FROM scan_events"
		" WHERE scan_id = $1::bigint ORDER BY id LIMIT $2::int",
	[P_CLAIM] =
		"WITH c AS ("
		" UPDATE scans SET status = 'running', attempt = attempt + 1, worker_id = $1::text,"
		"  claimed_at = scanq_now_ms(), lease_expires_at = scanq_now_ms() + $2::bigint,"
		"  progress = 0"
		" WHERE id IN (SELECT id FROM scans WHERE status = 'pending'"
		"  AND run_after <= scanq_now_ms() ORDER BY priority DESC, id LIMIT $3::int"
		"  FOR UPDATE SKIP LOCKED)"
		" RETURNING " SCAN_COLS "),"
		" e AS (INSERT INTO scan_events (scan_id, at, from_status, to_status, attempt,"
		"  worker_id, reason) SELECT id, claimed_at, 'pending', 'running', attempt, worker_id,"
		"  'claimed' FROM c),"
		" k AS (UPDATE counters SET value = value + (SELECT count(*) FROM c)"
		"  WHERE name = 'claims')"
		" SELECT * FROM c ORDER BY priority DESC, id",
	[P_HEARTBEAT] =
		"UPDATE scans SET lease_expires_at = scanq_now_ms() + $3::bigint,"
		" progress = CASE WHEN $4::float8 >= 0 THEN $4::float8 ELSE progress END"
		" WHERE id = $1::bigint AND attempt = $2::int AND status = 'running'"
		" RETURNING cancel_requested",
	[P_COMPLETE] =
		"UPDATE scans SET status = 'completed', finished_at = scanq_now_ms(), progress = 1,"
		" summary = $3::text, lease_expires_at = NULL, error_code = NULL,"
		" error_message = NULL, error_detail = NULL"
		" WHERE id = $1::bigint AND attempt = $2::int AND status = 'running'"
		" RETURNING coalesce(worker_id, '')",
	[P_FINDING_INSERT] =
		"INSERT INTO findings (scan_id, kind, target, port, proto, service, severity,"
		" title, detail, created_at) VALUES ($1::bigint, $2::text, $3::text, $4::int,"
		" $5::text, $6::text, $7::text, $8::text, $9::text, scanq_now_ms())",
	[P_RUNNING_ROW] =
		"SELECT attempt - attempt_base, max_attempts, cancel_requested, coalesce(worker_id, '')"
		" FROM scans WHERE id = $1::bigint AND attempt = $2::int AND status = 'running'"
		" FOR UPDATE",
	[P_SET_PENDING] =
		"UPDATE scans SET status = 'pending', run_after = scanq_now_ms() + $3::bigint,"
		" lease_expires_at = NULL, attempt_base = attempt_base + $4::int,"
		" error_code = coalesce($5::text, error_code),"
		" error_message = coalesce($6::text, error_message),"
		" error_detail = coalesce($7::text, error_detail)"
		" WHERE id = $1::bigint AND attempt = $2::int AND status = 'running'",
	[P_SET_FINAL] =
		"UPDATE scans SET status = $3::text, finished_at = scanq_now_ms(),"
		" lease_expires_at = NULL, error_code = $4::text, error_message = $5::text,"
		" error_detail = $6::text"
		" WHERE id = $1::bigint AND attempt = $2::int AND status = $7::text",
	[P_EXPIRED] =
		"SELECT id, attempt, attempt - attempt_base, max_attempts, cancel_requested,"
		" coalesce(worker_id, '') FROM scans WHERE status = 'running'"
		" AND lease_expires_at < scanq_now_ms() ORDER BY lease_expires_at LIMIT 500"
		" FOR UPDATE SKIP LOCKED",
	[P_STATUS_OF] = "SELECT status, attempt, cancel_requested FROM scans WHERE id = $1::bigint"
		" FOR UPDATE",
	[P_CANCEL_REQUEST] =
		"UPDATE scans SET cancel_requested = 1 WHERE id = $1::bigint AND status = 'running'",
	[P_RETRY] =
		"UPDATE scans SET status = 'pending', attempt_base = attempt, run_after = scanq_now_ms(),"
		" finished_at = NULL, cancel_requested = 0, progress = 0, error_code = NULL,"
		" error_message = NULL, error_detail = NULL"
		" WHERE id = $1::bigint AND status IN ('failed', 'cancelled')",
	[P_FINDINGS] = "SELECT " FINDING_COLS " FROM findings WHERE scan_id = $1::bigint"
		" AND id > $2::bigint ORDER BY id LIMIT $3::int",
	[P_EXISTS] = "SELECT 1 FROM scans WHERE id = $1::bigint",
	[P_COUNTS] = "SELECT type, status, n FROM scan_counts WHERE n <> 0 ORDER BY type",
	[P_OLDEST_PENDING] =
		"SELECT scanq_now_ms() - created_at FROM scans WHERE status = 'pending'"
		" ORDER BY created_at LIMIT 1",
	[P_FINISHED_SINCE] =
		"SELECT count(*) FROM scan_events WHERE at >= scanq_now_ms() - 60000"
		" AND to_status IN ('completed', 'failed', 'cancelled')",
	[P_WORKER_BEATS] = "SELECT scanq_now_ms() - heartbeat_at, running FROM workers"
		" WHERE stopped_at IS NULL",
	[P_COUNTERS] = "SELECT name, value FROM counters",
	[P_WORKER_UPSERT] =
		"INSERT INTO workers (name, host, pid, started_at, heartbeat_at, concurrency,"
		" running, scans_done) VALUES ($1::text, $2::text, $3::int,"
		" coalesce($4::bigint, scanq_now_ms()), scanq_now_ms(), $5::int, 0, 0)"
		" ON CONFLICT (name) DO UPDATE SET host = excluded.host, pid = excluded.pid,"
		" started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at,"
		" concurrency = excluded.concurrency, running = 0, scans_done = 0, stopped_at = NULL",
	[P_WORKER_BEAT] =
		"UPDATE workers SET heartbeat_at = scanq_now_ms(), running = $2::int,"
		" scans_done = $3::bigint WHERE name = $1::text",
	[P_WORKER_EXIT] =
		"UPDATE workers SET last_exit = $2::text, running = 0, stopped_at = scanq_now_ms()"
		" WHERE name = $1::text",
	[P_WORKER_LIST] =
		"SELECT name, host, pid, started_at, heartbeat_at, concurrency, running,"
		" scans_done, coalesce(last_exit, ''), stopped_at FROM workers ORDER BY name",
	[P_WORKER_RUNNING] =
		"SELECT id FROM scans WHERE status = 'running' AND worker_id = $1::text"
		" ORDER BY id LIMIT 16",
	[P_TOKEN_INSERT] =
		"INSERT INTO tokens (name, role, hash, created_at) VALUES ($1::text, $2::text,"
		" $3::text, scanq_now_ms()) RETURNING id",
	[P_TOKEN_GET] = "SELECT role, hash FROM tokens WHERE id = $1::bigint",
	[P_TOKEN_ANY] = "SELECT EXISTS (SELECT 1 FROM tokens)::int",
	[P_STUCK_PENDING] =
		"SELECT id, type, status, attempt, coalesce(worker_id, ''), run_after FROM scans"
		" WHERE status = 'pending' AND run_after <= scanq_now_ms() - $1::bigint"
		" ORDER BY run_after LIMIT $2::int",
	[P_STUCK_RUNNING] =
		"SELECT id, type, status, attempt, coalesce(worker_id, ''), lease_expires_at"
		" FROM scans WHERE status = 'running' AND lease_expires_at < scanq_now_ms()"
		" ORDER BY lease_expires_at LIMIT $1::int",
	[P_STUCK_PENDING_N] = "SELECT count(*) FROM scans WHERE status = 'pending'"
		" AND run_after <= scanq_now_ms() - $1::bigint",
	[P_STUCK_RUNNING_N] = "SELECT count(*) FROM scans WHERE status = 'running'"
		" AND lease_expires_at < scanq_now_ms()",
	[P_PRUNE] =
		"DELETE FROM scans WHERE id IN (SELECT id FROM scans WHERE finished_at < $1::bigint"
		" AND status IN ('completed', 'failed', 'cancelled') ORDER BY finished_at"
		" LIMIT $2::int FOR UPDATE SKIP LOCKED)",
	[P_PRUNE_COUNT] = "SELECT count(*) FROM scans WHERE finished_at < $1::bigint"
		" AND status IN ('completed', 'failed', 'cancelled')",
};

struct pg {
	struct store base;
	PGconn *conn;
	unsigned char prepared[P_COUNT_OF_STMTS];
};

static struct pg *PG(struct store *s)
{
	return (struct pg *)s;
}

/* ---- parameters and results ------------------------------------------------ */

#define ARGS_MAX 10

/* Text-format parameters for one statement; a NULL value is SQL NULL. */
struct args {
	const char *v[ARGS_MAX];
	char buf[ARGS_MAX][32];
	int n;
};

static void a_str(struct args *a, const char *s)
{
	a->v[a->n++] = s;
}

static void a_i64(struct args *a, int64_t x)
{
	snprintf(a->buf[a->n], sizeof a->buf[a->n], "%lld", (long long)x);
	a->v[a->n] = a->buf[a->n];
	a->n++;
}

static void a_dbl(struct args *a, double x)
{
	snprintf(a->buf[a->n], sizeof a->buf[a->n], "%.17g", x);
	a->v[a->n] = a->buf[a->n];
	a->n++;
}

/* Records an error from a result (or the connection) and maps it to a rc:
 * lock and serialization conflicts are STORE_BUSY, the rest STORE_ERROR. */
static int db_fail(struct pg *p, PGresult *res, const char *what)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	snprintf(p->base.err, sizeof p->base.err, "database error while %s: %s", what,
		 msg ? msg : PQerrorMessage(p->conn));
	p->base.err[strcspn(p->base.err, "\n")] = '\0';
	if (state && (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0
		      || strcmp(state, "55P03") == 0))
		return STORE_BUSY;
	return STORE_ERROR;
}

/*
 * Runs prepared statement `id` with the arguments.  Returns the result
 * (PQclear it) when it succeeded, else NULL with the error recorded in *rc.
 */
static PGresult *run(struct pg *p, enum pst id, const struct args *a, int *rc)
{
	char name[16];
	PGresult *res;
	ExecStatusType st;

	snprintf(name, sizeof name, "s%d", (int)id);
	if (!p->prepared[id]) {
		res = PQprepare(p->conn, name, pst_sql[id], 0, NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			*rc = db_fail(p, res, "preparing a statement");
			PQclear(res);
			return NULL;
		}
		PQclear(res);
		p->prepared[id] = 1;
	}
	res = PQexecPrepared(p->conn, name, a ? a->n : 0, a ? a->v : NULL, NULL, NULL, 0);
	st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		*rc = db_fail(p, res, "running a statement");
		PQclear(res);
		return NULL;
	}
	*rc = STORE_OK;
	return res;
}

/* Runs a statement whose result is not needed.  Returns a store rc. */
static int run0(struct pg *p, enum pst id, const struct args *a)
{
	int rc;
	PGresult *res = run(p, id, a, &rc);

	PQclear(res);
	return rc;
}

static int exec_sql(struct pg *p, const char *sql, const char *what)
{
	PGresult *res = PQexec(p->conn, sql);
	int rc = STORE_OK;

	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = db_fail(p, res, what);
	PQclear(res);
	return rc;
}

static int begin(struct pg *p)
{
	/* A dropped connection is re-opened here, between transactions only. */
	if (PQstatus(p->conn) != CONNECTION_OK) {
		PQreset(p->conn);
		memset(p->prepared, 0, sizeof p->prepared);
		if (PQstatus(p->conn) != CONNECTION_OK)
			return db_fail(p, NULL, "reconnecting");
	}
	return exec_sql(p, "BEGIN", "starting a transaction");
}

static int commit(struct pg *p)
{
	return exec_sql(p, "COMMIT", "committing");
}

static void rollback(struct pg *p)
{
	char keep[sizeof p->base.err];

	if (PQtransactionStatus(p->conn) == PQTRANS_IDLE)
		return;
	memcpy(keep, p->base.err, sizeof keep);
	exec_sql(p, "ROLLBACK", "rolling back");
	memcpy(p->base.err, keep, sizeof keep);
}

static const char *val(PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

static int64_t i64(PGresult *r, int row, int col)
{
	const char *v = val(r, row, col);

	return v ? strtoll(v, NULL, 10) : 0;
}

static char *col_dup(PGresult *r, int row, int col)
{
	const char *v = val(r, row, col);

	return v ? strdup(v) : NULL;
}

static void copy(PGresult *r, int row, int col, char *dst, size_t len)
{
	const char *v = val(r, row, col);

	snprintf(dst, len, "%s", v ? v : "");
}

static void read_scan(PGresult *r, int row, struct scan *s)
{
	char status[16];

	memset(s, 0, sizeof *s);
	s->id = i64(r, row, 0);
	copy(r, row, 1, s->type, sizeof s->type);
	s->targets = col_dup(r, row, 2);
	s->options = col_dup(r, row, 3);
	copy(r, row, 4, status, sizeof status);
	if (scan_status_parse(status, &s->status) < 0)
		s->status = SCAN_FAILED;	/* the CHECK constraint makes this unreachable */
	s->priority = (int)i64(r, row, 5);
	s->attempt = (int)i64(r, row, 6);
	s->max_attempts = (int)i64(r, row, 7);
	s->time_limit_s = (int)i64(r, row, 8);
	s->run_after = i64(r, row, 9);
	s->created_at = i64(r, row, 10);
	s->claimed_at = i64(r, row, 11);
	s->finished_at = i64(r, row, 12);
	s->lease_expires_at = i64(r, row, 13);
	copy(r, row, 14, s->worker_id, sizeof s->worker_id);
	s->cancel_requested = (int)i64(r, row, 15);
	s->progress = val(r, row, 16) ? strtod(val(r, row, 16), NULL) : 0;
	copy(r, row, 17, s->error_code, sizeof s->error_code);
	s->error_message = col_dup(r, row, 18);
	s->error_detail = col_dup(r, row, 19);
	s->summary = col_dup(r, row, 20);
	s->idempotency_key = col_dup(r, row, 21);
}

static int scans_from(struct pg *p, PGresult *res, struct scan **out, size_t *n)
{
	int rows = PQntuples(res);
	struct scan *arr = calloc(rows ? (size_t)rows : 1, sizeof *arr);

	if (!arr)
		return store_set_error(&p->base, "out of memory");
	for (int i = 0; i < rows; i++)
		read_scan(res, i, &arr[i]);
	*out = arr;
	*n = (size_t)rows;
	return STORE_OK;
}

/* Shared pieces of the write paths, each inside the caller's transaction. */

static int add_event(struct pg *p, int64_t id, const char *from, const char *to, int attempt,
		     const char *worker, const char *reason)
{
	struct args a = { 0 };

	a_i64(&a, id);
	a_str(&a, from);
	a_str(&a, to);
	a_i64(&a, attempt);
	a_str(&a, worker && *worker ? worker : NULL);
	a_str(&a, reason);
	return run0(p, P_EVENT, &a);
}

static int bump(struct pg *p, const char *counter, int64_t by)
{
	struct args a = { 0 };

	if (by == 0)
		return STORE_OK;
	a_str(&a, counter);
	a_i64(&a, by);
	return run0(p, P_COUNT, &a);
}

static int lost(struct pg *p, int64_t id, int attempt)
{
	snprintf(p->base.err, sizeof p->base.err,
		 "scan %lld attempt %d is no longer running here (fenced)", (long long)id, attempt);
	return STORE_LOST;
}

/* ---- open, close, migrate --------------------------------------------------- */

static int pg_schema_latest(struct store *s)
{
	return migrations[NMIGRATIONS - 1].version;
}

static int pg_schema_version(struct store *s)
{
	struct pg *p = PG(s);
	PGresult *res = PQexec(p->conn, "SELECT coalesce(max(version), 0) FROM schema_migrations");
	int v = -1;

	if (PQresultStatus(res) == PGRES_TUPLES_OK) {
		v = (int)i64(res, 0, 0);
	} else {
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		if (state && strcmp(state, "42P01") == 0)	/* no table yet: version 0 */
			v = 0;
		else
			db_fail(p, res, "reading the schema version");
	}
	PQclear(res);
	return v;
}

static int pg_migrate(struct store *s, int target, int *applied)
{
	struct pg *p = PG(s);
	int done = 0, rc;

	if (target < 0 || target > pg_schema_latest(s))
		target = pg_schema_latest(s);
	if ((rc = exec_sql(p, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER"
			   " PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
			   "creating schema_migrations")) != STORE_OK)
		return rc;
	for (int i = 0; i < NMIGRATIONS && migrations[i].version <= target; i++) {
		const struct migration *m = &migrations[i];
		const char *vals[2];
		char ver[16];
		PGresult *res;
		int cur;

		/* One migrator at a time; check the version under the lock. */
		if ((rc = begin(p)) != STORE_OK
		    || (rc = exec_sql(p, "SELECT pg_advisory_xact_lock(7263524101)",
				      "locking for a migration")) != STORE_OK)
			goto fail;
		if ((cur = pg_schema_version(s)) < 0) {
			rc = STORE_ERROR;
			goto fail;
		}
		if (cur >= m->version) {
			commit(p);
			continue;
		}
		if ((rc = exec_sql(p, m->sql, "migrating")) != STORE_OK)
			goto fail;
		snprintf(ver, sizeof ver, "%d", m->version);
		vals[0] = ver;
		vals[1] = m->name;
		res = PQexecParams(p->conn, "INSERT INTO schema_migrations (version, name, applied_at)"
				   " VALUES ($1::int, $2::text, scanq_now_ms())", 2, NULL, vals, NULL,
				   NULL, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			rc = db_fail(p, res, "recording a migration");
			PQclear(res);
			goto fail;
		}
		PQclear(res);
		if ((rc = commit(p)) != STORE_OK)
			goto fail;
		done++;
	}
	if (applied)
		*applied = done;
	return STORE_OK;
fail:
	rollback(p);
	if (applied)
		*applied = done;
	return rc;
}

static void pg_close(struct store *s)
{
	struct pg *p = PG(s);

	PQfinish(p->conn);
	free(p);
}

/* ---- submit and read ------------------------------------------------------- */

static int pg_submit_many(struct store *s, const struct scan_request *reqs, size_t n,
			  int64_t *ids, int *existed)
{
	struct pg *p = PG(s);
	int64_t added = 0;
	int rc;

	if ((rc = begin(p)) != STORE_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		const struct scan_request *r = &reqs[i];
		const char *key = r->idempotency_key && *r->idempotency_key ? r->idempotency_key : NULL;
		struct args a = { 0 };
		PGresult *res;

		if (existed)
			existed[i] = 0;
		a_str(&a, r->type);
		a_str(&a, r->targets);
		a_str(&a, r->options ? r->options : "{}");
		a_i64(&a, r->priority);
		a_i64(&a, r->max_attempts);
		a_i64(&a, r->time_limit_s);
		a_str(&a, key);
		if (!(res = run(p, P_INSERT_SCAN, &a, &rc)))
			goto fail;
		if (PQntuples(res) == 1) {
			ids[i] = i64(res, 0, 0);
			PQclear(res);
			if ((rc = add_event(p, ids[i], NULL, "pending", 0, NULL, "submitted")) != STORE_OK)
				goto fail;
			added++;
			continue;
		}
		PQclear(res);
		/* The key was used before: return that scan, queue nothing. */
		memset(&a, 0, sizeof a);
		a_str(&a, key);
		if (!(res = run(p, P_KEY_LOOKUP, &a, &rc)))
			goto fail;
		if (PQntuples(res) != 1) {
			PQclear(res);
			rc = store_set_error(s, "idempotency key conflict without a scan");
			goto fail;
		}
		ids[i] = i64(res, 0, 0);
		PQclear(res);
		if (existed)
			existed[i] = 1;
	}
	if ((rc = bump(p, "submitted", added)) != STORE_OK
	    || (added && (rc = run0(p, P_NOTIFY, NULL)) != STORE_OK))
		goto fail;
	return commit(p);
fail:
	rollback(p);
	return rc;
}

static int pg_get(struct store *s, int64_t id, struct scan *out)
{
	struct pg *p = PG(s);
	struct args a = { 0 };
	PGresult *res;
	int rc;

	a_i64(&a, id);
	if (!(res = run(p, P_GET, &a, &rc)))
		return rc;
	if (PQntuples(res) == 0) {
		PQclear(res);
		store_set_error(s, "scan %lld not found", (long long)id);
		return STORE_NOT_FOUND;
	}
	read_scan(res, 0, out);
	PQclear(res);
	return STORE_OK;
}

static int pg_list(struct store *s, const struct scan_filter *f, struct scan **out, size_t *n)
{
	struct pg *p = PG(s);
	struct args a = { 0 };
	enum pst which = P_LIST_ALL;
	PGresult *res;
	int rc, limit = f->limit;

	*out = NULL;
	*n = 0;
	if (limit < 1 || limit > STORE_LIST_MAX)
		limit = limit < 1 ? 1 : STORE_LIST_MAX;
	a_i64(&a, f->before_id > 0 ? f->before_id : INT64_MAX);
	a_i64(&a, limit);
	if (f->status >= 0) {
		a_str(&a, scan_status_name((enum scan_status)f->status));
		which = P_LIST_STATUS;
	}
	if (f->type) {
		a_str(&a, f->type);
		which = which == P_LIST_STATUS ? P_LIST_BOTH : P_LIST_TYPE;
	}
	if (!(res = run(p, which, &a, &rc)))
		return rc;
	rc = scans_from(p, res, out, n);
	PQclear(res);
	return rc;
}

static int exists(struct pg *p, int64_t id)
{
	struct args a = { 0 };
	PGresult *res;
	int rc;

	a_i64(&a, id);
	if (!(res = run(p, P_EXISTS, &a, &rc)))
		return rc;
	rc = PQntuples(res) ? STORE_OK : STORE_NOT_FOUND;
	PQclear(res);
	if (rc == STORE_NOT_FOUND)
		store_set_error(&p->base, "scan %lld not found", (long long)id);
	return rc;
}

static int pg_events(struct store *s, int64_t id, int limit, struct scan_event **out, size_t *n)
{
	struct pg *p = PG(s);
	struct scan_event *arr;
	struct args a = { 0 };
	PGresult *res;
	int rc, rows;

	*out = NULL;
	*n = 0;
	if ((rc = exists(p, id)) != STORE_OK)
		return rc;
	if (limit < 1 || limit > STORE_LIST_MAX)
		limit = STORE_LIST_MAX;
	a_i64(&a, id);
	a_i64(&a, limit);
	if (!(res = run(p, P_EVENTS, &a, &rc)))
		return rc;
	rows = PQntuples(res);
	if (!(arr = calloc(rows ? (size_t)rows : 1, sizeof *arr))) {
		PQclear(res);
		return store_set_error(s, "out of memory");
	}
	for (int i = 0; i < rows; i++) {
		enum scan_status from;
		const char *fv = val(res, i, 3);

		arr[i].id = i64(res, i, 0);
		arr[i].scan_id = i64(res, i, 1);
		arr[i].at = i64(res, i, 2);
		arr[i].from = fv && scan_status_parse(fv, &from) == 0 ? (int)from : -1;
		scan_status_parse(PQgetvalue(res, i, 4), &arr[i].to);
		arr[i].attempt = (int)i64(res, i, 5);
		copy(res, i, 6, arr[i].worker_id, sizeof arr[i].worker_id);
		copy(res, i, 7, arr[i].reason, sizeof arr[i].reason);
	}
	PQclear(res);
	*out = arr;
	*n = (size_t)rows;
	return STORE_OK;
}

/* ---- the worker's side -------------------------------------------------------- */

static int pg_claim(struct store *s, const char *worker, int max, int lease_ms,
		    struct scan **out, size_t *n)
{
	struct pg *p = PG(s);
	struct args a = { 0 };
	PGresult *res;
	int rc;

	*out = NULL;
	*n = 0;
	if (max < 1)
		return STORE_OK;
	if (max > STORE_CLAIM_MAX)
		max = STORE_CLAIM_MAX;
	a_str(&a, worker);
	a_i64(&a, lease_ms);
	a_i64(&a, max);
	/* One statement: the claim, its events and the counter commit together. */
	if (!(res = run(p, P_CLAIM, &a, &rc)))
		return rc;
	rc = scans_from(p, res, out, n);
	PQclear(res);
	return rc;
}

static int pg_heartbeat(struct store *s, int64_t id, int attempt, int lease_ms,
			double progress, int *cancel_requested)
{
	struct pg *p = PG(s);
	struct args a = { 0 };
	PGresult *res;
	int rc;

	a_i64(&a, id);
	a_i64(&a, attempt);
	a_i64(&a, lease_ms);
	a_dbl(&a, progress > 1 ? 1 : progress);
	if (!(res = run(p, P_HEARTBEAT, &a, &rc)))
		return rc;
	if (PQntuples(res) == 1) {
		if (cancel_requested)
			*cancel_requested = (int)i64(res, 0, 0);
		PQclear(res);
		return STORE_OK;
	}
	PQclear(res);
	bump(p, "fenced_writes", 1);	/* autocommit: a transaction of its own */
	return lost(p, id, attempt);
}

static int insert_findings(struct pg *p, int64_t scan_id, const struct finding *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct args a = { 0 };
		int rc;

		a_i64(&a, scan_id);
		a_str(&a, f[i].kind[0] ? f[i].kind : "finding");
		a_str(&a, f[i].target);
		if (f[i].port > 0)
			a_i64(&a, f[i].port);
		else
			a_str(&a, NULL);
		a_str(&a, f[i].proto[0] ? f[i].proto : NULL);
		a_str(&a, f[i].service);
		a_str(&a, f[i].severity[0] ? f[i].severity : "info");
		a_str(&a, f[i].title);
		a_str(&a, f[i].detail);
		if ((rc = run0(p, P_FINDING_INSERT, &a)) != STORE_OK)
			return rc;
	}
	return STORE_OK;
}

static int pg_complete_many(struct store *s, struct store_completion *c, size_t n)
{
	struct pg *p = PG(s);
	int64_t done = 0, fenced = 0;
	int rc;

	if ((rc = begin(p)) != STORE_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		struct args a = { 0 };
		char worker[SCAN_WORKER_MAX];
		PGresult *res;

		a_i64(&a, c[i].id);
		a_i64(&a, c[i].attempt);
		a_str(&a, c[i].summary ? c[i].summary : "{}");
		if (!(res = run(p, P_COMPLETE, &a, &rc)))
			goto fail;
		if (PQntuples(res) == 0) {
			PQclear(res);
			c[i].rc = STORE_LOST;
			fenced++;
			continue;
		}
		copy(res, 0, 0, worker, sizeof worker);
		PQclear(res);
		if ((rc = insert_findings(p, c[i].id, c[i].findings, c[i].nfindings)) != STORE_OK
		    || (rc = add_event(p, c[i].id, "running", "completed", c[i].attempt, worker,
				       "finished")) != STORE_OK)
			goto fail;
		c[i].rc = STORE_OK;
		done++;
	}
	if ((rc = bump(p, "completed", done)) != STORE_OK
	    || (rc = bump(p, "fenced_writes", fenced)) != STORE_OK)
		goto fail;
	if (n == 1 && fenced)
		lost(p, c[0].id, c[0].attempt);
	return commit(p);
fail:
	rollback(p);
	return rc;
}

/* Locks the running row of (id, attempt).  Returns STORE_OK, an error, or
 * STORE_LOST with the rejected write already counted (fenced_writes) and
 * the error set: the caller only commits that count. */
static int running_row(struct pg *p, int64_t id, int attempt, int *used, int *max, int *cancel,
		       char *worker)
{
	struct args a = { 0 };
	PGresult *res;
	int rc;

	a_i64(&a, id);
	a_i64(&a, attempt);
	if (!(res = run(p, P_RUNNING_ROW, &a, &rc)))
		return rc;
	if (PQntuples(res) == 0) {
		PQclear(res);
		if ((rc = bump(p, "fenced_writes", 1)) != STORE_OK)
			return rc;
		return lost(p, id, attempt);
	}
	*used = (int)i64(res, 0, 0);
	*max = (int)i64(res, 0, 1);
	*cancel = (int)i64(res, 0, 2);
	copy(res, 0, 3, worker, SCAN_WORKER_MAX);
	PQclear(res);
	return STORE_OK;
}

static int to_pending(struct pg *p, int64_t id, int attempt, int64_t delay_ms, int forgive,
		      const struct scan_failure *f)
{
	struct args a = { 0 };

	a_i64(&a, id);
	a_i64(&a, attempt);
	a_i64(&a, delay_ms);
	a_i64(&a, forgive);
	a_str(&a, f ? f->code : NULL);
	a_str(&a, f ? f->message : NULL);
	a_str(&a, f ? f->detail : NULL);
	return run0(p, P_SET_PENDING, &a);
}

static int to_final(struct pg *p, int64_t id, int attempt, enum scan_status from,
		    enum scan_action action, const char *code, const char *msg,
		    const char *detail)
{
	struct args a = { 0 };
	enum scan_status to;

	if (!scan_action_allowed(action, from, &to)) {
		store_set_error(&p->base, "cannot %s a %s scan", scan_action_name(action),
				scan_status_name(from));
		return STORE_ILLEGAL;
	}
	a_i64(&a, id);
	a_i64(&a, attempt);
	a_str(&a, scan_status_name(to));
	a_str(&a, code);
	a_str(&a, msg);
	a_str(&a, detail);
	a_str(&a, scan_status_name(from));
	return run0(p, P_SET_FINAL, &a);
}

static const char CANCEL_MSG[] = "cancelled by an operator";
static const char LOST_MSG[] = "the worker running this scan stopped responding";

/*
 * Ends a failed attempt of a locked running row as the shared decision
 * says; a requeued scan is due again after delay_ms.  Returns a store rc;
 * *to gets the new status.
 */
static int end_attempt(struct pg *p, int64_t id, int attempt, int used, int max, int cancel,
		       const struct scan_failure *f, int64_t delay_ms, enum scan_status *to)
{
	switch (store_failure_action(used, max, cancel, f->retryable)) {
	case SCAN_ACT_CANCELLED:
		*to = SCAN_CANCELLED;
		return to_final(p, id, attempt, SCAN_RUNNING, SCAN_ACT_CANCELLED, "cancelled",
				CANCEL_MSG, f->detail);
	case SCAN_ACT_REQUEUE:
		*to = SCAN_PENDING;
		return to_pending(p, id, attempt, delay_ms, 0, f);
	default:
		*to = SCAN_FAILED;
		return to_final(p, id, attempt, SCAN_RUNNING, SCAN_ACT_FAIL, f->code, f->message,
				f->detail);
	}
}

static const char *counter_of(enum scan_status to)
{
	return to == SCAN_PENDING ? "retries" : to == SCAN_FAILED ? "failed" : "cancelled";
}

static int pg_fail(struct store *s, int64_t id, int attempt, const struct scan_failure *f,
		   enum scan_status *now_status)
{
	struct pg *p = PG(s);
	int used, max, cancel, rc;
	char worker[SCAN_WORKER_MAX], reason[128];
	enum scan_status to;

	if ((rc = begin(p)) != STORE_OK)
		return rc;
	rc = running_row(p, id, attempt, &used, &max, &cancel, worker);
	if (rc == STORE_LOST) {		/* commit the count of the refused write */
		commit(p);
		return STORE_LOST;
	}
	if (rc != STORE_OK
	    || (rc = end_attempt(p, id, attempt, used, max, cancel, f,
				 store_backoff_ms(used, f->backoff_base_ms), &to)) != STORE_OK)
		goto fail;
	if (to == SCAN_PENDING)
		snprintf(reason, sizeof reason, "%s; retry %d of %d", f->code, used, max - 1);
	else
		snprintf(reason, sizeof reason, "%s", f->code);
	if ((rc = add_event(p, id, "running", scan_status_name(to), attempt, worker,
			       reason)) != STORE_OK
	    || (rc = bump(p, counter_of(to), 1)) != STORE_OK
	    || (rc = commit(p)) != STORE_OK)
		goto fail;
	if (now_status)
		*now_status = to;
	return STORE_OK;
fail:
	rollback(p);
	return rc;
}

static int pg_cancelled(struct store *s, int64_t id, int attempt)
{
	struct pg *p = PG(s);
	int used, max, cancel, rc;
	char worker[SCAN_WORKER_MAX];

	if ((rc = begin(p)) != STORE_OK)
		return rc;
	rc = running_row(p, id, attempt, &used, &max, &cancel, worker);
	if (rc == STORE_LOST) {		/* commit the count of the refused write */
		commit(p);
		return STORE_LOST;
	}
	if (rc != STORE_OK
	    || (rc = to_final(p, id, attempt, SCAN_RUNNING, SCAN_ACT_CANCELLED, "cancelled",
			      CANCEL_MSG, NULL)) != STORE_OK
	    || (rc = add_event(p, id, "running", "cancelled", attempt, worker,
			       "cancelled by an operator; child stopped")) != STORE_OK
	    || (rc = bump(p, "cancelled", 1)) != STORE_OK)
		goto fail;
	return commit(p);
fail:
	rollback(p);
	return rc;
}

static int pg_release(struct store *s, int64_t id, int attempt, const char *reason)
{
	struct pg *p = PG(s);
	int used, max, cancel, rc;
	char worker[SCAN_WORKER_MAX];

	if ((rc = begin(p)) != STORE_OK)
		return rc;
	rc = running_row(p, id, attempt, &used, &max, &cancel, worker);
	if (rc == STORE_LOST) {		/* commit the count of the refused write */
		commit(p);
		return STORE_LOST;
	}
	if (rc != STORE_OK)
		goto fail;
	if (cancel) {
		if ((rc = to_final(p, id, attempt, SCAN_RUNNING, SCAN_ACT_CANCELLED, "cancelled",
				   CANCEL_MSG, NULL)) != STORE_OK
		    || (rc = add_event(p, id, "running", "cancelled", attempt, worker,
				       "cancelled by an operator during shutdown")) != STORE_OK
		    || (rc = bump(p, "cancelled", 1)) != STORE_OK)
			goto fail;
	} else if ((rc = to_pending(p, id, attempt, 0, 1, NULL)) != STORE_OK
		   || (rc = add_event(p, id, "running", "pending", attempt, worker,
				      reason ? reason : "handed back")) != STORE_OK
		   || (rc = run0(p, P_NOTIFY, NULL)) != STORE_OK) {
		goto fail;
	}
	return commit(p);
fail:
	rollback(p);
	return rc;
}

static int pg_recover_leases(struct store *s, int *recovered, int *failed)
{
	struct pg *p = PG(s);
	struct scan_failure f = { "worker_lost", LOST_MSG, NULL, 1, 0 };
	int nrec = 0, nfail = 0, ncanc = 0, rc, rows;
	PGresult *res;

	if (recovered)
		*recovered = 0;
	if (failed)
		*failed = 0;
	if ((rc = begin(p)) != STORE_OK)
		return rc;
	/* SKIP LOCKED: rows a worker is finishing right now are left to it. */
	if (!(res = run(p, P_EXPIRED, NULL, &rc)))
		goto fail;
	rows = PQntuples(res);
	for (int i = 0; i < rows; i++) {
		int64_t id = i64(res, i, 0);
		int attempt = (int)i64(res, i, 1);
		char reason[128];
		enum scan_status to;

		snprintf(reason, sizeof reason, "lease expired; worker %s lost",
			 *PQgetvalue(res, i, 5) ? PQgetvalue(res, i, 5) : "?");
		/* A lost worker's scan is due again at once: no backoff. */
		if ((rc = end_attempt(p, id, attempt, (int)i64(res, i, 2), (int)i64(res, i, 3),
				      (int)i64(res, i, 4), &f, 0, &to)) != STORE_OK
		    || (rc = add_event(p, id, "running", scan_status_name(to), attempt,
				       PQgetvalue(res, i, 5), reason)) != STORE_OK) {
			PQclear(res);
			goto fail;
		}
		nrec += to == SCAN_PENDING;
		nfail += to == SCAN_FAILED;
		ncanc += to == SCAN_CANCELLED;
	}
	PQclear(res);
	/* Scans due again now: wake the listening workers, as a submission does. */
	if ((rc = bump(p, "lease_recoveries", rows)) != STORE_OK
	    || (rc = bump(p, "failed", nfail)) != STORE_OK
	    || (rc = bump(p, "cancelled", ncanc)) != STORE_OK
	    || (nrec && (rc = run0(p, P_NOTIFY, NULL)) != STORE_OK)
	    || (rc = commit(p)) != STORE_OK)
		goto fail;
	if (recovered)
		*recovered = nrec;
	if (failed)
		*failed = nfail;
	return STORE_OK;
fail:
	rollback(p);
	return rc;
}

/* ---- the operator's side ------------------------------------------------------- */

static int status_of(struct pg *p, int64_t id, enum scan_status *status, int *attempt,
		     int *cancel)
{
	struct args a = { 0 };
	PGresult *res;
	int rc;

	a_i64(&a, id);
	if (!(res = run(p, P_STATUS_OF, &a, &rc)))
		return rc;
	if (PQntuples(res) == 0) {
		PQclear(res);
		store_set_error(&p->base, "scan %lld not found", (long long)id);
		return STORE_NOT_FOUND;
	}
	scan_status_parse(PQgetvalue(res, 0, 0), status);
	*attempt = (int)i64(res, 0, 1);
	*cancel = (int)i64(res, 0, 2);
	PQclear(res);
	return STORE_OK;
}

static int pg_cancel(struct store *s, int64_t id, enum scan_status *now_status)
{
	struct pg *p = PG(s);
	enum scan_status cur;
	int attempt, cancel, rc;
	struct args a = { 0 };

	if ((rc = begin(p)) != STORE_OK)
		return rc;
	if ((rc = status_of(p, id, &cur, &attempt, &cancel)) != STORE_OK)
		goto fail;
	if (cur == SCAN_PENDING) {
		if ((rc = to_final(p, id, attempt, SCAN_PENDING, SCAN_ACT_CANCEL, "cancelled",
				   CANCEL_MSG, NULL)) != STORE_OK
		    || (rc = add_event(p, id, "pending", "cancelled", attempt, NULL,
				       "cancelled by an operator")) != STORE_OK
		    || (rc = bump(p, "cancelled", 1)) != STORE_OK)
			goto fail;
		cur = SCAN_CANCELLED;
	} else if (cur == SCAN_RUNNING) {
		a_i64(&a, id);
		if (!cancel && ((rc = run0(p, P_CANCEL_REQUEST, &a)) != STORE_OK
				|| (rc = add_event(p, id, "running", "running", attempt, NULL,
						   "cancel requested by an operator")) != STORE_OK))
			goto fail;
	} else {
		rc = STORE_ILLEGAL;
		store_set_error(s, "scan %lld is already %s", (long long)id, scan_status_name(cur));
		goto fail;
	}
	if ((rc = commit(p)) != STORE_OK)
		return rc;
	if (now_status)
		*now_status = cur;
	return STORE_OK;
fail:
	rollback(p);
	return rc;
}

static int pg_retry(struct store *s, int64_t id)
{
	struct pg *p = PG(s);
	enum scan_status cur;
	int attempt, cancel, rc;
	struct args a = { 0 };

	if ((rc = begin(p)) != STORE_OK)
		return rc;
	if ((rc = status_of(p, id, &cur, &attempt, &cancel)) != STORE_OK)
		goto fail;
	if (!scan_action_allowed(SCAN_ACT_RETRY, cur, NULL)) {
		rc = STORE_ILLEGAL;
		store_set_error(s, "scan %lld is %s; only failed or cancelled scans can be retried",
				(long long)id, scan_status_name(cur));
		goto fail;
	}
	a_i64(&a, id);
	if ((rc = run0(p, P_RETRY, &a)) != STORE_OK
	    || (rc = add_event(p, id, scan_status_name(cur), "pending", attempt, NULL,
			       "retried by an operator")) != STORE_OK
	    || (rc = run0(p, P_NOTIFY, NULL)) != STORE_OK)
		goto fail;
	return commit(p);
fail:
	rollback(p);
	return rc;
}

/* ---- maintenance ------------------------------------------------------------------ */

/* A count(*) statement with one bigint argument, or none when arg < 0. */
static int64_t count_of(struct pg *p, enum pst id, int64_t arg)
{
	struct args a = { 0 };
	PGresult *res;
	int64_t v;
	int rc;

	if (arg >= 0)
		a_i64(&a, arg);
	if (!(res = run(p, id, &a, &rc)))
		return -1;
	v = i64(res, 0, 0);
	PQclear(res);
	return v;
}

static int pg_stuck(struct store *s, int64_t pending_ms, int limit, struct stuck_scan **out,
		    size_t *n, int64_t *total)
{
	struct pg *p = PG(s);
	struct stuck_scan *arr;
	int64_t np, nr;
	size_t cnt = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (limit < 1 || limit > STORE_LIST_MAX)
		limit = STORE_LIST_MAX;
	if ((np = count_of(p, P_STUCK_PENDING_N, pending_ms)) < 0
	    || (nr = count_of(p, P_STUCK_RUNNING_N, -1)) < 0)
		return STORE_ERROR;
	if (!(arr = calloc((size_t)limit, sizeof *arr)))
		return store_set_error(s, "out of memory");
	for (int pass = 0; pass < 2 && cnt < (size_t)limit; pass++) {
		struct args a = { 0 };
		PGresult *res;

		if (pass)
			a_i64(&a, pending_ms);
		a_i64(&a, limit - (int)cnt);
		if (!(res = run(p, pass ? P_STUCK_PENDING : P_STUCK_RUNNING, &a, &rc))) {
			free(arr);
			return rc;
		}
		for (int i = 0; i < PQntuples(res) && cnt < (size_t)limit; i++) {
			struct stuck_scan *x = &arr[cnt++];
			x->id = i64(res, i, 0);
			copy(res, i, 1, x->type, sizeof x->type);
			scan_status_parse(PQgetvalue(res, i, 2), &x->status);
			x->attempt = (int)i64(res, i, 3);
			copy(res, i, 4, x->worker_id, sizeof x->worker_id);
			x->since = i64(res, i, 5);
			x->reason = pass ? STUCK_PENDING_TOO_LONG : STUCK_LEASE_EXPIRED;
		}
		PQclear(res);
	}
	*out = arr;
	*n = cnt;
	if (total)
		*total = np + nr;
	return STORE_OK;
}

static int pg_prune(struct store *s, int64_t before_ms, int batch, int max_batches, int dry_run,
		    int64_t *deleted)
{
	struct pg *p = PG(s);
	int64_t total = 0;
	int rc;

	*deleted = 0;
	if (batch < 1)
		batch = 1000;
	if (dry_run) {
		if ((total = count_of(p, P_PRUNE_COUNT, before_ms)) < 0)
			return STORE_ERROR;
		*deleted = total;
		return STORE_OK;
	}
	for (int b = 0; max_batches == 0 || b < max_batches; b++) {
		struct args a = { 0 };
		PGresult *res;
		int changed;

		a_i64(&a, before_ms);
		a_i64(&a, batch);
		if (!(res = run(p, P_PRUNE, &a, &rc)))
			return rc;
		changed = (int)strtol(PQcmdTuples(res), NULL, 10);
		PQclear(res);
		total += changed;
		*deleted = total;
		if (changed < batch)
			break;
	}
	return STORE_OK;
}

/* ---- findings, status, counters ---------------------------------------------------- */

static int pg_findings(struct store *s, int64_t scan_id, int64_t after_id, int limit,
		       struct finding **out, size_t *n)
{
	struct pg *p = PG(s);
	struct finding *arr;
	struct args a = { 0 };
	PGresult *res;
	int rc, rows;

	*out = NULL;
	*n = 0;
	if ((rc = exists(p, scan_id)) != STORE_OK)
		return rc;
	if (limit < 1 || limit > STORE_LIST_MAX)
		limit = STORE_LIST_MAX;
	a_i64(&a, scan_id);
	a_i64(&a, after_id);
	a_i64(&a, limit);
	if (!(res = run(p, P_FINDINGS, &a, &rc)))
		return rc;
	rows = PQntuples(res);
	if (!(arr = calloc(rows ? (size_t)rows : 1, sizeof *arr))) {
		PQclear(res);
		return store_set_error(s, "out of memory");
	}
	for (int i = 0; i < rows; i++) {
		struct finding *f = &arr[i];
		f->id = i64(res, i, 0);
		f->scan_id = i64(res, i, 1);
		copy(res, i, 2, f->kind, sizeof f->kind);
		f->target = col_dup(res, i, 3);
		f->port = (int)i64(res, i, 4);
		copy(res, i, 5, f->proto, sizeof f->proto);
		f->service = col_dup(res, i, 6);
		copy(res, i, 7, f->severity, sizeof f->severity);
		f->title = col_dup(res, i, 8);
		f->detail = col_dup(res, i, 9);
		f->created_at = i64(res, i, 10);
	}
	PQclear(res);
	*out = arr;
	*n = (size_t)rows;
	return STORE_OK;
}

static int pg_queue_status(struct store *s, struct queue_status *qs)
{
	struct pg *p = PG(s);
	PGresult *res;
	int rc;

	memset(qs, 0, sizeof *qs);
	/* One snapshot, so the figures agree with each other. */
	if ((rc = exec_sql(p, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
			   "reading queue status")) != STORE_OK)
		return rc;
	if (!(res = run(p, P_COUNTS, NULL, &rc)))
		goto fail;
	for (int i = 0; i < PQntuples(res); i++) {
		const char *type = PQgetvalue(res, i, 0);
		enum scan_status status;
		int t;

		if (scan_status_parse(PQgetvalue(res, i, 1), &status) < 0)
			continue;
		qs->by_status[status] += i64(res, i, 2);
		for (t = 0; t < qs->ntypes; t++)
			if (strcmp(qs->types[t].type, type) == 0)
				break;
		if (t == qs->ntypes) {
			if (qs->ntypes == STORE_TYPES_MAX)
				continue;	/* beyond the cap types are counted in totals only */
			snprintf(qs->types[t].type, sizeof qs->types[t].type, "%s", type);
			qs->ntypes++;
		}
		qs->types[t].by_status[status] += i64(res, i, 2);
	}
	PQclear(res);
	if (!(res = run(p, P_OLDEST_PENDING, NULL, &rc)))
		goto fail;
	if (PQntuples(res))
		qs->oldest_pending_ms = i64(res, 0, 0);
	PQclear(res);
	if (!(res = run(p, P_FINISHED_SINCE, NULL, &rc)))
		goto fail;
	qs->finished_last_minute = i64(res, 0, 0);
	PQclear(res);
	if (!(res = run(p, P_WORKER_BEATS, NULL, &rc)))
		goto fail;
	for (int i = 0; i < PQntuples(res); i++) {
		if (i64(res, i, 0) > STORE_WORKER_DEAD_MS)
			qs->workers_dead++;
		else if (i64(res, i, 1) > 0)
			qs->workers_active++;
		else
			qs->workers_idle++;
	}
	PQclear(res);
	return commit(p);
fail:
	rollback(p);
	return rc;
}

static int pg_counters(struct store *s, struct store_counters *c)
{
	struct pg *p = PG(s);
	PGresult *res;
	int rc;

	memset(c, 0, sizeof *c);
	if (!(res = run(p, P_COUNTERS, NULL, &rc)))
		return rc;
	for (int i = 0; i < PQntuples(res); i++)
		store_counter_set(c, PQgetvalue(res, i, 0), i64(res, i, 1));
	PQclear(res);
	return STORE_OK;
}

/* ---- worker registry and tokens ------------------------------------------------------ */

static int pg_worker_register(struct store *s, const struct worker_info *w)
{
	struct args a = { 0 };

	a_str(&a, w->name);
	a_str(&a, w->host);
	a_i64(&a, w->pid);
	if (w->started_at)
		a_i64(&a, w->started_at);
	else
		a_str(&a, NULL);
	a_i64(&a, w->concurrency);
	return run0(PG(s), P_WORKER_UPSERT, &a);
}

static int pg_worker_heartbeat(struct store *s, const char *name, int running, int64_t done)
{
	struct args a = { 0 };
	PGresult *res;
	int rc;

	a_str(&a, name);
	a_i64(&a, running);
	a_i64(&a, done);
	if (!(res = run(PG(s), P_WORKER_BEAT, &a, &rc)))
		return rc;
	rc = strtol(PQcmdTuples(res), NULL, 10) > 0 ? STORE_OK : STORE_NOT_FOUND;
	PQclear(res);
	if (rc == STORE_NOT_FOUND)
		store_set_error(s, "worker %s is not registered", name);
	return rc;
}

static int pg_worker_exited(struct store *s, const char *name, const char *reason)
{
	struct args a = { 0 };

	a_str(&a, name);
	a_str(&a, reason);
	return run0(PG(s), P_WORKER_EXIT, &a);
}

static int pg_worker_list(struct store *s, struct worker_info **out, size_t *n)
{
	struct pg *p = PG(s);
	struct worker_info *arr;
	PGresult *res;
	int rc, rows;

	*out = NULL;
	*n = 0;
	if (!(res = run(p, P_WORKER_LIST, NULL, &rc)))
		return rc;
	rows = PQntuples(res);
	if (rows > STORE_LIST_MAX)
		rows = STORE_LIST_MAX;
	if (!(arr = calloc(rows ? (size_t)rows : 1, sizeof *arr))) {
		PQclear(res);
		return store_set_error(s, "out of memory");
	}
	for (int i = 0; i < rows; i++) {
		struct worker_info *w = &arr[i];
		copy(res, i, 0, w->name, sizeof w->name);
		copy(res, i, 1, w->host, sizeof w->host);
		w->pid = (int)i64(res, i, 2);
		w->started_at = i64(res, i, 3);
		w->heartbeat_at = i64(res, i, 4);
		w->concurrency = (int)i64(res, i, 5);
		w->running = (int)i64(res, i, 6);
		w->scans_done = i64(res, i, 7);
		copy(res, i, 8, w->last_exit, sizeof w->last_exit);
		w->stopped_at = i64(res, i, 9);
	}
	PQclear(res);
	for (int i = 0; i < rows; i++) {
		struct args a = { 0 };

		a_str(&a, arr[i].name);
		if (!(res = run(p, P_WORKER_RUNNING, &a, &rc)))
			break;
		for (int k = 0; k < PQntuples(res) && arr[i].nrunning_ids < 16; k++)
			arr[i].running_ids[arr[i].nrunning_ids++] = i64(res, k, 0);
		PQclear(res);
	}
	*out = arr;
	*n = (size_t)rows;
	return STORE_OK;
}

static int pg_token_create(struct store *s, const char *name, const char *role,
			   const char *hash, int64_t *id)
{
	struct args a = { 0 };
	PGresult *res;
	int rc;

	a_str(&a, name);
	a_str(&a, role);
	a_str(&a, hash);
	if (!(res = run(PG(s), P_TOKEN_INSERT, &a, &rc)))
		return rc;
	*id = i64(res, 0, 0);
	PQclear(res);
	return STORE_OK;
}

static int pg_token_get(struct store *s, int64_t id, char *role, char *hash)
{
	struct args a = { 0 };
	PGresult *res;
	int rc;

	a_i64(&a, id);
	if (!(res = run(PG(s), P_TOKEN_GET, &a, &rc)))
		return rc;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return STORE_NOT_FOUND;
	}
	copy(res, 0, 0, role, 16);
	copy(res, 0, 1, hash, 129);
	PQclear(res);
	return STORE_OK;
}

static int pg_token_any(struct store *s)
{
	PGresult *res;
	int rc, any;

	if (!(res = run(PG(s), P_TOKEN_ANY, NULL, &rc)))
		return -1;
	any = (int)i64(res, 0, 0);
	PQclear(res);
	return any;
}

static const struct store_ops pg_ops = {
	.name = "postgres",
	.close = pg_close,
	.schema_latest = pg_schema_latest,
	.schema_version = pg_schema_version,
	.migrate = pg_migrate,
	.submit_many = pg_submit_many,
	.get = pg_get,
	.list = pg_list,
	.events = pg_events,
	.claim = pg_claim,
	.heartbeat = pg_heartbeat,
	.complete_many = pg_complete_many,
	.fail = pg_fail,
	.cancelled = pg_cancelled,
	.release = pg_release,
	.recover_leases = pg_recover_leases,
	.cancel = pg_cancel,
	.retry = pg_retry,
	.stuck = pg_stuck,
	.prune = pg_prune,
	.findings = pg_findings,
	.queue_status = pg_queue_status,
	.counters = pg_counters,
	.worker_register = pg_worker_register,
	.worker_heartbeat = pg_worker_heartbeat,
	.worker_exited = pg_worker_exited,
	.worker_list = pg_worker_list,
	.token_create = pg_token_create,
	.token_get = pg_token_get,
	.token_any = pg_token_any,
};

struct store *store_pg_open(const char *url, int flags, char *err, size_t errlen)
{
	struct pg *p = calloc(1, sizeof *p);

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->base.ops = &pg_ops;
	p->conn = PQconnectdb(url);
	if (PQstatus(p->conn) != CONNECTION_OK) {
		snprintf(err, errlen, "cannot connect to PostgreSQL: %s", PQerrorMessage(p->conn));
		err[strcspn(err, "\n")] = '\0';
		goto fail;
	}
	/* Quiet NOTICEs (CREATE ... IF NOT EXISTS) would go to stderr otherwise. */
	if (exec_sql(p, "SET client_min_messages = warning", "configuring the session") != STORE_OK
	    || exec_sql(p, "SET synchronous_commit = on", "configuring the session") != STORE_OK) {
		snprintf(err, errlen, "%s", p->base.err);
		goto fail;
	}
	if (!(flags & STORE_NO_MIGRATE) && pg_migrate(&p->base, -1, NULL) != STORE_OK) {
		snprintf(err, errlen, "cannot migrate the database: %s", p->base.err);
		goto fail;
	}
	return &p->base;
fail:
	PQfinish(p->conn);
	free(p);
	return NULL;
}
