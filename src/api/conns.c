/*
 * conns.c — the HTTP server's connection table (see conns.h): header and
 * keep-alive deadlines, and room for new clients near the limit.
 *
 * Connections waiting for a client sit in three lists, oldest first:
 * `fresh` (no request yet), `body` (headers in, body still arriving) and
 * `idle` (answered, keep-alive).  Because a
 * connection enters a list with the current time, each list stays sorted,
 * so a deadline check and an eviction look at list heads only: O(1) per
 * connection closed, whatever the number open.  The per-address limit
 * walks the lists (count_from()): O(open connections) per new connection
 * and per request from a trusted proxy, at most max_connections each.  One mutex guards the
 * table; a connection stays in it (and its file descriptor open) until
 * libmicrohttpd's "closed" notification, which comes before it closes the
 * descriptor, so a shutdown(2) here never reaches a reused descriptor.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include "api/client.h"
#include "api/conns.h"
#include "core/bg.h"
#include "core/clock.h"
#include "core/log.h"

#define SUMMARY_MS 10000	/* at most one "connections closed" log line per this */

enum state { ST_FRESH, ST_BODY, ST_BUSY, ST_IDLE, ST_CLOSING };

/* What the table closed, for its summary log line. */
struct counts {
	int64_t header_cut;	/* closed: headers not complete in time */
	int64_t body_cut;	/* closed: body not complete in time */
	int64_t idle_cut;	/* closed: keep-alive connection idle too long */
	int64_t evicted;	/* closed to make room for a new connection */
	int64_t refused;	/* refused at accept (conns_refused()), or over per_ip for
				 * one address (a connection, or a forwarded client's request) */
};

struct conn {
	struct conn *prev, *next;	/* in fresh, body or idle (by state) */
	int fd;
	enum state st;
	int64_t since_ms;	/* entered its current state */
	targets_u128 peer;	/* the socket's peer */
	targets_u128 client;	/* the current request's forwarded client (forwarded) */
	int forwarded;		/* a trusted proxy's request for `client` in progress */
	int known;		/* peer is set */
	int proxy;		/* the peer is a trusted proxy */
};

struct list {
	struct conn *head, *tail;
	int n;
};

struct conns {
	struct bg bg;		/* the housekeeping thread; bg.mu guards everything here */
	struct conns_limits lim;
	struct list fresh, body, busy, idle;
	struct counts st;
	struct counts logged;	/* as of the last summary line */
	int64_t logged_ms;
};

static void list_push(struct list *l, struct conn *c)
{
	c->next = NULL;
	c->prev = l->tail;
	if (l->tail)
		l->tail->next = c;
	else
		l->head = c;
	l->tail = c;
	l->n++;
}

static void list_remove(struct list *l, struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		l->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		l->tail = c->prev;
	c->prev = c->next = NULL;
	l->n--;
}

static struct list *list_of(struct conns *t, struct conn *c)
{
	return c->st == ST_FRESH ? &t->fresh : c->st == ST_BODY ? &t->body
	       : c->st == ST_BUSY ? &t->busy : c->st == ST_IDLE ? &t->idle : NULL;
}

static int open_count(const struct conns *t)
{
	return t->fresh.n + t->body.n + t->idle.n + t->busy.n;
}

/* Takes c out of its list and shuts its socket down; libmicrohttpd closes
 * it on its own thread.  Lock held. */
static void cut(struct conns *t, struct conn *c, int64_t *counter)
{
	struct list *l = list_of(t, c);

	if (l)
		list_remove(l, c);
	c->st = ST_CLOSING;
	shutdown(c->fd, SHUT_RDWR);
	(*counter)++;
}

/* Above the high-water mark, closes waiting connections, idle keep-alive
 * ones first, until the count is back (never `self`).  Lock held. */
static void make_room(struct conns *t, struct conn *self)
{
	while (open_count(t) > t->lim.high) {
		struct conn *v = t->idle.head;

		if (!v && t->fresh.head != self)
			v = t->fresh.head;
		if (!v)
			return;		/* every other connection is being answered */
		cut(t, v, &t->st.evicted);
	}
}

/* One log line when connections were closed since the last one (at most
 * one per SUMMARY_MS unless `force`).  Lock held. */
static void summary(struct conns *t, int64_t now, int force)
{
	struct counts s = t->st, *o = &t->logged;

	if (!force && now - t->logged_ms < SUMMARY_MS)
		return;
	t->logged_ms = now;
	if (s.header_cut == o->header_cut && s.body_cut == o->body_cut && s.idle_cut == o->idle_cut
	    && s.evicted == o->evicted && s.refused == o->refused)
		return;
	log_warn("http connections closed by the server", "headers_late=%lld body_late=%lld "
		 "keepalive_idle=%lld evicted=%lld refused=%lld open=%d",
		 (long long)(s.header_cut - o->header_cut), (long long)(s.body_cut - o->body_cut),
		 (long long)(s.idle_cut - o->idle_cut), (long long)(s.evicted - o->evicted),
		 (long long)(s.refused - o->refused), open_count(t));
	*o = s;
}

static void *housekeeping(void *arg)
{
	struct conns *t = arg;

	pthread_mutex_lock(&t->bg.mu);
	while (!t->bg.stop) {
		int64_t now = clock_mono_ms();

		while (t->fresh.head && now - t->fresh.head->since_ms >= t->lim.header_timeout_ms)
			cut(t, t->fresh.head, &t->st.header_cut);
		while (t->body.head && now - t->body.head->since_ms >= t->lim.body_timeout_ms)
			cut(t, t->body.head, &t->st.body_cut);
		while (t->idle.head && now - t->idle.head->since_ms >= t->lim.keepalive_timeout_ms)
			cut(t, t->idle.head, &t->st.idle_cut);
		summary(t, now, 0);
		bg_wait_locked(&t->bg, CONNS_TICK_MS);
	}
	pthread_mutex_unlock(&t->bg.mu);
	return NULL;
}

struct conns *conns_new(const struct conns_limits *l)
{
	struct conns *t = calloc(1, sizeof *t);

	if (!t)
		return NULL;
	t->lim = *l;
	t->logged_ms = clock_mono_ms();
	/* Signals stay with the main thread (serve's shutdown): bg.h. */
	if (bg_start(&t->bg, housekeeping, t) < 0) {
		free(t);
		return NULL;
	}
	return t;
}

void conns_stop(struct conns *t)
{
	if (!t || !t->bg.running)
		return;
	bg_stop(&t->bg);
	pthread_mutex_lock(&t->bg.mu);
	summary(t, clock_mono_ms(), 1);
	pthread_mutex_unlock(&t->bg.mu);
}

void conns_free(struct conns *t)
{
	if (!t)
		return;
	conns_stop(t);
	/* The daemon stopped: every connection was notified closed and freed. */
	bg_release(&t->bg);
	free(t);
}

/* Sets c->peer from the connection, c->known when there is one, and
 * c->proxy when it is a trusted proxy (its limit is then per client). */
static void peer_of(const struct conns *t, struct MHD_Connection *mc, struct conn *c)
{
	const union MHD_ConnectionInfo *ai =
		MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	c->known = ai && client_sockaddr(ai->client_addr, &c->peer) == 0;
	c->proxy = c->known && client_trusted(t->lim.trusted, c->peer);
}

/*
 * How many open connections share c's address: its peer (by_client 0,
 * counting every state), or its forwarded client (by_client 1, counting
 * requests in progress only).  Lock held.
 */
static int count_from(const struct conns *t, const struct conn *c, int by_client)
{
	const struct list *ls[] = { &t->fresh, &t->body, &t->busy, &t->idle };
	int n = 0;

	for (size_t i = by_client ? 1 : 0; i < (by_client ? 3u : 4u); i++)
		for (const struct conn *o = ls[i]->head; o; o = o->next)
			n += by_client ? o->forwarded && o->client == c->client
				       : o->known && o->peer == c->peer;
	return n;
}

void conns_notify(void *cls, struct MHD_Connection *mc, void **socket_context,
		  enum MHD_ConnectionNotificationCode code)
{
	struct conns *t = cls;
	struct conn *c;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *fi =
			MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);

		*socket_context = NULL;
		if (!fi || !(c = calloc(1, sizeof *c)))
			return;		/* untracked: only libmicrohttpd's timeout applies */
		c->fd = fi->connect_fd;
		c->st = ST_FRESH;
		peer_of(t, mc, c);
		pthread_mutex_lock(&t->bg.mu);
		c->since_ms = clock_mono_ms();
		list_push(&t->fresh, c);
		if (c->known && !c->proxy && t->lim.per_ip > 0 && count_from(t, c, 0) > t->lim.per_ip)
			cut(t, c, &t->st.refused);
		else
			make_room(t, c);
		pthread_mutex_unlock(&t->bg.mu);
		*socket_context = c;
		return;
	}
	if (!(c = *socket_context))
		return;
	pthread_mutex_lock(&t->bg.mu);
	if (list_of(t, c))
		list_remove(list_of(t, c), c);
	pthread_mutex_unlock(&t->bg.mu);
	free(c);
	*socket_context = NULL;
}

void conns_refused(struct conns *t)
{
	pthread_mutex_lock(&t->bg.mu);
	t->st.refused++;
	pthread_mutex_unlock(&t->bg.mu);
}

static struct conn *conn_of(struct MHD_Connection *mc)
{
	const union MHD_ConnectionInfo *i =
		MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return i ? i->socket_context : NULL;
}

int conns_request_begin(struct conns *t, struct MHD_Connection *mc, targets_u128 client,
			int forwarded)
{
	struct conn *c = conn_of(mc);
	int rc = 0;

	if (!c)
		return 0;
	pthread_mutex_lock(&t->bg.mu);
	if (c->st == ST_FRESH || c->st == ST_IDLE) {
		list_remove(list_of(t, c), c);
		c->st = ST_BODY;
		c->since_ms = clock_mono_ms();
		list_push(&t->body, c);
	}
	c->forwarded = c->proxy && forwarded;
	c->client = client;
	if (c->forwarded && t->lim.per_ip > 0 && count_from(t, c, 1) > t->lim.per_ip) {
		c->forwarded = 0;	/* refused: it does not count against its client */
		t->st.refused++;
		rc = -1;
	}
	pthread_mutex_unlock(&t->bg.mu);
	return rc;
}

void conns_request_answer(struct conns *t, struct MHD_Connection *mc)
{
	struct conn *c = conn_of(mc);

	if (!c)
		return;
	pthread_mutex_lock(&t->bg.mu);
	if (c->st == ST_BODY) {
		list_remove(&t->body, c);
		c->st = ST_BUSY;
		list_push(&t->busy, c);
	}
	pthread_mutex_unlock(&t->bg.mu);
}

void conns_request_end(struct conns *t, struct MHD_Connection *mc)
{
	struct conn *c = conn_of(mc);

	if (!c)
		return;
	pthread_mutex_lock(&t->bg.mu);
	c->forwarded = 0;
	if (c->st == ST_BODY || c->st == ST_BUSY) {
		list_remove(list_of(t, c), c);
		c->st = ST_IDLE;
		c->since_ms = clock_mono_ms();
		list_push(&t->idle, c);
	}
	pthread_mutex_unlock(&t->bg.mu);
}
