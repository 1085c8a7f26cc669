/*
 * routes_findings.c — the findings lifecycle over HTTP (routes_findings.h):
 * GET /api/v1/findings lists finding states across runs with the CLI's
 * filters (and scan=ID: the baseline of that scan, for the scan page), in
 * keyset pages (after = the last id, next_cursor when there
 * may be more), and POST /api/v1/findings/{fingerprint}/accept,
 * /false-positive and /reopen change one (operator role).  The store
 * writes the change and its audit record (the request's actor) in one
 * transaction; every refusal is answered before anything is written.
 */
#include <stdio.h>
#include <string.h>
#include <microhttpd.h>
#include "api/api.h"
#include "api/body.h"
#include "api/reply.h"
#include "api/req.h"
#include "api/routes_export.h"
#include "api/routes_findings.h"
#include "app/export.h"
#include "app/findings.h"
#include "core/num.h"
#include "scanner.h"
#include "store/store.h"

#define FINDINGS_PAGE_DEFAULT 200

static const char *query(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

/* The list's query into *f; answers 400 (returning -1) when one is bad. */
static int list_query(struct req *r, struct finding_state_filter *f, enum MHD_Result *ret)
{
	const char *st = query(r, "state"), *sev = query(r, "severity"), *b = query(r, "baseline");
	const char *sched = query(r, "schedule"), *after = query(r, "after"), *lim = query(r, "limit");
	const char *scan = query(r, "scan");
	int64_t sid = 0;
	long long v, bv = 0, av = 0, sv = 0;
	char c[80];

	f->limit = FINDINGS_PAGE_DEFAULT;
	if (st && !finding_state_valid(st))
		*ret = reply_problem(r, 400, "invalid_query", "unknown state '%s': use " FINDING_STATE_NAMES,
				     reply_clean(st, c, sizeof c));
	else if (sev && scanner_severity_rank(sev) < 0)
		*ret = reply_problem(r, 400, "invalid_query",
				     "severity must be info, low, medium, high or critical");
	else if (b && num_parse(b, 1, INT64_MAX, &bv) < 0)
		*ret = reply_problem(r, 400, "invalid_query", "baseline must be a baseline id");
	else if (after && num_parse(after, 0, INT64_MAX, &av) < 0)
		*ret = reply_problem(r, 400, "invalid_query", "after must be a cursor (next_cursor)");
	else if (lim && num_parse(lim, 1, STORE_LIST_MAX, &v) < 0)
		*ret = reply_problem(r, 400, "invalid_query", "limit must be from 1 to %d", STORE_LIST_MAX);
	else if (scan && num_parse(scan, 1, INT64_MAX, &sv) < 0)
		*ret = reply_problem(r, 400, "invalid_query", "scan must be a scan id");
	else if ((!!b + !!sched + !!scan) > 1)
		*ret = reply_problem(r, 400, "invalid_query", "give one of baseline, schedule and scan");
	else if (scan && (store_finding_baseline_of(r->s, sv, &f->baseline_id) != STORE_OK))
		*ret = reply_store_problem(r, "findings");
	else if (sched && store_schedule_id(r->s, sched, &sid, NULL, 0) != STORE_OK)
		*ret = reply_problem(r, 404, "not_found", "no schedule '%s'", reply_clean(sched, c, sizeof c));
	else {
		f->state = st;
		f->severity = sev;
		if (b)
			f->baseline_id = bv;
		f->after_id = av;
		if (lim)
			f->limit = (int)v;
		if (sched)
			f->schedule_id = sid;
		return 0;
	}
	return -1;
}

enum MHD_Result routes_findings_list(struct req *r)
{
	struct finding_state_filter f = { 0 };
	struct finding_state *v = NULL;
	enum MHD_Result ret;
	size_t n = 0;
	json_t *a, *o;

	if (list_query(r, &f, &ret) < 0)
		return ret;
	if (query(r, "scan") && !f.baseline_id)		/* a scan with no baseline: none */
		return reply_json(r, 200, json_pack("{s[]sn}", "findings", "next_cursor"), NULL, NULL);
	if (store_finding_states(r->s, &f, &v, &n) != STORE_OK)
		return reply_store_problem(r, "findings");
	a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, finding_state_to_json(&v[i]));
	o = json_pack("{so}", "findings", a);
	json_object_set_new(o, "next_cursor", n == (size_t)f.limit ? json_integer(v[n - 1].id)
								   : json_null());
	finding_state_array_free(v, n);
	return reply_json(r, 200, o, NULL, NULL);
}

/* The body's fields: reason, expires (accept only), baseline; only these.
 * An empty body is allowed when nothing is required (reopen). */
static int triage_body(struct req *r, const char *to, json_t **root, const char **reason,
		       int64_t *expires, int64_t *bid, struct api_problem *p)
{
	const char *key;
	json_t *val;

	*root = NULL;
	if (r->len == 0 && strcmp(to, "reopened") == 0)
		return 0;
	if (body_json(r->body, r->len, root, p) < 0)
		return -1;
	p->status = 422;
	json_object_foreach(*root, key, val) {
		if (strcmp(key, "reason") == 0 && json_is_string(val))
			*reason = json_string_value(val);
		else if (strcmp(key, "expires") == 0 && json_is_string(val) && strcmp(to, "accepted") == 0) {
			if (findings_parse_expiry(json_string_value(val), scan_now_ms(), expires) < 0) {
				snprintf(p->code, sizeof p->code, "invalid_field");
				snprintf(p->detail, sizeof p->detail, "expires must be an RFC 3339 time"
					 " (2027-01-31T12:00:00Z) or a duration such as 90m, 12h, 30d");
				return -1;
			}
		} else if (strcmp(key, "baseline") == 0 && json_is_integer(val) && json_integer_value(val) > 0)
			*bid = json_integer_value(val);
		else {
			snprintf(p->code, sizeof p->code, "invalid_field");
			snprintf(p->detail, sizeof p->detail, "unknown or mistyped field '%.64s': %s takes"
				 " reason (string)%s and baseline (integer)", key, to,
				 strcmp(to, "accepted") == 0 ? ", expires (string)" : "");
			return -1;
		}
	}
	return 0;
}

static enum MHD_Result triage(struct req *r, const char *to)
{
	struct api_problem p = { 0 };
	struct finding_state row;
	const char *reason = NULL;
	int64_t expires = 0, bid = 0;
	json_t *root = NULL;
	enum MHD_Result ret;
	char c[80];
	int rc;

	if (triage_body(r, to, &root, &reason, &expires, &bid, &p) < 0) {
		json_decref(root);
		return reply_problem_hdr(r, &p, NULL, NULL);
	}
	if (strcmp(to, "reopened") != 0 && (!reason || !*reason)) {
		json_decref(root);
		return reply_problem(r, 422, "missing_field", "reason is required");
	}
	if (expires && expires <= scan_now_ms()) {
		json_decref(root);
		return reply_problem(r, 422, "invalid_field", "expires must be in the future");
	}
	rc = store_finding_triage(r->s, r->param, bid, to, reason, expires,
				 r->actor[0] ? r->actor : "api:open", &row);
	json_decref(root);
	if (rc == STORE_NOT_FOUND)
		return reply_problem(r, 404, "not_found", "no finding %s", reply_clean(r->param, c, sizeof c));
	if (rc == STORE_ILLEGAL)
		return reply_problem(r, 409, "illegal_transition", "%s", store_error(r->s));
	if (rc != STORE_OK)
		return reply_store_problem(r, "finding triage");
	ret = reply_json(r, 200, finding_state_to_json(&row), NULL, NULL);
	finding_state_release(&row);
	return ret;
}

enum MHD_Result routes_finding_accept(struct req *r)
{
	return triage(r, "accepted");
}

enum MHD_Result routes_finding_false_positive(struct req *r)
{
	return triage(r, "false_positive");
}

enum MHD_Result routes_finding_reopen(struct req *r)
{
	return triage(r, "reopened");
}

enum MHD_Result routes_findings_export(struct req *r)
{
	const char *format = query(r, "format"), *sched = query(r, "schedule"), *b = query(r, "baseline");
	struct export *ex = NULL;
	enum export_format f;
	int64_t sid = 0;
	long long bid = 0;
	char c[80], name[96];
	int64_t id = 0;
	int rc;

	if (!format || export_format_parse(format, &f) < 0)
		return reply_problem(r, 400, "invalid_query", "format must be " EXPORT_FORMAT_NAMES);
	if (!sched == !b)
		return reply_problem(r, 400, "invalid_query", "give schedule or baseline (one of them)");
	if (b && num_parse(b, 1, INT64_MAX, &bid) < 0)
		return reply_problem(r, 400, "invalid_query", "baseline must be a baseline id");
	if (sched) {
		if ((rc = store_schedule_id(r->s, sched, &sid, NULL, 0)) == STORE_NOT_FOUND)
			return reply_problem(r, 404, "not_found", "no schedule '%s'",
					     reply_clean(sched, c, sizeof c));
		if (rc != STORE_OK || store_finding_baseline_of_schedule(r->s, sid, &id) != STORE_OK)
			return reply_store_problem(r, "export");
		bid = id;
	}
	rc = bid ? export_open_baseline(r->s, bid, f, &ex) : STORE_NOT_FOUND;
	if (rc == STORE_NOT_FOUND)
		return reply_problem(r, 404, "not_found", "%s has no complete run",
				     sched ? "the schedule" : "the baseline");
	if (rc != STORE_OK)
		return reply_store_problem(r, "export");
	if (sched)
		snprintf(name, sizeof name, "scanq-schedule-%lld", (long long)sid);
	else
		snprintf(name, sizeof name, "scanq-baseline-%lld", bid);
	return routes_export_stream(r, ex, f, name);
}
