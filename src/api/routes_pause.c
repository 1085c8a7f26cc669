/*
 * routes_pause.c — the pause API (see routes_hold.h).  A body names one
 * of {"type": T}, {"schedule": NAME} or {"all": true}, checked whole
 * before anything is written; every pause and resume is in the audit
 * trail with the token's name and the client's address.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "api/audit.h"
#include "api/reply.h"
#include "api/req.h"
#include "api/routes_admin.h"
#include "api/routes_hold.h"
#include "core/config.h"
#include "scantype.h"
#include "store/store.h"

struct what {
	const char *kind;
	char value[64];
	char label[96];
};

/* Names `KIND NAME` in *w (NAME under 64 bytes), with value as the store
 * keeps it. */
static void set_what(struct what *w, const char *kind, const char *value, const char *name)
{
	w->kind = kind;
	snprintf(w->value, sizeof w->value, "%s", value);
	snprintf(w->label, sizeof w->label, "%.10s %.63s", kind, name);
}

/* Answers 422 `code` "unknown WHAT 'V'".  Returns -1. */
static int unknown(struct req *r, const char *code, const char *what, const char *v,
		   enum MHD_Result *ret)
{
	char c[80];

	*ret = reply_problem(r, 422, code, "unknown %s '%s'", what, reply_clean(v, c, sizeof c));
	return -1;
}

/* Reads which scans the body names into *w.  Returns 0, or -1 after
 * answering. */
static int read_what(struct req *r, json_t *o, struct what *w, enum MHD_Result *ret)
{
	const char *type = json_string_value(json_object_get(o, "type"));
	const char *sched = json_string_value(json_object_get(o, "schedule"));
	const char *pool = json_string_value(json_object_get(o, "pool"));
	json_t *all = json_object_get(o, "all");
	int n = (json_object_get(o, "type") != NULL) + (json_object_get(o, "schedule") != NULL)
		+ (json_object_get(o, "pool") != NULL) + (all != NULL);
	char c[80], sname[128], sid_text[24];
	int64_t sid;
	int rc;

	memset(w, 0, sizeof *w);
	if (n != 1 || (all && !json_is_true(all)) || (json_object_get(o, "type") && !type)
	    || (json_object_get(o, "schedule") && !sched) || (json_object_get(o, "pool") && !pool)) {
		*ret = reply_problem(r, 422, "invalid_field", "give exactly one of \"type\": TYPE, "
				     "\"schedule\": NAME, \"pool\": NAME or \"all\": true");
		return -1;
	}
	if (all) {
		w->kind = "all";
		snprintf(w->label, sizeof w->label, "every scan");
		return 0;
	}
	if (type) {
		if (strlen(type) >= sizeof w->value || (!scantype_find(type) && !config_profile(type)))
			return unknown(r, "invalid_type", "scan type", type, ret);
		set_what(w, "type", type, type);
		return 0;
	}
	if (pool) {
		if (strlen(pool) >= sizeof w->value || (strcmp(pool, "local") && !config_pool(pool)))
			return unknown(r, "invalid_field", "pool", pool, ret);
		set_what(w, "pool", pool, pool);
		return 0;
	}
	rc = store_schedule_id(r->s, sched, &sid, sname, sizeof sname);
	if (rc == STORE_NOT_FOUND) {
		*ret = reply_problem(r, 422, "invalid_field", "no schedule '%s'",
				     reply_clean(sched, c, sizeof c));
		return -1;
	}
	if (rc != STORE_OK) {
		*ret = reply_store_problem(r, "pause");
		return -1;
	}
	snprintf(sid_text, sizeof sid_text, "%lld", (long long)sid);
	sname[60] = '\0';	/* the label shows at most 60 bytes of the name */
	set_what(w, "schedule", sid_text, sname);
	return 0;
}

enum MHD_Result pause_h_list(struct req *r)
{
	json_t *a = store_pauses_json(r->s);

	if (!a)
		return reply_store_problem(r, "pauses");
	return reply_json(r, 200, json_pack("{so}", "pauses", a), NULL, NULL);
}

enum MHD_Result pause_h_pause(struct req *r)
{
	static const char *const allowed[] = { "type", "schedule", "pool", "all", "reason", "now", NULL };
	const char *reason;
	char detail[400];
	enum MHD_Result ret;
	struct what w;
	json_t *o, *now;
	int rc, back = 0;

	if (!(o = admin_body_object(r, allowed, &ret)))
		return ret;
	reason = json_string_value(json_object_get(o, "reason"));
	now = json_object_get(o, "now");
	if ((json_object_get(o, "reason") && !reason) || (reason && strlen(reason) > STORE_PAUSE_REASON_MAX)
	    || (now && !json_is_boolean(now))) {
		ret = reply_problem(r, 422, "invalid_field", "reason must be a string of at most %d bytes"
				    " and now a boolean", STORE_PAUSE_REASON_MAX);
		goto out;
	}
	if (read_what(r, o, &w, &ret) < 0)
		goto out;
	rc = store_pause_add(r->s, w.kind, w.value, reason, r->actor[0] ? r->actor : "api:open");
	if (rc == STORE_ILLEGAL) {
		ret = reply_problem(r, 409, "conflict", "%s is already paused", w.label);
		goto out;
	}
	if (rc != STORE_OK) {
		ret = reply_store_problem(r, "pause");
		goto out;
	}
	snprintf(detail, sizeof detail, "%s%s%s%.200s", w.label, json_is_true(now) ? " --now" : "",
		 reason && *reason ? ": " : "", reason ? reason : "");
	audit_request(r, "pause", 0, detail);
	if (json_is_true(now) && store_pause_handback(r->s, w.kind, w.value, "paused (--now)", &back)
	    != STORE_OK) {
		ret = reply_store_problem(r, "pause handback");
		goto out;
	}
	ret = reply_json(r, 201, json_pack("{sssi}", "paused", w.label, "handed_back", back), NULL, NULL);
out:
	json_decref(o);
	return ret;
}

enum MHD_Result pause_h_resume(struct req *r)
{
	static const char *const allowed[] = { "type", "schedule", "pool", "all", NULL };
	enum MHD_Result ret;
	struct what w;
	json_t *o;
	int rc, all;

	if (!(o = admin_body_object(r, allowed, &ret)))
		return ret;
	if (read_what(r, o, &w, &ret) < 0)
		goto out;
	all = strcmp(w.kind, "all") == 0;
	rc = store_pause_rm(r->s, all ? NULL : w.kind, w.value);
	if (rc == STORE_NOT_FOUND) {
		ret = reply_problem(r, 404, "not_found", "%s is not paused", all ? "nothing" : w.label);
		goto out;
	}
	if (rc != STORE_OK) {
		ret = reply_store_problem(r, "resume");
		goto out;
	}
	audit_request(r, "resume", 0, all ? "every pause" : w.label);
	ret = reply_json(r, 200, json_pack("{ss}", "resumed", all ? "everything" : w.label), NULL, NULL);
out:
	json_decref(o);
	return ret;
}
