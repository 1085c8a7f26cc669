/*
 * body.h — reading a JSON request body (internal to src/api/): the media
 * type and the one parser every handler that takes a JSON object uses, and the fields of a
 * scan submission (POST /api/v1/scans, and the scan of a schedule).
 */
#ifndef SCANQ_API_BODY_H
#define SCANQ_API_BODY_H

#include <stddef.h>
#include <jansson.h>
#include "api/api.h"
#include "app/submit.h"

struct req;

/* 1 if the request says its body is JSON (Content-Type application/json,
 * with or without parameters) or says nothing, else 0: the handler then
 * answers 415. */
int body_is_json(struct req *r);

/*
 * Parses body[0..len) as a JSON object (duplicate keys refused).  Returns
 * 0 with *root a new reference (the caller json_decref()s it), or -1 with
 * *root NULL and *p filled: 400 empty_body, invalid_json (with line and
 * column) or invalid_body (valid JSON but not an object).
 */
int body_json(const char *body, size_t len, json_t **root, struct api_problem *p);

/*
 * Parses the body of a scan submission into `in` (after
 * submit_input_init()).  Only the documented fields are accepted: type
 * (string), targets (array of strings), ports (string), priority,
 * max_attempts, time_limit_s (integers), options (object) and then (a
 * follow-up stage, checked by submit_scan()).  Returns 0 with *root
 * holding the parsed document that `in` borrows from (the caller
 * json_decref()s it after use), or -1 with *p filled (400 as body_json(),
 * 422 for wrong, unknown or missing fields) and *root NULL.  The fuzz
 * target fuzz_api_body drives it.
 */
int body_parse_submit(const char *body, size_t len, struct submit_input *in, json_t **root,
		      struct api_problem *p);

#endif
