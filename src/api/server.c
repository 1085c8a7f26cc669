/*
 * server.c — the HTTP server of scanq (see api.h): libmicrohttpd in
 * internal-thread-pool + epoll mode, listening, limits, authentication,
 * per-thread store handles, and the dispatch of each request to its route
 * (routes.h).
 *
 * A request goes: route match (404 / 405) -> body collected up to the cap
 * (413) -> authentication (401) and role (403) -> handler.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <microhttpd.h>
#include "api/api.h"
#include "api/reply.h"
#include "api/routes.h"
#include "api/server.h"
#include "api/ui.h"
#include "auth.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "num.h"
#include "store/store.h"

#define TOKEN_RECHECK_MS 1000		/* "are there tokens yet?" at most this often */

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
	s = store_open_flags(a->db_url, STORE_NO_MIGRATE, err, sizeof err);
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

/* Runs a route's handler; the ones that write (every POST) hold the
 * server's write lock. */
static enum MHD_Result run(struct req *r, const struct route *rt)
{
	enum MHD_Result ret;

	if (strcmp(rt->method, "POST") != 0 || routes_grouped(rt))
		return rt->handler(r);
	pthread_mutex_lock(&r->api->write_lock);
	ret = rt->handler(r);
	pthread_mutex_unlock(&r->api->write_lock);
	return ret;
}

static enum MHD_Result dispatch(struct req *r)
{
	const struct route *rt = &routes_table(NULL)[r->route];
	struct api *a = r->api;
	const char *authz;
	int rc;

	if (r->too_big)
		return reply_problem(r, 413, "body_too_large", "the body is larger than %zu bytes",
			       a->body_max);
	/* The UI's static files and /healthz need neither the store nor a token;
	 * /readyz needs the store only. */
	if (rt->role == AUTH_NONE && !rt->store)
		return rt->handler(r);
	r->s = thread_store(a);
	if (rt->role == AUTH_NONE)
		return rt->handler(r);
	if (!r->s)
		return reply_problem(r, 503, "store_unavailable", "the database cannot be opened");
	if (!auth_required(a, r->s)) {
		r->role = AUTH_ADMIN;
		return run(r, rt);
	}
	authz = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Authorization");
	rc = auth_check(r->s, authz, &r->role);
	if (rc == AUTH_MISSING) {
		struct api_problem p = { 401, "unauthorized",
			"this server needs an API token: Authorization: Bearer <token>" };
		return reply_problem_hdr(r, &p, "WWW-Authenticate", "Bearer realm=\"scanq\"");
	}
	if (rc == AUTH_INVALID) {
		struct api_problem p = { 401, "invalid_token", "the API token is not valid" };
		return reply_problem_hdr(r, &p, "WWW-Authenticate",
				       "Bearer realm=\"scanq\", error=\"invalid_token\"");
	}
	if (rc != AUTH_OK)
		return reply_store_problem(r, "token check");
	r->authed = 1;
	if (r->role < rt->role)
		return reply_problem(r, 403, "forbidden", "this needs the %s role; the token has %s",
			       auth_role_name(rt->role), auth_role_name(r->role));
	return run(r, rt);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct api *a = cls;
	struct req *r = *con_cls;

	if (!r) {
		const char *cl;
		long long v;

		if (!(r = calloc(1, sizeof *r)))
			return MHD_NO;
		*con_cls = r;
		r->api = a;
		r->conn = conn;
		r->method = method;
		r->url = url;
		r->start_ns = clock_mono_ns();
		r->route = routes_find(method, url, r->param, sizeof r->param, r->allow,
				       sizeof r->allow);
		/* An oversized body is refused before it is read (MHD then closes
		 * the connection).  Every other answer waits for the next call:
		 * answering in this first one would cost the keep-alive. */
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
		if (cl && (num_parse(cl, 0, LLONG_MAX, &v) < 0 || (unsigned long long)v > a->body_max))
			return reply_problem(r, 413, "body_too_large", "the body is larger than %zu bytes",
				       a->body_max);
		return MHD_YES;
	}
	if (*upload_size) {
		if (!r->too_big && r->len + *upload_size <= a->body_max) {
			char *nb = realloc(r->body, r->len + *upload_size + 1);
			if (!nb)
				return MHD_NO;
			r->body = nb;
			memcpy(r->body + r->len, upload_data, *upload_size);
			r->len += *upload_size;
			r->body[r->len] = '\0';
		} else {
			r->too_big = 1;	/* read and dropped; answered 413 below */
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->code)
		return MHD_YES;	/* already answered */
	if (r->route == -1)
		return reply_problem(r, 404, "not_found", "no such endpoint");
	if (r->route == -2) {
		struct api_problem p = { 405, "method_not_allowed", "" };
		snprintf(p.detail, sizeof p.detail, "this endpoint takes %s", r->allow);
		r->route = -1;
		return reply_problem_hdr(r, &p, "Allow", r->allow);
	}
	return dispatch(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct api *a = cls;
	struct req *r = *con_cls;

	if (!r)
		return;
	if (r->code)
		metrics_http(a->metrics, r->route, r->code,
			     (double)(clock_mono_ns() - r->start_ns) / 1e9);
	free(r->body);
	free(r);
	*con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[256], q[300];
	size_t n;

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

struct api *api_start(const struct api_options *o, char *err, size_t errlen)
{
	const char *listen = o->listen && *o->listen ? o->listen : config.listen;
	struct sockaddr_storage ss;
	struct store *s = NULL;
	struct api *a;
	sigset_t block, old;
	socklen_t sl = 0;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	const char *const *names;
	int loopback = 0, any, nroutes;
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
	if (!(s = store_open(o->db_url, serr, sizeof serr))) {
		snprintf(err, errlen, "%s", serr);
		return NULL;
	}
	any = store_token_any(s);
	store_close(s);
	if (any < 0) {
		snprintf(err, errlen, "cannot read the API tokens");
		return NULL;
	}
	if (!any && !loopback) {
		snprintf(err, errlen, "refusing to listen on %.60s without API tokens: create one "
			 "with 'scanq token create --role admin' or listen on 127.0.0.1", listen);
		return NULL;
	}
	if (!(a = calloc(1, sizeof *a))) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(a->db_url, sizeof a->db_url, "%s", o->db_url);
	snprintf(a->listen, sizeof a->listen, "%s", listen);
	a->loopback = loopback;
	a->tokens_exist = any;
	a->body_max = (size_t)(config.max_body_kb > 0 ? config.max_body_kb : 1024) * 1024;
	names = route_names(&nroutes);
	if (!(a->metrics = metrics_new(names, nroutes))
	    || pthread_key_create(&a->store_key, close_store) != 0) {
		metrics_free(a->metrics);
		free(a);
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
	ui_load(&a->ui, o->web_dir, o->self);
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* The server threads inherit this mask: signals stay with the main
	 * thread, whose sleeps they must interrupt (serve's shutdown). */
	sigfillset(&block);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	a->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, a,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, a,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(o->threads > 0 ? o->threads : default_threads()),
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)(config.max_connections > 0
							 ? config.max_connections : 256),
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)API_TIMEOUT_S,
		MHD_OPTION_LISTENING_ADDRESS_REUSE, 1,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, a,
		MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!a->d) {
		snprintf(err, errlen, "cannot listen on %.60s (address in use or not local?)", listen);
		api_stop(a);
		return NULL;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(a->d, MHD_DAEMON_INFO_BIND_PORT);
	a->port = info ? info->port : 0;
	log_info("http listening", "listen=%s port=%d auth=%s ui=%s", listen, a->port,
		 any ? "tokens" : "none", a->ui.files[0].data ? "yes" : "no");
	if (!any)
		log_warn("no API tokens: serving without authentication on loopback only",
			 "hint=\"scanq token create --role admin\"");
	return a;
}


void api_stop(struct api *a)
{
	if (!a)
		return;
	if (a->d)
		MHD_stop_daemon(a->d);	/* joins the threads: their stores close */
	store_group_free(a->group);	/* after the last submit returned */
	pthread_key_delete(a->store_key);
	pthread_mutex_destroy(&a->write_lock);
	ui_release(&a->ui);
	metrics_free(a->metrics);
	free(a);
}
