/*
 * routes.c — the route table of the HTTP API and its handlers (see
 * routes.h and api.h): health, metrics, queue and workers, scans, tokens.
 *
 * Handlers read and write only through store.h and submit.h, so the API
 * accepts exactly what the CLI accepts and the database stays the one
 * source of truth.  Each answers through reply.h.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <microhttpd.h>
#include "api/api.h"
#include "api/audit.h"
#include "api/body.h"
#include "api/changes.h"
#include "api/openapi.h"
#include "api/reply.h"
#include "api/routes.h"
#include "api/routes_agent.h"
#include "api/routes_export.h"
#include "api/routes_findings.h"
#include "api/routes_flow.h"
#include "api/routes_admin.h"
#include "api/routes_hold.h"
#include "api/routes_dashboard.h"
#include "api/routes_schedules.h"
#include "api/req.h"
#include "api/ui.h"
#include "api/auth.h"
#include "app/views.h"
#include "core/config.h"
#include "app/findings.h"
#include "core/log.h"
#include "api/metrics.h"
#include "core/num.h"
#include "core/scan.h"
#include "scanner.h"
#include "store/store.h"
#include "app/submit.h"

static enum MHD_Result h_healthz(struct req *r);
static enum MHD_Result h_readyz(struct req *r);
static enum MHD_Result h_scheduler(struct req *r);
static enum MHD_Result h_metrics(struct req *r);
static enum MHD_Result h_me(struct req *r);
static enum MHD_Result h_queue(struct req *r);
static enum MHD_Result h_workers(struct req *r);
static enum MHD_Result h_submit(struct req *r);
static enum MHD_Result h_list(struct req *r);
static enum MHD_Result h_get(struct req *r);
static enum MHD_Result h_findings(struct req *r);
static enum MHD_Result h_retry(struct req *r);
static enum MHD_Result h_cancel(struct req *r);
static enum MHD_Result h_token_create(struct req *r);

/* The route table.  Order matters only where a literal segment and a
 * parameter could both match: the literal comes first. */
static const struct route routes[] = {
	{ "GET", "/healthz", h_healthz, AUTH_NONE, "healthz", 0 },
	{ "GET", "/readyz", h_readyz, AUTH_NONE, "readyz", 1 },
	{ "GET", "/health/scheduler", h_scheduler, AUTH_VIEWER, "health_scheduler", 1 },
	{ "GET", "/metrics", h_metrics, AUTH_VIEWER, "metrics", 1 },
	{ "GET", "/api/v1/openapi.json", openapi_serve, AUTH_NONE, "openapi", 0 },
	{ "GET", "/api/v1/me", h_me, AUTH_VIEWER, "me", 1 },
	{ "GET", "/api/v1/scans/queue/status", h_queue, AUTH_VIEWER, "queue_status", 1 },
	{ "GET", "/api/v1/dashboard", routes_dashboard, AUTH_VIEWER, "dashboard", 1 },
	{ "GET", "/api/v1/workers", h_workers, AUTH_VIEWER, "workers", 1 },
	{ "POST", "/api/v1/scans", h_submit, AUTH_OPERATOR, "scans_submit", 1 },
	{ "GET", "/api/v1/scans", h_list, AUTH_VIEWER, "scans_list", 1 },
	{ "GET", "/api/v1/scans/{id}", h_get, AUTH_VIEWER, "scan_get", 1 },
	{ "GET", "/api/v1/scans/{id}/findings", h_findings, AUTH_VIEWER, "scan_findings", 1 },
	{ "GET", "/api/v1/scans/{id}/export", routes_export, AUTH_VIEWER, "scan_export", 1 },
	{ "GET", "/api/v1/findings", routes_findings_list, AUTH_VIEWER, "findings_list", 1 },
	{ "GET", "/api/v1/findings/export", routes_findings_export, AUTH_VIEWER, "findings_export", 1 },
	{ "POST", "/api/v1/findings/{fingerprint}/accept", routes_finding_accept, AUTH_OPERATOR,
	  "finding_accept", 1 },
	{ "POST", "/api/v1/findings/{fingerprint}/false-positive", routes_finding_false_positive,
	  AUTH_OPERATOR, "finding_false_positive", 1 },
	{ "POST", "/api/v1/findings/{fingerprint}/reopen", routes_finding_reopen, AUTH_OPERATOR,
	  "finding_reopen", 1 },
	{ "GET", "/api/v1/scans/{id}/tree", routes_flow_tree, AUTH_VIEWER, "scan_tree", 1 },
	{ "POST", "/api/v1/scans/{id}/retry", h_retry, AUTH_OPERATOR, "scan_retry", 1 },
	{ "POST", "/api/v1/scans/{id}/cancel", h_cancel, AUTH_OPERATOR, "scan_cancel", 1 },
	{ "POST", "/api/v1/tokens", h_token_create, AUTH_ADMIN, "tokens_create", 1 },
	/* changes, the inventory, webhooks (changes.h) */
	{ "GET", "/api/v1/scans/{id}/changes", changes_h_scan, AUTH_VIEWER, "scan_changes", 1 },
	{ "GET", "/api/v1/inventory", changes_h_inventory, AUTH_VIEWER, "inventory", 1 },
	{ "GET", "/api/v1/webhooks", changes_h_webhooks, AUTH_ADMIN, "webhooks_list", 1 },
	{ "POST", "/api/v1/webhooks", changes_h_webhook_add, AUTH_ADMIN, "webhooks_add", 1 },
	{ "DELETE", "/api/v1/webhooks/{id}", changes_h_webhook_rm, AUTH_ADMIN, "webhook_rm", 1 },
	{ "POST", "/api/v1/webhooks/{id}/test", changes_h_webhook_test, AUTH_ADMIN, "webhook_test", 1 },
	{ "GET", "/api/v1/webhook-deliveries", changes_h_deliveries, AUTH_ADMIN, "webhook_deliveries",
	  1 },
	{ "GET", "/inventory", ui_index, AUTH_NONE, "ui_inventory", 0 },
	{ "GET", "/findings", ui_index, AUTH_NONE, "ui_findings", 0 },
	/* the admin API: stuck report and repair, prune, reset, tokens, audit (routes_admin.c) */
	{ "GET", "/api/v1/admin/stuck", admin_stuck, AUTH_ADMIN, "admin_stuck", 1 },
	{ "POST", "/api/v1/admin/stuck/clear", admin_stuck_clear, AUTH_ADMIN, "admin_stuck_clear", 1 },
	{ "POST", "/api/v1/admin/prune", admin_prune, AUTH_ADMIN, "admin_prune", 1 },
	{ "POST", "/api/v1/admin/reset", admin_reset, AUTH_ADMIN, "admin_reset", 1 },
	{ "GET", "/api/v1/admin/tokens", admin_tokens, AUTH_ADMIN, "admin_tokens", 1 },
	{ "POST", "/api/v1/admin/tokens", admin_token_create, AUTH_ADMIN, "admin_token_create", 1 },
	{ "POST", "/api/v1/admin/tokens/{id}/revoke", admin_token_revoke, AUTH_ADMIN,
	  "admin_token_revoke", 1 },
	{ "GET", "/api/v1/admin/audit", admin_audit, AUTH_ADMIN, "admin_audit", 1 },
	/* the agent protocol (routes_agent.c): agent tokens only */
	{ "POST", "/api/v1/agent/claim", routes_agent_claim, AUTH_AGENT, "agent_claim", 1 },
	{ "POST", "/api/v1/agent/renew", routes_agent_renew, AUTH_AGENT, "agent_renew", 1 },
	{ "POST", "/api/v1/agent/complete", routes_agent_complete, AUTH_AGENT, "agent_complete", 1 },
	{ "POST", "/api/v1/agent/fail", routes_agent_fail, AUTH_AGENT, "agent_fail", 1 },
	{ "POST", "/api/v1/agent/budget", routes_agent_budget, AUTH_AGENT, "agent_budget", 1 },
	{ "GET", "/api/v1/exclusions", admin_exclusions, AUTH_VIEWER, "exclusions_list", 1 },
	{ "POST", "/api/v1/exclusions", admin_exclusion_add, AUTH_ADMIN, "exclusions_add", 1 },
	{ "DELETE", "/api/v1/exclusions", admin_exclusion_rm, AUTH_ADMIN, "exclusions_rm", 1 },
	{ "GET", "/api/v1/pauses", pause_h_list, AUTH_VIEWER, "pauses_list", 1 },
	{ "POST", "/api/v1/pause", pause_h_pause, AUTH_OPERATOR, "pause", 1 },
	{ "POST", "/api/v1/resume", pause_h_resume, AUTH_OPERATOR, "resume", 1 },
	{ "GET", "/api/v1/windows", windows_h_list, AUTH_VIEWER, "windows_list", 1 },
	{ "POST", "/api/v1/windows", windows_h_add, AUTH_ADMIN, "windows_add", 1 },
	{ "DELETE", "/api/v1/windows/{name}", windows_h_rm, AUTH_ADMIN, "window_rm", 1 },
	{ "GET", "/api/v1/scan-types", h_scan_types, AUTH_VIEWER, "scan_types", 0 },
	{ "GET", "/api/v1/schedules", h_schedules_list, AUTH_VIEWER, "schedules_list", 1 },
	{ "POST", "/api/v1/schedules", h_schedule_create, AUTH_OPERATOR, "schedules_create", 1 },
	{ "GET", "/api/v1/schedules/{name}", h_schedule_get, AUTH_VIEWER, "schedule_get", 1 },
	{ "DELETE", "/api/v1/schedules/{name}", h_schedule_delete, AUTH_OPERATOR, "schedule_delete", 1 },
	{ "POST", "/api/v1/schedules/{name}/pause", h_schedule_pause, AUTH_OPERATOR, "schedule_pause", 1 },
	{ "POST", "/api/v1/schedules/{name}/resume", h_schedule_resume, AUTH_OPERATOR, "schedule_resume", 1 },
	{ "POST", "/api/v1/schedules/{name}/run-now", h_schedule_run_now, AUTH_OPERATOR, "schedule_run_now", 1 },
	{ "GET", "/", ui_index, AUTH_NONE, "ui", 0 },
	{ "GET", "/schedules", ui_index, AUTH_NONE, "ui_schedules", 0 },
	{ "GET", "/scans/{id}", ui_index, AUTH_NONE, "ui_scan", 0 },
	{ "GET", "/static/{file}", ui_static, AUTH_NONE, "ui_static", 0 },
};
#define NROUTES ((int)(sizeof routes / sizeof routes[0]))

int routes_grouped(const struct route *rt)
{
	/* the agent routes lock around each store call themselves (a claim waits) */
	return rt->handler == h_submit || rt->role == AUTH_AGENT;
}

const struct route *routes_table(int *n)
{
	if (n)
		*n = NROUTES;
	return routes;
}

/* ---- small helpers ------------------------------------------------------------ */

/* ---- query parameters --------------------------------------------------------------- */

static const char *query(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

/* The {id} of the path.  Returns 0, or -1 after answering 400. */
static int path_id(struct req *r, int64_t *id, enum MHD_Result *ret)
{
	long long v;
	char c[80];

	if (num_parse(r->param, 1, INT64_MAX, &v) < 0) {
		*ret = reply_problem(r, 400, "invalid_id", "scan id must be a positive integer, not '%s'",
			       reply_clean(r->param, c, sizeof c));
		return -1;
	}
	*id = v;
	return 0;
}

/* ---- handlers: health and metrics -------------------------------------------------------- */

static enum MHD_Result h_healthz(struct req *r)
{
	return reply_json(r, 200, json_pack("{ss}", "status", "ok"), NULL, NULL);
}

static enum MHD_Result h_readyz(struct req *r)
{
	int v, latest;
	json_t *p, *w;

	if (!r->s)
		return reply_problem(r, 503, "not_ready", "the database cannot be opened");
	v = store_schema_version(r->s);
	latest = store_schema_latest(r->s);
	if (v < 0)
		return reply_problem(r, 503, "not_ready", "the database cannot be read");
	if (v != latest)
		return reply_problem(r, 503, "not_ready", "the database schema is at version %d, this "
			       "build needs %d: run scanq migrate", v, latest);
	/* Paused, or inside a maintenance window, is still ready: the server
	 * answers, only claims wait. */
	p = store_pauses_json(r->s);
	if (!p)
		return reply_problem(r, 503, "not_ready", "the pauses cannot be read");
	if (!(w = store_windows_open_json(r->s, scan_now_ms()))) {
		json_decref(p);
		return reply_problem(r, 503, "not_ready", "the maintenance windows cannot be read");
	}
	return reply_json(r, 200, json_pack("{sssisoso}", "status", "ready", "schema", v, "paused", p,
					    "windows_open", w), NULL, NULL);
}

static enum MHD_Result h_scheduler(struct req *r)
{
	int64_t totals[STUCK_CATEGORIES_MAX] = { 0 }, total = 0, npending = 0, nlease = 0;
	int ncat;
	const struct stuck_category *cat = store_stuck_categories(&ncat);
	struct stuck_item *st = NULL;
	struct queue_status q;
	size_t n = 0;
	json_t *o, *list;

	if (store_queue_status(r->s, &q) != STORE_OK)
		return reply_store_problem(r, "queue status");
	/* The short stuck report: its categories, 20 scans of each at most. */
	if (store_stuck_report(r->s, (int64_t)config.stuck_hours * 3600 * 1000, 20,
			       STUCK_REPORT_BRIEF, &st, &n, NULL, totals) != STORE_OK)
		return reply_store_problem(r, "stuck report");
	for (int i = 0; i < ncat; i++) {
		if (!cat[i].brief)
			continue;
		total += totals[i];
		if (strcmp(cat[i].brief, "lease_expired") == 0)
			nlease += totals[i];
		else
			npending += totals[i];
	}
	list = json_array();
	for (size_t i = 0; i < n; i++) {
		char since[40];

		json_array_append_new(list, json_pack("{sI ss ss ss si ss}", "id", (json_int_t)st[i].id,
			"type", st[i].type, "status", scan_status_name(st[i].status),
			"reason", cat[st[i].category].brief, "attempt", st[i].attempt,
			"since", scan_format_time(st[i].since, since, sizeof since)));
	}
	free(st);
	int nobody = q.by_status[SCAN_PENDING] > 0 && q.workers_active + q.workers_idle == 0;
	int nlate = 0;
	json_t *late = schedules_health(r->s, &nlate);	/* schedules that did not fire */
	if (!late) {
		json_decref(list);
		return reply_store_problem(r, "late schedules");
	}
	if (total == 0 && !nobody && !nlate) {
		json_decref(late);
		json_decref(list);
		return reply_json(r, 200, json_pack("{ss sf si}", "status", "healthy",
						    "oldest_pending_s", q.oldest_pending_ms / 1000.0,
						    "workers_dead", q.workers_dead), NULL, NULL);
	}
	o = json_pack("{ss sI s{sI sI sf si si si so}}", "status", "warning",
		      "stuck_scans", (json_int_t)total, "details",
		      "pending_too_long", (json_int_t)npending, "lease_expired", (json_int_t)nlease,
		      "oldest_pending_s", q.oldest_pending_ms / 1000.0,
		      "stuck_hours", config.stuck_hours,
		      "workers_live", q.workers_active + q.workers_idle,
		      "workers_dead", q.workers_dead, "scans", list);
	if (o && nobody)
		json_object_set_new(o, "reason", json_string("scans are pending and no worker is alive"));
	if (o && nlate) {
		json_object_set_new(o, "late_schedules", json_integer(nlate));
		json_object_set_new(o, "schedules", late);
		if (!nobody)
			json_object_set_new(o, "reason", json_string("schedules did not fire when due"));
	} else {
		json_decref(late);
	}
	return reply_json(r, 200, o, NULL, NULL);
}

static enum MHD_Result h_metrics(struct req *r)
{
	char *text;
	size_t len;

	if (metrics_render(r->api->metrics, r->s, &text, &len) < 0)
		return reply_store_problem(r, "metrics");
	return reply_buf(r, 200, "text/plain; version=0.0.4; charset=utf-8", text, len,
			MHD_RESPMEM_MUST_FREE, NULL, NULL);
}

static enum MHD_Result h_me(struct req *r)
{
	return reply_json(r, 200, json_pack("{ss sb}", "role", auth_role_name(r->role),
					    "auth_required", r->authed), NULL, NULL);
}

static enum MHD_Result h_queue(struct req *r)
{
	struct queue_status q;

	if (store_queue_status(r->s, &q) != STORE_OK)
		return reply_store_problem(r, "queue status");
	return reply_json(r, 200, queue_status_to_json(&q), NULL, NULL);
}

static enum MHD_Result h_workers(struct req *r)
{
	struct worker_info *ws = NULL;
	int64_t now = scan_now_ms();
	size_t n = 0;
	json_t *arr;

	if (store_worker_list(r->s, &ws, &n) != STORE_OK)
		return reply_store_problem(r, "worker list");
	arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, worker_info_to_json(&ws[i], now));
	free(ws);
	return reply_json(r, 200, json_pack("{so}", "workers", arr), NULL, NULL);
}

/* ---- handlers: scans ------------------------------------------------------------------ */

/* The HTTP status of a submit_scan() refusal. */
static int submit_status(const char *code)
{
	if (strcmp(code, "out_of_scope") == 0 || strcmp(code, "excluded") == 0)
		return 403;
	if (strcmp(code, "store_error") == 0)
		return 503;
	if (strcmp(code, "invalid_parameter") == 0)	/* an unknown pool */
		return 400;
	return 422;
}

static int header_printable(const char *v)
{
	for (; *v; v++)
		if (*v < 0x20 || *v > 0x7e)
			return 0;
	return 1;
}

static int media_type_ok(struct req *r)
{
	const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Type");

	if (!ct)
		return 1;
	return strncasecmp(ct, "application/json", 16) == 0 && (ct[16] == '\0' || ct[16] == ';'
								 || ct[16] == ' ');
}

static enum MHD_Result h_submit(struct req *r)
{
	struct submit_input in;
	struct submit_error se;
	struct api_problem p;
	struct scan sc = { 0 };
	json_t *root = NULL;
	const char *key;
	char loc[64];
	int64_t id;
	int existed = 0;
	enum MHD_Result ret;

	if (!media_type_ok(r))
		return reply_problem(r, 415, "unsupported_media_type",
			       "send the scan as Content-Type: application/json");
	submit_input_init(&in);
	key = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Idempotency-Key");
	if (key && (!*key || strlen(key) > SCAN_KEY_MAX || !header_printable(key)))
		return reply_problem(r, 400, "invalid_header", "Idempotency-Key must be 1 to %d printable "
			       "ASCII characters", SCAN_KEY_MAX);
	in.idempotency_key = key;
	if (body_parse_submit(r->body, r->len, &in, &root, &p) < 0)
		return reply_problem_hdr(r, &p, NULL, NULL);
	if (submit_scan(r->s, r->api->group, &in, &id, &existed, &se) < 0) {
		json_decref(root);
		if (strcmp(se.code, "store_error") == 0)	/* maybe on the group's handle */
			return reply_store_failed(r, "submit", se.message);
		return reply_problem(r, submit_status(se.code), se.code, "%s", se.message);
	}
	json_decref(root);
	snprintf(loc, sizeof loc, "/api/v1/scans/%lld", (long long)id);
	/* Audited when a token names the caller; an open (tokenless) server's
	 * submissions stay group-committed, one write each, unaudited. */
	if (!existed && r->authed)
		audit_request(r, "submit", id, NULL);
	if (!existed)
		return reply_json(r, 202, json_pack("{sI ss}", "id", (json_int_t)id, "status",
						    "pending"), "Location", loc);
	/* A repeat: the scan the key first queued, as it is now. */
	if (store_get(r->s, id, &sc) != STORE_OK)
		return reply_store_problem(r, "read after submit");
	ret = reply_json(r, 200, json_pack("{sI ss sb}", "id", (json_int_t)id, "status",
					   scan_status_name(sc.status), "existed", 1),
			 "Location", loc);
	scan_release(&sc);
	return ret;
}

static enum MHD_Result h_list(struct req *r)
{
	struct scan_filter f = { .status = -1, .limit = API_LIST_DEFAULT };
	const char *st = query(r, "status"), *type = query(r, "type"), *lim = query(r, "limit"),
		   *cur = query(r, "cursor"), *target = query(r, "target");
	struct scan *arr = NULL;
	enum scan_status es;
	long long v;
	size_t n = 0;
	json_t *a, *o;
	char c[80];

	if (st && *st) {
		if (scan_status_parse(st, &es) < 0)
			return reply_problem(r, 400, "invalid_query", "unknown status '%s' (pending, running, "
				       "completed, failed, cancelled)", reply_clean(st, c, sizeof c));
		f.status = (int)es;
	}
	if (type && *type) {
		if (strlen(type) >= SCAN_TYPE_MAX)
			return reply_problem(r, 400, "invalid_query", "type is too long");
		f.type = type;
	}
	if (target && *target) {
		if (strlen(target) > 200)
			return reply_problem(r, 400, "invalid_query", "target is longer than 200 bytes");
		f.target = target;
	}
	if (lim) {
		if (num_parse(lim, 1, STORE_LIST_MAX, &v) < 0)
			return reply_problem(r, 400, "invalid_query", "limit must be from 1 to %d",
				       STORE_LIST_MAX);
		f.limit = (int)v;
	}
	if (cur && *cur) {
		if (num_parse(cur, 1, INT64_MAX, &v) < 0)
			return reply_problem(r, 400, "invalid_query", "cursor must be a scan id");
		f.before_id = v;
	}
	if (store_list(r->s, &f, &arr, &n) != STORE_OK)
		return reply_store_problem(r, "list");
	a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, scan_to_json(&arr[i], r->authed && r->role == AUTH_ADMIN));
	o = json_pack("{so}", "scans", a);
	json_object_set_new(o, "next_cursor", n == (size_t)f.limit
			    ? json_integer(arr[n - 1].id) : json_null());
	scan_array_free(arr, n);
	return reply_json(r, 200, o, NULL, NULL);
}

static enum MHD_Result h_get(struct req *r)
{
	struct scan_event *ev = NULL;
	struct scan sc = { 0 };
	size_t n = 0;
	int64_t id;
	int rc;
	enum MHD_Result ret;
	json_t *o, *events;

	if (path_id(r, &id, &ret) < 0)
		return ret;
	rc = store_get(r->s, id, &sc);
	if (rc == STORE_NOT_FOUND)
		return reply_problem(r, 404, "not_found", "no scan %lld", (long long)id);
	if (rc != STORE_OK)
		return reply_store_problem(r, "get");
	if (store_events(r->s, id, API_EVENTS_MAX, &ev, &n) != STORE_OK) {
		scan_release(&sc);
		return reply_store_problem(r, "events");
	}
	o = scan_to_json(&sc, r->authed && r->role == AUTH_ADMIN);
	events = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(events, scan_event_to_json(&ev[i]));
	free(ev);
	json_object_set_new(o, "events", events);
	json_object_set_new(o, "allowed", json_pack("{sb sb}",
		"retry", scan_action_allowed(SCAN_ACT_RETRY, sc.status, NULL),
		"cancel", scan_may_cancel(sc.status, sc.cancel_requested)));
	scan_release(&sc);
	return reply_json(r, 200, o, NULL, NULL);
}

static enum MHD_Result h_findings(struct req *r)
{
	const char *after = query(r, "after"), *lim = query(r, "limit"), *sev = query(r, "severity");
	struct finding *fs = NULL;
	int64_t id, after_id = 0, next = 0;
	int limit = API_LIST_DEFAULT * 4, rc, min_rank = 0;
	long long v;
	size_t n = 0;
	enum MHD_Result ret;
	json_t *a, *o;

	if (path_id(r, &id, &ret) < 0)
		return ret;
	if (after && *after) {
		if (num_parse(after, 0, INT64_MAX, &v) < 0)
			return reply_problem(r, 400, "invalid_query", "after must be a finding id");
		after_id = v;
	}
	if (lim) {
		if (num_parse(lim, 1, STORE_LIST_MAX, &v) < 0)
			return reply_problem(r, 400, "invalid_query", "limit must be from 1 to %d",
				       STORE_LIST_MAX);
		limit = (int)v;
	}
	/* ?severity=high: high and above (the filter pages through the store). */
	if (sev && (min_rank = scanner_severity_rank(sev)) < 0)
		return reply_problem(r, 400, "invalid_query",
				     "severity must be info, low, medium, high or critical");
	rc = findings_read(r->s, id, after_id, limit, min_rank, &fs, &n, &next);
	if (rc == STORE_NOT_FOUND)
		return reply_problem(r, 404, "not_found", "no scan %lld", (long long)id);
	if (rc != STORE_OK)
		return reply_store_problem(r, "findings");
	a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, findings_to_json(&fs[i]));
	o = json_pack("{so}", "findings", a);
	json_object_set_new(o, "next_cursor", next ? json_integer(next) : json_null());
	finding_array_free(fs, n);
	return reply_json(r, 200, o, NULL, NULL);
}

/* Answers 409 for an illegal retry/cancel, naming the scan's status. */
static enum MHD_Result conflict(struct req *r, int64_t id, const char *why)
{
	struct scan sc = { 0 };
	enum MHD_Result ret;

	if (store_get(r->s, id, &sc) != STORE_OK)
		return reply_problem(r, 409, "illegal_transition", "scan %lld: %s", (long long)id, why);
	ret = reply_problem(r, 409, "illegal_transition", "scan %lld is %s: %s", (long long)id,
		      scan_status_name(sc.status), why);
	scan_release(&sc);
	return ret;
}

static enum MHD_Result h_retry(struct req *r)
{
	int64_t id;
	int rc;
	enum MHD_Result ret;

	if (path_id(r, &id, &ret) < 0)
		return ret;
	rc = store_retry(r->s, id);
	if (rc == STORE_NOT_FOUND)
		return reply_problem(r, 404, "not_found", "no scan %lld", (long long)id);
	if (rc == STORE_ILLEGAL)
		return conflict(r, id, "only failed or cancelled scans can be retried");
	if (rc != STORE_OK)
		return reply_store_problem(r, "retry");
	audit_request(r, "retry", id, NULL);
	log_info("scan retried via api", "scan=%lld role=%s", (long long)id, auth_role_name(r->role));
	return reply_json(r, 202, json_pack("{sI ss}", "id", (json_int_t)id, "status", "pending"),
			  NULL, NULL);
}

static enum MHD_Result h_cancel(struct req *r)
{
	enum scan_status now = SCAN_CANCELLED;
	int64_t id;
	int rc;
	enum MHD_Result ret;

	if (path_id(r, &id, &ret) < 0)
		return ret;
	rc = store_cancel(r->s, id, &now);
	if (rc == STORE_NOT_FOUND)
		return reply_problem(r, 404, "not_found", "no scan %lld", (long long)id);
	if (rc == STORE_ILLEGAL)
		return conflict(r, id, "a finished scan cannot be cancelled");
	if (rc != STORE_OK)
		return reply_store_problem(r, "cancel");
	audit_request(r, "cancel", id, now == SCAN_CANCELLED ? "cancelled" : "cancel requested");
	log_info("scan cancel via api", "scan=%lld now=%s role=%s", (long long)id,
		 scan_status_name(now), auth_role_name(r->role));
	return reply_json(r, 202, json_pack("{sI ss sb}", "id", (json_int_t)id, "status",
					    scan_status_name(now), "cancel_requested",
					    now == SCAN_RUNNING), NULL, NULL);
}

static enum MHD_Result h_token_create(struct req *r)
{
	char secret[AUTH_SECRET_MAX], err[256], c[80];
	struct api_problem p;
	const char *role_s = NULL, *name = "api", *key;
	enum auth_role role;
	json_t *root = NULL, *v;
	int64_t id;
	enum MHD_Result ret;

	if (!media_type_ok(r))
		return reply_problem(r, 415, "unsupported_media_type",
			       "send the token request as Content-Type: application/json");
	if (body_json(r->body, r->len, &root, &p) < 0)
		return reply_problem_hdr(r, &p, NULL, NULL);
	json_object_foreach(root, key, v) {
		if (strcmp(key, "role") == 0 && json_is_string(v)) {
			role_s = json_string_value(v);
		} else if (strcmp(key, "name") == 0 && json_is_string(v)) {
			name = json_string_value(v);
		} else {
			ret = reply_problem(r, 422, strcmp(key, "role") && strcmp(key, "name")
				      ? "unknown_field" : "invalid_field",
				      "field '%s' is unknown or not a string", reply_clean(key, c, sizeof c));
			json_decref(root);
			return ret;
		}
	}
	if (!role_s || auth_role_parse(role_s, &role) < 0) {
		json_decref(root);
		return reply_problem(r, 422, "invalid_field", "role must be viewer, operator or admin");
	}
	if (auth_token_create(r->s, role, name, secret, sizeof secret, &id, err, sizeof err) < 0) {
		json_decref(root);
		return reply_problem(r, 422, "invalid_field", "%s", err);
	}
	ret = reply_json(r, 201, json_pack("{sI ss ss ss}", "id", (json_int_t)id, "role",
					   auth_role_name(role), "name", name, "token", secret),
			 NULL, NULL);
	log_info("api token created", "id=%lld role=%s", (long long)id, auth_role_name(role));
	audit_request(r, "token create", 0, name);
	json_decref(root);
	return ret;
}
/* ---- matching ------------------------------------------------------------------------ */

/* Matches a path against a pattern; the parameter segment goes to param.
 * Returns 1 on a match. */
static int match(const char *pattern, const char *path, char *param, size_t plen)
{
	const char *p = pattern, *u = path;

	while (*p && *u) {
		if (*p != '/' || *u != '/')
			return 0;
		p++;
		u++;
		const char *pe = strchrnul(p, '/'), *ue = strchrnul(u, '/');
		size_t pl = (size_t)(pe - p), ul = (size_t)(ue - u);
		if (pl > 2 && p[0] == '{') {
			if (ul == 0 || ul >= plen)
				return 0;
			memcpy(param, u, ul);
			param[ul] = '\0';
		} else if (pl != ul || memcmp(p, u, pl) != 0) {
			return 0;
		}
		p = pe;
		u = ue;
	}
	return *p == '\0' && *u == '\0';
}

int routes_find(const char *method, const char *url, char *param, size_t plen, char *allow,
		size_t alen)
{
	int path_seen = 0;

	if (strcmp(method, "HEAD") == 0)
		method = "GET";
	allow[0] = '\0';
	for (int i = 0; i < NROUTES; i++) {
		if (!match(routes[i].pattern, url, param, plen))
			continue;
		if (strcmp(routes[i].method, method) == 0)
			return i;
		if (!strstr(allow, routes[i].method)) {
			size_t l = strlen(allow);
			snprintf(allow + l, alen - l, "%s%s", l ? ", " : "", routes[i].method);
		}
		path_seen = 1;
	}
	return path_seen ? -2 : -1;
}
