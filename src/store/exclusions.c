/*
 * exclusions.c — the global exclusion list, written once for both
 * dialects: adding, removing and listing entries, and the scope that
 * joins them to the configuration's own [scope] exclude.  An exclusion is
 * a deny entry that skips instead of refusing (scan/scope.h); it is held
 * in the database so that every host, worker and API server sees one list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/clock.h"
#include "core/config.h"
#include "scope.h"
#include "store/exclusions.h"
#include "store/tx.h"

int store_exclusion_add(struct store *s, const char *entry, const char *reason, const char *actor)
{
	struct db_args a = { 0 };
	char err[200];
	int64_t n = 0, changed = 0;
	int rc;

	if (scope_entry_valid(entry, err, sizeof err) < 0 || strlen(entry) >= 256)
		return store_set_error(s, "bad exclusion '%.60s' (a CIDR block, an address or a"
				       " domain suffix)", entry), STORE_ILLEGAL;
	if (reason && strlen(reason) > STORE_EXCLUSION_REASON_MAX)
		return store_set_error(s, "a reason is at most %d bytes", STORE_EXCLUSION_REASON_MAX),
		       STORE_ILLEGAL;
	if ((rc = db_int(s, S_EXCL_COUNT, NULL, &n)) != STORE_OK)
		return rc;
	if (n >= STORE_EXCLUSIONS_MAX)
		return store_set_error(s, "the exclusion list is full (%d entries); remove one first",
				       STORE_EXCLUSIONS_MAX), STORE_ILLEGAL;
	db_text(&a, entry);
	db_text(&a, reason ? reason : "");
	db_i64(&a, scan_now_ms());
	db_text(&a, actor);
	if ((rc = db_run(s, S_EXCL_INSERT, &a, &changed)) != STORE_OK)
		return rc;
	if (!changed)
		return store_set_error(s, "'%.60s' is already excluded", entry), STORE_ILLEGAL;
	return STORE_OK;
}

int store_exclusion_rm(struct store *s, const char *entry)
{
	struct db_args a = { 0 };
	int64_t changed = 0;
	int rc;

	db_text(&a, entry);
	if ((rc = db_run(s, S_EXCL_DELETE, &a, &changed)) != STORE_OK)
		return rc;
	if (!changed)
		return store_set_error(s, "no exclusion '%.60s'", entry), STORE_NOT_FOUND;
	return STORE_OK;
}

static void exclusion_row(struct db_cur *c, void *elem, void *ctx)
{
	static const struct db_field fields[] = {
		DB_COPY(struct exclusion, entry), DB_COPY(struct exclusion, reason),
		DB_I64(struct exclusion, created_at), DB_COPY(struct exclusion, created_by),
	};

	(void)ctx;
	db_row_read(c, fields, sizeof fields / sizeof *fields, elem);
}

int store_exclusion_list(struct store *s, struct exclusion **out, size_t *n)
{
	struct db_args a = { 0 };
	void *arr;
	int rc;

	/* Twice the cap: rows a race let past the cap are still listed. */
	db_i64(&a, STORE_EXCLUSIONS_MAX * 2);
	rc = core_page_new(s, S_EXCL_LIST, &a, sizeof **out, STORE_EXCLUSIONS_MAX * 2, exclusion_row,
			   NULL, NULL, &arr, n);
	*out = arr;
	return rc;
}

struct scope *store_exclusion_scope(struct store *s)
{
	struct exclusion *x = NULL;
	struct scope *sc = NULL;
	char err[256];
	size_t n = 0;

	if (store_exclusion_list(s, &x, &n) != STORE_OK)
		return NULL;
	sc = scope_from_config(&config, err, sizeof err);
	if (!sc) {
		store_set_error(s, "scope: %s", err);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (scope_exclude_add(sc, x[i].entry, err, sizeof err) < 0) {
			store_set_error(s, "exclusions: %s", err);
			scope_free(sc);
			sc = NULL;
			goto out;
		}
out:
	free(x);
	return sc;
}

int exclusions_filter(struct store *s, json_t *hosts, json_t *ports, size_t *dropped)
{
	struct scope *sc;

	*dropped = 0;
	if (json_array_size(hosts) == 0)
		return STORE_OK;
	if (!(sc = store_exclusion_scope(s)))
		return STORE_ERROR;
	for (size_t i = json_array_size(hosts); scope_nexcluded(sc) > 0 && i-- > 0;) {
		const char *h = json_string_value(json_array_get(hosts, i));

		if (h && scope_excluded_spec(sc, h)) {
			json_array_remove(hosts, i);
			if (ports)
				json_array_remove(ports, i);
			(*dropped)++;
		}
	}
	scope_free(sc);
	return STORE_OK;
}

json_t *store_exclusions_json(const struct exclusion *x, size_t n)
{
	json_t *a = json_array();

	for (int i = 0; a && i < config.nexclude; i++)
		json_array_append_new(a, json_pack("{sssssnsnss}", "entry", config.scope_exclude[i],
						   "reason", "", "created_at", "created_by",
						   "source", "config"));
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_pack("{sssssIssss}", "entry", x[i].entry,
						   "reason", x[i].reason, "created_at",
						   (json_int_t)x[i].created_at, "created_by",
						   x[i].created_by, "source", "store"));
	return a;
}
