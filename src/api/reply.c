/*
 * reply.c — answers of the HTTP server (see reply.h): JSON bodies and
 * application/problem+json refusals whose code and detail are always one
 * line of valid UTF-8, whatever the client sent.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "api/reply.h"
#include "api/req.h"
#include "core/utf8.h"
#include "core/log.h"
#include "store/store.h"

/* Copies `s` for a message: printable ASCII only, at most 60 bytes, so a
 * detail built from input is always valid UTF-8 and one line. */
const char *reply_clean(const char *s, char *buf, size_t len)
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

/* ---- responses ------------------------------------------------------------------ */

enum MHD_Result reply_buf(struct req *r, int status, const char *type, char *buf, size_t len,
			  enum MHD_ResponseMemoryMode mode, const char *hname, const char *hvalue)
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
	/* On a network address a refused request without a valid token ends
	 * its connection: a client that has none gets nothing to keep open. */
	if (status >= 400 && !r->api->loopback && !r->authed
	    && !(hname && strcasecmp(hname, "Connection") == 0))
		MHD_add_response_header(resp, "Connection", "close");
	r->code = status;
	ret = MHD_queue_response(r->conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Sends `o` (a new reference, consumed) as the JSON body. */
enum MHD_Result reply_json(struct req *r, int status, json_t *o, const char *hname,
			   const char *hvalue)
{
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	if (!text) {
		static char oom[] = "{\"code\":\"internal\",\"status\":500}";
		return reply_buf(r, 500, "application/problem+json", oom, sizeof oom - 1,
				 MHD_RESPMEM_PERSISTENT, NULL, NULL);
	}
	return reply_buf(r, status, "application/json", text, strlen(text),
			 MHD_RESPMEM_MUST_FREE, hname, hvalue);
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

enum MHD_Result reply_problem_hdr(struct req *r, const struct api_problem *p, const char *hname,
				  const char *hvalue)
{
	json_t *o = api_problem_json(p);
	char *text;

	/* The agent protocol's clients read {"error": {"code", "message"}}
	 * (docs/AGENTS.md), on every answer of its endpoints. */
	if (o && r->rname && strncmp(r->rname, "agent_", 6) == 0)
		json_object_set_new(o, "error", json_pack("{sO sO}", "code", json_object_get(o, "code"),
							  "message", json_object_get(o, "detail")));
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!text) {
		static char oom[] = "{\"code\":\"internal\",\"status\":500}";
		return reply_buf(r, 500, "application/problem+json", oom, sizeof oom - 1,
				 MHD_RESPMEM_PERSISTENT, NULL, NULL);
	}
	if (p->status >= 500)
		log_warn("http request failed", "method=%s route=%s status=%d code=%s", r->method,
			 r->rname, p->status, p->code);
	return reply_buf(r, p->status, "application/problem+json", text, strlen(text),
			 MHD_RESPMEM_MUST_FREE, hname, hvalue);
}

enum MHD_Result reply_problem(struct req *r, int status, const char *code, const char *fmt, ...)
{
	struct api_problem p;
	va_list ap;

	p.status = status;
	snprintf(p.code, sizeof p.code, "%s", code);
	va_start(ap, fmt);
	vsnprintf(p.detail, sizeof p.detail, fmt, ap);
	va_end(ap);
	return reply_problem_hdr(r, &p, NULL, NULL);
}

enum MHD_Result reply_store_failed(struct req *r, const char *what, const char *error)
{
	char q[300];

	log_error("store call failed", "what=\"%s\" error=%s", what,
		  log_quote(error, q, sizeof q));
	return reply_problem(r, 503, "store_unavailable",
			     "the database could not be read or written; try again");
}

enum MHD_Result reply_store_problem(struct req *r, const char *what)
{
	return reply_store_failed(r, what, store_error(r->s));
}
