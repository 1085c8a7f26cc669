/*
 * routes_flow.h — the API's handler of chains and shards (routes_flow.c).
 */
#ifndef SCANQ_API_ROUTES_FLOW_H
#define SCANQ_API_ROUTES_FLOW_H

#include <microhttpd.h>

struct req;

/* GET /api/v1/scans/{id}/tree */
enum MHD_Result routes_flow_tree(struct req *r);

#endif
