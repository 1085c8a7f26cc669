/*
 * audit.c — who did what (the audit trail), tokens that expire or are
 * revoked, and pruning by final status: the operator's side of the store
 * added by issue 12, written once over the dialects' statements (db.h).
 *
 * Recording an action is one call, store_audit(), so every operator action
 * (and any later one: schedule changes) lands in the same table the same
 * way.  Pruning by status runs in short transactions with a pause between
 * them, so a claim never waits behind more than one small batch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "store/tx.h"

int store_audit(struct store *s, const char *actor, const char *action, int64_t scan_id,
		const char *detail)
{
	struct db_args a = { 0 };
	int rc;

	db_i64(&a, scan_now_ms());
	db_text(&a, actor && *actor ? actor : "unknown");
	db_text(&a, action);
	if (scan_id > 0)
		db_i64(&a, scan_id);
	else
		db_null(&a);
	db_text(&a, detail);
	rc = db_run(s, S_AUDIT_INSERT, &a, NULL);
	return core_retry_safe(s, rc) ? db_run(s, S_AUDIT_INSERT, &a, NULL) : rc;
}

int store_audit_list(struct store *s, int64_t before_id, int limit, struct audit_entry **out,
		     size_t *n)
{
	struct db_args a = { 0 };
	struct audit_entry *arr;
	struct db_cur c;
	size_t k = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (limit < 1 || limit > STORE_LIST_MAX)
		limit = STORE_LIST_MAX;
	if (!(arr = calloc((size_t)limit, sizeof *arr)))
		return store_set_error(s, "out of memory");
	db_i64(&a, before_id > 0 ? before_id : INT64_MAX);
	db_i64(&a, limit);
	if ((rc = db_query(s, S_AUDIT_LIST, &a, &c)) == STORE_OK) {
		while (k < (size_t)limit && (rc = db_next(&c)) > 0) {
			struct audit_entry *e = &arr[k++];

			e->id = db_col_i64(&c, 0);
			e->at = db_col_i64(&c, 1);
			db_col_copy(&c, 2, e->actor, sizeof e->actor);
			db_col_copy(&c, 3, e->action, sizeof e->action);
			e->scan_id = db_col_i64(&c, 4);
			db_col_copy(&c, 5, e->detail, sizeof e->detail);
		}
		rc = rc < 0 ? rc : STORE_OK;
	}
	db_done(&c);
	if (rc != STORE_OK) {
		free(arr);
		return rc;
	}
	*out = arr;
	*n = k;
	return STORE_OK;
}

/* ---- tokens ----------------------------------------------------------------------------- */

int store_token_create_exp(struct store *s, const char *name, const char *role,
			   const char *hash, int64_t expires_at, int64_t *id)
{
	struct db_args a = { 0 };

	db_text(&a, name);
	db_text(&a, role);
	db_text(&a, hash);
	db_i64(&a, scan_now_ms());
	if (expires_at > 0)
		db_i64(&a, expires_at);
	else
		db_null(&a);
	return db_int(s, S_TOKEN_INSERT_EXP, &a, id);
}

int store_token_lookup(struct store *s, int64_t id, char *role, char *hash, char *name)
{
	struct db_args a = { 0 };
	struct db_cur c;
	char state[16] = "";
	int rc;

	db_i64(&a, id);
	db_i64(&a, scan_now_ms());
	if ((rc = db_query(s, S_TOKEN_CHECK, &a, &c)) == STORE_OK && (rc = db_next(&c)) > 0) {
		db_col_copy(&c, 0, role, 16);
		db_col_copy(&c, 1, hash, 129);
		if (name)
			db_col_copy(&c, 2, name, 65);
		db_col_copy(&c, 3, state, sizeof state);
	}
	db_done(&c);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return STORE_NOT_FOUND;
	return strcmp(state, "ok") == 0 ? STORE_OK : STORE_ILLEGAL;
}

int store_token_list(struct store *s, struct token_info **out, size_t *n)
{
	struct token_info *arr = NULL, *t;
	size_t cap = 0, k = 0;
	struct db_cur c;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = db_query(s, S_TOKEN_LIST, NULL, &c)) == STORE_OK) {
		while ((rc = db_next(&c)) > 0) {
			if (k == cap) {
				cap = cap ? cap * 2 : 16;
				if (!(t = realloc(arr, cap * sizeof *arr))) {
					rc = store_set_error(s, "out of memory");
					break;
				}
				arr = t;
			}
			t = &arr[k++];
			memset(t, 0, sizeof *t);
			t->id = db_col_i64(&c, 0);
			db_col_copy(&c, 1, t->name, sizeof t->name);
			db_col_copy(&c, 2, t->role, sizeof t->role);
			t->created_at = db_col_i64(&c, 3);
			t->expires_at = db_col_i64(&c, 4);
			t->revoked_at = db_col_i64(&c, 5);
		}
		rc = rc < 0 ? rc : STORE_OK;
	}
	db_done(&c);
	if (rc != STORE_OK) {
		free(arr);
		return rc;
	}
	*out = arr;
	*n = k;
	return STORE_OK;
}

int store_token_revoke(struct store *s, int64_t id)
{
	struct db_args a = { 0 };
	char role[16], hash[129];
	int64_t changed = 0;
	int rc;

	db_i64(&a, id);
	db_i64(&a, scan_now_ms());
	if ((rc = db_run(s, S_TOKEN_REVOKE, &a, &changed)) != STORE_OK)
		return rc;
	if (changed)
		return STORE_OK;
	rc = store_token_get(s, id, role, hash);
	if (rc == STORE_NOT_FOUND)
		return store_set_error(s, "no token %lld", (long long)id), STORE_NOT_FOUND;
	if (rc != STORE_OK)
		return rc;
	store_set_error(s, "token %lld is already revoked", (long long)id);
	return STORE_ILLEGAL;
}

/* ---- pruning by final status ---------------------------------------------------------------- */

int store_prune_status(struct store *s, enum scan_status status, int64_t before_ms, int batch,
		       int max_batches, int pause_ms, int dry_run, int64_t *deleted)
{
	const char *st = scan_status_name(status);
	int64_t total = 0;
	int rc;

	*deleted = 0;
	if (status != SCAN_COMPLETED && status != SCAN_FAILED && status != SCAN_CANCELLED)
		return store_set_error(s, "only finished scans can be pruned");
	if (batch < 1)
		batch = 1000;
	if (dry_run) {
		struct db_args a = { 0 };

		db_i64(&a, before_ms);
		db_text(&a, st);
		return db_int(s, S_PRUNE_STATUS_COUNT, &a, deleted);
	}
	for (int b = 0; max_batches == 0 || b < max_batches; b++) {
		struct db_args a = { 0 };
		int64_t changed = 0;

		if (b && pause_ms > 0) {
			struct timespec ts = { pause_ms / 1000, (long)(pause_ms % 1000) * 1000000 };
			nanosleep(&ts, NULL);
		}
		db_i64(&a, before_ms);
		db_i64(&a, batch);
		db_text(&a, st);
		if ((rc = db_begin(s, 1)) != STORE_OK)
			return rc;
		if ((rc = db_run(s, S_PRUNE_STATUS, &a, &changed)) != STORE_OK)
			return core_abort(s, rc);
		if ((rc = db_commit(s)) != STORE_OK)
			return rc;
		total += changed;
		*deleted = total;
		if (changed < batch)
			break;
	}
	return STORE_OK;
}

/* ---- doctor's failure rate ---------------------------------------------------------------- */

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
