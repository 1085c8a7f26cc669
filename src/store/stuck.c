/*
 * stuck.c — the stuck report, its repairs (`stuck clear`) and the emergency
 * reset, written once over the dialects' statements (db.h).
 *
 * The report is a table of categories: each names the statement that finds
 * its scans, what it means, the fix, and the function that applies the fix
 * inside an open write transaction.  Adding a category (the schedules that
 * did not fire, say) is one more row of `categories` and one statement.
 * The short report (`scanq stuck`, /health/scheduler) is not another
 * report: it is the categories with a `brief` name, read by their indexes
 * and counted in all.
 *
 * Repairs never guess: a scan whose row and timeline disagree is repaired
 * from the timeline (a final event wins over a row still pending or
 * running; otherwise the timeline is brought up to the row), and every
 * change appends a timeline event that says what stuck clear did and why.
 * A dry run runs the very same repairs in one transaction and rolls it
 * back, so what it prints is exactly what a real run would change.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store/tx.h"

#define SKIPPED 1		/* a repair that found nothing to change */

/* A dry run writes no timeline event: on PostgreSQL even a rolled-back
 * insert advances the events' id sequence, and a dry run changes nothing.
 * (A handle is used by one thread at a time, so per thread is per run.) */
static _Thread_local int in_dry_run;

typedef int (*fix_fn)(struct store *s, const struct stuck_item *it, struct stuck_change *ch);

static int fix_lease(struct store *s, const struct stuck_item *it, struct stuck_change *ch);
static int fix_overtime(struct store *s, const struct stuck_item *it, struct stuck_change *ch);
static int fix_no_worker(struct store *s, const struct stuck_item *it, struct stuck_change *ch);
static int fix_no_finish(struct store *s, const struct stuck_item *it, struct stuck_change *ch);
static int fix_no_lease(struct store *s, const struct stuck_item *it, struct stuck_change *ch);
static int fix_cancel_left(struct store *s, const struct stuck_item *it, struct stuck_change *ch);
static int fix_timeline(struct store *s, const struct stuck_item *it, struct stuck_change *ch);
static int fix_budget(struct store *s, const struct stuck_item *it, struct stuck_change *ch);

static const struct stuck_category categories[] = {
	{ "lease_expired", "running, but its lease expired (its worker died or was cut off)",
	  "lease recovery hands it back: `scanq stuck clear` (serve does it every 2 s)", 1, 1,
	  "lease_expired" },
	{ "over_time_limit", "running past its hard time limit while its worker still renews the lease",
	  "`scanq stuck clear` ends the attempt as timeout; check the worker's log", 1, 1, NULL },
	{ "pending_no_worker", "pending and due past the threshold, and no live worker can take it",
	  "start `scanq serve` or `scanq worker`; `scanq stuck clear` fails these scans", 1, 0,
	  "pending_too_long" },
	{ "backlog", "pending and due past the threshold while workers are alive (a backlog)",
	  "add workers or concurrency (`scanq serve --workers N`); nothing to repair", 0, 0,
	  "pending_too_long" },
	{ "finished_without_time", "finished, but finished_at is missing",
	  "`scanq stuck clear` sets it from the timeline", 1, 1, NULL },
	{ "running_without_lease", "running without a worker or a lease",
	  "`scanq stuck clear` repairs it from the timeline (or hands it back to pending)", 1, 1, NULL },
	{ "cancel_left_set", "finished, with a cancel request still set",
	  "`scanq stuck clear` clears the request", 1, 1, NULL },
	{ "timeline_mismatch", "the timeline's last event disagrees with the status",
	  "`scanq stuck clear` repairs the status from the timeline, or the timeline from it", 1, 1,
	  NULL },
	{ "attempt_over_budget", "its attempt is above the attempt budget",
	  "`scanq stuck clear` fails a pending one (attempts_exhausted); a running one finishes", 1, 1,
	  NULL },
	{ "no_agent", "pending and due past the threshold in a pool of agents, and no agent of "
	  "that pool is live", "start an agent of the pool (`scanq token create --role agent "
	  "--pool NAME`, docs/AGENTS.md); nothing to repair", 0, 0, NULL },
};
#define NCAT ((int)(sizeof categories / sizeof categories[0]))
_Static_assert(NCAT <= STUCK_CATEGORIES_MAX, "STUCK_CATEGORIES_MAX is too small");

/* Each category's statements (count: the short report's only) and repair. */
static const struct {
	enum db_stmt list, count;
	fix_fn fix;
} how[NCAT] = {
	{ S_SQ_LEASE, S_SQ_LEASE_N, fix_lease },
	{ S_SQ_OVERTIME, DB_STMT_COUNT, fix_overtime },
	{ S_SQ_NO_WORKER, S_SQ_NO_WORKER_N, fix_no_worker },
	{ S_SQ_BACKLOG, S_SQ_BACKLOG_N, NULL },
	{ S_SQ_NO_FINISH, DB_STMT_COUNT, fix_no_finish },
	{ S_SQ_NO_LEASE, DB_STMT_COUNT, fix_no_lease },
	{ S_SQ_CANCEL_LEFT, DB_STMT_COUNT, fix_cancel_left },
	{ S_SQ_TIMELINE, DB_STMT_COUNT, fix_timeline },
	{ S_SQ_BUDGET, DB_STMT_COUNT, fix_budget },
	{ S_SQ_NO_AGENT, DB_STMT_COUNT, NULL },
};

const struct stuck_category *store_stuck_categories(int *n)
{
	if (n)
		*n = NCAT;
	return categories;
}

static int is_final(enum scan_status st)
{
	return st == SCAN_COMPLETED || st == SCAN_FAILED || st == SCAN_CANCELLED;
}

/* The parameters of every S_SQ_* statement (db.h). */
static void category_args(struct db_args *a, int64_t age_ms, int limit)
{
	db_i64(a, scan_now_ms());
	db_i64(a, age_ms);
	db_i64(a, limit);
	db_i64(a, STORE_WORKER_DEAD_MS);
	db_i64(a, STUCK_OVERTIME_GRACE_MS);
}

/* Reads up to `limit` items of category `cat` into arr (room for limit). */
static int list_category(struct store *s, int cat, int64_t age_ms, int limit,
			 struct stuck_item *arr, size_t *n)
{
	struct db_args a = { 0 };
	struct db_cur c;
	int rc;

	*n = 0;
	category_args(&a, age_ms, limit);
	if ((rc = db_query(s, how[cat].list, &a, &c)) == STORE_OK) {
		while (*n < (size_t)limit && (rc = db_next(&c)) > 0) {
			struct stuck_item *x = &arr[(*n)++];

			memset(x, 0, sizeof *x);
			x->category = cat;
			x->id = db_col_i64(&c, 0);
			db_col_copy(&c, 1, x->type, sizeof x->type);
			scan_status_parse(db_col_text(&c, 2), &x->status);
			x->attempt = (int)db_col_i64(&c, 3);
			db_col_copy(&c, 4, x->worker_id, sizeof x->worker_id);
			x->since = db_col_i64(&c, 5);
			db_col_copy(&c, 6, x->detail, sizeof x->detail);
		}
		rc = rc < 0 ? rc : STORE_OK;
	}
	db_done(&c);
	return rc;
}

/* How many scans category `cat` holds in all: counted when it has a count
 * statement and its list was full, else as many as were listed. */
static int total_of(struct store *s, int cat, int64_t age_ms, int limit, size_t listed,
		    int64_t *total)
{
	struct db_args a = { 0 };

	*total = (int64_t)listed;
	if (how[cat].count == DB_STMT_COUNT || listed < (size_t)limit)
		return STORE_OK;
	category_args(&a, age_ms, limit);
	return db_int(s, how[cat].count, &a, total);
}

int store_stuck_report(struct store *s, int64_t age_ms, int limit, int flags,
		       struct stuck_item **out, size_t *n, int *counts, int64_t *totals)
{
	struct stuck_item *arr;
	size_t cnt = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (limit < 1 || limit > STORE_LIST_MAX)
		limit = STORE_LIST_MAX;
	if (!(arr = calloc((size_t)limit * NCAT, sizeof *arr)))
		return store_set_error(s, "out of memory");
	if ((rc = db_begin(s, 0)) != STORE_OK)
		goto fail;
	for (int i = 0; i < NCAT; i++) {
		int64_t total = 0;
		size_t k = 0;

		if (!(flags & STUCK_REPORT_BRIEF) || categories[i].brief) {
			if ((rc = list_category(s, i, age_ms, limit, arr + cnt, &k)) != STORE_OK
			    || (rc = total_of(s, i, age_ms, limit, k, &total)) != STORE_OK) {
				db_rollback(s);
				goto fail;
			}
		}
		if (counts)
			counts[i] = (int)k;
		if (totals)
			totals[i] = total;
		cnt += k;
	}
	db_rollback(s);
	*out = arr;
	*n = cnt;
	return STORE_OK;
fail:
	free(arr);
	return rc;
}

/* ---- the repairs: each runs inside the caller's write transaction ---------------------- */

static int last_event(struct store *s, int64_t id, char *to, size_t tolen, int64_t *at)
{
	struct db_args a = { 0 };
	struct db_cur c;
	int rc;

	to[0] = '\0';
	*at = 0;
	db_i64(&a, id);
	if ((rc = db_query(s, S_LAST_EVENT, &a, &c)) == STORE_OK) {
		if ((rc = db_next(&c)) > 0) {
			db_col_copy(&c, 0, to, tolen);
			*at = db_col_i64(&c, 1);
		}
		rc = rc < 0 ? rc : STORE_OK;
	}
	db_done(&c);
	return rc;
}

/* Runs the guarded repair `st` (its row's id and attempt first in a):
 * STORE_OK when it changed the row, SKIPPED when the scan had moved on,
 * else the error. */
static int repair(struct store *s, enum db_stmt st, const struct db_args *a)
{
	int64_t changed = 0;
	int rc;

	if ((rc = db_run(s, st, a, &changed)) != STORE_OK)
		return rc;
	return changed ? STORE_OK : SKIPPED;
}

/* A repair that moved a running scan on ends its lease with it. */
static int finish_repair(struct store *s, const struct stuck_item *it, int rc)
{
	if (rc == STORE_OK && it->status == SCAN_RUNNING)
		rc = core_lease_drop(s, it->id);
	return rc;
}

static int set_final(struct store *s, const struct stuck_item *it, enum scan_status to,
		     const char *code, const char *message)
{
	struct db_args a = { 0 };

	db_i64(&a, it->id);
	db_i64(&a, it->attempt);
	db_text(&a, scan_status_name(to));
	db_i64(&a, scan_now_ms());
	db_text(&a, code);
	db_text(&a, message);
	db_null(&a);
	db_text(&a, scan_status_name(it->status));
	return finish_repair(s, it, repair(s, S_SET_FINAL, &a));
}

static int set_pending(struct store *s, const struct stuck_item *it, int forgive,
		       const char *code, const char *message)
{
	struct db_args a = { 0 };

	db_i64(&a, it->id);
	db_i64(&a, it->attempt);
	db_i64(&a, scan_now_ms());
	db_i64(&a, 0);
	db_i64(&a, forgive);
	db_text(&a, code);
	db_text(&a, message);
	db_null(&a);
	return finish_repair(s, it, repair(s, S_SET_PENDING, &a));
}

/* Fills *ch with a change from `from` to `to` and why stuck clear made it. */
static void describe(const struct stuck_item *it, enum scan_status from, enum scan_status to,
		     struct stuck_change *ch, const char *why)
{
	ch->category = it->category;
	ch->id = it->id;
	ch->from = from;
	ch->to = to;
	snprintf(ch->action, sizeof ch->action, "stuck clear: %s", why);
}

/* Fills *ch and appends the timeline event of the change (not in a dry run). */
static int record(struct store *s, const struct stuck_item *it, enum scan_status from,
		  enum scan_status to, struct stuck_change *ch, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static int record(struct store *s, const struct stuck_item *it, enum scan_status from,
		  enum scan_status to, struct stuck_change *ch, const char *fmt, ...)
{
	char why[sizeof ch->action - 16];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	describe(it, from, to, ch, why);
	if (in_dry_run)
		return STORE_OK;
	return core_event(s, it->id, scan_status_name(from), scan_status_name(to), it->attempt,
			  it->worker_id, ch->action);
}

/*
 * Ends the attempt of a running scan with failure f through the
 * lifecycle's failure path (lifecycle_end(): the shared decision, the
 * state machine, a shard's parent, the scan.failed deliveries, the
 * counters of `cause`), the repair written as the event's reason.  A dry
 * run takes the same decision and writes nothing: the failure path's
 * inserts (events, deliveries) would advance PostgreSQL's sequences even
 * when rolled back.
 */
static int end_running(struct store *s, const struct stuck_item *it, const struct scan_failure *f,
		       enum lifecycle_cause cause, struct stuck_change *ch, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static int end_running(struct store *s, const struct stuck_item *it, const struct scan_failure *f,
		       enum lifecycle_cause cause, struct stuck_change *ch, const char *fmt, ...)
{
	struct lifecycle_row r;
	char why[sizeof ch->action - 16];
	va_list ap;
	int rc;

	if ((rc = lifecycle_running(s, it->id, it->attempt, &r)) != STORE_OK)
		return rc == STORE_NOT_FOUND ? SKIPPED : rc;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	snprintf(why + strlen(why), sizeof why - strlen(why), " (attempt %d of %d)", r.used, r.max);
	describe(it, SCAN_RUNNING, lifecycle_ending(&r, f), ch, why);
	if (in_dry_run)
		return STORE_OK;
	return lifecycle_end(s, it->id, it->attempt, &r, f, 0, cause, ch->action, &ch->to);
}

static int fix_lease(struct store *s, const struct stuck_item *it, struct stuck_change *ch)
{
	return end_running(s, it, &lifecycle_worker_lost, LIFECYCLE_LEASE, ch,
			   "lease expired; worker %s lost", it->worker_id[0] ? it->worker_id : "?");
}

static int fix_overtime(struct store *s, const struct stuck_item *it, struct stuck_change *ch)
{
	static const struct scan_failure overtime = {
		"timeout", "the scan ran past its time limit", NULL, 1, 0
	};

	return end_running(s, it, &overtime, LIFECYCLE_ERROR, ch,
			   "ran past its hard time limit and its worker did not stop it");
}

static int fix_no_worker(struct store *s, const struct stuck_item *it, struct stuck_change *ch)
{
	int rc = set_final(s, it, SCAN_FAILED, "stuck_pending",
			   "no worker took this scan in time; retry it once a worker runs");

	if (rc != STORE_OK || (rc = core_bump(s, "failed", 1)) != STORE_OK)
		return rc;
	return record(s, it, SCAN_PENDING, SCAN_FAILED, ch,
		      "pending past the threshold with no live worker; failed (stuck_pending)");
}

static int fix_no_finish(struct store *s, const struct stuck_item *it, struct stuck_change *ch)
{
	struct db_args a = { 0 };
	char last[16];
	int64_t at, changed = 0;
	int from_timeline, rc;

	if ((rc = last_event(s, it->id, last, sizeof last, &at)) != STORE_OK)
		return rc;
	from_timeline = at && strcmp(last, scan_status_name(it->status)) == 0;
	db_i64(&a, it->id);
	db_i64(&a, from_timeline ? at : scan_now_ms());
	if ((rc = db_run(s, S_FIX_FINISHED_AT, &a, &changed)) != STORE_OK)
		return rc;
	if (!changed)
		return SKIPPED;
	return record(s, it, it->status, it->status, ch, "finished_at was missing; set %s",
		      from_timeline ? "from the timeline" : "to now (the timeline has no end)");
}

static int fix_no_lease(struct store *s, const struct stuck_item *it, struct stuck_change *ch)
{
	enum scan_status last_st;
	char last[16];
	int64_t at;
	int rc;

	if ((rc = last_event(s, it->id, last, sizeof last, &at)) != STORE_OK)
		return rc;
	if (scan_status_parse(last, &last_st) == 0 && is_final(last_st)) {
		struct db_args a = { 0 };

		if ((rc = set_final(s, it, last_st, last_st == SCAN_FAILED ? "worker_lost" : NULL,
				    last_st == SCAN_FAILED ? "the timeline says this scan failed"
				    : NULL)) != STORE_OK)
			return rc;
		db_i64(&a, it->id);
		db_i64(&a, at);
		if ((rc = db_run(s, S_FIX_FINISHED_AT, &a, NULL)) != STORE_OK)
			return rc;
		return record(s, it, SCAN_RUNNING, last_st, ch,
			      "running without a worker or lease; the timeline says %s", last);
	}
	if ((rc = set_pending(s, it, 1, NULL, NULL)) != STORE_OK || (rc = core_notify(s)) != STORE_OK)
		return rc;
	return record(s, it, SCAN_RUNNING, SCAN_PENDING, ch,
		      "running without a worker or lease; back to pending (attempt not spent)");
}

static int fix_cancel_left(struct store *s, const struct stuck_item *it, struct stuck_change *ch)
{
	struct db_args a = { 0 };
	int64_t changed = 0;
	int rc;

	db_i64(&a, it->id);
	if ((rc = db_run(s, S_FIX_CANCEL_FLAG, &a, &changed)) != STORE_OK)
		return rc;
	if (!changed)
		return SKIPPED;
	return record(s, it, it->status, it->status, ch,
		      "cancel request cleared on a finished scan");
}

static int fix_timeline(struct store *s, const struct stuck_item *it, struct stuck_change *ch)
{
	enum scan_status last;
	int rc;

	if (scan_status_parse(it->detail, &last) != 0)
		return SKIPPED;
	if (is_final(last) && !is_final(it->status)) {
		/* The final event was written: the row follows the timeline. */
		struct db_args a = { 0 };
		char last_at[16];
		int64_t at;

		if ((rc = set_final(s, it, last, last == SCAN_FAILED ? "worker_lost"
				    : last == SCAN_CANCELLED ? "cancelled" : NULL,
				    last == SCAN_FAILED ? "the timeline says this scan failed"
				    : last == SCAN_CANCELLED ? "cancelled by an operator" : NULL))
		    != STORE_OK)
			return rc;
		if ((rc = last_event(s, it->id, last_at, sizeof last_at, &at)) != STORE_OK)
			return rc;
		db_i64(&a, it->id);
		db_i64(&a, at ? at : scan_now_ms());
		if ((rc = db_run(s, S_FIX_FINISHED_AT, &a, NULL)) != STORE_OK)
			return rc;
		return record(s, it, last, last, ch, "status was %s; repaired from the timeline",
			      scan_status_name(it->status));
	}
	/* Otherwise the row is the newer truth: the timeline catches up. */
	rc = record(s, it, last, it->status, ch, "the timeline ended at %s; brought up to the status",
		    scan_status_name(last));
	ch->from = it->status;
	return rc;
}

static int fix_budget(struct store *s, const struct stuck_item *it, struct stuck_change *ch)
{
	int rc;

	if (it->status != SCAN_PENDING)
		return SKIPPED;		/* a running one finishes; its end counts as usual */
	if ((rc = set_final(s, it, SCAN_FAILED, "attempts_exhausted",
			    "the attempt budget is used up")) != STORE_OK
	    || (rc = core_bump(s, "failed", 1)) != STORE_OK)
		return rc;
	return record(s, it, SCAN_PENDING, SCAN_FAILED, ch, "attempt %s is above the budget; failed",
		      it->detail);
}

/* ---- stuck clear ------------------------------------------------------------------------- */

struct clear {
	struct stuck_change *out;
	size_t n;
	int64_t total;
};

static void keep(struct clear *cl, const struct stuck_change *ch)
{
	cl->total++;
	if (cl->out && cl->n < STUCK_CLEAR_MAX)
		cl->out[cl->n++] = *ch;
}

static int changed_before(const struct clear *cl, int64_t id)
{
	for (size_t i = 0; i < cl->n; i++)
		if (cl->out[i].id == id)
			return 1;
	return 0;
}

/* Lists up to `limit` scans of `cat` and repairs each; *changed gets how
 * many changed.  Inside the caller's transaction. */
static int clear_batch(struct store *s, int cat, int64_t age_ms, int limit, struct clear *cl,
		       struct stuck_item *items, int *changed, int *listed)
{
	size_t k = 0;
	int rc;

	*changed = 0;
	*listed = 0;
	if ((rc = list_category(s, cat, age_ms, limit, items, &k)) != STORE_OK)
		return rc;
	*listed = (int)k;
	for (size_t i = 0; i < k; i++) {
		struct stuck_change ch = { 0 };

		/* A real run's repair ends the timeline at the new status, so a
		 * scan it repaired never shows a mismatch after; a dry run wrote
		 * no event, so it skips those scans here to list the same. */
		if (in_dry_run && how[cat].list == S_SQ_TIMELINE && changed_before(cl, items[i].id))
			continue;

		rc = how[cat].fix(s, &items[i], &ch);
		if (rc == SKIPPED)
			continue;
		if (rc != STORE_OK)
			return rc;
		keep(cl, &ch);
		(*changed)++;
	}
	return STORE_OK;
}

static int wanted(int cat, int flags)
{
	return how[cat].fix && categories[cat].repairable
	       && (!(flags & STUCK_CLEAR_AUTOMATIC) || categories[cat].automatic);
}

int store_stuck_clear(struct store *s, int64_t age_ms, int flags, const char *actor,
		      struct stuck_change **out, size_t *n, int64_t *total)
{
	struct clear cl = { 0 };
	struct stuck_item *items;
	int dry = flags & STUCK_CLEAR_DRY_RUN, rc = STORE_OK;
	int limit = dry ? STUCK_CLEAR_MAX : STUCK_CLEAR_BATCH;

	if (out) {
		*out = NULL;
		if (!(cl.out = calloc(STUCK_CLEAR_MAX, sizeof *cl.out)))
			return store_set_error(s, "out of memory");
	}
	if (n)
		*n = 0;
	if (total)
		*total = 0;
	if (!(items = calloc((size_t)limit, sizeof *items))) {
		free(cl.out);
		return store_set_error(s, "out of memory");
	}
	if (dry) {
		/* Every repair, in order, in one transaction that is rolled back. */
		if (!cl.out && !(cl.out = calloc(STUCK_CLEAR_MAX, sizeof *cl.out))) {
			rc = store_set_error(s, "out of memory");
			goto out;
		}
		if ((rc = db_begin(s, 1)) != STORE_OK)
			goto out;
		in_dry_run = 1;
		for (int cat = 0; cat < NCAT && rc == STORE_OK; cat++) {
			int changed, listed;

			if (wanted(cat, flags))
				rc = clear_batch(s, cat, age_ms, limit, &cl, items, &changed, &listed);
		}
		in_dry_run = 0;
		db_rollback(s);
		goto out;
	}
	for (int cat = 0; cat < NCAT && rc == STORE_OK; cat++) {
		if (!wanted(cat, flags))
			continue;
		/* Batches of short transactions; stop when a batch changed nothing
		 * more than its skips (a running scan over budget stays listed). */
		for (int b = 0; b < STUCK_CLEAR_MAX; b++) {
			int changed = 0, listed = 0;

			if ((rc = db_begin(s, 1)) != STORE_OK)
				break;
			rc = clear_batch(s, cat, age_ms, limit, &cl, items, &changed, &listed);
			if (rc != STORE_OK) {
				rc = core_abort(s, rc);
				break;
			}
			if ((rc = db_commit(s)) != STORE_OK)
				break;
			if (listed < limit || changed == 0)
				break;
		}
	}
	if (cl.total) {
		char detail[64];
		int r2;

		snprintf(detail, sizeof detail, "%lld change%s", (long long)cl.total,
			 cl.total == 1 ? "" : "s");
		if ((r2 = store_audit(s, actor, "stuck clear", 0, detail)) != STORE_OK && rc == STORE_OK)
			rc = r2;
	}
out:
	free(items);
	if (out)
		*out = cl.out;
	else
		free(cl.out);
	if (n)
		*n = cl.n;
	if (total)
		*total = cl.total;
	return rc;
}

/* ---- reset -------------------------------------------------------------------------------- */

int store_reset(struct store *s, const char *actor, int *released, int64_t *workers)
{
	struct row { int64_t id; int attempt; char worker[SCAN_WORKER_MAX]; } *rows;
	char why[160], detail[96];
	int back = 0, rc = STORE_OK;
	int64_t gone = 0;

	if (released)
		*released = 0;
	if (workers)
		*workers = 0;
	if (!(rows = calloc(STUCK_CLEAR_BATCH, sizeof *rows)))
		return store_set_error(s, "out of memory");
	snprintf(why, sizeof why, "reset by %s (attempt not spent)", actor);
	for (int b = 0; b < STUCK_CLEAR_MAX && rc == STORE_OK; b++) {
		struct db_args a = { 0 };
		struct db_cur c;
		size_t k = 0;

		if ((rc = db_begin(s, 1)) != STORE_OK)
			break;
		db_i64(&a, STUCK_CLEAR_BATCH);
		if ((rc = db_query(s, S_RESET_RUNNING, &a, &c)) == STORE_OK) {
			while (k < STUCK_CLEAR_BATCH && (rc = db_next(&c)) > 0) {
				rows[k].id = db_col_i64(&c, 0);
				rows[k].attempt = (int)db_col_i64(&c, 1);
				db_col_copy(&c, 2, rows[k].worker, sizeof rows[k].worker);
				k++;
			}
			rc = rc < 0 ? rc : STORE_OK;
		}
		db_done(&c);
		for (size_t i = 0; i < k && rc == STORE_OK; i++) {
			struct stuck_item it = { .id = rows[i].id, .attempt = rows[i].attempt,
						 .status = SCAN_RUNNING };

			rc = set_pending(s, &it, 1, NULL, NULL);
			if (rc == SKIPPED) {
				rc = STORE_OK;
				continue;
			}
			if (rc == STORE_OK)
				rc = core_event(s, rows[i].id, "running", "pending", rows[i].attempt,
						rows[i].worker, why);
			back += rc == STORE_OK;
		}
		if (rc == STORE_OK && k)
			rc = core_notify(s);
		if (rc != STORE_OK) {
			rc = core_abort(s, rc);
			break;
		}
		if ((rc = db_commit(s)) != STORE_OK || k < STUCK_CLEAR_BATCH)
			break;
	}
	free(rows);
	if (rc == STORE_OK && (rc = db_begin(s, 1)) == STORE_OK) {
		if ((rc = db_run(s, S_WORKERS_CLEAR, NULL, &gone)) == STORE_OK) {
			struct db_args a = { 0 };

			snprintf(detail, sizeof detail, "%d running scan%s back to pending, %lld worker"
				 " registration%s cleared", back, back == 1 ? "" : "s", (long long)gone,
				 gone == 1 ? "" : "s");
			db_i64(&a, scan_now_ms());
			db_text(&a, actor);
			db_text(&a, "reset");
			db_null(&a);
			db_text(&a, detail);
			db_null(&a);	/* client: the reset's own row names none */
			rc = db_run(s, S_AUDIT_INSERT, &a, NULL);
		}
		rc = rc == STORE_OK ? db_commit(s) : core_abort(s, rc);
	}
	if (released)
		*released = back;
	if (workers)
		*workers = gone;
	return rc;
}

/* ---- JSON --------------------------------------------------------------------------------- */

json_t *stuck_report_to_json(const struct stuck_item *it, size_t n, const int *counts,
			     int64_t age_ms)
{
	json_t *cats = json_array();
	int64_t found = 0;
	size_t at = 0;

	for (int i = 0; i < NCAT; i++) {
		json_t *scans = json_array();

		for (size_t k = 0; k < (size_t)counts[i] && at < n; k++, at++) {
			char t[40];

			json_array_append_new(scans, json_pack("{sI ss ss si ss sI ss ss}",
				"id", (json_int_t)it[at].id, "type", it[at].type,
				"status", scan_status_name(it[at].status), "attempt", it[at].attempt,
				"worker_id", it[at].worker_id, "since_ms", (json_int_t)it[at].since,
				"since", scan_format_time(it[at].since, t, sizeof t),
				"detail", it[at].detail));
		}
		found += counts[i];
		json_array_append_new(cats, json_pack("{ss ss ss sb sb si so}", "name", categories[i].name,
			"reason", categories[i].reason, "fix", categories[i].fix,
			"repairable", categories[i].repairable, "automatic", categories[i].automatic,
			"count", counts[i], "scans", scans));
	}
	return json_pack("{sI sI so}", "max_age_hours", (json_int_t)(age_ms / 3600000),
			 "found", (json_int_t)found, "categories", cats);
}

json_t *stuck_changes_to_json(const struct stuck_change *ch, size_t n, int64_t total, int dry_run)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{sI ss ss ss ss}", "scan_id", (json_int_t)ch[i].id,
			"category", ch[i].category >= 0 && ch[i].category < NCAT
				    ? categories[ch[i].category].name : "?",
			"from", scan_status_name(ch[i].from), "to", scan_status_name(ch[i].to),
			"action", ch[i].action));
	return json_pack("{sb sI so}", "dry_run", dry_run, "changed", (json_int_t)total,
			 "changes", a);
}
