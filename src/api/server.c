/*
 * server.c — the HTTP server of scanq (see api.h): libmicrohttpd in
 * internal-thread-pool + epoll mode, listening, limits, authentication,
 * per-thread store handles, and the dispatch of each request to its route
 * (routes.h).
 *
 * A request goes: raw target checked (400, uri.h) -> route match (404 /
 * 405) -> authentication (401) and role (403) -> body collected up to the
 * cap (413) -> handler.  The 401 and 403 come as soon as the headers are
 * in; the others, once the body is.
 *
 * A body over the cap is read to its end and dropped before its 413, so
 * that a client still sending reads the answer: closing a connection with
 * unread data resets it, and the client's next send fails with a broken
 * pipe instead.  Only a client that waits for "100 Continue" (it has sent
 * nothing yet), a body announced past API_BODY_DRAIN and, on a network
 * address, a client without a valid token are answered at once; a body
 * that turns out longer than the bound ends the connection.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <microhttpd.h>
#include "api/api.h"
#include "api/client.h"
#include "api/conns.h"
#include "api/longpoll.h"
#include "api/routes_agent.h"
#include "api/reply.h"
#include "api/routes.h"
#include "api/req.h"
#include "api/ui.h"
#include "api/auth.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "api/metrics.h"
#include "core/num.h"
#include "api/uri.h"
#include "scope.h"
#include "store/store.h"

#define TOKEN_RECHECK_MS 1000		/* "are there tokens yet?" at most this often */
#define API_FDS_OTHER    256		/* descriptors kept for everything but connections */
#define API_CONN_RESERVE_DIV 10		/* above max - max/10 open, new connections make room */
#define API_BODY_DRAIN   (8u << 20)	/* a refused body is read and dropped up to this far past
					   the cap before its 413; further, the connection ends */

/* ---- per-thread store ------------------------------------------------------------ */

static void close_store(void *p)
{
	store_close(p);
}

/* This thread's store handle, opened on first use.  NULL if it cannot be
 * opened (logged once per attempt). */
static struct store *thread_store(struct api *a)
{
	struct store *s = pthread_getspecific(a->store_key);
	char err[256];

	if (s)
		return s;
	s = store_open_flags(a->db_url, STORE_NO_MIGRATE | STORE_ON_DEMAND, err, sizeof err);
	if (!s) {
		char q[300];
		log_error("cannot open the store", "error=%s", log_quote(err, q, sizeof q));
		return NULL;
	}
	pthread_setspecific(a->store_key, s);
	return s;
}

/* 1 when requests must carry a token. */
static int auth_required(struct api *a, struct store *s)
{
	int64_t now;

	if (!a->loopback || __atomic_load_n(&a->tokens_exist, __ATOMIC_ACQUIRE))
		return 1;
	now = clock_mono_ns() / 1000000;
	if (now - __atomic_load_n(&a->tokens_checked_ms, __ATOMIC_RELAXED) < TOKEN_RECHECK_MS)
		return 0;
	__atomic_store_n(&a->tokens_checked_ms, now, __ATOMIC_RELAXED);
	if (store_token_any(s) == 1) {
		__atomic_store_n(&a->tokens_exist, 1, __ATOMIC_RELEASE);
		log_info("api tokens exist: authentication is now required", "listen=%s",
			 a->listen);
		return 1;
	}
	return 0;
}

/* ---- dispatch ------------------------------------------------------------------------ */

/* The 413; the connection closes after it (a client that sent too much is
 * not kept). */
static enum MHD_Result too_large(struct req *r)
{
	struct api_problem p = { 413, "body_too_large", "" };

	snprintf(p.detail, sizeof p.detail, "the body is larger than %zu bytes", r->api->body_max);
	return reply_problem_hdr(r, &p, "Connection", "close");
}

/* 1 when a body announced as `length` bytes (-1: not a number), over the
 * cap, must be refused before it is read (see the top of this file).  On
 * a network address the server reads nothing for a client without a
 * valid token. */
static int too_large_now(struct req *r, long long length)
{
	const char *expect = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Expect");

	return length < 0 || (unsigned long long)length > r->api->body_max + API_BODY_DRAIN
	       || (expect && strcasecmp(expect, "100-continue") == 0)
	       || (!r->api->loopback && !r->authed);
}

/* Runs a route's handler; the ones that write (every POST and DELETE)
 * hold the server's write lock. */
static enum MHD_Result run(struct req *r, const struct route *rt)
{
	enum MHD_Result ret;

	if (strcmp(rt->method, "GET") == 0 || routes_grouped(rt))
		return rt->handler(r);
	pthread_mutex_lock(&r->api->write_lock);
	ret = rt->handler(r);
	pthread_mutex_unlock(&r->api->write_lock);
	return ret;
}

/*
 * Checks who may make the request, as soon as its headers are in (before a
 * body is read, so a client without a token is answered at once).  Returns
 * 0 when the route may run (r->role and, where the route needs it, r->s
 * set), or -1 after answering (*ret).
 */
static int authenticate(struct req *r, enum MHD_Result *ret)
{
	const struct route *rt = &routes_table(NULL)[r->route];
	struct api *a = r->api;
	const char *authz;
	int rc;

	/* The UI's static files and /healthz need neither the store nor a token;
	 * /readyz needs the store only. */
	if (rt->role == AUTH_NONE && !rt->store)
		return 0;
	r->s = thread_store(a);
	if (rt->role == AUTH_NONE)
		return 0;
	if (!r->s) {
		*ret = reply_problem(r, 503, "store_unavailable", "the database cannot be opened");
		return -1;
	}
	if (!auth_required(a, r->s) && rt->role != AUTH_AGENT) {
		r->role = AUTH_ADMIN;
		snprintf(r->actor, sizeof r->actor, "api:open");
		return 0;
	}
	authz = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Authorization");
	rc = auth_check_token(r->s, authz, &r->role, r->actor, sizeof r->actor, r->pool,
			      sizeof r->pool);
	if (rc == AUTH_EXPIRED) {
		struct api_problem p = { 401, "invalid_token",
			"the API token was revoked or has expired" };
		*ret = reply_problem_hdr(r, &p, "WWW-Authenticate",
					 "Bearer realm=\"scanq\", error=\"invalid_token\"");
		return -1;
	}
	if (rc == AUTH_MISSING) {
		struct api_problem p = { 401, "unauthorized",
			"this server needs an API token: Authorization: Bearer <token>" };
		*ret = reply_problem_hdr(r, &p, "WWW-Authenticate", "Bearer realm=\"scanq\"");
		return -1;
	}
	if (rc == AUTH_INVALID) {
		struct api_problem p = { 401, "invalid_token", "the API token is not valid" };
		*ret = reply_problem_hdr(r, &p, "WWW-Authenticate",
					 "Bearer realm=\"scanq\", error=\"invalid_token\"");
		return -1;
	}
	if (rc != AUTH_OK) {
		*ret = reply_store_problem(r, "token check");
		return -1;
	}
	r->authed = 1;
	/* The agent role stands apart from the order of the others. */
	if ((rt->role == AUTH_AGENT) != (r->role == AUTH_AGENT)) {
		*ret = reply_problem(r, 403, "forbidden", rt->role == AUTH_AGENT
				     ? "the agent endpoints need an agent token; the token has %s"
				     : "an agent token may use the agent endpoints only (the token has %s)",
				     auth_role_name(r->role));
		return -1;
	}
	if (r->role < rt->role) {
		*ret = reply_problem(r, 403, "forbidden", "this needs the %s role; the token has %s",
				     auth_role_name(rt->role), auth_role_name(r->role));
		return -1;
	}
	return 0;
}

/*
 * A request begins here, as soon as its request line is in
 * (MHD_OPTION_URI_LOG_CALLBACK): this is the only place that sees the
 * target before libmicrohttpd decodes it into C strings, where a %00 would
 * cut the path or a query value short.  The request's state is made here
 * and becomes its *con_cls; on_completed() frees it.  NULL without memory
 * (on_request() then ends the connection).
 */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct req *r = calloc(1, sizeof *r);

	if (!r)
		return NULL;
	r->api = cls;
	r->conn = conn;
	r->rname = "none";
	r->raw_uri = uri;
	r->raw_len = strlen(uri);
	uri_check(uri, r->bad_uri, sizeof r->bad_uri);
	return r;
}

/*
 * A NUL byte sent as is in the request line ends the target's C string
 * for on_uri() too.  libmicrohttpd decodes the target in place, where it
 * runs up to the space before the version: the version's string starts
 * one byte after the target's end.  A target that ended earlier held a
 * NUL.  (When url is not where on_uri() saw the target, or there is no
 * version, nothing can be told and nothing is refused.)
 */
static void check_raw_nul(struct req *r, const char *url, const char *version)
{
	if (r->bad_uri[0] || url != r->raw_uri || !version || !*version || version <= url)
		return;
	if ((size_t)(version - url) != r->raw_len + 1)
		snprintf(r->bad_uri, sizeof r->bad_uri, "the request target holds a NUL byte");
}

/* Who the request is from (client.h), and the per-address limit of a
 * trusted proxy's clients (conns.h).  Returns 0, or -1 when over it. */
static int begin(struct req *r)
{
	targets_u128 client = 0;
	int forwarded = 0;

	if (client_of(r->conn, r->api->trusted, &client, &forwarded) == 0)
		client_text(client, r->client, sizeof r->client);
	else
		snprintf(r->client, sizeof r->client, "unknown");
	return conns_request_begin(r->api->conns, r->conn, client, forwarded);
}

static enum MHD_Result ret_limit(struct req *r)
{
	log_warn("http request refused", "client=%s reason=per_ip limit=%d", r->client,
		 config.max_connections_per_ip);
	return reply_problem(r, 429, "too_many_requests", "more than %d requests in progress from %s",
			     config.max_connections_per_ip, r->client);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct api *a = cls;
	struct req *r = *con_cls;
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	if (!r->method) {
		const char *cl;
		char why[160];
		long long v;

		r->method = method;
		r->url = url;
		r->start_ns = clock_mono_ns();
		r->route = -1;
		r->rname = "none";
		check_raw_nul(r, url, version);
		if (begin(r) < 0)
			return ret_limit(r);
		if (!r->bad_uri[0])	/* else no route sees it: answered 400 below */
			r->route = routes_find(method, url, r->param, sizeof r->param, r->allow,
					       sizeof r->allow);
		if (r->route >= 0)
			r->rname = routes_table(NULL)[r->route].name;
		/* A request its client may not make and a body too large to
		 * read are refused now (MHD then closes the connection).
		 * Every other answer waits for the body: answering in this
		 * first call would cost the keep-alive, or reset a client
		 * still sending. */
		if (a->tls.client_ca && !api_tls_client_ok(conn, why, sizeof why))
			return reply_problem(r, 403, "client_certificate", "%s", why);
		if (r->route >= 0 && !r->bad_uri[0] && authenticate(r, &ret) < 0)
			return ret;
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
		if (cl && num_parse(cl, 0, LLONG_MAX, &v) < 0)
			v = -1;
		if (cl && (v < 0 || (unsigned long long)v > a->body_max)) {
			if (too_large_now(r, v))
				return too_large(r);
			r->too_big = 1;		/* read, dropped and answered below */
		}
		return MHD_YES;
	}
	if (*upload_size) {
		size_t n = *upload_size;

		*upload_size = 0;
		if (!r->too_big && r->len + n <= a->body_max) {
			char *nb = realloc(r->body, r->len + n + 1);
			if (!nb)
				return MHD_NO;
			r->body = nb;
			memcpy(r->body + r->len, upload_data, n);
			r->len += n;
			r->body[r->len] = '\0';
			return MHD_YES;
		}
		/* Over the cap: dropped, and answered 413 below once it is all
		 * in.  Past the drain bound the connection ends here: MHD takes
		 * no answer in the middle of a body. */
		r->too_big = 1;
		r->dropped += n;
		return r->len + r->dropped > a->body_max + API_BODY_DRAIN ? MHD_NO : MHD_YES;
	}
	conns_request_answer(a->conns, conn);
	if (r->code)
		return MHD_YES;	/* already answered */
	if (r->bad_uri[0])
		return reply_problem(r, 400, "invalid_parameter", "%s", r->bad_uri);
	if (r->too_big)
		return too_large(r);
	if (r->route == -1)
		return reply_problem(r, 404, "not_found", "no such endpoint");
	if (r->route == -2) {
		struct api_problem p = { 405, "method_not_allowed", "" };
		snprintf(p.detail, sizeof p.detail, "this endpoint takes %s", r->allow);
		r->route = -1;
		return reply_problem_hdr(r, &p, "Allow", r->allow);
	}
	return run(r, &routes_table(NULL)[r->route]);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct api *a = cls;
	struct req *r = *con_cls;

	conns_request_end(a->conns, conn);
	if (!r)
		return;
	if (r->code)
		metrics_http(a->metrics, r->route, r->code,
			     (double)(clock_mono_ns() - r->start_ns) / 1e9);
	routes_agent_free(r->agent);
	free(r->body);
	free(r);
	*con_cls = NULL;
}

/* libmicrohttpd's messages, one warning line each; except its refusals at
 * a connection limit, which a crowd makes by the thousand: they are
 * counted in the connection table's summary line instead. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct api *a = cls;
	char line[256], q[300];
	size_t n;

	if (strncmp(fmt, "Server reached connection limit", 31) == 0) {
		conns_refused(a->conns);
		return;
	}
	vsnprintf(line, sizeof line, fmt, ap);
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	log_warn("http server", "detail=%s", log_quote(line, q, sizeof q));
}
/* ---- start and stop ------------------------------------------------------------------ */

/* Parses "ADDR:PORT" / "[ADDR]:PORT" into ss.  Returns 0 or -1. */
static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *sl, int *loopback)
{
	char host[128];
	const char *colon;
	long long port;
	size_t hl;

	memset(ss, 0, sizeof *ss);
	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (!end || end[1] != ':')
			return -1;
		hl = (size_t)(end - s - 1);
		if (hl >= sizeof host)
			return -1;
		memcpy(host, s + 1, hl);
		colon = end + 1;
	} else {
		if (!(colon = strrchr(s, ':')))
			return -1;
		hl = (size_t)(colon - s);
		if (hl >= sizeof host)
			return -1;
		memcpy(host, s, hl);
	}
	host[hl] = '\0';
	if (num_parse(colon + 1, 0, 65535, &port) < 0)
		return -1;
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof host, "127.0.0.1");
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		*sl = sizeof *v4;
		*loopback = (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		*sl = sizeof *v6;
		*loopback = IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
		return 0;
	}
	return -1;
}


/* The metrics labels of the routes, in table order; *n gets their count.
 * Static storage: the metrics registry borrows them. */
static const char *const *route_names(int *n)
{
	static const char *names[METRICS_ROUTES_MAX];
	const struct route *t = routes_table(n);

	if (*n > METRICS_ROUTES_MAX)
		*n = METRICS_ROUTES_MAX;
	for (int i = 0; i < *n; i++)
		names[i] = t[i].name;
	return names;
}

/*
 * One server thread per online CPU: more threads than cores only add
 * context switches to the latency tail (measured on 2 cores with wrk: 4
 * threads gave GET p99 5.0-5.5 ms, 2 threads 2.4 ms, at the same rate).
 */
static int default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > API_THREADS_MIN ? (int)n : API_THREADS_MIN;
}

/*
 * Binds and listens on ss.  Returns the socket, or -1 with a one-line
 * reason in err.  SO_REUSEADDR only: a restart may bind over connections
 * in TIME_WAIT, but without SO_REUSEPORT a second server on the same
 * address fails here instead of sharing the port (and the requests).
 */
static int listen_on(const struct sockaddr_storage *ss, socklen_t sl, const char *addr,
		     char *err, size_t errlen)
{
	int fd, one = 1, e;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errlen, "cannot listen on %.60s: %s", addr, strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	if (bind(fd, (const struct sockaddr *)ss, sl) == 0 && listen(fd, SOMAXCONN) == 0)
		return fd;
	e = errno;
	close(fd);
	if (e == EADDRINUSE)
		snprintf(err, errlen, "cannot listen on %.60s: address already in use "
			 "(another scanq serve?)", addr);
	else if (e == EADDRNOTAVAIL)
		snprintf(err, errlen, "cannot listen on %.60s: not an address of this host", addr);
	else
		snprintf(err, errlen, "cannot listen on %.60s: %s", addr, strerror(e));
	return -1;
}

/*
 * Raises the soft limit of open files to what `conns` connections need
 * (the hard limit permitting).  Returns how many connections fit.
 */
static int fit_open_files(int conns)
{
	rlim_t need = (rlim_t)conns + (rlim_t)conns / 2 + API_FDS_OTHER;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= need)
		return conns;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ? need : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 && getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return conns;
	if (rl.rlim_cur >= need)
		return conns;
	conns = rl.rlim_cur > API_FDS_OTHER + 24 ? (int)((rl.rlim_cur - API_FDS_OTHER) * 2 / 3) : 16;
	log_warn("http.max_connections lowered to fit the open-file limit", "max_connections=%d "
		 "nofile=%llu", conns, (unsigned long long)rl.rlim_cur);
	return conns;
}

/*
 * Whether API tokens exist (1) or not (0), read once at start; -1 with
 * err set when the store cannot say, or when there are none and the
 * address is not loopback: a network address is never served without
 * authentication.
 */
static int tokens_exist(const char *db_url, const char *listen, int loopback, char *err,
			size_t errlen)
{
	struct store *s;
	char serr[256];
	int any;

	if (!(s = store_open(db_url, serr, sizeof serr))) {
		snprintf(err, errlen, "%s", serr);
		return -1;
	}
	any = store_token_any(s);
	store_close(s);
	if (any < 0) {
		snprintf(err, errlen, "cannot read the API tokens");
		return -1;
	}
	if (!any && !loopback) {
		snprintf(err, errlen, "refusing to listen on %.60s without API tokens: create one "
			 "with 'scanq token create --role admin' or listen on 127.0.0.1", listen);
		return -1;
	}
	return any;
}

/*
 * Starts libmicrohttpd on the listening socket fd, with at most maxc
 * connections; returns 0, or -1 with the socket closed.
 */
static int start_daemon(struct api *a, const struct api_options *o, int fd, int ipv6, int maxc)
{
	/* Suspend and resume: an agent's claim waits for work with its
	 * connection suspended (longpoll.h), not on a server thread. */
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG
			 | MHD_ALLOW_SUSPEND_RESUME;
	/* Mutual TLS: clients are asked for a certificate the CA signed
	 * (api_tls_client_ok() refuses a request without one). */
	struct MHD_OptionItem trust[] = {
		{ a->tls.client_ca ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, 0,
		  a->tls.client_ca },
		{ MHD_OPTION_END, 0, NULL },
	};
	sigset_t block, old;

	if (ipv6)
		flags |= MHD_USE_IPv6;
	if (a->tls.cert)
		flags |= MHD_USE_TLS;
	/* The server threads inherit this mask: signals stay with the main
	 * thread, whose sleeps they must interrupt (serve's shutdown).
	 * libmicrohttpd's own limit is twice ours: it splits it evenly between
	 * its threads and would refuse on a busy thread long before the table
	 * (conns.h) makes room; the table keeps the total under maxc.  The
	 * per-address limit is the table's too: libmicrohttpd's would count a
	 * trusted proxy as one client. */
	sigfillset(&block);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	a->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, a,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, a,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, a,
		MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(o->threads > 0 ? o->threads : default_threads()),
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)maxc * 2,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)config.timeout_s,
		MHD_OPTION_NOTIFY_CONNECTION, conns_notify, a->conns,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, a,
		/* Only read with MHD_USE_TLS; the PEM texts live as long as a. */
		MHD_OPTION_HTTPS_MEM_CERT, a->tls.cert ? a->tls.cert : "",
		MHD_OPTION_HTTPS_MEM_KEY, a->tls.key ? a->tls.key : "",
		MHD_OPTION_ARRAY, trust,
		MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (a->d)
		return 0;
	/* libmicrohttpd may or may not have closed the socket it was given. */
	if (fcntl(fd, F_GETFD) != -1)
		close(fd);
	return -1;
}

struct api *api_start(const struct api_options *o, char *err, size_t errlen)
{
	const char *listen = o->listen && *o->listen ? o->listen : config.listen;
	struct sockaddr_storage ss, bound;
	struct api *a;
	socklen_t sl = 0, bl = sizeof bound;
	const char *const *names;
	int loopback = 0, any, nroutes, fd = -1, maxc;
	struct conns_limits lim;
	char serr[256];

	if (parse_listen(listen, &ss, &sl, &loopback) < 0) {
		snprintf(err, errlen, "invalid listen address '%.60s' (ADDR:PORT or [ADDR]:PORT)",
			 listen);
		return NULL;
	}
	if (auth_init() < 0) {
		snprintf(err, errlen, "libsodium cannot be initialized");
		return NULL;
	}
	if ((any = tokens_exist(o->db_url, listen, loopback, err, errlen)) < 0)
		return NULL;
	if ((fd = listen_on(&ss, sl, listen, err, errlen)) < 0)
		return NULL;
	if (!(a = calloc(1, sizeof *a))) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(a->db_url, sizeof a->db_url, "%s", o->db_url);
	snprintf(a->listen, sizeof a->listen, "%s", listen);
	a->loopback = loopback;
	a->tokens_exist = any;
	a->body_max = (size_t)config.max_body_kb * 1024;
	if (getsockname(fd, (struct sockaddr *)&bound, &bl) == 0)
		a->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
				: ((struct sockaddr_in *)&bound)->sin_port);
	maxc = fit_open_files(config.max_connections);
	lim.header_timeout_ms = (int64_t)config.header_timeout_s * 1000;
	lim.body_timeout_ms = (int64_t)config.body_timeout_s * 1000;
	lim.keepalive_timeout_ms = (int64_t)config.keepalive_timeout_s * 1000;
	lim.high = maxc - maxc / API_CONN_RESERVE_DIV;
	lim.per_ip = config.max_connections_per_ip;
	names = route_names(&nroutes);
	if (!(a->trusted = client_trusted_new(serr, sizeof serr))) {
		free(a);
		close(fd);
		snprintf(err, errlen, "http.trusted_proxies: %s", serr);
		return NULL;
	}
	lim.trusted = a->trusted;
	if (!(a->metrics = metrics_new(names, nroutes))
	    || pthread_key_create(&a->store_key, close_store) != 0
	    || !(a->conns = conns_new(&lim)) || !(a->ui = calloc(1, sizeof *a->ui))) {
		conns_free(a->conns);
		metrics_free(a->metrics);
		scope_free(a->trusted);
		free(a);
		close(fd);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&a->write_lock, NULL);
	if (!(a->group = store_group_new(o->db_url, serr, sizeof serr))) {
		snprintf(err, errlen, "%s", serr);
		api_stop(a);
		return NULL;
	}
	metrics_set_group(a->metrics, a->group);
	if (!(a->lp = longpoll_new(o->db_url, serr, sizeof serr))) {
		snprintf(err, errlen, "%s", serr);
		api_stop(a);
		return NULL;
	}
	ui_load(a->ui, o->web_dir, o->self);
	if ((config.tls_cert[0] && api_tls_load(&a->tls, config.tls_cert, config.tls_key, err,
						   errlen) < 0)
	    || (config.tls_client_ca[0]
		&& api_tls_load_client_ca(&a->tls, config.tls_client_ca, err, errlen) < 0)) {
		close(fd);
		api_stop(a);
		return NULL;
	}
	if (start_daemon(a, o, fd, ss.ss_family == AF_INET6, maxc) < 0) {
		snprintf(err, errlen, "cannot start the http server on %.60s", listen);
		api_stop(a);
		return NULL;
	}
	log_info("http listening", "listen=%s port=%d tls=%s auth=%s ui=%s max_connections=%d "
		 "per_ip=%d header_timeout_s=%d", listen, a->port, a->tls.client_ca ? "mutual" : a->tls.cert ? "on" : "off",
		 any ? "tokens" : "none", a->ui->files[0].data ? "yes" : "no", maxc,
		 config.max_connections_per_ip, config.header_timeout_s);
	if (a->tls.cert && a->tls.days_left < 14)
		log_warn(a->tls.days_left < 0 ? "the https certificate has expired"
			 : "the https certificate expires soon", "subject=\"%s\" days_left=%ld",
			 a->tls.subject, a->tls.days_left);
	if (!any)
		log_warn("no API tokens: serving without authentication on loopback only",
			 "hint=\"scanq token create --role admin\"");
	return a;
}


void api_stop(struct api *a)
{
	if (!a)
		return;
	conns_stop(a->conns);	/* no shutdown(2) from the table while the daemon stops */
	longpoll_stop(a->lp);	/* MHD_stop_daemon() refuses suspended connections */
	if (a->d)
		MHD_stop_daemon(a->d);	/* joins the threads: their stores close */
	longpoll_free(a->lp);
	store_group_free(a->group);	/* after the last submit returned */
	conns_free(a->conns);
	pthread_key_delete(a->store_key);
	pthread_mutex_destroy(&a->write_lock);
	if (a->ui)
		ui_release(a->ui);
	free(a->ui);
	metrics_free(a->metrics);
	api_tls_release(&a->tls);
	scope_free(a->trusted);
	free(a);
}
