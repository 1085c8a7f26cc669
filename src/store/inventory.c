/*
 * inventory.c — the attack surface at a glance (store.h): every host and
 * port a completed scan saw, derived from the findings in one query
 * (S_INVENTORY), so nothing is stored twice that could disagree.  "Still
 * seen" means the latest completed scan of a baseline that saw it sees it
 * too.
 */
#include <stdlib.h>
#include <string.h>
#include "store/db.h"

void inventory_array_free(struct inventory_item *a, size_t n)
{
	if (!a)
		return;
	for (size_t i = 0; i < n; i++) {
		free(a[i].target);
		free(a[i].service);
	}
	free(a);
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
