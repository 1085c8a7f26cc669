/*
 * routes_admin.c — the admin API (see routes_admin.h): the same operations
 * as `scanq stuck report|clear`, `prune`, `reset`, `token`, `audit` and `exclude`,
 * through the same store calls, so the two can never disagree.  Every
 * handler validates its whole input before it changes anything, and every
 * change is recorded in the audit trail with the token's name.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <microhttpd.h>
#include "api/audit.h"
#include "api/body.h"
#include "api/reply.h"
#include "api/routes_admin.h"
#include "api/req.h"
#include "api/auth.h"
#include "core/config.h"
#include "core/log.h"
#include "maintenance/maintenance.h"
#include "core/num.h"
#include "scope.h"
#include "store/store.h"

#define AUDIT_PAGE_DEFAULT 100

/* ---- input ------------------------------------------------------------------------------- */

json_t *admin_body_object(struct req *r, const char *const *allowed, enum MHD_Result *ret)
{
	struct api_problem p;
	const char *key;
	json_t *root, *v;
	char c[80];

	if (!body_is_json(r)) {
		*ret = reply_problem(r, 415, "unsupported_media_type",
				     "send the body as Content-Type: application/json");
		return NULL;
	}
	if (r->len == 0)
		return json_object();
	if (body_json(r->body, r->len, &root, &p) < 0) {
		*ret = reply_problem_hdr(r, &p, NULL, NULL);
		return NULL;
	}
	json_object_foreach(root, key, v) {
		int ok = 0;

		for (int i = 0; allowed[i]; i++)
			ok |= strcmp(key, allowed[i]) == 0;
		if (!ok) {
			*ret = reply_problem(r, 422, "unknown_field", "field '%s' is unknown",
					     reply_clean(key, c, sizeof c));
			json_decref(root);
			return NULL;
		}
	}
	return root;
}

/* An integer field from lo to hi, or `dflt` when absent.  Returns 0, or -1
 * after answering 422. */
static int int_field(struct req *r, json_t *o, const char *name, long long lo, long long hi,
		     long long dflt, long long *out, enum MHD_Result *ret)
{
	json_t *v = json_object_get(o, name);

	if (!v) {
		*out = dflt;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
		*ret = reply_problem(r, 422, "invalid_field", "%s must be an integer from %lld to %lld",
				     name, lo, hi);
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

static int bool_field(struct req *r, json_t *o, const char *name, int *out, enum MHD_Result *ret)
{
	json_t *v = json_object_get(o, name);

	if (!v)
		return 0;
	if (!json_is_boolean(v)) {
		*ret = reply_problem(r, 422, "invalid_field", "%s must be true or false", name);
		return -1;
	}
	*out = json_is_true(v);
	return 0;
}

/* ?max_age_hours=H (default [maintenance] stuck_hours).  Returns 0 or -1. */
static int age_query(struct req *r, long long *hours, enum MHD_Result *ret)
{
	const char *q = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "max_age_hours");

	*hours = config.stuck_hours;
	if (q && num_parse(q, 0, 8760, hours) < 0) {
		*ret = reply_problem(r, 400, "invalid_query",
				     "max_age_hours must be a whole number of hours from 0 to 8760");
		return -1;
	}
	return 0;
}

/* ---- stuck ------------------------------------------------------------------------------- */

enum MHD_Result admin_stuck(struct req *r)
{
	struct stuck_item *it = NULL;
	int counts[64] = { 0 };
	long long hours;
	size_t n = 0;
	enum MHD_Result ret;
	json_t *o;

	if (age_query(r, &hours, &ret) < 0)
		return ret;
	if (store_stuck_report(r->s, hours * 3600000, 100, 0, &it, &n, counts, NULL) != STORE_OK)
		return reply_store_problem(r, "stuck report");
	o = stuck_report_to_json(it, n, counts, hours * 3600000);
	free(it);
	return reply_json(r, 200, o, NULL, NULL);
}

enum MHD_Result admin_stuck_clear(struct req *r)
{
	static const char *const allowed[] = { "max_age_hours", "dry_run", NULL };
	struct stuck_change *ch = NULL;
	long long hours;
	int dry = 0, rc;
	int64_t total = 0;
	size_t n = 0;
	enum MHD_Result ret;
	json_t *o;

	if (!(o = admin_body_object(r, allowed, &ret)))
		return ret;
	if (int_field(r, o, "max_age_hours", 0, 8760, config.stuck_hours, &hours, &ret) < 0
	    || bool_field(r, o, "dry_run", &dry, &ret) < 0) {
		json_decref(o);
		return ret;
	}
	json_decref(o);
	rc = store_stuck_clear(r->s, hours * 3600000, dry ? STUCK_CLEAR_DRY_RUN : 0,
			       r->actor[0] ? r->actor : "api:open", &ch, &n, &total);
	if (rc != STORE_OK) {
		free(ch);
		return reply_store_problem(r, "stuck clear");
	}
	o = stuck_changes_to_json(ch, n, total, dry);
	free(ch);
	if (!dry)
		log_info("stuck scans cleared via api", "changed=%lld actor=\"%s\"", (long long)total,
			 r->actor);
	return reply_json(r, 200, o, NULL, NULL);
}

/* ---- prune and reset ------------------------------------------------------------------------ */

enum MHD_Result admin_prune(struct req *r)
{
	static const char *const allowed[] = { "days_to_keep", "batch_size", "dry_run", NULL };
	long long days, batch;
	int64_t d[3] = { 0, 0, 0 };
	int dry = 0;
	enum MHD_Result ret;
	json_t *o;
	char detail[128];

	if (!(o = admin_body_object(r, allowed, &ret)))
		return ret;
	if (int_field(r, o, "days_to_keep", 0, 36500, -1, &days, &ret) < 0
	    || int_field(r, o, "batch_size", 1, 100000, config.prune_batch, &batch, &ret) < 0
	    || bool_field(r, o, "dry_run", &dry, &ret) < 0) {
		json_decref(o);
		return ret;
	}
	json_decref(o);
	if (maintenance_prune(r->s, scan_now_ms(), (int)days, (int)batch, 0, dry, d) < 0)
		return reply_store_problem(r, "prune");
	if (!dry) {
		snprintf(detail, sizeof detail, "%lld deleted (days_to_keep %s)",
			 (long long)(d[0] + d[1] + d[2]), days < 0 ? "by status" : "given");
		audit_request(r, "prune", 0, detail);
	}
	return reply_json(r, 200, json_pack("{sb sI s{sI sI sI}}", "dry_run", dry,
		"deleted", (json_int_t)(d[0] + d[1] + d[2]), "by_status",
		"completed", (json_int_t)d[0], "failed", (json_int_t)d[1],
		"cancelled", (json_int_t)d[2]), NULL, NULL);
}

enum MHD_Result admin_reset(struct req *r)
{
	static const char *const allowed[] = { "force", NULL };
	int force = 0, released = 0;
	int64_t workers = 0;
	enum MHD_Result ret;
	json_t *o;

	if (!(o = admin_body_object(r, allowed, &ret)))
		return ret;
	if (bool_field(r, o, "force", &force, &ret) < 0) {
		json_decref(o);
		return ret;
	}
	json_decref(o);
	if (!force)
		return reply_problem(r, 422, "force_required",
				     "reset hands every running scan back and clears the workers; "
				     "send {\"force\": true}");
	if (store_reset(r->s, r->actor[0] ? r->actor : "api:open", &released, &workers) != STORE_OK)
		return reply_store_problem(r, "reset");
	log_warn("emergency reset via api", "released=%d workers_cleared=%lld actor=\"%s\"",
		 released, (long long)workers, r->actor);
	return reply_json(r, 200, json_pack("{si sI}", "released", released, "workers_cleared",
					    (json_int_t)workers), NULL, NULL);
}

/* ---- tokens and audit ------------------------------------------------------------------------ */

/* A time of the admin API: RFC 3339, UTC, milliseconds, as the rest of
 * the API writes them; null for 0 (never). */
static json_t *time_json(int64_t ms)
{
	char t[40];

	return ms ? json_string(scan_format_time(ms, t, sizeof t)) : json_null();
}

static json_t *token_json(const struct token_info *t, int64_t now)
{
	json_t *o = json_pack("{sI ss ss so}", "id", (json_int_t)t->id, "name", t->name,
			      "role", t->role, "created_at", time_json(t->created_at));

	json_object_set_new(o, "expires_at", time_json(t->expires_at));
	json_object_set_new(o, "revoked_at", time_json(t->revoked_at));
	json_object_set_new(o, "state", json_string(t->revoked_at ? "revoked"
		: t->expires_at && t->expires_at <= now ? "expired" : "active"));
	json_object_set_new(o, "pool", t->pool[0] ? json_string(t->pool) : json_null());
	return o;
}

enum MHD_Result admin_tokens(struct req *r)
{
	struct token_info *t = NULL;
	int64_t now = scan_now_ms();
	size_t n = 0;
	json_t *a;

	if (store_token_list(r->s, &t, &n) != STORE_OK)
		return reply_store_problem(r, "token list");
	a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, token_json(&t[i], now));
	free(t);
	return reply_json(r, 200, json_pack("{so}", "tokens", a), NULL, NULL);
}

enum MHD_Result admin_token_create(struct req *r)
{
	static const char *const allowed[] = { "role", "name", "expires_in_hours", "pool", NULL };
	char secret[AUTH_SECRET_MAX], err[256], detail[128];
	const char *name = "api", *pool;
	long long hours;
	enum auth_role role;
	enum MHD_Result ret;
	int64_t id, expires = 0;
	json_t *o, *v;

	if (!(o = admin_body_object(r, allowed, &ret)))
		return ret;
	v = json_object_get(o, "role");
	if (!json_is_string(v) || auth_role_parse(json_string_value(v), &role) < 0) {
		json_decref(o);
		return reply_problem(r, 422, "invalid_field",
				     "role must be viewer, operator, admin or agent");
	}
	if ((v = json_object_get(o, "pool")) && !json_is_string(v)) {
		json_decref(o);
		return reply_problem(r, 422, "invalid_field", "pool must be a string");
	}
	pool = v ? json_string_value(v) : NULL;
	if ((v = json_object_get(o, "name")) && !json_is_string(v)) {
		json_decref(o);
		return reply_problem(r, 422, "invalid_field", "name must be a string");
	}
	if (v)
		name = json_string_value(v);
	if (int_field(r, o, "expires_in_hours", 1, 24 * 3650, 0, &hours, &ret) < 0) {
		json_decref(o);
		return ret;
	}
	if (hours)
		expires = scan_now_ms() + hours * 3600000;
	if (auth_token_create_pool(r->s, role, name, pool, expires, secret, sizeof secret, &id, err,
				   sizeof err) < 0) {
		json_decref(o);
		return reply_problem(r, 422, "invalid_field", "%s", err);
	}
	snprintf(detail, sizeof detail, "token %lld (%s, %s)", (long long)id, name,
		 auth_role_name(role));
	audit_request(r, "token create", 0, detail);
	ret = reply_json(r, 201, json_pack("{sI ss ss ss so}", "id", (json_int_t)id,
		"role", auth_role_name(role), "name", name, "token", secret,
		"expires_at", time_json(expires)), NULL, NULL);
	json_decref(o);
	return ret;
}

enum MHD_Result admin_token_revoke(struct req *r)
{
	long long id;
	char c[80], detail[64];
	int rc;

	if (num_parse(r->param, 1, INT64_MAX, &id) < 0)
		return reply_problem(r, 400, "invalid_id", "token id must be a positive integer, not '%s'",
				     reply_clean(r->param, c, sizeof c));
	rc = store_token_revoke(r->s, id);
	if (rc == STORE_NOT_FOUND)
		return reply_problem(r, 404, "not_found", "no token %lld", id);
	if (rc == STORE_ILLEGAL)
		return reply_problem(r, 409, "already_revoked", "token %lld is already revoked", id);
	if (rc != STORE_OK)
		return reply_store_problem(r, "token revoke");
	snprintf(detail, sizeof detail, "token %lld", id);
	audit_request(r, "token revoke", 0, detail);
	return reply_json(r, 200, json_pack("{sI sb}", "id", (json_int_t)id, "revoked", 1), NULL, NULL);
}

enum MHD_Result admin_audit(struct req *r)
{
	const char *lq = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "limit");
	const char *bq = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "before");
	long long limit = AUDIT_PAGE_DEFAULT, before = 0;
	struct audit_entry *e = NULL;
	size_t n = 0;
	json_t *a;

	if (lq && num_parse(lq, 1, STORE_LIST_MAX, &limit) < 0)
		return reply_problem(r, 400, "invalid_query", "limit must be from 1 to %d",
				     STORE_LIST_MAX);
	if (bq && num_parse(bq, 1, INT64_MAX, &before) < 0)
		return reply_problem(r, 400, "invalid_query", "before must be a positive integer");
	if (store_audit_list(r->s, before, (int)limit, &e, &n) != STORE_OK)
		return reply_store_problem(r, "audit");
	a = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_pack("{sI so ss ss ss ss}", "id", (json_int_t)e[i].id,
				      "at", time_json(e[i].at), "actor", e[i].actor,
				      "action", e[i].action, "detail", e[i].detail, "client", e[i].client);

		json_object_set_new(o, "scan_id", e[i].scan_id ? json_integer(e[i].scan_id)
				    : json_null());
		json_array_append_new(a, o);
	}
	free(e);
	return reply_json(r, 200, json_pack("{so}", "entries", a), NULL, NULL);
}

/* ---- exclusions (store/exclusions.c; `scanq exclude`) -------------------------------------- */

enum MHD_Result admin_exclusions(struct req *r)
{
	struct exclusion *x = NULL;
	size_t n = 0;
	json_t *a;

	if (store_exclusion_list(r->s, &x, &n) != STORE_OK)
		return reply_store_problem(r, "exclusions");
	a = store_exclusions_json(x, n);
	free(x);
	return reply_json(r, 200, json_pack("{so}", "exclusions", a), NULL, NULL);
}

enum MHD_Result admin_exclusion_add(struct req *r)
{
	static const char *const allowed[] = { "entry", "reason", NULL };
	const char *entry, *reason;
	char c[80], detail[512], err[200];
	enum MHD_Result ret;
	json_t *o;
	int rc;

	if (!(o = admin_body_object(r, allowed, &ret)))
		return ret;
	entry = json_string_value(json_object_get(o, "entry"));
	reason = json_string_value(json_object_get(o, "reason"));
	if (!entry || scope_entry_valid(entry, err, sizeof err) < 0 || strlen(entry) >= 256) {
		ret = reply_problem(r, 422, "invalid_field", "entry must be a CIDR block, an address or a"
				    " domain suffix, not '%s'", reply_clean(entry ? entry : "", c, sizeof c));
		goto out;
	}
	if ((json_object_get(o, "reason") && !reason)
	    || (reason && strlen(reason) > STORE_EXCLUSION_REASON_MAX)) {
		ret = reply_problem(r, 422, "invalid_field", "reason must be a string of at most %d bytes",
				    STORE_EXCLUSION_REASON_MAX);
		goto out;
	}
	rc = store_exclusion_add(r->s, entry, reason, r->actor[0] ? r->actor : "api:open");
	if (rc == STORE_ILLEGAL) {
		ret = reply_problem(r, 409, "conflict", "%s", store_error(r->s));
		goto out;
	}
	if (rc != STORE_OK) {
		ret = reply_store_problem(r, "exclude add");
		goto out;
	}
	snprintf(detail, sizeof detail, "%.255s%s%.200s", entry, reason && *reason ? ": " : "",
		 reason ? reason : "");
	audit_request(r, "exclude add", 0, detail);
	ret = reply_json(r, 201, json_pack("{ssss}", "entry", entry, "reason", reason ? reason : ""),
			 NULL, NULL);
out:
	json_decref(o);
	return ret;
}

enum MHD_Result admin_exclusion_rm(struct req *r)
{
	const char *entry = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "entry");
	char c[80];
	int rc;

	if (!entry || !*entry)
		return reply_problem(r, 400, "invalid_field", "give the entry to remove as ?entry=");
	rc = store_exclusion_rm(r->s, entry);
	if (rc == STORE_NOT_FOUND)
		return reply_problem(r, 404, "not_found", "no exclusion '%s'",
				     reply_clean(entry, c, sizeof c));
	if (rc != STORE_OK)
		return reply_store_problem(r, "exclude rm");
	audit_request(r, "exclude rm", 0, entry);
	return reply_json(r, 200, json_pack("{sssb}", "entry", entry, "deleted", 1), NULL, NULL);
}
