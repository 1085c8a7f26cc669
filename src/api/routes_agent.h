/*
 * routes_agent.h — the handlers of the agent protocol (routes_agent.c),
 * for the route table.  They take the server's write lock around each
 * store call themselves: a claim may wait, and must not hold it then.
 */
#ifndef SCANQ_ROUTES_AGENT_H
#define SCANQ_ROUTES_AGENT_H

#include <microhttpd.h>

struct req;
struct agent_wait;

enum MHD_Result routes_agent_claim(struct req *r);
enum MHD_Result routes_agent_renew(struct req *r);
enum MHD_Result routes_agent_complete(struct req *r);
enum MHD_Result routes_agent_fail(struct req *r);
/* A slice of the budget of the rate caps a running scan counts against:
 * {"capped", "probes", "cap", "window", "ms_left"}; 409 lost when the
 * attempt is not this agent's running one. */
enum MHD_Result routes_agent_budget(struct req *r);

/* Frees a claim's state kept across its resumptions (req.agent); NULL is a
 * no-op. */
void routes_agent_free(struct agent_wait *w);

#endif
