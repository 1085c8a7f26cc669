/*
 * audit.h — the audit trail of the HTTP API (internal to src/api/): who
 * changed what, recorded by every handler that changes something.
 */
#ifndef SCANQ_API_AUDIT_H
#define SCANQ_API_AUDIT_H

#include <stdint.h>

struct req;

/* Records `action` by the request's actor ("token:NAME", or "api:open" when
 * the server needs no token) from its client address (client.h: behind a
 * trusted proxy, the forwarded one); a failure is logged, never answered. */
void audit_request(struct req *r, const char *action, int64_t scan_id, const char *detail);

#endif
