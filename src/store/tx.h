/*
 * tx.h — the helpers every operation of the store core uses inside its
 * transactions (tx.c): the timeline event, the counters, the wake-up, the
 * fenced and not-found answers, the rollback that keeps the first error,
 * the rule for running a call again after a lost connection, and the
 * idempotency key's owner.  Only src/store/ includes this.  None of them
 * opens or ends a transaction, except core_abort(), which rolls back.
 */
#ifndef SCANQ_STORE_TX_H
#define SCANQ_STORE_TX_H

#include "store/db.h"

/* May a failed call be run again, after `tries` runs again already?  Only
 * when nothing can have been committed: the connection broke before COMMIT
 * went out (once), or the server rolled the transaction back to end a
 * deadlock or serialization failure (a few times, after a pause that lets
 * the other transaction finish).  Callers loop:
 *     for (int tries = 0; core_retry_safe(s, rc, tries); tries++)
 *             rc = call(...); */
int core_retry_safe(struct store *s, int rc, int tries);

/* Appends a timeline event / adds `by` to a counter / wakes the waiting
 * workers at commit, inside the caller's transaction.  Return a store rc. */
int core_event(struct store *s, int64_t scan_id, const char *from, const char *to,
	       int attempt, const char *worker, const char *reason);
int core_bump(struct store *s, const char *counter, int64_t by);
int core_notify(struct store *s);

/* Deletes the lease of scan `id` (none: nothing), inside the caller's
 * transaction, in the one that moves the scan out of `running`: a lease
 * exists exactly while its scan runs that attempt.  Returns a store rc. */
int core_lease_drop(struct store *s, int64_t id);

/* Sets the "fenced" message for (id, attempt).  Returns STORE_LOST. */
int core_lost(struct store *s, int64_t id, int attempt);

/* What reading the row of scan `id` came to, from db_next()'s rc (or an
 * earlier error): STORE_OK for a row, STORE_NOT_FOUND with "scan N not
 * found" set for none, the error otherwise. */
int core_scan_row(struct store *s, int rc, int64_t id);

/* Rolls a failed transaction back, keeping the first error.  Returns the
 * error to report (never STORE_OK). */
int core_abort(struct store *s, int rc);

/* Idempotency: keeps a new keyed scan's request hash (nothing without a
 * key or a hash); finds the scan that took r's key: *existed 1 for a
 * repeat, STORE_KEY_REUSED when that scan was queued by a different
 * request.  Inside the caller's transaction; return a store rc. */
/*
 * Reads one page of rows, the loop every bounded read shares: runs `id`
 * with `a` and hands each row, at most `max`, to row(c, elem, ctx), where
 * elem is the row's slot in `arr` (elements of `size` bytes, room for
 * `max`).  *n gets the number of rows read, also on error, so the caller
 * can release what row() kept.  Returns STORE_OK or the query's error.
 */
typedef void core_row_fn(struct db_cur *c, void *elem, void *ctx);
int core_page(struct store *s, enum db_stmt id, const struct db_args *a, void *arr,
	      size_t size, size_t max, core_row_fn *row, void *ctx, size_t *n);

/*
 * core_page() into a new array with room for `max` elements: on success
 * *out owns it (free it as its type says) and *n counts its rows; on
 * error *out is NULL, *n 0, every row read is given to drop() (when not
 * NULL) and the array freed.  "out of memory" is an error like the query's.
 */
int core_page_new(struct store *s, enum db_stmt id, const struct db_args *a, size_t size,
		  size_t max, core_row_fn *row, void *ctx, void (*drop)(void *elem),
		  void **out, size_t *n);

int core_set_request_hash(struct store *s, int64_t id, const char *key, const char *hash);
int core_key_owner(struct store *s, const struct scan_request *r, int64_t *id, int *existed);

#endif
