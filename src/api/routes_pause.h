/*
 * routes_pause.h — pausing and resuming scanning over HTTP (internal to
 * src/api/): POST /api/v1/pause and /api/v1/resume (operator) and GET
 * /api/v1/pauses (viewer), the same store calls as `scanq pause|resume`.
 */
#ifndef SCANQ_API_ROUTES_PAUSE_H
#define SCANQ_API_ROUTES_PAUSE_H

#include <microhttpd.h>

struct req;

enum MHD_Result pause_h_list(struct req *r);
enum MHD_Result pause_h_pause(struct req *r);
enum MHD_Result pause_h_resume(struct req *r);

#endif
