/*
 * read.c — the store's reading side, written once for both dialects: one
 * scan, pages of scans, a timeline, findings, queue status, counters and
 * the failure rate of the last hour (the stuck report is stuck.c's).  Every page has a cap
 * (STORE_LIST_MAX) and says so in store.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store/tx.h"
#include "store/flow.h"

static int clamp_limit(int limit)
{
	return limit < 1 || limit > STORE_LIST_MAX ? STORE_LIST_MAX : limit;
}

int store_get(struct store *s, int64_t id, struct scan *out)
{
	struct db_args a = { 0 };
	struct db_cur c;
	int rc;

	db_i64(&a, id);
	if ((rc = db_query(s, S_GET, &a, &c)) == STORE_OK && (rc = db_next(&c)) > 0)
		db_read_scan(&c, out);
	db_done(&c);
	return core_scan_row(s, rc, id);
}

static void list_row(struct db_cur *c, void *elem, void *ctx)
{
	db_read_scan(c, elem);
}

static void drop_scan(void *elem)
{
	scan_release(elem);
}

int store_list(struct store *s, const struct scan_filter *f, struct scan **out, size_t *n)
{
	int limit = f->limit < 1 ? 1 : f->limit > STORE_LIST_MAX ? STORE_LIST_MAX : f->limit;
	enum db_stmt which = f->status >= 0 && f->type ? S_LIST_BOTH
		: f->status >= 0 ? S_LIST_STATUS : f->type ? S_LIST_TYPE : S_LIST_ALL;
	struct db_args a = { 0 };
	void *arr;
	int rc;

	db_text(&a, f->status >= 0 ? scan_status_name((enum scan_status)f->status) : NULL);
	db_text(&a, f->type);
	db_i64(&a, f->before_id > 0 ? f->before_id : INT64_MAX);
	db_i64(&a, limit);
	if (f->target && *f->target) {	/* a substring of the targets */
		which = S_LIST_TARGET;
		db_text(&a, f->target);
	}
	rc = core_page_new(s, which, &a, sizeof **out, (size_t)limit, list_row, NULL, drop_scan,
			   &arr, n);
	*out = arr;
	return rc;
}

static int exists(struct store *s, int64_t id)
{
	struct db_args a = { 0 };
	int64_t one;
	int rc;

	db_i64(&a, id);
	rc = db_int(s, S_EXISTS, &a, &one);
	if (rc == STORE_NOT_FOUND)
		store_set_error(s, "scan %lld not found", (long long)id);
	return rc;
}

static void event_row(struct db_cur *c, void *elem, void *ctx)
{
	struct scan_event *e = elem;
	const char *from = db_col_text(c, 3);
	enum scan_status st;

	e->id = db_col_i64(c, 0);
	e->scan_id = db_col_i64(c, 1);
	e->at = db_col_i64(c, 2);
	e->from = from && scan_status_parse(from, &st) == 0 ? (int)st : -1;
	scan_status_parse(db_col_text(c, 4), &e->to);
	e->attempt = (int)db_col_i64(c, 5);
	db_col_copy(c, 6, e->worker_id, sizeof e->worker_id);
	db_col_copy(c, 7, e->reason, sizeof e->reason);
}

int store_events(struct store *s, int64_t id, int limit, struct scan_event **out, size_t *n)
{
	struct db_args a = { 0 };
	void *arr;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = exists(s, id)) != STORE_OK)
		return rc;
	limit = clamp_limit(limit);
	db_i64(&a, id);
	db_i64(&a, limit);
	rc = core_page_new(s, S_EVENTS, &a, sizeof **out, (size_t)limit, event_row, NULL, NULL,
			   &arr, n);
	*out = arr;
	return rc;
}

static void finding_row(struct db_cur *c, void *elem, void *ctx)
{
	struct finding *f = elem;

	f->id = db_col_i64(c, 0);
	f->scan_id = db_col_i64(c, 1);
	db_col_copy(c, 2, f->kind, sizeof f->kind);
	f->target = db_col_dup(c, 3);
	f->port = (int)db_col_i64(c, 4);
	db_col_copy(c, 5, f->proto, sizeof f->proto);
	f->service = db_col_dup(c, 6);
	db_col_copy(c, 7, f->severity, sizeof f->severity);
	f->title = db_col_dup(c, 8);
	f->detail = db_col_dup(c, 9);
	f->created_at = db_col_i64(c, 10);
}

static void drop_finding(void *elem)
{
	finding_release(elem);
}

int store_findings(struct store *s, int64_t scan_id, int64_t after_id, int limit,
		   struct finding **out, size_t *n)
{
	struct db_args a = { 0 };
	enum db_stmt st = S_FINDINGS;
	void *arr;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = flow_findings_stmt(s, scan_id, &st)) != STORE_OK)	/* a split scan's: its shards' */
		return rc;
	db_i64(&a, scan_id);
	db_i64(&a, after_id);
	db_i64(&a, clamp_limit(limit));
	rc = core_page_new(s, st, &a, sizeof **out, (size_t)clamp_limit(limit), finding_row, NULL,
			   drop_finding, &arr, n);
	*out = arr;
	return rc;
}

/* ---- queue status and counters ------------------------------------------------ */

static void add_count(struct queue_status *q, const char *type, const char *status, int64_t n)
{
	enum scan_status st;
	int t;

	if (!type || !status || scan_status_parse(status, &st) < 0)
		return;
	q->by_status[st] += n;
	for (t = 0; t < q->ntypes; t++)
		if (strcmp(q->types[t].type, type) == 0)
			break;
	if (t == q->ntypes) {
		if (q->ntypes == STORE_TYPES_MAX)
			return;		/* beyond the cap types are counted in totals only */
		snprintf(q->types[t].type, sizeof q->types[t].type, "%s", type);
		q->ntypes++;
	}
	q->types[t].by_status[st] += n;
}

/* db_int() where no row means 0. */
static int int_or_0(struct store *s, enum db_stmt id, const struct db_args *a, int64_t *v)
{
	int rc = db_int(s, id, a, v);

	return rc == STORE_NOT_FOUND ? STORE_OK : rc;
}

int store_queue_status(struct store *s, struct queue_status *q)
{
	struct db_args now = { 0 };
	struct db_cur c;
	int rc;

	memset(q, 0, sizeof *q);
	db_i64(&now, scan_now_ms());
	/* One read transaction, so the figures agree with each other. */
	if ((rc = db_begin(s, 0)) != STORE_OK)
		return rc;
	if ((rc = db_query(s, S_COUNTS, &now, &c)) == STORE_OK)
		while ((rc = db_next(&c)) > 0)
			add_count(q, db_col_text(&c, 0), db_col_text(&c, 1), db_col_i64(&c, 2));
	db_done(&c);
	if (rc < 0
	    || (rc = int_or_0(s, S_OLDEST_PENDING, &now, &q->oldest_pending_ms)) != STORE_OK
	    || (rc = int_or_0(s, S_OVERDUE_LEASE, &now, &q->overdue_lease_ms)) != STORE_OK
	    || (rc = int_or_0(s, S_FINISHED_SINCE, &now, &q->finished_last_minute)) != STORE_OK)
		goto fail;
	{
		struct db_args w = now;

		db_i64(&w, 5 * 60000);
		if ((rc = int_or_0(s, S_FINISHED_WINDOW, &w, &q->finished_last_5_minutes)) != STORE_OK)
			goto fail;
	}
	if ((rc = db_query(s, S_WORKER_BEATS, &now, &c)) == STORE_OK) {
		while ((rc = db_next(&c)) > 0) {
			if (db_col_i64(&c, 0) > STORE_WORKER_DEAD_MS)
				q->workers_dead++;
			else if (db_col_i64(&c, 1) > 0)
				q->workers_active++;
			else
				q->workers_idle++;
		}
	}
	db_done(&c);
	if (rc < 0)
		goto fail;
	db_rollback(s);		/* read only: nothing to commit */
	return STORE_OK;
fail:
	db_rollback(s);
	return rc;
}

int store_counters(struct store *s, struct store_counters *out)
{
	struct db_args a = { 0 };
	struct db_cur c;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = db_query(s, S_COUNTERS, &a, &c)) == STORE_OK)
		while ((rc = db_next(&c)) > 0)
			store_counter_set(out, db_col_text(&c, 0), db_col_i64(&c, 1));
	db_done(&c);
	return rc < 0 ? rc : STORE_OK;
}

/* ---- doctor's failure rate ------------------------------------------------------ */

int store_finished_last_hour(struct store *s, int64_t *completed, int64_t *failed)
{
	struct db_args a = { 0 };
	struct db_cur c;
	int rc;

	*completed = *failed = 0;
	db_i64(&a, scan_now_ms());
	if ((rc = db_query(s, S_FINISHED_HOUR, &a, &c)) == STORE_OK) {
		if ((rc = db_next(&c)) > 0) {
			*completed = db_col_i64(&c, 0);
			*failed = db_col_i64(&c, 1);
		}
		rc = rc < 0 ? rc : STORE_OK;
	}
	db_done(&c);
	return rc;
}
