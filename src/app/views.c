/*
 * views.c — the JSON forms of a schedule, the queue's status, a worker and
 * a chain's tree (views.h), built from the store's structs with core/scan.h's time and
 * text values, so a time or an empty string reads the same in every view.
 */
#include <stdlib.h>
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
	json_object_set_new(o, "pool", json_string(sc->pool[0] ? sc->pool : SCAN_POOL_LOCAL));
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
	json_object_set_new(o, "kind", json_string(w->kind[0] ? w->kind : "worker"));
	json_object_set_new(o, "pool", json_string(w->pool[0] ? w->pool : SCAN_POOL_LOCAL));
	json_object_set_new(o, "version", scan_json_text(w->version));
	json_object_set_new(o, "address", scan_json_text(w->address));
	return o;
}

/* The chain's status: running while any scan runs, pending while any
 * waits, then failed, cancelled, or completed when every one completed. */
static const char *chain_status(const struct flow_node *nodes, size_t n)
{
	int seen[SCAN_STATUS_COUNT] = { 0 };

	for (size_t i = 0; i < n; i++)
		seen[nodes[i].status]++;
	return seen[SCAN_RUNNING] ? "running" : seen[SCAN_PENDING] ? "pending"
		: seen[SCAN_FAILED] ? "failed" : seen[SCAN_CANCELLED] ? "cancelled" : "completed";
}

static json_t *node_to_json(const struct flow_node *d)
{
	json_t *targets = json_loads(d->targets ? d->targets : "[]", 0, NULL);
	json_t *o = json_pack("{sI ss ss sf sI so}", "id", (json_int_t)d->id, "type", d->type,
			      "status", scan_status_name(d->status), "progress", d->progress,
			      "findings", (json_int_t)d->findings,
			      "targets", targets ? targets : json_array());

	json_object_set_new(o, "shard", json_boolean(d->flow & SCAN_FLOW_SHARD));
	json_object_set_new(o, "note", d->note ? json_string(d->note) : json_null());
	json_object_set_new(o, "error", d->error ? json_string(d->error) : json_null());
	json_object_set_new(o, "children", json_array());
	return o;
}

/* A split parent's shards (the nodes after i that name it): their counts
 * by status, findings and progress replace the parent's own. */
static void add_shards(const struct flow_node *nodes, size_t n, size_t i, json_t **o)
{
	json_int_t f = 0, by[SCAN_STATUS_COUNT] = { 0 };
	double prog = 0;
	size_t ns = 0;

	for (size_t k = i + 1; k < n; k++)
		if (nodes[k].parent == nodes[i].id && (nodes[k].flow & SCAN_FLOW_SHARD)) {
			ns++;
			by[nodes[k].status]++;
			f += json_integer_value(json_object_get(o[k], "findings"));
			prog += nodes[k].status == SCAN_COMPLETED ? 1
				: json_real_value(json_object_get(o[k], "progress"));
		}
	json_object_set_new(o[i], "shards", json_pack("{sI sI sI sI sI sI}", "total",
			    (json_int_t)ns, "pending", by[SCAN_PENDING], "running",
			    by[SCAN_RUNNING], "completed", by[SCAN_COMPLETED], "failed",
			    by[SCAN_FAILED], "cancelled", by[SCAN_CANCELLED]));
	json_object_set_new(o[i], "findings", json_integer(f));
	if (ns)
		json_object_set_new(o[i], "progress", json_real(prog / (double)ns));
}

json_t *flow_tree_to_json(int64_t root, const struct flow_node *nodes, size_t n)
{
	json_t **o = n ? calloc(n, sizeof *o) : NULL, *out = NULL;
	json_int_t total = 0;

	if (!o)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		o[i] = node_to_json(&nodes[i]);
		total += nodes[i].findings;
	}
	/* Split parents first (their shards come after them), then link every
	 * node under its parent (ids grow downwards, so parents come first). */
	for (size_t i = 0; i < n; i++)
		if (nodes[i].flow & SCAN_FLOW_SPLIT)
			add_shards(nodes, n, i, o);
	for (size_t i = n; i-- > 1;) {
		for (size_t k = 0; k < i; k++)
			if (nodes[k].id == nodes[i].parent) {
				json_array_insert_new(json_object_get(o[k], "children"), 0, o[i]);
				o[i] = NULL;
				break;
			}
	}
	out = json_pack("{sI ss sI so}", "root", (json_int_t)root, "status", chain_status(nodes, n),
			"findings", total, "tree", o[0]);
	o[0] = NULL;
	for (size_t i = 0; i < n; i++)
		json_decref(o[i]);
	free(o);
	return out;
}

int flow_tree_read(struct store *s, int64_t id, json_t **out, const char **err)
{
	struct flow_node *nodes = NULL;
	size_t n = 0;
	int64_t root = 0;
	int rc;

	*out = NULL;
	*err = NULL;
	if ((rc = store_flow_tree(s, id, &root, &nodes, &n)) != STORE_OK)
		*err = store_error(s);
	else if (!(*out = flow_tree_to_json(root, nodes, n))) {
		*err = "out of memory";
		rc = STORE_ERROR;
	}
	flow_node_array_free(nodes, n);
	return rc;
}
