/*
 * api.h — the HTTP API (v1), the health and metrics endpoints and the web
 * UI, served by libmicrohttpd from a pool of threads.  This is the whole
 * interface of src/api/: server.c (listen, limits, authentication,
 * dispatch), routes.c (the route table and its handlers), reply.c (JSON
 * and problem answers), ui.c (the static UI files).
 *
 * Every route is one entry of a table (routes.h): method, path pattern,
 * handler and the role it needs (auth.h).  Answers are JSON; errors are
 * application/problem+json with a stable `code` and a one-line `detail`
 * that never carries SQL, paths or internal error text.  No route sees a
 * control character in the path or a query parameter: such a request is
 * refused 400 invalid_parameter first (uri.h).  Each server
 * thread opens its own store handle on first use (store handles are
 * single-threaded) and closes it when the server stops.
 *
 * Limits ([http] in config.h): request bodies above max_body_kb are
 * refused with 413, and the connection closed after it.  The body is read
 * and dropped first, up to 8 MiB past the cap, so that a client still
 * sending reads the 413 instead of a reset; a client that waits for "100
 * Continue", or a Content-Length past that, is answered before the body
 * is read, and a body that runs past it ends the connection.  A
 * request's headers must be complete within header_timeout seconds of
 * the accept (keepalive_timeout after the previous answer), and its body
 * within body_timeout of the headers, however slowly they trickle; at most max_connections_per_ip connections from one
 * address; above 90 % of max_connections each new connection closes the
 * oldest idle one, keep-alive first (conns.h); no traffic for timeout
 * seconds closes a connection.  The listening address is never shared:
 * a second server on it fails to start.  On a network address a refused
 * request without a valid token is answered at once, before its body, and
 * its connection closed.
 *
 * Authentication: when the database holds no API token, the server only
 * agrees to listen on a loopback address and then serves everyone (it says
 * so in its log); on any other address it refuses to start without
 * tokens.  Once a token exists every route but the static UI, /healthz and
 * /readyz needs "Authorization: Bearer <secret>".
 *
 * The UI (index.html, app.js, style.css) is read once at start from the
 * first directory of: api_options.web_dir, $SCANQ_WEB_DIR, web/ next to
 * the executable, ../web from the executable (a build directory of the
 * repository), /usr/share/scanq/web.  Without it the API still runs and
 * the UI routes answer 404.
 */
#ifndef SCANQ_API_API_H
#define SCANQ_API_API_H

#include <stddef.h>
#include <jansson.h>

#define API_THREADS_MIN   8	/* default server threads: one per online CPU, at least this
				   (a submission waits for its group commit: more waiting
				   threads, more submissions per transaction) */
#define API_LIST_DEFAULT  50	/* default page size of list endpoints */
#define API_EVENTS_MAX    500	/* events shown with one scan */

struct api;

struct api_options {
	const char *listen;	/* "ADDR:PORT" or "[V6ADDR]:PORT"; port 0 = any free port */
	const char *db_url;	/* the store every thread opens */
	const char *self;	/* path of the executable (finds web/), may be NULL */
	const char *web_dir;	/* NULL: search (see above) */
	int threads;		/* 0: one per online CPU (at least API_THREADS_MIN) */
};

/*
 * Starts the server.  Returns a handle, or NULL with a one-line reason in
 * err (bad address, port in use, no tokens on a non-loopback address,
 * store unreadable).  Stop with api_stop().
 */
struct api *api_start(const struct api_options *o, char *err, size_t errlen);

/* Stops the server: closes connections, joins the threads, frees
 * everything.  NULL is a no-op. */
void api_stop(struct api *a);


/* A refused request: HTTP status, stable code, a line for a person. */
struct api_problem {
	int status;
	char code[32];
	char detail[256];
};

/*
 * The application/problem+json document of p: type, title, status, code,
 * detail.  Control characters and invalid UTF-8 in code and detail (which
 * may quote client input) become '?', so this never fails for want of valid
 * text.  Returns a new reference, NULL only without memory.
 */
json_t *api_problem_json(const struct api_problem *p);

#endif
