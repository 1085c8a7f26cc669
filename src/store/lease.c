/*
 * lease.c — leases, written once for both dialects.  A running scan's
 * lease is its row of `leases` (migration 26; docs/STORE.md, "Hot state
 * apart from history"), written by its claim and deleted by whatever ends
 * the attempt (lifecycle.c).  Here: a worker's renewal (heartbeat, which
 * updates that row alone, fenced by (id, attempt): a refused renewal is
 * STORE_LOST and counted in fenced_writes), and lease recovery: every
 * running scan whose lease expired ends its attempt through the
 * lifecycle's failure path
 * (lifecycle_end_uncounted(), db.h), after every lease was extended by the
 * outage this handle saw (S_EXTEND_LEASES), and is judged again when the
 * read of the expired leases came after a pause (docs/STORE.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/clock.h"
#include "store/tx.h"

/* ---- renewal ----------------------------------------------------------------------- */

/* Counts one write that fencing refused, in a transaction of its own. */
static void count_fenced(struct store *s)
{
	char keep[sizeof s->err];

	memcpy(keep, s->err, sizeof keep);
	if (db_begin(s, 1) == STORE_OK) {
		if (core_bump(s, "fenced_writes", 1) == STORE_OK)
			db_commit(s);
		else
			db_rollback(s);
	}
	memcpy(s->err, keep, sizeof keep);
}

static int heartbeat(struct store *s, int64_t id, int attempt, int lease_ms, double progress,
		     int *cancel_requested)
{
	struct db_args a = { 0 };
	int64_t cancel;
	int rc;

	db_i64(&a, id);
	db_i64(&a, attempt);
	db_i64(&a, scan_now_ms());
	db_i64(&a, lease_ms);
	db_f64(&a, progress > 1 ? 1 : progress);
	rc = db_int(s, S_HEARTBEAT, &a, &cancel);
	if (rc == STORE_OK) {
		if (cancel_requested)
			*cancel_requested = (int)cancel;
		return STORE_OK;
	}
	if (rc != STORE_NOT_FOUND)
		return rc;
	core_lost(s, id, attempt);
	count_fenced(s);
	return STORE_LOST;
}

int store_heartbeat(struct store *s, int64_t id, int attempt, int lease_ms,
		    double progress, int *cancel_requested)
{
	int rc = heartbeat(s, id, attempt, lease_ms, progress, cancel_requested);

	for (int tries = 0; core_retry_safe(s, rc, tries); tries++)
		rc = heartbeat(s, id, attempt, lease_ms, progress, cancel_requested);
	return rc;
}

/* ---- recovery ---------------------------------------------------------------------- */

#define RECOVER_BATCH 500

struct expired { int64_t id; int attempt; struct lifecycle_row r; };

static void expired_row(struct db_cur *c, void *elem, void *ctx)
{
	struct expired *e = elem;

	e->id = db_col_i64(c, 0);
	e->attempt = (int)db_col_i64(c, 1);
	e->r.used = (int)db_col_i64(c, 2);
	e->r.max = (int)db_col_i64(c, 3);
	e->r.cancel = (int)db_col_i64(c, 4);
	db_col_copy(c, 5, e->r.worker, sizeof e->r.worker);
}

/*
 * One judgement of every lease (store_recover_leases()).  If the expired
 * leases were read more than STORE_PAUSE_MS after `since`, it is rolled
 * back and *stale set: see store.h.
 */
static int recover(struct store *s, int64_t since, int *stale, int *recovered, int *failed)
{
	struct expired *ex;
	struct lifecycle_ended ends = { 0 };
	struct db_args a = { 0 };
	size_t nex = 0;
	int64_t late;
	int rc;

	if (!(ex = calloc(RECOVER_BATCH, sizeof *ex)))
		return store_set_error(s, "out of memory");
	if ((rc = db_begin(s, 1)) != STORE_OK)
		goto out;
	/* This handle was cut off from the database for outage_ms: so were the
	 * workers, who could not renew their leases.  Make that time up to them
	 * before judging any lease, so a scan that finished during the outage
	 * gets its result in instead of running again. */
	if (s->outage_ms > 0) {
		struct db_args b = { 0 };

		db_i64(&b, s->outage_ms + 1000);
		if ((rc = db_run(s, S_EXTEND_LEASES, &b, NULL)) != STORE_OK) {
			rc = core_abort(s, rc);
			goto out;
		}
	}
	db_i64(&a, scan_now_ms());
	db_i64(&a, RECOVER_BATCH);
	rc = core_page(s, S_EXPIRED, &a, ex, sizeof *ex, RECOVER_BATCH, expired_row, NULL, &nex);
	late = since ? clock_mono_ms() - since : 0;
	if (rc == STORE_OK && late > STORE_PAUSE_MS) {
		/* Paused (or kept waiting) after the caller last looked: the
		 * workers may have stood still as long while our clock ran on. */
		store_note_pause(s, late);
		db_rollback(s);
		*stale = 1;
		goto out;
	}
	for (size_t i = 0; i < nex && rc == STORE_OK; i++) {
		struct expired *e = &ex[i];
		char reason[128];
		enum scan_status to;

		snprintf(reason, sizeof reason, "lease expired; worker %s lost",
			 e->r.worker[0] ? e->r.worker : "?");
		/* A lost worker's scan is due again at once: no backoff. */
		if ((rc = lifecycle_end_uncounted(s, e->id, e->attempt, &e->r, &lifecycle_worker_lost, 0, reason,
				      &to)) == STORE_OK)
			lifecycle_tally(&ends, to);
	}
	if (rc == STORE_OK)
		rc = lifecycle_count(s, &ends, LIFECYCLE_LEASE);
	if (rc != STORE_OK) {
		rc = core_abort(s, rc);
		goto out;
	}
	if ((rc = db_commit(s)) != STORE_OK)
		goto out;
	s->outage_ms = 0;	/* made up for */
	if (recovered)
		*recovered = (int)ends.pending;
	if (failed)
		*failed = (int)ends.failed;
out:
	free(ex);
	return rc;
}

int store_recover_leases(struct store *s, int64_t since, int *recovered, int *failed)
{
	int rc, stale;

	if (recovered)
		*recovered = 0;
	if (failed)
		*failed = 0;
	for (int tries = 0;; tries++) {
		stale = 0;
		rc = recover(s, since, &stale, recovered, failed);
		for (int again = 0; core_retry_safe(s, rc, again); again++)
			rc = recover(s, since, &stale, recovered, failed);
		if (rc != STORE_OK || !stale)
			return rc;
		/* Judged again at once, the pause made up.  A database that keeps
		 * the read past STORE_PAUSE_MS every time is trusted the third
		 * time, or no lease would ever be recovered. */
		since = tries == 0 ? clock_mono_ms() : 0;
	}
}
