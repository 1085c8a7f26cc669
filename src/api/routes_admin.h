/*
 * routes_admin.h — the admin API's handlers (internal to src/api/): the
 * stuck report and clear, prune, reset, tokens (list, create with an
 * expiry, revoke) and the audit trail, all for the admin role, and the
 * exclusion list (read by any role, changed by an admin).
 * routes.c lists them in the route table.
 */
#ifndef SCANQ_API_ROUTES_ADMIN_H
#define SCANQ_API_ROUTES_ADMIN_H

#include <jansson.h>
#include <microhttpd.h>

struct req;

/*
 * Reads the body as a JSON object whose fields are all in `allowed` (a
 * body may be empty: {}).  Returns the object (new reference), or NULL
 * after answering.  routes_pause.c reads its bodies with it too.
 */
json_t *admin_body_object(struct req *r, const char *const *allowed, enum MHD_Result *ret);

enum MHD_Result admin_stuck(struct req *r);
enum MHD_Result admin_stuck_clear(struct req *r);
enum MHD_Result admin_prune(struct req *r);
enum MHD_Result admin_reset(struct req *r);
enum MHD_Result admin_tokens(struct req *r);
enum MHD_Result admin_token_create(struct req *r);
enum MHD_Result admin_token_revoke(struct req *r);
enum MHD_Result admin_audit(struct req *r);
/* GET (viewer), POST and DELETE ?entry= (admin) /api/v1/exclusions */
enum MHD_Result admin_exclusions(struct req *r);
enum MHD_Result admin_exclusion_add(struct req *r);
enum MHD_Result admin_exclusion_rm(struct req *r);

#endif
