/*
 * tokens.c — API tokens, written once for both dialects: creating one
 * (with an optional expiry), looking one up for authentication with its
 * state (ok, revoked, expired), listing and revoking them.  The store
 * keeps only a token's hash; making and checking the secret is
 * src/api/auth.c's business.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/clock.h"
#include "store/tx.h"

int store_token_get(struct store *s, int64_t id, char *role, char *hash)
{
	struct db_args a = { 0 };
	struct db_cur c;
	int rc;

	db_i64(&a, id);
	if ((rc = db_query(s, S_TOKEN_GET, &a, &c)) == STORE_OK && (rc = db_next(&c)) > 0) {
		db_col_copy(&c, 0, role, 16);
		db_col_copy(&c, 1, hash, 129);
	}
	db_done(&c);
	return rc > 0 ? STORE_OK : rc == 0 ? STORE_NOT_FOUND : rc;
}

int store_token_any(struct store *s)
{
	struct db_args a = { 0 };
	int64_t any;

	return db_int(s, S_TOKEN_ANY, &a, &any) == STORE_OK ? (int)(any != 0) : -1;
}

int store_token_create_exp(struct store *s, const char *name, const char *role, const char *pool,
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
	db_text(&a, pool);
	return db_int(s, S_TOKEN_INSERT_EXP, &a, id);
}

int store_token_lookup(struct store *s, int64_t id, char *role, char *hash, char *name, char *pool)
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
		if (pool)
			db_col_copy(&c, 4, pool, 40);
	}
	db_done(&c);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return STORE_NOT_FOUND;
	return strcmp(state, "ok") == 0 ? STORE_OK : STORE_ILLEGAL;
}

static void token_row(struct db_cur *c, void *elem, void *ctx)
{
	struct token_info *t = elem;

	(void)ctx;
	t->id = db_col_i64(c, 0);
	db_col_copy(c, 1, t->name, sizeof t->name);
	db_col_copy(c, 2, t->role, sizeof t->role);
	t->created_at = db_col_i64(c, 3);
	t->expires_at = db_col_i64(c, 4);
	t->revoked_at = db_col_i64(c, 5);
	db_col_copy(c, 6, t->pool, sizeof t->pool);
}

int store_token_list(struct store *s, struct token_info **out, size_t *n)
{
	return core_page_new(s, S_TOKEN_LIST, NULL, sizeof **out, STORE_LIST_MAX, token_row, NULL,
			     NULL, (void **)out, n);
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
