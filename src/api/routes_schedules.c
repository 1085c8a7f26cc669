/*
 * routes_schedules.c — /api/v1/schedules: list and read (viewer); create,
 * pause, resume, run now and delete (operator).  The checks are
 * schedule_build()'s, the same as `scanq schedule add`; the scan part of a
 * body is read by body_parse_submit(), the same as POST /api/v1/scans.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>
#include "api/api.h"
#include "api/reply.h"
#include "api/audit.h"
#include "api/body.h"
#include "api/routes_schedules.h"
#include "api/req.h"
#include "api/auth.h"
#include "app/views.h"
#include "core/log.h"
#include "maintenance/scheduler.h"
#include "store/store.h"
#include "app/submit.h"

/* Reads the schedule of the path ({name}: a name or an id); answers 404. */

/* Who changed a schedule, in the audit trail (GET /api/v1/admin/audit). */
static void audit_schedule(struct req *r, const char *action, int64_t scan_id,
			   const struct schedule *sc)
{
	char detail[SCHEDULE_NAME_MAX + 16];

	snprintf(detail, sizeof detail, "schedule %s", sc->name);
	audit_request(r, action, scan_id, detail);
}

static int path_schedule(struct req *r, struct schedule *sc, enum MHD_Result *ret)
{
	char c[80];
	int rc = store_schedule_get(r->s, r->param, sc);

	if (rc == STORE_NOT_FOUND) {
		*ret = reply_problem(r, 404, "not_found", "no schedule '%s'",
				     reply_clean(r->param, c, sizeof c));
		return -1;
	}
	if (rc != STORE_OK) {
		*ret = reply_store_problem(r, "schedule");
		return -1;
	}
	return 0;
}

enum MHD_Result h_schedules_list(struct req *r)
{
	struct schedule *arr;
	size_t n;
	json_t *a;
	int64_t now = scheduler_now_ms();

	if (store_schedule_list(r->s, &arr, &n) != STORE_OK)
		return reply_store_problem(r, "schedules");
	a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, schedule_to_json(&arr[i], now));
	schedule_array_free(arr, n);
	return reply_json(r, 200, json_pack("{so}", "schedules", a), NULL, NULL);
}

enum MHD_Result h_schedule_get(struct req *r)
{
	struct schedule sc;
	enum MHD_Result ret;

	if (path_schedule(r, &sc, &ret) < 0)
		return ret;
	ret = reply_json(r, 200, schedule_to_json(&sc, scheduler_now_ms()), NULL, NULL);
	schedule_release(&sc);
	return ret;
}

/* A string field of the body, taken out of it (the rest is the scan). */
static int take_string(json_t *root, const char *key, char *out, size_t len, struct api_problem *p)
{
	json_t *v = json_object_get(root, key);

	out[0] = '\0';
	if (!v)
		return 0;
	if (!json_is_string(v) || json_string_length(v) >= len) {
		p->status = 422;
		snprintf(p->code, sizeof p->code, "invalid_field");
		snprintf(p->detail, sizeof p->detail, "%s must be a string of at most %zu bytes", key,
			 len - 1);
		return -1;
	}
	snprintf(out, len, "%s", json_string_value(v));
	json_object_del(root, key);
	return 0;
}

enum MHD_Result h_schedule_create(struct req *r)
{
	char name[SCHEDULE_NAME_MAX + 1], cron[160], tz[80], overlap[16], loc[128], *rest = NULL;
	struct api_problem p = { 0 };
	struct submit_input in;
	struct submit_error se;
	struct schedule sc = { 0 };
	json_t *root, *scan_root = NULL;
	int64_t id, now = scheduler_now_ms();
	enum MHD_Result ret;
	int rc;

	if (body_json(r->body, r->len, &root, &p) < 0)
		return reply_problem_hdr(r, &p, NULL, NULL);
	if (take_string(root, "name", name, sizeof name, &p) < 0
	    || take_string(root, "cron", cron, sizeof cron, &p) < 0
	    || take_string(root, "tz", tz, sizeof tz, &p) < 0
	    || take_string(root, "overlap", overlap, sizeof overlap, &p) < 0) {
		json_decref(root);
		return reply_problem_hdr(r, &p, NULL, NULL);
	}
	if (!name[0] || !cron[0]) {
		json_decref(root);
		return reply_problem(r, 422, "missing_field", "%s is required", name[0] ? "cron" : "name");
	}
	rest = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	submit_input_init(&in);
	if (!rest || body_parse_submit(rest, strlen(rest), &in, &scan_root, &p) < 0) {
		free(rest);
		return reply_problem_hdr(r, &p, NULL, NULL);
	}
	rc = schedule_build(name, cron, tz, overlap, &in, now, &sc, &se);
	json_decref(scan_root);
	free(rest);
	if (rc < 0)
		return reply_problem(r, !strcmp(se.code, "out_of_scope") ? 403
				     : !strcmp(se.code, "invalid_parameter") ? 400 : 422, se.code, "%s",
				     se.message);
	rc = store_schedule_add(r->s, &sc, now, &id);
	if (rc == STORE_ILLEGAL) {
		schedule_release(&sc);
		return reply_problem(r, 409, "name_taken", "a schedule named '%s' exists", name);
	}
	if (rc != STORE_OK) {
		schedule_release(&sc);
		return reply_store_problem(r, "schedule add");
	}
	schedule_release(&sc);
	if (store_schedule_get(r->s, name, &sc) != STORE_OK)
		return reply_store_problem(r, "read after add");
	audit_schedule(r, "schedule add", 0, &sc);
	log_info("schedule added via api", "schedule=%s cron=\"%s\" tz=%s role=%s", sc.name, sc.cron,
		 sc.tz, auth_role_name(r->role));
	snprintf(loc, sizeof loc, "/api/v1/schedules/%lld", (long long)id);
	ret = reply_json(r, 201, schedule_to_json(&sc, now), "Location", loc);
	schedule_release(&sc);
	return ret;
}

static enum MHD_Result pause_resume(struct req *r, int pause)
{
	struct schedule sc;
	enum MHD_Result ret;
	int64_t now = scheduler_now_ms();
	char err[256];

	if (path_schedule(r, &sc, &ret) < 0)
		return ret;
	/* Resuming plans from now: slots missed while paused do not fire. */
	if (!pause && scheduler_plan(&sc, now, err, sizeof err) < 0) {
		schedule_release(&sc);
		return reply_problem(r, 409, "unplannable", "%s", err);
	}
	if (store_schedule_pause(r->s, sc.id, pause, sc.next_run_at) != STORE_OK) {
		schedule_release(&sc);
		return reply_store_problem(r, pause ? "pause" : "resume");
	}
	sc.paused = pause;
	audit_schedule(r, pause ? "schedule pause" : "schedule resume", 0, &sc);
	log_info(pause ? "schedule paused via api" : "schedule resumed via api", "schedule=%s role=%s",
		 sc.name, auth_role_name(r->role));
	ret = reply_json(r, 200, schedule_to_json(&sc, now), NULL, NULL);
	schedule_release(&sc);
	return ret;
}

enum MHD_Result h_schedule_pause(struct req *r)
{
	return pause_resume(r, 1);
}

enum MHD_Result h_schedule_resume(struct req *r)
{
	return pause_resume(r, 0);
}

enum MHD_Result h_schedule_run_now(struct req *r)
{
	struct schedule sc;
	enum MHD_Result ret;
	int64_t scan_id;
	char loc[64];

	if (path_schedule(r, &sc, &ret) < 0)
		return ret;
	if (schedule_run_now(r->s, &sc, &scan_id) != STORE_OK) {
		schedule_release(&sc);
		return reply_store_problem(r, "run now");
	}
	audit_schedule(r, "schedule run-now", scan_id, &sc);
	log_info("schedule run now via api", "schedule=%s scan=%lld role=%s", sc.name,
		 (long long)scan_id, auth_role_name(r->role));
	schedule_release(&sc);
	snprintf(loc, sizeof loc, "/api/v1/scans/%lld", (long long)scan_id);
	return reply_json(r, 202, json_pack("{sI ss}", "id", (json_int_t)scan_id, "status", "pending"),
			  "Location", loc);
}

enum MHD_Result h_schedule_delete(struct req *r)
{
	struct schedule sc;
	enum MHD_Result ret;

	if (path_schedule(r, &sc, &ret) < 0)
		return ret;
	if (store_schedule_delete(r->s, sc.id) != STORE_OK) {
		schedule_release(&sc);
		return reply_store_problem(r, "delete");
	}
	audit_schedule(r, "schedule rm", 0, &sc);
	log_info("schedule removed via api", "schedule=%s role=%s", sc.name, auth_role_name(r->role));
	ret = reply_json(r, 200, json_pack("{sI ss sb}", "id", (json_int_t)sc.id, "name", sc.name,
					   "deleted", 1), NULL, NULL);
	schedule_release(&sc);
	return ret;
}

json_t *schedules_health(struct store *s, int *nlate)
{
	struct schedule *arr;
	size_t n;
	json_t *a;
	int64_t now = scheduler_now_ms();

	*nlate = 0;
	if (store_schedules_late(s, now, SCHEDULE_LATE_MS, &arr, &n) != STORE_OK)
		return NULL;
	a = json_array();
	for (size_t i = 0; i < n && i < 20; i++) {
		char t[40];

		json_array_append_new(a, json_pack("{ss ss sI}", "name", arr[i].name, "due_at",
			scan_format_time(arr[i].next_run_at, t, sizeof t), "late_s",
			(json_int_t)((now - arr[i].next_run_at) / 1000)));
	}
	*nlate = (int)n;
	schedule_array_free(arr, n);
	return a;
}
