/*
 * routes_flow.c — GET /api/v1/scans/{id}/tree: the chain of follow-up
 * stages and shards that a scan belongs to, from its root, with each
 * scan's status, progress and findings count, and the chain's status
 * (flow_tree_read()).  The UI draws it; a plain scan is a tree of one.
 */
#include <stdint.h>
#include <microhttpd.h>
#include "api/api.h"
#include "api/reply.h"
#include "api/routes_flow.h"
#include "api/req.h"
#include "app/views.h"
#include "core/num.h"
#include "store/store.h"

enum MHD_Result routes_flow_tree(struct req *r)
{
	json_t *tree = NULL;
	const char *err;
	long long v;
	char c[80];
	int rc;

	if (num_parse(r->param, 1, INT64_MAX, &v) < 0)
		return reply_problem(r, 400, "invalid_id", "scan id must be a positive integer, not '%s'",
				     reply_clean(r->param, c, sizeof c));
	rc = flow_tree_read(r->s, (int64_t)v, &tree, &err);
	if (rc == STORE_NOT_FOUND)
		return reply_problem(r, 404, "not_found", "no scan %lld", v);
	if (rc != STORE_OK)
		return reply_store_failed(r, "tree", err);
	return reply_json(r, 200, tree, NULL, NULL);
}
