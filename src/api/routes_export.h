/*
 * routes_export.h — the API's handler of exports (routes_export.c).
 */
#ifndef SCANQ_API_ROUTES_EXPORT_H
#define SCANQ_API_ROUTES_EXPORT_H

#include <microhttpd.h>

#include "app/export.h"

struct req;

/* GET /api/v1/scans/{id}/export?format=sarif|defectdojo|csv|jsonl */
enum MHD_Result routes_export(struct req *r);

/* Answers 200 with ex's document streamed as the attachment NAME.EXT (ex
 * is taken: freed when the stream ends).  For every export route. */
enum MHD_Result routes_export_stream(struct req *r, struct export *ex, enum export_format f,
				     const char *name);

#endif
