/*
 * windows.c — maintenance windows, written once for both dialects: adding
 * (with the overlap rule asked inside the transaction, so two adds cannot
 * both pass it), removing, listing, moving a window to its next
 * occurrence, and the hand-back at an occurrence's start.  A window is a
 * row of `windows` with its target blocks in `window_ranges`; the claim
 * statement skips every scan an open window holds (DB_CLAIMABLE in db.h),
 * so a held scan simply stays pending and starts when the window closes.
 * When a window opens is planned above the store (maintenance/window.c),
 * which owns the cron expression and the scheduler's clock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/clock.h"
#include "targets.h"
#include "store/hold.h"
#include "store/queue.h"
#include "store/tx.h"

/* Calls fn for each block of a "a/n,b/m" list; stops at the first that is
 * not an address form.  Returns the blocks seen, or -1 at a bad one (its
 * text in bad). */
static int each_block(const char *list, targets_u128 *lo, targets_u128 *hi, int max,
		      char *bad, size_t badlen)
{
	char buf[STORE_WINDOW_TARGETS_MAX + 1], *save = NULL, *tok;
	int n = 0;

	snprintf(buf, sizeof buf, "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n >= max || targets_classify(tok, &lo[n], &hi[n]) != 1) {
			snprintf(bad, badlen, "%.60s", tok);
			return -1;
		}
		n++;
	}
	return n;
}

int window_scopes_meet(const struct window *a, const struct window *b)
{
	targets_u128 alo[STORE_WINDOW_RANGES_MAX], ahi[STORE_WINDOW_RANGES_MAX];
	targets_u128 blo[STORE_WINDOW_RANGES_MAX], bhi[STORE_WINDOW_RANGES_MAX];
	char bad[64];
	int na, nb;

	if (a->pool[0] && b->pool[0] && strcmp(a->pool, b->pool) != 0)
		return 0;
	if (!a->targets[0] || !b->targets[0])
		return 1;
	na = each_block(a->targets, alo, ahi, STORE_WINDOW_RANGES_MAX, bad, sizeof bad);
	nb = each_block(b->targets, blo, bhi, STORE_WINDOW_RANGES_MAX, bad, sizeof bad);
	for (int i = 0; i < na; i++)
		for (int j = 0; j < nb; j++)
			if (alo[i] <= bhi[j] && blo[j] <= ahi[i])
				return 1;
	return 0;
}

int window_holds(const struct window *w, const char *pool, const char *targets)
{
	targets_u128 lo[STORE_WINDOW_RANGES_MAX], hi[STORE_WINDOW_RANGES_MAX];
	char slo[QUEUE_SPAN_HEX], shi[QUEUE_SPAN_HEX], rlo[QUEUE_SPAN_HEX], rhi[QUEUE_SPAN_HEX];
	char bad[64];
	int n;

	if (w->pool[0] && strcmp(w->pool, pool && *pool ? pool : SCAN_POOL_LOCAL) != 0)
		return 0;
	if (!w->targets[0])
		return 1;
	/* The same comparison as the claim's, on the same text. */
	if (!queue_span(targets, slo, shi))
		return 0;
	n = each_block(w->targets, lo, hi, STORE_WINDOW_RANGES_MAX, bad, sizeof bad);
	for (int i = 0; i < n; i++) {
		queue_hex(lo[i], rlo);
		queue_hex(hi[i], rhi);
		if (strcmp(rlo, shi) <= 0 && strcmp(slo, rhi) <= 0)
			return 1;
	}
	return 0;
}

int window_open(const struct window *w, int64_t now)
{
	return w->opens_at <= now && now < w->closes_at;
}

static void window_row(struct db_cur *c, void *elem, void *ctx)
{
	struct window *w = elem;

	(void)ctx;
	w->id = db_col_i64(c, 0);
	db_col_copy(c, 1, w->name, sizeof w->name);
	db_col_copy(c, 2, w->cron, sizeof w->cron);
	db_col_copy(c, 3, w->tz, sizeof w->tz);
	w->duration_ms = db_col_i64(c, 4);
	db_col_copy(c, 5, w->pool, sizeof w->pool);
	db_col_copy(c, 6, w->targets, sizeof w->targets);
	db_col_copy(c, 7, w->running, sizeof w->running);
	w->opens_at = db_col_i64(c, 8);
	w->closes_at = db_col_i64(c, 9);
	w->handed_at = db_col_i64(c, 10);
	w->created_at = db_col_i64(c, 11);
	db_col_copy(c, 12, w->created_by, sizeof w->created_by);
}

int store_window_list(struct store *s, struct window **out, size_t *n)
{
	struct db_args a = { 0 };
	void *arr = NULL;
	int rc;

	db_i64(&a, STORE_WINDOWS_MAX);
	rc = core_page_new(s, S_WINDOW_LIST, &a, sizeof **out, STORE_WINDOWS_MAX, window_row, NULL,
			   NULL, &arr, n);
	*out = arr;
	return rc;
}

/* Refuses w when a window whose scope meets it overlaps it in time, or
 * when the list is full.  Inside the caller's transaction. */
static int check_overlaps(struct store *s, const struct window *w,
			  store_window_overlap_fn *overlap)
{
	struct window *all = NULL;
	size_t n = 0;
	char why[200];
	int rc;

	if ((rc = store_window_list(s, &all, &n)) != STORE_OK)
		return rc;
	if (n >= STORE_WINDOWS_MAX) {
		store_set_error(s, "there are %d windows already; remove one first",
				STORE_WINDOWS_MAX);
		rc = STORE_ILLEGAL;
	}
	for (size_t i = 0; i < n && rc == STORE_OK; i++) {
		if (strcmp(all[i].name, w->name) == 0) {
			store_set_error(s, "a window '%s' exists", w->name);
			rc = STORE_ILLEGAL;
		} else if (window_scopes_meet(w, &all[i]) && overlap(w, &all[i], why, sizeof why)) {
			store_set_error(s, "window '%s' overlaps window '%s' of the same scope: %s",
					w->name, all[i].name, why);
			rc = STORE_ILLEGAL;
		}
	}
	free(all);
	return rc;
}

/* The window row and its ranges.  Inside the caller's transaction. */
static int insert(struct store *s, const struct window *w, int64_t *id)
{
	targets_u128 lo[STORE_WINDOW_RANGES_MAX], hi[STORE_WINDOW_RANGES_MAX];
	struct db_args a = { 0 };
	char bad[64];
	int n = each_block(w->targets, lo, hi, STORE_WINDOW_RANGES_MAX, bad, sizeof bad), rc;

	if (n < 0)
		return store_set_error(s, "'%s' is not a CIDR block or an address (at most %d of"
				       " them)", bad, STORE_WINDOW_RANGES_MAX), STORE_ILLEGAL;
	db_text(&a, w->name);
	db_text(&a, w->cron);
	db_text(&a, w->tz);
	db_i64(&a, w->duration_ms);
	db_text(&a, w->pool);
	db_text(&a, w->targets);
	db_text(&a, w->running);
	db_i64(&a, w->opens_at);
	db_i64(&a, w->closes_at);
	db_i64(&a, scan_now_ms());
	db_text(&a, w->created_by);
	rc = db_int(s, S_WINDOW_INSERT, &a, id);
	if (rc == STORE_NOT_FOUND)
		return store_set_error(s, "a window '%s' exists", w->name), STORE_ILLEGAL;
	for (int i = 0; i < n && rc == STORE_OK; i++) {
		struct db_args r = { 0 };
		char l[QUEUE_SPAN_HEX], h[QUEUE_SPAN_HEX];

		queue_hex(lo[i], l);
		queue_hex(hi[i], h);
		db_i64(&r, *id);
		db_text(&r, l);
		db_text(&r, h);
		rc = db_run(s, S_WINDOW_RANGE, &r, NULL);
	}
	return rc;
}

int store_window_add(struct store *s, const struct window *w, store_window_overlap_fn *overlap,
		     int64_t *id)
{
	int rc;

	*id = 0;
	if ((rc = db_begin(s, 1)) != STORE_OK)
		return rc;
	/* PostgreSQL: another add waits here, so it sees this one's row. */
	if ((rc = db_run(s, S_WINDOW_LOCK, NULL, NULL)) != STORE_OK
	    || (rc = check_overlaps(s, w, overlap)) != STORE_OK
	    || (rc = insert(s, w, id)) != STORE_OK)
		return core_abort(s, rc);
	return db_commit(s);
}

int store_window_rm(struct store *s, const char *name)
{
	struct db_args a = { 0 };
	int64_t changed = 0;
	int rc;

	db_text(&a, name);
	if ((rc = db_run(s, S_WINDOW_DELETE, &a, &changed)) != STORE_OK)
		return rc;
	if (!changed)
		return store_set_error(s, "no window '%.60s'", name), STORE_NOT_FOUND;
	return STORE_OK;
}

int store_window_replan(struct store *s, int64_t id, int64_t old_closes, int64_t opens_at,
			int64_t closes_at)
{
	struct db_args a = { 0 };

	db_i64(&a, id);
	db_i64(&a, old_closes);
	db_i64(&a, opens_at);
	db_i64(&a, closes_at);
	return db_run(s, S_WINDOW_REPLAN, &a, NULL);
}

int store_window_handback(struct store *s, const struct window *w, int *released)
{
	struct db_args a = { 0 }, r = { 0 };
	int64_t changed = 0;
	char reason[96];
	int rc;

	*released = 0;
	db_i64(&a, w->id);
	db_i64(&a, w->opens_at);
	if ((rc = db_run(s, S_WINDOW_HANDED, &a, &changed)) != STORE_OK || !changed)
		return rc;
	db_i64(&r, w->id);
	snprintf(reason, sizeof reason, "maintenance window %.60s", w->name);
	return hold_release_running(s, S_WINDOW_RUNNING, &r, reason, released);
}

json_t *window_to_json(const struct window *w, int64_t now)
{
	return json_pack("{sssssssIss?ss?sssIsIsbsIss}", "name", w->name, "cron", w->cron,
			 "tz", w->tz, "duration_s", (json_int_t)(w->duration_ms / 1000),
			 "pool", w->pool[0] ? w->pool : NULL,
			 "targets", w->targets[0] ? w->targets : NULL, "running", w->running,
			 "opens_at", (json_int_t)w->opens_at, "closes_at", (json_int_t)w->closes_at,
			 "open", window_open(w, now), "created_at", (json_int_t)w->created_at,
			 "by", w->created_by);
}

const char *window_describe(const struct window *w, char *buf, size_t len)
{
	char t[40];

	snprintf(buf, len, "%s (%s%s%s%s) open until %s, running scans %s", w->name,
		 w->pool[0] ? "pool " : "every pool", w->pool, w->targets[0] ? ", targets " : "",
		 w->targets, scan_format_time(w->closes_at, t, sizeof t),
		 strcmp(w->running, "handback") == 0 ? "handed back" : "finish");
	return buf;
}

json_t *store_windows_open_json(struct store *s, int64_t now)
{
	struct window *w = NULL;
	size_t n = 0;
	json_t *a;

	if (store_window_list(s, &w, &n) != STORE_OK)
		return NULL;
	a = json_array();
	for (size_t i = 0; a && i < n; i++)
		if (window_open(&w[i], now))
			json_array_append_new(a, window_to_json(&w[i], now));
	free(w);
	return a;
}
