/*
 * routes_dashboard.c — GET /api/v1/dashboard (routes_dashboard.h).  Every
 * part is a store call that reads counters, rollups or a short index
 * range (store.h, "the dashboard"; store_queue_status() reads maintained
 * counters): the chart and the changes read the rollups migration 25's
 * triggers keep, so the answer costs the same on 1,000,000 scans as on a
 * thousand (bench/dashboard.sh, docs/BENCHMARKS.md).  Days are UTC days.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "api/reply.h"
#include "api/req.h"
#include "api/routes_dashboard.h"
#include "api/routes_schedules.h"
#include "core/scan.h"
#include "store/store.h"

static json_t *by_severity(const int64_t v[STORE_DASH_SEVERITIES])
{
	json_t *o = json_object();

	for (int k = 0; k < STORE_DASH_SEVERITIES; k++)
		json_object_set_new(o, store_dash_severity(k), json_integer(v[k]));
	return o;
}

static json_t *trend_json(const struct store_dashboard *d)
{
	json_t *days = json_array();

	for (int i = 0; i < STORE_DASH_DAYS; i++) {
		char t[40];
		json_t *o = by_severity(d->open[i]);

		scan_format_time(d->since + (int64_t)i * 86400000, t, sizeof t);
		t[10] = '\0';	/* YYYY-MM-DD */
		json_object_set_new(o, "day", json_string(t));
		json_array_append_new(days, o);
	}
	return days;
}

static json_t *changes_json(const int64_t c[3])
{
	return json_pack("{sI sI sI}", "new", (json_int_t)c[0], "gone", (json_int_t)c[1], "changed",
			 (json_int_t)c[2]);
}

/* Pending, running, finished in the last hour, workers and agents. */
static json_t *queue_json(struct store *s, int64_t now)
{
	struct queue_status q;
	struct worker_info *ws = NULL;
	int64_t completed, failed;
	int agents_live = 0, agents_dead = 0;
	size_t n = 0;

	if (store_queue_status(s, &q) != STORE_OK || store_finished_last_hour(s, &completed, &failed) != STORE_OK
	    || store_worker_list(s, &ws, &n) != STORE_OK)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const char *st = worker_state(&ws[i], now);

		if (strcmp(ws[i].kind, "agent") != 0)
			continue;
		if (strcmp(st, "active") == 0 || strcmp(st, "idle") == 0)
			agents_live++;
		else if (strcmp(st, "dead") == 0)
			agents_dead++;
	}
	free(ws);
	return json_pack("{sI sI sI sI s{si si si} s{si si}}",
			 "pending", (json_int_t)q.by_status[SCAN_PENDING],
			 "running", (json_int_t)q.by_status[SCAN_RUNNING],
			 "failed_last_hour", (json_int_t)failed, "completed_last_hour", (json_int_t)completed,
			 "workers", "active", q.workers_active, "idle", q.workers_idle, "dead", q.workers_dead,
			 "agents", "live", agents_live, "dead", agents_dead);
}

enum MHD_Result routes_dashboard(struct req *r)
{
	struct store_dashboard d;
	struct finding_state *fs = NULL;
	size_t nfs = 0;
	int64_t now = scan_now_ms();
	json_t *o, *newest, *queue, *late;
	char t[40];
	int nlate = 0;

	if (store_dashboard(r->s, now, &d) != STORE_OK)
		return reply_store_problem(r, "dashboard");
	if (store_finding_states_newest(r->s, DASHBOARD_NEWEST, &fs, &nfs) != STORE_OK)
		return reply_store_problem(r, "newest findings");
	newest = json_array();
	for (size_t i = 0; i < nfs; i++)
		json_array_append_new(newest, finding_state_to_json(&fs[i]));
	finding_state_array_free(fs, nfs);
	if (!(queue = queue_json(r->s, now))) {
		json_decref(newest);
		return reply_store_problem(r, "queue status");
	}
	if (!(late = schedules_health(r->s, &nlate))) {
		json_decref(newest);
		json_decref(queue);
		return reply_store_problem(r, "late schedules");
	}
	o = json_pack("{ss s{so so} s{so so} so so so si}",
		      "generated_at", scan_format_time(now, t, sizeof t),
		      "open_findings", "now", by_severity(d.open[STORE_DASH_DAYS - 1]), "days", trend_json(&d),
		      "changes", "last_24h", changes_json(d.changes_24h), "last_7d", changes_json(d.changes_7d),
		      "newest_findings", newest, "queue", queue, "late_schedules", late,
		      "late_schedules_total", nlate);
	return reply_json(r, 200, o, NULL, NULL);
}
