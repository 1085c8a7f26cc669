/*
 * openapi.h — the OpenAPI 3.1 document of the HTTP API (docs/openapi.json),
 * built into the binary, so that GET /api/v1/openapi.json always describes
 * the build that serves it.  `make test` keeps the document in step with
 * the route table (`scanq __routes`) and validates the API suites'
 * responses against it.
 */
#ifndef SCANQ_API_OPENAPI_H
#define SCANQ_API_OPENAPI_H

#include <stddef.h>
#include <microhttpd.h>

struct req;

/* The document's bytes (JSON text, not NUL-terminated) and its length.
 * Static storage. */
const char *openapi_document(size_t *len);

/* GET /api/v1/openapi.json: the document as application/json. */
enum MHD_Result openapi_serve(struct req *r);

#endif
