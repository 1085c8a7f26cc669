/*
 * claim.c — claiming: moving a batch of due pending scans to running for
 * one worker, written once for both dialects.  One statement picks the
 * rows and sets their lease (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite:
 * inside one BEGIN IMMEDIATE), so two workers never run the same attempt;
 * each claimed scan gets its lease (a row of `leases`, which its heartbeats
 * renew) and its "claimed" event, and the claims counter moves once per
 * batch (or the dialect's claim statement writes all three itself,
 * DB_CLAIM_LOGS).  lifecycle.c claims through claim_rows() when it
 * completes a batch and claims the next in one transaction.
 */
#include <stdlib.h>
#include "core/clock.h"
#include "store/claim.h"
#include "store/tx.h"

static int collect(struct db_cur *c, size_t max, struct scan **out, size_t *n)
{
	struct scan *arr = calloc(max ? max : 1, sizeof *arr);
	size_t cnt = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (!arr)
		return store_set_error(c->s, "out of memory");
	while (cnt < max && (rc = db_next(c)) > 0)
		db_read_scan(c, &arr[cnt++]);
	if (cnt < max && rc < 0) {
		scan_array_free(arr, cnt);
		return rc;
	}
	*out = arr;
	*n = cnt;
	return STORE_OK;
}

int claim_rows(struct store *s, const char *pool, const char *worker, int max, int lease_ms,
		      struct scan **out, size_t *n)
{
	struct db_args a = { 0 };
	struct db_cur c;
	int64_t now = scan_now_ms();
	int rc;

	*out = NULL;
	*n = 0;
	db_text(&a, worker);
	db_i64(&a, now);
	db_i64(&a, lease_ms);
	db_i64(&a, max);
	db_text(&a, pool ? pool : SCAN_POOL_LOCAL);
	if ((rc = db_query(s, S_CLAIM, &a, &c)) == STORE_OK)
		rc = collect(&c, (size_t)max, out, n);
	db_done(&c);
	if (rc == STORE_OK && !(s->d->caps & DB_CLAIM_LOGS)) {
		for (size_t i = 0; i < *n && rc == STORE_OK; i++) {
			struct db_args l = { 0 };

			db_i64(&l, (*out)[i].id);
			db_i64(&l, (*out)[i].attempt);
			db_text(&l, worker);
			db_i64(&l, now);
			db_i64(&l, lease_ms);
			if ((rc = db_run(s, S_LEASE_INSERT, &l, NULL)) == STORE_OK)
				rc = core_event(s, (*out)[i].id, "pending", "running",
						(*out)[i].attempt, worker, "claimed");
		}
		if (rc == STORE_OK)
			rc = core_bump(s, "claims", (int64_t)*n);
	}
	if (rc != STORE_OK) {
		scan_array_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

static int claim(struct store *s, const char *pool, const char *worker, int max, int lease_ms,
		 struct scan **out, size_t *n)
{
	int rc;

	/* A dialect whose claim statement logs its own events runs it alone. */
	if (s->d->caps & DB_CLAIM_LOGS)
		return claim_rows(s, pool, worker, max, lease_ms, out, n);
	if ((rc = db_begin(s, 1)) != STORE_OK)
		return rc;
	if ((rc = claim_rows(s, pool, worker, max, lease_ms, out, n)) != STORE_OK)
		return core_abort(s, rc);
	if ((rc = db_commit(s)) != STORE_OK) {
		scan_array_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

int store_claim(struct store *s, const char *pool, const char *worker, int max, int lease_ms,
		struct scan **out, size_t *n)
{
	int rc;

	*out = NULL;
	*n = 0;
	if (max < 1)
		return STORE_OK;
	if (max > STORE_CLAIM_MAX)
		max = STORE_CLAIM_MAX;
	rc = claim(s, pool, worker, max, lease_ms, out, n);
	for (int tries = 0; core_retry_safe(s, rc, tries); tries++)
		rc = claim(s, pool, worker, max, lease_ms, out, n);
	return rc;
}
