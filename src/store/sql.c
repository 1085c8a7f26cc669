/*
 * sql.c — the SQL text that both dialects run as it is (sql_common[]),
 * written once, and its rendering into a dialect's placeholders and clock
 * (sql.h says the notation).  A statement whose text differs between the
 * databases (types, PostgreSQL's FOR UPDATE and casts of expressions,
 * JSON functions, batch statements, upserts) stays in the dialect's
 * schema.c; only the ones that are the same once placeholders, the clock
 * and SQLite's index hints are read alike are here.  Each dialect renders them once per
 * process into its table (sql_table()), and the rendered text is what
 * the dialect's own table held before the statement moved here (byte for
 * byte, but for the spacing of two SQLite statements).
 */
#include <stdlib.h>
#include <string.h>
#include "store/sql.h"

static const char NOW_MS[] = "NOW_MS($";
static const char INDEXED_BY[] = " INDEXED BY ";

/* Reads parameter digits at *p; returns their count (0: none). */
static size_t digits(const char *p)
{
	size_t n = 0;

	while (p[n] >= '0' && p[n] <= '9')
		n++;
	return n;
}

/* The length of the SQL name (letters, digits, _) at p. */
static size_t word_len(const char *p)
{
	size_t n = 0;

	while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z') || p[n] == '_'
	       || (p[n] >= '0' && p[n] <= '9'))
		n++;
	return n;
}

/* A `::type` (a word, maybe `[]`) at p: its length, 0 if none. */
static size_t cast_len(const char *p)
{
	size_t n;

	if (p[0] != ':' || p[1] != ':' || (n = word_len(p + 2)) == 0)
		return 0;
	n += 2;
	if (p[n] == '[' && p[n + 1] == ']')
		n += 2;
	return n;
}

/* One pass over in: writes to out when it is not NULL; returns the length. */
static size_t render(const char *in, const struct sql_style *st, char *out)
{
	size_t len = 0, clock = st->clock ? strlen(st->clock) : 0;
	int quoted = 0;

#define PUT(c) do { if (out) out[len] = (c); len++; } while (0)
	for (const char *p = in; *p;) {
		size_t d;

		if (*p == '\'')
			quoted = !quoted;	/* '' inside a string toggles twice */
		if (!quoted && strncmp(p, NOW_MS, sizeof NOW_MS - 1) == 0
		    && (d = digits(p + sizeof NOW_MS - 1)) > 0 && p[sizeof NOW_MS - 1 + d] == ')') {
			const char *num = p + sizeof NOW_MS - 1;

			if (st->clock) {
				for (size_t i = 0; i < clock; i++)
					PUT(st->clock[i]);
			} else {
				PUT(st->param);
				for (size_t i = 0; i < d; i++)
					PUT(num[i]);
			}
			p = num + d + 1;
			continue;
		}
		if (!quoted && !st->hints && strncmp(p, INDEXED_BY, sizeof INDEXED_BY - 1) == 0
		    && (d = word_len(p + sizeof INDEXED_BY - 1)) > 0) {
			p += sizeof INDEXED_BY - 1 + d;
			continue;
		}
		if (!quoted && *p == '$' && (d = digits(p + 1)) > 0) {
			size_t c = cast_len(p + 1 + d);

			PUT(st->param);
			for (size_t i = 0; i < d; i++)
				PUT(p[1 + i]);
			if (st->casts)
				for (size_t i = 0; i < c; i++)
					PUT(p[1 + d + i]);
			p += 1 + d + c;
			continue;
		}
		PUT(*p);
		p++;
	}
	PUT('\0');
#undef PUT
	return len;
}

char *sql_render(const char *in, const struct sql_style *st)
{
	char *out = malloc(render(in, st, NULL));

	if (out)
		render(in, st, out);
	return out;
}

int sql_table(const char *const *own, const struct sql_style *st, const char **out)
{
	for (int id = 0; id < DB_STMT_COUNT; id++) {
		out[id] = own[id];
		if (!own[id] && sql_common[id] && !(out[id] = sql_render(sql_common[id], st)))
			return -1;
	}
	return 0;
}

/* The stuck categories that are counted as well as listed (S_SQ_*, S_SQ_*_N):
 * each condition written once.  LIVE: EXISTS or NOT EXISTS a live worker. */
#define SQ_LEASE " FROM leases l JOIN scans s ON s.id = l.scan_id" \
	" WHERE l.lease_expires_at < NOW_MS($1)"
/* Pending and due for age_ms, and whether a worker or agent of its pool is
 * live: pending_no_worker and backlog look at pool local, no_agent at the
 * others (POOLS). */
#define SQ_DUE_IN(POOLS, LIVE) " FROM scans INDEXED BY scans_pending_due WHERE status = 'pending'" \
	" AND run_after <= NOW_MS($1) - $2::bigint AND " POOLS " AND " LIVE " (SELECT 1 FROM workers w" \
	" WHERE w.stopped_at IS NULL AND w.heartbeat_at >= NOW_MS($1) - $4::bigint" \
	" AND w.pool = scans.pool)"
#define SQ_DUE(LIVE) SQ_DUE_IN("pool = 'local'", LIVE)
/* A schedule's columns and its last scan (id, status), newest by id. */
#define SCHED_SELECT DB_SCHED_COLS ", (SELECT id FROM scans INDEXED BY scans_schedule" \
	" WHERE schedule_id = schedules.id ORDER BY id DESC LIMIT 1), (SELECT status FROM scans" \
	" INDEXED BY scans_schedule WHERE schedule_id = schedules.id ORDER BY id DESC LIMIT 1), pool"

/* S_DASH_CHANGES' count of one change type over the part minute. */
#define DASH_EDGE(TYPE) \
	" UNION ALL SELECT '" TYPE "', (SELECT count(*) FROM scan_changes c WHERE c.scan_id = s.id" \
	" AND c.change_type = '" TYPE "') FROM scans s INDEXED BY scans_finished_status" \
	" WHERE s.status = 'completed' AND s.finished_at >= $1::bigint" \
	" AND s.finished_at < $3::bigint * 60000"

/* Parameters in db.h's order; sql.h says the notation.  A statement here
 * is in neither dialect's table (tests/unit/test_sql.c checks it): one
 * that comes to differ moves out of here into both dialects. */
/* The delivery's webhook was removed (S_DELIVERY_DONE). */
#define HOOK_REMOVED "EXISTS (SELECT 1 FROM webhooks w WHERE w.id = webhook_deliveries.webhook_id" \
	" AND w.removed_at IS NOT NULL)"

const char *const sql_common[DB_STMT_COUNT] = {
	[S_KEY_LOOKUP] = "SELECT id FROM scans WHERE idempotency_key = $1::text",
	/* ON CONFLICT: a concurrent submission with the same key won the race;
	 * no row comes back and the core looks the winner up. */
	[S_INSERT_SCAN] =
		"INSERT INTO scans (type, targets, options, status, priority, max_attempts,"
		" time_limit_s, run_after, created_at, claimed_at, parent_id, flow, idempotency_key,"
		" pool, addr_lo, addr_hi) VALUES ($1::text, $2::text, $3::text, $10::text, $4::int,"
		" $5::int, $6::int, NOW_MS($7), NOW_MS($7), CASE WHEN $10::text = 'running'"
		" THEN NOW_MS($7) END, $8::bigint, $9::int, $11::text, coalesce($12::text,"
		" (SELECT p.pool FROM scans p WHERE p.id = $8::bigint), 'local'), $13::text, $14::text)"
		" ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
	[S_EVENT] =
		"INSERT INTO scan_events (scan_id, at, from_status, to_status, attempt,"
		" worker_id, reason) VALUES ($1::bigint, NOW_MS($2), $3::text, $4::text, $5::int,"
		" $6::text, $7::text)",
	[S_GET] = "SELECT " DB_SCAN_COLS " FROM scans WHERE id = $1::bigint",
	[S_LIST_ALL] =
		"SELECT " DB_SCAN_COLS " FROM scans WHERE id < $3::bigint"
		" ORDER BY id DESC LIMIT $4::int",
	/* The id bound first, as PostgreSQL's text had it (SQLite's had it
	 * last): neither planner's choice depends on the order of AND terms. */
	[S_LIST_STATUS] = "SELECT " DB_SCAN_COLS " FROM scans WHERE id < $3::bigint"
		" AND status = $1::text ORDER BY id DESC LIMIT $4::int",
	[S_LIST_TYPE] = "SELECT " DB_SCAN_COLS " FROM scans WHERE id < $3::bigint"
		" AND type = $2::text ORDER BY id DESC LIMIT $4::int",
	[S_LIST_BOTH] = "SELECT " DB_SCAN_COLS " FROM scans WHERE id < $3::bigint"
		" AND status = $1::text AND type = $2::text ORDER BY id DESC LIMIT $4::int",
	[S_EXISTS] = "SELECT 1 FROM scans WHERE id = $1::bigint",
	[S_FINDINGS] =
		"SELECT " DB_FINDING_COLS " FROM findings WHERE scan_id = $1::bigint"
		" AND id > $2::bigint ORDER BY id LIMIT $3::int",
	/* Only the lease row, and in it only columns no index covers: a
	 * heartbeat is a HOT update on PostgreSQL (docs/STORE.md).  A lease
	 * exists exactly while its scan runs that attempt. */
	[S_HEARTBEAT] =
		"UPDATE leases SET lease_expires_at = NOW_MS($3) + $4::bigint,"
		" progress = CASE WHEN $5::float8 >= 0 THEN $5::float8 ELSE progress END"
		" WHERE scan_id = $1::bigint AND attempt = $2::int"
		" RETURNING (SELECT s.cancel_requested FROM scans s WHERE s.id = leases.scan_id)",
	[S_COMPLETE] =
		"UPDATE scans SET status = 'completed', finished_at = NOW_MS($3), progress = 1,"
		" summary = $4::text, error_code = NULL, error_message = NULL, error_detail = NULL"
		" WHERE id = $1::bigint AND attempt = $2::int AND status = 'running'"
		" RETURNING coalesce(worker_id, '')",
	[S_FINDING_INSERT] =
		"INSERT INTO findings (scan_id, kind, target, port, proto, service, severity,"
		" title, detail, created_at) VALUES ($1::bigint, $2::text, $3::text, $4::int,"
		" $5::text, $6::text, $7::text, $8::text, $9::text, NOW_MS($10))",
	[S_SET_PENDING] =
		"UPDATE scans SET status = 'pending', run_after = NOW_MS($3) + $4::bigint,"
		" progress = coalesce((SELECT l.progress FROM leases l WHERE l.scan_id = scans.id),"
		"  progress),"
		" attempt_base = attempt_base + $5::int,"
		" error_code = coalesce($6::text, error_code),"
		" error_message = coalesce($7::text, error_message),"
		" error_detail = coalesce($8::text, error_detail)"
		" WHERE id = $1::bigint AND attempt = $2::int AND status = 'running'",
	[S_SET_FINAL] =
		"UPDATE scans SET status = $3::text, finished_at = NOW_MS($4),"
		" progress = coalesce((SELECT l.progress FROM leases l WHERE l.scan_id = scans.id),"
		"  progress),"
		" error_code = $5::text, error_message = $6::text,"
		" error_detail = $7::text"
		" WHERE id = $1::bigint AND attempt = $2::int AND status = $8::text",
	[S_EXTEND_LEASES] =
		"UPDATE leases SET lease_expires_at = lease_expires_at + $1::bigint",
	[S_CANCEL_REQUEST] = "UPDATE scans SET cancel_requested = 1 WHERE id = $1::bigint AND status = 'running'",
	[S_RETRY] =
		"UPDATE scans SET status = 'pending', attempt_base = attempt, run_after = NOW_MS($2),"
		" finished_at = NULL, cancel_requested = 0, progress = 0, error_code = NULL,"
		" error_message = NULL, error_detail = NULL"
		" WHERE id = $1::bigint AND status IN ('failed', 'cancelled')",
	/* PostgreSQL keeps these in shards (its migration 23): summed. */
	[S_COUNTS] = "SELECT type, status, sum(n) FROM scan_counts GROUP BY type, status"
		" HAVING sum(n) <> 0 ORDER BY type",
	/* From when the scan became due (run_after), not created_at: a scan
	 * queued to run later is not old while it waits for its time.  In
	 * these four the clock bounds an index range: `(SELECT NOW_MS())`
	 * reads it once, because PostgreSQL's scanq_now_ms() is volatile and
	 * a volatile bound is no index condition (a sequential scan of
	 * scan_events on every queue status; bench/dashboard.sh). */
		[S_OLDEST_PENDING] =
		"SELECT NOW_MS($1) - run_after FROM scans INDEXED BY scans_pending_due WHERE"
		" status = 'pending' AND run_after <= (SELECT NOW_MS($1)) ORDER BY run_after LIMIT 1",
		[S_OVERDUE_LEASE] =
		"SELECT NOW_MS($1) - lease_expires_at FROM leases WHERE lease_expires_at < NOW_MS($1)"
		" ORDER BY lease_expires_at LIMIT 1",
	/* Only the finished events of the last minute, not every submission of
	 * a burst (measured: 2-4 ms right after 44k submits, ~0 with the index). */
		[S_FINISHED_SINCE] =
		"SELECT count(*) FROM scan_events INDEXED BY scan_events_finished WHERE at >="
		" (SELECT NOW_MS($1)) - 60000 AND to_status IN ('completed', 'failed', 'cancelled')",
		[S_WORKER_BEATS] =
		"SELECT NOW_MS($1) - w.heartbeat_at, (SELECT count(*) FROM leases l"
		" WHERE l.worker_id = w.id) FROM workers w WHERE w.stopped_at IS NULL",
	[S_COUNTERS] = "SELECT name, sum(value) FROM counters GROUP BY name",
		[S_PRUNE_COUNT] =
		"SELECT count(*) FROM scans INDEXED BY scans_finished WHERE finished_at <"
		" $1::bigint AND status IN ('completed', 'failed', 'cancelled')",
		[S_WORKER_UPSERT] =
		"INSERT INTO workers (id, name, host, pid, started_at, heartbeat_at,"
		" concurrency, running, scans_done, pool) VALUES ($1::text, $2::text, $3::text,"
		" $4::int, coalesce($5::bigint, NOW_MS($6)), NOW_MS($6), $7::int, 0, 0, $8::text) ON"
		" CONFLICT (id) DO UPDATE SET name = excluded.name, host = excluded.host, pool = excluded.pool, pid ="
		" excluded.pid, started_at = excluded.started_at, heartbeat_at ="
		" excluded.heartbeat_at, concurrency = excluded.concurrency, running = 0,"
		" scans_done = 0, stopped_at = NULL, last_exit = NULL",
	/* A heartbeat also clears stopped_at: a live worker is never "stopped". */
	[S_WORKER_BEAT] =
		"UPDATE workers SET heartbeat_at = NOW_MS($2), scans_done = $3::bigint,"
		" stopped_at = NULL WHERE id = $1::text",
	[S_WORKER_EXIT] =
		"UPDATE workers SET last_exit = $2::text, running = 0, stopped_at = NOW_MS($3)"
		" WHERE id = $1::text",
		[S_WORKER_LIST] =
		"SELECT w.id, w.name, w.host, w.pid, w.started_at, w.heartbeat_at,"
		" w.concurrency, (SELECT count(*) FROM leases l WHERE l.worker_id = w.id),"
		" w.scans_done,"
		" coalesce(w.last_exit, ''), w.stopped_at, w.kind, w.pool, coalesce(w.version, ''),"
		" coalesce(w.address, '') FROM workers w ORDER BY w.name, w.started_at DESC",
		[S_WORKER_RUNNING] =
		"SELECT scan_id FROM leases WHERE worker_id = $1::text ORDER BY scan_id LIMIT 16",
	[S_HANDBACK] =
		"UPDATE scans SET status = 'pending', run_after = NOW_MS($3),"
		" progress = coalesce((SELECT l.progress FROM leases l WHERE l.scan_id = scans.id),"
		"  progress),"
		" attempt_base = attempt_base + 1, lost_workers = lost_workers + 1"
		" WHERE id = $1::bigint AND attempt = $2::int AND status = 'running'",
	[S_WORKER_PRUNE] = "DELETE FROM workers WHERE coalesce(stopped_at, heartbeat_at) < NOW_MS($1) - $2::bigint",
	[S_TOKEN_GET] = "SELECT role, hash FROM tokens WHERE id = $1::bigint",
	[S_LEADER_DROP] = "DELETE FROM leader WHERE holder = $1::text",
	[S_SCHEMA_VERSION] = "SELECT coalesce(max(version), 0) FROM schema_migrations",
	[S_FLOW_HOSTS] =
		"SELECT DISTINCT target FROM findings WHERE kind = 'host' AND target IS NOT NULL"
		" AND scan_id IN (SELECT $1::bigint UNION ALL SELECT id FROM scans"
		" WHERE parent_id = $1::bigint AND (flow & 4) <> 0) ORDER BY target LIMIT $2::int",
	[S_FLOW_PORTS] =
		"SELECT DISTINCT target, port FROM findings WHERE kind = 'open_port'"
		" AND target IS NOT NULL AND port IS NOT NULL"
		" AND scan_id IN (SELECT $1::bigint UNION ALL SELECT id FROM scans"
		" WHERE parent_id = $1::bigint AND (flow & 4) <> 0) ORDER BY target, port LIMIT $2::int",
	[S_FLOW_SHARDS] =
		"SELECT id, status, coalesce(error_code, ''), progress, summary FROM scans"
		" WHERE parent_id = $1::bigint AND (flow & 4) <> 0 ORDER BY id",
	[S_FLOW_FINISH] =
		"UPDATE scans SET status = 'completed', finished_at = NOW_MS($2), progress = 1,"
		" summary = $3::text, error_code = NULL, error_message = NULL, error_detail = NULL"
		" WHERE id = $1::bigint AND status = 'running' AND (flow & 2) <> 0",
	[S_FLOW_SPLIT_END] =
		"UPDATE scans SET status = $3::text, finished_at = NOW_MS($2), error_code = $4::text,"
		" error_message = $5::text"
		" WHERE id = $1::bigint AND status = 'running' AND (flow & 2) <> 0",
	[S_FLOW_PROGRESS] = "UPDATE scans SET progress = $2::float8 WHERE id = $1::bigint",
	[S_FLOW_NOTE] = "UPDATE scans SET flow_note = $2::text WHERE id = $1::bigint",
	[S_FLOW_DESC_PENDING] =
		"WITH RECURSIVE t(id) AS (SELECT id FROM scans WHERE parent_id = $1::bigint"
		" UNION ALL SELECT s.id FROM scans s JOIN t ON s.parent_id = t.id)"
		" UPDATE scans SET status = 'cancelled', finished_at = NOW_MS($2),"
		" error_code = 'cancelled', error_message = 'cancelled by an operator with its chain'"
		" WHERE id IN (SELECT id FROM t) AND status = 'pending' RETURNING id, attempt",
	[S_FLOW_DESC_RUNNING] =
		"WITH RECURSIVE t(id) AS (SELECT id FROM scans WHERE parent_id = $1::bigint"
		" UNION ALL SELECT s.id FROM scans s JOIN t ON s.parent_id = t.id)"
		" UPDATE scans SET cancel_requested = 1 WHERE id IN (SELECT id FROM t)"
		" AND status = 'running' AND (flow & 2) = 0 AND cancel_requested = 0"
		" RETURNING id, attempt",
	[S_FLOW_DESC_SPLIT] =
		"WITH RECURSIVE t(id) AS (SELECT id FROM scans WHERE parent_id = $1::bigint"
		" UNION ALL SELECT s.id FROM scans s JOIN t ON s.parent_id = t.id)"
		" UPDATE scans SET status = 'cancelled', finished_at = NOW_MS($2),"
		" error_code = 'cancelled', error_message = 'cancelled by an operator with its chain'"
		" WHERE id IN (SELECT id FROM t) AND status = 'running' AND (flow & 2) <> 0"
		" RETURNING id, attempt",
	[S_FLOW_TREE] =
		"WITH RECURSIVE t(id) AS (SELECT $1::bigint UNION ALL SELECT s.id FROM scans s"
		" JOIN t ON s.parent_id = t.id)"
		" SELECT s.id, coalesce(s.parent_id, 0), s.type, s.status, s.flow, s.progress,"
		" (SELECT count(*) FROM findings f WHERE f.scan_id = s.id), s.flow_note,"
		" s.error_message, s.targets FROM scans s WHERE s.id IN (SELECT id FROM t)"
		" ORDER BY s.id LIMIT $2::int",
	[S_FLOW_ROOT] =
		"WITH RECURSIVE up(id, parent_id) AS (SELECT id, parent_id FROM scans"
		" WHERE id = $1::bigint UNION ALL SELECT s.id, s.parent_id FROM scans s"
		" JOIN up ON s.id = up.parent_id) SELECT id FROM up WHERE parent_id IS NULL",
	[S_FLOW_FINDINGS] =
		"SELECT " DB_FINDING_COLS " FROM findings WHERE scan_id IN (SELECT $1::bigint"
		" UNION ALL SELECT id FROM scans WHERE parent_id = $1::bigint AND (flow & 4) <> 0)"
		" AND id > $2::bigint ORDER BY id LIMIT $3::int",
	[S_FLOW_OF] = "SELECT flow, coalesce(parent_id, 0) FROM scans WHERE id = $1::bigint",
	[S_FLOW_REOPEN] =
		"UPDATE scans SET status = 'running', finished_at = NULL, cancel_requested = 0,"
		" error_code = NULL, error_message = NULL, error_detail = NULL"
		" WHERE id = $1::bigint AND status IN ('failed', 'cancelled') AND (flow & 2) <> 0",
	[S_CHANGES_FINDINGS] =
		"SELECT kind, target, coalesce(port, 0), coalesce(proto, ''), service, severity, title,"
		" detail FROM findings WHERE scan_id IN (SELECT $1::bigint UNION ALL"
		" SELECT id FROM scans WHERE parent_id = $1::bigint AND (flow & 4) <> 0)",
	[S_CHANGES_INSERT] =
		"INSERT INTO scan_changes (scan_id, baseline_id, change_type, kind, target, port, proto,"
		" ident, severity, title, before_json, after_json)"
		" VALUES ($1::bigint, $2::bigint, $3::text, $4::text, $5::text, $6::int, $7::text,"
		" $8::text, $9::text, $10::text, $11::text, $12::text)",
	[S_CHANGES_COUNT] =
		"UPDATE scan_baselines SET new = $2::int, gone = $3::int, changed = $4::int"
		" WHERE scan_id = $1::bigint",
	[S_CHANGES_SUMMARY] = "UPDATE scans SET summary = $2::text WHERE id = $1::bigint",
	[S_CHANGES_LIST] =
		"SELECT id, change_type, kind, target, coalesce(port, 0), coalesce(proto, ''), ident,"
		" severity, title, before_json, after_json, scan_id FROM scan_changes"
		" WHERE scan_id = $1::bigint AND id > $2::bigint ORDER BY id LIMIT $3::int",
	[S_CHANGES_OF] =
		"SELECT coalesce(baseline_id, 0), new, gone, changed FROM scan_baselines"
		" WHERE scan_id = $1::bigint",
	[S_CHAIN_STAGES] =
		DB_CHAIN_CTE("$1::bigint")
		" SELECT s.id, s.type, s.status, CASE WHEN b.scan_id IS NULL THEN 0 ELSE 1 END,"
		" coalesce(b.baseline_id, 0),"
		" coalesce(b.new, 0), coalesce(b.gone, 0), coalesce(b.changed, 0)"
		" FROM scans s JOIN chain c ON c.id = s.id"
		" LEFT JOIN scan_baselines b ON b.scan_id = s.id ORDER BY s.id",
	[S_CHAIN_CHANGES] =
		DB_CHAIN_CTE("$1::bigint")
		" SELECT id, change_type, kind, target, coalesce(port, 0), coalesce(proto, ''), ident,"
		" severity, title, before_json, after_json, scan_id FROM scan_changes"
		" WHERE scan_id IN (SELECT id FROM chain) AND id > $2::bigint"
		" ORDER BY id LIMIT $3::int",
	[S_WEBHOOKS] = "SELECT id, url, events, secret, min_severity, created_at, removed_at,"
		" coalesce(removed_by, '') FROM webhooks WHERE $1::int = 1 OR removed_at IS NULL"
		" ORDER BY id",
	[S_WEBHOOK_INSERT] =
		"INSERT INTO webhooks (url, events, secret, min_severity, created_at)"
		" VALUES ($1::text, $2::text, $3::text, $4::text, NOW_MS($5)) RETURNING id",
	[S_WEBHOOK_REMOVE] =
		"UPDATE webhooks SET removed_at = NOW_MS($2), removed_by = $3::text"
		" WHERE id = $1::bigint AND removed_at IS NULL",
	[S_WEBHOOK_GET] = "SELECT removed_at, coalesce(removed_by, '') FROM webhooks WHERE id = $1::bigint",
	/* A removed webhook's deliveries not yet sent are not sent; one on its
	 * way (sending) finishes its attempt, and its sender is told the hook
	 * is gone at the next (webhooks.c). */
	[S_DELIVERY_STOP] =
		"UPDATE webhook_deliveries SET status = 'failed', finished_at = NOW_MS($2),"
		" last_error = 'webhook removed' WHERE webhook_id = $1::bigint AND status = 'pending'",
	/* Every host and port a completed scan saw, and whether the latest scan
	 * of its baseline still sees it.  Its service is the one the latest
	 * detection of the port named (found through findings_detected, one
	 * probe per row), else the one its latest sighting named (rn = 1: a
	 * window, where a subquery per row over f was quadratic): a later scan
	 * without detection does not overwrite what detection found. */
	[S_INVENTORY] =
		"WITH latest AS (SELECT max(scan_id) AS scan_id FROM scan_baselines GROUP BY key),"
		" f AS (SELECT f.target, coalesce(f.port, 0) AS port, coalesce(f.proto, '') AS proto,"
		"  f.service, f.scan_id, s.finished_at,"
		"  CASE WHEN (CASE WHEN (s.flow & 4) <> 0 THEN s.parent_id ELSE f.scan_id END)"
		"  IN (SELECT scan_id FROM latest) THEN 1 ELSE 0 END AS still,"
		"  row_number() OVER (PARTITION BY f.target, coalesce(f.port, 0), coalesce(f.proto, '')"
		"  ORDER BY f.scan_id DESC) AS rn"
		"  FROM findings f JOIN scans s ON s.id = f.scan_id AND s.status = 'completed'"
		"  WHERE f.kind IN ('host', 'open_port') AND f.target IS NOT NULL"
		"  AND ($1::int = 0 OR f.port = $1::int)),"
		" g AS (SELECT target, port, proto, max(CASE WHEN rn = 1 THEN service END) AS seen,"
		"  min(finished_at) AS first_seen, max(finished_at) AS last_seen,"
		"  min(scan_id) AS first_scan, max(scan_id) AS last_scan, max(still) AS still"
		"  FROM f GROUP BY target, port, proto),"
		" b AS (SELECT g.*, (SELECT d.id FROM findings d INDEXED BY findings_detected"
		"  JOIN scans s ON s.id = d.scan_id AND s.status = 'completed'"
		"  WHERE d.kind = 'open_port' AND d.detail LIKE '%\"detected_by\":%'"
		"  AND d.target = g.target AND d.port = g.port AND d.proto = g.proto"
		"  ORDER BY d.scan_id DESC LIMIT 1) AS best FROM g)"
		" SELECT b.target, b.port, b.proto, coalesce(d.service, b.seen), b.first_seen, b.last_seen,"
		"  b.first_scan, b.last_scan, b.still, d.detail, d.scan_id, s.finished_at"
		" FROM b LEFT JOIN findings d ON d.id = b.best LEFT JOIN scans s ON s.id = d.scan_id"
		" WHERE $2::text IS NULL OR coalesce(d.service, b.seen) = $2::text"
		" ORDER BY b.target, b.port, b.proto LIMIT $3::int",
	[S_DELIVERY_INSERT] =
		"INSERT INTO webhook_deliveries (uuid, webhook_id, event, scan_id, status,"
		" max_attempts, run_after, created_at, body)"
		" VALUES ($1::text, $2::bigint, $3::text, $4::bigint, 'pending', $5::int,"
		" NOW_MS($6), NOW_MS($6), $7::text) RETURNING id",
	/* A retry of a delivery whose webhook was removed meanwhile is failed
	 * instead: nothing more is sent to a removed webhook. */
	[S_DELIVERY_DONE] =
		"UPDATE webhook_deliveries SET status = CASE WHEN $3::text <> 'pending' THEN $3::text"
		"  WHEN " HOOK_REMOVED " THEN 'failed' ELSE 'pending' END,"
		" lease_expires_at = NULL, run_after = NOW_MS($4) + $5::bigint,"
		" finished_at = CASE WHEN $3::text = 'pending' AND NOT " HOOK_REMOVED
		"  THEN NULL ELSE NOW_MS($4) END,"
		" last_code = $6::int, last_error = $7::text"
		" WHERE id = $1::bigint AND attempt = $2::int AND status = 'sending'"
		" RETURNING status",
	[S_DELIVERY_ATTEMPT] =
		"INSERT INTO webhook_attempts (delivery_id, attempt, at, status_code, error, duration_ms)"
		" VALUES ($1::bigint, $2::int, NOW_MS($3), $4::int, $5::text, $6::bigint)",
	[S_DELIVERY_LOG] =
		/* Each attempt with its own outcome: the delivery's status is the
		 * last attempt's; an earlier one was retried, so it failed (an
		 * old error is never listed under "delivered"). */
		"SELECT d.id, d.uuid, d.webhook_id, d.event, coalesce(d.scan_id, 0),"
		" CASE WHEN a.id IS NULL OR a.id = (SELECT max(x.id) FROM webhook_attempts x"
		"  WHERE x.delivery_id = d.id) THEN d.status ELSE 'failed' END,"
		" coalesce(a.attempt, 0), coalesce(a.at, d.created_at), a.status_code,"
		" CASE WHEN a.id IS NULL THEN d.last_error ELSE a.error END,"
		" coalesce(a.duration_ms, 0), d.created_at, w.removed_at"
		" FROM webhook_deliveries d LEFT JOIN webhook_attempts a ON a.delivery_id = d.id"
		" LEFT JOIN webhooks w ON w.id = d.webhook_id"
		" WHERE ($1::bigint = 0 OR d.webhook_id = $1::bigint)"
		" ORDER BY d.id DESC, a.id DESC LIMIT $2::int",
	/* operations: the stuck report, its repairs, reset, audit */
		[S_SQ_LEASE] =
		"SELECT s.id, s.type, s.status, s.attempt, l.worker_id, l.lease_expires_at, ''"
		SQ_LEASE
		" ORDER BY l.lease_expires_at, s.id LIMIT $3::int",
		[S_SQ_NO_WORKER] =
		"SELECT id, type, status, attempt, coalesce(worker_id, ''), run_after, ''"
		SQ_DUE("NOT EXISTS")
		" ORDER BY run_after, id LIMIT $3::int",
		[S_SQ_BACKLOG] =
		"SELECT id, type, status, attempt, coalesce(worker_id, ''), run_after, ''"
		SQ_DUE("EXISTS")
		" ORDER BY run_after, id LIMIT $3::int",
	[S_SQ_NO_FINISH] =
		"SELECT id, type, status, attempt, coalesce(worker_id, ''), created_at, '' FROM scans"
		" WHERE status IN ('completed', 'failed', 'cancelled') AND finished_at IS NULL"
		" ORDER BY id LIMIT $3::int",
	[S_SQ_NO_LEASE] =
		"SELECT id, type, status, attempt, coalesce(worker_id, ''), coalesce(claimed_at, created_at), '' FROM scans"
		" WHERE status = 'running' AND (worker_id IS NULL OR NOT EXISTS (SELECT 1 FROM leases l"
		" WHERE l.scan_id = scans.id AND l.attempt = scans.attempt))"
		" AND (flow & 2) = 0 ORDER BY id LIMIT $3::int",
	[S_SQ_CANCEL_LEFT] =
		"SELECT id, type, status, attempt, coalesce(worker_id, ''), coalesce(finished_at, created_at), '' FROM scans"
		" WHERE status IN ('completed', 'failed') AND cancel_requested <> 0 ORDER BY id LIMIT $3::int",
	[S_SQ_TIMELINE] =
		"SELECT s.id, s.type, s.status, s.attempt, coalesce(s.worker_id, ''),"
		" e.at, e.to_status FROM scans s JOIN scan_events e ON e.id ="
		" (SELECT max(id) FROM scan_events WHERE scan_id = s.id)"
		" WHERE e.to_status <> s.status ORDER BY s.id LIMIT $3::int",
		[S_SQ_LEASE_N] =
		"SELECT count(*)"
		SQ_LEASE,
		[S_SQ_NO_WORKER_N] =
		"SELECT count(*)"
		SQ_DUE("NOT EXISTS"),
		[S_SQ_BACKLOG_N] =
		"SELECT count(*)"
		SQ_DUE("EXISTS"),
	[S_LAST_EVENT] =
		"SELECT to_status, at FROM scan_events WHERE scan_id = $1::bigint"
		" ORDER BY id DESC LIMIT 1",
	[S_FIX_FINISHED_AT] = "UPDATE scans SET finished_at = $2::bigint WHERE id = $1::bigint",
	[S_FIX_CANCEL_FLAG] =
		"UPDATE scans SET cancel_requested = 0 WHERE id = $1::bigint"
		" AND status IN ('completed', 'failed', 'cancelled')",
	[S_WORKERS_CLEAR] = "DELETE FROM workers",
	[S_AUDIT_INSERT] =
		"INSERT INTO audit (at, actor, action, scan_id, detail, client)"
		" VALUES (NOW_MS($1), $2::text, $3::text, $4::bigint, $5::text, $6::text)",
	[S_AUDIT_LIST] =
		"SELECT id, at, actor, action, scan_id, coalesce(detail, ''), coalesce(client, '')"
		" FROM audit"
		" WHERE id < $1::bigint ORDER BY id DESC LIMIT $2::int",
	[S_TOKEN_INSERT_EXP] =
		"INSERT INTO tokens (name, role, hash, created_at, expires_at, pool)"
		" VALUES ($1::text, $2::text, $3::text, NOW_MS($4), $5::bigint, $6::text) RETURNING id",
	[S_TOKEN_CHECK] =
		"SELECT role, hash, name, CASE WHEN revoked_at IS NOT NULL THEN 'revoked'"
		" WHEN expires_at IS NOT NULL AND expires_at <= NOW_MS($2) THEN 'expired' ELSE 'ok' END"
		" , coalesce(pool, '') FROM tokens WHERE id = $1::bigint",
	[S_TOKEN_LIST] =
		"SELECT id, name, role, created_at, expires_at, revoked_at, coalesce(pool, '') FROM tokens"
		" ORDER BY id",
	[S_TOKEN_REVOKE] = "UPDATE tokens SET revoked_at = NOW_MS($2) WHERE id = $1::bigint AND revoked_at IS NULL",
		[S_PRUNE_STATUS_COUNT] =
		"SELECT count(*) FROM scans INDEXED BY scans_finished_status WHERE status ="
		" $2::text AND finished_at < $1::bigint",
	/* ---- scheduled scans: times are the scheduler's clock ($N), see db.h ---- */
	[S_SCHED_INSERT] =
		"INSERT INTO schedules (name, cron, tz, overlap, type, targets, options, priority,"
		" max_attempts, time_limit_s, next_run_at, created_at, pool)"
		" VALUES ($1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text,"
		" $8::int, $9::int, $10::int, $11::bigint, $12::bigint, coalesce($13::text, 'local'))"
		" ON CONFLICT (name) DO NOTHING RETURNING id",
	/* ---- scheduled scans: times are the scheduler's clock ($N), see db.h ---- */
		[S_SCHED_LIST] =
		"SELECT "
		SCHED_SELECT
		" FROM schedules ORDER BY name",
		[S_SCHED_BY_NAME] =
		"SELECT "
		SCHED_SELECT
		" FROM schedules WHERE name = $1::text",
		[S_SCHED_BY_ID] =
		"SELECT "
		SCHED_SELECT
		" FROM schedules WHERE id = $1::bigint",
		[S_SCHED_DUE] =
		"SELECT "
		SCHED_SELECT
		" FROM schedules INDEXED BY schedules_due WHERE paused = 0 AND next_run_at <="
		" $1::bigint ORDER BY next_run_at LIMIT $2::int",
		[S_SCHED_LATE] =
		"SELECT "
		SCHED_SELECT
		" FROM schedules INDEXED BY schedules_due WHERE paused = 0 AND next_run_at <"
		" $1::bigint - $2::bigint ORDER BY next_run_at",
	[S_SCHED_ADVANCE] =
		"UPDATE schedules SET next_run_at = $3::bigint"
		" WHERE id = $1::bigint AND next_run_at = $2::bigint AND paused = 0",
		[S_SCHED_ACTIVE] =
		"SELECT 1 FROM scans INDEXED BY scans_schedule WHERE schedule_id = $1::bigint"
		" AND status IN ('pending', 'running') LIMIT 1",
	[S_SCHED_MARK] =
		"UPDATE schedules SET fired = fired + $2::int, skipped = skipped + $3::int,"
		" last_fired_at = CASE WHEN $2::int > 0 THEN $4::bigint ELSE last_fired_at END,"
		" last_skipped_at = CASE WHEN $3::int > 0 THEN $4::bigint ELSE last_skipped_at END"
		" WHERE id = $1::bigint",
	[S_SCHED_TAG] = "UPDATE scans SET schedule_id = $2::bigint WHERE id = $1::bigint",
	[S_SCHED_PAUSE] =
		"UPDATE schedules SET paused = $2::int, next_run_at = $3::bigint"
		" WHERE id = $1::bigint",
	[S_SCHED_DELETE] = "DELETE FROM schedules WHERE id = $1::bigint",
	[S_REQUEST_HASH_SET] = "UPDATE scans SET request_hash = $2::text WHERE id = $1::bigint",
	[S_REQUEST_HASH_GET] =
		"SELECT id, coalesce(request_hash, '') FROM scans"
		" WHERE idempotency_key = $1::text",
		[S_FINISHED_WINDOW] =
		"SELECT count(*) FROM scan_events INDEXED BY scan_events_finished WHERE at >="
		" (SELECT NOW_MS($1)) - $2::bigint AND to_status IN ('completed', 'failed', 'cancelled')",
	/* ---- the lifecycle of findings per baseline (finding_states.c, triage.c) ---- */
	[S_FSTATE_BASELINE] =
		"INSERT INTO finding_baselines (key, schedule_id, created_at)"
		" SELECT b.key, s.schedule_id, NOW_MS($2) FROM scan_baselines b"
		" JOIN scans s ON s.id = b.scan_id WHERE b.scan_id = $1::bigint"
		" ON CONFLICT (key) DO UPDATE SET schedule_id = excluded.schedule_id RETURNING id",
	/* A fixed finding seen again is reopened, and so is an accepted one past
	 * its expiry; a triaged one keeps its state. */
	[S_FSTATE_SEEN] =
		"INSERT INTO finding_states (baseline_id, fingerprint, state, kind, target, port, proto,"
		" severity, title, cve, first_seen, last_seen, times_seen, first_scan_id, last_scan_id,"
		" updated_at) VALUES ($1::bigint, $2::text, 'open', $3::text, $4::text, $5::int,"
		" $6::text, $7::text, $8::text, $9::text, NOW_MS($11), NOW_MS($11), 1, $10::bigint,"
		" $10::bigint, NOW_MS($11))"
		" ON CONFLICT (baseline_id, fingerprint) DO UPDATE SET state = CASE"
		"  WHEN finding_states.state = 'fixed' OR (finding_states.state = 'accepted'"
		"  AND finding_states.expires_at <= excluded.last_seen) THEN 'reopened'"
		"  ELSE finding_states.state END,"
		" kind = excluded.kind, target = excluded.target, port = excluded.port,"
		" proto = excluded.proto, severity = excluded.severity, title = excluded.title,"
		" cve = excluded.cve, last_seen = excluded.last_seen,"
		" times_seen = finding_states.times_seen + 1, last_scan_id = excluded.last_scan_id,"
		" updated_at = excluded.updated_at RETURNING state",
	[S_FSTATE_EXPIRE] =
		"UPDATE finding_states SET state = 'reopened', updated_at = NOW_MS($1)"
		" WHERE state = 'accepted' AND expires_at <= NOW_MS($1)",
	[S_FSTATE_LIST] =
		"SELECT " DB_FSTATE_COLS("NOW_MS($7)") " FROM finding_states fs"
		" JOIN finding_baselines fb ON fb.id = fs.baseline_id WHERE fs.id > $5::bigint"
		" AND ($1::text IS NULL OR " DB_FSTATE_STATE("NOW_MS($7)") " = $1::text)"
		" AND ($2::text IS NULL OR fs.severity = $2::text)"
		" AND ($3::bigint = 0 OR fs.baseline_id = $3::bigint)"
		" AND ($4::bigint = 0 OR fb.schedule_id = $4::bigint) ORDER BY fs.id LIMIT $6::int",
	[S_FSTATE_FIND] =
		"SELECT " DB_FSTATE_COLS("NOW_MS($3)") " FROM finding_states fs"
		" JOIN finding_baselines fb ON fb.id = fs.baseline_id WHERE fs.fingerprint = $1::text"
		" AND ($2::bigint = 0 OR fs.baseline_id = $2::bigint) ORDER BY fs.id LIMIT 2",
	[S_FSTATE_TRIAGE] =
		"UPDATE finding_states SET state = $2::text, reason = $3::text, actor = $4::text,"
		" expires_at = $5::bigint, updated_at = NOW_MS($6) WHERE id = $1::bigint",
	[S_FSTATE_BASELINE_OF] =
		"SELECT fb.id FROM scan_baselines b JOIN finding_baselines fb ON fb.key = b.key"
		" WHERE b.scan_id = coalesce((SELECT parent_id FROM scans WHERE id = $1::bigint"
		"  AND (flow & 4) <> 0), $1::bigint)",
	[S_FSTATE_OF_SCHEDULE] =
		"SELECT id FROM finding_baselines WHERE key = 'schedule:' || $1::bigint",
	[S_FSTATE_LATEST] =
		"SELECT coalesce(max(b.scan_id), 0) FROM scan_baselines b"
		" JOIN finding_baselines fb ON fb.key = b.key WHERE fb.id = $1::bigint",
	/* ---- scan agents (agent.c) ---- */
	[S_AGENT_REVIVE] =
		"UPDATE scans SET status = 'running', worker_id = $4::text"
		" WHERE id = $1::bigint AND attempt = $2::int AND status = 'pending'",
	[S_AGENT_LAST_EVENT] =
		"SELECT attempt, coalesce(from_status, ''), to_status, coalesce(worker_id, ''),"
		" coalesce(reason, '') FROM scan_events WHERE scan_id = $1::bigint"
		" ORDER BY id DESC LIMIT 1",
	[S_AGENT_SEEN] =
		"INSERT INTO workers (id, name, host, pid, started_at, heartbeat_at, concurrency,"
		" running, scans_done, kind, pool, version, address) VALUES ($1::text, $2::text,"
		" $3::text, 0, NOW_MS($4), NOW_MS($4), $7::int, 0, 0, 'agent', $5::text, $6::text,"
		" $3::text) ON CONFLICT (id) DO UPDATE SET name = excluded.name, host = excluded.host,"
		" heartbeat_at = excluded.heartbeat_at, pool = excluded.pool, version = excluded.version,"
		" address = excluded.address, stopped_at = NULL, kind = 'agent',"
		" concurrency = CASE WHEN excluded.concurrency > 0 THEN excluded.concurrency"
		" ELSE workers.concurrency END",
	[S_POOL_STATUS] =
		"SELECT p.pool, (SELECT count(*) FROM scans s INDEXED BY scans_claim"
		" WHERE s.status = 'pending' AND s.pool = p.pool), (SELECT count(*) FROM scans s"
		" INDEXED BY scans_status_id WHERE s.status = 'running' AND s.pool = p.pool),"
		" (SELECT count(*) FROM workers w WHERE w.pool = p.pool AND w.kind = 'agent'"
		" AND w.stopped_at IS NULL AND w.heartbeat_at >= NOW_MS($1) - $2::bigint),"
		" (SELECT count(*) FROM workers w WHERE w.pool = p.pool AND w.stopped_at IS NULL"
		" AND w.heartbeat_at >= NOW_MS($1) - $2::bigint)"
		" FROM (SELECT pool FROM scans INDEXED BY scans_status_id WHERE status IN ('pending', 'running')"
		" UNION SELECT pool FROM workers) p ORDER BY p.pool LIMIT $3::int",
	[S_SQ_NO_AGENT] =
		"SELECT id, type, status, attempt, coalesce(worker_id, ''), run_after, 'pool ' || pool"
		SQ_DUE_IN("pool <> 'local'", "NOT EXISTS")
		" ORDER BY run_after, id LIMIT $3::int",
	[S_EXCL_INSERT] =
		"INSERT INTO exclusions (entry, reason, created_at, created_by)"
		" VALUES ($1::text, $2::text, NOW_MS($3), $4::text) ON CONFLICT (entry) DO NOTHING",
	[S_EXCL_DELETE] = "DELETE FROM exclusions WHERE entry = $1::text",
	[S_EXCL_LIST] =
		"SELECT entry, reason, created_at, created_by FROM exclusions ORDER BY entry"
		" LIMIT $1::int",
	[S_EXCL_COUNT] = "SELECT count(*) FROM exclusions",
	[S_RATECAP_SET] =
		"INSERT INTO rate_caps (network, probes, created_at, created_by)"
		" VALUES ($1::text, $2::bigint, $3::bigint, $4::text)"
		" ON CONFLICT (network) DO UPDATE SET probes = excluded.probes,"
		" created_at = excluded.created_at, created_by = excluded.created_by",
	[S_RATECAP_DELETE] = "DELETE FROM rate_caps WHERE network = $1::text",
	[S_RATECAP_LIST] =
		"SELECT network, probes, created_at, created_by FROM rate_caps ORDER BY network"
		" LIMIT $1::int",
	[S_RATECAP_COUNT] = "SELECT count(*) FROM rate_caps",
	/* One slice of a network's budget for the current second, in one
	 * statement: the row of (network, second) is created or updated under
	 * its own lock, so two takers never both get the last probes.  SET
	 * reads the row as it was, so `granted` is this take's share. */
	[S_RATE_TAKE] =
		"INSERT INTO rate_budget (network, window_s, taken, granted)"
		" VALUES ($1::text, NOW_MS($4) / 1000,"
		"  CASE WHEN $3::bigint < $2::bigint THEN $3::bigint ELSE $2::bigint END,"
		"  CASE WHEN $3::bigint < $2::bigint THEN $3::bigint ELSE $2::bigint END)"
		" ON CONFLICT (network, window_s) DO UPDATE SET"
		" granted = CASE WHEN $3::bigint <= $2::bigint - rate_budget.taken THEN $3::bigint"
		"  WHEN rate_budget.taken < $2::bigint THEN $2::bigint - rate_budget.taken ELSE 0 END,"
		" taken = rate_budget.taken + CASE WHEN $3::bigint <= $2::bigint - rate_budget.taken"
		"  THEN $3::bigint WHEN rate_budget.taken < $2::bigint"
		"  THEN $2::bigint - rate_budget.taken ELSE 0 END"
		" RETURNING granted, window_s, (window_s + 1) * 1000 - NOW_MS($4)",
	[S_RATE_PRUNE] = "DELETE FROM rate_budget WHERE window_s < NOW_MS($1) / 1000 - 60",
	[S_PAUSE_INSERT] =
		"INSERT INTO pauses (kind, value, since, reason, actor)"
		" VALUES ($1::text, $2::text, NOW_MS($3), $4::text, $5::text)"
		" ON CONFLICT (kind, value) DO NOTHING",
	[S_PAUSE_DELETE] = "DELETE FROM pauses WHERE kind = $1::text AND value = $2::text",
	[S_PAUSE_DELETE_ALL] = "DELETE FROM pauses",
	[S_PAUSE_LIST] =
		"SELECT p.kind, p.value, coalesce(s.name, ''), p.since, p.reason, p.actor FROM pauses p"
		" LEFT JOIN schedules s ON p.kind = 'schedule' AND CAST(s.id AS TEXT) = p.value"
		" ORDER BY p.since, p.kind, p.value LIMIT $1::int",
	[S_PAUSE_RUNNING] =
		"SELECT id, attempt FROM scans WHERE status = 'running' AND worker_id IS NOT NULL"
		" AND ($1::text = 'all' OR ($1::text = 'type' AND type = $2::text)"
		" OR ($1::text = 'schedule' AND CAST(schedule_id AS TEXT) = $2::text)"
		" OR ($1::text = 'pool' AND pool = $2::text))"
		" ORDER BY id LIMIT $3::int",
	/* ---- the dashboard (dashboard.c) ---- */
	/* The rollups (migration 25; db.h, "the dashboard's rollups"): every
	 * day's delta, those before the chart's first day as one (-1). */
	[S_DASH_TREND] =
		"SELECT severity, CASE WHEN day < $1::bigint THEN -1 ELSE day - $1::bigint END, sum(n)"
		" FROM dash_trend GROUP BY 1, 2 HAVING sum(n) <> 0",
	/* The whole hours from the rollup, then the whole minutes before
	 * them, then the part minute at the start from the scans completed in
	 * it (scans_finished_status), counting each one's rows of
	 * scan_changes by its index (scan_changes_scan) in a correlated
	 * subquery, which no planner turns into a hash join over the whole of
	 * scan_changes (PostgreSQL did, with a join). */
	[S_DASH_CHANGES] =
		"SELECT ty, sum(n) FROM (SELECT change_type AS ty, n FROM dash_changes"
		" WHERE span = 3600000 AND bucket >= $2::bigint UNION ALL SELECT change_type, n"
		" FROM dash_changes WHERE span = 60000 AND bucket >= $3::bigint"
		" AND bucket < $2::bigint * 60" DASH_EDGE("new") DASH_EDGE("gone") DASH_EDGE("changed")
		") x GROUP BY ty",
	[S_DASH_CHANGES_DROP] =
		"DELETE FROM dash_changes WHERE (span = 60000 AND bucket < $1::bigint / 60000)"
		" OR (span = 3600000 AND bucket < $1::bigint / 3600000)",
	/* Newest first by the primary key, stopping at `limit` rows: the
	 * state test is kept off every index (`|| ''`), or a planner would
	 * read every open state through one and sort them. */
	[S_DASH_NEWEST] =
		"SELECT " DB_FSTATE_COLS("NOW_MS($2)") " FROM finding_states fs"
		" JOIN finding_baselines fb ON fb.id = fs.baseline_id"
		" WHERE fs.state || '' IN ('open', 'reopened') ORDER BY fs.id DESC LIMIT $1::int",
	[S_WNAME_RENEW] =
		"UPDATE worker_names SET expires_at = NOW_MS($2) + $3::bigint WHERE holder = $1::text",
	[S_WNAME_DROP] = "DELETE FROM worker_names WHERE holder = $1::text",
	[S_WINDOW_INSERT] =
		"INSERT INTO windows (name, cron, tz, duration_ms, pool, targets, running, opens_at,"
		" closes_at, created_at, created_by) VALUES ($1::text, $2::text, $3::text,"
		" $4::bigint, $5::text, $6::text, $7::text, $8::bigint, $9::bigint, $10::bigint,"
		" $11::text) ON CONFLICT (name) DO NOTHING RETURNING id",
	[S_WINDOW_RANGE] =
		"INSERT INTO window_ranges (window_id, lo, hi) VALUES ($1::bigint, $2::text, $3::text)",
	[S_WINDOW_DELETE] = "DELETE FROM windows WHERE name = $1::text",
	[S_WINDOW_LIST] = "SELECT " DB_WINDOW_COLS " FROM windows ORDER BY name LIMIT $1::int",
	[S_WINDOW_REPLAN] =
		"UPDATE windows SET opens_at = $3::bigint, closes_at = $4::bigint"
		" WHERE id = $1::bigint AND closes_at = $2::bigint",
	[S_WINDOW_HANDED] =
		"UPDATE windows SET handed_at = $2::bigint WHERE id = $1::bigint"
		" AND handed_at <> $2::bigint",
	[S_WINDOW_RUNNING] =
		"SELECT id, attempt FROM scans WHERE status = 'running' AND worker_id IS NOT NULL"
		" AND EXISTS (SELECT 1 FROM windows w WHERE w.id = $1::bigint AND "
		DB_WINDOW_HOLDS("w") ") ORDER BY id LIMIT $2::int",
	/* ---- the leases of running scans (migration 26) ---- */
	[S_LEASE_INSERT] =
		"INSERT INTO leases (scan_id, attempt, worker_id, lease_expires_at, progress)"
		" VALUES ($1::bigint, $2::int, $3::text, NOW_MS($4) + $5::bigint, 0)",
	[S_LEASE_DROP] = "DELETE FROM leases WHERE scan_id = $1::bigint",
};
