/*
 * api.c — the HTTP server of scanq (see api.h): libmicrohttpd in
 * internal-thread-pool + epoll mode, one route table, per-thread store
 * handles, problem+json errors, and the web UI's static files.
 *
 * A request goes: route match (404 / 405) -> body collected up to the cap
 * (413) -> authentication (401) and role (403) -> handler.  Handlers read
 * and write only through store.h and submit.h, so the API accepts exactly
 * what the CLI accepts and the database stays the one source of truth.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <microhttpd.h>
#include "clock.h"
#include "api.h"
#include "num.h"
#include "auth.h"
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "scan.h"
#include "store/store.h"
#include "submit.h"

#define STATIC_MAX   (1024 * 1024)	/* largest UI file loaded */
#define QUERY_MAX    256		/* longest query parameter value used */
#define SEGMENTS_MAX 8			/* path segments matched */
#define TOKEN_RECHECK_MS 1000		/* "are there tokens yet?" at most this often */

struct req;
typedef enum MHD_Result (*handler_fn)(struct req *r);

struct route {
	const char *method;
	const char *pattern;	/* segments; "{id}" and "{file}" match one segment */
	handler_fn handler;
	enum auth_role role;	/* AUTH_NONE: open to everyone */
	const char *name;	/* label of the metrics */
};

struct static_file {
	const char *name;	/* file name in web/ */
	const char *type;	/* Content-Type */
	char *data;
	size_t len;
};

struct api {
	struct MHD_Daemon *d;
	char db_url[512];
	char listen[160];
	int loopback;		/* listening on a loopback address only */
	size_t body_max;
	pthread_key_t store_key;
	int tokens_exist;	/* sticky: once a token exists, auth is on for good */
	int64_t tokens_checked_ms;
	struct metrics *metrics;
	/* Held around every write: server threads queue here instead of in
	 * SQLite's busy handler, whose sleeps cost far more than the write. */
	pthread_mutex_t write_lock;
	char web_dir[PATH_MAX];
	struct static_file files[3];
	int port;
};

struct req {
	struct api *api;
	struct MHD_Connection *conn;
	const char *method;
	const char *url;
	int route;		/* index in routes[], -1 when none matched */
	char *body;
	size_t len;
	int too_big;
	int code;		/* the status answered, for the metrics */
	int64_t start_ns;
	enum auth_role role;
	int authed;		/* a token was checked (else open loopback mode) */
	struct store *s;
	char param[128];	/* the {id} or {file} segment */
	char allow[64];		/* methods of the path, for a 405 */
};

static enum MHD_Result h_healthz(struct req *r);
static enum MHD_Result h_readyz(struct req *r);
static enum MHD_Result h_scheduler(struct req *r);
static enum MHD_Result h_metrics(struct req *r);
static enum MHD_Result h_me(struct req *r);
static enum MHD_Result h_queue(struct req *r);
static enum MHD_Result h_workers(struct req *r);
static enum MHD_Result h_submit(struct req *r);
static enum MHD_Result h_list(struct req *r);
static enum MHD_Result h_get(struct req *r);
static enum MHD_Result h_findings(struct req *r);
static enum MHD_Result h_retry(struct req *r);
static enum MHD_Result h_cancel(struct req *r);
static enum MHD_Result h_token_create(struct req *r);
static enum MHD_Result h_index(struct req *r);
static enum MHD_Result h_static(struct req *r);

/* The route table.  Order matters only where a literal segment and a
 * parameter could both match: the literal comes first. */
static const struct route routes[] = {
	{ "GET", "/healthz", h_healthz, AUTH_NONE, "healthz" },
	{ "GET", "/readyz", h_readyz, AUTH_NONE, "readyz" },
	{ "GET", "/health/scheduler", h_scheduler, AUTH_VIEWER, "health_scheduler" },
	{ "GET", "/metrics", h_metrics, AUTH_VIEWER, "metrics" },
	{ "GET", "/api/v1/me", h_me, AUTH_VIEWER, "me" },
	{ "GET", "/api/v1/scans/queue/status", h_queue, AUTH_VIEWER, "queue_status" },
	{ "GET", "/api/v1/workers", h_workers, AUTH_VIEWER, "workers" },
	{ "POST", "/api/v1/scans", h_submit, AUTH_OPERATOR, "scans_submit" },
	{ "GET", "/api/v1/scans", h_list, AUTH_VIEWER, "scans_list" },
	{ "GET", "/api/v1/scans/{id}", h_get, AUTH_VIEWER, "scan_get" },
	{ "GET", "/api/v1/scans/{id}/findings", h_findings, AUTH_VIEWER, "scan_findings" },
	{ "POST", "/api/v1/scans/{id}/retry", h_retry, AUTH_OPERATOR, "scan_retry" },
	{ "POST", "/api/v1/scans/{id}/cancel", h_cancel, AUTH_OPERATOR, "scan_cancel" },
	{ "POST", "/api/v1/tokens", h_token_create, AUTH_ADMIN, "tokens_create" },
	{ "GET", "/", h_index, AUTH_NONE, "ui" },
	{ "GET", "/scans/{id}", h_index, AUTH_NONE, "ui_scan" },
	{ "GET", "/static/{file}", h_static, AUTH_NONE, "ui_static" },
};
#define NROUTES ((int)(sizeof routes / sizeof routes[0]))

static const char *route_names[NROUTES];

/* ---- small helpers ------------------------------------------------------------ */


/* Copies `s` for a message: printable ASCII only, at most 60 bytes, so a
 * detail built from input is always valid UTF-8 and one line. */
static const char *clean(const char *s, char *buf, size_t len)
{
	size_t j = 0;

	for (size_t i = 0; s && s[i] && j + 4 < len && i < 60; i++)
		buf[j++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (s && strlen(s) > 60 && j + 4 < len) {
		memcpy(buf + j, "...", 3);
		j += 3;
	}
	buf[j] = '\0';
	return buf;
}

static const char *status_title(int status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Error";
	}
}

static void set_problem(struct api_problem *p, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void set_problem(struct api_problem *p, int status, const char *code, const char *fmt, ...)
{
	va_list ap;

	p->status = status;
	snprintf(p->code, sizeof p->code, "%s", code);
	va_start(ap, fmt);
	vsnprintf(p->detail, sizeof p->detail, fmt, ap);
	va_end(ap);
}

/* ---- responses ------------------------------------------------------------------ */

static enum MHD_Result send_buf(struct req *r, int status, const char *type, char *buf,
				size_t len, enum MHD_ResponseMemoryMode mode, const char *hname,
				const char *hvalue)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(len, buf, mode);
	if (!resp) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(buf);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", type);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (hname)
		MHD_add_response_header(resp, hname, hvalue);
	r->code = status;
	ret = MHD_queue_response(r->conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Sends `o` (a new reference, consumed) as the JSON body. */
static enum MHD_Result reply_json(struct req *r, int status, json_t *o, const char *hname,
				  const char *hvalue)
{
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	if (!text) {
		static char oom[] = "{\"code\":\"internal\",\"status\":500}";
		return send_buf(r, 500, "application/problem+json", oom, sizeof oom - 1,
				MHD_RESPMEM_PERSISTENT, NULL, NULL);
	}
	return send_buf(r, status, "application/json", text, strlen(text),
			MHD_RESPMEM_MUST_FREE, hname, hvalue);
}

/* Length of the valid UTF-8 sequence at s, or 0 if it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((n == 3 && s[0] == 0xe0 && s[1] < 0xa0) || (n == 3 && s[0] == 0xed && s[1] > 0x9f)
	    || (n == 4 && s[0] == 0xf0 && s[1] < 0x90) || (n == 4 && s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	return n;
}

/* Makes text from other modules safe for a client: control characters
 * and bytes that are not valid UTF-8 become '?'.  In place. */
static void sanitize(char *s)
{
	unsigned char *u = (unsigned char *)s;

	while (*u) {
		size_t n = utf8_len(u);
		if (n == 0 || (n == 1 && (*u < 0x20 || *u == 0x7f))) {
			*u++ = '?';
			continue;
		}
		u += n;
	}
}

json_t *api_problem_json(const struct api_problem *p)
{
	struct api_problem c = *p;
	char type[64];

	c.code[sizeof c.code - 1] = c.detail[sizeof c.detail - 1] = '\0';
	sanitize(c.code);
	sanitize(c.detail);
	snprintf(type, sizeof type, "urn:scanq:problem:%s", c.code);
	return json_pack("{ss ss si ss ss}", "type", type, "title", status_title(c.status),
			 "status", c.status, "code", c.code, "detail", c.detail);
}

static enum MHD_Result reply_problem_p(struct req *r, const struct api_problem *p,
				       const char *hname, const char *hvalue)
{
	json_t *o = api_problem_json(p);
	char *text;

	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!text) {
		static char oom[] = "{\"code\":\"internal\",\"status\":500}";
		return send_buf(r, 500, "application/problem+json", oom, sizeof oom - 1,
				MHD_RESPMEM_PERSISTENT, NULL, NULL);
	}
	if (p->status >= 500)
		log_warn("http request failed", "method=%s route=%s status=%d code=%s", r->method,
			 r->route >= 0 ? routes[r->route].name : "none", p->status, p->code);
	return send_buf(r, p->status, "application/problem+json", text, strlen(text),
			MHD_RESPMEM_MUST_FREE, hname, hvalue);
}

static enum MHD_Result problem(struct req *r, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static enum MHD_Result problem(struct req *r, int status, const char *code, const char *fmt, ...)
{
	struct api_problem p;
	va_list ap;

	p.status = status;
	snprintf(p.code, sizeof p.code, "%s", code);
	va_start(ap, fmt);
	vsnprintf(p.detail, sizeof p.detail, fmt, ap);
	va_end(ap);
	return reply_problem_p(r, &p, NULL, NULL);
}

/* The store failed: the reason goes to the log, a generic line to the client. */
static enum MHD_Result store_problem(struct req *r, const char *what)
{
	char q[300];

	log_error("store call failed", "what=\"%s\" error=%s", what,
		  log_quote(store_error(r->s), q, sizeof q));
	return problem(r, 503, "store_unavailable", "the database could not be read or written; "
		       "try again");
}

/* ---- per-thread store ------------------------------------------------------------ */

static void close_store(void *p)
{
	store_close(p);
}

/* This thread's store handle, opened on first use.  NULL if it cannot be
 * opened (logged once per attempt). */
static struct store *thread_store(struct api *a)
{
	struct store *s = pthread_getspecific(a->store_key);
	char err[256];

	if (s)
		return s;
	s = store_open_flags(a->db_url, STORE_NO_MIGRATE, err, sizeof err);
	if (!s) {
		char q[300];
		log_error("cannot open the store", "error=%s", log_quote(err, q, sizeof q));
		return NULL;
	}
	pthread_setspecific(a->store_key, s);
	return s;
}

/* 1 when requests must carry a token. */
static int auth_required(struct api *a, struct store *s)
{
	int64_t now;

	if (!a->loopback || __atomic_load_n(&a->tokens_exist, __ATOMIC_ACQUIRE))
		return 1;
	now = clock_mono_ns() / 1000000;
	if (now - __atomic_load_n(&a->tokens_checked_ms, __ATOMIC_RELAXED) < TOKEN_RECHECK_MS)
		return 0;
	__atomic_store_n(&a->tokens_checked_ms, now, __ATOMIC_RELAXED);
	if (store_token_any(s) == 1) {
		__atomic_store_n(&a->tokens_exist, 1, __ATOMIC_RELEASE);
		log_info("api tokens exist: authentication is now required", "listen=%s",
			 a->listen);
		return 1;
	}
	return 0;
}

/* ---- query parameters --------------------------------------------------------------- */

static const char *query(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

/* The {id} of the path.  Returns 0, or -1 after answering 400. */
static int path_id(struct req *r, int64_t *id, enum MHD_Result *ret)
{
	long long v;
	char c[80];

	if (num_parse(r->param, 1, INT64_MAX, &v) < 0) {
		*ret = problem(r, 400, "invalid_id", "scan id must be a positive integer, not '%s'",
			       clean(r->param, c, sizeof c));
		return -1;
	}
	*id = v;
	return 0;
}

/* ---- body parsing ------------------------------------------------------------------- */

static int json_problem(const char *body, size_t len, json_t **root, struct api_problem *p)
{
	json_error_t je;

	*root = NULL;
	if (len == 0) {
		set_problem(p, 400, "empty_body", "the request needs a JSON object body");
		return -1;
	}
	*root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (!*root) {
		char c[80];
		set_problem(p, 400, "invalid_json", "the body is not valid JSON: %s (line %d, column %d)",
			    clean(je.text, c, sizeof c), je.line, je.column);
		return -1;
	}
	if (!json_is_object(*root)) {
		json_decref(*root);
		*root = NULL;
		set_problem(p, 400, "invalid_body", "the body must be a JSON object");
		return -1;
	}
	return 0;
}

static int int_field(json_t *v, const char *key, long long *out, struct api_problem *p)
{
	if (!json_is_integer(v)) {
		set_problem(p, 422, "invalid_field", "%s must be an integer", key);
		return -1;
	}
	*out = (long long)json_integer_value(v);
	return 0;
}

int api_parse_submit(const char *body, size_t len, struct submit_input *in, json_t **root,
		     struct api_problem *p)
{
	const char *key;
	json_t *v;
	char c[80];

	if (json_problem(body, len, root, p) < 0)
		return -1;
	json_object_foreach(*root, key, v) {
		if (strcmp(key, "type") == 0) {
			if (!json_is_string(v)) {
				set_problem(p, 422, "invalid_field", "type must be a string");
				goto fail;
			}
			in->type = json_string_value(v);
		} else if (strcmp(key, "targets") == 0) {
			size_t i;
			json_t *t;
			if (!json_is_array(v)) {
				set_problem(p, 422, "invalid_field", "targets must be an array of strings");
				goto fail;
			}
			json_array_foreach(v, i, t) {
				if (!json_is_string(t)) {
					set_problem(p, 422, "invalid_field",
						    "targets[%zu] must be a string", i);
					goto fail;
				}
			}
			in->targets = v;
		} else if (strcmp(key, "ports") == 0) {
			if (!json_is_string(v)) {
				set_problem(p, 422, "invalid_field",
					    "ports must be a string such as \"22,80\" or \"1-1024\"");
				goto fail;
			}
			in->ports = json_string_value(v);
		} else if (strcmp(key, "priority") == 0) {
			if (int_field(v, key, &in->priority, p) < 0)
				goto fail;
		} else if (strcmp(key, "max_attempts") == 0) {
			if (int_field(v, key, &in->max_attempts, p) < 0)
				goto fail;
		} else if (strcmp(key, "time_limit_s") == 0) {
			if (int_field(v, key, &in->time_limit_s, p) < 0)
				goto fail;
		} else if (strcmp(key, "options") == 0) {
			if (!json_is_object(v)) {
				set_problem(p, 422, "invalid_field", "options must be a JSON object");
				goto fail;
			}
			in->options = v;
		} else {
			set_problem(p, 422, "unknown_field", "unknown field '%s'", clean(key, c, sizeof c));
			goto fail;
		}
	}
	if (!in->type) {
		set_problem(p, 422, "missing_field", "type is required");
		goto fail;
	}
	if (!in->targets) {
		set_problem(p, 422, "missing_field", "targets is required");
		goto fail;
	}
	return 0;
fail:
	json_decref(*root);
	*root = NULL;
	return -1;
}

/* ---- handlers: health and metrics -------------------------------------------------------- */

static enum MHD_Result h_healthz(struct req *r)
{
	return reply_json(r, 200, json_pack("{ss}", "status", "ok"), NULL, NULL);
}

static enum MHD_Result h_readyz(struct req *r)
{
	int v, latest;

	if (!r->s)
		return problem(r, 503, "not_ready", "the database cannot be opened");
	v = store_schema_version(r->s);
	latest = store_schema_latest(r->s);
	if (v < 0)
		return problem(r, 503, "not_ready", "the database cannot be read");
	if (v != latest)
		return problem(r, 503, "not_ready", "the database schema is at version %d, this "
			       "build needs %d: run scanq migrate", v, latest);
	return reply_json(r, 200, json_pack("{sssi}", "status", "ready", "schema", v), NULL, NULL);
}

static enum MHD_Result h_scheduler(struct req *r)
{
	struct stuck_scan *st = NULL;
	struct queue_status q;
	size_t n = 0;
	int64_t total = 0;
	int npending = 0, nlease = 0;
	json_t *o, *list;

	if (store_queue_status(r->s, &q) != STORE_OK)
		return store_problem(r, "queue status");
	if (store_stuck(r->s, (int64_t)config.stuck_hours * 3600 * 1000, 20, &st, &n, &total)
	    != STORE_OK)
		return store_problem(r, "stuck report");
	list = json_array();
	for (size_t i = 0; i < n; i++) {
		char since[40];
		if (st[i].reason == STUCK_PENDING_TOO_LONG)
			npending++;
		else
			nlease++;
		json_array_append_new(list, json_pack("{sI ss ss ss si ss}", "id", (json_int_t)st[i].id,
			"type", st[i].type, "status", scan_status_name(st[i].status),
			"reason", st[i].reason == STUCK_PENDING_TOO_LONG ? "pending_too_long"
			: "lease_expired", "attempt", st[i].attempt,
			"since", scan_format_time(st[i].since, since, sizeof since)));
	}
	free(st);
	int nobody = q.by_status[SCAN_PENDING] > 0 && q.workers_active + q.workers_idle == 0;
	if (total == 0 && !nobody) {
		json_decref(list);
		return reply_json(r, 200, json_pack("{ss sf si}", "status", "healthy",
						    "oldest_pending_s", q.oldest_pending_ms / 1000.0,
						    "workers_dead", q.workers_dead), NULL, NULL);
	}
	o = json_pack("{ss sI s{si si sf si si si so}}", "status", "warning",
		      "stuck_scans", (json_int_t)total, "details",
		      "pending_too_long", npending, "lease_expired", nlease,
		      "oldest_pending_s", q.oldest_pending_ms / 1000.0,
		      "stuck_hours", config.stuck_hours,
		      "workers_live", q.workers_active + q.workers_idle,
		      "workers_dead", q.workers_dead, "scans", list);
	if (o && nobody)
		json_object_set_new(o, "reason", json_string("scans are pending and no worker is alive"));
	return reply_json(r, 200, o, NULL, NULL);
}

static enum MHD_Result h_metrics(struct req *r)
{
	char *text;
	size_t len;

	if (metrics_render(r->api->metrics, r->s, &text, &len) < 0)
		return store_problem(r, "metrics");
	return send_buf(r, 200, "text/plain; version=0.0.4; charset=utf-8", text, len,
			MHD_RESPMEM_MUST_FREE, NULL, NULL);
}

static enum MHD_Result h_me(struct req *r)
{
	return reply_json(r, 200, json_pack("{ss sb}", "role", auth_role_name(r->role),
					    "auth_required", r->authed), NULL, NULL);
}

static enum MHD_Result h_queue(struct req *r)
{
	struct queue_status q;

	if (store_queue_status(r->s, &q) != STORE_OK)
		return store_problem(r, "queue status");
	return reply_json(r, 200, queue_status_to_json(&q), NULL, NULL);
}

static enum MHD_Result h_workers(struct req *r)
{
	struct worker_info *ws = NULL;
	int64_t now = scan_now_ms();
	size_t n = 0;
	json_t *arr;

	if (store_worker_list(r->s, &ws, &n) != STORE_OK)
		return store_problem(r, "worker list");
	arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, worker_info_to_json(&ws[i], now));
	free(ws);
	return reply_json(r, 200, json_pack("{so}", "workers", arr), NULL, NULL);
}

/* ---- handlers: scans ------------------------------------------------------------------ */

/* The HTTP status of a submit_scan() refusal. */
static int submit_status(const char *code)
{
	if (strcmp(code, "out_of_scope") == 0)
		return 403;
	if (strcmp(code, "store_error") == 0)
		return 503;
	return 422;
}

static int header_printable(const char *v)
{
	for (; *v; v++)
		if (*v < 0x20 || *v > 0x7e)
			return 0;
	return 1;
}

static int media_type_ok(struct req *r)
{
	const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Type");

	if (!ct)
		return 1;
	return strncasecmp(ct, "application/json", 16) == 0 && (ct[16] == '\0' || ct[16] == ';'
								 || ct[16] == ' ');
}

static enum MHD_Result h_submit(struct req *r)
{
	struct submit_input in;
	struct submit_error se;
	struct api_problem p;
	struct scan sc = { 0 };
	json_t *root = NULL;
	const char *key;
	char loc[64];
	int64_t id;
	int existed = 0;
	enum MHD_Result ret;

	if (!media_type_ok(r))
		return problem(r, 415, "unsupported_media_type",
			       "send the scan as Content-Type: application/json");
	submit_input_init(&in);
	key = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Idempotency-Key");
	if (key && (!*key || strlen(key) > SCAN_KEY_MAX || !header_printable(key)))
		return problem(r, 400, "invalid_header", "Idempotency-Key must be 1 to %d printable "
			       "ASCII characters", SCAN_KEY_MAX);
	in.idempotency_key = key;
	if (api_parse_submit(r->body, r->len, &in, &root, &p) < 0)
		return reply_problem_p(r, &p, NULL, NULL);
	if (submit_scan(r->s, &in, &id, &existed, &se) < 0) {
		json_decref(root);
		if (strcmp(se.code, "store_error") == 0)
			return store_problem(r, "submit");
		return problem(r, submit_status(se.code), se.code, "%s", se.message);
	}
	json_decref(root);
	snprintf(loc, sizeof loc, "/api/v1/scans/%lld", (long long)id);
	if (!existed)
		return reply_json(r, 202, json_pack("{sI ss}", "id", (json_int_t)id, "status",
						    "pending"), "Location", loc);
	/* A repeat: the scan the key first queued, as it is now. */
	if (store_get(r->s, id, &sc) != STORE_OK)
		return store_problem(r, "read after submit");
	ret = reply_json(r, 200, json_pack("{sI ss sb}", "id", (json_int_t)id, "status",
					   scan_status_name(sc.status), "existed", 1),
			 "Location", loc);
	scan_release(&sc);
	return ret;
}

static enum MHD_Result h_list(struct req *r)
{
	struct scan_filter f = { .status = -1, .limit = API_LIST_DEFAULT };
	const char *st = query(r, "status"), *type = query(r, "type"), *lim = query(r, "limit"),
		   *cur = query(r, "cursor");
	struct scan *arr = NULL;
	enum scan_status es;
	long long v;
	size_t n = 0;
	json_t *a, *o;
	char c[80];

	if (st && *st) {
		if (scan_status_parse(st, &es) < 0)
			return problem(r, 400, "invalid_query", "unknown status '%s' (pending, running, "
				       "completed, failed, cancelled)", clean(st, c, sizeof c));
		f.status = (int)es;
	}
	if (type && *type) {
		if (strlen(type) >= SCAN_TYPE_MAX)
			return problem(r, 400, "invalid_query", "type is too long");
		f.type = type;
	}
	if (lim) {
		if (num_parse(lim, 1, STORE_LIST_MAX, &v) < 0)
			return problem(r, 400, "invalid_query", "limit must be from 1 to %d",
				       STORE_LIST_MAX);
		f.limit = (int)v;
	}
	if (cur && *cur) {
		if (num_parse(cur, 1, INT64_MAX, &v) < 0)
			return problem(r, 400, "invalid_query", "cursor must be a scan id");
		f.before_id = v;
	}
	if (store_list(r->s, &f, &arr, &n) != STORE_OK)
		return store_problem(r, "list");
	a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, scan_to_json(&arr[i], r->authed && r->role == AUTH_ADMIN));
	o = json_pack("{so}", "scans", a);
	json_object_set_new(o, "next_cursor", n == (size_t)f.limit
			    ? json_integer(arr[n - 1].id) : json_null());
	scan_array_free(arr, n);
	return reply_json(r, 200, o, NULL, NULL);
}

static enum MHD_Result h_get(struct req *r)
{
	struct scan_event *ev = NULL;
	struct scan sc = { 0 };
	size_t n = 0;
	int64_t id;
	int rc;
	enum MHD_Result ret;
	json_t *o, *events;

	if (path_id(r, &id, &ret) < 0)
		return ret;
	rc = store_get(r->s, id, &sc);
	if (rc == STORE_NOT_FOUND)
		return problem(r, 404, "not_found", "no scan %lld", (long long)id);
	if (rc != STORE_OK)
		return store_problem(r, "get");
	if (store_events(r->s, id, API_EVENTS_MAX, &ev, &n) != STORE_OK) {
		scan_release(&sc);
		return store_problem(r, "events");
	}
	o = scan_to_json(&sc, r->authed && r->role == AUTH_ADMIN);
	events = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(events, scan_event_to_json(&ev[i]));
	free(ev);
	json_object_set_new(o, "events", events);
	json_object_set_new(o, "allowed", json_pack("{sb sb}",
		"retry", scan_action_allowed(SCAN_ACT_RETRY, sc.status, NULL),
		"cancel", sc.status == SCAN_PENDING
			  || (sc.status == SCAN_RUNNING && !sc.cancel_requested)));
	scan_release(&sc);
	return reply_json(r, 200, o, NULL, NULL);
}

static enum MHD_Result h_findings(struct req *r)
{
	const char *after = query(r, "after"), *lim = query(r, "limit");
	struct finding *fs = NULL;
	int64_t id, after_id = 0;
	int limit = API_LIST_DEFAULT * 4, rc;
	long long v;
	size_t n = 0;
	enum MHD_Result ret;
	json_t *a, *o;

	if (path_id(r, &id, &ret) < 0)
		return ret;
	if (after && *after) {
		if (num_parse(after, 0, INT64_MAX, &v) < 0)
			return problem(r, 400, "invalid_query", "after must be a finding id");
		after_id = v;
	}
	if (lim) {
		if (num_parse(lim, 1, STORE_LIST_MAX, &v) < 0)
			return problem(r, 400, "invalid_query", "limit must be from 1 to %d",
				       STORE_LIST_MAX);
		limit = (int)v;
	}
	rc = store_findings(r->s, id, after_id, limit, &fs, &n);
	if (rc == STORE_NOT_FOUND)
		return problem(r, 404, "not_found", "no scan %lld", (long long)id);
	if (rc != STORE_OK)
		return store_problem(r, "findings");
	a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, finding_to_json(&fs[i]));
	o = json_pack("{so}", "findings", a);
	json_object_set_new(o, "next_cursor", n == (size_t)limit ? json_integer(fs[n - 1].id)
			    : json_null());
	finding_array_free(fs, n);
	return reply_json(r, 200, o, NULL, NULL);
}

/* Answers 409 for an illegal retry/cancel, naming the scan's status. */
static enum MHD_Result conflict(struct req *r, int64_t id, const char *why)
{
	struct scan sc = { 0 };
	enum MHD_Result ret;

	if (store_get(r->s, id, &sc) != STORE_OK)
		return problem(r, 409, "illegal_transition", "scan %lld: %s", (long long)id, why);
	ret = problem(r, 409, "illegal_transition", "scan %lld is %s: %s", (long long)id,
		      scan_status_name(sc.status), why);
	scan_release(&sc);
	return ret;
}

static enum MHD_Result h_retry(struct req *r)
{
	int64_t id;
	int rc;
	enum MHD_Result ret;

	if (path_id(r, &id, &ret) < 0)
		return ret;
	rc = store_retry(r->s, id);
	if (rc == STORE_NOT_FOUND)
		return problem(r, 404, "not_found", "no scan %lld", (long long)id);
	if (rc == STORE_ILLEGAL)
		return conflict(r, id, "only failed or cancelled scans can be retried");
	if (rc != STORE_OK)
		return store_problem(r, "retry");
	log_info("scan retried via api", "scan=%lld role=%s", (long long)id, auth_role_name(r->role));
	return reply_json(r, 202, json_pack("{sI ss}", "id", (json_int_t)id, "status", "pending"),
			  NULL, NULL);
}

static enum MHD_Result h_cancel(struct req *r)
{
	enum scan_status now = SCAN_CANCELLED;
	int64_t id;
	int rc;
	enum MHD_Result ret;

	if (path_id(r, &id, &ret) < 0)
		return ret;
	rc = store_cancel(r->s, id, &now);
	if (rc == STORE_NOT_FOUND)
		return problem(r, 404, "not_found", "no scan %lld", (long long)id);
	if (rc == STORE_ILLEGAL)
		return conflict(r, id, "a finished scan cannot be cancelled");
	if (rc != STORE_OK)
		return store_problem(r, "cancel");
	log_info("scan cancel via api", "scan=%lld now=%s role=%s", (long long)id,
		 scan_status_name(now), auth_role_name(r->role));
	return reply_json(r, 202, json_pack("{sI ss sb}", "id", (json_int_t)id, "status",
					    scan_status_name(now), "cancel_requested",
					    now == SCAN_RUNNING), NULL, NULL);
}

static enum MHD_Result h_token_create(struct req *r)
{
	char secret[AUTH_SECRET_MAX], err[256], c[80];
	struct api_problem p;
	const char *role_s = NULL, *name = "api", *key;
	enum auth_role role;
	json_t *root = NULL, *v;
	int64_t id;
	enum MHD_Result ret;

	if (!media_type_ok(r))
		return problem(r, 415, "unsupported_media_type",
			       "send the token request as Content-Type: application/json");
	if (json_problem(r->body, r->len, &root, &p) < 0)
		return reply_problem_p(r, &p, NULL, NULL);
	json_object_foreach(root, key, v) {
		if (strcmp(key, "role") == 0 && json_is_string(v)) {
			role_s = json_string_value(v);
		} else if (strcmp(key, "name") == 0 && json_is_string(v)) {
			name = json_string_value(v);
		} else {
			ret = problem(r, 422, strcmp(key, "role") && strcmp(key, "name")
				      ? "unknown_field" : "invalid_field",
				      "field '%s' is unknown or not a string", clean(key, c, sizeof c));
			json_decref(root);
			return ret;
		}
	}
	if (!role_s || auth_role_parse(role_s, &role) < 0) {
		json_decref(root);
		return problem(r, 422, "invalid_field", "role must be viewer, operator or admin");
	}
	if (auth_token_create(r->s, role, name, secret, sizeof secret, &id, err, sizeof err) < 0) {
		json_decref(root);
		return problem(r, 422, "invalid_field", "%s", err);
	}
	ret = reply_json(r, 201, json_pack("{sI ss ss ss}", "id", (json_int_t)id, "role",
					   auth_role_name(role), "name", name, "token", secret),
			 NULL, NULL);
	log_info("api token created", "id=%lld role=%s", (long long)id, auth_role_name(role));
	json_decref(root);
	return ret;
}

/* ---- handlers: the UI ---------------------------------------------------------------- */

static enum MHD_Result send_static(struct req *r, const struct static_file *f)
{
	if (!f->data)
		return problem(r, 404, "ui_not_installed", "the web UI files were not found "
			       "(see SCANQ_WEB_DIR)");
	return send_buf(r, 200, f->type, f->data, f->len, MHD_RESPMEM_PERSISTENT,
			"Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'");
}

static enum MHD_Result h_index(struct req *r)
{
	return send_static(r, &r->api->files[0]);
}

static enum MHD_Result h_static(struct req *r)
{
	for (size_t i = 1; i < sizeof r->api->files / sizeof r->api->files[0]; i++)
		if (strcmp(r->param, r->api->files[i].name) == 0)
			return send_static(r, &r->api->files[i]);
	return problem(r, 404, "not_found", "no such file");
}

/* ---- dispatch ------------------------------------------------------------------------ */

/* Matches a path against a pattern; the parameter segment goes to param.
 * Returns 1 on a match. */
static int match(const char *pattern, const char *path, char *param, size_t plen)
{
	const char *p = pattern, *u = path;

	while (*p && *u) {
		if (*p != '/' || *u != '/')
			return 0;
		p++;
		u++;
		const char *pe = strchrnul(p, '/'), *ue = strchrnul(u, '/');
		size_t pl = (size_t)(pe - p), ul = (size_t)(ue - u);
		if (pl > 2 && p[0] == '{') {
			if (ul == 0 || ul >= plen)
				return 0;
			memcpy(param, u, ul);
			param[ul] = '\0';
		} else if (pl != ul || memcmp(p, u, pl) != 0) {
			return 0;
		}
		p = pe;
		u = ue;
	}
	return *p == '\0' && *u == '\0';
}

/* Finds the route.  Returns its index, -1 for no path, -2 for a path
 * whose method is wrong (allow gets the methods that would do). */
static int find_route(const char *method, const char *url, char *param, size_t plen,
		      char *allow, size_t alen)
{
	int path_seen = 0;

	if (strcmp(method, "HEAD") == 0)
		method = "GET";
	allow[0] = '\0';
	for (int i = 0; i < NROUTES; i++) {
		if (!match(routes[i].pattern, url, param, plen))
			continue;
		if (strcmp(routes[i].method, method) == 0)
			return i;
		if (!strstr(allow, routes[i].method)) {
			size_t l = strlen(allow);
			snprintf(allow + l, alen - l, "%s%s", l ? ", " : "", routes[i].method);
		}
		path_seen = 1;
	}
	return path_seen ? -2 : -1;
}

/* Runs a route's handler; the ones that write (every POST) hold the
 * server's write lock. */
static enum MHD_Result run(struct req *r, const struct route *rt)
{
	enum MHD_Result ret;

	if (strcmp(rt->method, "POST") != 0)
		return rt->handler(r);
	pthread_mutex_lock(&r->api->write_lock);
	ret = rt->handler(r);
	pthread_mutex_unlock(&r->api->write_lock);
	return ret;
}

static enum MHD_Result dispatch(struct req *r)
{
	const struct route *rt = &routes[r->route];
	struct api *a = r->api;
	const char *authz;
	int rc;

	if (r->too_big)
		return problem(r, 413, "body_too_large", "the body is larger than %zu bytes",
			       a->body_max);
	/* The UI's static files and /healthz need neither the store nor a token. */
	if (rt->role == AUTH_NONE && rt->handler != h_readyz)
		return rt->handler(r);
	r->s = thread_store(a);
	if (rt->handler == h_readyz)
		return rt->handler(r);
	if (!r->s)
		return problem(r, 503, "store_unavailable", "the database cannot be opened");
	if (!auth_required(a, r->s)) {
		r->role = AUTH_ADMIN;
		return run(r, rt);
	}
	authz = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Authorization");
	rc = auth_check(r->s, authz, &r->role);
	if (rc == AUTH_MISSING) {
		struct api_problem p = { 401, "unauthorized",
			"this server needs an API token: Authorization: Bearer <token>" };
		return reply_problem_p(r, &p, "WWW-Authenticate", "Bearer realm=\"scanq\"");
	}
	if (rc == AUTH_INVALID) {
		struct api_problem p = { 401, "invalid_token", "the API token is not valid" };
		return reply_problem_p(r, &p, "WWW-Authenticate",
				       "Bearer realm=\"scanq\", error=\"invalid_token\"");
	}
	if (rc != AUTH_OK)
		return store_problem(r, "token check");
	r->authed = 1;
	if (r->role < rt->role)
		return problem(r, 403, "forbidden", "this needs the %s role; the token has %s",
			       auth_role_name(rt->role), auth_role_name(r->role));
	return run(r, rt);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct api *a = cls;
	struct req *r = *con_cls;

	if (!r) {
		const char *cl;
		long long v;

		if (!(r = calloc(1, sizeof *r)))
			return MHD_NO;
		*con_cls = r;
		r->api = a;
		r->conn = conn;
		r->method = method;
		r->url = url;
		r->start_ns = clock_mono_ns();
		r->route = find_route(method, url, r->param, sizeof r->param, r->allow,
				      sizeof r->allow);
		/* An oversized body is refused before it is read (MHD then closes
		 * the connection).  Every other answer waits for the next call:
		 * answering in this first one would cost the keep-alive. */
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
		if (cl && (num_parse(cl, 0, LLONG_MAX, &v) < 0 || (unsigned long long)v > a->body_max))
			return problem(r, 413, "body_too_large", "the body is larger than %zu bytes",
				       a->body_max);
		return MHD_YES;
	}
	if (*upload_size) {
		if (!r->too_big && r->len + *upload_size <= a->body_max) {
			char *nb = realloc(r->body, r->len + *upload_size + 1);
			if (!nb)
				return MHD_NO;
			r->body = nb;
			memcpy(r->body + r->len, upload_data, *upload_size);
			r->len += *upload_size;
			r->body[r->len] = '\0';
		} else {
			r->too_big = 1;	/* read and dropped; answered 413 below */
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->code)
		return MHD_YES;	/* already answered */
	if (r->route == -1)
		return problem(r, 404, "not_found", "no such endpoint");
	if (r->route == -2) {
		struct api_problem p = { 405, "method_not_allowed", "" };
		snprintf(p.detail, sizeof p.detail, "this endpoint takes %s", r->allow);
		r->route = -1;
		return reply_problem_p(r, &p, "Allow", r->allow);
	}
	return dispatch(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct api *a = cls;
	struct req *r = *con_cls;

	if (!r)
		return;
	if (r->code)
		metrics_http(a->metrics, r->route, r->code,
			     (double)(clock_mono_ns() - r->start_ns) / 1e9);
	free(r->body);
	free(r);
	*con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[256], q[300];
	size_t n;

	vsnprintf(line, sizeof line, fmt, ap);
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	log_warn("http server", "detail=%s", log_quote(line, q, sizeof q));
}

/* ---- start and stop ------------------------------------------------------------------ */

/* Parses "ADDR:PORT" / "[ADDR]:PORT" into ss.  Returns 0 or -1. */
static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *sl, int *loopback)
{
	char host[128];
	const char *colon;
	long long port;
	size_t hl;

	memset(ss, 0, sizeof *ss);
	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (!end || end[1] != ':')
			return -1;
		hl = (size_t)(end - s - 1);
		if (hl >= sizeof host)
			return -1;
		memcpy(host, s + 1, hl);
		colon = end + 1;
	} else {
		if (!(colon = strrchr(s, ':')))
			return -1;
		hl = (size_t)(colon - s);
		if (hl >= sizeof host)
			return -1;
		memcpy(host, s, hl);
	}
	host[hl] = '\0';
	if (num_parse(colon + 1, 0, 65535, &port) < 0)
		return -1;
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof host, "127.0.0.1");
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		*sl = sizeof *v4;
		*loopback = (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		*sl = sizeof *v6;
		*loopback = IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
		return 0;
	}
	return -1;
}

static int read_file(const char *path, char **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n;
	int rc = -1;

	if (!f)
		return -1;
	if (!(buf = malloc(STATIC_MAX + 1)))
		goto out;
	n = fread(buf, 1, STATIC_MAX + 1, f);
	if (ferror(f) || n > STATIC_MAX)
		goto out;
	*data = buf;
	*len = n;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	fclose(f);
	return rc;
}

static int dir_has_ui(const char *dir)
{
	char p[PATH_MAX + 32];
	struct stat st;

	snprintf(p, sizeof p, "%.*s/index.html", PATH_MAX - 1, dir);
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Finds and loads the UI files; without them the UI routes answer 404. */
static void load_ui(struct api *a, const struct api_options *o)
{
	const char *env = getenv("SCANQ_WEB_DIR");
	char exe[PATH_MAX] = "", cand[5][PATH_MAX];
	int nc = 0;

	if (o->web_dir)
		snprintf(cand[nc++], PATH_MAX, "%s", o->web_dir);
	if (env && *env)
		snprintf(cand[nc++], PATH_MAX, "%s", env);
	if (o->self && realpath(o->self, exe)) {
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(cand[nc++], PATH_MAX, "%.*s/web", PATH_MAX - 8, exe);
			snprintf(cand[nc++], PATH_MAX, "%.*s/../web", PATH_MAX - 8, exe);
		}
	}
	snprintf(cand[nc++], PATH_MAX, "/usr/share/scanq/web");
	a->files[0] = (struct static_file){ "index.html", "text/html; charset=utf-8", NULL, 0 };
	a->files[1] = (struct static_file){ "app.js", "text/javascript; charset=utf-8", NULL, 0 };
	a->files[2] = (struct static_file){ "style.css", "text/css; charset=utf-8", NULL, 0 };
	for (int i = 0; i < nc; i++) {
		if (!dir_has_ui(cand[i]))
			continue;
		if (!realpath(cand[i], a->web_dir))
			continue;
		for (size_t k = 0; k < sizeof a->files / sizeof a->files[0]; k++) {
			char p[PATH_MAX + 32];
			snprintf(p, sizeof p, "%s/%s", a->web_dir, a->files[k].name);
			if (read_file(p, &a->files[k].data, &a->files[k].len) < 0)
				log_warn("cannot read a web UI file", "file=%s", a->files[k].name);
		}
		return;
	}
	log_warn("web UI not found: serving the API only", "hint=\"set SCANQ_WEB_DIR\"");
}

/*
 * One server thread per online CPU: more threads than cores only add
 * context switches to the latency tail (measured on 2 cores with wrk: 4
 * threads gave GET p99 5.0-5.5 ms, 2 threads 2.4 ms, at the same rate).
 */
static int default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > API_THREADS_MIN ? (int)n : API_THREADS_MIN;
}

struct api *api_start(const struct api_options *o, char *err, size_t errlen)
{
	const char *listen = o->listen && *o->listen ? o->listen : config.listen;
	struct sockaddr_storage ss;
	struct store *s = NULL;
	struct api *a;
	sigset_t block, old;
	socklen_t sl = 0;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	int loopback = 0, any;
	char serr[256];

	if (parse_listen(listen, &ss, &sl, &loopback) < 0) {
		snprintf(err, errlen, "invalid listen address '%.60s' (ADDR:PORT or [ADDR]:PORT)",
			 listen);
		return NULL;
	}
	if (auth_init() < 0) {
		snprintf(err, errlen, "libsodium cannot be initialized");
		return NULL;
	}
	if (!(s = store_open(o->db_url, serr, sizeof serr))) {
		snprintf(err, errlen, "%s", serr);
		return NULL;
	}
	any = store_token_any(s);
	store_close(s);
	if (any < 0) {
		snprintf(err, errlen, "cannot read the API tokens");
		return NULL;
	}
	if (!any && !loopback) {
		snprintf(err, errlen, "refusing to listen on %.60s without API tokens: create one "
			 "with 'scanq token create --role admin' or listen on 127.0.0.1", listen);
		return NULL;
	}
	if (!(a = calloc(1, sizeof *a))) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (int i = 0; i < NROUTES; i++)
		route_names[i] = routes[i].name;
	snprintf(a->db_url, sizeof a->db_url, "%s", o->db_url);
	snprintf(a->listen, sizeof a->listen, "%s", listen);
	a->loopback = loopback;
	a->tokens_exist = any;
	a->body_max = (size_t)(config.max_body_kb > 0 ? config.max_body_kb : 1024) * 1024;
	if (!(a->metrics = metrics_new(route_names, NROUTES))
	    || pthread_key_create(&a->store_key, close_store) != 0) {
		metrics_free(a->metrics);
		free(a);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&a->write_lock, NULL);
	load_ui(a, o);
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* The server threads inherit this mask: signals stay with the main
	 * thread, whose sleeps they must interrupt (serve's shutdown). */
	sigfillset(&block);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	a->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, a,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, a,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(o->threads > 0 ? o->threads : default_threads()),
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)(config.max_connections > 0
							 ? config.max_connections : 256),
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)API_TIMEOUT_S,
		MHD_OPTION_LISTENING_ADDRESS_REUSE, 1,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, a,
		MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!a->d) {
		snprintf(err, errlen, "cannot listen on %.60s (address in use or not local?)", listen);
		api_stop(a);
		return NULL;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(a->d, MHD_DAEMON_INFO_BIND_PORT);
	a->port = info ? info->port : 0;
	log_info("http listening", "listen=%s port=%d auth=%s ui=%s", listen, a->port,
		 any ? "tokens" : "none", a->files[0].data ? "yes" : "no");
	if (!any)
		log_warn("no API tokens: serving without authentication on loopback only",
			 "hint=\"scanq token create --role admin\"");
	return a;
}


void api_stop(struct api *a)
{
	if (!a)
		return;
	if (a->d)
		MHD_stop_daemon(a->d);	/* joins the threads: their stores close */
	pthread_key_delete(a->store_key);
	pthread_mutex_destroy(&a->write_lock);
	for (size_t k = 0; k < sizeof a->files / sizeof a->files[0]; k++)
		free(a->files[k].data);
	metrics_free(a->metrics);
	free(a);
}
