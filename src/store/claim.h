/*
 * claim.h — claiming inside a transaction the caller holds (claim.c), for
 * the core's files that claim as part of a larger transaction.  Callers
 * outside the store use store_claim() (store.h).
 */
#ifndef SCANQ_STORE_CLAIM_H
#define SCANQ_STORE_CLAIM_H

#include "store/db.h"

/*
 * The claim itself, inside the caller's write transaction, or alone where
 * the dialect's claim statement logs its own events (DB_CLAIM_LOGS: one
 * round trip, its own transaction): up to max due pending scans for
 * worker, leased for lease_ms, their events and the counter.  *out (the
 * caller frees it with scan_array_free()) gets *n scans; on error *out is
 * freed and empty.  Returns a store rc.
 */
int claim_rows(struct store *s, const char *pool, const char *worker, int max, int lease_ms,
	       struct scan **out, size_t *n);

#endif
