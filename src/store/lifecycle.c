/*
 * lifecycle.c — every change of a scan's status after it was claimed
 * (queue.c queues it, claim.c claims it, lease.c renews its lease and
 * recovers it), written once for both dialects: complete, fail, cancel,
 * retry and hand-back, and the failure path that lease recovery and stuck
 * clear end an attempt through.
 *
 * Each change is one transaction that moves the row, appends its timeline
 * event and bumps its counters together; a change out of `running` also
 * deletes the scan's lease (core_lease_drop(), or the batch statement's
 * own CTE), so a lease exists exactly while its scan runs that attempt.
 * The worker's calls are fenced: they name (id, attempt) and change
 * nothing unless the row is still `running` with that attempt
 * (STORE_LOST, counted in fenced_writes).  What becomes of a failed attempt is decided by store_failure_action() and
 * scan_action_allowed() only, and written by lifecycle_end_uncounted() only: every
 * failure path goes through it, stuck clear's repairs of running scans too
 * (lifecycle_end(), db.h).  A call that failed because the connection was
 * lost before it committed is run once more on a new connection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/clock.h"
#include "store/claim.h"
#include "store/flow.h"
#include "store/tx.h"

static const char CANCEL_MSG[] = "cancelled by an operator";

const struct scan_failure lifecycle_worker_lost = {
	"worker_lost", "the worker running this scan stopped responding", NULL, 1, 0
};

/* ---- completion ------------------------------------------------------------------ */

static int insert_findings(struct store *s, int64_t scan_id, const struct finding *f, size_t n,
			   int64_t now)
{
	for (size_t i = 0; i < n; i++) {
		struct db_args a = { 0 };
		int rc;

		db_i64(&a, scan_id);
		db_text(&a, f[i].kind[0] ? f[i].kind : "finding");
		db_text(&a, f[i].target);
		if (f[i].port > 0)
			db_i64(&a, f[i].port);
		else
			db_null(&a);
		db_text(&a, f[i].proto[0] ? f[i].proto : NULL);
		db_text(&a, f[i].service);
		db_text(&a, f[i].severity[0] ? f[i].severity : "info");
		db_text(&a, f[i].title);
		db_text(&a, f[i].detail);
		db_i64(&a, now);
		if ((rc = db_run(s, S_FINDING_INSERT, &a, NULL)) != STORE_OK)
			return rc;
	}
	return STORE_OK;
}

/* A batch of completions as typed arrays (S_COMPLETE_BATCH's and
 * S_COMPLETE_CLAIM's parameters 1 to 12): the scans' ids, attempts and
 * summaries, and their findings column by column.  Borrows the strings of
 * the completions; batch_release() frees the arrays. */
struct batch {
	int64_t *ids, *attempts, *fscan, *fport;
	const char **summaries, **fcol[7];	/* kind, target, proto, service, severity, title, detail */
};

static void batch_release(struct batch *b)
{
	free(b->ids);
	free(b->attempts);
	free(b->fscan);
	free(b->fport);
	free(b->summaries);
	for (int k = 0; k < 7; k++)
		free(b->fcol[k]);
}

static int batch_init(struct batch *b, const struct store_completion *c, size_t n)
{
	size_t m = 0, j = 0;

	memset(b, 0, sizeof *b);
	for (size_t i = 0; i < n; i++)
		m += c[i].nfindings;
	b->ids = calloc(n + 1, sizeof *b->ids);
	b->attempts = calloc(n + 1, sizeof *b->attempts);
	b->summaries = calloc(n + 1, sizeof *b->summaries);
	b->fscan = calloc(m + 1, sizeof *b->fscan);
	b->fport = calloc(m + 1, sizeof *b->fport);
	for (int k = 0; k < 7; k++)
		if (!(b->fcol[k] = calloc(m + 1, sizeof *b->fcol[k])))
			return -1;
	if (!b->ids || !b->attempts || !b->summaries || !b->fscan || !b->fport)
		return -1;
	for (size_t i = 0; i < n; i++) {
		b->ids[i] = c[i].id;
		b->attempts[i] = c[i].attempt;
		b->summaries[i] = c[i].summary ? c[i].summary : "{}";
		for (size_t k = 0; k < c[i].nfindings; k++, j++) {
			const struct finding *f = &c[i].findings[k];

			b->fscan[j] = c[i].id;
			b->fport[j] = f->port;
			b->fcol[0][j] = f->kind[0] ? f->kind : "finding";
			b->fcol[1][j] = f->target;
			b->fcol[2][j] = f->proto[0] ? f->proto : NULL;
			b->fcol[3][j] = f->service;
			b->fcol[4][j] = f->severity[0] ? f->severity : "info";
			b->fcol[5][j] = f->title;
			b->fcol[6][j] = f->detail;
		}
	}
	return 0;
}

/* Adds the batch's parameters 1 to 13 (the 13th: the event's reason). */
static void batch_args(struct db_args *a, const struct batch *b, size_t n, size_t m)
{
	db_i64s(a, b->ids, n);
	db_i64s(a, b->attempts, n);
	db_texts(a, b->summaries, n);
	db_i64s(a, b->fscan, m);
	db_texts(a, b->fcol[0], m);
	db_texts(a, b->fcol[1], m);
	db_i64s(a, b->fport, m);
	for (int k = 2; k < 7; k++)
		db_texts(a, b->fcol[k], m);
	db_text(a, "finished");
}

static size_t findings_in(const struct store_completion *c, size_t n)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++)
		m += c[i].nfindings;
	return m;
}

/* Marks the completion of scan `id` done (the statement completed it). */
static void mark_done(struct store_completion *c, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (c[i].id == id)
			c[i].rc = STORE_OK;
}

/*
 * The same as complete_rows() below in one statement, for a dialect that
 * has S_COMPLETE_BATCH: the batch goes as typed arrays, and the ids that
 * came back are the scans that were still ours.
 */
static int complete_batch(struct store *s, struct store_completion *c, size_t n)
{
	struct batch b;
	struct db_args a = { 0 };
	struct db_cur cur;
	int rc = STORE_OK;

	for (size_t i = 0; i < n; i++)
		c[i].rc = STORE_LOST;
	if (batch_init(&b, c, n) < 0) {
		rc = store_set_error(s, "out of memory");
		goto out;
	}
	batch_args(&a, &b, n, findings_in(c, n));
	if ((rc = db_query(s, S_COMPLETE_BATCH, &a, &cur)) == STORE_OK) {
		while ((rc = db_next(&cur)) > 0)
			mark_done(c, n, db_col_i64(&cur, 0));
		rc = rc < 0 ? rc : STORE_OK;
	}
	db_done(&cur);
	if (rc != STORE_OK)
		for (size_t i = 0; i < n; i++)
			c[i].rc = rc;
	else if (n == 1 && c[0].rc == STORE_LOST)
		core_lost(s, c[0].id, c[0].attempt);
out:
	batch_release(&b);
	return rc;
}

/*
 * S_COMPLETE_CLAIM: completes the batch and claims the next in one
 * statement, inside the caller's transaction.  Reads the claimed scans
 * (a row whose id is NULL: none) and the ids completed (the last column,
 * "1,2,3").  Returns a store rc; on error nothing is handed out.
 */
static int complete_claim_stmt(struct store *s, struct store_completion *c, size_t n,
			       const char *pool, const char *worker, int max, int lease_ms,
			       struct scan **out, size_t *nout)
{
	struct scan *arr = calloc((size_t)max, sizeof *arr);
	struct batch b;
	struct db_args a = { 0 };
	struct db_cur cur;
	size_t k = 0;
	int rc;

	for (size_t i = 0; i < n; i++)
		c[i].rc = STORE_LOST;
	if (batch_init(&b, c, n) < 0 || !arr) {
		rc = store_set_error(s, "out of memory");
		goto out;
	}
	batch_args(&a, &b, n, findings_in(c, n));
	db_text(&a, worker);
	db_i64(&a, lease_ms);
	db_i64(&a, max);
	db_text(&a, pool ? pool : SCAN_POOL_LOCAL);
	if ((rc = db_query(s, S_COMPLETE_CLAIM, &a, &cur)) == STORE_OK) {
		while ((rc = db_next(&cur)) > 0) {
			const char *done = db_col_text(&cur, DB_SCAN_NCOLS);

			for (char *e; done && *done; done = *e ? e + 1 : e)
				mark_done(c, n, strtoll(done, &e, 10));
			if (db_col_text(&cur, 0) && k < (size_t)max)
				db_read_scan(&cur, &arr[k++]);
		}
		rc = rc < 0 ? rc : STORE_OK;
	}
	db_done(&cur);
out:
	batch_release(&b);
	if (rc != STORE_OK) {
		scan_array_free(arr, k);
		return rc;
	}
	*out = arr;
	*nout = k;
	return STORE_OK;
}

/* Completes n scans one row at a time inside the caller's write transaction. */
static int complete_rows(struct store *s, struct store_completion *c, size_t n)
{
	int64_t now = scan_now_ms(), done = 0, fenced = 0;
	int rc;

	for (size_t i = 0; i < n; i++) {
		struct db_args a = { 0 };
		char worker[SCAN_WORKER_MAX] = "";
		struct db_cur cur;

		db_i64(&a, c[i].id);
		db_i64(&a, c[i].attempt);
		db_i64(&a, now);
		db_text(&a, c[i].summary ? c[i].summary : "{}");
		if ((rc = db_query(s, S_COMPLETE, &a, &cur)) == STORE_OK
		    && (rc = db_next(&cur)) > 0)
			db_col_copy(&cur, 0, worker, sizeof worker);
		db_done(&cur);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			c[i].rc = STORE_LOST;
			fenced++;
			continue;
		}
		if ((rc = core_lease_drop(s, c[i].id)) != STORE_OK
		    || (rc = insert_findings(s, c[i].id, c[i].findings, c[i].nfindings, now)) != STORE_OK
		    || (rc = core_event(s, c[i].id, "running", "completed", c[i].attempt, worker,
				       "finished")) != STORE_OK)
			return rc;
		c[i].rc = STORE_OK;
		done++;
	}
	if ((rc = core_bump(s, "completed", done)) != STORE_OK)
		return rc;
	return core_bump(s, "fenced_writes", fenced);
}

/* A batch of completions in the caller's transaction (with
 * S_COMPLETE_BATCH, in one statement), then what completing them also does:
 * follow-up stages and split parents (flow.c), the changes of each against
 * its baseline and the webhook deliveries they cause (changes.c). */
int lifecycle_complete_in_tx(struct store *s, struct store_completion *c, size_t n)
{
	int rc = s->d->sql[S_COMPLETE_BATCH] ? complete_batch(s, c, n) : complete_rows(s, c, n);

	/* Follow-up stages and split parents, then the changes against the
	 * baseline and the deliveries they cause: all in the same transaction. */
	if (rc == STORE_OK && flow_any(c, n))
		rc = flow_completed(s, c, n);
	return rc == STORE_OK ? changes_on_complete(s, c, n) : rc;
}

static int complete_many(struct store *s, struct store_completion *c, size_t n)
{
	int rc;

	if ((rc = db_begin(s, 1)) != STORE_OK)
		return rc;
	if ((rc = lifecycle_complete_in_tx(s, c, n)) != STORE_OK)
		return core_abort(s, rc);
	if ((rc = db_commit(s)) != STORE_OK)
		return rc;
	if (n == 1 && c[0].rc == STORE_LOST)
		core_lost(s, c[0].id, c[0].attempt);
	return STORE_OK;
}

/*
 * Completes a batch and claims the next in one transaction: one commit, so
 * one fsync, where a completion and a claim would take two.
 */
static int complete_claim(struct store *s, struct store_completion *c, size_t n,
			  const char *pool, const char *worker, int max, int lease_ms, struct scan **out,
			  size_t *nout)
{
	int rc;

	*out = NULL;
	*nout = 0;
	if ((rc = db_begin(s, 1)) != STORE_OK)
		return rc;
	/* One statement completes and claims, when the dialect has it and no
	 * completion makes follow-up work (a stage made now is claimable now
	 * on the other path, which claims after flow.c). */
	if (s->d->sql[S_COMPLETE_CLAIM] && n > 0 && max > 0 && !flow_any(c, n)) {
		if ((rc = complete_claim_stmt(s, c, n, pool, worker, max, lease_ms, out, nout)) != STORE_OK
		    || (rc = changes_on_complete(s, c, n)) != STORE_OK) {
			scan_array_free(*out, *nout);
			*out = NULL;
			*nout = 0;
			return core_abort(s, rc);
		}
	} else if ((rc = lifecycle_complete_in_tx(s, c, n)) != STORE_OK
	    || (max > 0 && (rc = claim_rows(s, pool, worker, max, lease_ms, out, nout)) != STORE_OK))
		return core_abort(s, rc);
	if ((rc = db_commit(s)) != STORE_OK) {
		scan_array_free(*out, *nout);
		*out = NULL;
		*nout = 0;
		return rc;
	}
	if (n == 1 && c[0].rc == STORE_LOST)
		core_lost(s, c[0].id, c[0].attempt);
	return STORE_OK;
}

int store_complete_and_claim(struct store *s, struct store_completion *c, size_t n,
			     const char *pool, const char *worker, int max, int lease_ms,
			     struct scan **out, size_t *nout)
{
	int rc;

	if (max > STORE_CLAIM_MAX)
		max = STORE_CLAIM_MAX;
	rc = complete_claim(s, c, n, pool, worker, max, lease_ms, out, nout);
	for (int tries = 0; core_retry_safe(s, rc, tries); tries++)
		rc = complete_claim(s, c, n, pool, worker, max, lease_ms, out, nout);
	return rc;
}

int store_complete_many(struct store *s, struct store_completion *c, size_t n)
{
	int rc = complete_many(s, c, n);

	for (int tries = 0; core_retry_safe(s, rc, tries); tries++)
		rc = complete_many(s, c, n);
	return rc;
}

int store_complete(struct store *s, int64_t id, int attempt, const char *summary,
		   const struct finding *findings, size_t n)
{
	struct store_completion c = {
		.id = id, .attempt = attempt, .summary = summary,
		.findings = findings, .nfindings = n, .flow = -1,
	};
	int rc = store_complete_many(s, &c, 1);

	return rc == STORE_OK ? c.rc : rc;
}

/* ---- ending an attempt ------------------------------------------------------------- */

int lifecycle_running(struct store *s, int64_t id, int attempt, struct lifecycle_row *r)
{
	struct db_args a = { 0 };
	struct db_cur c;
	int rc;

	db_i64(&a, id);
	db_i64(&a, attempt);
	if ((rc = db_query(s, S_RUNNING_ROW, &a, &c)) == STORE_OK && (rc = db_next(&c)) > 0) {
		r->used = (int)db_col_i64(&c, 0);
		r->max = (int)db_col_i64(&c, 1);
		r->cancel = (int)db_col_i64(&c, 2);
		db_col_copy(&c, 3, r->worker, sizeof r->worker);
	}
	db_done(&c);
	return rc > 0 ? STORE_OK : rc < 0 ? rc : STORE_NOT_FOUND;
}

/*
 * The running row of a worker's write to (id, attempt), inside the
 * caller's write transaction.  Returns STORE_OK, or STORE_LOST when the
 * row is no longer ours: the refused write is then already counted and the
 * error set, and the caller only commits that count.
 */
static int running_row(struct store *s, int64_t id, int attempt, struct lifecycle_row *r)
{
	int rc = lifecycle_running(s, id, attempt, r);

	if (rc != STORE_NOT_FOUND)
		return rc;
	if ((rc = core_bump(s, "fenced_writes", 1)) != STORE_OK)
		return rc;
	return core_lost(s, id, attempt);
}

/*
 * Begins a write transaction and reads the running row of (id, attempt).
 * Returns STORE_OK with the transaction open; STORE_LOST with the refused
 * write counted and committed; or an error with the transaction closed.
 */
static int begin_running(struct store *s, int64_t id, int attempt, struct lifecycle_row *r)
{
	int rc;

	if ((rc = db_begin(s, 1)) != STORE_OK)
		return rc;
	if ((rc = running_row(s, id, attempt, r)) == STORE_LOST) {
		db_commit(s);
		return core_lost(s, id, attempt);
	}
	if (rc != STORE_OK)
		db_rollback(s);
	return rc;
}

/* running -> pending, due after delay_ms; `forgive` gives the attempt back. */
static int to_pending(struct store *s, int64_t id, int attempt, int64_t delay_ms, int forgive,
		      const struct scan_failure *f)
{
	struct db_args a = { 0 };
	int rc;

	db_i64(&a, id);
	db_i64(&a, attempt);
	db_i64(&a, scan_now_ms());
	db_i64(&a, delay_ms);
	db_i64(&a, forgive);
	db_text(&a, f ? f->code : NULL);
	db_text(&a, f ? f->message : NULL);
	db_text(&a, f ? f->detail : NULL);
	if ((rc = db_run(s, S_SET_PENDING, &a, NULL)) != STORE_OK
	    || (rc = core_lease_drop(s, id)) != STORE_OK)
		return rc;
	return delay_ms == 0 ? core_notify(s) : STORE_OK;
}

/* `action` on a scan in status `from`, as the state machine says, fenced
 * by attempt and the current status. */
static int to_final(struct store *s, int64_t id, int attempt, enum scan_status from,
		    enum scan_action action, const char *code, const char *msg, const char *detail)
{
	struct db_args a = { 0 };
	enum scan_status to;

	if (!scan_action_allowed(action, from, &to)) {
		store_set_error(s, "cannot %s a %s scan", scan_action_name(action),
				scan_status_name(from));
		return STORE_ILLEGAL;
	}
	db_i64(&a, id);
	db_i64(&a, attempt);
	db_text(&a, scan_status_name(to));
	db_i64(&a, scan_now_ms());
	db_text(&a, code);
	db_text(&a, msg);
	db_text(&a, detail);
	db_text(&a, scan_status_name(from));
	int rc = db_run(s, S_SET_FINAL, &a, NULL);
	if (rc == STORE_OK && from == SCAN_RUNNING)
		rc = core_lease_drop(s, id);
	return rc == STORE_OK && to == SCAN_FAILED ? webhooks_on_failed(s, id) : rc;
}

enum scan_status lifecycle_ending(const struct lifecycle_row *r, const struct scan_failure *f)
{
	switch (store_failure_action(r->used, r->max, r->cancel, f->retryable)) {
	case SCAN_ACT_CANCELLED:
		return SCAN_CANCELLED;
	case SCAN_ACT_REQUEUE:
		return SCAN_PENDING;
	default:
		return SCAN_FAILED;
	}
}

void lifecycle_tally(struct lifecycle_ended *e, enum scan_status to)
{
	e->pending += to == SCAN_PENDING;
	e->failed += to == SCAN_FAILED;
	e->cancelled += to == SCAN_CANCELLED;
}

int lifecycle_count(struct store *s, const struct lifecycle_ended *e, enum lifecycle_cause cause)
{
	int rc;

	if (cause == LIFECYCLE_LEASE)
		rc = core_bump(s, "lease_recoveries", e->pending + e->failed + e->cancelled);
	else
		rc = core_bump(s, "retries", e->pending);
	if (rc != STORE_OK || (rc = core_bump(s, "failed", e->failed)) != STORE_OK)
		return rc;
	return core_bump(s, "cancelled", e->cancelled);
}

int lifecycle_end_uncounted(struct store *s, int64_t id, int attempt, const struct lifecycle_row *r,
		       const struct scan_failure *f, int64_t delay_ms, const char *reason,
		       enum scan_status *to)
{
	char why[128];
	int rc;

	switch ((*to = lifecycle_ending(r, f))) {
	case SCAN_CANCELLED:
		rc = to_final(s, id, attempt, SCAN_RUNNING, SCAN_ACT_CANCELLED, "cancelled",
			      CANCEL_MSG, f->detail);
		break;
	case SCAN_PENDING:
		rc = to_pending(s, id, attempt, delay_ms, 0, f);
		break;
	default:
		rc = to_final(s, id, attempt, SCAN_RUNNING, SCAN_ACT_FAIL, f->code, f->message,
			      f->detail);
		break;
	}
	if (rc != STORE_OK || (rc = flow_ended(s, id, *to)) != STORE_OK)
		return rc;
	if (!reason && *to == SCAN_PENDING)
		snprintf(why, sizeof why, "%s; retry %d of %d", f->code, r->used, r->max - 1);
	return core_event(s, id, "running", scan_status_name(*to), attempt, r->worker,
			  reason ? reason : *to == SCAN_PENDING ? why : f->code);
}

int lifecycle_end(struct store *s, int64_t id, int attempt, const struct lifecycle_row *r,
		  const struct scan_failure *f, int64_t delay_ms, enum lifecycle_cause cause,
		  const char *reason, enum scan_status *to)
{
	struct lifecycle_ended e = { 0 };
	int rc;

	if ((rc = lifecycle_end_uncounted(s, id, attempt, r, f, delay_ms, reason, to)) != STORE_OK)
		return rc;
	lifecycle_tally(&e, *to);
	return lifecycle_count(s, &e, cause);
}

static int fail(struct store *s, int64_t id, int attempt, const struct scan_failure *f,
		enum scan_status *now_status)
{
	struct lifecycle_row r;
	enum scan_status to;
	int rc;

	if ((rc = begin_running(s, id, attempt, &r)) != STORE_OK)
		return rc;
	if ((rc = lifecycle_end(s, id, attempt, &r, f, store_backoff_ms(r.used, f->backoff_base_ms),
				LIFECYCLE_ERROR, NULL, &to)) != STORE_OK)
		return core_abort(s, rc);
	if ((rc = db_commit(s)) != STORE_OK)
		return rc;
	if (now_status)
		*now_status = to;
	return STORE_OK;
}

int store_fail(struct store *s, int64_t id, int attempt, const struct scan_failure *f,
	       enum scan_status *now_status)
{
	int rc = fail(s, id, attempt, f, now_status);

	for (int tries = 0; core_retry_safe(s, rc, tries); tries++)
		rc = fail(s, id, attempt, f, now_status);
	return rc;
}

/* running -> cancelled (a requested cancel carried out) or -> pending with
 * the attempt given back (a hand-back), in the caller's transaction. */
int lifecycle_cancel_or_hand_back(struct store *s, int64_t id, int attempt,
				  const struct lifecycle_row *r, int hand_back,
				  const char *cancel_reason, const char *reason)
{
	int rc;

	if (!hand_back || r->cancel) {
		if ((rc = to_final(s, id, attempt, SCAN_RUNNING, SCAN_ACT_CANCELLED, "cancelled",
				   CANCEL_MSG, NULL)) != STORE_OK
		    || (rc = core_event(s, id, "running", "cancelled", attempt, r->worker,
				       cancel_reason)) != STORE_OK
		    || (rc = flow_ended(s, id, SCAN_CANCELLED)) != STORE_OK)
			return rc;
		return core_bump(s, "cancelled", 1);
	}
	if ((rc = to_pending(s, id, attempt, 0, 1, NULL)) != STORE_OK)
		return rc;
	return core_event(s, id, "running", "pending", attempt, r->worker,
			 reason ? reason : "handed back");
}

static int end_running(struct store *s, int64_t id, int attempt, int hand_back,
		       const char *reason)
{
	struct lifecycle_row r;
	int rc;

	if ((rc = begin_running(s, id, attempt, &r)) != STORE_OK)
		return rc;
	if ((rc = lifecycle_cancel_or_hand_back(s, id, attempt, &r, hand_back,
					 hand_back ? "cancelled by an operator during shutdown"
						   : "cancelled by an operator; child stopped",
					 reason)) != STORE_OK)
		return core_abort(s, rc);
	return db_commit(s);
}

int store_cancelled(struct store *s, int64_t id, int attempt)
{
	int rc = end_running(s, id, attempt, 0, NULL);

	for (int tries = 0; core_retry_safe(s, rc, tries); tries++)
		rc = end_running(s, id, attempt, 0, NULL);
	return rc;
}

int store_release(struct store *s, int64_t id, int attempt, const char *reason)
{
	int rc = end_running(s, id, attempt, 1, reason);

	for (int tries = 0; core_retry_safe(s, rc, tries); tries++)
		rc = end_running(s, id, attempt, 1, reason);
	return rc;
}

#define RECOVER_BATCH 500

/* ---- a dead worker's scans ----------------------------------------------------------- */

static int release_worker(struct store *s, const char *id, const char *reason, int *released)
{
	struct held { int64_t id; int attempt; struct lifecycle_row r; int lost; } *h;
	struct db_args a = { 0 };
	struct db_cur c;
	size_t n = 0;
	int back = 0, rc;

	if (!(h = calloc(RECOVER_BATCH, sizeof *h)))
		return store_set_error(s, "out of memory");
	if ((rc = db_begin(s, 1)) != STORE_OK)
		goto out;
	db_text(&a, id);
	db_i64(&a, RECOVER_BATCH);
	if ((rc = db_query(s, S_WORKER_HELD, &a, &c)) == STORE_OK) {
		while (n < RECOVER_BATCH && (rc = db_next(&c)) > 0) {
			h[n].id = db_col_i64(&c, 0);
			h[n].attempt = (int)db_col_i64(&c, 1);
			h[n].r.used = (int)db_col_i64(&c, 2);
			h[n].r.max = (int)db_col_i64(&c, 3);
			h[n].r.cancel = (int)db_col_i64(&c, 4);
			h[n].lost = (int)db_col_i64(&c, 5);
			snprintf(h[n].r.worker, sizeof h[n].r.worker, "%s", id);
			n++;
		}
		rc = rc < 0 ? rc : STORE_OK;
	}
	db_done(&c);
	for (size_t i = 0; i < n && rc == STORE_OK; i++) {
		struct db_args b = { 0 };
		char why[160];
		enum scan_status to;

		snprintf(why, sizeof why, "worker %s died (%s)", id, reason ? reason : "?");
		if (h[i].r.cancel || h[i].lost >= STORE_HANDBACK_FORGIVEN) {
			/* Cancelled as asked, or the hand-backs are used up: it counts. */
			rc = lifecycle_end(s, h[i].id, h[i].attempt, &h[i].r, &lifecycle_worker_lost, 0,
					   LIFECYCLE_ERROR, why, &to);
			back += rc == STORE_OK && to == SCAN_PENDING;
			continue;
		}
		db_i64(&b, h[i].id);
		db_i64(&b, h[i].attempt);
		db_i64(&b, scan_now_ms());
		if ((rc = db_run(s, S_HANDBACK, &b, NULL)) == STORE_OK
		    && (rc = core_lease_drop(s, h[i].id)) == STORE_OK
		    && (rc = core_notify(s)) == STORE_OK) {
			snprintf(why + strlen(why), sizeof why - strlen(why), "; handed back, %d of %d",
				 h[i].lost + 1, STORE_HANDBACK_FORGIVEN);
			rc = core_event(s, h[i].id, "running", "pending", h[i].attempt, id, why);
		}
		back++;
	}
	if (rc == STORE_OK)
		rc = core_bump(s, "worker_handbacks", (int64_t)n);
	if (rc != STORE_OK) {
		rc = core_abort(s, rc);
		goto out;
	}
	if ((rc = db_commit(s)) == STORE_OK && released)
		*released = back;
out:
	free(h);
	return rc;
}

int store_release_worker(struct store *s, const char *id, const char *reason, int *released)
{
	int rc;

	if (released)
		*released = 0;
	rc = release_worker(s, id, reason, released);
	for (int tries = 0; core_retry_safe(s, rc, tries); tries++)
		rc = release_worker(s, id, reason, released);
	return rc;
}

/* ---- the operator's side ----------------------------------------------------------- */

/* Reads (and on PostgreSQL locks) status, attempt and cancel_requested. */
static int status_of(struct store *s, int64_t id, enum scan_status *status, int *attempt,
		     int *cancel)
{
	struct db_args a = { 0 };
	struct db_cur c;
	int rc;

	db_i64(&a, id);
	if ((rc = db_query(s, S_STATUS_OF, &a, &c)) == STORE_OK && (rc = db_next(&c)) > 0) {
		scan_status_parse(db_col_text(&c, 0), status);
		*attempt = (int)db_col_i64(&c, 1);
		*cancel = (int)db_col_i64(&c, 2);
	}
	db_done(&c);
	return core_scan_row(s, rc, id);
}

static int cancel(struct store *s, int64_t id, enum scan_status *now_status)
{
	enum scan_status cur;
	int attempt, cancel_req, handled, touched, rc;

	if ((rc = db_begin(s, 1)) != STORE_OK)
		return rc;
	if ((rc = status_of(s, id, &cur, &attempt, &cancel_req)) != STORE_OK
	    || (rc = flow_cancel(s, id, &cur, &handled, &touched)) != STORE_OK)
		goto fail;
	if (handled || (touched && cur != SCAN_PENDING && cur != SCAN_RUNNING)) {
		/* a split scan, or a finished stage whose chain was cancelled below it */
	} else if (cur == SCAN_PENDING) {
		if ((rc = to_final(s, id, attempt, SCAN_PENDING, SCAN_ACT_CANCEL, "cancelled",
				   CANCEL_MSG, NULL)) != STORE_OK
		    || (rc = core_event(s, id, "pending", "cancelled", attempt, NULL,
				       "cancelled by an operator")) != STORE_OK
		    || (rc = core_bump(s, "cancelled", 1)) != STORE_OK
		    || (rc = flow_ended(s, id, SCAN_CANCELLED)) != STORE_OK)
			goto fail;
		cur = SCAN_CANCELLED;
	} else if (cur == SCAN_RUNNING) {
		struct db_args a = { 0 };

		db_i64(&a, id);
		/* The worker holding it learns at its next heartbeat; the notify
		 * wakes workers that listen, so they look sooner. */
		if (!cancel_req
		    && ((rc = db_run(s, S_CANCEL_REQUEST, &a, NULL)) != STORE_OK
			|| (rc = core_event(s, id, "running", "running", attempt, NULL,
					   "cancel requested by an operator")) != STORE_OK
			|| (rc = core_notify(s)) != STORE_OK))
			goto fail;
	} else {
		rc = STORE_ILLEGAL;
		store_set_error(s, "scan %lld is already %s", (long long)id, scan_status_name(cur));
		goto fail;
	}
	if ((rc = db_commit(s)) != STORE_OK)
		return rc;
	if (now_status)
		*now_status = cur;
	return STORE_OK;
fail:
	db_rollback(s);
	return rc;
}

int store_cancel(struct store *s, int64_t id, enum scan_status *now_status)
{
	int rc = cancel(s, id, now_status);

	for (int tries = 0; core_retry_safe(s, rc, tries); tries++)
		rc = cancel(s, id, now_status);
	return rc;
}

static int retry(struct store *s, int64_t id)
{
	struct db_args a = { 0 };
	enum scan_status cur;
	int attempt, cancel_req, handled, rc;

	if ((rc = db_begin(s, 1)) != STORE_OK)
		return rc;
	if ((rc = status_of(s, id, &cur, &attempt, &cancel_req)) != STORE_OK)
		goto fail;
	if (!scan_action_allowed(SCAN_ACT_RETRY, cur, NULL)) {
		rc = STORE_ILLEGAL;
		store_set_error(s, "scan %lld is %s; only failed or cancelled scans can be retried",
				(long long)id, scan_status_name(cur));
		goto fail;
	}
	if ((rc = flow_retry(s, id, cur, &handled)) != STORE_OK)
		goto fail;
	if (handled)		/* a split scan: its shards run again, it does not */
		return db_commit(s);
	db_i64(&a, id);
	db_i64(&a, scan_now_ms());
	if ((rc = db_run(s, S_RETRY, &a, NULL)) != STORE_OK
	    || (rc = core_event(s, id, scan_status_name(cur), "pending", attempt, NULL,
			       "retried by an operator")) != STORE_OK
	    || (rc = core_notify(s)) != STORE_OK)
		goto fail;
	return db_commit(s);
fail:
	db_rollback(s);
	return rc;
}

int store_retry(struct store *s, int64_t id)
{
	int rc = retry(s, id);

	for (int tries = 0; core_retry_safe(s, rc, tries); tries++)
		rc = retry(s, id);
	return rc;
}
