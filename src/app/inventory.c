/*
 * inventory.c — the inventory's filters and pages (inventory.h).  The
 * store answers port and service; the CIDR filter is applied here, on the
 * parsed address, so "10.0.0.0/8" never matches "110.0.0.1" as text would.
 * Each item of the page then gets its address's names (store_host_names()).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "app/inventory.h"
#include "targets.h"
#include "store/store.h"

int inventory_filter_check(const struct inventory_filter *f, char *err, size_t errlen)
{
	if (f->target && targets_classify(f->target, NULL, NULL) != 1) {
		snprintf(err, errlen, "target must be an address, a CIDR block or a range");
		return -1;
	}
	if (f->port < 0 || f->port > 65535) {
		snprintf(err, errlen, "port must be 1..65535");
		return -1;
	}
	if (f->service && (!*f->service || strlen(f->service) > 64)) {
		snprintf(err, errlen, "service must be 1..64 characters");
		return -1;
	}
	return 0;
}

int inventory_read(struct store *s, const struct inventory_filter *f, struct inventory_item **out,
		   size_t *n, size_t *total)
{
	struct inventory_item *all = NULL;
	size_t nall = 0, keep = 0, seen = 0;
	targets_u128 lo = 0, hi = 0;
	int rc;

	*out = NULL;
	*n = 0;
	*total = 0;
	if (f->target)
		targets_classify(f->target, &lo, &hi);
	if ((rc = store_inventory(s, f->port, f->service, &all, &nall)) != STORE_OK)
		return rc;
	for (size_t i = 0; i < nall; i++) {
		targets_u128 v;
		int match = 1;

		if (f->target)
			match = all[i].target && targets_parse_addr(all[i].target, &v) == 0
				&& v >= lo && v <= hi;
		if (match && seen++ >= f->offset && keep < f->limit) {
			struct inventory_item t = all[keep];

			all[keep++] = all[i];	/* moved down: keep stays a prefix */
			all[i] = t;
		}
	}
	*total = seen;
	for (size_t i = keep; i < nall; i++) {	/* none has names yet */
		free(all[i].target);
		free(all[i].service);
		free(all[i].product);
		free(all[i].version);
	}
	if ((rc = store_inventory_names(s, all, keep)) != STORE_OK) {
		inventory_array_free(all, keep);
		*total = 0;
		return rc;
	}
	*out = all;
	*n = keep;
	return STORE_OK;
}

json_t *inventory_item_to_json(const struct inventory_item *it)
{
	json_t *o = json_pack("{sssIsIsIsIsb}", "target", it->target ? it->target : "", "first_seen",
			      (json_int_t)it->first_seen, "last_seen", (json_int_t)it->last_seen,
			      "first_scan", (json_int_t)it->first_scan, "last_scan",
			      (json_int_t)it->last_scan, "still_seen", it->still_seen);

	json_object_set_new(o, "port", it->port ? json_integer(it->port) : json_null());
	json_object_set_new(o, "proto", it->proto[0] ? json_string(it->proto) : json_null());
	json_object_set_new(o, "service", it->service ? json_string(it->service) : json_null());
	json_object_set_new(o, "product", it->product ? json_string(it->product) : json_null());
	json_object_set_new(o, "version", it->version ? json_string(it->version) : json_null());
	json_object_set_new(o, "detected_by", it->detected_by[0] ? json_string(it->detected_by)
							: json_null());
	json_object_set_new(o, "service_scan", it->service_scan ? json_integer(it->service_scan)
							  : json_null());
	json_object_set_new(o, "service_confirmed_at", it->service_scan
			    ? json_integer(it->service_at) : json_null());
	json_object_set_new(o, "hostnames", inventory_names_to_json(it));
	return o;
}

json_t *inventory_names_to_json(const struct inventory_item *it)
{
	json_t *a = json_array();

	for (size_t i = 0; i < it->nnames; i++) {
		const struct host_name *h = &it->names[i];
		json_t *src = json_array();
		char buf[sizeof h->sources], *save = NULL;

		snprintf(buf, sizeof buf, "%s", h->sources);
		for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
			json_array_append_new(src, json_string(t));
		json_array_append_new(a, json_pack("{sssosIsIsI}", "name", h->name, "sources", src, "first_seen",
						   (json_int_t)h->first_seen, "last_seen", (json_int_t)h->last_seen,
						   "last_scan", (json_int_t)h->last_scan));
	}
	return a;
}
