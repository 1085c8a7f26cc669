/*
 * sql.h — the SQL text that is the same in both dialects, written once
 * (sql.c), and how a dialect renders it at prepare time.
 *
 * A statement of enum db_stmt (db.h) has its text in the dialect's table
 * when the dialects differ, and in sql_common[] when they do not; never in
 * both.  A common text is written in PostgreSQL's placeholder style with
 * two additions, and each dialect renders it once per process (sql_table()):
 *
 *   $N          parameter N (1-based, in db.h's order): `?N` for SQLite
 *               (a numbered parameter; SQLite would read `$N` as a named
 *               one, numbered by order of first appearance), `$N` for
 *               PostgreSQL;
 *   $N::type    the same with PostgreSQL's cast, which SQLite drops;
 *   NOW_MS($N)  the time: parameter N on SQLite (the host's clock, passed
 *               by the core), `scanq_now_ms()` on PostgreSQL (the
 *               database's clock; the parameter is ignored, db.h's rule).
 *   INDEXED BY name
 *               SQLite's index hint (its planner needs it where several
 *               indexes could serve), which PostgreSQL drops together with
 *               the space before it.
 *
 * Nothing inside a single-quoted SQL string is rewritten ('$.path' stays).
 */
#ifndef SCANQ_STORE_SQL_H
#define SCANQ_STORE_SQL_H

#include <stddef.h>
#include "store/db.h"

/* The statements both dialects run as they are; NULL where they differ. */
extern const char *const sql_common[DB_STMT_COUNT];

/* How a dialect writes what a common text leaves open. */
struct sql_style {
	char param;		/* '?' (SQLite) or '$' (PostgreSQL) */
	int casts;		/* keep `::type` after a parameter */
	const char *clock;	/* NOW_MS($N) becomes this; NULL: the parameter */
	int hints;		/* keep ` INDEXED BY name` */
};

/*
 * Fills out[DB_STMT_COUNT] for a dialect whose own table is `own`: its own
 * text, else the common text rendered in style st, else NULL (a statement
 * the dialect does not need).  The rendered texts are malloc'd and kept
 * for the life of the process: a dialect fills its table once, when its
 * first store is opened.  Returns 0, or -1 when out of memory (then out is
 * only partly filled and must not be used).
 */
int sql_table(const char *const *own, const struct sql_style *st, const char **out);

/*
 * Renders common text `in` in style st: a malloc'd string (the caller
 * frees it), or NULL when out of memory.  The result is never longer than
 * strlen(in) plus what the clock adds: its length is counted first.
 */
char *sql_render(const char *in, const struct sql_style *st);

/*
 * Migration text that is the same in both dialects, written once: whole
 * statements (indexes, counters, columns whose type is alike) that each
 * dialect's migration table (sqlite/schema.c, pg/schema.c) puts between its
 * own.  A migration's text stays what it was, byte for byte: these only
 * name its pieces.  Tables whose column types or identity differ stay in
 * the dialects.
 */
/* Migration 1: the scans table's indexes. */
#define SQL_M1_SCAN_INDEXES \
	"CREATE INDEX scans_claim ON scans(priority DESC, id) WHERE status = 'pending';" \
	"CREATE INDEX scans_pending_age ON scans(created_at) WHERE status = 'pending';" \
	"CREATE INDEX scans_lease ON scans(lease_expires_at) WHERE status = 'running';" \
	"CREATE INDEX scans_running_worker ON scans(worker_id) WHERE status = 'running';" \
	"CREATE INDEX scans_status_id ON scans(status, id);" \
	"CREATE INDEX scans_type_id ON scans(type, id);"
/* Migration 1: the scan_events table's indexes. */
#define SQL_M1_EVENT_INDEXES \
	"CREATE INDEX scan_events_scan ON scan_events(scan_id, id);" \
	"CREATE INDEX scan_events_at ON scan_events(at);"
/* Migration 1: the counters, each at 0. */
#define SQL_M1_COUNTERS \
	"INSERT INTO counters(name, value) VALUES ('submitted', 0), ('claims', 0)," \
	" ('completed', 0), ('failed', 0), ('cancelled', 0), ('retries', 0)," \
	" ('lease_recoveries', 0), ('fenced_writes', 0);"
/* Migration 4: indexes for the stuck report and pruning. */
#define SQL_M4 \
	"CREATE INDEX scans_pending_due ON scans(run_after) WHERE status = 'pending';" \
	"CREATE INDEX scans_finished ON scans(finished_at) WHERE finished_at IS NOT NULL;"
/* Migration 6: an index for the last minute's finished scans. */
#define SQL_M6 \
	"CREATE INDEX scan_events_finished ON scan_events(at)" \
	" WHERE to_status IN ('completed', 'failed', 'cancelled');"
/* Migration 7: the duration histogram's counters, each at 0. */
#define SQL_M7_COUNTERS \
	"INSERT INTO counters(name, value) VALUES ('scan_duration_count', 0)," \
	" ('scan_duration_sum_ms', 0), ('scan_duration_b0', 0), ('scan_duration_b1', 0), ('scan_duration_b2', 0), ('scan_duration_b3', 0), ('scan_duration_b4', 0), ('scan_duration_b5', 0), ('scan_duration_b6', 0), ('scan_duration_b7', 0), ('scan_duration_b8', 0), ('scan_duration_b9', 0), ('scan_duration_b10', 0), ('scan_duration_b11', 0);"
/* Migration 11: a scan's flow, why its chain ended, and its children's index. */
#define SQL_M11_FLOW \
	"ALTER TABLE scans ADD COLUMN flow INTEGER NOT NULL DEFAULT 0;" \
	"ALTER TABLE scans ADD COLUMN flow_note TEXT;" \
	"CREATE INDEX scans_parent ON scans(parent_id) WHERE parent_id IS NOT NULL;"
/* Migration 12: the webhook deliveries' indexes. */
#define SQL_M12_DELIVERY_INDEXES \
	"CREATE INDEX webhook_deliveries_due ON webhook_deliveries(run_after) WHERE status = 'pending';" \
	"CREATE INDEX webhook_deliveries_lease ON webhook_deliveries(lease_expires_at)" \
	" WHERE status = 'sending';" \
	"CREATE INDEX webhook_deliveries_hook ON webhook_deliveries(webhook_id, id);"
/* Migration 12: the change and webhook counters, each at 0. */
#define SQL_M12_COUNTERS \
	"INSERT INTO counters(name, value) VALUES ('changes_new', 0), ('changes_gone', 0)," \
	" ('changes_changed', 0), ('webhook_delivered', 0), ('webhook_retried', 0)," \
	" ('webhook_failed', 0);"
/* Migration 13: the audit trail's index and pruning's by status. */
#define SQL_M13_INDEXES \
	"CREATE INDEX audit_at ON audit(at);" \
	"CREATE INDEX scans_finished_status ON scans(status, finished_at)" \
	" WHERE finished_at IS NOT NULL;"
/* Migration 14: a scan's request hash and the index of its schedule's scans. */
#define SQL_M14_REQUEST \
	"ALTER TABLE scans ADD COLUMN request_hash TEXT;" \
	"CREATE INDEX scans_schedule ON scans(schedule_id, id) WHERE schedule_id IS NOT NULL;"
/* Migration 15: a counter of scans handed back from dead workers. */
#define SQL_M15 "INSERT INTO counters(name, value) VALUES ('worker_handbacks', 0);"
/* Migration 16: scans and schedules belong to a pool; the claim index leads with it. */
#define SQL_M16_POOLS \
	"ALTER TABLE scans ADD COLUMN pool TEXT NOT NULL DEFAULT 'local';" \
	"ALTER TABLE schedules ADD COLUMN pool TEXT NOT NULL DEFAULT 'local';" \
	"DROP INDEX scans_claim;" \
	"CREATE INDEX scans_claim ON scans(pool, priority DESC, id) WHERE status = 'pending';"
/* Migration 16: what the registry knows of an agent. */
#define SQL_M16_WORKERS \
	"ALTER TABLE workers ADD COLUMN kind TEXT NOT NULL DEFAULT 'worker';" \
	"ALTER TABLE workers ADD COLUMN pool TEXT NOT NULL DEFAULT 'local';" \
	"ALTER TABLE workers ADD COLUMN version TEXT;" \
	"ALTER TABLE workers ADD COLUMN address TEXT;"
/* Migration 17: the finding states' indexes. */
#define SQL_M17_INDEXES \
	"CREATE INDEX finding_states_state ON finding_states(baseline_id, state);" \
	"CREATE INDEX finding_states_expiry ON finding_states(expires_at)" \
	" WHERE state = 'accepted';"
/* Migration 18: an index of the findings that name hosts. */
#define SQL_M18 \
	"CREATE INDEX findings_names ON findings(kind, scan_id)" \
	" WHERE kind IN ('http', 'host', 'dns_ptr');"
/* Migration 22: an index of finding states for the dashboard. */
#define SQL_M22 \
	"CREATE INDEX finding_states_dashboard ON finding_states(state, updated_at, first_seen, severity);"
/* Migration 26, after each dialect's CREATE TABLE leases: running scans'
 * leases (attempt, worker, expiry: the fence) move into it, and the
 * column and the two indexes that only served leases go. */
#define SQL_M26_MOVE \
	"CREATE INDEX leases_worker ON leases(worker_id);" \
	"INSERT INTO leases (scan_id, attempt, worker_id, lease_expires_at, progress)" \
	" SELECT id, attempt, worker_id, lease_expires_at, progress FROM scans" \
	" WHERE status = 'running' AND worker_id IS NOT NULL AND lease_expires_at IS NOT NULL" \
	" AND (flow & 2) = 0;" \
	"DROP INDEX scans_lease;" \
	"DROP INDEX scans_running_worker;" \
	"ALTER TABLE scans DROP COLUMN lease_expires_at;"

#endif
