/*
 * util.c — what the store core and its callers share that is no query:
 * the failure decision, the retry backoff, the counters' names, and the
 * JSON forms of findings, queue status and workers (CLI, API and doctor
 * print the same thing).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "store/db.h"

void finding_release(struct finding *f)
{
	if (!f)
		return;
	free(f->target);
	free(f->service);
	free(f->title);
	free(f->detail);
	memset(f, 0, sizeof *f);
}

void finding_array_free(struct finding *arr, size_t n)
{
	if (!arr)
		return;
	for (size_t i = 0; i < n; i++)
		finding_release(&arr[i]);
	free(arr);
}

json_t *finding_to_json(const struct finding *f)
{
	json_t *o = json_object();
	json_t *detail = f->detail ? json_loads(f->detail, 0, NULL) : NULL;
	char ts[40];

	json_object_set_new(o, "id", json_integer(f->id));
	json_object_set_new(o, "scan_id", json_integer(f->scan_id));
	json_object_set_new(o, "kind", json_string(f->kind));
	json_object_set_new(o, "target", f->target ? json_string(f->target) : json_null());
	json_object_set_new(o, "port", f->port ? json_integer(f->port) : json_null());
	json_object_set_new(o, "proto", f->proto[0] ? json_string(f->proto) : json_null());
	json_object_set_new(o, "service", f->service ? json_string(f->service) : json_null());
	json_object_set_new(o, "severity", json_string(f->severity));
	json_object_set_new(o, "title", f->title ? json_string(f->title) : json_null());
	json_object_set_new(o, "detail", detail ? detail : json_object());
	json_object_set_new(o, "created_at",
			    json_string(scan_format_time(f->created_at, ts, sizeof ts)));
	return o;
}

void store_counter_set(struct store_counters *c, const char *name, int64_t value)
{
	static const struct { const char *name; size_t off; } map[] = {
		{ "submitted", offsetof(struct store_counters, submitted) },
		{ "claims", offsetof(struct store_counters, claims) },
		{ "completed", offsetof(struct store_counters, completed) },
		{ "failed", offsetof(struct store_counters, failed) },
		{ "cancelled", offsetof(struct store_counters, cancelled) },
		{ "retries", offsetof(struct store_counters, retries) },
		{ "lease_recoveries", offsetof(struct store_counters, lease_recoveries) },
		{ "worker_handbacks", offsetof(struct store_counters, worker_handbacks) },
		{ "fenced_writes", offsetof(struct store_counters, fenced_writes) },
		{ "scan_duration_count", offsetof(struct store_counters, duration_count) },
		{ "scan_duration_sum_ms", offsetof(struct store_counters, duration_sum_ms) },
		{ "changes_new", offsetof(struct store_counters, changes_new) },
		{ "changes_gone", offsetof(struct store_counters, changes_gone) },
		{ "changes_changed", offsetof(struct store_counters, changes_changed) },
		{ "webhook_delivered", offsetof(struct store_counters, webhook_delivered) },
		{ "webhook_retried", offsetof(struct store_counters, webhook_retried) },
		{ "webhook_failed", offsetof(struct store_counters, webhook_failed) },
	};
	char *end;
	long b;

	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
		if (strcmp(name, map[i].name) == 0) {
			*(int64_t *)((char *)c + map[i].off) = value;
			return;
		}
	}
	if (strncmp(name, "scan_duration_b", 15) == 0) {
		b = strtol(name + 15, &end, 10);
		if (!*end && b >= 0 && b < STORE_DURATION_BUCKETS)
			c->duration_buckets[b] = value;
	}
}

enum scan_action store_failure_action(int used, int max, int cancel_requested, int retryable)
{
	if (cancel_requested)
		return SCAN_ACT_CANCELLED;
	if (retryable && used < max)
		return SCAN_ACT_REQUEUE;
	return SCAN_ACT_FAIL;
}

int64_t store_backoff_ms(int used, int base_ms)
{
	uint32_t r = 0;
	double delay;

	if (base_ms <= 0)
		base_ms = 5000;
	if (used < 1)
		used = 1;
	delay = (double)base_ms;
	for (int i = 1; i < used && delay < 3600e3; i++)
		delay *= 2;
	if (delay > 3600e3)
		delay = 3600e3;
	if (getrandom(&r, sizeof r, 0) != sizeof r)
		r = (uint32_t)rand();
	return (int64_t)(delay * (0.5 + (double)r / 4294967296.0));
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

const char *worker_state(const struct worker_info *w, int64_t now)
{
	if (w->stopped_at)
		return "stopped";	/* exited and said so: not dead, not alive */
	if (now - w->heartbeat_at > STORE_WORKER_DEAD_MS)
		return "dead";
	return w->running > 0 ? "active" : "idle";
}

/* What an exit status means, as the seeds' operators had to learn it. */
const char *worker_exit_hint(const char *last_exit)
{
	if (strstr(last_exit, "137") || strstr(last_exit, "signal 9"))
		return "SIGKILL: out of memory, a stall kill or kill -9";
	if (strstr(last_exit, "143") || strstr(last_exit, "signal 15"))
		return "SIGTERM";
	return NULL;
}

json_t *worker_info_to_json(const struct worker_info *w, int64_t now)
{
	char started[40], beat[40];
	json_t *o = json_object(), *ids = json_array();
	const char *hint = worker_exit_hint(w->last_exit);

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
	json_object_set_new(o, "last_exit", w->last_exit[0] ? json_string(w->last_exit) : json_null());
	json_object_set_new(o, "last_exit_hint", hint ? json_string(hint) : json_null());
	json_object_set_new(o, "kind", json_string(w->kind[0] ? w->kind : "worker"));
	json_object_set_new(o, "pool", json_string(w->pool[0] ? w->pool : SCAN_POOL_LOCAL));
	json_object_set_new(o, "version", w->version[0] ? json_string(w->version) : json_null());
	json_object_set_new(o, "address", w->address[0] ? json_string(w->address) : json_null());
	return o;
}
