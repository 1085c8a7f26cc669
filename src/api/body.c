/*
 * body.c — reading a JSON request body (body.h): the object itself, and
 * the fields of a scan submission, each refusal a problem (400 for a body
 * that is not a JSON object, 422 for a wrong or unknown field) that the
 * handler answers as it is.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include <microhttpd.h>
#include "api/body.h"
#include "api/reply.h"
#include "api/req.h"

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

int body_is_json(struct req *r)
{
	const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Type");

	return !ct || (strncasecmp(ct, "application/json", 16) == 0
		       && (ct[16] == '\0' || ct[16] == ';' || ct[16] == ' '));
}

int body_json(const char *body, size_t len, json_t **root, struct api_problem *p)
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
			    reply_clean(je.text, c, sizeof c), je.line, je.column);
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

int body_parse_submit(const char *body, size_t len, struct submit_input *in, json_t **root,
		     struct api_problem *p)
{
	const char *key;
	json_t *v;
	char c[80];

	if (body_json(body, len, root, p) < 0)
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
		} else if (strcmp(key, "then") == 0) {
			in->then = v;		/* checked by submit_scan() (workflow.c) */
		} else if (strcmp(key, "pool") == 0) {
			if (!json_is_string(v)) {
				set_problem(p, 400, "invalid_parameter", "pool must be a string");
				goto fail;
			}
			in->pool = json_string_value(v);	/* checked by submit_prepare() */
		} else {
			set_problem(p, 422, "unknown_field", "unknown field '%s'", reply_clean(key, c, sizeof c));
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
