/*
 * views.c — the JSON forms of a schedule, the queue's status and a worker
 * (views.h), built from the store's structs with core/scan.h's time and
 * text values, so a time or an empty string reads the same in every view.
 */
#include <jansson.h>
#include "app/views.h"
#include "core/scan.h"
#include "store/store.h"

json_t *schedule_to_json(const struct schedule *sc, int64_t now)
{
	json_error_t jerr;
	json_t *targets = sc->targets ? json_loads(sc->targets, 0, &jerr) : NULL;
	json_t *options = sc->options ? json_loads(sc->options, 0, &jerr) : NULL;
	/* The add checked every text field (an ASCII name, a cron expression,
	 * a zone, an overlap and a type), so packing them cannot fail on one. */
	json_t *o = json_pack("{sI ss ss ss ss ss so so si si si sb}", "id", (json_int_t)sc->id,
			      "name", sc->name, "cron", sc->cron, "tz", sc->tz, "overlap",
			      sc->overlap, "type", sc->type, "targets",
			      targets ? targets : json_array(), "options",
			      options ? options : json_object(), "priority", sc->priority,
			      "max_attempts", sc->max_attempts, "time_limit_s", sc->time_limit_s,
			      "paused", sc->paused);

	json_object_set_new(o, "next_run_at", sc->paused ? json_null()
							: scan_json_time(sc->next_run_at));
	json_object_set_new(o, "created_at", scan_json_time(sc->created_at));
	json_object_set_new(o, "last_fired_at", scan_json_time(sc->last_fired_at));
	json_object_set_new(o, "last_skipped_at", scan_json_time(sc->last_skipped_at));
	json_object_set_new(o, "fired", json_integer(sc->fired));
	json_object_set_new(o, "skipped", json_integer(sc->skipped));
	json_object_set_new(o, "last_scan_id", sc->last_scan_id ? json_integer(sc->last_scan_id)
								 : json_null());
	json_object_set_new(o, "last_status", scan_json_text(sc->last_status));
	json_object_set_new(o, "late", json_boolean(!sc->paused
						    && sc->next_run_at < now - SCHEDULE_LATE_MS));
	return o;
}

static json_t *status_object(const int64_t *by)
{
	json_t *o = json_object();

	for (int i = 0; i < SCAN_STATUS_COUNT; i++)
		json_object_set_new(o, scan_status_name((enum scan_status)i), json_integer(by[i]));
	return o;
}

json_t *queue_status_to_json(const struct queue_status *q)
{
	json_t *o = json_object(), *types = json_object(), *workers;

	json_object_set_new(o, "by_status", status_object(q->by_status));
	for (int t = 0; t < q->ntypes; t++)
		json_object_set_new(types, q->types[t].type, status_object(q->types[t].by_status));
	json_object_set_new(o, "by_type", types);
	json_object_set_new(o, "depth", json_integer(q->by_status[SCAN_PENDING]));
	json_object_set_new(o, "oldest_pending_s", json_real((double)q->oldest_pending_ms / 1000));
	json_object_set_new(o, "finished_last_minute", json_integer(q->finished_last_minute));
	json_object_set_new(o, "finished_last_5_minutes", json_integer(q->finished_last_5_minutes));
	json_object_set_new(o, "throughput_per_minute", json_pack("{sf sf}",
		"last_1m", (double)q->finished_last_minute,
		"last_5m", (double)q->finished_last_5_minutes / 5));
	workers = json_pack("{sisisi}", "active", q->workers_active, "idle", q->workers_idle,
			    "dead", q->workers_dead);
	json_object_set_new(o, "workers", workers);
	return o;
}

json_t *worker_info_to_json(const struct worker_info *w, int64_t now)
{
	char started[40], beat[40];
	json_t *o = json_object(), *ids = json_array();

	for (int i = 0; i < w->nrunning_ids; i++)
		json_array_append_new(ids, json_integer(w->running_ids[i]));
	json_object_set_new(o, "id", json_string(w->id));
	json_object_set_new(o, "name", json_string(w->name));
	json_object_set_new(o, "status", json_string(worker_state(w, now)));
	json_object_set_new(o, "host", json_string(w->host));
	json_object_set_new(o, "pid", json_integer(w->pid));
	json_object_set_new(o, "started_at", json_string(scan_format_time(w->started_at, started,
							   sizeof started)));
	json_object_set_new(o, "heartbeat_at", json_string(scan_format_time(w->heartbeat_at, beat,
							     sizeof beat)));
	json_object_set_new(o, "heartbeat_age_ms", json_integer(now - w->heartbeat_at));
	json_object_set_new(o, "concurrency", json_integer(w->concurrency));
	json_object_set_new(o, "running", json_integer(w->running));
	json_object_set_new(o, "running_ids", ids);
	json_object_set_new(o, "scans_done", json_integer(w->scans_done));
	json_object_set_new(o, "last_exit", scan_json_text(w->last_exit));
	json_object_set_new(o, "last_exit_hint", scan_json_text(worker_exit_hint(w->last_exit)));
	return o;
}

