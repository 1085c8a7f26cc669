/*
 * routes_hold.h — what holds scanning back, over HTTP (internal to
 * src/api/): pauses (routes_pause.c: POST /api/v1/pause and /api/v1/resume
 * for operators, GET /api/v1/pauses for viewers, the same store calls as
 * `scanq pause|resume`) and maintenance windows (routes_windows.c: GET
 * /api/v1/windows for viewers, POST /api/v1/windows and DELETE
 * /api/v1/windows/{name} for admins, the same calls as `scanq window`).
 * One header for the family, as store/hold.h is in the store: routes.c's
 * table is their only caller.
 */
#ifndef SCANQ_API_ROUTES_HOLD_H
#define SCANQ_API_ROUTES_HOLD_H

#include <microhttpd.h>

struct req;

/* pauses (routes_pause.c) */
enum MHD_Result pause_h_list(struct req *r);
enum MHD_Result pause_h_pause(struct req *r);
enum MHD_Result pause_h_resume(struct req *r);

/* maintenance windows (routes_windows.c) */
enum MHD_Result windows_h_list(struct req *r);
enum MHD_Result windows_h_add(struct req *r);
enum MHD_Result windows_h_rm(struct req *r);

#endif
