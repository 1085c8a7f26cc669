/*
 * audit.c — how every handler that changes something records who did it
 * (audit.h), in the store's audit trail.
 */
#include "api/audit.h"
#include "api/req.h"
#include "core/log.h"
#include "store/store.h"

void audit_request(struct req *r, const char *action, int64_t scan_id, const char *detail)
{
	if (store_audit_from(r->s, r->actor[0] ? r->actor : "api:open", r->client, action, scan_id,
			     detail) != STORE_OK)
		log_warn("audit failed", "action=\"%s\" error=\"%s\"", action, store_error(r->s));
}
