/*
 * scan.h — the scan record, its status values and the state machine.
 *
 * This module owns the one decision of which status changes are legal
 * (scan_transition_allowed).  Every backend asks it before it writes, so
 * the lifecycle of README.md ("How scanq keeps scans honest") is enforced in one place.  It also turns
 * a scan into the JSON the CLI and the API print (column names as keys,
 * times as RFC 3339 UTC).
 */
#ifndef SCANQ_SCAN_H
#define SCANQ_SCAN_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

enum scan_status {
	SCAN_PENDING = 0,
	SCAN_RUNNING,
	SCAN_COMPLETED,
	SCAN_FAILED,
	SCAN_CANCELLED,
	SCAN_STATUS_COUNT
};

#define SCAN_TYPE_MAX      32	/* bytes of a type name, with NUL */
#define SCAN_WORKER_MAX    65	/* bytes of a worker or agent id, with NUL */
#define SCAN_CODE_MAX      32	/* bytes of an error code, with NUL */
#define SCAN_KEY_MAX       200	/* longest idempotency key accepted */
#define SCAN_POOL_MAX      33	/* bytes of a pool name ([a-z0-9_-]{1,32}), with NUL */
#define SCAN_POOL_LOCAL    "local"	/* the pool of the server's own workers */
#define SCAN_PRIORITY_MIN  (-1000)
#define SCAN_PRIORITY_MAX  1000
#define SCAN_ATTEMPTS_MAX  100
#define SCAN_TIME_LIMIT_MAX (7 * 24 * 3600)	/* one week, in seconds */

/*
 * One row of `scans`.  Times are milliseconds since the Unix epoch, 0 when
 * the column is NULL.  The char* members are heap strings owned by the
 * struct (NULL when the column is NULL); scan_release() frees them.
 */
struct scan {
	int64_t id;
	char type[SCAN_TYPE_MAX];
	char *targets;			/* JSON array text */
	char *options;			/* JSON object text (ports, ...) */
	enum scan_status status;
	int priority;
	int attempt;			/* fencing token: +1 on every claim */
	int max_attempts;
	int time_limit_s;		/* hard limit; soft limit is derived */
	int64_t run_after;
	int64_t created_at;
	int64_t claimed_at;
	int64_t finished_at;
	int64_t lease_expires_at;
	char worker_id[SCAN_WORKER_MAX];
	int cancel_requested;
	double progress;		/* 0.0 .. 1.0 */
	char error_code[SCAN_CODE_MAX];
	char *error_message;		/* sanitized, shown to users */
	char *error_detail;		/* internal: stderr tail, errno text */
	char *summary;			/* JSON object text */
	char *idempotency_key;
	int64_t parent_id;		/* the stage or split scan it came from, 0 if none */
	int flow;			/* SCAN_FLOW_* bits: what its completion also does */
	int attempts_used;		/* attempts counted in the current retry budget
					 * (attempt - attempt_base): "attempt N of M" */
	int64_t schedule_id;		/* the schedule that queued it, 0 if none */
	char pool[SCAN_POOL_MAX];	/* who may claim it: workers and agents of this pool */
};

/* scan.flow: a stage with follow-ups (options.then), a scan split into
 * shards (it never runs itself), a shard (its parent completes with the
 * last of them).  0 for a plain scan: its completion takes the fast path. */
#define SCAN_FLOW_THEN  0x1
#define SCAN_FLOW_SPLIT 0x2
#define SCAN_FLOW_SHARD 0x4

/* One row of `scan_events`: a status change in a scan's timeline. */
struct scan_event {
	int64_t id;
	int64_t scan_id;
	int64_t at;
	int from;			/* enum scan_status, or -1 for "new" */
	enum scan_status to;
	int attempt;
	char worker_id[SCAN_WORKER_MAX];
	char reason[128];
};

/* Returns the lower-case name of a status ("pending", ...). */
const char *scan_status_name(enum scan_status s);

/* Parses a status name.  Returns 0 and sets *out, or -1 if unknown. */
int scan_status_parse(const char *name, enum scan_status *out);


/* What can happen to a scan; each moves it from one status to another. */
enum scan_action {
	SCAN_ACT_CLAIM,		/* a worker takes it:        pending -> running */
	SCAN_ACT_CANCEL,	/* an operator cancels it:   pending -> cancelled */
	SCAN_ACT_COMPLETE,	/* its worker finished it:   running -> completed */
	SCAN_ACT_REQUEUE,	/* error, attempts left; lease expired; hand-back:
				 *                           running -> pending */
	SCAN_ACT_FAIL,		/* error, no attempts left:  running -> failed */
	SCAN_ACT_CANCELLED,	/* cancel carried out:       running -> cancelled */
	SCAN_ACT_RETRY,		/* an operator retries it:   failed | cancelled -> pending */
	SCAN_ACTION_COUNT
};

/*
 * The state machine: the one place that decides.  Returns 1 and sets *to
 * (may be NULL) if `action` is allowed on a scan in status `from`, else 0.
 * completed is final: no action applies to it.
 */
int scan_action_allowed(enum scan_action action, enum scan_status from, enum scan_status *to);

/*
 * May an operator cancel a scan in `status` now?  A pending scan is
 * cancelled at once (SCAN_ACT_CANCEL); a running one gets a cancel request
 * that its worker carries out (SCAN_ACT_CANCELLED), unless one is already
 * pending (`cancel_requested`).  The API's "allowed" flags and the UI's
 * Cancel button ask this; store_cancel() enforces the same.
 */
int scan_may_cancel(enum scan_status status, int cancel_requested);

/* 1 if some action moves a scan from `from` to `to`, else 0. */
int scan_transition_allowed(enum scan_status from, enum scan_status to);

/* The name of an action ("claim", "retry", ...), for messages. */
const char *scan_action_name(enum scan_action action);

/* Frees the heap strings of a scan and zeroes it; NULL is a no-op. */
void scan_release(struct scan *s);

/* Frees an array of n scans returned by a store call; NULL is a no-op. */
void scan_array_free(struct scan *arr, size_t n);

/*
 * Builds the JSON object of a scan (column names as keys, times RFC 3339
 * UTC or null).  `internal` adds error_detail, which only admin views and
 * the CLI show.  Returns a new reference, NULL on allocation failure.
 */
json_t *scan_to_json(const struct scan *s, int internal);

/* Builds the JSON object of an event.  Returns a new reference. */
json_t *scan_event_to_json(const struct scan_event *e);

/*
 * Formats ms-since-epoch as RFC 3339 UTC with milliseconds
 * ("2026-11-23T19:39:07.123Z") into buf (at least 32 bytes).
 * Returns buf.
 */
char *scan_format_time(int64_t ms, char *buf, size_t len);

/* The JSON values every view writes alike (new references): a time as
 * scan_format_time() writes it, null for 0; a string, null for NULL or "". */
json_t *scan_json_time(int64_t ms);
json_t *scan_json_text(const char *s);

/*
 * A view's fields in JSON, written once per view as a table of struct
 * scan_json_field (its key, how the value shows, the field's offset) that
 * scan_json_put() writes into an object in table order.
 *   SJ_I64, SJ_INT        int64_t, int: a number
 *   SJ_I64_OR_NULL, SJ_INT_OR_NULL   the same, null for 0
 *   SJ_TIME               int64_t ms: scan_json_time()
 *   SJ_STR                char[]: a string, "" included
 *   SJ_TEXT, SJ_TEXTP     char[], char *: scan_json_text() (null for "")
 *   SJ_STRP               char *: a string, null for NULL only
 *   SJ_JSONP              char * JSON text: its value (text that does not
 *                         parse shows as a string), null for NULL or ""
 *   SJ_ARRAYP             char * JSON text of an array: it, else []
 *   SJ_BOOL, SJ_REAL      int, double
 *   SJ_STATUS             enum scan_status: its name
 *   SJ_POOL               char[]: the pool, SCAN_POOL_LOCAL for ""
 * An entry with `internal` set is written only when scan_json_put() is
 * asked for internal fields.
 */
enum scan_json_kind {
	SJ_I64, SJ_INT, SJ_I64_OR_NULL, SJ_INT_OR_NULL, SJ_TIME, SJ_STR, SJ_TEXT, SJ_TEXTP,
	SJ_STRP, SJ_JSONP, SJ_ARRAYP, SJ_BOOL, SJ_REAL, SJ_STATUS, SJ_POOL,
};
struct scan_json_field {
	const char *key;
	enum scan_json_kind kind;
	size_t off;
	int internal;
};
#define SCAN_JSON(T, m, kind) { #m, kind, offsetof(T, m), 0 }
#define SCAN_JSON_AS(key, T, m, kind) { key, kind, offsetof(T, m), 0 }
#define SCAN_JSON_INTERNAL(T, m, kind) { #m, kind, offsetof(T, m), 1 }

/* Writes fields[0..n-1] of the struct at src into object o (the internal
 * ones only when internal is set). */
void scan_json_put(json_t *o, const struct scan_json_field *fields, size_t n, const void *src,
		   int internal);

/* The current wall-clock time in ms since the epoch. */
int64_t scan_now_ms(void);

#endif
