/*
 * flow.h — the store core's side of follow-up stages and shards,
 * for the other files of the core only (lifecycle.c, read.c).  Each call
 * runs inside the caller's open write transaction, so a follow-up stage is
 * created, and a split parent completed or failed, in the same commit as
 * the change that caused it: exactly once, whatever crashes.
 */
#ifndef SCANQ_STORE_FLOW_H
#define SCANQ_STORE_FLOW_H

#include "store/db.h"

/* For a caller that queues a scan inside its own transaction (a schedule
 * firing): inserts `req` as a pending scan with its flow bits taken from
 * options.then, its event (`reason`), the counter and the wake-up; with
 * `slices` (JSON text, an array of target arrays, as store_submit_flow()
 * takes; NULL for none), a split parent and its shards.  *id is 0 when
 * the idempotency key was taken.  Returns a store rc. */
int flow_insert_in_tx(struct store *s, const struct scan_request *req, const char *slices,
		      const char *reason, int64_t *id);

/* Does any of these completions need flow_completed()?  (A plain scan's
 * hint is 0: its batch takes the fast path.) */
int flow_any(const struct store_completion *c, size_t n);

/* After completions committed nothing yet: for each completion with rc
 * STORE_OK and a non-zero flow hint, creates its follow-up stages and
 * completes its split parent when it was the last shard.  Returns a store rc. */
int flow_completed(struct store *s, const struct store_completion *c, size_t n);

/* Scan `id` just became failed or cancelled (`to`): a shard's split parent
 * fails, naming the shards that did not complete.  Returns a store rc. */
int flow_ended(struct store *s, int64_t id, enum scan_status to);

/* The cancel of scan `id`, before its own change: cancels every stage and
 * shard below it; a running split parent is cancelled at once (*handled =
 * 1, *cur = cancelled; nothing else to do).  *touched counts the
 * descendants changed.  Returns a store rc. */
int flow_cancel(struct store *s, int64_t id, enum scan_status *cur, int *handled, int *touched);

/* The retry of a failed or cancelled scan `id`: a split parent retries only
 * its shards that did not complete and runs again (*handled = 1); a shard
 * re-opens its failed parent.  Returns a store rc. */
int flow_retry(struct store *s, int64_t id, enum scan_status cur, int *handled);

/* The findings statement for scan `id`: S_FLOW_FINDINGS for a split parent
 * (its shards' findings as one list), else S_FINDINGS.  Returns STORE_OK,
 * STORE_NOT_FOUND (message set) or an error. */
int flow_findings_stmt(struct store *s, int64_t id, enum db_stmt *st);

#endif
