/*
 * routes_agent.c — the agent protocol's endpoints (docs/AGENTS.md): POST
 * /api/v1/agent/claim, renew, complete, fail, and budget (a slice of the
 * rate caps of a running scan's networks, store_rate_take()), for agent tokens
 * only (server.c refuses every other role here, and agent tokens
 * everywhere else).  Requests are parsed by agent_proto.c; each call is
 * one store transaction (store.h, "scan agents") in the token's pool, and
 * a claim that finds nothing waits in longpoll.c, its connection
 * suspended, holding neither a server thread nor a transaction nor the
 * write lock.  Errors have the API's problem shape plus an "error" object
 * ({"code", "message"}) that agents read (reply.c adds it).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api/agent_proto.h"
#include "api/longpoll.h"
#include "api/reply.h"
#include "api/req.h"
#include "api/routes_agent.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "worker/worker.h"

/* A claim in progress across its resumptions (struct req's `agent`). */
struct agent_wait {
	struct agent_claim_req q;
	int64_t deadline_ms;		/* monotonic */
};

void routes_agent_free(struct agent_wait *w)
{
	free(w);
}

/* reply.c adds the "error" object to every problem of an agent route. */
static enum MHD_Result agent_problem(struct req *r, const struct api_problem *p)
{
	return reply_problem_hdr(r, p, NULL, NULL);
}

static enum MHD_Result agent_error(struct req *r, int status, const char *code, const char *fmt,
				   ...) __attribute__((format(printf, 4, 5)));

static enum MHD_Result agent_error(struct req *r, int status, const char *code, const char *fmt,
				   ...)
{
	struct api_problem p = { .status = status };
	va_list ap;

	snprintf(p.code, sizeof p.code, "%s", code);
	va_start(ap, fmt);
	vsnprintf(p.detail, sizeof p.detail, fmt, ap);
	va_end(ap);
	return agent_problem(r, &p);
}

static enum MHD_Result store_failed(struct req *r, const char *what)
{
	return agent_error(r, 503, "store_unavailable", "%s failed: %s", what, store_error(r->s));
}

/* The client's address as this server sees it (no proxy is trusted). */
static void client_address(struct req *r, char *buf, size_t len)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(buf, len, "unknown");
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf,
			  (socklen_t)len);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, buf,
			  (socklen_t)len);
}

/* The agent as the registry records it; addr (64 bytes) holds its address. */
static struct store_agent_seen agent_of(struct req *r, const struct agent_hello *h,
					int concurrency, char *addr)
{
	struct store_agent_seen a = {
		.id = h->agent, .name = h->name, .pool = r->pool, .version = h->version,
		.address = addr, .concurrency = concurrency,
	};

	client_address(r, addr, 64);
	return a;
}

/* Records the agent as seen (the registry), under the write lock. */
static int seen(struct req *r, const struct agent_hello *h, int concurrency)
{
	char addr[64];
	struct store_agent_seen a = agent_of(r, h, concurrency, addr);
	int rc;

	pthread_mutex_lock(&r->api->write_lock);
	rc = store_agent_seen(r->s, &a);
	pthread_mutex_unlock(&r->api->write_lock);
	return rc;
}

/* The exclusions an agent's children must skip, as a worker's get them
 * (worker/childenv.h): [scope] exclude of this server and the store's
 * list, read before the claim.  NULL when the store cannot be read. */
static json_t *exclusions_now(struct req *r)
{
	struct exclusion *x = NULL;
	size_t n = 0;
	json_t *a;

	if (store_exclusion_list(r->s, &x, &n) != STORE_OK)
		return NULL;
	a = json_array();
	for (int i = 0; i < config.nexclude; i++)
		json_array_append_new(a, json_string(config.scope_exclude[i]));
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(x[i].entry));
	free(x);
	return a;
}

static enum MHD_Result claim_reply(struct req *r, struct scan *arr, size_t n, json_t *excl)
{
	json_t *scans = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(scans, scan_to_json(&arr[i], 1));
	scan_array_free(arr, n);
	return reply_json(r, 200, json_pack("{si si si so so}", "protocol", AGENT_PROTOCOL, "lease_ms",
					   config.lease_s * 1000, "beat_ms", config.heartbeat_s * 1000,
					   "scans", scans, "exclusions", excl), NULL, NULL);
}

enum MHD_Result routes_agent_claim(struct req *r)
{
	struct agent_wait *w = r->agent;
	struct scan *arr = NULL;
	json_t *excl = NULL;
	size_t n = 0;
	int rc;

	if (!w) {
		struct api_problem p;

		if (!(w = calloc(1, sizeof *w)))
			return agent_error(r, 500, "internal", "out of memory");
		r->agent = w;
		if (agent_parse_claim(r->body, r->len, &w->q, &p) < 0)
			return agent_problem(r, &p);
		w->deadline_ms = clock_mono_ms() + w->q.wait_ms;
		if (seen(r, &w->q.h, w->q.max) != STORE_OK)
			return store_failed(r, "agent registration");
	}
	for (;;) {
		uint64_t gen = longpoll_generation(r->api->lp);

		if (longpoll_client_gone(r->conn)) {
			log_info("agent gone while its claim waited", "agent=%s pool=%s",
				 w->q.h.agent, r->pool);
			return MHD_NO;
		}
		json_decref(excl);
		if (!(excl = exclusions_now(r)))
			return store_failed(r, "exclusions");
		pthread_mutex_lock(&r->api->write_lock);
		rc = store_claim(r->s, r->pool, w->q.h.agent, w->q.max, config.lease_s * 1000, &arr,
				 &n);
		pthread_mutex_unlock(&r->api->write_lock);
		if (rc != STORE_OK) {
			json_decref(excl);
			return store_failed(r, "claim");
		}
		if (n > 0 || clock_mono_ms() >= w->deadline_ms || longpoll_stopping(r->api->lp))
			break;
		if (longpoll_wait(r->api->lp, r->conn, gen, w->deadline_ms) == 0) {
			json_decref(excl);
			return MHD_YES;		/* answered when resumed */
		}
		if (longpoll_stopping(r->api->lp))
			break;
	}
	for (size_t i = 0; i < n; i++)
		log_info("scan claimed by agent", "scan=%lld attempt=%d agent=%s pool=%s",
			 (long long)arr[i].id, arr[i].attempt, w->q.h.agent, r->pool);
	return claim_reply(r, arr, n, excl);
}

enum MHD_Result routes_agent_renew(struct req *r)
{
	struct agent_renew_req *q = calloc(1, sizeof *q);
	struct store_agent_seen a;
	char addr[64];
	struct api_problem p;
	json_t *cancel, *lost;
	enum MHD_Result ret;
	int rc;

	if (!q)
		return agent_error(r, 500, "internal", "out of memory");
	if (agent_parse_renew(r->body, r->len, q, &p) < 0) {
		free(q);
		return agent_problem(r, &p);
	}
	/* the registry and the leases in one transaction */
	a = agent_of(r, &q->h, 0, addr);
	pthread_mutex_lock(&r->api->write_lock);
	rc = store_agent_renew(r->s, &a, q->scans, q->n, config.lease_s * 1000);
	pthread_mutex_unlock(&r->api->write_lock);
	if (rc != STORE_OK) {
		free(q);
		return store_failed(r, "renew");
	}
	cancel = json_array();
	lost = json_array();
	for (size_t i = 0; i < q->n; i++) {
		if (q->scans[i].lost)
			json_array_append_new(lost, json_integer(q->scans[i].id));
		else if (q->scans[i].cancel)
			json_array_append_new(cancel, json_integer(q->scans[i].id));
	}
	ret = reply_json(r, 200, json_pack("{si so so}", "lease_ms", config.lease_s * 1000,
					   "cancel", cancel, "lost", lost), NULL, NULL);
	free(q);
	return ret;
}

/* The 409 of a write whose attempt is no longer the agent's, logged. */
static enum MHD_Result lost(struct req *r, const char *agent, int64_t id, int attempt,
			    const struct store_agent_outcome *o, const char *what)
{
	log_warn("agent write refused", "scan=%lld attempt=%d agent=%s pool=%s write=%s "
		 "now_attempt=%d status=%s", (long long)id, attempt, agent, r->pool, what,
		 o->attempt, scan_status_name(o->status));
	return agent_error(r, 409, "lost", "scan %lld attempt %d is no longer this agent's "
			   "(now attempt %d, status %s)", (long long)id, attempt, o->attempt,
			   scan_status_name(o->status));
}

enum MHD_Result routes_agent_complete(struct req *r)
{
	struct agent_complete_req q;
	struct store_completion c = { 0 };
	struct store_agent_outcome o = { 0 };
	struct api_problem p;
	enum MHD_Result ret;
	int rc;

	if (agent_parse_complete(r->body, r->len, WORKER_FINDINGS_MAX, &q, &p) < 0)
		return agent_problem(r, &p);
	c.id = q.id;
	c.attempt = q.attempt;
	c.summary = q.summary;
	c.findings = q.findings;
	c.nfindings = q.nfindings;
	pthread_mutex_lock(&r->api->write_lock);
	rc = store_agent_complete(r->s, r->pool, q.h.agent, &c, &o);
	pthread_mutex_unlock(&r->api->write_lock);
	if (rc == STORE_NOT_FOUND)
		ret = agent_error(r, 404, "not_found", "scan %lld not found", (long long)q.id);
	else if (rc != STORE_OK)
		ret = store_failed(r, "complete");
	else if (o.result == STORE_AGENT_LOST)
		ret = lost(r, q.h.agent, q.id, q.attempt, &o, "complete");
	else {
		const char *res = o.result == STORE_AGENT_ALREADY ? "already"
				  : o.result == STORE_AGENT_LATE ? "late" : "completed";

		log_info("scan completed by agent", "scan=%lld attempt=%d agent=%s findings=%zu "
			 "result=%s", (long long)q.id, q.attempt, q.h.agent, q.nfindings, res);
		ret = reply_json(r, 200, json_pack("{ss}", "result", res), NULL, NULL);
	}
	agent_complete_release(&q);
	return ret;
}

enum MHD_Result routes_agent_fail(struct req *r)
{
	struct agent_fail_req q;
	struct store_agent_outcome o = { 0 };
	struct api_problem p;
	struct scan_failure f = { 0 };
	json_t *reply;
	int rc;

	if (agent_parse_fail(r->body, r->len, &q, &p) < 0)
		return agent_problem(r, &p);
	f.code = q.code;
	f.message = q.message[0] ? q.message : q.code;
	f.retryable = q.retryable;
	f.backoff_base_ms = config.backoff_base_s * 1000;
	pthread_mutex_lock(&r->api->write_lock);
	rc = store_agent_fail(r->s, r->pool, q.h.agent, q.id, q.attempt, q.outcome, &f, &o);
	pthread_mutex_unlock(&r->api->write_lock);
	if (rc == STORE_NOT_FOUND)
		return agent_error(r, 404, "not_found", "scan %lld not found", (long long)q.id);
	if (rc != STORE_OK)
		return store_failed(r, "fail");
	if (o.result == STORE_AGENT_LOST)
		return lost(r, q.h.agent, q.id, q.attempt, &o, "fail");
	reply = json_pack("{ss}", "status", scan_status_name(o.status));
	if (o.result == STORE_AGENT_ALREADY)
		json_object_set_new(reply, "already", json_true());
	else
		log_info("scan ended by agent", "scan=%lld attempt=%d agent=%s code=%s status=%s",
			 (long long)q.id, q.attempt, q.h.agent, q.code, scan_status_name(o.status));
	return reply_json(r, 200, reply, NULL, NULL);
}

enum MHD_Result routes_agent_budget(struct req *r)
{
	struct agent_budget_req q;
	struct rate_grant g;
	struct api_problem p;
	struct scan sc;
	int rc;

	if (agent_parse_budget(r->body, r->len, &q, &p) < 0)
		return agent_problem(r, &p);
	rc = store_get(r->s, q.id, &sc);
	if (rc == STORE_NOT_FOUND)
		return agent_error(r, 404, "not_found", "scan %lld not found", (long long)q.id);
	if (rc != STORE_OK)
		return store_failed(r, "budget");
	if (sc.status != SCAN_RUNNING || sc.attempt != q.attempt || strcmp(sc.pool, r->pool) != 0
	    || strcmp(sc.worker_id, q.h.agent) != 0) {
		struct store_agent_outcome o = { .attempt = sc.attempt, .status = sc.status };

		scan_release(&sc);
		return lost(r, q.h.agent, q.id, q.attempt, &o, "budget");
	}
	pthread_mutex_lock(&r->api->write_lock);
	rc = store_rate_take(r->s, sc.targets, q.want, &g);
	pthread_mutex_unlock(&r->api->write_lock);
	scan_release(&sc);
	if (rc != STORE_OK)
		return store_failed(r, "budget");
	return reply_json(r, 200, json_pack("{sbsIsIsIsI}", "capped", g.capped,
					    "probes", (json_int_t)g.probes, "cap", (json_int_t)g.cap,
					    "window", (json_int_t)g.window,
					    "ms_left", (json_int_t)g.ms_left), NULL, NULL);
}
