/*
 * routes_export.h — the API's handler of exports (routes_export.c).
 */
#ifndef SCANQ_API_ROUTES_EXPORT_H
#define SCANQ_API_ROUTES_EXPORT_H

#include <microhttpd.h>

struct req;

/* GET /api/v1/scans/{id}/export?format=sarif|defectdojo|csv|jsonl */
enum MHD_Result routes_export(struct req *r);

#endif
