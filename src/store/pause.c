/*
 * pause.c — pausing and resuming scanning, written once for both
 * dialects.  A pause is a row of `pauses`; the claim statement skips
 * every scan a pause holds (DB_CLAIM_NOT_PAUSED in db.h), so a paused
 * scan simply stays pending and a resume needs nothing but the delete.
 * Running scans are handed back only on request (store_pause_handback()).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/clock.h"
#include "store/hold.h"
#include "store/tx.h"

int store_pause_add(struct store *s, const char *kind, const char *value, const char *reason,
		    const char *actor)
{
	struct db_args a = { 0 };
	int64_t changed = 0;
	int rc;

	if (reason && strlen(reason) > STORE_PAUSE_REASON_MAX)
		return store_set_error(s, "a reason is at most %d bytes", STORE_PAUSE_REASON_MAX),
		       STORE_ILLEGAL;
	db_text(&a, kind);
	db_text(&a, value ? value : "");
	db_i64(&a, scan_now_ms());
	db_text(&a, reason ? reason : "");
	db_text(&a, actor);
	if ((rc = db_run(s, S_PAUSE_INSERT, &a, &changed)) != STORE_OK)
		return rc;
	if (!changed)
		return store_set_error(s, "already paused"), STORE_ILLEGAL;
	return STORE_OK;
}

int store_pause_rm(struct store *s, const char *kind, const char *value)
{
	struct db_args a = { 0 };
	int64_t changed = 0;
	int rc;

	if (kind) {
		db_text(&a, kind);
		db_text(&a, value ? value : "");
	}
	if ((rc = db_run(s, kind ? S_PAUSE_DELETE : S_PAUSE_DELETE_ALL, kind ? &a : NULL, &changed))
	    != STORE_OK)
		return rc;
	if (!changed)
		return store_set_error(s, "not paused"), STORE_NOT_FOUND;
	return STORE_OK;
}

static void pause_row(struct db_cur *c, void *elem, void *ctx)
{
	struct pause *p = elem;

	(void)ctx;
	db_col_copy(c, 0, p->kind, sizeof p->kind);
	db_col_copy(c, 1, p->value, sizeof p->value);
	db_col_copy(c, 2, p->name, sizeof p->name);
	p->since = db_col_i64(c, 3);
	db_col_copy(c, 4, p->reason, sizeof p->reason);
	db_col_copy(c, 5, p->actor, sizeof p->actor);
}

int store_pause_list(struct store *s, struct pause **out, size_t *n)
{
	struct db_args a = { 0 };
	void *arr;
	int rc;

	db_i64(&a, STORE_PAUSES_MAX);
	rc = core_page_new(s, S_PAUSE_LIST, &a, sizeof **out, STORE_PAUSES_MAX, pause_row, NULL,
			   NULL, &arr, n);
	*out = arr;
	return rc;
}

#define HANDBACK_BATCH 1000

int hold_release_running(struct store *s, enum db_stmt id, const struct db_args *a,
			 const char *reason, int *released)
{
	struct { int64_t id; int attempt; } *run = calloc(HANDBACK_BATCH, sizeof *run);
	struct db_args q = *a;
	struct db_cur c;
	size_t n = 0;
	int rc;

	*released = 0;
	if (!run)
		return store_set_error(s, "out of memory");
	db_i64(&q, HANDBACK_BATCH);
	if ((rc = db_query(s, id, &q, &c)) == STORE_OK) {
		while (n < HANDBACK_BATCH && (rc = db_next(&c)) > 0) {
			run[n].id = db_col_i64(&c, 0);
			run[n].attempt = (int)db_col_i64(&c, 1);
			n++;
		}
		rc = rc < 0 ? rc : STORE_OK;
	}
	db_done(&c);
	/* One at a time, each fenced by its attempt: a scan that ended or was
	 * claimed again meanwhile is left alone. */
	for (size_t i = 0; i < n && rc == STORE_OK; i++) {
		int r = store_release(s, run[i].id, run[i].attempt, reason);

		if (r == STORE_OK)
			(*released)++;
		else if (r != STORE_LOST && r != STORE_NOT_FOUND && r != STORE_ILLEGAL)
			rc = r;
	}
	free(run);
	return rc;
}

int store_pause_handback(struct store *s, const char *kind, const char *value, const char *reason,
			 int *released)
{
	struct db_args a = { 0 };

	db_text(&a, kind);
	db_text(&a, value ? value : "");
	return hold_release_running(s, S_PAUSE_RUNNING, &a, reason, released);
}

json_t *pause_to_json(const struct pause *p)
{
	json_t *o = json_pack("{sssIssss}", "kind", p->kind, "since", (json_int_t)p->since,
			      "reason", p->reason, "by", p->actor);

	if (o && strcmp(p->kind, "type") == 0)
		json_object_set_new(o, "type", json_string(p->value));
	if (o && strcmp(p->kind, "schedule") == 0)
		json_object_set_new(o, "schedule", json_string(p->name[0] ? p->name : p->value));
	if (o && strcmp(p->kind, "pool") == 0)
		json_object_set_new(o, "pool", json_string(p->value));
	return o;
}

const char *pause_describe(const struct pause *p, char *buf, size_t len)
{
	char t[40];

	snprintf(buf, len, "%s%s%s since %s by %s%s%s",
		 strcmp(p->kind, "all") == 0 ? "every scan" : p->kind,
		 strcmp(p->kind, "all") == 0 ? "" : " ",
		 strcmp(p->kind, "schedule") == 0 && p->name[0] ? p->name : p->value,
		 scan_format_time(p->since, t, sizeof t), p->actor, p->reason[0] ? ": " : "",
		 p->reason);
	return buf;
}

json_t *store_pauses_json(struct store *s)
{
	struct pause *p = NULL;
	size_t n = 0;
	json_t *a;

	if (store_pause_list(s, &p, &n) != STORE_OK)
		return NULL;
	a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, pause_to_json(&p[i]));
	free(p);
	return a;
}
