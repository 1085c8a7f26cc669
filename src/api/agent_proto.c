/*
 * agent_proto.c — parsing the agent protocol's requests (agent_proto.h).
 * Unknown fields are refused, as the rest of the API refuses them, so a
 * mistyped field name is an error and not a silent default.  Nothing here
 * touches the store.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api/agent_proto.h"
#include "api/body.h"
#include "scanner.h"
#include "worker/worker.h"

static int problem(struct api_problem *p, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int problem(struct api_problem *p, const char *code, const char *fmt, ...)
{
	va_list ap;

	p->status = 400;
	snprintf(p->code, sizeof p->code, "%s", code);
	va_start(ap, fmt);
	vsnprintf(p->detail, sizeof p->detail, fmt, ap);
	va_end(ap);
	return -1;
}

static int printable(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return 0;
	return 1;
}

/* A string field that may be absent (NULL): at most max bytes, no NUL. */
static int opt_string(json_t *o, const char *key, size_t max, const char **out,
		      struct api_problem *p)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) || json_string_length(v) > max
	    || strlen(json_string_value(v)) != json_string_length(v))
		return problem(p, "invalid_parameter", "%s must be a string of at most %zu bytes",
			       key, max);
	*out = json_string_value(v);
	return 0;
}

static int int_in(json_t *o, const char *key, long long lo, long long hi, long long dflt,
		  int required, long long *out, struct api_problem *p)
{
	json_t *v = json_object_get(o, key);

	if (!v) {
		if (required)
			return problem(p, "invalid_parameter", "%s is required", key);
		*out = dflt;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return problem(p, "invalid_parameter", "%s must be an integer from %lld to %lld",
			       key, lo, hi);
	*out = (long long)json_integer_value(v);
	return 0;
}

/* Refuses a field that is not one of `known` (NULL-terminated). */
static int only(json_t *o, const char *const *known, struct api_problem *p)
{
	const char *key;
	json_t *v;

	json_object_foreach(o, key, v) {
		size_t i;

		for (i = 0; known[i] && strcmp(known[i], key) != 0; i++)
			;
		if (!known[i]) {
			char c[48];
			size_t n = 0;

			for (; key[n] && n + 1 < sizeof c; n++)
				c[n] = key[n] >= 0x20 && key[n] < 0x7f ? key[n] : '?';
			c[n] = '\0';
			return problem(p, "invalid_parameter", "unknown field '%s'", c);
		}
	}
	return 0;
}

static int agent_id_valid(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > AGENT_ID_MAX)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')
		      || *s == '.' || *s == '_' || *s == ':' || *s == '-'))
			return 0;
	return 1;
}

/* protocol, agent, name, version: the fields of every request. */
static int hello(json_t *o, struct agent_hello *h, struct api_problem *p)
{
	const char *agent, *name, *version;
	json_t *v = json_object_get(o, "protocol");

	memset(h, 0, sizeof *h);
	if (!json_is_integer(v))
		return problem(p, "invalid_parameter", "protocol is required (an integer: %d)",
			       AGENT_PROTOCOL);
	if (json_integer_value(v) != AGENT_PROTOCOL)
		return problem(p, "protocol_version",
			       "agent protocol %lld is not supported by this server (it speaks %d)",
			       (long long)json_integer_value(v), AGENT_PROTOCOL);
	h->protocol = AGENT_PROTOCOL;
	if (opt_string(o, "agent", AGENT_ID_MAX, &agent, p) < 0
	    || opt_string(o, "name", AGENT_NAME_MAX, &name, p) < 0
	    || opt_string(o, "version", AGENT_VERSION_MAX, &version, p) < 0)
		return -1;
	if (!agent || !agent_id_valid(agent))
		return problem(p, "invalid_parameter",
			       "agent must be an id of 1 to %d characters A-Z a-z 0-9 . _ : -",
			       AGENT_ID_MAX);
	if ((name && !printable(name)) || (version && !printable(version)))
		return problem(p, "invalid_parameter", "name and version must be printable ASCII");
	snprintf(h->agent, sizeof h->agent, "%s", agent);
	snprintf(h->name, sizeof h->name, "%s", name ? name : "");
	snprintf(h->version, sizeof h->version, "%s", version ? version : "");
	return 0;
}

/* The body as an object with only `known` fields, and its hello. */
static json_t *open_body(const char *body, size_t len, const char *const *known,
			 struct agent_hello *h, struct api_problem *p)
{
	json_t *o;

	if (body_json(body, len, &o, p) < 0) {
		p->status = 400;
		return NULL;
	}
	/* The protocol first: a newer agent's request may carry fields this
	 * server does not know, and it must hear about the version. */
	if (hello(o, h, p) < 0 || only(o, known, p) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int agent_parse_claim(const char *body, size_t len, struct agent_claim_req *out,
		      struct api_problem *p)
{
	static const char *const known[] = { "protocol", "agent", "name", "version", "max",
					     "wait_ms", NULL };
	json_t *o = open_body(body, len, known, &out->h, p);
	long long max, wait;
	int rc = -1;

	if (!o)
		return -1;
	if (int_in(o, "max", 1, AGENT_CLAIM_MAX, 1, 0, &max, p) == 0
	    && int_in(o, "wait_ms", 0, AGENT_WAIT_MAX_MS, 0, 0, &wait, p) == 0) {
		out->max = (int)max;
		out->wait_ms = (int)wait;
		rc = 0;
	}
	json_decref(o);
	return rc;
}

/* {"id": I, "attempt": A}: the fence of an attempt. */
static int fence(json_t *o, int64_t *id, int *attempt, struct api_problem *p)
{
	long long i, a;

	if (int_in(o, "id", 1, INT64_MAX, 0, 1, &i, p) < 0
	    || int_in(o, "attempt", 1, 1000000000, 0, 1, &a, p) < 0)
		return -1;
	*id = (int64_t)i;
	*attempt = (int)a;
	return 0;
}

int agent_parse_renew(const char *body, size_t len, struct agent_renew_req *out,
		      struct api_problem *p)
{
	static const char *const known[] = { "protocol", "agent", "name", "version", "scans",
					     NULL };
	static const char *const item_known[] = { "id", "attempt", "progress", NULL };
	json_t *o = open_body(body, len, known, &out->h, p), *arr, *it;
	size_t i;
	int rc = -1;

	out->n = 0;
	if (!o)
		return -1;
	arr = json_object_get(o, "scans");
	if (arr && !json_is_array(arr)) {
		problem(p, "invalid_parameter", "scans must be an array");
		goto out;
	}
	if (json_array_size(arr) > AGENT_RENEW_MAX) {
		problem(p, "invalid_parameter", "scans holds more than %d entries", AGENT_RENEW_MAX);
		goto out;
	}
	json_array_foreach(arr, i, it) {
		struct store_agent_lease *l = &out->scans[i];
		json_t *pr;

		memset(l, 0, sizeof *l);
		if (!json_is_object(it) || only(it, item_known, p) < 0
		    || fence(it, &l->id, &l->attempt, p) < 0) {
			if (!json_is_object(it))
				problem(p, "invalid_parameter", "scans[%zu] must be an object", i);
			goto out;
		}
		pr = json_object_get(it, "progress");
		l->progress = -1;
		if (pr && (!json_is_number(pr) || json_number_value(pr) < 0
			   || json_number_value(pr) > 1)) {
			problem(p, "invalid_parameter", "scans[%zu].progress must be from 0 to 1", i);
			goto out;
		}
		if (pr)
			l->progress = json_number_value(pr);
		out->n = i + 1;
	}
	rc = 0;
out:
	json_decref(o);
	return rc;
}

/* One finding, checked as strictly as the store will keep it. */
static int finding(json_t *o, size_t i, struct finding *f, struct api_problem *p)
{
	static const char *const known[] = { "kind", "target", "port", "proto", "service",
					     "severity", "title", "detail", NULL };
	const char *kind, *target, *proto, *service, *severity, *title;
	json_t *detail;
	long long port;

	memset(f, 0, sizeof *f);
	if (!json_is_object(o))
		return problem(p, "invalid_parameter", "findings[%zu] must be an object", i);
	if (only(o, known, p) < 0 || opt_string(o, "kind", sizeof f->kind - 1, &kind, p) < 0
	    || opt_string(o, "target", AGENT_TEXT_MAX, &target, p) < 0
	    || opt_string(o, "proto", sizeof f->proto - 1, &proto, p) < 0
	    || opt_string(o, "service", AGENT_TEXT_MAX, &service, p) < 0
	    || opt_string(o, "severity", sizeof f->severity - 1, &severity, p) < 0
	    || opt_string(o, "title", AGENT_TEXT_MAX, &title, p) < 0
	    || int_in(o, "port", 0, 65535, 0, 0, &port, p) < 0)
		return -1;
	if (!kind || !*kind || strspn(kind, "abcdefghijklmnopqrstuvwxyz_") != strlen(kind))
		return problem(p, "invalid_parameter", "findings[%zu].kind must be a-z and _", i);
	if (severity && scanner_severity_rank(severity) < 0)
		return problem(p, "invalid_parameter",
			       "findings[%zu].severity must be info, low, medium, high or critical", i);
	if (proto && strspn(proto, "abcdefghijklmnopqrstuvwxyz") != strlen(proto))
		return problem(p, "invalid_parameter", "findings[%zu].proto must be a-z", i);
	detail = json_object_get(o, "detail");
	if (detail && !json_is_object(detail) && !json_is_null(detail))
		return problem(p, "invalid_parameter", "findings[%zu].detail must be an object", i);
	snprintf(f->kind, sizeof f->kind, "%s", kind);
	snprintf(f->proto, sizeof f->proto, "%s", proto ? proto : "");
	snprintf(f->severity, sizeof f->severity, "%s", severity ? severity : "info");
	f->port = (int)port;
	f->target = target ? strdup(target) : NULL;
	f->service = service ? strdup(service) : NULL;
	f->title = title ? strdup(title) : NULL;
	f->detail = json_is_object(detail) ? json_dumps(detail, JSON_COMPACT) : strdup("{}");
	if (!f->detail || (target && !f->target) || (service && !f->service) || (title && !f->title))
		return problem(p, "invalid_parameter", "out of memory");
	if (strlen(f->detail) > AGENT_DETAIL_MAX)
		return problem(p, "invalid_parameter", "findings[%zu].detail is larger than %d bytes",
			       i, AGENT_DETAIL_MAX);
	return 0;
}

int agent_parse_complete(const char *body, size_t len, size_t findings_max,
			 struct agent_complete_req *out, struct api_problem *p)
{
	static const char *const known[] = { "protocol", "agent", "name", "version", "id",
					     "attempt", "summary", "findings", NULL };
	json_t *o, *sum, *arr, *it;
	size_t i;
	int rc = -1;

	memset(out, 0, sizeof *out);
	if (!(o = open_body(body, len, known, &out->h, p)))
		return -1;
	if (fence(o, &out->id, &out->attempt, p) < 0)
		goto out;
	sum = json_object_get(o, "summary");
	if (sum && !json_is_object(sum)) {
		problem(p, "invalid_parameter", "summary must be an object");
		goto out;
	}
	arr = json_object_get(o, "findings");
	if (arr && !json_is_array(arr)) {
		problem(p, "invalid_parameter", "findings must be an array");
		goto out;
	}
	if (json_array_size(arr) > findings_max) {
		problem(p, "invalid_parameter", "more than %zu findings", findings_max);
		goto out;
	}
	out->summary = sum ? json_dumps(sum, JSON_COMPACT) : strdup("{}");
	if (json_array_size(arr) && !(out->findings = calloc(json_array_size(arr),
							      sizeof *out->findings))) {
		problem(p, "invalid_parameter", "out of memory");
		goto out;
	}
	json_array_foreach(arr, i, it) {
		out->nfindings = i + 1;		/* freed by release() even when refused */
		if (finding(it, i, &out->findings[i], p) < 0)
			goto out;
	}
	rc = out->summary ? 0 : problem(p, "invalid_parameter", "out of memory");
out:
	json_decref(o);
	if (rc < 0)
		agent_complete_release(out);
	return rc;
}

int agent_parse_fail(const char *body, size_t len, struct agent_fail_req *out,
		     struct api_problem *p)
{
	static const char *const known[] = { "protocol", "agent", "name", "version", "id",
					     "attempt", "code", "message", "retryable", "outcome",
					     NULL };
	const char *code, *message, *outcome;
	json_t *o, *retry;
	int rc = -1;

	memset(out, 0, sizeof *out);
	if (!(o = open_body(body, len, known, &out->h, p)))
		return -1;
	if (fence(o, &out->id, &out->attempt, p) < 0
	    || opt_string(o, "code", SCAN_CODE_MAX - 1, &code, p) < 0
	    || opt_string(o, "message", 4096, &message, p) < 0
	    || opt_string(o, "outcome", 16, &outcome, p) < 0)
		goto out;
	if (!code || !worker_code_known(code)) {
		problem(p, "invalid_parameter", "code must be one of the worker's error codes");
		goto out;
	}
	retry = json_object_get(o, "retryable");
	if (retry && !json_is_boolean(retry)) {
		problem(p, "invalid_parameter", "retryable must be true or false");
		goto out;
	}
	if (!outcome || strcmp(outcome, "fail") == 0)
		out->outcome = STORE_AGENT_FAIL;
	else if (strcmp(outcome, "cancelled") == 0)
		out->outcome = STORE_AGENT_CANCELLED;
	else if (strcmp(outcome, "release") == 0)
		out->outcome = STORE_AGENT_RELEASE;
	else {
		problem(p, "invalid_parameter", "outcome must be fail, cancelled or release");
		goto out;
	}
	snprintf(out->code, sizeof out->code, "%s", code);
	out->retryable = retry ? json_is_true(retry) : worker_code_retryable(code);
	if (message) {
		size_t n = 0;

		for (; message[n] && n + 1 < sizeof out->message; n++)
			out->message[n] = message[n] >= 0x20 && message[n] < 0x7f ? message[n] : '?';
		out->message[n] = '\0';
	}
	rc = 0;
out:
	json_decref(o);
	return rc;
}

int agent_parse_budget(const char *body, size_t len, struct agent_budget_req *out,
		       struct api_problem *p)
{
	static const char *const known[] = { "protocol", "agent", "name", "version", "id",
					     "attempt", "want", NULL };
	long long want = 0;
	json_t *o;
	int rc = -1;

	memset(out, 0, sizeof *out);
	if (!(o = open_body(body, len, known, &out->h, p)))
		return -1;
	if (fence(o, &out->id, &out->attempt, p) == 0
	    && int_in(o, "want", 0, AGENT_BUDGET_MAX, 0, 1, &want, p) == 0) {
		out->want = (long)want;
		rc = 0;
	}
	json_decref(o);
	return rc;
}

void agent_complete_release(struct agent_complete_req *r)
{
	for (size_t i = 0; r->findings && i < r->nfindings; i++)
		finding_release(&r->findings[i]);
	free(r->findings);
	free(r->summary);
	r->findings = NULL;
	r->summary = NULL;
	r->nfindings = 0;
}
