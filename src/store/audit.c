/*
 * audit.c — who did what: the audit trail, written once over the
 * dialects' statements (db.h).  Recording an action is one call,
 * store_audit(), so every operator action (and any later one: schedule
 * changes) lands in the same table the same way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "store/tx.h"

int store_audit(struct store *s, const char *actor, const char *action, int64_t scan_id,
		const char *detail)
{
	return store_audit_from(s, actor, NULL, action, scan_id, detail);
}

int store_audit_from(struct store *s, const char *actor, const char *client, const char *action,
		     int64_t scan_id, const char *detail)
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
	db_text(&a, client && *client ? client : NULL);
	rc = db_run(s, S_AUDIT_INSERT, &a, NULL);
	for (int tries = 0; core_retry_safe(s, rc, tries); tries++)
		rc = db_run(s, S_AUDIT_INSERT, &a, NULL);
	return rc;
}

static void audit_row(struct db_cur *c, void *elem, void *ctx)
{
	struct audit_entry *e = elem;

	e->id = db_col_i64(c, 0);
	e->at = db_col_i64(c, 1);
	db_col_copy(c, 2, e->actor, sizeof e->actor);
	db_col_copy(c, 3, e->action, sizeof e->action);
	e->scan_id = db_col_i64(c, 4);
	db_col_copy(c, 5, e->detail, sizeof e->detail);
	db_col_copy(c, 6, e->client, sizeof e->client);
}

int store_audit_list(struct store *s, int64_t before_id, int limit, struct audit_entry **out,
		     size_t *n)
{
	struct db_args a = { 0 };
	void *arr;
	int rc;

	if (limit < 1 || limit > STORE_LIST_MAX)
		limit = STORE_LIST_MAX;
	db_i64(&a, before_id > 0 ? before_id : INT64_MAX);
	db_i64(&a, limit);
	rc = core_page_new(s, S_AUDIT_LIST, &a, sizeof **out, (size_t)limit, audit_row, NULL, NULL,
			   &arr, n);
	*out = arr;
	return rc;
}
