/*
 * routes_windows.c — the maintenance window API (see routes_hold.h).
 * A new window is checked whole (window_build(), as the CLI checks it)
 * before anything is written, and the overlap rule runs inside the store's
 * transaction; every add and removal is in the audit trail with the
 * token's name and the client's address.
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
#include "core/clock.h"
#include "maintenance/window.h"
#include "store/store.h"

enum MHD_Result windows_h_list(struct req *r)
{
	struct window *w = NULL;
	int64_t now = scan_now_ms();
	size_t n = 0;
	json_t *a;

	if (store_window_list(r->s, &w, &n) != STORE_OK)
		return reply_store_problem(r, "windows");
	a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, window_to_json(&w[i], now));
	free(w);
	return reply_json(r, 200, json_pack("{so}", "windows", a), NULL, NULL);
}

/* A string field of o, or NULL; *bad set when present but not a string. */
static const char *field(json_t *o, const char *name, int *bad)
{
	json_t *v = json_object_get(o, name);

	if (v && !json_is_string(v))
		*bad = 1;
	return json_string_value(v);
}

enum MHD_Result windows_h_add(struct req *r)
{
	static const char *const allowed[] = { "name", "cron", "duration", "tz", "pool", "targets",
					       "running", NULL };
	char code[32], msg[300], detail[1600], c[80];
	enum MHD_Result ret;
	struct window w;
	int64_t id;
	json_t *o;
	int bad = 0, rc;

	if (!(o = admin_body_object(r, allowed, &ret)))
		return ret;
	{
		const char *name = field(o, "name", &bad), *cron = field(o, "cron", &bad);
		const char *duration = field(o, "duration", &bad), *tz = field(o, "tz", &bad);
		const char *pool = field(o, "pool", &bad), *targets = field(o, "targets", &bad);
		const char *running = field(o, "running", &bad);

		if (bad) {
			ret = reply_problem(r, 422, "invalid_field", "every field of a window is a string");
			goto out;
		}
		if (!duration) {
			ret = reply_problem(r, 422, "invalid_duration", "a duration is required (9h, 90m)");
			goto out;
		}
		if (window_build(name, cron, tz, duration, pool, targets, running,
				 r->actor[0] ? r->actor : "api:open", &w, code, sizeof code, msg,
				 sizeof msg) < 0) {
			ret = reply_problem(r, 422, code, "%s", msg);
			goto out;
		}
		rc = store_window_add(r->s, &w, window_overlap, &id);
		if (rc == STORE_ILLEGAL) {
			ret = reply_problem(r, 409, "conflict", "%s",
					    reply_clean(store_error(r->s), msg, sizeof msg));
			goto out;
		}
		if (rc != STORE_OK) {
			ret = reply_store_problem(r, "window add");
			goto out;
		}
		snprintf(detail, sizeof detail, "%s: %s for %.20s%s%s%s%s, running %s", w.name,
			 w.cron, reply_clean(duration, c, sizeof c), w.pool[0] ? " pool " : "", w.pool,
			 w.targets[0] ? " targets " : "", w.targets, w.running);
		audit_request(r, "window add", 0, detail);
		ret = reply_json(r, 201, window_to_json(&w, scan_now_ms()), NULL, NULL);
	}
out:
	json_decref(o);
	return ret;
}

enum MHD_Result windows_h_rm(struct req *r)
{
	char c[80];
	int rc = store_window_rm(r->s, r->param);

	if (rc == STORE_NOT_FOUND)
		return reply_problem(r, 404, "not_found", "no window '%s'",
				     reply_clean(r->param, c, sizeof c));
	if (rc != STORE_OK)
		return reply_store_problem(r, "window rm");
	audit_request(r, "window rm", 0, r->param);
	return reply_json(r, 200, json_pack("{ss}", "removed", r->param), NULL, NULL);
}
