/*
 * req.h — what the parts of the HTTP server share (internal to
 * src/api/): the server itself (struct api) and one request in flight
 * (struct req).  server.c owns both; the handlers in routes.c and ui.c
 * read them and answer through reply.h.
 */
#ifndef SCANQ_API_REQ_H
#define SCANQ_API_REQ_H

#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <microhttpd.h>
#include "api/auth.h"
#include "api/tls.h"

struct ui;
struct scope;
struct longpoll;
struct agent_wait;

struct api {
	struct MHD_Daemon *d;
	char db_url[512];
	char listen[160];
	int loopback;		/* listening on a loopback address only */
	size_t body_max;
	pthread_key_t store_key;
	int tokens_exist;	/* sticky: once a token exists, auth is on for good */
	int64_t tokens_checked_ms;
	struct metrics *metrics;
	/* Held around every write: server threads queue here instead of in
	 * SQLite's busy handler, whose sleeps cost far more than the write. */
	pthread_mutex_t write_lock;
	/* Submissions are committed together, many per transaction. */
	struct store_group *group;
	struct ui *ui;		/* the static UI files (ui.h), owned */
	struct conns *conns;	/* deadlines and room (conns.h) */
	struct api_tls tls;	/* HTTPS: cert and key (tls.h); cert NULL: plain HTTP */
	int port;
	struct scope *trusted;	/* [http] trusted_proxies (client.h), owned */
	struct longpoll *lp;	/* agents' claims waiting for work (longpoll.h), owned */
};

struct req {
	struct api *api;
	struct MHD_Connection *conn;
	const char *method;
	const char *url;
	int route;		/* index in the route table, -1 when none matched */
	const char *rname;	/* the matched route's metrics label, "none" when none */
	char *body;
	size_t len;
	int too_big;		/* the body is over the cap: dropped, answered 413 */
	size_t dropped;		/* bytes of it dropped so far */
	int code;		/* the status answered, for the metrics */
	int64_t start_ns;
	enum auth_role role;
	int authed;		/* a token was checked (else open loopback mode) */
	char actor[80];		/* who, for the audit trail: "token:NAME" or "api:open" */
	struct store *s;
	char param[128];	/* the {id} or {file} segment */
	char bad_uri[160];	/* why the raw target is refused (uri.h); "" when it is not */
	const char *raw_uri;	/* where the raw target began (compared, never read) */
	size_t raw_len;		/* its length up to its first NUL */
	char allow[64];		/* methods of the path, for a 405 */
	char client[64];	/* the client's address (client.h): the audit trail, logs */
	char pool[40];		/* an agent token's pool ("" for the other roles) */
	struct agent_wait *agent;	/* a claim's state across its resumptions, owned */
};

#endif
