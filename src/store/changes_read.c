/*
 * changes_read.c — reading what changes.c wrote (store.h): a scan's change
 * counts and its changes, a chain's stages and its changes, page by page,
 * and their JSON views, for the CLI and the API alike.  Nothing here
 * writes; changes.c compares and records.
 */
#include <stdlib.h>
#include <string.h>
#include "store/tx.h"

/* A JSON string of s, or null; bytes that are not valid UTF-8 (a field cut
 * inside a character) become '?', so a change always has a JSON form. */
json_t *changes_text_json(const char *s)
{
	json_t *v;
	char *t;

	if (!s)
		return json_null();
	if ((v = json_string(s)))
		return v;
	if (!(t = strdup(s)))
		return json_null();
	for (char *p = t; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	v = json_string(t);
	free(t);
	return v ? v : json_null();
}

int changes_scan_exists(struct store *s, int64_t id)
{
	struct db_args a = { 0 };
	int64_t one = 0;
	int rc;

	db_i64(&a, id);
	rc = db_int(s, S_EXISTS, &a, &one);
	if (rc == STORE_NOT_FOUND)
		store_set_error(s, "no scan %lld", (long long)id);
	return rc;
}

void scan_change_array_free(struct scan_change *a, size_t n)
{
	if (!a)
		return;
	for (size_t i = 0; i < n; i++) {
		free(a[i].target);
		free(a[i].ident);
		free(a[i].title);
		free(a[i].before);
		free(a[i].after);
	}
	free(a);
}

static json_t *json_or_null(const char *text)
{
	json_t *o = text ? json_loads(text, 0, NULL) : NULL;

	return o ? o : json_null();
}

json_t *scan_change_to_json(const struct scan_change *c)
{
	json_t *o = json_object();

	json_object_set_new(o, "change", changes_text_json(c->change));
	json_object_set_new(o, "kind", changes_text_json(c->kind));
	if (c->id)
		json_object_set_new(o, "id", json_integer(c->id));
	if (c->scan_id)
		json_object_set_new(o, "scan_id", json_integer(c->scan_id));
	json_object_set_new(o, "target", changes_text_json(c->target));
	json_object_set_new(o, "port", c->port ? json_integer(c->port) : json_null());
	json_object_set_new(o, "proto", c->proto[0] ? changes_text_json(c->proto) : json_null());
	json_object_set_new(o, "ident", changes_text_json(c->ident));
	json_object_set_new(o, "severity", changes_text_json(c->severity));
	json_object_set_new(o, "title", changes_text_json(c->title));
	json_object_set_new(o, "before", json_or_null(c->before));
	json_object_set_new(o, "after", json_or_null(c->after));
	if (c->fingerprint[0])
		json_object_set_new(o, "fingerprint", json_string(c->fingerprint));
	/* Triaged by an operator: shown, marked, and not what fires changes.found. */
	if (strcmp(c->state, "accepted") == 0 || strcmp(c->state, "false_positive") == 0) {
		json_object_set_new(o, "suppressed", json_true());
		json_object_set_new(o, "state", json_string(c->state));
	}
	return o;
}

json_t *scan_changes_info_to_json(int64_t scan_id, const struct scan_changes_info *info)
{
	json_t *o = json_pack("{sIsbsbsIsIsI}", "scan_id", (json_int_t)scan_id, "compared",
			      info->compared, "baseline", info->compared && info->baseline_id == 0,
			      "new", (json_int_t)info->nnew, "gone", (json_int_t)info->ngone,
			      "changed", (json_int_t)info->nchanged);

	json_object_set_new(o, "compared_with", info->baseline_id ? json_integer(info->baseline_id)
								 : json_null());
	return o;
}

json_t *chain_stage_to_json(const struct chain_stage *st)
{
	json_t *o = scan_changes_info_to_json(st->scan_id, &st->info);

	json_object_set_new(o, "type", json_string(st->type));
	json_object_set_new(o, "status", json_string(scan_status_name(st->status)));
	return o;
}

json_t *chain_total_to_json(int64_t root, const struct chain_total *t)
{
	return json_pack("{sIsbsIsIsIsIsI}", "scan_id", (json_int_t)root, "chain", 1, "scans",
			 (json_int_t)t->stages, "compared", (json_int_t)t->compared, "new",
			 (json_int_t)t->nnew, "gone", (json_int_t)t->ngone, "changed",
			 (json_int_t)t->nchanged);
}

int store_changes_info(struct store *s, int64_t scan_id, struct scan_changes_info *out)
{
	struct db_args a = { 0 };
	struct db_cur cur;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = changes_scan_exists(s, scan_id)) != STORE_OK)
		return rc;
	db_i64(&a, scan_id);
	if ((rc = db_query(s, S_CHANGES_OF, &a, &cur)) == STORE_OK && (rc = db_next(&cur)) > 0) {
		out->compared = 1;
		out->baseline_id = db_col_i64(&cur, 0);
		out->nnew = db_col_i64(&cur, 1);
		out->ngone = db_col_i64(&cur, 2);
		out->nchanged = db_col_i64(&cur, 3);
	}
	db_done(&cur);
	return rc < 0 ? rc : STORE_OK;
}

/* The changes `stmt` (S_CHANGES_LIST or S_CHAIN_CHANGES) gives for scan
 * `id`, after `after_id`, at most `limit`: see store_changes(). */
static int list_changes(struct store *s, enum db_stmt stmt, int64_t id, int64_t after_id,
			int limit, struct scan_change **out, size_t *n)
{
	struct db_args a = { 0 };
	struct db_cur cur;
	struct scan_change *v;
	int rc;

	*out = NULL;
	*n = 0;
	if (limit < 1 || limit > STORE_LIST_MAX)
		return store_set_error(s, "limit must be 1..%d", STORE_LIST_MAX);
	if ((rc = changes_scan_exists(s, id)) != STORE_OK)
		return rc;
	if (!(v = calloc((size_t)limit, sizeof *v)))
		return store_set_error(s, "out of memory");
	db_i64(&a, id);
	db_i64(&a, after_id);
	db_i64(&a, limit);
	if ((rc = db_query(s, stmt, &a, &cur)) == STORE_OK) {
		while (*n < (size_t)limit && (rc = db_next(&cur)) > 0) {
			struct scan_change *c = &v[(*n)++];

			c->id = db_col_i64(&cur, 0);
			db_col_copy(&cur, 1, c->change, sizeof c->change);
			db_col_copy(&cur, 2, c->kind, sizeof c->kind);
			c->target = db_col_dup(&cur, 3);
			c->port = (int)db_col_i64(&cur, 4);
			db_col_copy(&cur, 5, c->proto, sizeof c->proto);
			c->ident = db_col_dup(&cur, 6);
			db_col_copy(&cur, 7, c->severity, sizeof c->severity);
			c->title = db_col_dup(&cur, 8);
			c->before = db_col_dup(&cur, 9);
			c->after = db_col_dup(&cur, 10);
			c->scan_id = db_col_i64(&cur, 11);
		}
		rc = rc < 0 ? rc : STORE_OK;
	}
	db_done(&cur);
	if (rc != STORE_OK) {
		scan_change_array_free(v, *n);
		*n = 0;
		return rc;
	}
	*out = v;
	return STORE_OK;
}

int store_changes(struct store *s, int64_t scan_id, int64_t after_id, int limit,
		  struct scan_change **out, size_t *n)
{
	return list_changes(s, S_CHANGES_LIST, scan_id, after_id, limit, out, n);
}

int store_chain_changes(struct store *s, int64_t root, int64_t after_id, int limit,
			struct scan_change **out, size_t *n)
{
	return list_changes(s, S_CHAIN_CHANGES, root, after_id, limit, out, n);
}

int store_chain_stages(struct store *s, int64_t root, size_t max, struct chain_stage **out,
		       size_t *n, struct chain_total *total)
{
	struct chain_total sum = { 0 };
	struct db_args a = { 0 };
	struct db_cur cur;
	struct chain_stage *v = NULL;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = changes_scan_exists(s, root)) != STORE_OK)
		return rc;
	if (max && !(v = calloc(max, sizeof *v)))
		return store_set_error(s, "out of memory");
	db_i64(&a, root);
	if ((rc = db_query(s, S_CHAIN_STAGES, &a, &cur)) == STORE_OK) {
		while ((rc = db_next(&cur)) > 0) {
			struct chain_stage st = { .scan_id = db_col_i64(&cur, 0) };
			char status[16];

			db_col_copy(&cur, 1, st.type, sizeof st.type);
			db_col_copy(&cur, 2, status, sizeof status);
			scan_status_parse(status, &st.status);
			st.info.compared = (int)db_col_i64(&cur, 3);
			st.info.baseline_id = db_col_i64(&cur, 4);
			st.info.nnew = db_col_i64(&cur, 5);
			st.info.ngone = db_col_i64(&cur, 6);
			st.info.nchanged = db_col_i64(&cur, 7);
			sum.stages++;
			sum.compared += st.info.compared;
			sum.nnew += st.info.nnew;
			sum.ngone += st.info.ngone;
			sum.nchanged += st.info.nchanged;
			if (*n < max)
				v[(*n)++] = st;
		}
		rc = rc < 0 ? rc : STORE_OK;
	}
	db_done(&cur);
	if (rc != STORE_OK) {
		free(v);
		*n = 0;
		return rc;
	}
	if (total)
		*total = sum;
	*out = v;
	return STORE_OK;
}

