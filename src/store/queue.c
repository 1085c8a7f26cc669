/*
 * queue.c — queueing scans, written once for both dialects.  Every scan
 * row goes in through queue_insert() (S_INSERT_SCAN and its timeline
 * event): a submission, each request of a batch, a follow-up stage, a
 * split scan and its shards (flow.c), a schedule's firing.  The one
 * exception is a dialect's batch statement (S_SUBMIT_BATCH, PostgreSQL),
 * which writes the same rows and events in one statement.  A batch of
 * requests is one transaction, the counter moves once per batch, and
 * waiting workers are woken at commit.  An idempotency key that was used
 * before returns the first scan's id and queues nothing.
 */
#include <stdlib.h>
#include <string.h>
#include "targets.h"
#include "store/queue.h"
#include "store/tx.h"

void queue_hex(unsigned __int128 v, char out[QUEUE_SPAN_HEX])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 31; i >= 0; i--, v >>= 4)
		out[i] = hex[(unsigned)(v & 15)];
	out[32] = '\0';
}

int queue_span(const char *targets, char lo[QUEUE_SPAN_HEX], char hi[QUEUE_SPAN_HEX])
{
	json_t *arr = targets ? json_loads(targets, 0, NULL) : NULL;
	targets_u128 min = 0, max = 0, l, h;
	size_t i;
	json_t *v;
	int any = 0;

	json_array_foreach(arr, i, v) {
		if (!json_is_string(v) || targets_classify(json_string_value(v), &l, &h) != 1)
			continue;
		if (!any || l < min)
			min = l;
		if (!any || h > max)
			max = h;
		any = 1;
	}
	json_decref(arr);
	if (any) {
		queue_hex(min, lo);
		queue_hex(max, hi);
	}
	return any;
}

int queue_insert(struct store *s, const struct queue_row *r, const char *reason, int64_t *id)
{
	struct db_args a = { 0 };
	char lo[QUEUE_SPAN_HEX], hi[QUEUE_SPAN_HEX];
	int rc, span = queue_span(r->targets, lo, hi);

	*id = 0;
	db_text(&a, r->type);
	db_text(&a, r->targets);
	db_text(&a, r->options);
	db_i64(&a, r->priority);
	db_i64(&a, r->max_attempts);
	db_i64(&a, r->time_limit_s);
	db_i64(&a, scan_now_ms());
	if (r->parent)
		db_i64(&a, r->parent);
	else
		db_null(&a);
	db_i64(&a, r->flow);
	db_text(&a, r->status ? r->status : "pending");
	db_text(&a, r->key && *r->key ? r->key : NULL);
	db_text(&a, r->pool);
	db_text(&a, span ? lo : NULL);
	db_text(&a, span ? hi : NULL);
	rc = db_int(s, S_INSERT_SCAN, &a, id);
	if (rc == STORE_NOT_FOUND)
		return STORE_OK;		/* the key was taken */
	if (rc != STORE_OK)
		return rc;
	return core_event(s, *id, NULL, r->status ? r->status : "pending", 0, NULL, reason);
}

int queue_keyed(struct store *s, const struct scan_request *r, int64_t *id, int *existed)
{
	if (!r->idempotency_key || !*r->idempotency_key)
		return STORE_OK;
	return *id ? core_set_request_hash(s, *id, r->idempotency_key, r->request_hash)
		   : core_key_owner(s, r, id, existed);
}

static int submit_many(struct store *s, const struct scan_request *reqs, size_t n,
		       int64_t *ids, int *existed)
{
	int64_t added = 0;
	int rc;

	if ((rc = db_begin(s, 1)) != STORE_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		const struct scan_request *r = &reqs[i];
		struct queue_row row = {
			.type = r->type, .targets = r->targets,
			.options = r->options ? r->options : "{}", .priority = r->priority,
			.max_attempts = r->max_attempts, .time_limit_s = r->time_limit_s,
			.key = r->idempotency_key, .pool = r->pool ? r->pool : SCAN_POOL_LOCAL,
		};

		if (existed)
			existed[i] = 0;
		if ((rc = queue_insert(s, &row, "submitted", &ids[i])) != STORE_OK)
			return core_abort(s, rc);
		added += ids[i] != 0;
		/* A new keyed scan keeps its request's hash; a key used before
		 * returns that scan and queues nothing. */
		if ((rc = queue_keyed(s, r, &ids[i], existed ? &existed[i] : NULL)) != STORE_OK)
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
		char lo[QUEUE_SPAN_HEX], hi[QUEUE_SPAN_HEX];
		int span = queue_span(r->targets, lo, hi);

		json_object_set_new(json_array_get(arr, i), "pool",
				    json_string(r->pool ? r->pool : SCAN_POOL_LOCAL));
		json_object_set_new(json_array_get(arr, i), "lo", span ? json_string(lo) : json_null());
		json_object_set_new(json_array_get(arr, i), "hi", span ? json_string(hi) : json_null());
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

	for (int tries = 0; core_retry_safe(s, rc, tries); tries++)
		rc = fn(s, reqs, n, ids, existed);
	return rc;
}

int store_submit(struct store *s, const struct scan_request *req, int64_t *id, int *existed)
{
	int ex = 0;
	int rc = store_submit_many(s, req, 1, id, &ex);

	if (existed)
		*existed = ex;
	return rc;
}

