/*
 * routes_windows.h — maintenance windows over HTTP (internal to
 * src/api/): GET /api/v1/windows (viewer), POST /api/v1/windows and
 * DELETE /api/v1/windows/{name} (admin), the same calls as `scanq window`.
 */
#ifndef SCANQ_API_ROUTES_WINDOWS_H
#define SCANQ_API_ROUTES_WINDOWS_H

#include <microhttpd.h>

struct req;

enum MHD_Result windows_h_list(struct req *r);
enum MHD_Result windows_h_add(struct req *r);
enum MHD_Result windows_h_rm(struct req *r);

#endif
