/*
 * submit.c — queueing scans, written once for both dialects: a batch of
 * requests is one transaction (or, with S_SUBMIT_BATCH, one statement),
 * each new scan gets its "submitted" event, the counter moves once per
 * batch, and waiting workers are woken at commit.  An idempotency key that
 * was used before returns the first scan's id and queues nothing.
 */
#include <stdlib.h>
#include <string.h>
#include "store/tx.h"

static int submit_many(struct store *s, const struct scan_request *reqs, size_t n,
		       int64_t *ids, int *existed)
{
	int64_t added = 0, now = scan_now_ms();
	int rc;

	if ((rc = db_begin(s, 1)) != STORE_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		const struct scan_request *r = &reqs[i];
		const char *key = r->idempotency_key && *r->idempotency_key ? r->idempotency_key : NULL;
		struct db_args a = { 0 };

		if (existed)
			existed[i] = 0;
		db_text(&a, r->type);
		db_text(&a, r->targets);
		db_text(&a, r->options ? r->options : "{}");
		db_i64(&a, r->priority);
		db_i64(&a, r->max_attempts);
		db_i64(&a, r->time_limit_s);
		db_i64(&a, now);
		db_text(&a, key);
		rc = db_int(s, S_INSERT_SCAN, &a, &ids[i]);
		if (rc == STORE_OK) {
			if ((rc = core_event(s, ids[i], NULL, "pending", 0, NULL, "submitted")) != STORE_OK
			    || (rc = core_set_request_hash(s, ids[i], key, r->request_hash)) != STORE_OK)
				return core_abort(s, rc);
			added++;
			continue;
		}
		if (rc != STORE_NOT_FOUND)
			return core_abort(s, rc);
		/* The key was used before: return that scan, queue nothing. */
		if ((rc = core_key_owner(s, r, &ids[i], existed ? &existed[i] : NULL)) != STORE_OK)
			return core_abort(s, rc);
	}
	if ((rc = core_bump(s, "submitted", added)) != STORE_OK
	    || (added && (rc = core_notify(s)) != STORE_OK))
		return core_abort(s, rc);
	return db_commit(s);
}

/*
 * submit_many() in one statement, for a dialect that has S_SUBMIT_BATCH.
 * A request whose idempotency key was taken gets the first scan's id.
 */
static int submit_batch(struct store *s, const struct scan_request *reqs, size_t n,
			int64_t *ids, int *existed)
{
	json_t *arr = json_array();
	struct db_args a = { 0 };
	struct db_cur c;
	char *text;
	int rc;

	for (size_t i = 0; i < n; i++) {
		const struct scan_request *r = &reqs[i];
		const char *key = r->idempotency_key && *r->idempotency_key ? r->idempotency_key : NULL;

		if (existed)
			existed[i] = 0;
		ids[i] = 0;
		json_array_append_new(arr, json_pack("{sIsssssssisisisoso}", "n", (json_int_t)i,
			"type", r->type, "targets", r->targets, "options", r->options ? r->options : "{}",
			"priority", r->priority, "max_attempts", r->max_attempts,
			"time_limit_s", r->time_limit_s, "key", key ? json_string(key) : json_null(),
			"hash", key && r->request_hash ? json_string(r->request_hash) : json_null()));
	}
	text = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	if (!text)
		return store_set_error(s, "out of memory");
	db_text(&a, text);
	db_text(&a, "submitted");
	if ((rc = db_query(s, S_SUBMIT_BATCH, &a, &c)) == STORE_OK) {
		while ((rc = db_next(&c)) > 0) {
			int64_t k = db_col_i64(&c, 0);

			if (k < 0 || (size_t)k >= n)
				continue;
			if (db_col_i64(&c, 2))
				ids[k] = db_col_i64(&c, 1);
			else if (existed)
				existed[k] = 1;
		}
		rc = rc < 0 ? rc : STORE_OK;
	}
	db_done(&c);
	free(text);
	/* The ones whose key was taken: the scan that took it. */
	for (size_t i = 0; rc == STORE_OK && i < n; i++)
		if (!ids[i])
			rc = core_key_owner(s, &reqs[i], &ids[i], existed ? &existed[i] : NULL);
	return rc;
}

int store_submit_many(struct store *s, const struct scan_request *reqs, size_t n,
		      int64_t *ids, int *existed)
{
	int (*fn)(struct store *, const struct scan_request *, size_t, int64_t *, int *) =
		s->d->sql[S_SUBMIT_BATCH] ? submit_batch : submit_many;
	int rc = fn(s, reqs, n, ids, existed);

	return core_retry_safe(s, rc) ? fn(s, reqs, n, ids, existed) : rc;
}

int store_submit(struct store *s, const struct scan_request *req, int64_t *id, int *existed)
{
	int ex = 0;
	int rc = store_submit_many(s, req, 1, id, &ex);

	if (existed)
		*existed = ex;
	return rc;
}

