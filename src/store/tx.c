/*
 * tx.c — the helpers every operation of the store core uses inside its
 * transactions (tx.h), written once: the timeline event, the counters,
 * the wake-up at commit, the fenced and not-found answers, the rollback
 * that keeps the first error, the one rule for running a call again after
 * a lost connection, idempotency keys and the loop that reads one page
 * of rows.  They sit below every other
 * file of the core and call only db.c's primitives.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/clock.h"
#include "store/tx.h"

/* How many times a call the server rolled back to end a deadlock is run
 * again, each after a longer pause (10, 20, 40, 80 ms).  Run again at
 * once, the call can take its first lock again before the transaction the
 * server let through has taken it, and build the same cycle: seen in
 * test_store_durability under AddressSanitizer on a loaded host. */
#define CORE_CONFLICT_TRIES 4

/* May a failed call be run again?  Only when nothing can have been
 * committed: the connection broke before COMMIT went out (once), or the
 * server rolled the transaction back to end a deadlock (two writers that
 * took the same counter shard's rows in the opposite order: a submit bumps
 * `counters` before its statement's trigger bumps `scan_counts`, a
 * scheduler's fire the other way round); then it first waits. */
int core_retry_safe(struct store *s, int rc, int tries)
{
	struct timespec ts;

	if (rc >= 0 || rc == STORE_LOST)
		return 0;
	if (s->disconnected && !s->commit_unknown)
		return tries == 0;
	if (!s->conflict || tries >= CORE_CONFLICT_TRIES)
		return 0;
	ts.tv_sec = 0;
	ts.tv_nsec = (10L << tries) * 1000000L;
	while (nanosleep(&ts, &ts) < 0)
		;
	return 1;
}

int core_event(struct store *s, int64_t scan_id, const char *from, const char *to,
	       int attempt, const char *worker, const char *reason)
{
	struct db_args a = { 0 };

	db_i64(&a, scan_id);
	db_i64(&a, scan_now_ms());
	db_text(&a, from);
	db_text(&a, to);
	db_i64(&a, attempt);
	db_text(&a, worker && *worker ? worker : NULL);
	db_text(&a, reason);
	return db_run(s, S_EVENT, &a, NULL);
}

int core_bump(struct store *s, const char *counter, int64_t by)
{
	struct db_args a = { 0 };

	if (by == 0)
		return STORE_OK;
	db_text(&a, counter);
	db_i64(&a, by);
	return db_run(s, S_COUNT, &a, NULL);
}

/* Wakes the waiting workers when the transaction commits (a no-op where
 * the dialect's wake-up needs no help). */
int core_notify(struct store *s)
{
	struct db_args a = { 0 };

	return db_run(s, S_NOTIFY, &a, NULL);
}

int core_lease_drop(struct store *s, int64_t id)
{
	struct db_args a = { 0 };

	db_i64(&a, id);
	return db_run(s, S_LEASE_DROP, &a, NULL);
}

int core_lost(struct store *s, int64_t id, int attempt)
{
	snprintf(s->err, sizeof s->err,
		 "scan %lld attempt %d is no longer running here (fenced)", (long long)id, attempt);
	return STORE_LOST;
}

/* Ends a transaction that failed: rolls back and keeps the first error. */
int core_abort(struct store *s, int rc)
{
	db_rollback(s);
	return rc == STORE_OK || rc == STORE_LOST || rc > 0 ? STORE_ERROR : rc;
}

int core_scan_row(struct store *s, int rc, int64_t id)
{
	if (rc > 0)
		return STORE_OK;
	if (rc == 0) {
		store_set_error(s, "scan %lld not found", (long long)id);
		return STORE_NOT_FOUND;
	}
	return rc;
}

/* Keeps the request's hash with a new keyed scan. */
int core_set_request_hash(struct store *s, int64_t id, const char *key, const char *hash)
{
	struct db_args a = { 0 };

	if (!key || !hash)
		return STORE_OK;
	db_i64(&a, id);
	db_text(&a, hash);
	return db_run(s, S_REQUEST_HASH_SET, &a, NULL);
}

/*
 * The scan that took r's idempotency key: *id, and *existed 1 (a repeat)
 * or STORE_KEY_REUSED (that scan was queued by a different request).  A
 * scan from before request hashes were kept counts as a repeat.
 */
int core_key_owner(struct store *s, const struct scan_request *r, int64_t *id, int *existed)
{
	struct db_args a = { 0 };
	struct db_cur c;
	int rc;

	db_text(&a, r->idempotency_key);
	if ((rc = db_query(s, S_REQUEST_HASH_GET, &a, &c)) == STORE_OK) {
		if ((rc = db_next(&c)) > 0) {
			const char *h = db_col_text(&c, 1);

			*id = db_col_i64(&c, 0);
			if (existed)
				*existed = r->request_hash && h && *h && strcmp(h, r->request_hash)
					   ? STORE_KEY_REUSED : 1;
			rc = STORE_OK;
		} else if (rc == 0) {
			rc = store_set_error(s, "idempotency key conflict without a scan");
		}
	}
	db_done(&c);
	return rc;
}

int core_page(struct store *s, enum db_stmt id, const struct db_args *a, void *arr,
	      size_t size, size_t max, core_row_fn *row, void *ctx, size_t *n)
{
	struct db_cur c;
	int rc;

	*n = 0;
	if ((rc = db_query(s, id, a, &c)) == STORE_OK) {
		while (*n < max && (rc = db_next(&c)) > 0)
			row(&c, (char *)arr + (*n)++ * size, ctx);
		rc = rc < 0 ? rc : STORE_OK;
	}
	db_done(&c);
	return rc;
}

int core_page_new(struct store *s, enum db_stmt id, const struct db_args *a, size_t size,
		  size_t max, core_row_fn *row, void *ctx, void (*drop)(void *elem),
		  void **out, size_t *n)
{
	void *arr;
	int rc;

	*out = NULL;
	*n = 0;
	if (!(arr = calloc(max ? max : 1, size)))
		return store_set_error(s, "out of memory");
	if ((rc = core_page(s, id, a, arr, size, max, row, ctx, n)) != STORE_OK) {
		for (size_t i = 0; drop && i < *n; i++)
			drop((char *)arr + i * size);
		free(arr);
		*n = 0;
		return rc;
	}
	*out = arr;
	return STORE_OK;
}
