/*
 * store_impl.h — what a storage backend implements.  Only store.c and the
 * backends (store_sqlite.c, later store_pg.c) include this; callers see
 * store.h alone.  A backend's handle embeds `struct store` as its first
 * member, so a `struct store *` can be cast to the backend's own type.
 */
#ifndef SCANQ_STORE_IMPL_H
#define SCANQ_STORE_IMPL_H

#include "store.h"

struct store_ops {
	const char *name;
	void (*close)(struct store *s);
	int (*schema_latest)(struct store *s);
	int (*schema_version)(struct store *s);
	int (*migrate)(struct store *s, int target, int *applied);
	int (*submit_many)(struct store *s, const struct scan_request *reqs, size_t n,
			   int64_t *ids, int *existed);
	int (*get)(struct store *s, int64_t id, struct scan *out);
	int (*list)(struct store *s, const struct scan_filter *f, struct scan **out, size_t *n);
	int (*events)(struct store *s, int64_t id, int limit, struct scan_event **out, size_t *n);
	int (*claim)(struct store *s, const char *worker, int max, int lease_ms,
		     struct scan **out, size_t *n);
	int (*heartbeat)(struct store *s, int64_t id, int attempt, int lease_ms,
			 double progress, int *cancel_requested);
	int (*complete_many)(struct store *s, struct store_completion *c, size_t n);
	int (*fail)(struct store *s, int64_t id, int attempt, const struct scan_failure *f,
		    enum scan_status *now_status);
	int (*cancelled)(struct store *s, int64_t id, int attempt);
	int (*release)(struct store *s, int64_t id, int attempt, const char *reason);
	int (*recover_leases)(struct store *s, int *recovered, int *failed);
	int (*cancel)(struct store *s, int64_t id, enum scan_status *now_status);
	int (*retry)(struct store *s, int64_t id);
	int (*stuck)(struct store *s, int64_t pending_ms, int limit, struct stuck_scan **out,
		     size_t *n, int64_t *total);
	int (*prune)(struct store *s, int64_t before_ms, int batch, int max_batches, int dry_run,
		     int64_t *deleted);
	int (*findings)(struct store *s, int64_t scan_id, int64_t after_id, int limit,
			struct finding **out, size_t *n);
	int (*queue_status)(struct store *s, struct queue_status *q);
	int (*counters)(struct store *s, struct store_counters *c);
	int (*worker_register)(struct store *s, const struct worker_info *w);
	int (*worker_heartbeat)(struct store *s, const char *name, int running, int64_t done);
	int (*worker_exited)(struct store *s, const char *name, const char *reason);
	int (*worker_list)(struct store *s, struct worker_info **out, size_t *n);
	int (*token_create)(struct store *s, const char *name, const char *role,
			    const char *hash, int64_t *id);
	int (*token_get)(struct store *s, int64_t id, char *role, char *hash);
	int (*token_any)(struct store *s);
};

struct store {
	const struct store_ops *ops;
	char err[512];
};

/* Sets the handle's error message (printf-style).  Returns STORE_ERROR. */
int store_set_error(struct store *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The PostgreSQL backend: `url` is a libpq connection URI.  Returns NULL
 * with err set. */
struct store *store_pg_open(const char *url, int flags, char *err, size_t errlen);

/* The SQLite backend: `path` is a file path.  Returns NULL with err set. */
struct store *store_sqlite_open(const char *path, int flags, char *err, size_t errlen);

/*
 * What becomes of a running scan whose attempt ended badly (an error, or
 * its lease expired): SCAN_ACT_CANCELLED if an operator asked to cancel,
 * SCAN_ACT_REQUEUE if the failure may be retried and attempts are left
 * (`used` of `max` counted so far), else SCAN_ACT_FAIL.  Both backends
 * decide with this one function.
 */
enum scan_action store_failure_action(int used, int max, int cancel_requested, int retryable);

/* Sets the field of *c that the counters row `name` holds; unknown names
 * are ignored.  Both backends read their counters table through it. */
void store_counter_set(struct store_counters *c, const char *name, int64_t value);

/* The retry delay after attempt number `used` (1-based) failed:
 * base * 2^(used-1), capped at one hour, times a jitter in [0.5, 1.5). */
int64_t store_backoff_ms(int used, int base_ms);

#endif
