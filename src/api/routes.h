/*
 * routes.h — the route table of the HTTP API (internal to src/api/): every
 * method and path the server answers, the handler, the role it needs and
 * the label of its metrics.  The handlers live in routes.c (API) and ui.c
 * (static UI); server.c matches, authenticates and calls them.
 */
#ifndef SCANQ_API_ROUTES_H
#define SCANQ_API_ROUTES_H

#include <stddef.h>
#include <microhttpd.h>
#include "api/auth.h"

struct req;
typedef enum MHD_Result (*routes_handler_fn)(struct req *r);

struct route {
	const char *method;
	const char *pattern;	/* segments; "{id}" and "{file}" match one segment */
	routes_handler_fn handler;
	enum auth_role role;	/* AUTH_NONE: open to everyone */
	const char *name;	/* label of the metrics */
	int store;		/* an AUTH_NONE route that still needs the store (readyz) */
};

/* 1 if the route writes through the group committer (store_group_submit())
 * and must not hold the server's write lock: requests waiting in the
 * committer's queue are what makes one transaction carry many. */
int routes_grouped(const struct route *rt);

/* The route table, in match order; *n gets its length.  Static storage. */
const struct route *routes_table(int *n);

/* Finds the route of method + url.  Returns its index in the table, -1
 * for no such path, -2 for a path whose method is wrong (allow gets the
 * methods that would do, comma-separated).  The {id}/{file} segment goes
 * to param. HEAD matches GET. */
int routes_find(const char *method, const char *url, char *param, size_t plen, char *allow,
		size_t alen);

#endif
