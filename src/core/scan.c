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

/* One field's value (a new reference). */
static json_t *json_field(enum scan_json_kind kind, const void *p)
{
	const char *text = kind == SJ_TEXTP || kind == SJ_STRP || kind == SJ_JSONP
		|| kind == SJ_ARRAYP ? *(char *const *)p : p;
	json_t *v;

	switch (kind) {
	case SJ_I64: return json_integer(*(const int64_t *)p);
	case SJ_INT: return json_integer(*(const int *)p);
	case SJ_I64_OR_NULL: return *(const int64_t *)p ? json_integer(*(const int64_t *)p) : json_null();
	case SJ_INT_OR_NULL: return *(const int *)p ? json_integer(*(const int *)p) : json_null();
	case SJ_TIME: return scan_json_time(*(const int64_t *)p);
	case SJ_STR: return json_string(text);
	case SJ_TEXT: case SJ_TEXTP: return scan_json_text(text);
	case SJ_STRP: return text && (v = json_string(text)) ? v : json_null();
	case SJ_JSONP: return json_or_null(text);
	case SJ_ARRAYP:
		v = text ? json_loads(text, 0, NULL) : NULL;
		if (json_is_array(v))
			return v;
		json_decref(v);
		return json_array();
	case SJ_BOOL: return json_boolean(*(const int *)p);
	case SJ_REAL: return json_real(*(const double *)p);
	case SJ_STATUS: return json_string(scan_status_name(*(const enum scan_status *)p));
	case SJ_POOL: return json_string(*text ? text : SCAN_POOL_LOCAL);
	}
	return json_null();
}

void scan_json_put(json_t *o, const struct scan_json_field *fields, size_t n, const void *src,
		   int internal)
{
	for (size_t i = 0; i < n; i++)
		if (internal || !fields[i].internal)
			json_object_set_new(o, fields[i].key,
					    json_field(fields[i].kind, (const char *)src + fields[i].off));
}

/* The API's scan object, in this order. */
static const struct scan_json_field scan_fields[] = {
	SCAN_JSON(struct scan, id, SJ_I64), SCAN_JSON(struct scan, type, SJ_STR),
	SCAN_JSON(struct scan, targets, SJ_JSONP), SCAN_JSON(struct scan, options, SJ_JSONP),
	SCAN_JSON(struct scan, status, SJ_STATUS), SCAN_JSON(struct scan, priority, SJ_INT),
	SCAN_JSON(struct scan, attempt, SJ_INT), SCAN_JSON(struct scan, max_attempts, SJ_INT),
	SCAN_JSON(struct scan, attempts_used, SJ_INT),
	SCAN_JSON(struct scan, schedule_id, SJ_I64_OR_NULL), SCAN_JSON(struct scan, pool, SJ_POOL),
	SCAN_JSON(struct scan, flow, SJ_INT), SCAN_JSON(struct scan, time_limit_s, SJ_INT),
	SCAN_JSON(struct scan, run_after, SJ_TIME), SCAN_JSON(struct scan, created_at, SJ_TIME),
	SCAN_JSON(struct scan, claimed_at, SJ_TIME), SCAN_JSON(struct scan, finished_at, SJ_TIME),
	SCAN_JSON(struct scan, lease_expires_at, SJ_TIME),
	SCAN_JSON(struct scan, worker_id, SJ_TEXT), SCAN_JSON(struct scan, cancel_requested, SJ_BOOL),
	SCAN_JSON(struct scan, progress, SJ_REAL), SCAN_JSON(struct scan, error_code, SJ_TEXT),
	SCAN_JSON(struct scan, error_message, SJ_TEXTP),
	SCAN_JSON_INTERNAL(struct scan, error_detail, SJ_TEXTP),
	SCAN_JSON(struct scan, summary, SJ_JSONP), SCAN_JSON(struct scan, idempotency_key, SJ_TEXTP),
	SCAN_JSON(struct scan, parent_id, SJ_I64_OR_NULL),
};

json_t *scan_to_json(const struct scan *s, int internal)
{
	json_t *o = json_object();

	if (o)
		scan_json_put(o, scan_fields, sizeof scan_fields / sizeof *scan_fields, s, internal);
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
