/*
 * conns.h — the HTTP server's table of open connections (internal to
 * src/api/): deadlines libmicrohttpd does not have, and room for new
 * clients when the server is nearly full.
 *
 * libmicrohttpd's connection timeout restarts with every byte received, so
 * a client that sends one header byte a second holds its connection for
 * ever.  This table gives each connection real deadlines instead:
 *   - a new connection must deliver complete request headers within
 *     header_timeout_ms of being accepted;
 *   - a request's body must be complete within body_timeout_ms of its
 *     headers;
 *   - a connection that was answered (keep-alive) must deliver the next
 *     request's headers within keepalive_timeout_ms of that answer;
 *   - when more than `high` connections are open, each new one makes room:
 *     the oldest idle keep-alive connection is closed first, then the
 *     oldest one still waiting for its first headers.  A connection with
 *     a request in progress (body or answer) is never closed for room;
 *   - at most `per_ip` connections from one peer address, unless the peer
 *     is a trusted proxy (client.h): one more is closed at once.  Behind a
 *     trusted proxy the limit is per client address instead: at most
 *     `per_ip` requests in progress for one X-Forwarded-For client
 *     (conns_request_begin() refuses the next), however many idle
 *     connections the proxy keeps open.
 * Closing means shutdown(2) of the socket from a housekeeping thread;
 * libmicrohttpd then sees the end of the stream on its own thread and
 * closes the connection (the file descriptor stays open until it does,
 * and this table forgets the connection before that).
 *
 * What the table closed, and the connections libmicrohttpd refused at
 * accept (its total and per-address limits), are counted in one log line
 * at most every 10 s: `msg="http connections closed by the server"`
 * with headers_late, body_late, keepalive_idle, evicted and refused.
 */
#ifndef SCANQ_API_CONNS_H
#define SCANQ_API_CONNS_H

#include <stdint.h>
#include <microhttpd.h>
#include "targets.h"

struct scope;

#define CONNS_TICK_MS 100	/* how often deadlines are checked */

struct conns;

struct conns_limits {
	int64_t header_timeout_ms;	/* first request's headers, from accept */
	int64_t body_timeout_ms;	/* a request's body, from its headers */
	int64_t keepalive_timeout_ms;	/* next request's headers, from the last answer */
	int high;			/* open connections above which new ones make room */
	int per_ip;			/* connections from one address (see above) */
	const struct scope *trusted;	/* trusted proxies (client.h), borrowed; NULL: none */
};

/* A new table with its housekeeping thread running.  Returns NULL (out of
 * memory or no thread).  Free with conns_free() after the MHD daemon that
 * used it stopped. */
struct conns *conns_new(const struct conns_limits *l);

/* Stops the housekeeping thread and frees the table.  NULL is a no-op. */
void conns_free(struct conns *t);

/* Stops the housekeeping thread (no connection is closed by the table
 * after this returns); conns_free() does it too.  Call it before
 * MHD_stop_daemon(). */
void conns_stop(struct conns *t);

/* The MHD_OPTION_NOTIFY_CONNECTION callback (cls: the table): a started
 * connection enters the table (and may make room), a closed one leaves. */
void conns_notify(void *cls, struct MHD_Connection *c, void **socket_context,
		  enum MHD_ConnectionNotificationCode code);

/* libmicrohttpd refused a new connection (a limit was reached): counted
 * for the summary line; the connection never entered the table. */
void conns_refused(struct conns *t);

/* The headers of a request on c are complete: the header deadline stops,
 * the body deadline starts.  `client` is the request's client address
 * (client_from()); `forwarded` says it came from a trusted proxy's
 * header.  Returns 0, or -1 when that forwarded client already has
 * per_ip requests in progress (answer 429; the request still ends with
 * conns_request_end()). */
int conns_request_begin(struct conns *t, struct MHD_Connection *c, targets_u128 client,
			int forwarded);

/* The request on c is complete (body included) and about to be answered:
 * no deadline of this table applies until the answer is sent.  Calling it
 * again is harmless. */
void conns_request_answer(struct conns *t, struct MHD_Connection *c);

/* The request on c was answered: the connection is idle keep-alive now
 * and its next deadline starts. */
void conns_request_end(struct conns *t, struct MHD_Connection *c);

#endif
