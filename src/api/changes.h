/*
 * changes.h — the handlers of changes, the inventory and webhooks
 * (internal to src/api/, listed in the route table of routes.c):
 *
 *   GET    /api/v1/scans/{id}/changes        viewer  a scan's changes, paged
 *   GET    /api/v1/inventory                 viewer  hosts and ports, filtered, paged
 *   GET    /api/v1/webhooks                  admin   webhooks (secrets never shown)
 *   POST   /api/v1/webhooks                  admin   add one (201, with its secret)
 *   DELETE /api/v1/webhooks/{id}             admin   remove one with its deliveries
 *   POST   /api/v1/webhooks/{id}/test        admin   queue a test delivery (202)
 *   GET    /api/v1/webhook-deliveries        admin   every attempt, newest first
 */
#ifndef SCANQ_API_CHANGES_H
#define SCANQ_API_CHANGES_H

#include <microhttpd.h>

struct req;

enum MHD_Result changes_h_scan(struct req *r);
enum MHD_Result changes_h_inventory(struct req *r);
enum MHD_Result changes_h_webhooks(struct req *r);
enum MHD_Result changes_h_webhook_add(struct req *r);
enum MHD_Result changes_h_webhook_rm(struct req *r);
enum MHD_Result changes_h_webhook_test(struct req *r);
enum MHD_Result changes_h_deliveries(struct req *r);

#endif
