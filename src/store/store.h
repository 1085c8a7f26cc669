/*
 * store.h — the one interface to persistence.
 *
 * The database is the single source of truth for every scan.  This header
 * is all a caller sees of it: an opaque `struct store` opened from a URL
 * (sqlite://PATH today, postgres://... later), and one call per thing the
 * system does.  Each call is one short transaction: a status change, its
 * timeline event and the data that goes with it (result, findings, error)
 * land together or not at all.  Every operation is written once in the
 * store core (the .c files of src/store/) over the primitives of a SQL dialect
 * (src/store/sqlite/, src/store/pg/; db.h draws the line); callers never
 * learn which one they hold.
 *
 * Lost connections: a call that failed because the connection broke before
 * anything was committed is run once more on a new connection; otherwise it
 * fails with STORE_ERROR and the caller retries later, as after any error.
 *
 * Fencing: every write a worker makes about a running scan names the
 * (id, attempt) it claimed.  When the row is no longer `running` with that
 * attempt the call changes nothing and returns STORE_LOST; the worker must
 * then kill its child and drop the result.
 *
 * Threads: a handle is used by one thread at a time.  Open one per thread
 * (or per process); the database serializes writers.
 */
#ifndef SCANQ_STORE_H
#define SCANQ_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "core/scan.h"

struct store;

/* Return codes of every store call that can fail. */
enum store_rc {
	STORE_OK = 0,
	STORE_ERROR = -1,	/* I/O or database error; store_error() says what */
	STORE_NOT_FOUND = -2,	/* no such scan */
	STORE_LOST = -3,	/* fenced: the scan is no longer ours */
	STORE_ILLEGAL = -4,	/* the state machine forbids this change */
	STORE_BUSY = -5,	/* locked past busy_timeout; safe to retry */
};

#define STORE_CLAIM_MAX 1000	/* largest batch one claim may take */
#define STORE_LIST_MAX  1000	/* largest page a list call returns */

/* Flags for store_open_flags(). */
#define STORE_NO_MIGRATE 0x1	/* open as is; do not bring the schema up to date */
/* Calls made for a client that waits for the answer (the HTTP API): they
 * are never held back by the process's outage backoff (store_outage()), so
 * the first request after the database returns is answered. */
#define STORE_ON_DEMAND 0x2
/* Refuse a SQLite file that does not exist instead of creating it (the
 * commands that only read: a mistyped path is an error, not a new empty
 * database).  A PostgreSQL database always has to exist. */
#define STORE_MUST_EXIST 0x4

/*
 * Outages.  When the database cannot be reached (a lost connection, a lock
 * held past the busy timeout, a full disk) every handle of the process
 * backs off together: one call at a time is let through to try, after
 * 100 ms, then twice as long after each failure up to 1 s (core/backoff.h),
 * and the others fail at once with STORE_BUSY or STORE_ERROR without
 * touching the database.  The process logs the outage itself: one warning
 * once it has lasted a second, one line every 10 s while it lasts, and one
 * when it ends, with its length and the attempts made.  A loop that fails
 * because of an outage need not log its own failure.
 *
 * store_outage() returns 1 when the handle's last failure was such an
 * outage (the store has logged it), 0 otherwise.  store_outage_wait_ms()
 * says how long until the process tries the database again (0: now, or no
 * outage).
 *
 * store_claim_ready() says whether a worker may claim new scans now: not
 * while the process's outage is a full disk (what space there is goes to
 * finishing the scans that run), and after one only once the dialect has
 * given the space back (SQLite: a WAL checkpoint that truncates the WAL,
 * run here on `s`, outside a transaction).  Returns 1 or 0.
 */
#define STORE_OUTAGE_LOG_MS 10000	/* at most one line this often while it lasts */
int store_outage(const struct store *s);
int64_t store_outage_wait_ms(void);
int store_claim_ready(struct store *s);

/*
 * Opens the store named by `url` ("sqlite://./scanq.db", "sqlite:///abs",
 * or a plain path) and migrates its schema to the newest version.
 * Returns a handle, or NULL with a one-line reason in err.
 * Free with store_close().
 */
struct store *store_open(const char *url, char *err, size_t errlen);
struct store *store_open_flags(const char *url, int flags, char *err, size_t errlen);

/* Closes the handle; NULL is a no-op. */
void store_close(struct store *s);

/* The last error message on this handle ("" if none).  Owned by the store. */
const char *store_error(struct store *s);

/* Copies a database URL for logs and messages with any password replaced
 * by "***" ("postgres://u:***@host/db").  Returns buf. */
const char *store_url_redacted(const char *url, char *buf, size_t len);

/* The backend's name: "sqlite" or "postgres". */
const char *store_backend(struct store *s);

/* ---- schema ---------------------------------------------------------- */

/* The newest schema version this build knows. */
int store_schema_latest(struct store *s);

/* The version the database is at (0 for an empty database), or -1. */
int store_schema_version(struct store *s);

/*
 * Applies pending migrations up to `target` (-1 = newest), each in its own
 * transaction.  *applied (may be NULL) gets how many ran.  Running it again
 * changes nothing.  Returns STORE_OK or STORE_ERROR.
 */
int store_migrate(struct store *s, int target, int *applied);

/* ---- submitting and reading ------------------------------------------ */

struct scan_request {
	const char *type;		/* validated by the caller (scantype.h) */
	const char *targets;		/* JSON array text, non-empty */
	const char *options;		/* JSON object text, or NULL for {} */
	int priority;			/* higher runs first */
	int max_attempts;		/* >= 1 */
	int time_limit_s;		/* hard limit, > 0 */
	const char *idempotency_key;	/* NULL or "" for none */
	const char *request_hash;	/* a hash of the normalised request, kept with a keyed
					 * scan (NULL: not compared) */
	const char *pool;		/* checked by the caller (app/pool.h); NULL: "local" */
};

/* *existed after a submission whose idempotency key was used before by a
 * request with another request_hash: nothing queued, the id is the first
 * scan's (the API answers 422 idempotency_key_reused). */
#define STORE_KEY_REUSED 2

/*
 * Queues a new scan as `pending`.  With an idempotency key that was seen
 * before, queues nothing and returns the first scan's id with *existed = 1
 * (STORE_KEY_REUSED when the requests' hashes differ).
 * Returns STORE_OK or STORE_ERROR.
 */
int store_submit(struct store *s, const struct scan_request *req,
		 int64_t *id, int *existed);

/*
 * Queues n scans in one transaction (ids[i] gets each id; existed may be
 * NULL, else existed[i] = 1 where an idempotency key matched).  All or
 * nothing.  Returns STORE_OK, STORE_BUSY or STORE_ERROR.
 */
int store_submit_many(struct store *s, const struct scan_request *reqs, size_t n,
		      int64_t *ids, int *existed);

/*
 * Group commit: a committer thread with a store handle of its own, for
 * many threads that queue scans at once (the HTTP API).  Each
 * store_group_submit() waits until its request is committed, together with
 * whatever else was waiting, in one transaction; it returns what
 * store_submit() would, with the error message copied to err.  Thread-safe.
 * Free with store_group_free() (waits for the batch in flight; NULL is a
 * no-op) after the last submit returned.
 */
struct store_group;
struct store_group *store_group_new(const char *url, char *err, size_t errlen);
int store_group_submit(struct store_group *g, const struct scan_request *req, int64_t *id,
		       int *existed, char *err, size_t errlen);
/* Transactions committed and requests in them so far. */
void store_group_stats(struct store_group *g, int64_t *commits, int64_t *requests);
void store_group_free(struct store_group *g);

/* Reads one scan into *out (release with scan_release()).
 * Returns STORE_OK, STORE_NOT_FOUND or STORE_ERROR. */
int store_get(struct store *s, int64_t id, struct scan *out);

struct scan_filter {
	int status;			/* enum scan_status, or -1 for any */
	const char *type;		/* NULL for any */
	int limit;			/* 1 .. STORE_LIST_MAX */
	int64_t before_id;		/* keyset cursor: ids < this; 0 = newest */
	const char *target;		/* NULL for any; else scans whose targets contain it */
};

/* Lists scans newest first.  *out is a new array of *n scans (free with
 * scan_array_free()).  Returns STORE_OK or STORE_ERROR. */
int store_list(struct store *s, const struct scan_filter *f,
	       struct scan **out, size_t *n);

/* A scan's timeline, oldest first, at most `limit` events.  *out is a new
 * array (free()).  Returns STORE_OK, STORE_NOT_FOUND or STORE_ERROR. */
int store_events(struct store *s, int64_t id, int limit,
		 struct scan_event **out, size_t *n);

/* ---- the worker's side (all fenced by id + attempt) ------------------- */

/*
 * Atomically moves up to `max` due pending scans of `pool` (priority, then
 * age; SCAN_POOL_LOCAL for the server's own workers) to running for
 * `worker` (a worker's identity or an agent's id): attempt + 1,
 * claimed_at, lease_expires_at = now + lease_ms.  Scans of other pools
 * are never taken.  *out is a new array of *n claimed scans (free with
 * scan_array_free()); *n may be 0.  Returns STORE_OK, STORE_BUSY or
 * STORE_ERROR; on error nothing was claimed.
 */
int store_claim(struct store *s, const char *pool, const char *worker, int max, int lease_ms,
		struct scan **out, size_t *n);

/*
 * Renews the lease of (id, attempt) to now + lease_ms and records progress
 * (pass a negative progress to leave it).  *cancel_requested (may be NULL)
 * tells whether an operator asked to cancel.  Returns STORE_OK, STORE_LOST,
 * STORE_BUSY or STORE_ERROR.
 */
int store_heartbeat(struct store *s, int64_t id, int attempt, int lease_ms,
		    double progress, int *cancel_requested);

/* One result row of a scan. */
struct finding {
	int64_t id;
	int64_t scan_id;
	char kind[32];			/* "open_port", "host", "vuln", ... */
	char *target;
	int port;			/* 0 when not about a port */
	char proto[8];
	char *service;
	char severity[16];		/* "info", "low", ... "critical" */
	char *title;
	char *detail;			/* JSON object text */
	int64_t created_at;
};

void finding_release(struct finding *f);
void finding_array_free(struct finding *arr, size_t n);

/*
 * Finishes (id, attempt) as completed: status, finished_at, summary (JSON
 * object text) and the n findings in one transaction.  Returns STORE_OK,
 * STORE_LOST (nothing written; the loss is counted), STORE_BUSY or
 * STORE_ERROR.
 */
int store_complete(struct store *s, int64_t id, int attempt,
		   const char *summary, const struct finding *findings, size_t n);

/* One scan of a grouped completion. */
struct store_completion {
	int64_t id;
	int attempt;
	const char *summary;
	const struct finding *findings;
	size_t nfindings;
	int rc;				/* out: STORE_OK or STORE_LOST */
	int flow;			/* the scan's SCAN_FLOW_* bits (struct scan.flow), or -1
					 * if unknown: non-zero creates its follow-ups and
					 * completes its split parent in the same transaction */
};

/*
 * Completes n scans in one transaction (one fsync for all): each is fenced
 * on its own and gets its own rc.  Returns STORE_OK when the transaction
 * committed (look at each rc), or STORE_BUSY / STORE_ERROR when nothing
 * was written.
 */
int store_complete_many(struct store *s, struct store_completion *c, size_t n);

/*
 * store_complete_many() and store_claim() of up to `max` scans (0: none) of
 * `pool` in one transaction, so one commit for both: what a worker does
 * when slots free up.  Returns like store_complete_many(); on an error
 * nothing was completed or claimed (*out empty).  *out as for store_claim().
 */
int store_complete_and_claim(struct store *s, struct store_completion *c, size_t n,
			     const char *pool, const char *worker, int max, int lease_ms,
			     struct scan **out, size_t *nout);

struct scan_failure {
	const char *code;		/* error_code, from the fixed list */
	const char *message;		/* sanitized, shown to users */
	const char *detail;		/* internal, may be NULL */
	int retryable;			/* 0: fail now whatever attempts remain */
	int backoff_base_ms;		/* first retry delay before jitter; 0 = 5000 */
};

/*
 * Records a failed attempt of (id, attempt).  With attempts left and a
 * retryable failure the scan goes back to pending with run_after = now +
 * exponential backoff with jitter; otherwise it becomes failed.  If a
 * cancel was requested it becomes cancelled instead.  *now_status (may be
 * NULL) gets where it went.  Returns STORE_OK, STORE_LOST, STORE_BUSY or
 * STORE_ERROR.
 */
int store_fail(struct store *s, int64_t id, int attempt,
	       const struct scan_failure *f, enum scan_status *now_status);

/* The worker confirms a requested cancel: running -> cancelled. */
int store_cancelled(struct store *s, int64_t id, int attempt);

/*
 * Hands (id, attempt) back to pending at once without spending an attempt
 * of its budget (graceful shutdown).  Returns like store_complete().
 */
int store_release(struct store *s, int64_t id, int attempt, const char *reason);

/*
 * Lease recovery: every running scan whose lease expired goes back to
 * pending (attempts left, no cancel requested), to cancelled (cancel
 * requested) or to failed with error_code worker_lost.  *recovered and
 * *failed (may be NULL) get the counts.  Returns STORE_OK or an error.
 *
 * `since` is a monotonic time (clock_mono_ms()) up to which the caller has
 * told the handle of its own pauses (store_note_pause()), or 0 if it does
 * not watch for them (a one-off command).  A pause may still land after
 * that: between the caller's check and the moment the expired leases are
 * read, even inside the transaction, which then judges every lease by a
 * clock that ran on while the workers stood still.  So when the expired
 * leases are read more than STORE_PAUSE_MS after `since`, the judgement is
 * not trusted: it is rolled back, the time counts as a pause, and the
 * leases are judged again with that time made up (a database that is that
 * slow to read them twice running is trusted the third time).
 */
#define STORE_PAUSE_MS 3000
int store_recover_leases(struct store *s, int64_t since, int *recovered, int *failed);

/*
 * This process did not run for `ms` (it was stopped, or its machine was
 * paused).  Whatever paused it may have paused the workers whose leases it
 * would judge (a host, a VM, a process group), so the pause counts as an
 * outage of this handle: its next store_recover_leases() makes it up first.
 */
void store_note_pause(struct store *s, int64_t ms);

/*
 * Maintenance leadership: one process per database runs lease recovery and
 * pruning.  Takes or renews the leadership for `holder` (unique per process)
 * for ttl_ms.  Returns 1 if `holder` leads now, 0 if another does, or a
 * negative store rc.  store_leader_drop() gives it up at once.
 */
int store_leader_take(struct store *s, const char *holder, int ttl_ms);
int store_leader_drop(struct store *s, const char *holder);

/*
 * Worker names, unique per database: takes for `holder` (a serve, unique
 * per process) the n lowest names "w-K" that no other live holder has,
 * each with one conditional upsert (free, expired, or already its own),
 * so two serves starting together never take one name twice.  names[i]
 * gets the i-th.  A holder renews its names (store_worker_names_renew())
 * well within ttl_ms; a holder that died frees them when ttl_ms has run
 * out, and store_worker_names_drop() frees them at once (clean shutdown).
 * Returns STORE_OK, STORE_ILLEGAL (no free name among the first
 * STORE_WORKER_NAMES_MAX) or an error.
 */
#define STORE_WORKER_NAME_TTL_MS 30000
#define STORE_WORKER_NAMES_MAX 1000
int store_worker_names_take(struct store *s, const char *holder, int n, char (*names)[16]);
int store_worker_names_renew(struct store *s, const char *holder);
int store_worker_names_drop(struct store *s, const char *holder);

/* ---- scan agents (src/store/agent.c; docs/AGENTS.md) ------------------- */

/*
 * An agent reaches the store only through the server's agent API: these
 * calls are what its requests do.  Each is one transaction, fenced by
 * (id, attempt) like a worker's calls, and confined to the agent's pool:
 * a scan of another pool is STORE_NOT_FOUND, so an agent learns nothing
 * of other pools.  Retried requests are idempotent: an attempt already
 * recorded is answered as it was recorded, never written twice.
 */

/* What store_agent_complete() and store_agent_fail() did. */
enum store_agent_result {
	STORE_AGENT_DONE,	/* written now */
	STORE_AGENT_ALREADY,	/* this attempt was recorded before: nothing written */
	STORE_AGENT_LATE,	/* written under the late rule (store_agent_complete()) */
	STORE_AGENT_LOST,	/* another attempt owns the scan: nothing written */
};

struct store_agent_outcome {
	enum store_agent_result result;
	enum scan_status status;	/* the scan's status afterwards */
	int attempt;			/* its attempt afterwards */
};

/*
 * Completes (id, attempt) for `agent` of `pool`, through the same
 * completion path as store_complete_many() (follow-ups, shards, changes,
 * webhooks), deciding in one transaction from the scan's status, attempt
 * and pool:
 *   running, this attempt      -> completed now (DONE);
 *   completed, this attempt    -> ALREADY (a retried upload);
 *   pending, this attempt      -> the late rule: the lease ran out and lease
 *                                 recovery put it back with no other attempt
 *                                 started (a claim would have raised the
 *                                 attempt), so the result is taken (LATE):
 *                                 pending -> running -> completed, the first
 *                                 event saying the result came late from
 *                                 the agent;
 *   anything else              -> LOST (counted in fenced_writes).
 * c->id, attempt, summary and findings are read; c->flow is set here.
 * Returns STORE_OK with *out filled, STORE_NOT_FOUND (no such scan in the
 * pool), or an error (nothing written).
 */
int store_agent_complete(struct store *s, const char *pool, const char *agent,
			 struct store_completion *c, struct store_agent_outcome *out);

/* How an agent ends an attempt that did not complete. */
enum store_agent_end {
	STORE_AGENT_FAIL,	/* a failure: retried or failed as store_fail() decides */
	STORE_AGENT_CANCELLED,	/* a requested cancel carried out (store_cancelled()) */
	STORE_AGENT_RELEASE,	/* handed back without spending an attempt (store_release()) */
};

/*
 * Ends running (id, attempt) of `pool` as `how` says (f: the failure, for
 * STORE_AGENT_FAIL).  An attempt that is no longer running but whose
 * newest timeline event is this agent ending it (not lease recovery) is
 * ALREADY with the current status; anything else is LOST (the late rule
 * does not apply: a late failure is dropped).  Returns like
 * store_agent_complete().
 */
int store_agent_fail(struct store *s, const char *pool, const char *agent, int64_t id,
		     int attempt, enum store_agent_end how, const struct scan_failure *f,
		     struct store_agent_outcome *out);

/* One running scan an agent renews. */
struct store_agent_lease {
	int64_t id;
	int attempt;
	double progress;		/* 0..1, or negative: leave it */
	int cancel;			/* out: an operator asked to cancel it */
	int lost;			/* out: not this attempt's any more (or not of the pool) */
};

/* An agent as the registry records it. */
struct store_agent_seen {
	const char *id, *name, *pool, *version, *address;
	int concurrency;		/* its claim's max; 0: keep what was recorded */
};

/* Marks agent `a` seen (store_agent_seen()) and renews the leases of n
 * scans of a->pool to now + lease_ms, in one transaction, setting each
 * one's cancel or lost.  Returns STORE_OK or an error (nothing written). */
int store_agent_renew(struct store *s, const struct store_agent_seen *a,
		      struct store_agent_lease *l, size_t n, int lease_ms);

/* Registers agent a (kind "agent") or marks it seen now.  Returns a store rc. */
int store_agent_seen(struct store *s, const struct store_agent_seen *a);

/* One pool as the queue sees it. */
struct pool_status {
	char pool[SCAN_POOL_MAX];
	int64_t pending, running;
	int64_t live_agents;		/* agents of the pool seen within STORE_WORKER_DEAD_MS */
	int64_t live;			/* workers and agents of the pool seen within it */
};

#define STORE_POOLS_MAX 256		/* pools one read returns */

/* Every pool with pending or running scans or a registry row, by name (at
 * most STORE_POOLS_MAX).  *out is a new array of *n (free()). */
int store_pool_status(struct store *s, struct pool_status **out, size_t *n);

/* ---- the operator's side --------------------------------------------- */

/*
 * Cancels a scan: pending -> cancelled at once; running -> cancel_requested
 * (the worker finishes it).  *now_status gets the result.  Returns
 * STORE_OK, STORE_NOT_FOUND, STORE_ILLEGAL (already finished) or an error.
 */
int store_cancel(struct store *s, int64_t id, enum scan_status *now_status);

/*
 * Retries a failed or cancelled scan: back to pending with a fresh
 * attempt budget.  Returns STORE_OK, STORE_NOT_FOUND, STORE_ILLEGAL
 * (pending, running or completed) or an error.
 */
int store_retry(struct store *s, int64_t id);

/* ---- maintenance --------------------------------------------------------- */

/*
 * Deletes finished scans (completed, failed, cancelled) that finished
 * before `before_ms`, with their events and findings, at most `batch` per
 * transaction, until none is left or `max_batches` batches ran (0 = no
 * limit).  With dry_run it only counts.  *deleted gets the count.
 * Never touches pending or running scans.
 */
int store_prune(struct store *s, int64_t before_ms, int batch, int max_batches, int dry_run,
		int64_t *deleted);

/* ---- findings ---------------------------------------------------------- */

/* A scan's findings in id order after `after_id`, at most `limit`
 * (1 .. STORE_LIST_MAX).  Returns STORE_OK, STORE_NOT_FOUND or an error. */
int store_findings(struct store *s, int64_t scan_id, int64_t after_id,
		   int limit, struct finding **out, size_t *n);

/* ---- queue status and counters ----------------------------------------- */

#define STORE_TYPES_MAX 32

struct queue_status {
	int64_t by_status[SCAN_STATUS_COUNT];
	struct {
		char type[SCAN_TYPE_MAX];
		int64_t by_status[SCAN_STATUS_COUNT];
	} types[STORE_TYPES_MAX];
	int ntypes;
	int64_t oldest_pending_ms;	/* age of the oldest due pending scan; 0 if none */
	int64_t overdue_lease_ms;	/* how long the most overdue lease of a running
					 * scan has been expired; 0 if none */
	int64_t finished_last_minute;	/* completed + failed + cancelled */
	int64_t finished_last_5_minutes;	/* the same over 5 minutes (throughput) */
	int workers_active;		/* heartbeating, running >= 1 scan */
	int workers_idle;		/* heartbeating, running none */
	int workers_dead;		/* not stopped, but no heartbeat for STORE_WORKER_DEAD_MS */
};

/* Fills *q from maintained counters (no scan of the whole table).
 * Returns STORE_OK or STORE_ERROR. */
int store_queue_status(struct store *s, struct queue_status *q);

/* Upper bounds (seconds) of the scan-duration histogram's buckets; a last
 * bucket (+Inf) follows.  Migration 7 of each backend sorts completions
 * into the same buckets (test_store checks that they agree). */
#define STORE_DURATION_BOUNDS_S { 1, 5, 10, 30, 60, 300, 900, 1800, 3600, 7200, 21600 }
#define STORE_DURATION_BUCKETS 12

/* Monotonic counters kept in the database. */
struct store_counters {
	int64_t submitted;
	int64_t claims;
	int64_t completed;
	int64_t failed;
	int64_t cancelled;
	int64_t retries;		/* attempts sent back to pending after an error */
	int64_t lease_recoveries;
	int64_t worker_handbacks;	/* running scans taken from workers that died */
	int64_t fenced_writes;		/* late writes rejected by fencing */
	/* Completed scans by the run time of their last attempt (claimed_at to
	 * finished_at), counted in the transaction that completed them:
	 * non-cumulative buckets, the count and the sum. */
	int64_t duration_buckets[STORE_DURATION_BUCKETS];
	int64_t duration_count;
	int64_t duration_sum_ms;
	int64_t changes_new, changes_gone, changes_changed;	/* found between scans */
	/* Webhook delivery attempts: delivered, failed with attempts left
	 * (retried), and deliveries whose last attempt failed. */
	int64_t webhook_delivered, webhook_retried, webhook_failed;
};

int store_counters(struct store *s, struct store_counters *c);

/* ---- worker registry ---------------------------------------------------- */

#define STORE_WORKER_DEAD_MS 30000	/* no heartbeat for this long: dead */

struct worker_info {
	char id[SCAN_WORKER_MAX];	/* unique identity (worker_identity()): the key */
	char name[SCAN_WORKER_MAX];	/* the short name shown ("w-1"); not unique */
	char host[64];
	int pid;
	int64_t started_at;
	int64_t heartbeat_at;
	int concurrency;
	int running;			/* scans running now: counted from the scans it holds */
	int64_t scans_done;
	char last_exit[64];		/* why the process ended, or "" */
	int64_t stopped_at;		/* when it exited (store_worker_exited), 0 if running */
	int64_t running_ids[16];	/* up to 16 of the running scan ids */
	int nrunning_ids;
	char kind[8];			/* "worker" (a local worker process) or "agent" */
	char pool[SCAN_POOL_MAX];	/* the pool it claims from */
	char version[32];		/* an agent's scanq version, "" for a worker */
	char address[64];		/* an agent's client address as the API saw it */
};

/*
 * A worker's identity: "NAME@HOST:PID-INSTANCE", INSTANCE a random 32-bit
 * number (8 hex digits) drawn for each process started.  HOST and PID keep
 * two live workers apart; INSTANCE keeps apart two lives of one name on a
 * host whose pids repeat (a container restarted gets the same pids), so a
 * new worker never takes over the registry row, or the scans, of an old
 * one.  The supervisor draws the instance of each child it starts (passed
 * as --instance) and so computes the same string, to hand back the scans
 * of a worker it reaped.  Claims record it as the scans' worker_id.
 * Writes at most SCAN_WORKER_MAX bytes; returns buf.
 */
char *worker_identity(char *buf, size_t len, const char *name, const char *host, int pid,
		      uint32_t instance);

/* A fresh random instance for worker_identity(). */
uint32_t worker_instance(void);

/* Registers (or re-registers) worker w->id and marks its heartbeat now. */
int store_worker_register(struct store *s, const struct worker_info *w);

/* Heartbeat of worker `id`: heartbeat_at = now and scans_done (how many it
 * runs is counted from the scans it holds).  STORE_NOT_FOUND if the row
 * is gone (pruned, or reset): register again. */
int store_worker_heartbeat(struct store *s, const char *id, int64_t scans_done);

/* Records why worker `id` ended ("exit 0", "signal 9 (killed)", ...) and
 * when: a stopped worker is neither alive nor dead in queue status.  Only
 * that identity's row changes. */
int store_worker_exited(struct store *s, const char *id, const char *reason);

/*
 * Hands back at once every scan that worker `id` still holds (its process
 * died: the supervisor reaped it).  Fenced by identity: a scan another
 * worker claimed since is not touched.  A hand-back does not spend an
 * attempt, up to STORE_HANDBACK_FORGIVEN times per scan; past that it counts
 * as a failed attempt (worker_lost), so a scan whose own child kills its
 * worker every time cannot loop forever.  A scan with a cancel request is
 * cancelled.  *released (may be NULL) gets how many went back to pending.
 */
#define STORE_HANDBACK_FORGIVEN 3
int store_release_worker(struct store *s, const char *id, const char *reason, int *released);

/* Deletes the registry rows of workers stopped, or silent, for longer than
 * keep_ms.  *deleted (may be NULL) gets the count. */
int store_worker_prune(struct store *s, int64_t keep_ms, int64_t *deleted);

/* A worker's state at `now`: "stopped" (it exited and said so), "dead" (no
 * heartbeat for STORE_WORKER_DEAD_MS), "active" (running scans) or "idle".
 * The one rule for the CLI, the API and doctor; queue status counts the same
 * way in SQL. */
const char *worker_state(const struct worker_info *w, int64_t now);

/* What a worker's last exit usually means ("SIGKILL: out of memory, ..."),
 * or NULL. */
const char *worker_exit_hint(const char *last_exit);

/* Lists workers by name, at most STORE_LIST_MAX; *out is a new array
 * (free()). */
int store_worker_list(struct store *s, struct worker_info **out, size_t *n);

/* ---- wake-up ------------------------------------------------------------ */

/*
 * "The queue may have changed": an instant wake-up for idle workers.  On
 * SQLite, inotify on the database's write-ahead log (every commit, by any
 * process on this host, appends to it); on PostgreSQL, LISTEN on a
 * connection of its own (submissions, retries, recoveries, hand-backs and
 * cancels NOTIFY when they commit).  It says nothing about what changed; a
 * worker answers with a claim.  It may miss a change (another host on a
 * network file system), so a worker still polls as a fallback.
 *
 * store_wakeup_new() returns NULL when no wake-up is possible (the caller
 * polls).  Free with store_wakeup_free(); NULL is a no-op.
 */
struct store_wakeup;
struct store_wakeup *store_wakeup_new(struct store *s);

/* The descriptor to poll for POLLIN.  It may change after a reconnect: ask
 * again before each poll. */
int store_wakeup_fd(const struct store_wakeup *w);

/* Reads what is pending without blocking.  Returns 1 if the database changed
 * since the last call (or may have: a lost connection), 0 otherwise. */
int store_wakeup_drain(struct store_wakeup *w);

/* "inotify", "listen": for the worker's start-up log line. */
const char *store_wakeup_kind(const struct store_wakeup *w);

void store_wakeup_free(struct store_wakeup *w);

/* ---- API tokens -------------------------------------------------------- */

/* Looks a token up by id: fills role (16 bytes) and hash (129 bytes).
 * Returns STORE_OK, STORE_NOT_FOUND or an error. */
int store_token_get(struct store *s, int64_t id, char *role, char *hash);

/* 1 if any token exists, 0 if none, -1 on error. */
int store_token_any(struct store *s);

/* ---- follow-up stages and shards (flow.c) -------------------------------- */

/*
 * Queues a scan that has follow-up stages (flow SCAN_FLOW_THEN: its
 * options hold "then") or is split into shards: `slices` is a JSON array
 * of target arrays, one per shard, or NULL.  A split scan is queued as a
 * parent that never runs itself (status running, no worker) and one
 * pending shard per slice, each with parent_id, its slice, and the
 * parent's options without "then" (a "rate" divided by the number of
 * shards).  All in one transaction.  Returns like store_submit().
 */
int store_submit_flow(struct store *s, const struct scan_request *req, int flow,
		      const char *slices, int64_t *id, int *existed);

/* One scan of a chain's tree (store_flow_tree()). */
struct flow_node {
	int64_t id, parent;		/* parent 0 for the root */
	char type[SCAN_TYPE_MAX];
	enum scan_status status;
	int flow;			/* SCAN_FLOW_* bits */
	double progress;
	int64_t findings;		/* its own findings */
	char *targets;			/* JSON array text; heap, NULL if none */
	char *note, *error;		/* heap, NULL if none */
};
void flow_node_array_free(struct flow_node *a, size_t n);

/*
 * The chain (or split scan) that scan `id` belongs to: *root gets the
 * root's id, *out (free with flow_node_array_free()) and *n its scans in
 * id order, so a parent comes before its children; at most
 * STORE_FLOW_TREE_MAX.  Returns STORE_OK, STORE_NOT_FOUND ("scan N not
 * found") or an error.  Its JSON form is flow_tree_to_json() (app/views.h).
 */
#define STORE_FLOW_TREE_MAX 4096
int store_flow_tree(struct store *s, int64_t id, int64_t *root, struct flow_node **out,
		    size_t *n);
/* ---- changes between scans, webhooks, inventory ------------------------- */

/*
 * When a scan completes, its findings are compared with those of the
 * previous completed scan of its baseline (the same type, targets and
 * options), by identity: kind, target, port, proto and, for
 * vulnerabilities, the script, template or check id.  A finding of the
 * same identity whose service, severity, product or version differs is
 * `changed`.  The rows are written in the completing transaction; the
 * scan's summary gets "changes": {baseline_id, new, gone, changed} when
 * there are any.  The first scan of a baseline is the baseline: it records
 * no changes.
 */
struct scan_change {
	int64_t id;
	int64_t scan_id;		/* the scan that recorded it; 0 when computed (store_diff) */
	char change[8];			/* "new", "gone", "changed" */
	char kind[32];
	char *target;
	int port;			/* 0 when not about a port */
	char proto[8];
	char *ident;			/* script / template / check id, or NULL */
	char severity[16];
	char *title;
	char *before;			/* JSON object text of the old finding, or NULL (new) */
	char *after;			/* ... of the new finding, or NULL (gone) */
	char fingerprint[33];		/* the finding's, when known at completion; else "" */
	char state[16];			/* its lifecycle state after the run, when known; a
					 * change of an accepted or false_positive finding is
					 * "suppressed" in its JSON */
};

void scan_change_array_free(struct scan_change *a, size_t n);
/* The JSON form of a change (CLI and API).  New reference. */
json_t *scan_change_to_json(const struct scan_change *c);

struct scan_changes_info {
	int compared;			/* 0: not completed since changes were tracked */
	int64_t baseline_id;		/* 0: this scan is the baseline */
	int64_t nnew, ngone, nchanged;
};

/* What a scan was compared with.  Returns STORE_OK, STORE_NOT_FOUND (no
 * such scan) or STORE_ERROR. */
int store_changes_info(struct store *s, int64_t scan_id, struct scan_changes_info *out);

/* The recorded changes of a scan in id order after `after_id`, at most
 * `limit` (1 .. STORE_LIST_MAX).  *out is a new array (free with
 * scan_change_array_free()).  Returns STORE_OK, STORE_NOT_FOUND or an error. */
int store_changes(struct store *s, int64_t scan_id, int64_t after_id, int limit,
		  struct scan_change **out, size_t *n);

/*
 * A chain as one result: scan `root` and its follow-up stages below it,
 * each compared with the same stage of the chain's previous run (a split
 * scan's shards are not stages: their parent is compared as one).
 * store_chain_stages() gives each of them, in id order, what it was
 * compared with: at most `max` in *out (new array, free()); *total (may be
 * NULL) sums all of them.  store_chain_changes() pages through the changes
 * they recorded, in id order, like store_changes().  Both return STORE_OK,
 * STORE_NOT_FOUND (no scan `root`) or an error.
 */
struct chain_stage {
	int64_t scan_id;
	char type[32];
	enum scan_status status;
	struct scan_changes_info info;
};
struct chain_total {
	int64_t stages, compared;	/* scans in the chain; of them compared (completed) */
	int64_t nnew, ngone, nchanged;
};
int store_chain_stages(struct store *s, int64_t root, size_t max, struct chain_stage **out,
		       size_t *n, struct chain_total *total);
int store_chain_changes(struct store *s, int64_t root, int64_t after_id, int limit,
			struct scan_change **out, size_t *n);
/* The JSON forms (CLI and API): {scan_id, compared, baseline, new, gone,
 * changed, compared_with}; a stage's adds type and status; a chain's head
 * is {scan_id, chain: true, scans, compared, new, gone, changed}.  New
 * references. */
json_t *scan_changes_info_to_json(int64_t scan_id, const struct scan_changes_info *info);
json_t *chain_stage_to_json(const struct chain_stage *st);
json_t *chain_total_to_json(int64_t root, const struct chain_total *t);

/*
 * Compares the findings of two scans now (nothing is stored): what
 * `newer` has that `older` has not (new), the reverse (gone), and changed.
 * At most `max` changes in *out (new array); *total gets how many there
 * are.  Returns STORE_OK, STORE_NOT_FOUND (either scan) or an error.
 */
int store_diff(struct store *s, int64_t older, int64_t newer, size_t max,
	       struct scan_change **out, size_t *n, size_t *total);

/* The comparison itself, on findings in memory (no store): counts[0..2]
 * get new, gone, changed; at most `max` changes in *out (new array).
 * Returns 0, or -1 without memory. */
int scan_changes_compute(const struct finding *old, size_t nold, const struct finding *cur,
			 size_t ncur, size_t max, struct scan_change **out, size_t *n,
			 int64_t counts[3]);

#define STORE_WEBHOOK_ATTEMPTS 8	/* attempts of one delivery, then failed */
#define STORE_WEBHOOK_CHANGES_MAX 100	/* changes carried in one delivery body */

struct webhook {
	int64_t id;
	char *url;
	char events[96];		/* comma-separated: scan.completed,scan.failed,changes.found */
	char *secret;
	char min_severity[16];		/* changes below it are left out of changes.found */
	int64_t created_at;
	int64_t removed_at;		/* 0: not removed */
	char removed_by[80];		/* the audit trail's actor who removed it; "" */
};

void webhook_array_free(struct webhook *a, size_t n);

/* Adds a webhook (its URL already checked by the caller).  *id gets its id. */
int store_webhook_add(struct store *s, const char *url, const char *events, const char *secret,
		      const char *min_severity, int64_t *id);
/* Every webhook not removed (removed: the removed ones too), oldest first;
 * *out is a new array (webhook_array_free()). */
int store_webhook_list(struct store *s, int removed, struct webhook **out, size_t *n);
/*
 * Removes webhook `id`: marks it removed by `actor` (client: the API
 * client's address, may be NULL), fails its deliveries not yet sent
 * ("webhook removed") and records "webhook rm" in the audit trail, in one
 * transaction.  The webhook and all its deliveries and attempts stay
 * readable.  Returns STORE_OK, STORE_NOT_FOUND (no such webhook),
 * STORE_ILLEGAL (removed before; the message says when and by whom;
 * nothing written) or an error.
 */
int store_webhook_rm(struct store *s, int64_t id, const char *actor, const char *client);
/* Queues one delivery of `event` to webhook `id` with a body built here
 * ("webhook.test": a test event).  uuid (37 bytes) gets its delivery id.
 * STORE_NOT_FOUND or STORE_ILLEGAL (removed) as store_webhook_rm(). */
int store_webhook_test(struct store *s, int64_t id, char *uuid);

/* A delivery claimed for sending. */
struct delivery {
	int64_t id;
	char uuid[40];			/* stable across attempts: the receiver dedups on it */
	int64_t webhook_id;
	int attempt;			/* the fencing token of this send */
	int max_attempts;
	int64_t created_at;
	char event[32];
	char *body;
	char *url;			/* the webhook's, at claim time */
	char *secret;
};

void delivery_array_free(struct delivery *a, size_t n);

/* Claims up to `max` due deliveries (pending and due, or sending with an
 * expired lease) for `worker` for lease_ms.  *out is a new array. */
int store_delivery_claim(struct store *s, const char *worker, int max, int lease_ms,
			 struct delivery **out, size_t *n);

/*
 * Records one attempt of (id, attempt) and its outcome: delivered when ok,
 * else pending again after backoff (base backoff_ms, doubling, jittered)
 * while attempts are left, else failed.  *result (may be NULL) gets
 * "delivered", "retry" or "failed".  Returns STORE_OK, STORE_LOST (another
 * sender holds it now) or an error.
 */
int store_delivery_finish(struct store *s, int64_t id, int attempt, int max_attempts, int ok,
			  int code, const char *error, int64_t duration_ms, int backoff_ms,
			  const char **result);

/* One attempt (or a delivery not tried yet: attempt 0) for `webhook deliveries`. */
struct delivery_log {
	int64_t id;
	char uuid[40];
	int64_t webhook_id;
	char event[32];
	int64_t scan_id;
	char status[16];
	int attempt;
	int64_t at;
	int code;			/* HTTP status, 0 if none */
	char error[256];
	int64_t duration_ms;
	int64_t created_at;
	int64_t webhook_removed_at;	/* its webhook's removal; 0: not removed */
};

/* The newest `limit` attempts, of webhook `webhook_id` (0: of all). */
int store_delivery_log(struct store *s, int64_t webhook_id, int limit, struct delivery_log **out,
		       size_t *n);

/* A name of an address, as completed scans learnt it (derived from
 * findings: an http endpoint's target name, certificate names and redirect
 * hosts; a dns host's forward names; PTR names).  Names are lower case. */
struct host_name {
	char *address, *name;
	char sources[32];		/* "dns", "http", "ptr", comma-separated, sorted */
	int64_t first_seen, last_seen;	/* finished_at of the first and last scans that named it */
	int64_t last_scan;
};

/* One host or port of the inventory (derived from findings). */
struct inventory_item {
	char *target;
	int port;			/* 0: the host itself */
	char proto[8];
	char *service;			/* the best known: as the latest detection of the
					 * port named it, else as its latest sighting did; or NULL */
	char *product, *version;	/* of the latest detection, or NULL */
	char detected_by[24];		/* how that detection knew ("banner", "nmap", ...); "": none */
	int64_t service_scan;		/* the scan of that detection; 0: none */
	int64_t service_at;		/* its finished_at: when the service was last confirmed */
	int64_t first_seen, last_seen;	/* finished_at of the first and last scans that saw it
					 * (a port: the last that saw it open) */
	int64_t first_scan, last_scan;
	int still_seen;			/* the latest scan of a baseline that saw it sees it */
	struct host_name *names;	/* the target's names (owned), by name */
	size_t nnames;
};

#define STORE_INVENTORY_MAX 100000	/* rows one inventory read returns */
#define STORE_HOST_NAMES_MAX 100000	/* names one read returns */

/* Frees the items and their names. */
void inventory_array_free(struct inventory_item *a, size_t n);

void host_name_array_free(struct host_name *a, size_t n);

/* Every (address, name) completed scans learnt, ordered by address then
 * name, at most STORE_HOST_NAMES_MAX.  *out is new (host_name_array_free). */
int store_host_names(struct store *s, struct host_name **out, size_t *n);

/* Gives each of the n items a copy of its target's names (store_host_names(),
 * by name), freed with the items.  Returns a store rc. */
int store_inventory_names(struct store *s, struct inventory_item *it, size_t n);

/* The inventory ordered by target, port, proto: only `port` (0: any) and
 * `service` (NULL: any; matched against the best known service).  At most
 * STORE_INVENTORY_MAX rows; *out is new (inventory_array_free()). */
int store_inventory(struct store *s, int port, const char *service, struct inventory_item **out,
		    size_t *n);
/* ---- operations: stuck report and repair, reset, audit -------------------- */

/*
 * The stuck report is a table of categories (src/store/stuck.c): each has a
 * name, what it means, the suggested fix, and whether `stuck clear` (and
 * the hourly maintenance, for the `automatic` ones) repairs it.  A new
 * category is one more entry there.
 */
struct stuck_category {
	const char *name;		/* "lease_expired", ... */
	const char *reason;		/* what it means, one line */
	const char *fix;		/* the suggested fix, one line */
	int repairable;			/* stuck clear changes it */
	int automatic;			/* serve's hourly maintenance repairs it too */
	const char *brief;		/* its reason in the short report (`scanq stuck`,
					 * /health/scheduler): "lease_expired" or
					 * "pending_too_long"; NULL: not in it */
};

#define STUCK_CATEGORIES_MAX 32		/* room for counts and totals of every category */

/* The categories, in report order; *n gets their number.  Static storage. */
const struct stuck_category *store_stuck_categories(int *n);

#define STUCK_DETAIL_MAX 96

/* A running scan still renewing its lease is over_time_limit this long after
 * its hard time limit: its worker stops it at the limit and reports the
 * timeout well within this. */
#define STUCK_OVERTIME_GRACE_MS 60000

struct stuck_item {
	int category;			/* index in store_stuck_categories() */
	int64_t id;
	char type[SCAN_TYPE_MAX];
	enum scan_status status;
	int attempt;
	char worker_id[SCAN_WORKER_MAX];
	int64_t since;			/* when it became stuck (ms) */
	char detail[STUCK_DETAIL_MAX];	/* category-specific ("3 of 3", "completed") */
};

#define STUCK_REPORT_BRIEF 0x1	/* only the short report's categories (brief) */

/*
 * The stuck report: up to `limit` items of each category (pending ones
 * count as stuck after age_ms), in report order, in one read transaction;
 * with STUCK_REPORT_BRIEF only the categories of the short report, each
 * read with an index (the others read every scan).  *out is a new array
 * of *n items (free()).  counts and totals (each may be NULL, room for
 * STUCK_CATEGORIES_MAX) get how many of each category were listed, and
 * how many there are in all: counted for the short report's categories,
 * as many as listed for the others.  Returns STORE_OK or an error.
 */
int store_stuck_report(struct store *s, int64_t age_ms, int limit, int flags,
		       struct stuck_item **out, size_t *n, int *counts, int64_t *totals);

/* The JSON forms of a stuck report (CLI and API): {max_age_hours, found,
 * categories: [{name, reason, fix, repairable, automatic, count, scans}]}
 * and of a clear: {dry_run, changed, changes: [{scan_id, category, from, to,
 * action}]}.  New references. */
json_t *stuck_report_to_json(const struct stuck_item *it, size_t n, const int *counts,
			     int64_t age_ms);
struct stuck_change;
json_t *stuck_changes_to_json(const struct stuck_change *ch, size_t n, int64_t total, int dry_run);

/* One change stuck clear made (or, in a dry run, would make). */
struct stuck_change {
	int category;
	int64_t id;
	enum scan_status from, to;	/* from == to: a field or the timeline was repaired */
	char action[160];		/* what was done, as written to the timeline */
};

#define STUCK_CLEAR_DRY_RUN   0x1	/* compute every change, commit none */
#define STUCK_CLEAR_AUTOMATIC 0x2	/* only the categories marked automatic */
#define STUCK_CLEAR_BATCH     100	/* scans per transaction */
#define STUCK_CLEAR_MAX       10000	/* changes listed at most (a dry run stops there) */

/*
 * Applies the fix of every repairable category, in transactions of
 * STUCK_CLEAR_BATCH scans; each change is written to the scan's timeline
 * with its reason ("stuck clear: ...") and the run to the audit trail as
 * `actor`.  Invariant violations are repaired from the timeline.  With
 * STUCK_CLEAR_DRY_RUN every batch is rolled back instead of committed, so
 * the changes listed are exactly what a real run would make and nothing
 * changes.  *out (may be NULL) gets a new array of up to STUCK_CLEAR_MAX
 * changes (free()), *n their number; *total (may be NULL) every change.
 * Returns STORE_OK or an error (batches committed before it stay).
 */
int store_stuck_clear(struct store *s, int64_t age_ms, int flags, const char *actor,
		      struct stuck_change **out, size_t *n, int64_t *total);

/*
 * The emergency reset: every running scan goes back to pending without
 * spending an attempt (timeline: "reset by ACTOR"), and every worker
 * registration is deleted (live workers register again at their next
 * heartbeat; their running children are fenced off).  Recorded in the audit
 * trail.  *released and *workers (may be NULL) get the counts.
 */
int store_reset(struct store *s, const char *actor, int *released, int64_t *workers);

/*
 * The audit trail: records that `actor` ("token:NAME", "cli:USER",
 * "maintenance") did `action` ("submit", "retry", "cancel", "stuck clear",
 * "reset", "prune", "token revoke", ...), about scan_id (0: none), with a
 * short detail (may be NULL).  One call, its own statement; schedules and
 * any later action record the same way.  Returns STORE_OK or an error.
 */
int store_audit_from(struct store *s, const char *actor, const char *client, const char *action,
		     int64_t scan_id, const char *detail);
int store_audit(struct store *s, const char *actor, const char *action, int64_t scan_id,
		const char *detail);

struct audit_entry {
	int64_t id;
	int64_t at;
	char actor[80];
	char action[32];
	int64_t scan_id;		/* 0: none */
	char detail[256];
	char client[64];		/* the API client's address; "" for the CLI */
};

/* The audit trail newest first: ids < before_id (0: newest), at most limit
 * (1 .. STORE_LIST_MAX).  *out is a new array (free()). */
int store_audit_list(struct store *s, int64_t before_id, int limit, struct audit_entry **out,
		     size_t *n);

/* Scans that completed and failed in the last hour, from the timeline (a
 * scan retried and failed twice counts twice): doctor's failure rate. */
int store_finished_last_hour(struct store *s, int64_t *completed, int64_t *failed);

/* ---- tokens: expiry and revocation ---------------------------------------- */

struct token_info {
	int64_t id;
	char name[65];
	char role[16];
	int64_t created_at;
	int64_t expires_at;		/* 0: never */
	int64_t revoked_at;		/* 0: not revoked */
	char pool[40];			/* an agent token's pool, "" for the others */
};

/* Stores a token's hash (hex, from auth.c) with its role, name and pool
 * (an agent token's; NULL for the others), expiring at expires_at (ms; 0:
 * never).  *id gets the new token's id.  Returns STORE_OK or an error. */
int store_token_create_exp(struct store *s, const char *name, const char *role, const char *pool,
			   const char *hash, int64_t expires_at, int64_t *id);

/*
 * Looks a token up for a request: role (16 bytes), hash (129 bytes), name
 * (65 bytes, may be NULL) and pool (40 bytes, may be NULL; "" but for an
 * agent token).  Returns STORE_OK for a usable token,
 * STORE_NOT_FOUND for no such token, STORE_ILLEGAL for one revoked or
 * expired (by the database's clock), or an error.
 */
int store_token_lookup(struct store *s, int64_t id, char *role, char *hash, char *name,
		       char *pool);

/* Every token, oldest first (never a hash), at most STORE_LIST_MAX.  *out
 * is a new array (free()). */
int store_token_list(struct store *s, struct token_info **out, size_t *n);

/* Revokes token `id` at once.  Returns STORE_OK, STORE_NOT_FOUND (no such
 * token) or STORE_ILLEGAL (already revoked). */
int store_token_revoke(struct store *s, int64_t id);

/*
 * Prunes like store_prune(), but only scans whose final status is
 * `status` (completed, failed or cancelled): retention by final status.
 * Between batches it sleeps pause_ms so a claim waiting for the write lock
 * gets it first.
 */
int store_prune_status(struct store *s, enum scan_status status, int64_t before_ms, int batch,
		       int max_batches, int pause_ms, int dry_run, int64_t *deleted);
/* ---- scheduled scans (src/store/schedule.c) ----------------------------- */

#define SCHEDULE_NAME_MAX 64	/* bytes of a schedule name, with NUL */
#define SCHEDULE_LATE_MS 120000	/* a schedule this far past its next_run_at did not fire */

/* One row of `schedules`, with the id and status of its newest scan. */
struct schedule {
	int64_t id;
	char name[SCHEDULE_NAME_MAX];
	char cron[132];
	char tz[64];
	char overlap[8];		/* "skip" or "queue" */
	char type[SCAN_TYPE_MAX];
	char *targets;			/* JSON array text (heap) */
	char *options;			/* JSON object text (heap) */
	int priority, max_attempts, time_limit_s;
	int paused;
	int64_t next_run_at;		/* ms since the epoch */
	int64_t created_at, last_fired_at, last_skipped_at;	/* 0 if never */
	int64_t fired, skipped;
	int64_t last_scan_id;		/* 0 if none */
	char last_status[16];		/* the last scan's status, "" if none */
	char pool[SCAN_POOL_MAX];	/* the pool its scans go to; "" or "local": the server's */
};

void schedule_release(struct schedule *sc);
void schedule_array_free(struct schedule *arr, size_t n);

/* Adds a schedule; sc->next_run_at must be set.  Returns STORE_OK with *id,
 * STORE_ILLEGAL when the name is taken (nothing written), or an error. */
int store_schedule_add(struct store *s, const struct schedule *sc, int64_t now, int64_t *id);

/* Reads a schedule by name, or by id when `name` is all digits.
 * Returns STORE_OK, STORE_NOT_FOUND or an error. */
int store_schedule_get(struct store *s, const char *name, struct schedule *out);

/* The id (and, if name_out, the name) of the schedule store_schedule_get()
 * would read, with nothing to release.  Returns as it does. */
int store_schedule_id(struct store *s, const char *name, int64_t *id, char *name_out,
		      size_t namelen);

/* Every schedule, by name.  *out is a new array (schedule_array_free()). */
int store_schedule_list(struct store *s, struct schedule **out, size_t *n);

/* Pauses (paused = 1) or resumes a schedule, setting its next firing.
 * Returns STORE_OK, STORE_NOT_FOUND or an error. */
int store_schedule_pause(struct store *s, int64_t id, int paused, int64_t next_run_at);

/* Deletes a schedule; its scans stay (their schedule_id keeps the old id). */
int store_schedule_delete(struct store *s, int64_t id);

/* Moves schedule id's next firing from old_next to next without firing
 * (a maintenance window holds it).  Another scheduler that moved it first
 * wins; that is STORE_OK too. */
int store_schedule_defer(struct store *s, int64_t id, int64_t old_next, int64_t next);

/* Due schedules (not paused, next_run_at <= now), earliest first. */
int store_schedules_due(struct store *s, int64_t now, int limit, struct schedule **out,
			size_t *n);

/*
 * Schedules that did not fire when due: not paused and next_run_at more
 * than grace_ms before now (no scheduler ran, or it keeps failing).  For
 * /health/scheduler, and for a `schedules.firing` doctor check and a
 * stuck-report category.  *out as for store_schedule_list().
 */
int store_schedules_late(struct store *s, int64_t now, int64_t grace_ms,
			 struct schedule **out, size_t *n);

enum schedule_fired {
	SCHEDULE_FIRED,		/* a scan was queued */
	SCHEDULE_SKIPPED,	/* overlap skip: the previous scan is still pending or running */
	SCHEDULE_RACED,		/* another process fired this slot first: nothing written */
};

/*
 * Fires schedule sc (as read by store_schedules_due()) at `now`: in one
 * transaction, moves next_run_at from sc->next_run_at to `next` only if it
 * still holds that value (the conditional update that makes a firing happen
 * once however many schedulers run), and queues one scan tagged with the
 * schedule, unless the overlap policy is skip and a scan of the schedule
 * is pending or running.  A scan larger than one shard is split as a
 * submitted one is: `slices` (scheduler.c computes them; NULL for none) as
 * store_submit_flow() takes them.  *outcome and *scan_id (0 unless fired;
 * a split scan's parent) say what happened.  Returns STORE_OK or an error
 * (nothing written).
 */
int store_schedule_fire(struct store *s, const struct schedule *sc, const char *slices, int64_t now,
			int64_t next, enum schedule_fired *outcome, int64_t *scan_id);

/* Queues one scan of schedule sc now (split into `slices` as above),
 * whatever its overlap policy and next firing (`schedule run-now`). */
int store_schedule_run_now(struct store *s, const struct schedule *sc, const char *slices,
			   int64_t now, int64_t *scan_id);

/* ---- the lifecycle of findings per baseline (finding_states.c, triage.c) ---- */

/*
 * Each complete run of a baseline (the change-tracking key: the schedule,
 * else type + targets + options) updates, per fingerprint, a finding's
 * state: open when first seen, fixed when a later complete run lacks it,
 * reopened when seen again.  Operators set accepted (with a reason and an
 * optional expiry) or false_positive (with a reason); an acceptance past
 * its expiry reads as reopened at once and is moved to reopened by
 * store_finding_states_expire().
 */
#define FINDING_STATE_NAMES "open, fixed, reopened, accepted, false_positive"

struct finding_state {
	int64_t id;			/* the row: the keyset cursor of lists */
	int64_t baseline_id;
	char fingerprint[33];
	char state[16];			/* one of FINDING_STATE_NAMES */
	char kind[32];
	char *target;			/* may be NULL */
	int port;			/* 0 when not about a port */
	char proto[8];
	char severity[16];
	char *title;			/* may be NULL */
	char *cve;			/* JSON array text of the CVE ids, or NULL */
	int64_t first_seen, last_seen;	/* ms since the epoch */
	int64_t times_seen;
	int64_t first_scan_id, last_scan_id;
	char *reason;			/* the last triage's, or NULL */
	char actor[80];			/* who triaged it last; "" if nobody */
	int64_t expires_at;		/* an acceptance's expiry; 0: none */
	int64_t schedule_id;		/* the baseline's schedule, 0: none */
	char schedule[64];		/* its name; "" when none or removed */
};

void finding_state_array_free(struct finding_state *a, size_t n);
/* Frees the strings of one (then zeroed). */
void finding_state_release(struct finding_state *f);
/* The JSON form (CLI and API): times as RFC 3339.  New reference. */
json_t *finding_state_to_json(const struct finding_state *f);
/* 1 when name is one of FINDING_STATE_NAMES. */
int finding_state_valid(const char *name);

struct finding_state_filter {
	const char *state;		/* NULL: any (validated by the caller) */
	const char *severity;		/* NULL: any; an exact severity */
	int64_t baseline_id;		/* 0: any */
	int64_t schedule_id;		/* 0: any */
	int64_t after_id;		/* keyset cursor: rows with a greater id */
	int limit;			/* 1 .. STORE_LIST_MAX */
};

/* Finding states matching f in id order.  *out is a new array (free with
 * finding_state_array_free()).  Returns STORE_OK or an error. */
int store_finding_states(struct store *s, const struct finding_state_filter *f,
			 struct finding_state **out, size_t *n);

/*
 * Triage of one finding: `to` is "accepted", "false_positive" or
 * "reopened" (undoing a triage: only an accepted or false_positive
 * finding).  baseline_id 0 finds the fingerprint in any baseline (an
 * error when it is in several).  reason is required for the first two;
 * expires_at (ms, 0: never) only for an acceptance and must be later than
 * now.  Written with its audit record (actor, action "finding <to>") in one
 * transaction; *out (may be NULL) gets the row after.  Returns STORE_OK,
 * STORE_NOT_FOUND (no such finding), STORE_ILLEGAL (the message says why;
 * nothing written) or an error.
 */
int store_finding_triage(struct store *s, const char *fingerprint, int64_t baseline_id,
			 const char *to, const char *reason, int64_t expires_at, const char *actor,
			 struct finding_state *out);

/* Moves every acceptance past its expiry to reopened (the maintenance
 * leader's step).  *n (may be NULL) gets how many. */
int store_finding_states_expire(struct store *s, int64_t *n);

/* The lifecycle baseline of scan `scan_id` (a shard's: its parent's);
 * *baseline_id 0 when the scan has none (not completed, or before the
 * lifecycle was kept).  Returns STORE_OK or an error. */
int store_finding_baseline_of(struct store *s, int64_t scan_id, int64_t *baseline_id);

/* The lifecycle baseline of schedule `schedule_id` (*baseline_id 0: none
 * until a run of it completes).  Returns STORE_OK or an error. */
int store_finding_baseline_of_schedule(struct store *s, int64_t schedule_id, int64_t *baseline_id);

/* The newest complete scan of baseline `baseline_id` (*scan_id, 0: none). */
int store_finding_baseline_latest(struct store *s, int64_t baseline_id, int64_t *scan_id);

/* The `limit` (1 .. STORE_LIST_MAX) newest open or reopened finding
 * states (by first sighting), newest first.  *out as for
 * store_finding_states().  Returns STORE_OK or an error. */
int store_finding_states_newest(struct store *s, int limit, struct finding_state **out, size_t *n);

/* ---- the dashboard (store/dashboard.c) --------------------------------------- */

#define STORE_DASH_DAYS 30		/* days of the chart, today the last */
#define STORE_DASH_SEVERITIES 5		/* critical, high, medium, low, info */

struct store_dashboard {
	int64_t now;			/* ms: the time it was read for */
	int64_t since;			/* ms: the first day's start (UTC midnight) */
	/* open[i][k]: findings open (or reopened) at the end of day i (now
	 * for today), of severity store_dash_severity(k): counted from their
	 * first sighting until they were fixed (docs/FINDINGS.md) */
	int64_t open[STORE_DASH_DAYS][STORE_DASH_SEVERITIES];
	int64_t changes_24h[3], changes_7d[3];	/* new, gone, changed of the scans
						 * completed in the last 24 h / 7 days */
};

/* Fills *d for the time `now` (ms).  Each part is one statement over the
 * rollups the writing transactions keep (migration 25), exact to the
 * rows: a few rows a day and an hour, not one a finding or a scan.
 * Returns STORE_OK or an error. */
int store_dashboard(struct store *s, int64_t now, struct store_dashboard *d);

/* Keeps the rollups small (the maintenance leader's step, at the prune's
 * cadence): the chart's deltas of the days more than a week before the
 * chart of `now` are summed into one row per severity, and the change
 * counts of hours more than 8 days before `now` (never read) deleted.
 * The figures of any later time are unchanged.  One transaction.
 * Returns STORE_OK or an error. */
int store_dashboard_fold(struct store *s, int64_t now);

/* The name of severity index k of store_dashboard.open ("" out of range). */
const char *store_dash_severity(int k);
/* ---- exclusions: the global deny-list (store/exclusions.c) ----------------- */

struct scope;

#define STORE_EXCLUSIONS_MAX 64		/* rows of the list; [scope] exclude adds its own */
#define STORE_EXCLUSION_REASON_MAX 200	/* bytes of a reason */

struct exclusion {
	char entry[256];		/* a CIDR block, an address or a domain suffix */
	char reason[STORE_EXCLUSION_REASON_MAX + 1];
	int64_t created_at;		/* ms */
	char created_by[80];		/* the audit trail's actor */
};

/*
 * Adds `entry` (checked with scope_entry_valid(); a CIDR block, an address
 * or a domain suffix) with a reason (may be NULL or "") by `actor`.
 * Returns STORE_OK, or STORE_ILLEGAL with a one-line message (a bad entry,
 * a reason too long, one already listed, or the list full at
 * STORE_EXCLUSIONS_MAX), or an error; nothing is written on a refusal.
 */
int store_exclusion_add(struct store *s, const char *entry, const char *reason, const char *actor);

/* Removes `entry` (as listed).  Returns STORE_OK or STORE_NOT_FOUND. */
int store_exclusion_rm(struct store *s, const char *entry);

/* Every exclusion, by entry.  *out is a new array (free()). */
int store_exclusion_list(struct store *s, struct exclusion **out, size_t *n);

/* The exclusions as `exclude list --json` and GET /api/v1/exclusions show
 * them: the configuration's [scope] exclude ("source": "config") first,
 * then the n rows of x ("source": "store").  A new array (json_decref()). */
json_t *store_exclusions_json(const struct exclusion *x, size_t n);

/*
 * The scope of the configuration ([scope] allow, deny, exclude) with the
 * store's exclusions added: what submit, follow-up stages and workers
 * check.  Returns a new scope (scope_free()), or NULL with the reason in
 * store_error() (the store could not be read, or more than
 * CONFIG_EXCLUDE_MAX exclusions in all).
 */
struct scope *store_exclusion_scope(struct store *s);

/* ---- rate caps per network and their budgets (store/ratecaps.c) ------------- */

#define STORE_RATECAPS_MAX 32		/* rows of `scanq ratecap`; [rate] cap adds its own */
#define STORE_RATE_SLICES 8		/* slices a taker asks for per second */

struct ratecap;				/* scan/ratecap.h */

struct ratecap_row {
	char network[64];		/* canonical CIDR ("10.0.0.0/8") */
	long probes;			/* per second */
	int64_t created_at;		/* ms */
	char created_by[80];
};

/* A slice of budget handed out for one second of the database's clock. */
struct rate_grant {
	int capped;			/* 0: no cap applies (the rest is 0) */
	long probes;			/* how many probes this slice allows */
	long cap;			/* the smallest cap that applied */
	long long window;		/* the second (epoch seconds) it belongs to */
	long ms_left;			/* how long that second still runs */
};

/*
 * Sets the cap of `network` (a CIDR block or an address; stored in
 * canonical form) to `probes` per second, replacing its old cap.
 * Returns STORE_OK, or STORE_ILLEGAL with a one-line reason (a bad
 * network, a cap outside 1..RATECAP_PROBES_MAX, the list full) and
 * nothing written.
 */
int store_ratecap_set(struct store *s, const char *network, long probes, const char *actor);

/* Removes the cap of `network`.  STORE_OK, STORE_ILLEGAL (not a network)
 * or STORE_NOT_FOUND. */
int store_ratecap_rm(struct store *s, const char *network);

/* The store's caps, by network.  *out is a new array (free()). */
int store_ratecap_list(struct store *s, struct ratecap_row **out, size_t *n);

/* The caps in force: [rate] cap's, then the store's, as `ratecap list
 * --json` shows them ("source": "config" or "store").  NULL on a store
 * error (json_decref() the result). */
json_t *store_ratecaps_json(struct store *s);

/*
 * Takes a slice of the current second's budget for a scan whose targets
 * (its JSON array of strings) are `targets`: up to `want` probes from
 * every network it counts against (ratecap_match() over [rate] cap and
 * the store's caps, read at most once a second per process).  The slice
 * is the smallest grant among those networks.  g->capped is 0 when no
 * cap applies (nothing is taken).  Returns STORE_OK or an error.
 */
int store_rate_take(struct store *s, const char *targets, long want, struct rate_grant *g);

/* ---- pauses: scans that may not be claimed (store/pause.c) ------------------- */

#define STORE_PAUSES_MAX 256		/* pauses listed */
#define STORE_PAUSE_REASON_MAX 200	/* bytes of a reason */

struct pause {
	char kind[16];			/* "all", "type" or "schedule" */
	char value[64];			/* the type, the schedule's id; "" for all */
	char name[SCHEDULE_NAME_MAX];	/* a schedule's name ("" for the others, or gone) */
	int64_t since;			/* ms */
	char reason[STORE_PAUSE_REASON_MAX + 1];
	char actor[80];			/* the audit trail's actor */
};

/*
 * Pauses `kind` ("all", "type" with value a type name, "schedule" with
 * value its id): from the commit on, no scan it holds is claimed (the
 * claim statement consults the pauses; running scans are not touched).
 * Returns STORE_OK, STORE_ILLEGAL (already paused, or a reason longer than
 * STORE_PAUSE_REASON_MAX) or an error.  The caller checks the value.
 */
int store_pause_add(struct store *s, const char *kind, const char *value, const char *reason,
		    const char *actor);

/* Ends the pause of kind/value; kind NULL ends every pause.  Returns
 * STORE_OK, or STORE_NOT_FOUND when there was none. */
int store_pause_rm(struct store *s, const char *kind, const char *value);

/* Every pause, oldest first.  *out is a new array (free()). */
int store_pause_list(struct store *s, struct pause **out, size_t *n);

/* Hands every running scan that kind/value holds back to pending at once,
 * without spending an attempt (store_release(); its worker's child is
 * stopped by fencing at its next lease renewal).  *released gets how many. */
int store_pause_handback(struct store *s, const char *kind, const char *value, const char *reason,
			 int *released);

/* A pause as JSON: kind, type or schedule, since (ms), reason, by. */
json_t *pause_to_json(const struct pause *p);

/* A pause in one line ("type portscan since 2026-...Z by cli:ana: why")
 * into buf; returns buf. */
const char *pause_describe(const struct pause *p, char *buf, size_t len);

/* Every pause as a JSON array (pause_to_json()), or NULL on a store error. */
json_t *store_pauses_json(struct store *s);

/* ---- maintenance windows: times when scans may not start (store/windows.c) --- */

#define STORE_WINDOWS_MAX 256		/* windows listed (and kept) */
#define STORE_WINDOW_TARGETS_MAX 1024	/* bytes of a window's target list */
#define STORE_WINDOW_RANGES_MAX 64	/* CIDR blocks (or addresses) of one window */

/*
 * One row of `windows`.  A window holds the scans of its pool ("" for
 * every pool) and, when it names targets, only those whose addresses meet
 * one of its blocks.  opens_at / closes_at are its current or next
 * occurrence in ms of the database's clock (the claim compares them with
 * it); the scheduler's tick moves them on once an occurrence has ended.
 */
struct window {
	int64_t id;
	char name[SCHEDULE_NAME_MAX];
	char cron[132];
	char tz[64];
	int64_t duration_ms;
	char pool[SCAN_POOL_MAX];	/* "" for every pool */
	char targets[STORE_WINDOW_TARGETS_MAX + 1];	/* "a/n,b/m", "" for every target */
	char running[12];		/* "finish" or "handback" */
	int64_t opens_at, closes_at;	/* the current or next occurrence */
	int64_t handed_at;		/* opens_at of the occurrence handed back, 0 if none */
	int64_t created_at;
	char created_by[80];
};

/*
 * The overlap rule the caller decides (maintenance/window.c): 1 with a
 * one-line reason in why when windows a and b may hold one scan at one
 * time, else 0.  store_window_add() asks it about every window whose scope
 * meets the new one's (window_scopes_meet()).
 */
typedef int store_window_overlap_fn(const struct window *a, const struct window *b, char *why,
				    size_t len);

/*
 * Adds window w (opens_at, closes_at planned) in one write transaction,
 * after asking `overlap` about each window whose scope meets it.  Returns
 * STORE_OK with *id, STORE_ILLEGAL (name taken, an overlap, a target that
 * is not a CIDR block or an address, too many windows) with the reason in
 * store_error() and nothing written, or an error.
 */
int store_window_add(struct store *s, const struct window *w, store_window_overlap_fn *overlap,
		     int64_t *id);

/* Removes the window `name`.  Returns STORE_OK or STORE_NOT_FOUND. */
int store_window_rm(struct store *s, const char *name);

/* Every window, by name.  *out is a new array (free()). */
int store_window_list(struct store *s, struct window **out, size_t *n);

/* Moves window id from the occurrence that closed at old_closes to
 * [opens_at, closes_at).  Another process that moved it first wins; that
 * is STORE_OK too. */
int store_window_replan(struct store *s, int64_t id, int64_t old_closes, int64_t opens_at,
			int64_t closes_at);

/*
 * The hand-back at the start of w's current occurrence, once per
 * occurrence whatever the number of processes that try: the first marks
 * it done and hands every running scan w holds back to pending without
 * spending an attempt (as `pause --now`).  *released gets how many (0
 * when another process did it).
 */
int store_window_handback(struct store *s, const struct window *w, int *released);

/* 1 if w's scope holds a scan of `pool` with `targets` (a JSON array):
 * the claim's rule (DB_WINDOW_HOLDS), in C, for a schedule's next scan. */
int window_holds(const struct window *w, const char *pool, const char *targets);

/* 1 if some scan could be held by both a and b (their pools and their
 * target blocks meet), else 0. */
int window_scopes_meet(const struct window *a, const struct window *b);

/* 1 if w is open at `now` (ms, the database's clock). */
int window_open(const struct window *w, int64_t now);

/* A window as JSON: name, cron, tz, duration_s, pool, targets, running,
 * opens_at, closes_at, open (at now), created_at, by. */
json_t *window_to_json(const struct window *w, int64_t now);

/* An open window in one line ("nightly (pool dmz) open until
 * 2026-...Z, running scans finish") into buf; returns buf. */
const char *window_describe(const struct window *w, char *buf, size_t len);

/* The windows open at `now` as a JSON array (window_to_json()), or NULL
 * on a store error. */
json_t *store_windows_open_json(struct store *s, int64_t now);

#endif
