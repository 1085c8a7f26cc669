/*
 * http.h — the built-in "http" scan type: one HTTP/1.1 GET / on every
 * target:port (or every open port a port scan found, as a follow-up
 * stage), over TLS where the port speaks TLS — found by trying a handshake
 * first and falling back to plain HTTP when there is none, never guessed
 * from the port number.
 *
 * For each endpoint that answers it reports one finding of kind "http"
 * (severity info): status, title, Server, content type and length, the
 * redirect chain, the certificate's subject, issuer, SANs and expiry, the
 * SHA-256 of the body (of its first body_max bytes) and of /favicon.ico,
 * and the technologies the fingerprint table (webtech.h) names.  Up to
 * HTTP_REDIRECTS_MAX redirects are followed, each only when its address is
 * in scope (scope.h; a name is resolved and checked first, and the request
 * is pinned to the checked address); one out of scope is recorded in the
 * chain, not followed.  Findings of note are separate findings
 * (docs/SCANNERS.md lists them).  An endpoint that connects but gives no
 * HTTP answer is one finding of kind "http_error" that says why; a closed
 * port is no finding, only counted.
 *
 * Limits: `concurrency` endpoints in flight, `per_host` of them per
 * address, `rate` requests a second, `timeout_ms` per request (the
 * connection and TLS handshake within `connect_ms`), a body cap; only GET
 * is ever sent, with no request body, and never through a proxy.  All
 * transfers run in one thread on libcurl's multi interface.
 */
#ifndef SCANQ_HTTP_H
#define SCANQ_HTTP_H

struct scanctx;

#define HTTP_PORTS_DEFAULT "80,443,8000,8080,8443"
#define HTTP_BODY_MAX (1024 * 1024)	/* bytes of a body read, at most */
#define HTTP_FAVICON_MAX (256 * 1024)	/* bytes of a favicon read */
#define HTTP_REDIRECTS_MAX 5
#define HTTP_CONCURRENCY_MAX 256	/* endpoints in flight */
#define HTTP_HEADERS_MAX 64		/* headers of a response kept */
#define HTTP_URL_MAX 2048		/* longest URL followed */
#define HTTP_ENDPOINTS_MAX (1 << 20)	/* target x port pairs in one scan */

/* The "http" scan type: targets, options.ports (default above),
 * concurrency (64), per_host (8), rate (500 requests/s, 0: no limit),
 * timeout_ms (5000), connect_ms (3000), body_max (HTTP_BODY_MAX, lower
 * only), favicon (true), expiry_days (30).  Returns the exit status. */
int http_run(struct scanctx *ctx);

#endif
