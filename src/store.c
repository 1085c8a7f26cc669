/*
 * store.c — opens the backend named by a URL and forwards every store.h
 * call to it through its `struct store_ops`.  Also the pieces every backend
 * shares: error messages, finding records and the retry backoff.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "store_impl.h"

int store_set_error(struct store *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof s->err, fmt, ap);
	va_end(ap);
	return STORE_ERROR;
}

struct store *store_open(const char *url, char *err, size_t errlen)
{
	return store_open_flags(url, 0, err, errlen);
}

struct store *store_open_flags(const char *url, int flags, char *err, size_t errlen)
{
	if (!url || !*url) {
		snprintf(err, errlen, "no database URL given");
		return NULL;
	}
	if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0)
		return store_pg_open(url, flags, err, errlen);
	if (strncmp(url, "sqlite://", 9) == 0)
		url += 9;
	else if (strstr(url, "://")) {
		snprintf(err, errlen, "unsupported database URL '%.100s' (expected sqlite://PATH or "
			 "postgres://...)", url);
		return NULL;
	}
	if (!*url) {
		snprintf(err, errlen, "the database URL names no file");
		return NULL;
	}
	return store_sqlite_open(url, flags, err, errlen);
}

void store_close(struct store *s)
{
	if (s)
		s->ops->close(s);
}

const char *store_url_redacted(const char *url, char *buf, size_t len)
{
	const char *scheme = strstr(url, "://"), *at, *colon;

	snprintf(buf, len, "%s", url);
	if (!scheme)
		return buf;
	scheme += 3;
	at = strchr(scheme, '@');
	colon = strchr(scheme, ':');
	if (at && colon && colon < at)
		snprintf(buf, len, "%.*s***%s", (int)(colon + 1 - url), url, at);
	/* libpq also takes ?password=...: cut the query string as a whole */
	if (strstr(buf, "password="))
		buf[strcspn(buf, "?")] = '\0';
	return buf;
}

const char *store_error(struct store *s) { return s->err; }
const char *store_backend(struct store *s) { return s->ops->name; }
int store_schema_latest(struct store *s) { return s->ops->schema_latest(s); }
int store_schema_version(struct store *s) { return s->ops->schema_version(s); }

int store_migrate(struct store *s, int target, int *applied)
{
	return s->ops->migrate(s, target, applied);
}

int store_submit_many(struct store *s, const struct scan_request *reqs, size_t n,
		      int64_t *ids, int *existed)
{
	return s->ops->submit_many(s, reqs, n, ids, existed);
}

int store_submit(struct store *s, const struct scan_request *req, int64_t *id, int *existed)
{
	int ex = 0;
	int rc = s->ops->submit_many(s, req, 1, id, &ex);

	if (existed)
		*existed = ex;
	return rc;
}

int store_get(struct store *s, int64_t id, struct scan *out)
{
	return s->ops->get(s, id, out);
}

int store_list(struct store *s, const struct scan_filter *f, struct scan **out, size_t *n)
{
	return s->ops->list(s, f, out, n);
}

int store_events(struct store *s, int64_t id, int limit, struct scan_event **out, size_t *n)
{
	return s->ops->events(s, id, limit, out, n);
}

int store_claim(struct store *s, const char *worker, int max, int lease_ms,
		struct scan **out, size_t *n)
{
	return s->ops->claim(s, worker, max, lease_ms, out, n);
}

int store_heartbeat(struct store *s, int64_t id, int attempt, int lease_ms,
		    double progress, int *cancel_requested)
{
	return s->ops->heartbeat(s, id, attempt, lease_ms, progress, cancel_requested);
}

int store_complete_many(struct store *s, struct store_completion *c, size_t n)
{
	return s->ops->complete_many(s, c, n);
}

int store_complete(struct store *s, int64_t id, int attempt, const char *summary,
		   const struct finding *findings, size_t n)
{
	struct store_completion c = {
		.id = id, .attempt = attempt, .summary = summary,
		.findings = findings, .nfindings = n,
	};
	int rc = s->ops->complete_many(s, &c, 1);

	return rc == STORE_OK ? c.rc : rc;
}

int store_fail(struct store *s, int64_t id, int attempt, const struct scan_failure *f,
	       enum scan_status *now_status)
{
	return s->ops->fail(s, id, attempt, f, now_status);
}

int store_cancelled(struct store *s, int64_t id, int attempt)
{
	return s->ops->cancelled(s, id, attempt);
}

int store_release(struct store *s, int64_t id, int attempt, const char *reason)
{
	return s->ops->release(s, id, attempt, reason);
}

int store_recover_leases(struct store *s, int *recovered, int *failed)
{
	return s->ops->recover_leases(s, recovered, failed);
}

int store_cancel(struct store *s, int64_t id, enum scan_status *now_status)
{
	return s->ops->cancel(s, id, now_status);
}

int store_retry(struct store *s, int64_t id)
{
	return s->ops->retry(s, id);
}

int store_stuck(struct store *s, int64_t pending_ms, int limit, struct stuck_scan **out,
		size_t *n, int64_t *total)
{
	return s->ops->stuck(s, pending_ms, limit, out, n, total);
}

int store_prune(struct store *s, int64_t before_ms, int batch, int max_batches, int dry_run,
		int64_t *deleted)
{
	return s->ops->prune(s, before_ms, batch, max_batches, dry_run, deleted);
}

int store_findings(struct store *s, int64_t scan_id, int64_t after_id, int limit,
		   struct finding **out, size_t *n)
{
	return s->ops->findings(s, scan_id, after_id, limit, out, n);
}

int store_queue_status(struct store *s, struct queue_status *q)
{
	return s->ops->queue_status(s, q);
}

int store_counters(struct store *s, struct store_counters *c)
{
	return s->ops->counters(s, c);
}

int store_worker_register(struct store *s, const struct worker_info *w)
{
	return s->ops->worker_register(s, w);
}

int store_worker_heartbeat(struct store *s, const char *name, int running, int64_t done)
{
	return s->ops->worker_heartbeat(s, name, running, done);
}

int store_worker_exited(struct store *s, const char *name, const char *reason)
{
	return s->ops->worker_exited(s, name, reason);
}

int store_worker_list(struct store *s, struct worker_info **out, size_t *n)
{
	return s->ops->worker_list(s, out, n);
}

int store_token_create(struct store *s, const char *name, const char *role,
		       const char *hash, int64_t *id)
{
	return s->ops->token_create(s, name, role, hash, id);
}

int store_token_get(struct store *s, int64_t id, char *role, char *hash)
{
	return s->ops->token_get(s, id, role, hash);
}

int store_token_any(struct store *s)
{
	return s->ops->token_any(s);
}

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
		{ "fenced_writes", offsetof(struct store_counters, fenced_writes) },
		{ "scan_duration_count", offsetof(struct store_counters, duration_count) },
		{ "scan_duration_sum_ms", offsetof(struct store_counters, duration_sum_ms) },
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
	return o;
}
