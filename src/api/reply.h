/*
 * reply.h — how the HTTP server answers (internal to src/api/): JSON
 * bodies and application/problem+json refusals, each with the headers
 * every answer carries (nosniff, no-store).  Each function queues the
 * answer on the request's connection, records its status for the metrics
 * and returns what libmicrohttpd expects from the request callback.
 */
#ifndef SCANQ_API_REPLY_H
#define SCANQ_API_REPLY_H

#include <stddef.h>
#include <jansson.h>
#include <microhttpd.h>
#include "api/api.h"

struct req;

/* Sends buf as the body.  mode says who owns buf (MHD_RESPMEM_MUST_FREE:
 * it is freed here, even on failure).  hname/hvalue: one extra header or
 * NULL. */
enum MHD_Result reply_buf(struct req *r, int status, const char *type, char *buf, size_t len,
			  enum MHD_ResponseMemoryMode mode, const char *hname, const char *hvalue);

/* Sends o (a new reference, consumed; NULL answers 500) as the JSON body. */
enum MHD_Result reply_json(struct req *r, int status, json_t *o, const char *hname,
			   const char *hvalue);

/* Sends the problem p, with one extra header or none.  Statuses >= 500 are
 * logged. */
enum MHD_Result reply_problem_hdr(struct req *r, const struct api_problem *p, const char *hname,
				  const char *hvalue);

/* Sends a problem built from status, code and a printf detail. */
enum MHD_Result reply_problem(struct req *r, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The store failed: the reason goes to the log, a generic 503 to the
 * client.  reply_store_problem() reads the reason from the request's own
 * store handle (r->s); a call that failed on another handle (the group
 * committer's) hands its reason to reply_store_failed(). */
enum MHD_Result reply_store_problem(struct req *r, const char *what);
enum MHD_Result reply_store_failed(struct req *r, const char *what, const char *error);

/* Copies s into buf for a detail: printable ASCII only, at most 60 bytes
 * then "...", so a detail quoting input is one valid line.  Returns buf. */
const char *reply_clean(const char *s, char *buf, size_t len);

#endif
