/*
 * routes_changes.c — the HTTP handlers of changes, the inventory and
 * webhooks (changes.h).  They take exactly what the CLI takes (the same
 * checks: webhook_input_check(), inventory_filter_check()) and answer
 * through reply.h; every refusal says in one line what was wrong and
 * changes nothing.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>
#include "api/audit.h"
#include "api/body.h"
#include "api/changes.h"
#include "api/reply.h"
#include "api/req.h"
#include "api/auth.h"
#include "app/inventory.h"
#include "core/log.h"
#include "core/num.h"
#include "worker/webhook.h"
#include "store/store.h"

static const char *query(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

/* The {id} of the path.  Returns 0, or -1 after answering 400. */
static int path_id(struct req *r, const char *what, int64_t *id, enum MHD_Result *ret)
{
	long long v;
	char c[80];

	if (num_parse(r->param, 1, INT64_MAX, &v) < 0) {
		*ret = reply_problem(r, 400, "invalid_id", "%s id must be a positive integer, not '%s'",
				     what, reply_clean(r->param, c, sizeof c));
		return -1;
	}
	*id = v;
	return 0;
}

/* ?name=N within [lo, hi] (absent: dflt).  Returns 0, or -1 after answering 400. */
static int query_int(struct req *r, const char *name, long long lo, long long hi, long long dflt,
		     long long *out, enum MHD_Result *ret)
{
	const char *v = query(r, name);

	*out = dflt;
	if (!v)
		return 0;
	if (num_parse(v, lo, hi, out) < 0) {
		*ret = reply_problem(r, 400, "invalid_query", "%s must be from %lld to %lld", name, lo, hi);
		return -1;
	}
	return 0;
}

/* ?chain=1: the head of a chain's changes, its stages' comparisons summed
 * and listed (the first STORE_LIST_MAX).  NULL on a store error. */
static json_t *chain_head(struct req *r, int64_t id, int *rc)
{
	struct chain_stage *st = NULL;
	struct chain_total tot;
	size_t ns = 0;
	json_t *o, *stages;

	if ((*rc = store_chain_stages(r->s, id, STORE_LIST_MAX, &st, &ns, &tot)) != STORE_OK)
		return NULL;
	stages = json_array();
	for (size_t i = 0; i < ns; i++)
		json_array_append_new(stages, chain_stage_to_json(&st[i]));
	free(st);
	o = chain_total_to_json(id, &tot);
	json_object_set_new(o, "stages", stages);
	return o;
}

enum MHD_Result changes_h_scan(struct req *r)
{
	struct scan_changes_info info;
	struct scan_change *ch = NULL;
	long long after, limit, chain;
	size_t n = 0;
	int64_t id;
	int rc;
	enum MHD_Result ret;
	json_t *o = NULL, *a;

	if (path_id(r, "scan", &id, &ret) < 0
	    || query_int(r, "after", 0, INT64_MAX, 0, &after, &ret) < 0
	    || query_int(r, "limit", 1, STORE_LIST_MAX, 200, &limit, &ret) < 0
	    || query_int(r, "chain", 0, 1, 0, &chain, &ret) < 0)
		return ret;
	if (chain) {
		if ((o = chain_head(r, id, &rc)))
			rc = store_chain_changes(r->s, id, after, (int)limit, &ch, &n);
	} else if ((rc = store_changes_info(r->s, id, &info)) == STORE_OK) {
		o = scan_changes_info_to_json(id, &info);
		rc = store_changes(r->s, id, after, (int)limit, &ch, &n);
	}
	if (rc != STORE_OK)
		json_decref(o);
	if (rc == STORE_NOT_FOUND)
		return reply_problem(r, 404, "not_found", "no scan %lld", (long long)id);
	if (rc != STORE_OK)
		return reply_store_problem(r, "changes");
	a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, scan_change_to_json(&ch[i]));
	json_object_set_new(o, "changes", a);
	json_object_set_new(o, "next_cursor", n == (size_t)limit ? json_integer(ch[n - 1].id)
								 : json_null());
	scan_change_array_free(ch, n);
	return reply_json(r, 200, o, NULL, NULL);
}

enum MHD_Result changes_h_inventory(struct req *r)
{
	struct inventory_filter f = { .target = query(r, "target"), .service = query(r, "service") };
	struct inventory_item *it = NULL;
	long long port, offset, limit;
	size_t n = 0, total = 0;
	char err[256];
	enum MHD_Result ret;
	json_t *a, *o;

	if (query_int(r, "port", 1, 65535, 0, &port, &ret) < 0
	    || query_int(r, "offset", 0, STORE_INVENTORY_MAX, 0, &offset, &ret) < 0
	    || query_int(r, "limit", 1, STORE_LIST_MAX, 200, &limit, &ret) < 0)
		return ret;
	f.port = (int)port;
	f.offset = (size_t)offset;
	f.limit = (size_t)limit;
	if (inventory_filter_check(&f, err, sizeof err) < 0)
		return reply_problem(r, 400, "invalid_query", "%s", err);
	if (inventory_read(r->s, &f, &it, &n, &total) != STORE_OK)
		return reply_store_problem(r, "inventory");
	a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, inventory_item_to_json(&it[i]));
	inventory_array_free(it, n);
	o = json_pack("{sosI}", "items", a, "total", (json_int_t)total);
	json_object_set_new(o, "next_offset", (size_t)offset + n < total
			    ? json_integer((json_int_t)((size_t)offset + n)) : json_null());
	return reply_json(r, 200, o, NULL, NULL);
}

enum MHD_Result changes_h_webhooks(struct req *r)
{
	struct webhook *w = NULL;
	size_t n = 0;
	long long removed;
	enum MHD_Result ret;
	json_t *a;

	/* ?removed=1: the removed ones too, marked by removed_at */
	if (query_int(r, "removed", 0, 1, 0, &removed, &ret) < 0)
		return ret;
	if (store_webhook_list(r->s, (int)removed, &w, &n) != STORE_OK)
		return reply_store_problem(r, "webhooks");
	a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, webhook_to_json(&w[i]));
	webhook_array_free(w, n);
	return reply_json(r, 200, json_pack("{so}", "webhooks", a), NULL, NULL);
}

/* A webhook change in the audit trail: its id and, for an add, its
 * events (never its URL, which may carry a credential, nor its secret). */
static void audit_webhook(struct req *r, const char *action, int64_t id, const char *events)
{
	char detail[300];

	snprintf(detail, sizeof detail, "webhook %lld%s%s", (long long)id, events ? " events " : "",
		 events ? events : "");
	audit_request(r, action, 0, detail);
}

enum MHD_Result changes_h_webhook_add(struct req *r)
{
	const char *url = NULL, *events = WEBHOOK_EVENTS, *secret = NULL, *min = NULL, *key;
	char made[65], err[512], c[80];
	struct api_problem p;
	json_t *root, *v;
	int64_t id;
	enum MHD_Result ret;

	if (!body_is_json(r))
		return reply_problem(r, 415, "unsupported_media_type",
				     "send the webhook as Content-Type: application/json");
	if (body_json(r->body, r->len, &root, &p) < 0)
		return reply_problem_hdr(r, &p, NULL, NULL);
	json_object_foreach(root, key, v) {
		const char **dst = strcmp(key, "url") == 0 ? &url : strcmp(key, "events") == 0 ? &events
				 : strcmp(key, "secret") == 0 ? &secret
				 : strcmp(key, "min_severity") == 0 ? &min : NULL;

		if (!dst || !json_is_string(v)) {
			ret = reply_problem(r, 422, dst ? "invalid_field" : "unknown_field",
					    "field '%s' is unknown or not a string",
					    reply_clean(key, c, sizeof c));
			json_decref(root);
			return ret;
		}
		*dst = json_string_value(v);
	}
	if (!url) {
		json_decref(root);
		return reply_problem(r, 422, "invalid_field", "url is required");
	}
	if (webhook_input_check(url, events, secret, min, err, sizeof err) < 0) {
		ret = reply_problem(r, 422, "invalid_field", "%s", err);
		json_decref(root);
		return ret;
	}
	if (!secret) {
		webhook_secret_new(made);
		secret = made;
	}
	if (store_webhook_add(r->s, url, events, secret, min ? min : "info", &id) != STORE_OK) {
		json_decref(root);
		return reply_store_problem(r, "webhook add");
	}
	log_info("webhook added via api", "webhook=%lld role=%s", (long long)id,
		 auth_role_name(r->role));
	audit_webhook(r, "webhook add", id, events);
	ret = reply_json(r, 201, json_pack("{sIssssssss}", "id", (json_int_t)id, "url", url, "events",
					   events, "min_severity", min ? min : "info", "secret",
					   secret), NULL, NULL);
	json_decref(root);
	return ret;
}

enum MHD_Result changes_h_webhook_rm(struct req *r)
{
	int64_t id;
	int rc;
	enum MHD_Result ret;

	if (path_id(r, "webhook", &id, &ret) < 0)
		return ret;
	/* Audited in the removal's own transaction (store.h). */
	rc = store_webhook_rm(r->s, id, r->actor[0] ? r->actor : "api:open", r->client);
	if (rc == STORE_NOT_FOUND)
		return reply_problem(r, 404, "not_found", "no webhook %lld", (long long)id);
	if (rc == STORE_ILLEGAL)
		return reply_problem(r, 409, "already_removed", "%s", store_error(r->s));
	if (rc != STORE_OK)
		return reply_store_problem(r, "webhook rm");
	log_info("webhook removed via api", "webhook=%lld role=%s", (long long)id,
		 auth_role_name(r->role));
	return reply_json(r, 200, json_pack("{sIsb}", "id", (json_int_t)id, "removed", 1), NULL, NULL);
}

enum MHD_Result changes_h_webhook_test(struct req *r)
{
	char uuid[40];
	int64_t id;
	int rc;
	enum MHD_Result ret;

	if (path_id(r, "webhook", &id, &ret) < 0)
		return ret;
	rc = store_webhook_test(r->s, id, uuid);
	if (rc == STORE_NOT_FOUND)
		return reply_problem(r, 404, "not_found", "no webhook %lld", (long long)id);
	if (rc == STORE_ILLEGAL)
		return reply_problem(r, 409, "already_removed", "%s", store_error(r->s));
	if (rc != STORE_OK)
		return reply_store_problem(r, "webhook test");
	audit_webhook(r, "webhook test", id, NULL);
	return reply_json(r, 202, json_pack("{sIss}", "webhook_id", (json_int_t)id, "delivery", uuid),
			  NULL, NULL);
}

enum MHD_Result changes_h_deliveries(struct req *r)
{
	struct delivery_log *d = NULL;
	long long hook, limit;
	size_t n = 0;
	enum MHD_Result ret;
	json_t *a;

	if (query_int(r, "webhook", 1, INT64_MAX, 0, &hook, &ret) < 0
	    || query_int(r, "limit", 1, STORE_LIST_MAX, 50, &limit, &ret) < 0)
		return ret;
	if (store_delivery_log(r->s, hook, (int)limit, &d, &n) != STORE_OK)
		return reply_store_problem(r, "deliveries");
	a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, delivery_log_to_json(&d[i]));
	free(d);
	return reply_json(r, 200, json_pack("{so}", "deliveries", a), NULL, NULL);
}
