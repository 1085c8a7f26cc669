/*
 * inventory.h — the inventory as the CLI and the API show it: the store's
 * rows (store_inventory()) filtered by a CIDR block, a port and a service,
 * then paged by offset; each item carries its address's hostnames.
 */
#ifndef SCANQ_INVENTORY_H
#define SCANQ_INVENTORY_H

#include <stddef.h>
#include <jansson.h>

struct store;
struct inventory_item;

struct inventory_filter {
	const char *target;		/* an address, CIDR block or range; NULL: any */
	int port;			/* 0: any */
	const char *service;		/* NULL: any */
	size_t offset, limit;		/* the page */
};

/* Checks the filter.  Returns 0, or -1 with a one-line reason. */
int inventory_filter_check(const struct inventory_filter *f, char *err, size_t errlen);

/*
 * The page of the inventory that f names: *out a new array of *n items
 * (free with inventory_array_free()), *total how many match in all.
 * Returns a store rc.
 */
int inventory_read(struct store *s, const struct inventory_filter *f, struct inventory_item **out,
		   size_t *n, size_t *total);

/* The JSON form of an item, its names under "hostnames"; "service" is the
 * best known, and "product", "version", "detected_by", "service_scan" and
 * "service_confirmed_at" are the latest detection's (null: none).  New
 * reference. */
json_t *inventory_item_to_json(const struct inventory_item *it);

/* An item's names: [{"name", "sources": ["dns", "http", "ptr"], "first_seen",
 * "last_seen", "last_scan"}], by name.  New reference. */
json_t *inventory_names_to_json(const struct inventory_item *it);

#endif
