/*
 * routes_admin.h — the admin API's handlers (internal to src/api/): the
 * stuck report and clear, prune, reset, tokens (list, create with an
 * expiry, revoke) and the audit trail, all for the admin role; and
 * api_audit(), how every handler that changes something records who did.
 * routes.c lists them in the route table.
 */
#ifndef SCANQ_API_ROUTES_ADMIN_H
#define SCANQ_API_ROUTES_ADMIN_H

#include <stdint.h>
#include <microhttpd.h>

struct req;

enum MHD_Result admin_stuck(struct req *r);
enum MHD_Result admin_stuck_clear(struct req *r);
enum MHD_Result admin_prune(struct req *r);
enum MHD_Result admin_reset(struct req *r);
enum MHD_Result admin_tokens(struct req *r);
enum MHD_Result admin_token_create(struct req *r);
enum MHD_Result admin_token_revoke(struct req *r);
enum MHD_Result admin_audit(struct req *r);

/* Records `action` by the request's actor ("token:NAME", or "api:open" when
 * the server needs no token); a failure is logged, never answered. */
void api_audit(struct req *r, const char *action, int64_t scan_id, const char *detail);

#endif
