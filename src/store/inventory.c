/*
 * inventory.c — the attack surface at a glance (store.h): every host and
 * port a completed scan saw, derived from the findings in one query
 * (S_INVENTORY), so nothing is stored twice that could disagree.  "Still
 * seen" means the latest completed scan of a baseline that saw it sees it
 * too.  The names of an address are derived the same way (S_HOST_NAMES).
 * A port's service is the best known: the latest detection's (an open_port
 * finding whose detail says `detected_by`, found by the partial index
 * findings_detected), so a later scan without detection, which names a
 * port by /etc/services at best, does not overwrite it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "store/db.h"

void host_name_array_free(struct host_name *a, size_t n)
{
	if (!a)
		return;
	for (size_t i = 0; i < n; i++) {
		free(a[i].address);
		free(a[i].name);
	}
	free(a);
}

void inventory_array_free(struct inventory_item *a, size_t n)
{
	if (!a)
		return;
	for (size_t i = 0; i < n; i++) {
		free(a[i].target);
		free(a[i].service);
		free(a[i].product);
		free(a[i].version);
		host_name_array_free(a[i].names, a[i].nnames);
	}
	free(a);
}

/* "http,dns,http" -> "dns,http": each source once, sorted (SQLite's
 * group_concat keeps no order). */
static void sources_norm(const char *in, char *out, size_t len)
{
	static const char *const known[] = { "dns", "http", "ptr" };
	size_t o = 0;

	out[0] = '\0';
	for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
		const char *p = in ? strstr(in, known[k]) : NULL;

		if (p && o + strlen(known[k]) + 2 < len)
			o += (size_t)snprintf(out + o, len - o, "%s%s", o ? "," : "", known[k]);
	}
}

int store_host_names(struct store *s, struct host_name **out, size_t *n)
{
	struct db_args a = { 0 };
	struct db_cur cur;
	struct host_name *v = NULL;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	db_i64(&a, STORE_HOST_NAMES_MAX);
	if ((rc = db_query(s, S_HOST_NAMES, &a, &cur)) == STORE_OK) {
		while ((rc = db_next(&cur)) > 0) {
			struct host_name *h;
			char src[64];

			if (*n == cap) {
				struct host_name *nv = realloc(v, (cap ? cap * 2 : 64) * sizeof *nv);

				if (!nv) {
					rc = store_set_error(s, "out of memory");
					break;
				}
				v = nv;
				cap = cap ? cap * 2 : 64;
			}
			h = &v[(*n)++];
			memset(h, 0, sizeof *h);
			h->address = db_col_dup(&cur, 0);
			h->name = db_col_dup(&cur, 1);
			db_col_copy(&cur, 2, src, sizeof src);
			sources_norm(src, h->sources, sizeof h->sources);
			h->first_seen = db_col_i64(&cur, 3);
			h->last_seen = db_col_i64(&cur, 4);
			h->last_scan = db_col_i64(&cur, 5);
		}
	}
	db_done(&cur);
	if (rc < 0) {
		host_name_array_free(v, *n);
		*n = 0;
		return rc;
	}
	*out = v;
	return STORE_OK;
}

static char *json_dup(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v && *v ? strdup(v) : NULL;
}

/* The latest detection of the item's port (columns 9-11: its detail, scan
 * and finished_at; NULL when there is none).  The index found it by text;
 * the detail, parsed here, says how and what. */
static void detection(struct db_cur *cur, struct inventory_item *it)
{
	char *text = db_col_dup(cur, 9);
	json_t *d = text ? json_loads(text, 0, NULL) : NULL;
	const char *by = json_string_value(json_object_get(d, "detected_by"));

	free(text);
	if (by) {
		snprintf(it->detected_by, sizeof it->detected_by, "%s", by);
		it->product = json_dup(d, "product");
		it->version = json_dup(d, "version");
		it->service_scan = db_col_i64(cur, 10);
		it->service_at = db_col_i64(cur, 11);
	}
	json_decref(d);
}

int store_inventory(struct store *s, int port, const char *service, struct inventory_item **out,
		    size_t *n)
{
	struct db_args a = { 0 };
	struct db_cur cur;
	struct inventory_item *v = NULL;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	db_i64(&a, port);
	db_text(&a, service);
	db_i64(&a, STORE_INVENTORY_MAX);
	if ((rc = db_query(s, S_INVENTORY, &a, &cur)) == STORE_OK) {
		while ((rc = db_next(&cur)) > 0) {
			struct inventory_item *it;

			if (*n == cap) {
				struct inventory_item *nv = realloc(v, (cap ? cap * 2 : 64) * sizeof *nv);

				if (!nv) {
					rc = store_set_error(s, "out of memory");
					break;
				}
				v = nv;
				cap = cap ? cap * 2 : 64;
			}
			it = &v[(*n)++];
			memset(it, 0, sizeof *it);
			it->target = db_col_dup(&cur, 0);
			it->port = (int)db_col_i64(&cur, 1);
			db_col_copy(&cur, 2, it->proto, sizeof it->proto);
			it->service = db_col_dup(&cur, 3);
			it->first_seen = db_col_i64(&cur, 4);
			it->last_seen = db_col_i64(&cur, 5);
			it->first_scan = db_col_i64(&cur, 6);
			it->last_scan = db_col_i64(&cur, 7);
			it->still_seen = db_col_i64(&cur, 8) != 0;
			detection(&cur, it);
		}
	}
	db_done(&cur);
	if (rc < 0) {
		inventory_array_free(v, *n);
		*n = 0;
		return rc;
	}
	*out = v;
	return STORE_OK;
}

static int by_address_name(const void *a, const void *b)
{
	const struct host_name *x = a, *y = b;
	int c = strcmp(x->address, y->address);

	return c ? c : strcmp(x->name, y->name);
}

int store_inventory_names(struct store *s, struct inventory_item *it, size_t n)
{
	struct host_name *all = NULL;
	size_t nall = 0;
	int rc = store_host_names(s, &all, &nall);

	if (rc != STORE_OK)
		return rc;
	if (nall)		/* none may be a NULL array: qsort's pointer is nonnull */
		qsort(all, nall, sizeof *all, by_address_name);
	for (size_t i = 0; i < n && rc == STORE_OK; i++) {
		size_t lo = 0, hi = nall, k;

		while (lo < hi) {	/* the first name of it[i].target */
			size_t mid = lo + (hi - lo) / 2;

			if (strcmp(all[mid].address, it[i].target ? it[i].target : "") < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (k = lo; k < nall && it[i].target && strcmp(all[k].address, it[i].target) == 0; k++)
			;
		if (k == lo)
			continue;
		it[i].names = calloc(k - lo, sizeof *it[i].names);
		if (!it[i].names) {
			rc = store_set_error(s, "out of memory");
			break;
		}
		for (size_t j = lo; j < k; j++) {
			struct host_name *h = &it[i].names[it[i].nnames++];

			*h = all[j];
			h->address = strdup(all[j].address);
			h->name = strdup(all[j].name);
			if (!h->address || !h->name) {
				rc = store_set_error(s, "out of memory");
				break;
			}
		}
	}
	host_name_array_free(all, nall);
	return rc;
}
