/*
 * util.c — what the store core and its callers share that is no query:
 * the failure decision, the retry backoff, the counters' names, a
 * finding's release and a worker's state and exit hint.  The JSON forms
 * of these structs live above the store (app/views.c, app/findings.c).
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
