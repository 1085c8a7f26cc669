/*
 * webhooks.c — webhooks and their durable deliveries (store.h).
 *
 * A delivery is a row written in the transaction that caused it (a scan
 * completing or failing, changes found), so an event is never announced
 * for a change that rolled back, nor lost after one that committed.  Each
 * has a stable id (a random UUID) that every attempt carries, so a
 * receiver can drop a repeat: a sender that dies after the receiver got a
 * delivery but before it recorded that is the one case of a second send.
 *
 * Deliveries are queued like scans: claimed by a sender with a lease
 * (attempt + 1 is the fencing token), finished fenced by (id, attempt),
 * sent again after an exponential backoff with jitter while attempts are
 * left, then failed.  A sender that dies leaves its delivery to the next
 * claim once the lease ran out.  Every attempt is a row (its HTTP status
 * and error) for `scanq webhook deliveries`.
 *
 * A webhook is never deleted: removing one marks it (removed_at, by whom,
 * in the audit trail in the same transaction), fails its deliveries not
 * yet sent, and keeps every delivery and attempt readable.  Only webhooks
 * not removed get new deliveries; a delivery claimed for a removed one
 * (it was on its way when the hook went) is failed, not sent.
 *
 * Sending — HTTP, the signature, the allow-list — is not here: see
 * src/webhook.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "store/tx.h"
#include "scanner.h"

/* A random (version 4) UUID in out (37 bytes). */
static void new_uuid(char *out)
{
	unsigned char b[16];

	if (sodium_init() < 0)
		abort();	/* no entropy source: nothing can be signed either */
	randombytes_buf(b, sizeof b);
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

void webhook_array_free(struct webhook *a, size_t n)
{
	if (!a)
		return;
	for (size_t i = 0; i < n; i++) {
		free(a[i].url);
		free(a[i].secret);
	}
	free(a);
}

int store_webhook_list(struct store *s, int removed, struct webhook **out, size_t *n)
{
	struct db_args a = { 0 };
	struct db_cur cur;
	struct webhook *v = NULL;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	db_i64(&a, removed ? 1 : 0);
	if ((rc = db_query(s, S_WEBHOOKS, &a, &cur)) != STORE_OK)
		return rc;
	while ((rc = db_next(&cur)) > 0) {
		struct webhook *w;

		if (*n == cap) {
			struct webhook *nv = realloc(v, (cap ? cap * 2 : 8) * sizeof *nv);

			if (!nv) {
				rc = store_set_error(s, "out of memory");
				break;
			}
			v = nv;
			cap = cap ? cap * 2 : 8;
		}
		w = &v[(*n)++];
		memset(w, 0, sizeof *w);
		w->id = db_col_i64(&cur, 0);
		w->url = db_col_dup(&cur, 1);
		db_col_copy(&cur, 2, w->events, sizeof w->events);
		w->secret = db_col_dup(&cur, 3);
		db_col_copy(&cur, 4, w->min_severity, sizeof w->min_severity);
		w->created_at = db_col_i64(&cur, 5);
		w->removed_at = db_col_i64(&cur, 6);
		db_col_copy(&cur, 7, w->removed_by, sizeof w->removed_by);
	}
	db_done(&cur);
	if (rc < 0) {
		webhook_array_free(v, *n);
		*n = 0;
		return rc;
	}
	*out = v;
	return STORE_OK;
}

int store_webhook_add(struct store *s, const char *url, const char *events, const char *secret,
		      const char *min_severity, int64_t *id)
{
	struct db_args a = { 0 };
	int rc;

	db_text(&a, url);
	db_text(&a, events);
	db_text(&a, secret);
	db_text(&a, min_severity);
	db_i64(&a, scan_now_ms());
	if ((rc = db_begin(s, 1)) != STORE_OK)
		return rc;
	if ((rc = db_int(s, S_WEBHOOK_INSERT, &a, id)) != STORE_OK)
		return core_abort(s, rc == STORE_NOT_FOUND ? STORE_ERROR : rc);
	return db_commit(s);
}

/* Why webhook `id` cannot be removed or tested: it does not exist
 * (STORE_NOT_FOUND) or was removed (STORE_ILLEGAL, when and by whom).
 * Inside the caller's transaction; STORE_OK when it is there. */
static int removed_check(struct store *s, int64_t id)
{
	struct db_args a = { 0 };
	struct db_cur cur;
	char by[80] = "", at[40];
	int64_t when = 0;
	int rc;

	db_i64(&a, id);
	if ((rc = db_query(s, S_WEBHOOK_GET, &a, &cur)) == STORE_OK && (rc = db_next(&cur)) > 0) {
		when = db_col_i64(&cur, 0);
		db_col_copy(&cur, 1, by, sizeof by);
	}
	db_done(&cur);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		store_set_error(s, "no webhook %lld", (long long)id);
		return STORE_NOT_FOUND;
	}
	if (!when)
		return STORE_OK;
	scan_format_time(when, at, sizeof at);
	store_set_error(s, "webhook %lld was removed at %s by %s", (long long)id, at, by);
	return STORE_ILLEGAL;
}

int store_webhook_rm(struct store *s, int64_t id, const char *actor, const char *client)
{
	struct db_args a = { 0 };
	char detail[40];
	int64_t changed = 0;
	int rc;

	db_i64(&a, id);
	db_i64(&a, scan_now_ms());
	db_text(&a, actor && *actor ? actor : "unknown");
	if ((rc = db_begin(s, 1)) != STORE_OK)
		return rc;
	if ((rc = db_run(s, S_WEBHOOK_REMOVE, &a, &changed)) != STORE_OK)
		return core_abort(s, rc);
	if (!changed) {			/* none, or removed before: say which */
		rc = removed_check(s, id);
		db_rollback(s);
		return rc == STORE_OK ? store_set_error(s, "webhook %lld changed meanwhile",
						       (long long)id) : rc;
	}
	a.n = 0;
	db_i64(&a, id);
	db_i64(&a, scan_now_ms());
	if ((rc = db_run(s, S_DELIVERY_STOP, &a, NULL)) != STORE_OK)
		return core_abort(s, rc);
	/* The audit record commits with the removal or not at all. */
	snprintf(detail, sizeof detail, "webhook %lld", (long long)id);
	a.n = 0;
	db_i64(&a, scan_now_ms());
	db_text(&a, actor && *actor ? actor : "unknown");
	db_text(&a, "webhook rm");
	db_null(&a);
	db_text(&a, detail);
	db_text(&a, client && *client ? client : NULL);
	if ((rc = db_run(s, S_AUDIT_INSERT, &a, NULL)) != STORE_OK)
		return core_abort(s, rc);
	return db_commit(s);
}

/* Does the comma-separated list `events` name `event`? */
static int subscribed(const char *events, const char *event)
{
	size_t len = strlen(event);

	for (const char *p = events; (p = strstr(p, event)) != NULL; p += len)
		if ((p == events || p[-1] == ',') && (p[len] == '\0' || p[len] == ','))
			return 1;
	return 0;
}

/* Queues one delivery in the caller's transaction; body (a new reference)
 * is consumed.  uuid (may be NULL) gets its id. */
static int enqueue(struct store *s, int64_t webhook_id, const char *event, int64_t scan_id,
		   json_t *body, char *uuid_out)
{
	struct db_args a = { 0 };
	char uuid[37], *text;
	int64_t id = 0;
	int rc;

	new_uuid(uuid);
	json_object_set_new(body, "id", json_string(uuid));
	json_object_set_new(body, "event", json_string(event));
	json_object_set_new(body, "created_at", json_integer(scan_now_ms()));
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (!text)
		return store_set_error(s, "out of memory");
	db_text(&a, uuid);
	db_i64(&a, webhook_id);
	db_text(&a, event);
	if (scan_id)
		db_i64(&a, scan_id);
	else
		db_null(&a);
	db_i64(&a, STORE_WEBHOOK_ATTEMPTS);
	db_i64(&a, scan_now_ms());
	db_text(&a, text);
	rc = db_int(s, S_DELIVERY_INSERT, &a, &id);
	free(text);
	if (rc == STORE_NOT_FOUND)
		rc = store_set_error(s, "delivery not inserted");
	if (rc == STORE_OK && uuid_out)
		memcpy(uuid_out, uuid, sizeof uuid);
	return rc;
}

/* The scan part of a body: id, type, targets, status, summary, error. */
static json_t *scan_part(struct store *s, int64_t id, int *rc)
{
	struct db_args a = { 0 };
	struct db_cur cur;
	struct scan sc = { 0 };
	json_t *o = NULL;

	db_i64(&a, id);
	if ((*rc = db_query(s, S_GET, &a, &cur)) == STORE_OK && (*rc = db_next(&cur)) > 0)
		db_read_scan(&cur, &sc);
	db_done(&cur);
	if (*rc < 0)
		return NULL;
	if (*rc == 0) {
		*rc = store_set_error(s, "no scan %lld", (long long)id);
		return NULL;
	}
	*rc = STORE_OK;
	o = scan_to_json(&sc, 0);
	scan_release(&sc);
	return o;
}

/* The changes of a body: counts, at most STORE_WEBHOOK_CHANGES_MAX of the
 * changes at or above min_rank, and where the rest are. */
static json_t *changes_part(int64_t scan_id, json_t *changes, const struct scan_changes_info *info,
			    int min_rank, size_t *kept)
{
	json_t *o = json_pack("{sbsIsIsI}", "baseline", info->baseline_id == 0, "new",
			      (json_int_t)info->nnew, "gone", (json_int_t)info->ngone, "changed",
			      (json_int_t)info->nchanged);
	json_t *items = json_array(), *c;
	size_t i, matching = 0, listed = 0;
	char link[96];

	json_object_set_new(o, "baseline_id", info->baseline_id ? json_integer(info->baseline_id)
							       : json_null());
	json_array_foreach(changes, i, c) {
		if (scanner_severity_rank(json_string_value(json_object_get(c, "severity"))) < min_rank)
			continue;
		/* A suppressed change (an accepted or false-positive finding) is
		 * listed, marked, but alone fires no changes.found. */
		if (!json_is_true(json_object_get(c, "suppressed")))
			matching++;
		listed++;
		if (json_array_size(items) < STORE_WEBHOOK_CHANGES_MAX)
			json_array_append(items, c);
	}
	snprintf(link, sizeof link, "/api/v1/scans/%lld/changes", (long long)scan_id);
	json_object_set_new(o, "items", items);
	json_object_set_new(o, "truncated", json_boolean(listed > json_array_size(items)));
	json_object_set_new(o, "link", json_string(link));
	*kept = matching;
	return o;
}

int webhooks_on_completed(struct store *s, int64_t id, json_t *changes,
			  const struct scan_changes_info *info)
{
	struct webhook *w = NULL;
	size_t n = 0;
	json_t *scan = NULL, *empty = json_array();
	int rc;

	if ((rc = store_webhook_list(s, 0, &w, &n)) != STORE_OK)
		goto out;
	for (size_t i = 0; i < n && rc == STORE_OK; i++) {
		int rank = scanner_severity_rank(w[i].min_severity);
		int completed = subscribed(w[i].events, "scan.completed");
		int found = subscribed(w[i].events, "changes.found") && json_array_size(changes) > 0;
		size_t kept = 0;
		json_t *part;

		if (!completed && !found)
			continue;
		if (!scan && !(scan = scan_part(s, id, &rc)))
			break;
		part = changes_part(id, changes ? changes : empty, info, rank < 0 ? 0 : rank, &kept);
		if (completed)
			rc = enqueue(s, w[i].id, "scan.completed", id,
				     json_pack("{sOsO}", "scan", scan, "changes", part), NULL);
		if (rc == STORE_OK && found && kept > 0)
			rc = enqueue(s, w[i].id, "changes.found", id,
				     json_pack("{sOsO}", "scan", scan, "changes", part), NULL);
		json_decref(part);
	}
out:
	json_decref(scan);
	json_decref(empty);
	webhook_array_free(w, n);
	return rc;
}

int webhooks_on_failed(struct store *s, int64_t id)
{
	struct webhook *w = NULL;
	size_t n = 0;
	json_t *scan = NULL;
	int rc;

	if ((rc = store_webhook_list(s, 0, &w, &n)) != STORE_OK)
		return rc;
	for (size_t i = 0; i < n && rc == STORE_OK; i++) {
		if (!subscribed(w[i].events, "scan.failed"))
			continue;
		if (!scan && !(scan = scan_part(s, id, &rc)))
			break;
		rc = enqueue(s, w[i].id, "scan.failed", id, json_pack("{sO}", "scan", scan), NULL);
	}
	json_decref(scan);
	webhook_array_free(w, n);
	return rc;
}

int store_webhook_test(struct store *s, int64_t id, char *uuid)
{
	int rc;

	if ((rc = db_begin(s, 1)) != STORE_OK)
		return rc;
	if ((rc = removed_check(s, id)) != STORE_OK) {
		db_rollback(s);
		return rc;
	}
	rc = enqueue(s, id, "webhook.test", 0,
		     json_pack("{ss}", "message", "a test delivery from scanq"), uuid);
	if (rc != STORE_OK)
		return core_abort(s, rc);
	return db_commit(s);
}

/* ---- sending ------------------------------------------------------------------- */

void delivery_array_free(struct delivery *a, size_t n)
{
	if (!a)
		return;
	for (size_t i = 0; i < n; i++) {
		free(a[i].body);
		free(a[i].url);
		free(a[i].secret);
	}
	free(a);
}

static void claim_row(struct db_cur *c, void *elem, void *ctx)
{
	struct delivery *d = elem;

	d->id = db_col_i64(c, 0);
	db_col_copy(c, 1, d->uuid, sizeof d->uuid);
	d->webhook_id = db_col_i64(c, 2);
	d->attempt = (int)db_col_i64(c, 3);
	d->max_attempts = (int)db_col_i64(c, 4);
	d->created_at = db_col_i64(c, 5);
	db_col_copy(c, 6, d->event, sizeof d->event);
	d->body = db_col_dup(c, 7);
}

static int claim(struct store *s, const char *worker, int max, int lease_ms,
		 struct delivery **out, size_t *n)
{
	struct db_args a = { 0 };
	struct webhook *w = NULL;
	size_t nw = 0;
	struct delivery *v;
	int rc;

	*out = NULL;
	*n = 0;
	if (!(v = calloc((size_t)max, sizeof *v)))
		return store_set_error(s, "out of memory");
	db_text(&a, worker);
	db_i64(&a, scan_now_ms());
	db_i64(&a, lease_ms);
	db_i64(&a, max);
	if ((rc = db_begin(s, 1)) != STORE_OK) {
		free(v);
		return rc;
	}
	rc = core_page(s, S_DELIVERY_CLAIM, &a, v, sizeof *v, (size_t)max, claim_row, NULL, n);
	if (rc == STORE_OK && *n)
		rc = store_webhook_list(s, 0, &w, &nw);	/* a removed one: no URL */
	if (rc != STORE_OK) {
		delivery_array_free(v, *n);
		*n = 0;
		return core_abort(s, rc);
	}
	if ((rc = db_commit(s)) != STORE_OK) {
		delivery_array_free(v, *n);
		webhook_array_free(w, nw);
		*n = 0;
		return rc;
	}
	for (size_t i = 0; i < *n; i++)
		for (size_t k = 0; k < nw; k++)
			if (w[k].id == v[i].webhook_id) {
				v[i].url = strdup(w[k].url);
				v[i].secret = strdup(w[k].secret);
			}
	webhook_array_free(w, nw);
	*out = v;
	return STORE_OK;
}

int store_delivery_claim(struct store *s, const char *worker, int max, int lease_ms,
			 struct delivery **out, size_t *n)
{
	int rc;

	if (max < 1)
		max = 1;
	if (max > STORE_CLAIM_MAX)
		max = STORE_CLAIM_MAX;
	rc = claim(s, worker, max, lease_ms, out, n);
	for (int tries = 0; core_retry_safe(s, rc, tries); tries++)
		rc = claim(s, worker, max, lease_ms, out, n);
	return rc;
}

/* The fenced update of (id, attempt) to `status`: *now gets the status it
 * took (a retry of a removed webhook's delivery is failed), "" when the
 * attempt is no longer ours. */
static int finish_row(struct store *s, struct db_args *a, char *now, size_t len)
{
	struct db_cur cur;
	int rc;

	now[0] = '\0';
	if ((rc = db_query(s, S_DELIVERY_DONE, a, &cur)) == STORE_OK && (rc = db_next(&cur)) > 0)
		db_col_copy(&cur, 0, now, len);
	db_done(&cur);
	return rc < 0 ? rc : STORE_OK;
}

static int finish(struct store *s, int64_t id, int attempt, int max_attempts, int ok, int code,
		  const char *error, int64_t duration_ms, int backoff_ms, const char **result)
{
	struct db_args a = { 0 };
	const char *status = ok ? "delivered" : attempt >= max_attempts ? "failed" : "pending";
	char now[16];
	int rc;

	if ((rc = db_begin(s, 1)) != STORE_OK)
		return rc;
	db_i64(&a, id);
	db_i64(&a, attempt);
	db_text(&a, status);
	db_i64(&a, scan_now_ms());
	db_i64(&a, strcmp(status, "pending") == 0 ? store_backoff_ms(attempt, backoff_ms) : 0);
	if (code > 0)
		db_i64(&a, code);
	else
		db_null(&a);
	db_text(&a, error && *error ? error : NULL);
	if ((rc = finish_row(s, &a, now, sizeof now)) != STORE_OK)
		return core_abort(s, rc);
	if (!now[0]) {
		db_rollback(s);
		store_set_error(s, "delivery %lld attempt %d is no longer ours", (long long)id, attempt);
		return STORE_LOST;
	}
	a.n = 0;
	db_i64(&a, id);
	db_i64(&a, attempt);
	db_i64(&a, scan_now_ms());
	if (code > 0)
		db_i64(&a, code);
	else
		db_null(&a);
	db_text(&a, error && *error ? error : NULL);
	db_i64(&a, duration_ms);
	if ((rc = db_run(s, S_DELIVERY_ATTEMPT, &a, NULL)) != STORE_OK
	    || (rc = core_bump(s, ok ? "webhook_delivered" : strcmp(now, "failed") == 0
			       ? "webhook_failed" : "webhook_retried", 1)) != STORE_OK)
		return core_abort(s, rc);
	if ((rc = db_commit(s)) != STORE_OK)
		return rc;
	if (result)
		*result = ok ? "delivered" : strcmp(now, "failed") == 0 ? "failed" : "retry";
	return STORE_OK;
}

int store_delivery_finish(struct store *s, int64_t id, int attempt, int max_attempts, int ok,
			  int code, const char *error, int64_t duration_ms, int backoff_ms,
			  const char **result)
{
	int rc = finish(s, id, attempt, max_attempts, ok, code, error, duration_ms, backoff_ms, result);

	for (int tries = 0; core_retry_safe(s, rc, tries); tries++)
		rc = finish(s, id, attempt, max_attempts, ok, code, error, duration_ms, backoff_ms,
			    result);
	return rc;
}

static void log_row(struct db_cur *c, void *elem, void *ctx)
{
	struct delivery_log *d = elem;

	d->id = db_col_i64(c, 0);
	db_col_copy(c, 1, d->uuid, sizeof d->uuid);
	d->webhook_id = db_col_i64(c, 2);
	db_col_copy(c, 3, d->event, sizeof d->event);
	d->scan_id = db_col_i64(c, 4);
	db_col_copy(c, 5, d->status, sizeof d->status);
	d->attempt = (int)db_col_i64(c, 6);
	d->at = db_col_i64(c, 7);
	d->code = (int)db_col_i64(c, 8);
	db_col_copy(c, 9, d->error, sizeof d->error);
	d->duration_ms = db_col_i64(c, 10);
	d->created_at = db_col_i64(c, 11);
	d->webhook_removed_at = db_col_i64(c, 12);
}

int store_delivery_log(struct store *s, int64_t webhook_id, int limit, struct delivery_log **out,
		       size_t *n)
{
	struct db_args a = { 0 };
	void *arr;
	int rc;

	*out = NULL;
	*n = 0;
	if (limit < 1 || limit > STORE_LIST_MAX)
		return store_set_error(s, "limit must be 1..%d", STORE_LIST_MAX);
	db_i64(&a, webhook_id);
	db_i64(&a, limit);
	rc = core_page_new(s, S_DELIVERY_LOG, &a, sizeof **out, (size_t)limit, log_row, NULL, NULL,
			   &arr, n);
	*out = arr;
	return rc;
}
