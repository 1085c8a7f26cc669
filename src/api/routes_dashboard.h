/*
 * routes_dashboard.h — GET /api/v1/dashboard (viewer): what the UI's first
 * page shows, in one answer: open findings by severity over the last 30
 * days, the changes of the last 24 hours and 7 days, the newest findings,
 * the queue's health and the late schedules.  Internal to src/api/.
 */
#ifndef SCANQ_API_ROUTES_DASHBOARD_H
#define SCANQ_API_ROUTES_DASHBOARD_H

#include <microhttpd.h>

struct req;

#define DASHBOARD_NEWEST 10	/* newest findings listed */

enum MHD_Result routes_dashboard(struct req *r);

#endif
