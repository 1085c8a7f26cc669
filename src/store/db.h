/*
 * db.h — the line between the store core and its two SQL dialects.
 *
 * Only src/store/ includes this.  The core (the .c files of src/store/) holds every
 * operation of store.h exactly once: which rows change, which state the
 * state machine allows, the failure action, the backoff, the timeline
 * event, the counters, the fencing and the retry after a lost connection.
 * A dialect (src/store/sqlite/, src/store/pg/) holds only what differs
 * between databases: its schema and migrations, the SQL text of each
 * statement below, and a handful of primitives (transactions, running a
 * prepared statement, reading a row, the wake-up descriptor).
 * docs/STORE.md says why the line sits here.
 *
 * Statements are named by `enum db_stmt` and take the parameters listed
 * here in this order (a dialect whose clock is the database's own,
 * PostgreSQL, ignores the `now` parameters and reads its clock in SQL).
 * A statement that is the same in both dialects has its text once, in
 * sql.c; the others have one in each dialect's table.  A NULL text in
 * both means the dialect does not need that statement (SQLite has no
 * NOTIFY).
 */
#ifndef SCANQ_STORE_DB_H
#define SCANQ_STORE_DB_H

#include <stddef.h>
#include <stdint.h>
#include "store/store.h"

enum db_stmt {
	/* submit and read */
	S_KEY_LOOKUP,		/* key -> id */
	S_INSERT_SCAN,		/* type, targets, options, priority, max_attempts, time_limit_s,
				 * now, parent_id, flow, status ('pending' or 'running'), key,
				 * pool (NULL: the parent's, else 'local'), addr_lo, addr_hi
				 * (queue_span(); NULL: no address) -> id; no row when the key
				 * is taken (queue.c) */
	S_SUBMIT_BATCH,		/* requests JSON [{n, type, targets, options, priority,
				 * max_attempts, time_limit_s, key, hash, pool, lo, hi}], event
				 * reason -> n, id,
				 * inserted (0: its key was taken); writes the events, the
				 * counter and the wake-up too (or NULL: one row at a time) */
	S_EVENT,		/* scan_id, now, from, to, attempt, worker, reason */
	S_COUNT,		/* counter name, by */
	S_NOTIFY,		/* wakes the waiting workers at commit (or NULL) */
	S_GET,			/* id -> SCAN_COLS */
	S_LIST_ALL,		/* status, type, before_id, limit -> SCAN_COLS */
	S_LIST_STATUS,		/* (same parameters) */
	S_LIST_TYPE,
	S_LIST_BOTH,
	S_EVENTS,		/* scan_id, limit -> id, scan_id, at, from, to, attempt, worker, reason */
	S_EXISTS,		/* id -> 1 */
	S_FINDINGS,		/* scan_id, after_id, limit -> FINDING_COLS */
	/* the worker's side */
	S_CLAIM,		/* worker, now, lease_ms, max, pool -> SCAN_COLS (see DB_CLAIM_LOGS) */
	S_HEARTBEAT,		/* id, attempt, now, lease_ms, progress -> cancel_requested:
				 * renews the lease row of (id, attempt) and nothing else */
	S_COMPLETE,		/* id, attempt, now, summary -> worker (the lease: S_LEASE_DROP) */
	S_COMPLETE_BATCH,	/* completions JSON [{id, attempt, summary}], findings JSON
				 * [{scan_id, kind, target, port, proto, service, severity, title,
				 * detail}], event reason -> ids completed; writes the findings,
				 * the events and the counters too (or NULL: one row at a time) */
	S_FINDING_INSERT,	/* scan_id, kind, target, port, proto, service, severity, title,
				 * detail, now */
	S_RUNNING_ROW,		/* id, attempt -> used, max, cancel, worker (locks the row) */
	S_SET_PENDING,		/* id, attempt, now, delay_ms, forgive, code, message, detail
				 * (keeps the lease's progress; the lease: S_LEASE_DROP) */
	S_SET_FINAL,		/* id, attempt, to, now, code, message, detail, from (likewise) */
	S_EXPIRED,		/* now, limit -> id, attempt, used, max, cancel, worker: from
				 * the leases (locks the lease and the scan) */
	S_EXTEND_LEASES,	/* by_ms: every lease ends by_ms later */
	S_STATUS_OF,		/* id -> status, attempt, cancel (locks the row) */
	S_CANCEL_REQUEST,	/* id */
	S_RETRY,		/* id, now */
	/* reports */
	S_COUNTS,		/* -> type, status, n */
	S_OLDEST_PENDING,	/* now -> age_ms of the oldest due pending scan */
	S_OVERDUE_LEASE,	/* now -> ms the most overdue lease of a running scan is past */
	S_FINISHED_SINCE,	/* now -> finished in the last minute */
	S_WORKER_BEATS,		/* now -> heartbeat age_ms, running (workers not stopped) */
	S_COUNTERS,		/* -> name, value */
	S_PRUNE,		/* before_ms, batch -> deleted ids */
	S_PRUNE_COUNT,		/* before_ms -> count */
	/* the registry, tokens, leadership */
	S_WORKER_UPSERT,	/* id, name, host, pid, started_at, now, concurrency, pool */
	S_WORKER_BEAT,		/* id, now, done */
	S_WORKER_EXIT,		/* id, reason, now */
	S_WORKER_LIST,		/* -> id, name, host, pid, started, beat, conc, running, done, exit,
				 * stopped, kind, pool, version, address (running: counted from
				 * the scans it holds) */
	S_WORKER_RUNNING,	/* id -> scan id (up to 16) */
	S_WORKER_HELD,		/* id, limit -> id, attempt, used, max, cancel, lost_workers
				 * (running scans it holds; locks them) */
	S_HANDBACK,		/* id, attempt, now: running -> pending, attempt forgiven,
				 * lost_workers + 1 */
	S_WORKER_PRUNE,		/* now, keep_ms */
	S_TOKEN_GET,		/* id -> role, hash */
	S_TOKEN_ANY,		/* -> 0/1 */
	S_LEADER_TAKE,		/* holder, now, ttl_ms -> holder when this holder leads now */
	S_LEADER_DROP,		/* holder */
	S_WNAME_TAKE,		/* name, holder, now, ttl_ms -> holder when the holder has the
				 * worker name now (free, expired or already its own) */
	S_WNAME_RENEW,		/* holder, now, ttl_ms: every name it holds lives on */
	S_WNAME_DROP,		/* holder: gives its names up */
	/* schema */
	S_SCHEMA_PRESENT,	/* -> 1 when schema_migrations exists */
	S_SCHEMA_INIT,		/* creates schema_migrations if missing */
	S_SCHEMA_VERSION,	/* -> version (0 when the table is empty) */
	S_SCHEMA_LOCK,		/* serializes migrators inside a write transaction (or NULL) */
	S_SCHEMA_RECORD,	/* version, name, now */
	/* follow-up stages and shards (flow.c) */
	S_FLOW_ROW,		/* id -> parent_id, flow, type, options, priority, max_attempts,
				 * time_limit_s, cancel_requested, status (locks the row) */
	S_FLOW_HOSTS,		/* id, limit -> distinct targets of its (and its shards') host
				 * findings */
	S_FLOW_PORTS,		/* id, limit -> distinct target, port of its (and its shards')
				 * open_port findings, by target */
	S_FLOW_SHARDS,		/* parent -> id, status, error_code, progress, summary, by id */
	S_FLOW_FINISH,		/* id, now, summary: a running split parent -> completed */
	S_FLOW_SPLIT_END,	/* id, now, status, code, message: a running split parent ends */
	S_FLOW_PROGRESS,	/* id, progress */
	S_FLOW_NOTE,		/* id, note */
	S_FLOW_DESC_PENDING,	/* root, now -> id, attempt: pending descendants cancelled */
	S_FLOW_DESC_RUNNING,	/* root -> id, attempt: running descendants asked to cancel */
	S_FLOW_DESC_SPLIT,	/* root, now -> id, attempt: running split descendants cancelled */
	S_FLOW_TREE,		/* root, limit -> id, parent_id, type, status, flow, progress,
				 * findings, flow_note, error_message, targets (root and descendants) */
	S_FLOW_ROOT,		/* id -> the id of its chain's root */
	S_FLOW_FINDINGS,	/* scan_id, after_id, limit -> FINDING_COLS of it and its shards */
	S_FLOW_OF,		/* id -> flow, parent_id */
	S_FLOW_REOPEN,		/* id: a failed or cancelled split parent -> running */
	/* changes, webhooks, inventory */
	S_CHANGES_MARK,		/* scan_id -> baseline_id (NULL: the first of its baseline), the
				 * baseline's finding count, the webhook count, and for a
				 * follow-up stage its targets (NULL otherwise), 1 when the
				 * baseline has findings open (or with an expiry) in the
				 * lifecycle, else 0; records the scan under its baseline key */
	S_CHANGES_FINDINGS,	/* scan_id -> kind, target, port, proto, service, severity, title,
				 * detail (every finding; a split scan's: its shards') */
	S_CHANGES_STAGE_FINDINGS, /* baseline_id, targets (JSON array) -> the same columns, of
				 * baseline_id and the other scans of its stage in that run of
				 * the chain (same key, same parent), on those targets only */
	S_CHANGES_INSERT,	/* scan_id, baseline_id, change, kind, target, port, proto, ident,
				 * severity, title, before, after */
	S_CHANGES_COUNT,	/* scan_id, new, gone, changed */
	S_CHANGES_SUMMARY,	/* scan_id, summary */
	S_CHANGES_LIST,		/* scan_id, after_id, limit -> id, change, kind, target, port, proto,
				 * ident, severity, title, before, after, scan_id */
	S_CHANGES_OF,		/* scan_id -> baseline_id (0: none), new, gone, changed */
	S_CHAIN_STAGES,		/* root -> id, type, status, compared (0/1), baseline_id,
				 * new, gone, changed: root and its stages (not shards) below */
	S_CHAIN_CHANGES,	/* root, after_id, limit -> S_CHANGES_LIST's columns, scan_id:
				 * of root and its stages below */
	S_WEBHOOKS,		/* all (1: removed ones too) -> id, url, events, secret,
				 * min_severity, created_at, removed_at (NULL), removed_by */
	S_WEBHOOK_INSERT,	/* url, events, secret, min_severity, now -> id */
	S_WEBHOOK_REMOVE,	/* id, now, actor: marks it removed unless it is */
	S_WEBHOOK_GET,		/* id -> removed_at (NULL), removed_by */
	S_DELIVERY_STOP,	/* webhook_id, now: its pending deliveries failed */
	S_DELIVERY_INSERT,	/* uuid, webhook_id, event, scan_id, max_attempts, now, body -> id */
	S_DELIVERY_CLAIM,	/* worker, now, lease_ms, max -> id, uuid, webhook_id, attempt,
				 * max_attempts, created_at, event, body */
	S_DELIVERY_DONE,	/* id, attempt, status, now, delay_ms, code, error -> status
				 * (failed for a retry when the webhook was removed) */
	S_DELIVERY_ATTEMPT,	/* delivery_id, attempt, now, code, error, duration_ms */
	S_DELIVERY_LOG,		/* webhook_id (0: all), limit -> id, uuid, webhook_id, event,
				 * scan_id, status, attempt, at, code, error, duration_ms, created,
				 * the webhook's removed_at (NULL) */
	S_INVENTORY,		/* port (0: any), service (NULL: any), limit -> target, port, proto,
				 * service, first_seen, last_seen, first_scan, last_scan, still,
				 * and of the latest detection of the port (NULLs: none): its
				 * detail, scan id and finished_at */
	S_HOST_NAMES,		/* limit -> address, name, sources (text, ","), first_seen,
				 * last_seen, last_scan: the names completed scans learnt */
	/* operations: the stuck report and its repairs, reset,
	 * tokens that expire or are revoked, the audit trail, prune by status.
	 * Each S_SQ_* selects one stuck category: now, age_ms, limit, dead_ms
	 * (STORE_WORKER_DEAD_MS: a worker without a heartbeat for this long is
	 * not live), grace_ms (STUCK_OVERTIME_GRACE_MS) -> id, type, status,
	 * attempt, worker, since, detail (text) */
	S_SQ_LEASE,		/* running, lease expired */
	S_SQ_OVERTIME,		/* running past its hard time limit + grace_ms, lease still live */
	S_SQ_NO_WORKER,		/* pending, due for age_ms, no live worker */
	S_SQ_BACKLOG,		/* pending, due for age_ms, workers alive */
	S_SQ_NO_FINISH,		/* finished without finished_at */
	S_SQ_NO_LEASE,		/* running without worker or lease (not a split parent: it never has) */
	S_SQ_CANCEL_LEFT,	/* completed/failed with cancel_requested set */
	S_SQ_TIMELINE,		/* last event's to_status differs (detail: that status) */
	S_SQ_BUDGET,		/* attempt above the budget (detail: "N of M") */
	/* the short report's categories counted in all: the same parameters ->
	 * how many scans S_SQ_LEASE, S_SQ_NO_WORKER, S_SQ_BACKLOG match */
	S_SQ_LEASE_N,
	S_SQ_NO_WORKER_N,
	S_SQ_BACKLOG_N,
	S_LAST_EVENT,		/* scan_id -> to_status, at */
	S_FIX_FINISHED_AT,	/* id, at: sets finished_at */
	S_FIX_CANCEL_FLAG,	/* id: clears cancel_requested on a finished scan */
	S_RESET_RUNNING,	/* limit -> id, attempt, worker (running scans; locks them) */
	S_WORKERS_CLEAR,	/* deletes every worker registration */
	S_AUDIT_INSERT,		/* now, actor, action, scan_id, detail, client */
	S_AUDIT_LIST,		/* before_id, limit -> id, at, actor, action, scan_id, detail, client */
	S_TOKEN_INSERT_EXP,	/* name, role, hash, now, expires_at, pool -> id */
	S_TOKEN_CHECK,		/* id, now -> role, hash, name, state ('ok', 'revoked', 'expired'),
				 * pool ('' if none) */
	S_TOKEN_LIST,		/* -> id, name, role, created_at, expires_at, revoked_at, pool */
	S_TOKEN_REVOKE,		/* id, now (only a token not yet revoked) */
	S_PRUNE_STATUS,		/* before_ms, batch, status -> (deletes) */
	S_PRUNE_STATUS_COUNT,	/* before_ms, status -> count */
	S_FINISHED_HOUR,	/* now -> completed, failed in the last hour (timeline events that
				 * changed the status: not a repair's) */
	/* scheduled scans (src/store/schedule.c).  Their times are the
	 * scheduler's clock, passed as `now` on both dialects. */
	S_SCHED_INSERT,		/* name, cron, tz, overlap, type, targets, options, priority,
				 * max_attempts, time_limit_s, next_run_at, now, pool -> id; no row
				 * when the name is taken */
	S_SCHED_LIST,		/* -> SCHED_COLS, last scan id, its status, pool; by name */
	S_SCHED_BY_NAME,	/* name -> SCHED_COLS */
	S_SCHED_BY_ID,		/* id -> SCHED_COLS */
	S_SCHED_DUE,		/* now, limit -> SCHED_COLS (not paused, next_run_at <= now) */
	S_SCHED_LATE,		/* now, grace_ms -> SCHED_COLS (not paused, next_run_at < now - grace) */
	S_SCHED_ADVANCE,	/* id, old_next, new_next: the conditional update (locks the row) */
	S_SCHED_ACTIVE,		/* id -> 1 when a scan of it is pending or running */
	S_SCHED_MARK,		/* id, fired (0/1), skipped (0/1), now */
	S_SCHED_TAG,		/* scan_id, schedule_id */
	S_SCHED_PAUSE,		/* id, paused, next_run_at */
	S_SCHED_DELETE,		/* id */
	S_REQUEST_HASH_SET,	/* scan_id, hash (idempotency: the normalised request) */
	S_REQUEST_HASH_GET,	/* key -> id, hash */
	S_FINISHED_WINDOW,	/* now, window_ms -> finished in the last window_ms */
	S_LIST_TARGET,		/* status, type (NULL: any), before_id, limit, target (a
				 * substring of the targets) -> SCAN_COLS */
	/* the lifecycle of findings per baseline (finding_states.c, triage.c) */
	S_FSTATE_BASELINE,	/* scan_id, now -> id of the scan's baseline (made when new) */
	S_FSTATE_SEEN,		/* baseline_id, fingerprint, kind, target, port, proto, severity,
				 * title, cve, scan_id, now -> state after this sighting */
	S_FSTATE_FIX,		/* baseline_id, scan_id, now, targets (JSON array; NULL: all)
				 * -> (changes): open ones this scan lacks become fixed */
	S_FSTATE_EXPIRE,	/* now -> (changes): expired acceptances become reopened */
	S_FSTATE_LIST,		/* state, severity, baseline_id, schedule_id (0: any), after_id,
				 * limit, now -> DB_FSTATE_COLS */
	S_FSTATE_FIND,		/* fingerprint, baseline_id (0: any), now -> DB_FSTATE_COLS */
	S_FSTATE_TRIAGE,	/* id, state, reason, actor, expires_at, now */
	S_FSTATE_LATEST,	/* baseline_id -> the newest scan recorded under its key */
	S_FSTATE_OF_SCHEDULE,	/* schedule_id -> its lifecycle baseline id; no row: none yet */
	S_FSTATE_BASELINE_OF,	/* scan_id -> the lifecycle baseline id of the scan (of its
				 * split parent for a shard); no row: none */
	/* scan agents (agent.c) */
	S_AGENT_ROW,		/* id -> status, attempt, pool, worker ('' if none), flow
				 * (locks the row) */
	S_AGENT_REVIVE,		/* id, attempt, now, worker: the late rule, a pending scan of
				 * that attempt -> running again for its agent (its lease:
				 * S_LEASE_INSERT) */
	S_AGENT_LAST_EVENT,	/* scan_id -> attempt, from ('' for new), to, worker, reason of its
				 * newest timeline event */
	S_AGENT_SEEN,		/* id, name, address, now, pool, version, concurrency (0: keep):
				 * registers or refreshes an agent in the registry */
	S_POOL_STATUS,		/* now, dead_ms, limit -> pool, pending, running, live agents,
				 * live workers and agents (pools with pending or running scans
				 * or a registry row), by pool */
	S_SQ_NO_AGENT,		/* the stuck report's no_agent: pending in a pool other than
				 * local, due for age_ms, nobody live of its pool (detail: the
				 * pool); parameters as the other S_SQ_* */
	/* the global exclusion list (store/exclusions.c) */
	S_EXCL_INSERT,		/* entry, reason, now, actor; no row when the entry exists */
	S_EXCL_DELETE,		/* entry */
	S_EXCL_LIST,		/* limit -> entry, reason, created_at, created_by, by entry */
	S_EXCL_COUNT,		/* -> count */
	/* rate caps per network and their budgets (store/ratecaps.c) */
	S_RATECAP_SET,		/* network, probes, now, actor; inserts or replaces */
	S_RATECAP_DELETE,	/* network */
	S_RATECAP_LIST,		/* limit -> network, probes, created_at, created_by, by network */
	S_RATECAP_COUNT,	/* -> count */
	S_RATE_TAKE,		/* network, cap, want, now -> granted, window_s, ms left in it */
	S_RATE_PRUNE,		/* now: windows older than a minute */
	/* pauses (store/pause.c) */
	S_PAUSE_INSERT,		/* kind, value, now, reason, actor; no row when already paused */
	S_PAUSE_DELETE,		/* kind, value */
	S_PAUSE_DELETE_ALL,	/* (every pause) */
	S_PAUSE_LIST,		/* limit -> kind, value, schedule name, since, reason, actor */
	S_PAUSE_RUNNING,	/* kind, value, limit -> id, attempt (running scans it holds) */
	/* one statement per batch (or NULL: the core runs the one-row statements) */
	S_COMPLETE_CLAIM,	/* S_COMPLETE_BATCH's parameters, then S_CLAIM's worker, lease_ms,
				 * max, pool: completes the batch and claims the next in one
				 * statement, the clock read once -> SCAN_COLS of each claimed
				 * scan (all NULL when none was claimed: always one row at
				 * least), then the ids completed, comma-separated text */
	S_CHANGES_MARK_BATCH,	/* scan ids (array) -> scan_id, then S_CHANGES_MARK's columns,
				 * then the key; the rows of one key marked in id order, each
				 * with the one before it in the batch as a possible baseline */
	/* the dashboard (store/dashboard.c) */
	S_DASH_TREND,		/* first day (ms / 86,400,000) -> severity, day - first day
				 * (-1: every day before it), the sum of dash_trend's deltas */
	S_DASH_CHANGES,		/* since (ms), the first whole hour and the first whole
				 * minute at or after it (ms / 3,600,000, ms / 60,000)
				 * -> change type, count over the scans completed since */
	S_DASH_NEWEST,		/* limit, now -> DB_FSTATE_COLS of the newest open or
				 * reopened finding states, newest first */
	S_DASH_FOLD,		/* day: dash_trend's deltas of the days before it become one
				 * row per severity (day 0, shard 0); deletes them too where
				 * S_DASH_FOLD_DROP is NULL */
	S_DASH_FOLD_DROP,	/* day: deletes the deltas S_DASH_FOLD summed (or NULL) */
	S_DASH_CHANGES_DROP,	/* ms: deletes dash_changes' minutes and hours before it */
	/* maintenance windows (store/windows.c) */
	S_WINDOW_INSERT,	/* name, cron, tz, duration_ms, pool, targets, running, opens_at,
				 * closes_at, now, actor -> id; no row when the name is taken */
	S_WINDOW_RANGE,		/* window_id, lo, hi (32 hex digits each) */
	S_WINDOW_DELETE,	/* name (its ranges go with it) */
	S_WINDOW_LIST,		/* limit -> DB_WINDOW_COLS, by name */
	S_WINDOW_REPLAN,	/* id, old closes_at, opens_at, closes_at: the next occurrence */
	S_WINDOW_HANDED,	/* id, opens_at: marks the occurrence's hand-back as done; no
				 * change when it was already */
	S_WINDOW_RUNNING,	/* window_id, limit -> id, attempt (running scans it holds) */
	S_WINDOW_LOCK,		/* serializes window adds inside a write transaction (or NULL) */
	/* the leases of running scans (claim.c, lease.c, lifecycle.c) */
	S_LEASE_INSERT,		/* scan_id, attempt, worker, now, lease_ms: a claimed scan's lease */
	S_LEASE_DROP,		/* scan_id: its lease, when its attempt ended */
	DB_STMT_COUNT
};

/* The columns of S_FSTATE_LIST and S_FSTATE_FIND (finding_states fs joined
 * with finding_baselines fb): an accepted finding past its expiry reads as
 * reopened whether or not maintenance has moved it yet. */
#define DB_FSTATE_STATE(NOW) "CASE WHEN fs.state = 'accepted' AND fs.expires_at <= " NOW \
	" THEN 'reopened' ELSE fs.state END"
#define DB_FSTATE_COLS(NOW) "fs.id, fs.baseline_id, fs.fingerprint, " DB_FSTATE_STATE(NOW) "," \
	" fs.kind, fs.target, fs.port, coalesce(fs.proto, ''), fs.severity, fs.title, fs.cve," \
	" fs.first_seen, fs.last_seen, fs.times_seen, fs.first_scan_id, fs.last_scan_id," \
	" fs.reason, fs.actor, coalesce(fs.expires_at, 0), coalesce(fb.schedule_id, 0)," \
	" (SELECT name FROM schedules WHERE id = fb.schedule_id)"

#include "store/dash_sql.h"

/*
 * The claim's pause filter (store/pause.c), the same text in both
 * dialects' S_CLAIM: no scan is claimed while `all` is paused, nor one of
 * a paused type, schedule or pool.  The `all` test does not depend on the row,
 * so a paused queue costs one lookup, not one per pending scan.
 */
#define DB_CLAIM_NOT_PAUSED \
	" AND NOT EXISTS (SELECT 1 FROM pauses WHERE kind = 'all')" \
	" AND NOT EXISTS (SELECT 1 FROM pauses p WHERE (p.kind = 'type' AND p.value = scans.type)" \
	"  OR (p.kind = 'schedule' AND p.value = CAST(scans.schedule_id AS TEXT))" \
	"  OR (p.kind = 'pool' AND p.value = scans.pool))"

/*
 * Does window W (an alias of `windows`) hold the row of `scans` at hand?
 * Its pool ('' for every pool) and, when it names targets, one of its
 * address ranges meets the span of the scan's addresses (a scan with no
 * address, only hostnames, has no span and is held by pool only).
 */
#define DB_WINDOW_HOLDS(W) "(" W ".pool = '' OR " W ".pool = scans.pool) AND (" W ".targets = ''" \
	" OR EXISTS (SELECT 1 FROM window_ranges r WHERE r.window_id = " W ".id" \
	" AND r.lo <= scans.addr_hi AND scans.addr_lo <= r.hi))"

/*
 * The one rule of what the claim may take, the same text in both dialects'
 * S_CLAIM (NOW is the dialect's clock): not paused (DB_CLAIM_NOT_PAUSED)
 * and held by no maintenance window open now (store/windows.c).
 */
#define DB_CLAIMABLE(NOW) DB_CLAIM_NOT_PAUSED \
	" AND NOT EXISTS (SELECT 1 FROM windows w WHERE w.opens_at <= " NOW " AND " NOW \
	" < w.closes_at AND " DB_WINDOW_HOLDS("w") ")"

/* The columns of S_WINDOW_LIST. */
#define DB_WINDOW_COLS "id, name, cron, tz, duration_ms, pool, targets, running, opens_at," \
	" closes_at, handed_at, created_at, created_by"

/*
 * The columns of S_GET, S_LIST_*, S_CLAIM, in this order (DB_SCAN_NCOLS),
 * over a row of `scans`.  A running scan's lease and live progress are in
 * its row of `leases` (migration 26): LEASE and PROGRESS are read from it
 * (DB_SCAN_COLS), or, in a claim's RETURNING where the lease is written by
 * the same statement, given (DB_SCAN_COLS_CLAIMED).
 */
#define DB_SCAN_NCOLS 27
#define DB_SCAN_COLS_WITH(LEASE, PROGRESS) "id, type, targets, options, status, priority," \
	" attempt, max_attempts, time_limit_s, run_after, created_at, claimed_at, finished_at, " \
	LEASE " AS lease_expires_at, worker_id, cancel_requested, " PROGRESS " AS progress," \
	" error_code, error_message, error_detail, summary, idempotency_key," \
	" coalesce(parent_id, 0), flow, attempt - attempt_base, schedule_id, pool"
#define DB_SCAN_COLS DB_SCAN_COLS_WITH( \
	"(SELECT l.lease_expires_at FROM leases l WHERE l.scan_id = scans.id)", \
	"coalesce((SELECT l.progress FROM leases l WHERE l.scan_id = scans.id), progress)")
#define DB_SCAN_COLS_CLAIMED(LEASE_MS) DB_SCAN_COLS_WITH("claimed_at + " LEASE_MS, "progress")

/*
 * The baseline key of a scan (S_CHANGES_MARK; docs/WORKFLOWS.md), over a
 * row of scans; NL is the dialect's newline (char(10), chr(10)).  Its
 * schedule; for a follow-up stage, its parent's key and its type (the
 * stage's targets come from its run's results; a stage whose parent was
 * completed before stages had keys falls back to the request); else the
 * request: type, targets and options as stored.
 */
#define DB_CHANGES_KEY(NL) "CASE WHEN schedule_id IS NOT NULL THEN 'schedule:' || schedule_id" \
	" ELSE coalesce(CASE WHEN parent_id IS NOT NULL THEN 'stage:' || (SELECT p.key" \
	" FROM scan_baselines p WHERE p.scan_id = scans.parent_id) || " NL " || type END," \
	" type || " NL " || targets || " NL " || options) END"

/*
 * The scans of a chain read as one result (S_CHAIN_STAGES, S_CHAIN_CHANGES):
 * a CTE chain(id) of scan ROOT (the dialect's placeholder) and every
 * follow-up stage below it, leaving shards out (their parent holds their
 * changes).
 */
#define DB_CHAIN_CTE(ROOT) "WITH RECURSIVE chain(id) AS (SELECT " ROOT " UNION ALL" \
	" SELECT s.id FROM scans s JOIN chain c ON s.parent_id = c.id WHERE (s.flow & 4) = 0)"

/* The columns of S_SCHED_LIST, S_SCHED_BY_*, S_SCHED_DUE, S_SCHED_LATE. */
#define DB_SCHED_COLS "id, name, cron, tz, overlap, type, targets, options, priority," \
	" max_attempts, time_limit_s, paused, next_run_at, created_at, last_fired_at," \
	" last_skipped_at, fired, skipped"

#define DB_FINDING_COLS "id, scan_id, kind, target, port, proto, service, severity, title," \
	" detail, created_at"

/* ---- parameters ---------------------------------------------------------- */

#define DB_ARGS_MAX 24

struct db_arg {
	char type;			/* 'n' NULL, 'i' integer, 'f' real, 's' text,
					 * 'I' array of integers, 'T' array of texts */
	int64_t i;
	double f;
	const char *s;			/* borrowed: must live until the statement ran */
	const int64_t *ia;		/* 'I': na integers, borrowed likewise */
	const char *const *ta;		/* 'T': na texts (NULL elements are SQL NULL) */
	size_t na;
};

struct db_args {
	struct db_arg v[DB_ARGS_MAX];
	int n;
};

void db_i64(struct db_args *a, int64_t v);
void db_f64(struct db_args *a, double v);
void db_text(struct db_args *a, const char *v);	/* NULL -> SQL NULL */
void db_null(struct db_args *a);
/* Arrays, for the batch statements only a dialect with array types has
 * (their texts are NULL in a dialect without: SQLite). */
void db_i64s(struct db_args *a, const int64_t *v, size_t n);
void db_texts(struct db_args *a, const char *const *v, size_t n);

/* ---- the dialect ----------------------------------------------------------- */

/* A statement being read.  Filled by query(); read with next() and the column
 * getters; always end it with db_done(). */
struct db_cur {
	struct store *s;
	void *h;			/* the dialect's statement or result */
	int row;			/* the dialect's cursor position */
	int state;
	int64_t changes;		/* rows the statement changed */
};

struct db_migration {
	int version;
	const char *name;
	const char *sql;		/* one or more statements */
};

/* What a dialect's batch statements already do by themselves. */
#define DB_CLAIM_LOGS 0x1		/* S_CLAIM writes the leases, the claim events and
					 * the counter */

struct dialect {
	const char *name;		/* "sqlite" or "postgres": for messages only */
	const char *const *sql;		/* DB_STMT_COUNT texts: its own and sql.c's */
	const struct db_migration *migrations;	/* oldest first, ends with { 0 } */
	unsigned caps;

	void (*close)(struct store *s);
	/* Transactions.  A write transaction takes the write lock at once (SQLite's
	 * BEGIN IMMEDIATE).  Return a store rc. */
	int (*begin)(struct store *s, int write);
	int (*commit)(struct store *s);
	void (*rollback)(struct store *s);	/* keeps the first error message */
	/* Runs statement `id`; rows are read with next().  Returns a store rc. */
	int (*query)(struct store *s, enum db_stmt id, const struct db_args *a, struct db_cur *c);
	int (*next)(struct db_cur *c);		/* 1: a row, 0: no more, < 0: a store rc */
	int64_t (*col_i64)(struct db_cur *c, int col);
	double (*col_f64)(struct db_cur *c, int col);
	const char *(*col_text)(struct db_cur *c, int col);	/* NULL for SQL NULL */
	void (*done)(struct db_cur *c);
	/* Runs a multi-statement script (migrations) in the open transaction. */
	int (*script)(struct store *s, const char *sql, const char *what);
	/* Re-opens a lost connection (NULL: the dialect never loses one).
	 * Returns STORE_OK or STORE_ERROR. */
	int (*reconnect)(struct store *s);
	/* Runs outside a transaction after a full disk was relieved, before
	 * the process claims again: gives back what the outage left behind
	 * (SQLite: checkpoints and truncates the WAL).  NULL: nothing to do. */
	int (*space_back)(struct store *s);
	/* A wake-up source for this database (see store_wakeup_new()). */
	struct store_wakeup *(*wakeup_new)(struct store *s);
};

/* The handle every dialect embeds as its first member. */
struct store {
	const struct dialect *d;
	char err[512];
	int disconnected;		/* the last error was a lost connection */
	int commit_unknown;		/* ... and it was lost during COMMIT */
	int full;			/* the last error was a full disk */
	int conflict;			/* ... a deadlock or serialization failure: the
					 * transaction was rolled back, run it again */
	int tried_connect;		/* this call already made a connection attempt */
	int in_tx;			/* a transaction is open (db_begin .. commit/rollback) */
	int on_demand;			/* STORE_ON_DEMAND: never held back by the outage gate */
	int64_t last_ok_ms;		/* monotonic time of the last call that reached the db */
	int64_t failing_since_ms;	/* first failed call since then, 0 if none */
	int64_t outage_ms;		/* the last outage seen and not yet made up for */
};

/* A wake-up source (store.h): a dialect's own, behind these three calls. */
struct store_wakeup {
	const char *kind;			/* "inotify", "listen" */
	int (*fd)(struct store_wakeup *w);	/* may reconnect a lost source */
	int (*drain)(struct store_wakeup *w);
	void (*free)(struct store_wakeup *w);
};

/* ---- primitives the core uses (db.c) ----------------------------------------- */

/* Whether the process is in an outage (store.h) right now. */
int db_outage_active(void);

/* Sets the handle's error message (printf-style).  Returns STORE_ERROR. */
int store_set_error(struct store *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Runs `id` and reads nothing but the count of changed rows (may be NULL). */
int db_run(struct store *s, enum db_stmt id, const struct db_args *a, int64_t *changes);

/* Runs `id`, which returns one integer in one row; *v gets it (0 without a row).
 * Returns STORE_OK, STORE_NOT_FOUND (no row) or an error. */
int db_int(struct store *s, enum db_stmt id, const struct db_args *a, int64_t *v);

int db_query(struct store *s, enum db_stmt id, const struct db_args *a, struct db_cur *c);
int db_next(struct db_cur *c);
int64_t db_col_i64(struct db_cur *c, int col);
double db_col_f64(struct db_cur *c, int col);
const char *db_col_text(struct db_cur *c, int col);
char *db_col_dup(struct db_cur *c, int col);		/* malloc'd copy or NULL */
void db_col_copy(struct db_cur *c, int col, char *dst, size_t len);
void db_done(struct db_cur *c);

/*
 * How a row's columns land in a struct, written once per row type (a
 * table of struct db_field, column i as entry i): the field's kind and
 * offset, and for text kept in an array its size.  DB_SKIP passes over a
 * column the caller reads itself.
 */
enum db_field_kind { DB_F_SKIP, DB_F_I64, DB_F_INT, DB_F_LONG, DB_F_F64, DB_F_COPY, DB_F_DUP };
struct db_field {
	enum db_field_kind kind;
	size_t off;
	size_t size;			/* DB_F_COPY: the array's size */
};
#define DB_I64(T, m) { DB_F_I64, offsetof(T, m), 0 }		/* int64_t */
#define DB_INT(T, m) { DB_F_INT, offsetof(T, m), 0 }		/* int */
#define DB_LONG(T, m) { DB_F_LONG, offsetof(T, m), 0 }		/* long */
#define DB_F64(T, m) { DB_F_F64, offsetof(T, m), 0 }		/* double */
#define DB_COPY(T, m) { DB_F_COPY, offsetof(T, m), sizeof(((T *)0)->m) }	/* char[] */
#define DB_DUP(T, m) { DB_F_DUP, offsetof(T, m), 0 }		/* char *, malloc'd or NULL */
#define DB_SKIP { DB_F_SKIP, 0, 0 }

/* Reads columns 0..n-1 of the current row into the struct at dst as
 * fields[0..n-1] say (db_col_i64(), db_col_copy(), db_col_dup()...). */
void db_row_read(struct db_cur *c, const struct db_field *fields, size_t n, void *dst);

int db_begin(struct store *s, int write);
int db_commit(struct store *s);
void db_rollback(struct store *s);

/* Reads a DB_SCAN_COLS row into *out. */
void db_read_scan(struct db_cur *c, struct scan *out);

/* ---- the failure path of a running attempt (lifecycle.c) -------------------------------- */

/*
 * Every path that ends a running attempt badly — store_fail(), lease
 * recovery, a dead worker's scans, stuck clear — goes through these, so
 * the decision, the state machine's check, the row, the scan.failed
 * deliveries, a shard's parent (flow_ended()), the timeline event and the
 * counters are written once.
 */

/* The running row of an attempt, as the failure path reads it. */
struct lifecycle_row {
	int used, max, cancel;		/* attempts used of the budget, cancel requested */
	char worker[SCAN_WORKER_MAX];
};

/* A batch of completions inside the caller's write transaction, and what
 * completing them also does (follow-up stages, split parents, changes,
 * webhook deliveries): the one completion path.  Each c[i].rc gets
 * STORE_OK or STORE_LOST.  Returns a store rc (the caller rolls back). */
int lifecycle_complete_in_tx(struct store *s, struct store_completion *c, size_t n);

/* Running (id, attempt), row r, -> cancelled (a cancel carried out, or
 * hand_back with a cancel requested: timeline cancel_reason) or -> pending
 * with the attempt given back (hand_back: timeline `reason`, NULL "handed
 * back"), inside the caller's write transaction.  Returns a store rc. */
int lifecycle_cancel_or_hand_back(struct store *s, int64_t id, int attempt,
				  const struct lifecycle_row *r, int hand_back,
				  const char *cancel_reason, const char *reason);

/* The failure of an attempt whose worker was lost (worker_lost). */
extern const struct scan_failure lifecycle_worker_lost;

/* What ended the attempt: decides the counters. */
enum lifecycle_cause {
	LIFECYCLE_ERROR,	/* a failure: counted in retries, failed or cancelled */
	LIFECYCLE_LEASE,	/* its lease expired: counted in lease_recoveries, and failed
				 * or cancelled (a lost worker is no error of the scan) */
};

/* Reads (on PostgreSQL locks) the row of (id, attempt) inside the caller's
 * write transaction.  Returns STORE_OK, STORE_NOT_FOUND when the scan is
 * no longer running that attempt (nothing counted), or an error. */
int lifecycle_running(struct store *s, int64_t id, int attempt, struct lifecycle_row *r);

/* What ending that attempt with failure f makes of the scan: pending
 * (attempts left), failed, or cancelled (a cancel was asked for).  Writes
 * nothing. */
enum scan_status lifecycle_ending(const struct lifecycle_row *r, const struct scan_failure *f);

/* Attempts ended, by what they became: what lifecycle_count() counts. */
struct lifecycle_ended {
	int64_t pending, failed, cancelled;
};

/* Adds an attempt that became `to` to *e. */
void lifecycle_tally(struct lifecycle_ended *e, enum scan_status to);

/* Moves the counters of the attempts *e ended by `cause`, inside the
 * caller's transaction.  Returns a store rc. */
int lifecycle_count(struct store *s, const struct lifecycle_ended *e, enum lifecycle_cause cause);

/* lifecycle_end() but the counters, which the caller counts with
 * lifecycle_tally() and lifecycle_count() (a batch counts once). */
int lifecycle_end_uncounted(struct store *s, int64_t id, int attempt, const struct lifecycle_row *r,
			    const struct scan_failure *f, int64_t delay_ms, const char *reason,
			    enum scan_status *to);

/*
 * Ends that attempt with failure f inside the caller's write transaction,
 * as lifecycle_ending() says: requeued after delay_ms, or final by the
 * state machine with f's code (scan.failed deliveries queued), a shard's
 * parent failed with it, the timeline event (`reason`; NULL: f's code and
 * the retry count) and the counters of `cause`.  *to gets the new status.
 * Returns STORE_OK or an error (the caller rolls back).
 */
int lifecycle_end(struct store *s, int64_t id, int attempt, const struct lifecycle_row *r,
		  const struct scan_failure *f, int64_t delay_ms, enum lifecycle_cause cause,
		  const char *reason, enum scan_status *to);

/*
 * What becomes of a running scan whose attempt ended badly (an error, or
 * its lease expired, or its worker died): SCAN_ACT_CANCELLED if an operator
 * asked to cancel, SCAN_ACT_REQUEUE if the failure may be retried and
 * attempts are left (`used` of `max` counted so far), else SCAN_ACT_FAIL.
 */
enum scan_action store_failure_action(int used, int max, int cancel_requested, int retryable);

/* Sets the field of *c that the counters row `name` holds; unknown names
 * are ignored. */
void store_counter_set(struct store_counters *c, const char *name, int64_t value);

/* The retry delay after attempt number `used` (1-based) failed:
 * base * 2^(used-1), capped at one hour, times a jitter in [0.5, 1.5). */
int64_t store_backoff_ms(int used, int base_ms);

/* ---- changes and webhooks (changes.c, webhooks.c) ----------------------------------- */

/* Compares each completed scan of c (rc STORE_OK) with its baseline, writes
 * its changes, summary and webhook deliveries, inside the caller's write
 * transaction.  Returns a store rc. */
int changes_on_complete(struct store *s, const struct store_completion *c, size_t n);
/* A split scan whose last shard completed: compared with its baseline as
 * one result, its shards' findings together (flow.c calls it). */
int changes_on_split_complete(struct store *s, int64_t id, const char *summary);
/* (changes_read.c) A JSON string of s, or JSON null for NULL; bytes that
 * are not valid UTF-8 become '?'.  A new reference. */
json_t *changes_text_json(const char *s);
/* (changes_read.c) STORE_OK when scan id exists, else STORE_NOT_FOUND (with
 * its message) or a store rc. */
int changes_scan_exists(struct store *s, int64_t id);

/* One finding of a complete run as its lifecycle sees it: borrowed
 * strings in, the fingerprint and the state after the run out. */
struct fstate_item {
	const char *kind, *target, *proto, *service, *severity, *title, *detail;
	int port;
	char fp[33];			/* set by finding_states_on_complete() */
	char state[16];			/* likewise ("" when it could not be set) */
};

/*
 * The lifecycle step of a complete run, inside the caller's transaction
 * (changes.c calls it beside the comparison): each distinct fingerprint of
 * v[0..n) is recorded as seen by scan_id under the scan's baseline (fixed
 * ones reopen), then the baseline's open findings this scan lacks become
 * fixed; with stage_targets (a JSON array) only those on these targets.
 * Sorts nothing in v.  Returns a store rc.
 */
int finding_states_on_complete(struct store *s, int64_t scan_id, struct fstate_item *v, size_t n,
			       const char *stage_targets);

/* Queues the scan.failed deliveries of scan `id`, inside the caller's
 * write transaction.  Returns a store rc. */
int webhooks_on_failed(struct store *s, int64_t id);

/* Queues the deliveries of a completed scan (scan.completed, and
 * changes.found when changes is a non-empty array) in the caller's
 * transaction.  changes: JSON array of scan_change_to_json() objects
 * (borrowed) or NULL; info: the counts. */
int webhooks_on_completed(struct store *s, int64_t id, json_t *changes,
			  const struct scan_changes_info *info);

#endif
