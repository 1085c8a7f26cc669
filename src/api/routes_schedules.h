/*
 * routes_schedules.h — the handlers of /api/v1/schedules (routes.c lists
 * them in its route table) and the late schedules of /health/scheduler.
 */
#ifndef SCANQ_API_ROUTES_SCHEDULES_H
#define SCANQ_API_ROUTES_SCHEDULES_H

#include <jansson.h>
#include <microhttpd.h>

struct req;
struct store;

enum MHD_Result h_schedules_list(struct req *r);
enum MHD_Result h_schedule_get(struct req *r);
enum MHD_Result h_schedule_create(struct req *r);
enum MHD_Result h_schedule_pause(struct req *r);
enum MHD_Result h_schedule_resume(struct req *r);
enum MHD_Result h_schedule_run_now(struct req *r);
enum MHD_Result h_schedule_delete(struct req *r);

/* GET /api/v1/scan-types (routes_types.c). */
enum MHD_Result h_scan_types(struct req *r);

/* The schedules that did not fire when due (at most 20 listed), *nlate
 * all of them; NULL on a store error. */
json_t *schedules_health(struct store *s, int *nlate);

#endif
