/*
 * http.c — the "http" scan type (see http.h).  One thread drives every
 * transfer through libcurl's multi interface.  An endpoint holds one slot
 * from its first request (the TLS try) to its last (the favicon); a slot
 * waits in `ready` until the rate and the per-host limit let its next
 * request start.  curl never resolves a name and never follows a redirect
 * itself: every request is pinned (CURLOPT_RESOLVE) to an address that was
 * checked against the scope, so a redirect or a DNS answer cannot lead a
 * request anywhere else.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <openssl/evp.h>
#include "core/clock.h"
#include "core/config.h"
#include "webtech.h"
#include "http.h"
#include "libcurl.h"
#include "ports.h"
#include "resolve.h"
#include "scanner.h"
#include "scope.h"
#include "webpage.h"

struct opts {
	int concurrency, per_host, rate, timeout_ms, connect_ms, body_max, favicon, expiry_days;
	int resolve_ms;
};

struct endpoint {
	size_t host;		/* index into the hostset */
	int port;
};

struct header {
	char name[64];
	char value[1024];
};

enum phase { P_TLS, P_PLAIN, P_REDIRECT, P_FAVICON };

/* One endpoint in progress. */
struct slot {
	int busy, ready;
	CURL *easy;
	size_t ep;
	enum phase phase;
	int hops;
	char url[HTTP_URL_MAX];
	struct curl_slist *pin;
	char err[CURL_ERROR_SIZE];
	char why[CURL_ERROR_SIZE * 2];	/* why(): err made valid UTF-8 */
	char *buf;		/* the body being read */
	size_t len, cap, max;
	int truncated;
	struct header *hdr;	/* HTTP_HEADERS_MAX, of the response being read */
	int nhdr;
	/* The page so far: the last response with a status. */
	json_t *detail, *chain, *names;
	char *page;		/* its body (owned), page_len bytes */
	size_t page_len;
	struct header *page_hdr;
	int page_nhdr;
	char title[WEBPAGE_TITLE_MAX];
	char favicon[65];
	int tls;		/* the endpoint's own port spoke TLS */
};

struct scan {
	struct scanctx *ctx;
	struct opts o;
	struct resolve_hostset hs;
	struct scope *scope;
	const struct webtech_table *fp;
	struct endpoint *eps;
	size_t n, next, done;
	int *host_busy;		/* per host: slots in use */
	struct slot *slots;
	CURLM *multi;
	double tokens, last_refill;
	long answered, tls, closed, errors, offscope;
};

/* ---- options ------------------------------------------------------------ */

static int parse_opts(struct opts *o, json_t *options, char *err, size_t errlen)
{
	json_t *fav = json_object_get(options, "favicon");

	*o = (struct opts){ .concurrency = 64, .per_host = 8, .rate = 500, .timeout_ms = 5000,
			    .connect_ms = 3000, .body_max = HTTP_BODY_MAX, .favicon = 1, .expiry_days = 30,
			    .resolve_ms = RESOLVE_MS };
	if (scanner_opt_int(options, "concurrency", 1, HTTP_CONCURRENCY_MAX, &o->concurrency, err, errlen) < 0
	    || scanner_opt_int(options, "per_host", 1, HTTP_CONCURRENCY_MAX, &o->per_host, err, errlen) < 0
	    || scanner_opt_int(options, "rate", 0, 100000, &o->rate, err, errlen) < 0
	    || scanner_opt_int(options, "timeout_ms", 100, 120000, &o->timeout_ms, err, errlen) < 0
	    || scanner_opt_int(options, "connect_ms", 50, 60000, &o->connect_ms, err, errlen) < 0
	    || scanner_opt_int(options, "body_max", 1024, HTTP_BODY_MAX, &o->body_max, err, errlen) < 0
	    || scanner_opt_int(options, "expiry_days", 0, 3650, &o->expiry_days, err, errlen) < 0
	    || scanner_opt_int(options, "resolve_ms", 10, 60000, &o->resolve_ms, err, errlen) < 0)
		return -1;
	if (fav && !json_is_boolean(fav)) {
		snprintf(err, errlen, "option favicon must be true or false");
		return -1;
	}
	if (fav)
		o->favicon = json_is_true(fav);
	if (o->connect_ms > o->timeout_ms)
		o->connect_ms = o->timeout_ms;
	return 0;
}

/* ---- callbacks ---------------------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct slot *sl = arg;
	size_t n = size * nmemb, room = sl->max - sl->len;

	if (n > room) {
		n = room;
		sl->truncated = 1;
	}
	if (sl->len + n > sl->cap) {
		size_t cap = sl->cap ? sl->cap : 16384;
		char *p;

		while (cap < sl->len + n)
			cap *= 2;
		if (cap > sl->max)
			cap = sl->max;
		p = realloc(sl->buf, cap + 1);	/* + the NUL webtech_match() wants */
		if (!p)
			return 0;
		sl->buf = p;
		sl->cap = cap;
	}
	memcpy(sl->buf + sl->len, data, n);
	sl->len += n;
	if (sl->buf)
		sl->buf[sl->len] = '\0';
	/* Returning less than given stops the transfer: the cap is reached. */
	return sl->truncated ? 0 : size * nmemb;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct slot *sl = arg;
	size_t n = size * nmemb;

	if (n >= 5 && memcmp(data, "HTTP/", 5) == 0)
		sl->nhdr = 0;	/* a new response (after a 1xx) starts */
	else if (sl->nhdr < HTTP_HEADERS_MAX
		 && webpage_header(data, n, sl->hdr[sl->nhdr].name, sizeof sl->hdr[0].name,
				   sl->hdr[sl->nhdr].value, sizeof sl->hdr[0].value))
		sl->nhdr++;
	return n;
}

/* ---- requests ----------------------------------------------------------- */

/* Writes "[::1]" or "127.0.0.1" for an address. */
static void url_host(const struct target_addr *a, char *buf, size_t len)
{
	char addr[64];

	targets_addr_str(a, addr, sizeof addr);
	snprintf(buf, len, a->family == AF_INET6 ? "[%s]" : "%s", addr);
}

/*
 * Sets up the slot's next request to `url`.  With a name, the request is
 * pinned to `addr` for name:port (replacing the pin before); without one
 * the pin before stays, for a URL on the same host (the plain try, the
 * favicon) or an address (which curl does not resolve).  The request
 * waits in `ready` for the rate.  Returns 0, or -1 when it does not fit.
 */
static int prepare(struct scan *s, struct slot *sl, const char *url, const char *name, int port,
		   const struct target_addr *addr)
{
	char pin[HTTP_URL_MAX];

	if (snprintf(sl->url, sizeof sl->url, "%s", url) >= (int)sizeof sl->url)
		return -1;
	if (name) {
		char host[80];

		libcurl.slist_free_all(sl->pin);
		url_host(addr, host, sizeof host);
		snprintf(pin, sizeof pin, "%s:%d:%s", name, port, host);
		if (!(sl->pin = libcurl.slist_append(NULL, pin)))
			return -1;
	}
	sl->len = 0;
	sl->truncated = 0;
	sl->nhdr = 0;
	sl->err[0] = '\0';
	sl->max = sl->phase == P_FAVICON ? HTTP_FAVICON_MAX : (size_t)s->o.body_max;
	sl->ready = 1;
	return 0;
}

static int start(struct scan *s, struct slot *sl)
{
	CURL *e = sl->easy;

	libcurl.easy_reset(e);
	libcurl.easy_setopt(e, CURLOPT_URL, sl->url);
	libcurl.easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	libcurl.easy_setopt(e, CURLOPT_HTTPGET, 1L);
	libcurl.easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	libcurl.easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	libcurl.easy_setopt(e, CURLOPT_PROXY, "");		/* never the environment's proxy */
	libcurl.easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	libcurl.easy_setopt(e, CURLOPT_USERAGENT, "scanq-http/1");
	libcurl.easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");	/* decoded bytes count against the cap */
	libcurl.easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)s->o.timeout_ms);
	libcurl.easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)s->o.connect_ms);
	libcurl.easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);	/* we report the certificate, not trust it */
	libcurl.easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	libcurl.easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_0);
	libcurl.easy_setopt(e, CURLOPT_SSL_CIPHER_LIST, "DEFAULT:@SECLEVEL=0");
	libcurl.easy_setopt(e, CURLOPT_CERTINFO, sl->phase == P_TLS ? 1L : 0L);
	libcurl.easy_setopt(e, CURLOPT_RESOLVE, sl->pin);
	libcurl.easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	libcurl.easy_setopt(e, CURLOPT_WRITEDATA, sl);
	libcurl.easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	libcurl.easy_setopt(e, CURLOPT_HEADERDATA, sl);
	libcurl.easy_setopt(e, CURLOPT_ERRORBUFFER, sl->err);
	libcurl.easy_setopt(e, CURLOPT_PRIVATE, sl);
	sl->ready = 0;
	return libcurl.multi_add_handle(s->multi, e) == CURLM_OK ? 0 : -1;
}

/* The URL of the endpoint itself, over https or http. */
static void endpoint_url(const struct scan *s, const struct endpoint *ep, int tls, char *buf, size_t len)
{
	const struct resolve_host *h = &s->hs.hosts[ep->host];
	char host[80];

	if (h->name)
		snprintf(host, sizeof host, "%s", h->name);
	else
		url_host(&h->addr, host, sizeof host);
	snprintf(buf, len, "%s://%s:%d/", tls ? "https" : "http", host, ep->port);
}

/* ---- what a response says ----------------------------------------------- */

static const char *header_of(const struct header *h, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(h[i].name, name) == 0)
			return h[i].value;
	return NULL;
}

static void sha256_hex(const char *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	out[0] = '\0';
	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		return;
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static json_t *utf8_string(const char *s, size_t len)
{
	char buf[HTTP_URL_MAX];

	webpage_utf8(s, len, buf, sizeof buf);
	return json_string(buf);
}

/* Adds a name to the endpoint's list of names, once. */
static void add_name(json_t *names, const char *name)
{
	size_t i;
	json_t *v;

	if (!name || !*name || json_array_size(names) >= 64)
		return;
	json_array_foreach(names, i, v)
		if (strcasecmp(json_string_value(v), name) == 0)
			return;
	json_array_append_new(names, utf8_string(name, strlen(name)));
}

/* "Mar  5 12:00:00 2027 GMT" (what curl's certinfo says) as a time. */
static time_t cert_time(const char *s)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	if (!strptime(s, "%b %d %H:%M:%S %Y GMT", &tm))
		return 0;
	return timegm(&tm);
}

/* The leaf certificate of a TLS response, from curl's certinfo. */
static void read_cert(struct slot *sl)
{
	struct curl_certinfo *ci = NULL;
	json_t *cert = json_object(), *sans = json_array();
	struct curl_slist *f;

	if (libcurl.easy_getinfo(sl->easy, CURLINFO_CERTINFO, &ci) != CURLE_OK || !ci || ci->num_of_certs < 1) {
		json_decref(cert);
		json_decref(sans);
		return;
	}
	for (f = ci->certinfo[0]; f; f = f->next) {
		const char *d = f->data, *v = strchr(d, ':');

		if (!v)
			continue;
		v++;
		if (strncmp(d, "Subject:", 8) == 0) {
			json_object_set_new(cert, "subject", utf8_string(v, strlen(v)));
		} else if (strncmp(d, "Issuer:", 7) == 0) {
			json_object_set_new(cert, "issuer", utf8_string(v, strlen(v)));
		} else if (strncmp(d, "Expire date:", 12) == 0) {
			time_t t = cert_time(v);

			json_object_set_new(cert, "not_after", utf8_string(v, strlen(v)));
			if (t)
				json_object_set_new(cert, "days_left",
						    json_integer((json_int_t)((t - time(NULL)) / 86400)));
			if (t && t < time(NULL))
				json_object_set_new(cert, "expired", json_true());
		} else if (strncmp(d, "X509v3 Subject Alternative Name:", 32) == 0) {
			/* "DNS:a.test, DNS:b.test, IP Address:127.0.0.1" */
			char item[300];
			const char *p = v;

			while (*p && json_array_size(sans) < 100) {
				size_t n = strcspn(p, ",");

				while (n > 0 && *p == ' ')
					p++, n--;
				if (n > 0 && n < sizeof item) {
					memcpy(item, p, n);
					item[n] = '\0';
					json_array_append_new(sans, utf8_string(item, n));
					if (strncmp(item, "DNS:", 4) == 0)
						add_name(sl->names, item + 4);
				}
				p += n;
				if (*p == ',')
					p++;
			}
		}
	}
	json_object_set_new(cert, "sans", sans);
	json_object_set_new(sl->detail, "certificate", cert);
}

/* Why a transfer ended early, in one line: curl's own message, except
 * where curl 7.88 says "out of memory" for a header over its 100 KiB
 * limit. */
static const char *why(struct slot *sl, CURLcode res)
{
	const char *text = res == CURLE_OUT_OF_MEMORY ? "a response header over 100 KiB (or out of memory)"
			   : sl->err[0] ? sl->err : libcurl.easy_strerror(res);

	webpage_utf8(text, strlen(text), sl->why, sizeof sl->why);
	return sl->why;
}

/* Keeps the response just read as the page: its fields in the detail, its
 * body and headers for the fingerprints. */
static void keep_page(struct scan *s, struct slot *sl, long status, CURLcode res)
{
	const char *server = header_of(sl->hdr, sl->nhdr, "server");
	const char *ctype = header_of(sl->hdr, sl->nhdr, "content-type");
	curl_off_t clen = -1;
	char hash[65], *eff = NULL;

	libcurl.easy_getinfo(sl->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &clen);
	libcurl.easy_getinfo(sl->easy, CURLINFO_EFFECTIVE_URL, &eff);
	sha256_hex(sl->buf ? sl->buf : "", sl->len, hash);
	webpage_title(sl->buf ? sl->buf : "", sl->len, sl->title, sizeof sl->title);
	json_object_set_new(sl->detail, "final_url", utf8_string(eff ? eff : sl->url, strlen(eff ? eff : sl->url)));
	json_object_set_new(sl->detail, "final_status", json_integer(status));
	json_object_set_new(sl->detail, "html_title", json_string(sl->title));
	json_object_set_new(sl->detail, "server", server ? json_string(server) : json_null());
	json_object_set_new(sl->detail, "content_type", ctype ? json_string(ctype) : json_null());
	json_object_set_new(sl->detail, "content_length", clen >= 0 ? json_integer(clen) : json_null());
	json_object_set_new(sl->detail, "body_bytes", json_integer((json_int_t)sl->len));
	json_object_set_new(sl->detail, "body_truncated", json_boolean(sl->truncated));
	json_object_set_new(sl->detail, "body_sha256", json_string(hash));
	if (res != CURLE_OK && !(res == CURLE_WRITE_ERROR && sl->truncated))
		json_object_set_new(sl->detail, "incomplete", json_string(why(sl, res)));
	else
		json_object_del(sl->detail, "incomplete");
	free(sl->page);
	sl->page = sl->buf;
	sl->page_len = sl->len;
	/* Only the head is matched (webtech.h): keep no more of it. */
	if (sl->page && sl->page_len > WEBTECH_HTML_MAX) {
		char *head = realloc(sl->page, WEBTECH_HTML_MAX + 1);

		if (head)
			sl->page = head;
		sl->page_len = WEBTECH_HTML_MAX;
		sl->page[sl->page_len] = '\0';
	}
	sl->buf = NULL;
	sl->len = sl->cap = 0;
	memcpy(sl->page_hdr, sl->hdr, (size_t)sl->nhdr * sizeof *sl->hdr);
	sl->page_nhdr = sl->nhdr;
}

/* ---- redirects ---------------------------------------------------------- */

/*
 * Decides whether a redirect to `url` may be followed.  Returns 1 with the
 * pinned name (or NULL for an address), port and address filled, or 0 with
 * the reason it is not followed.
 */
static int redirect_target(struct scan *s, struct slot *sl, const char *url, char *name, size_t namelen,
			   int *port, struct target_addr *addr, const char **reason)
{
	CURLU *u = libcurl.url();
	char *scheme = NULL, *host = NULL, *portstr = NULL;
	targets_u128 v;
	int ok = 0;

	*reason = "not a URL";
	name[0] = '\0';
	if (!u || libcurl.url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK
	    || libcurl.url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK
	    || libcurl.url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK
	    || libcurl.url_get(u, CURLUPART_PORT, &portstr, CURLU_DEFAULT_PORT) != CURLUE_OK)
		goto out;
	*reason = "not http or https";
	if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
		goto out;
	{
		char *end;
		long p = strtol(portstr, &end, 10);

		*reason = "bad port";
		if (*end || p < 1 || p > 65535)
			goto out;
		*port = (int)p;
	}
	if (host[0] == '[') {
		size_t n = strlen(host);

		if (n > 2 && host[n - 1] == ']')
			host[n - 1] = '\0';
		memmove(host, host + 1, strlen(host));
	}
	add_name(sl->names, targets_classify(host, NULL, NULL) == 2 ? host : NULL);
	*reason = "out of scope";
	if (targets_parse_addr(host, &v) == 0) {
		targets_to_addr(v, addr);
		ok = scope_check_addr(s->scope, addr);
		goto out;
	}
	if (!targets_name_valid(host) || !scope_check_name(s->scope, host))
		goto out;
	{
		struct resolve_name rn = { .name = host };
		char err[160];

		*reason = "name did not resolve";
		if (resolve_names(&rn, 1, s->o.resolve_ms, err, sizeof err) < 0 || rn.naddrs == 0)
			goto out;
		*reason = "out of scope";
		for (int i = 0; i < rn.naddrs && !ok; i++)
			if (scope_check_addr(s->scope, &rn.addrs[i])) {
				*addr = rn.addrs[i];
				ok = 1;
			}
		snprintf(name, namelen, "%s", host);
	}
out:
	libcurl.free(scheme);
	libcurl.free(host);
	libcurl.free(portstr);
	libcurl.url_cleanup(u);
	return ok;
}

/* After a 3xx: queues the next hop, or records reason not.  Returns 1 when a
 * request was queued. */
static int follow(struct scan *s, struct slot *sl, json_t *hop)
{
	char *loc = NULL, name[TARGETS_NAME_MAX + 1];
	struct target_addr addr;
	const char *reason = NULL;
	int port = 0;

	if (libcurl.easy_getinfo(sl->easy, CURLINFO_REDIRECT_URL, &loc) != CURLE_OK || !loc)
		return 0;
	json_object_set_new(hop, "location", utf8_string(loc, strlen(loc)));
	if (sl->hops >= HTTP_REDIRECTS_MAX)
		reason = "too many redirects";
	else if (strlen(loc) >= HTTP_URL_MAX)
		reason = "URL too long";
	else if (!redirect_target(s, sl, loc, name, sizeof name, &port, &addr, &reason))
		;
	else {
		reason = NULL;
		sl->hops++;
		sl->phase = P_REDIRECT;
		if (prepare(s, sl, loc, name[0] ? name : NULL, port, &addr) < 0)
			reason = "URL too long";
	}
	json_object_set_new(hop, "followed", json_boolean(!reason));
	if (reason) {
		json_object_set_new(hop, "reason", json_string(reason));
		if (strcmp(reason, "out of scope") == 0)
			s->offscope++;
		return 0;
	}
	return 1;
}

/* ---- findings ----------------------------------------------------------- */

/* A finding about the slot's endpoint; takes `detail` (a new reference). */
static json_t *finding(const struct scan *s, const struct slot *sl, const char *kind, const char *severity,
		       const char *title, json_t *detail)
{
	const struct endpoint *ep = &s->eps[sl->ep];
	const struct resolve_host *h = &s->hs.hosts[ep->host];
	char addr[64];

	targets_addr_str(&h->addr, addr, sizeof addr);
	json_object_set_new(detail, "address", json_string(addr));
	return json_pack("{sssssissssssssso}", "kind", kind, "target", h->name ? h->name : addr, "port", ep->port,
			 "proto", "tcp", "service", sl->tls ? "https" : "http", "severity", severity,
			 "title", title, "detail", detail);
}

static void emit(struct scan *s, json_t *f)
{
	if (f)
		scanner_finding(s->ctx, f);
	json_decref(f);
}

/* The findings of note besides the endpoint's own (docs/SCANNERS.md). */
static void notes(struct scan *s, struct slot *sl)
{
	json_t *cert = json_object_get(sl->detail, "certificate");
	json_t *days = json_object_get(cert, "days_left");
	char title[400];

	if (json_is_true(json_object_get(cert, "expired"))) {
		snprintf(title, sizeof title, "certificate expired %s", json_string_value(json_object_get(cert, "not_after")));
		emit(s, finding(s, sl, "http", "medium", title, json_pack("{sssO}", "check", "cert_expired", "certificate", cert)));
	} else if (json_is_integer(days) && json_integer_value(days) < s->o.expiry_days) {
		snprintf(title, sizeof title, "certificate expires in %lld days", (long long)json_integer_value(days));
		emit(s, finding(s, sl, "http", "low", title, json_pack("{sssO}", "check", "cert_expiring", "certificate", cert)));
	}
	if (strncmp(sl->title, "Index of /", 10) == 0) {
		snprintf(title, sizeof title, "directory listing: %s", sl->title);
		emit(s, finding(s, sl, "http", "low", title, json_pack("{ssss}", "check", "directory_listing",
									 "url", json_string_value(json_object_get(sl->detail, "final_url")))));
	}
}

/* The endpoint is done: its technologies, its finding, its notes. */
static void report(struct scan *s, struct slot *sl)
{
	struct webtech_header fh[HTTP_HEADERS_MAX];
	struct webtech_match m[WEBTECH_MATCHES_MAX];
	struct webtech_input in = { .headers = fh, .nheaders = (size_t)sl->page_nhdr, .body = sl->page,
					.body_len = sl->page_len, .title = sl->title,
					.favicon_sha256 = sl->favicon[0] ? sl->favicon : NULL };
	json_t *tech = json_array();
	char title[600], list[300] = "";
	size_t n, o = 0;

	for (int i = 0; i < sl->page_nhdr; i++)
		fh[i] = (struct webtech_header){ sl->page_hdr[i].name, sl->page_hdr[i].value };
	n = webtech_match(s->fp, &in, m, WEBTECH_MATCHES_MAX);
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(tech, json_pack("{ssss}", "name", m[i].name, "category", m[i].category));
		if (m[i].version[0])
			json_object_set_new(json_array_get(tech, i), "version", utf8_string(m[i].version, strlen(m[i].version)));
		if (o + 1 < sizeof list)
			o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", i ? ", " : "", m[i].name);
	}
	json_object_set_new(sl->detail, "technologies", tech);
	json_object_set_new(sl->detail, "favicon_sha256", sl->favicon[0] ? json_string(sl->favicon) : json_null());
	json_object_set(sl->detail, "redirects", sl->chain);
	json_object_set(sl->detail, "names", sl->names);
	snprintf(title, sizeof title, "%s %lld \"%s\"%s%s%s%s%s", sl->tls ? "https" : "http",
		 (long long)json_integer_value(json_object_get(sl->detail, "status")), sl->title,
		 json_string_value(json_object_get(sl->detail, "server")) ? " " : "",
		 json_string_value(json_object_get(sl->detail, "server")) ?: "", n ? " [" : "", list, n ? "]" : "");
	emit(s, finding(s, sl, "http", "info", title, json_incref(sl->detail)));
	notes(s, sl);
	s->answered++;
	s->tls += sl->tls;
}

/* An endpoint that connected but gave no HTTP answer. */
static void report_error(struct scan *s, struct slot *sl, CURLcode res)
{
	char title[600];

	snprintf(title, sizeof title, "no HTTP answer: %s", why(sl, res));
	emit(s, finding(s, sl, "http_error", "info", title,
			json_pack("{ssss}", "error", sl->why, "url", sl->url)));
	s->errors++;
}

/* ---- the endpoint's steps ----------------------------------------------- */

static void release(struct scan *s, struct slot *sl)
{
	s->host_busy[s->eps[sl->ep].host]--;
	json_decref(sl->detail);
	json_decref(sl->chain);
	json_decref(sl->names);
	sl->detail = sl->chain = sl->names = NULL;
	free(sl->page);
	sl->page = NULL;
	libcurl.slist_free_all(sl->pin);
	sl->pin = NULL;
	sl->busy = sl->ready = 0;
	s->done++;
}

/* A favicon's URL on the page's origin. */
static int favicon(struct scan *s, struct slot *sl)
{
	const char *final = json_string_value(json_object_get(sl->detail, "final_url"));
	CURLU *u = libcurl.url();
	char *url = NULL;
	int rc = -1;

	if (u && final && libcurl.url_set(u, CURLUPART_URL, final, 0) == CURLUE_OK
	    && libcurl.url_set(u, CURLUPART_PATH, "/favicon.ico", 0) == CURLUE_OK
	    && libcurl.url_set(u, CURLUPART_QUERY, NULL, 0) == CURLUE_OK
	    && libcurl.url_set(u, CURLUPART_FRAGMENT, NULL, 0) == CURLUE_OK
	    && libcurl.url_get(u, CURLUPART_URL, &url, 0) == CURLUE_OK) {
		/* Same host and port as the page, so the page's pin holds. */
		sl->phase = P_FAVICON;
		rc = prepare(s, sl, url, NULL, 0, NULL);
	}
	libcurl.free(url);
	libcurl.url_cleanup(u);
	return rc;
}

static void done_favicon(struct scan *s, struct slot *sl, CURLcode res)
{
	long status = 0;

	const char *ctype = header_of(sl->hdr, sl->nhdr, "content-type");

	libcurl.easy_getinfo(sl->easy, CURLINFO_RESPONSE_CODE, &status);
	/* A page served for every path (text/html) is no favicon. */
	if (res == CURLE_OK && status == 200 && sl->len > 0 && !(ctype && strncasecmp(ctype, "text/", 5) == 0))
		sha256_hex(sl->buf, sl->len, sl->favicon);
	report(s, sl);
	release(s, sl);
}

/* One transfer of the slot ended with res. */
static void done(struct scan *s, struct slot *sl, CURLcode res)
{
	long status = 0;
	curl_off_t handshake = 0;
	json_t *hop;

	libcurl.easy_getinfo(sl->easy, CURLINFO_RESPONSE_CODE, &status);
	libcurl.easy_getinfo(sl->easy, CURLINFO_APPCONNECT_TIME_T, &handshake);
	if (sl->phase == P_FAVICON) {
		done_favicon(s, sl, res);
		return;
	}
	if (sl->phase == P_TLS && status == 0) {
		if (res == CURLE_COULDNT_CONNECT) {
			s->closed++;
			release(s, sl);
			return;
		}
		if (handshake == 0) {	/* no TLS here: try plain HTTP */
			char url[HTTP_URL_MAX];

			endpoint_url(s, &s->eps[sl->ep], 0, url, sizeof url);
			sl->phase = P_PLAIN;
			if (prepare(s, sl, url, NULL, 0, NULL) == 0)
				return;
		}
	}
	if (sl->phase == P_TLS && handshake > 0 && sl->hops == 0)
		sl->tls = 1;
	if (sl->phase == P_TLS && handshake > 0)
		read_cert(sl);
	hop = json_pack("{ss}", "url", sl->url);
	json_object_set_new(hop, "status", json_integer(status));
	json_array_append_new(sl->chain, hop);
	if (status == 0) {
		json_object_set_new(hop, "error", json_string(why(sl, res)));
		if (sl->hops == 0) {
			if (res == CURLE_COULDNT_CONNECT)
				s->closed++;
			else
				report_error(s, sl, res);
			release(s, sl);
			return;
		}
	} else {
		if (sl->hops == 0)
			json_object_set_new(sl->detail, "status", json_integer(status));
		keep_page(s, sl, status, res);
		if (status >= 300 && status < 400 && follow(s, sl, hop))
			return;
	}
	if (s->o.favicon && favicon(s, sl) == 0)
		return;
	report(s, sl);
	release(s, sl);
}

/* Takes the next endpoint into a free slot if its host has room.  Returns
 * 1 when one was taken. */
static int take(struct scan *s, struct slot *sl)
{
	const struct endpoint *ep;
	const struct resolve_host *h;
	char url[HTTP_URL_MAX];

	if (s->next >= s->n || s->host_busy[s->eps[s->next].host] >= s->o.per_host)
		return 0;
	ep = &s->eps[s->next];
	h = &s->hs.hosts[ep->host];
	sl->detail = json_object();
	sl->chain = json_array();
	sl->names = json_array();
	if (!sl->detail || !sl->chain || !sl->names) {
		json_decref(sl->detail);
		json_decref(sl->chain);
		json_decref(sl->names);
		sl->detail = sl->chain = sl->names = NULL;
		return 0;
	}
	sl->ep = s->next++;
	sl->busy = 1;
	sl->hops = 0;
	sl->tls = 0;
	sl->title[0] = sl->favicon[0] = '\0';
	sl->page_nhdr = 0;
	s->host_busy[ep->host]++;
	add_name(sl->names, h->name);
	libcurl.slist_free_all(sl->pin);
	sl->pin = NULL;
	sl->phase = P_TLS;
	endpoint_url(s, ep, 1, url, sizeof url);
	if (prepare(s, sl, url, h->name, ep->port, &h->addr) < 0) {
		report_error(s, sl, CURLE_URL_MALFORMAT);
		release(s, sl);
	}
	return 1;
}

/* Starts what the rate allows: new endpoints into free slots, then the
 * requests waiting in `ready`. */
static void schedule(struct scan *s)
{
	double now = clock_mono_s();

	if (s->o.rate > 0) {
		s->tokens += (now - s->last_refill) * s->o.rate;
		/* A burst of at most a tenth of a second's requests (at least one). */
		if (s->tokens > s->o.rate / 10.0 + 1)
			s->tokens = s->o.rate / 10.0 + 1;
	}
	s->last_refill = now;
	for (int i = 0; i < s->o.concurrency; i++) {
		struct slot *sl = &s->slots[i];

		if (!sl->busy && !take(s, sl))
			continue;
		if (!sl->busy || !sl->ready || (s->o.rate > 0 && s->tokens < 1))
			continue;
		if (start(s, sl) < 0) {
			report_error(s, sl, CURLE_FAILED_INIT);
			release(s, sl);
			continue;
		}
		s->tokens -= 1;
	}
}

/* Runs every transfer until every endpoint is done, reporting progress
 * every second. */
static void loop(struct scan *s)
{
	double last_progress = clock_mono_s();

	while (s->done < s->n) {
		CURLMsg *msg;
		int running, left;

		schedule(s);
		libcurl.multi_perform(s->multi, &running);
		while ((msg = libcurl.multi_info_read(s->multi, &left))) {
			struct slot *sl = NULL;

			if (msg->msg != CURLMSG_DONE)
				continue;
			libcurl.easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&sl);
			libcurl.multi_remove_handle(s->multi, msg->easy_handle);
			done(s, sl, msg->data.result);
		}
		if (clock_mono_s() - last_progress >= 1.0) {
			last_progress = clock_mono_s();
			scanner_progress(s->ctx, (double)s->done / (double)s->n);
		}
		/* Wait for sockets, or the next token of the rate. */
		libcurl.multi_poll(s->multi, NULL, 0, s->o.rate > 0 && s->tokens < 1 ? 10 : 100, NULL);
	}
}

/* The scan's endpoints, port-major (every host's first port, then every
 * host's second, ...), so the per-host limit rarely holds the queue up. */
static int endpoints(struct scan *s, const struct port_set *ps)
{
	if (s->hs.n * (size_t)ps->count > HTTP_ENDPOINTS_MAX)
		return -1;
	s->eps = calloc(s->hs.n * (size_t)ps->count + 1, sizeof *s->eps);
	s->host_busy = calloc(s->hs.n + 1, sizeof *s->host_busy);
	if (!s->eps || !s->host_busy)
		return -1;
	for (int p = ports_next(ps, 0); p; p = ports_next(ps, p))
		for (size_t h = 0; h < s->hs.n; h++)
			s->eps[s->n++] = (struct endpoint){ .host = h, .port = p };
	return 0;
}

static int slots_new(struct scan *s)
{
	s->slots = calloc((size_t)s->o.concurrency, sizeof *s->slots);
	if (!s->slots)
		return -1;
	for (int i = 0; i < s->o.concurrency; i++) {
		struct slot *sl = &s->slots[i];

		sl->easy = libcurl.easy_init();
		sl->hdr = calloc(HTTP_HEADERS_MAX, sizeof *sl->hdr);
		sl->page_hdr = calloc(HTTP_HEADERS_MAX, sizeof *sl->page_hdr);
		if (!sl->easy || !sl->hdr || !sl->page_hdr)
			return -1;
	}
	return 0;
}

static void slots_free(struct scan *s)
{
	for (int i = 0; s->slots && i < s->o.concurrency; i++) {
		struct slot *sl = &s->slots[i];

		libcurl.easy_cleanup(sl->easy);
		libcurl.slist_free_all(sl->pin);
		json_decref(sl->detail);
		json_decref(sl->chain);
		json_decref(sl->names);
		free(sl->buf);
		free(sl->page);
		free(sl->hdr);
		free(sl->page_hdr);
	}
	free(s->slots);
}

int http_run(struct scanctx *ctx)
{
	struct scan s = { .ctx = ctx };
	struct port_set *ps = NULL;
	const char *spec = json_string_value(json_object_get(ctx->options, "ports"));
	char err[320];
	double t0 = clock_mono_s();
	int rc;

	if (parse_opts(&s.o, ctx->options, err, sizeof err) < 0)
		return scanner_error(ctx, "invalid_options", "%s", err);
	if (!(s.fp = webtech_table_builtin(err, sizeof err)))
		return scanner_error(ctx, "internal", "%s", err);
	ps = malloc(sizeof *ps);
	if (!ps)
		return scanner_error(ctx, "internal", "out of memory");
	if (ports_parse(spec ? spec : HTTP_PORTS_DEFAULT, ps, err, sizeof err) < 0) {
		free(ps);
		return scanner_error(ctx, "invalid_ports", "%s", err);
	}
	if (libcurl_load(err, sizeof err) < 0) {
		free(ps);
		return scanner_error(ctx, "scanner_error", "%s", err);
	}
	if (libcurl.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		free(ps);
		return scanner_error(ctx, "internal", "the HTTP library did not start");
	}
	rc = resolve_hosts(ctx, &s.hs);
	if (rc != 0)
		goto out;
	s.scope = scope_from_config(&config, err, sizeof err);
	if (!s.scope) {
		rc = scanner_error(ctx, "internal", "scope: %s", err);
		goto out;
	}
	if (endpoints(&s, ps) < 0) {
		rc = scanner_error(ctx, "too_many_targets", "%zu endpoints; at most %d per http scan",
				   s.hs.n * (size_t)ps->count, HTTP_ENDPOINTS_MAX);
		goto out;
	}
	s.multi = libcurl.multi_init();
	if (!s.multi || slots_new(&s) < 0) {
		rc = scanner_error(ctx, "internal", "out of memory");
		goto out;
	}
	scanner_progress(ctx, 0);
	s.last_refill = clock_mono_s();
	s.tokens = 1;
	loop(&s);
	scanner_progress(ctx, 1);
	{
		json_t *sum = json_pack("{sIsIsIsIsIsIsIsIsf}", "endpoints", (json_int_t)s.n,
					"http", (json_int_t)s.answered, "tls", (json_int_t)s.tls,
					"closed", (json_int_t)s.closed, "errors", (json_int_t)s.errors,
					"redirects_out_of_scope", (json_int_t)s.offscope,
					"skipped", (json_int_t)s.hs.skipped,
					"excluded", (json_int_t)s.hs.excluded, "elapsed_s", clock_mono_s() - t0);

		scanner_summary(ctx, sum);
		json_decref(sum);
	}
	rc = 0;
out:
	slots_free(&s);
	if (s.multi)
		libcurl.multi_cleanup(s.multi);
	scope_free(s.scope);
	free(s.eps);
	free(s.host_busy);
	free(ps);
	resolve_hostset_release(&s.hs);
	libcurl.global_cleanup();
	return rc;
}
