/*
 * scan.c — the scan record's status names, the state machine that every
 * backend consults before a write, and the JSON form of scans and events.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/scan.h"

static const char *status_names[SCAN_STATUS_COUNT] = {
	"pending", "running", "completed", "failed", "cancelled",
};

const char *scan_status_name(enum scan_status s)
{
	if ((unsigned)s >= SCAN_STATUS_COUNT)
		return "unknown";
	return status_names[s];
}

int scan_status_parse(const char *name, enum scan_status *out)
{
	for (int i = 0; i < SCAN_STATUS_COUNT; i++) {
		if (strcmp(name, status_names[i]) == 0) {
			*out = (enum scan_status)i;
			return 0;
		}
	}
	return -1;
}

/*
 * The lifecycle (README.md, "How scanq keeps scans honest") as (action, from) -> to.  -1 = not allowed.
 * Every write in every backend asks scan_action_allowed() first.
 */
static const signed char next_status[SCAN_ACTION_COUNT][SCAN_STATUS_COUNT] = {
	/*                    pending        running         completed failed        cancelled */
	[SCAN_ACT_CLAIM]     = { SCAN_RUNNING, -1,             -1, -1,           -1 },
	[SCAN_ACT_CANCEL]    = { SCAN_CANCELLED, -1,           -1, -1,           -1 },
	[SCAN_ACT_COMPLETE]  = { -1,           SCAN_COMPLETED, -1, -1,           -1 },
	[SCAN_ACT_REQUEUE]   = { -1,           SCAN_PENDING,   -1, -1,           -1 },
	[SCAN_ACT_FAIL]      = { -1,           SCAN_FAILED,    -1, -1,           -1 },
	[SCAN_ACT_CANCELLED] = { -1,           SCAN_CANCELLED, -1, -1,           -1 },
	[SCAN_ACT_RETRY]     = { -1,           -1,             -1, SCAN_PENDING, SCAN_PENDING },
};

static const char *action_names[SCAN_ACTION_COUNT] = {
	"claim", "cancel", "complete", "requeue", "fail", "cancelled", "retry",
};

int scan_action_allowed(enum scan_action action, enum scan_status from, enum scan_status *to)
{
	if ((unsigned)action >= SCAN_ACTION_COUNT || (unsigned)from >= SCAN_STATUS_COUNT
	    || next_status[action][from] < 0)
		return 0;
	if (to)
		*to = (enum scan_status)next_status[action][from];
	return 1;
}

int scan_may_cancel(enum scan_status status, int cancel_requested)
{
	if (scan_action_allowed(SCAN_ACT_CANCEL, status, NULL))
		return 1;
	return scan_action_allowed(SCAN_ACT_CANCELLED, status, NULL) && !cancel_requested;
}

int scan_transition_allowed(enum scan_status from, enum scan_status to)
{
	enum scan_status t;

	for (int a = 0; a < SCAN_ACTION_COUNT; a++)
		if (scan_action_allowed((enum scan_action)a, from, &t) && t == to)
			return 1;
	return 0;
}

const char *scan_action_name(enum scan_action action)
{
	return (unsigned)action < SCAN_ACTION_COUNT ? action_names[action] : "unknown";
}

void scan_release(struct scan *s)
{
	if (!s)
		return;
	free(s->targets);
	free(s->options);
	free(s->error_message);
	free(s->error_detail);
	free(s->summary);
	free(s->idempotency_key);
	memset(s, 0, sizeof *s);
}

void scan_array_free(struct scan *arr, size_t n)
{
	if (!arr)
		return;
	for (size_t i = 0; i < n; i++)
		scan_release(&arr[i]);
	free(arr);
}

int64_t scan_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *scan_format_time(int64_t ms, char *buf, size_t len)
{
	time_t sec = (time_t)(ms / 1000);
	struct tm tm;
	char base[24];

	gmtime_r(&sec, &tm);
	strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03dZ", base, (int)(ms % 1000));
	return buf;
}

json_t *scan_json_time(int64_t ms)
{
	char buf[40];

	return ms ? json_string(scan_format_time(ms, buf, sizeof buf)) : json_null();
}

json_t *scan_json_text(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

/* Parses stored JSON text; a column that does not parse is shown as a string
 * rather than dropped, so nothing is hidden from an operator. */
static json_t *json_or_null(const char *text)
{
	json_t *v;

	if (!text || !*text)
		return json_null();
	v = json_loads(text, JSON_DECODE_ANY, NULL);
	return v ? v : json_string(text);
}

json_t *scan_to_json(const struct scan *s, int internal)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new(o, "id", json_integer(s->id));
	json_object_set_new(o, "type", json_string(s->type));
	json_object_set_new(o, "targets", json_or_null(s->targets));
	json_object_set_new(o, "options", json_or_null(s->options));
	json_object_set_new(o, "status", json_string(scan_status_name(s->status)));
	json_object_set_new(o, "priority", json_integer(s->priority));
	json_object_set_new(o, "attempt", json_integer(s->attempt));
	json_object_set_new(o, "max_attempts", json_integer(s->max_attempts));
	json_object_set_new(o, "attempts_used", json_integer(s->attempts_used));
	json_object_set_new(o, "schedule_id", s->schedule_id ? json_integer(s->schedule_id) : json_null());
	json_object_set_new(o, "pool", json_string(s->pool[0] ? s->pool : SCAN_POOL_LOCAL));
	json_object_set_new(o, "flow", json_integer(s->flow));
	json_object_set_new(o, "time_limit_s", json_integer(s->time_limit_s));
	json_object_set_new(o, "run_after", scan_json_time(s->run_after));
	json_object_set_new(o, "created_at", scan_json_time(s->created_at));
	json_object_set_new(o, "claimed_at", scan_json_time(s->claimed_at));
	json_object_set_new(o, "finished_at", scan_json_time(s->finished_at));
	json_object_set_new(o, "lease_expires_at", scan_json_time(s->lease_expires_at));
	json_object_set_new(o, "worker_id", scan_json_text(s->worker_id));
	json_object_set_new(o, "cancel_requested", json_boolean(s->cancel_requested));
	json_object_set_new(o, "progress", json_real(s->progress));
	json_object_set_new(o, "error_code", scan_json_text(s->error_code));
	json_object_set_new(o, "error_message", scan_json_text(s->error_message));
	if (internal)
		json_object_set_new(o, "error_detail", scan_json_text(s->error_detail));
	json_object_set_new(o, "summary", json_or_null(s->summary));
	json_object_set_new(o, "idempotency_key", scan_json_text(s->idempotency_key));
	json_object_set_new(o, "parent_id", s->parent_id ? json_integer(s->parent_id) : json_null());
	return o;
}

json_t *scan_event_to_json(const struct scan_event *e)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new(o, "at", scan_json_time(e->at));
	json_object_set_new(o, "from", e->from < 0 ? json_null()
			    : json_string(scan_status_name((enum scan_status)e->from)));
	json_object_set_new(o, "to", json_string(scan_status_name(e->to)));
	json_object_set_new(o, "attempt", json_integer(e->attempt));
	json_object_set_new(o, "worker_id", scan_json_text(e->worker_id));
	json_object_set_new(o, "reason", scan_json_text(e->reason));
	return o;
}
