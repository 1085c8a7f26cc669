/*
 * webhook.c — sending webhook deliveries (webhook.h): the allow-list,
 * HMAC-SHA256 signatures (libsodium), one HTTP attempt (libcurl) and the
 * sender thread of a worker.  The deliveries themselves — durable rows,
 * leases, fencing, backoff — are the store's (src/store/webhooks.c).
 */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <curl/curl.h>
#include <sodium.h>
#include "core/bg.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "scanner.h"
#include "scope.h"
#include "worker/webhook.h"
#include "store/store.h"

#define SENDER_BATCH 16		/* deliveries claimed at once by one sender */

static const char *const events_known[] = { "scan.completed", "scan.failed", "changes.found", NULL };

/* The allow-list of [webhooks] allow as a scope (no deny list). */
static struct scope *allow_scope(char *err, size_t errlen)
{
	return scope_new(config.webhook_allow, config.nwebhook_allow, NULL, 0, err, errlen);
}

static int addr_allowed(const struct scope *sc, const struct sockaddr *sa)
{
	struct target_addr ta = { 0 };

	if (sa->sa_family == AF_INET) {
		ta.family = AF_INET;
		memcpy(ta.a, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		ta.family = AF_INET6;
		memcpy(ta.a, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	} else {
		return 0;
	}
	return scope_check_addr(sc, &ta);
}

static void addr_text(const struct sockaddr *sa, char *buf, size_t len)
{
	const void *p = sa->sa_family == AF_INET ? (const void *)&((const struct sockaddr_in *)sa)->sin_addr
						 : (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr;

	if (!inet_ntop(sa->sa_family, p, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

int webhook_url_check(const char *url, char *err, size_t errlen)
{
	CURLU *u = NULL;
	char *scheme = NULL, *host = NULL, *port = NULL;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL, *ai;
	struct scope *sc = NULL;
	int rc = -1, g;

	if (!url || !*url || strlen(url) > WEBHOOK_URL_MAX) {
		snprintf(err, errlen, "the URL must be 1..%d characters", WEBHOOK_URL_MAX);
		return -1;
	}
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f) {
			snprintf(err, errlen, "the URL contains a space or a control character");
			return -1;
		}
	if (!(u = curl_url()) || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK
	    || curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK
	    || curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		snprintf(err, errlen, "not a valid URL");
		goto out;
	}
	if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
		snprintf(err, errlen, "the URL must be http or https, not %.20s", scheme);
		goto out;
	}
	curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
	if (!(sc = allow_scope(err, errlen)))
		goto out;
	if (host[0] == '[') {		/* an IPv6 literal comes bracketed */
		size_t l = strlen(host);

		memmove(host, host + 1, l - 2);
		host[l - 2] = '\0';
	}
	if ((g = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "cannot resolve %.100s: %s", host, gai_strerror(g));
		goto out;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		char a[64];

		if (!addr_allowed(sc, ai->ai_addr)) {
			addr_text(ai->ai_addr, a, sizeof a);
			if (strcmp(a, host) == 0)
				snprintf(err, errlen, "%s is not in [webhooks] allow", a);
			else
				snprintf(err, errlen, "%.100s resolves to %s, not in [webhooks] allow",
					 host, a);
			goto out;
		}
	}
	rc = 0;
out:
	if (res)
		freeaddrinfo(res);
	scope_free(sc);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

int webhook_events_check(const char *events, char *err, size_t errlen)
{
	char buf[128], *save = NULL, *tok;
	int n = 0;

	if (!events || strlen(events) >= sizeof buf) {
		snprintf(err, errlen, "events must be a comma-separated list of %s", WEBHOOK_EVENTS);
		return -1;
	}
	snprintf(buf, sizeof buf, "%s", events);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save), n++) {
		int ok = 0;

		for (int i = 0; events_known[i]; i++)
			ok |= strcmp(tok, events_known[i]) == 0;
		if (!ok) {
			snprintf(err, errlen, "unknown event '%.40s' (events: %s)", tok, WEBHOOK_EVENTS);
			return -1;
		}
	}
	if (!n || events[0] == ',' || events[strlen(events) - 1] == ',' || strstr(events, ",,")) {
		snprintf(err, errlen, "events must be a comma-separated list of %s", WEBHOOK_EVENTS);
		return -1;
	}
	return 0;
}

int webhook_input_check(const char *url, const char *events, const char *secret,
			const char *min_severity, char *err, size_t errlen)
{
	if (webhook_url_check(url, err, errlen) < 0 || webhook_events_check(events, err, errlen) < 0)
		return -1;
	if (secret) {
		size_t l = strlen(secret);

		if (l < 16 || l > WEBHOOK_SECRET_MAX) {
			snprintf(err, errlen, "the secret must be 16..%d characters", WEBHOOK_SECRET_MAX);
			return -1;
		}
		for (const char *p = secret; *p; p++)
			if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e) {
				snprintf(err, errlen, "the secret must be printable ASCII without spaces");
				return -1;
			}
	}
	if (min_severity && scanner_severity_rank(min_severity) < 0) {
		snprintf(err, errlen, "min-severity must be info, low, medium, high or critical");
		return -1;
	}
	return 0;
}

json_t *webhook_to_json(const struct webhook *w)
{
	json_t *o = json_pack("{sIsssssssI}", "id", (json_int_t)w->id, "url", w->url ? w->url : "",
			      "events", w->events, "min_severity", w->min_severity, "created_at",
			      (json_int_t)w->created_at);

	json_object_set_new(o, "removed_at", w->removed_at ? json_integer(w->removed_at) : json_null());
	json_object_set_new(o, "removed_by", w->removed_at ? json_string(w->removed_by) : json_null());
	return o;
}

json_t *delivery_log_to_json(const struct delivery_log *d)
{
	json_t *o = json_pack("{sIsssIsssssisIsI}", "id", (json_int_t)d->id, "delivery", d->uuid,
			      "webhook_id", (json_int_t)d->webhook_id, "event", d->event, "status",
			      d->status, "attempt", d->attempt, "at", (json_int_t)d->at,
			      "duration_ms", (json_int_t)d->duration_ms);

	json_object_set_new(o, "scan_id", d->scan_id ? json_integer(d->scan_id) : json_null());
	json_object_set_new(o, "code", d->code ? json_integer(d->code) : json_null());
	json_object_set_new(o, "error", d->error[0] ? json_string(d->error) : json_null());
	json_object_set_new(o, "webhook_removed", json_boolean(d->webhook_removed_at != 0));
	return o;
}

char *webhook_sign(const char *secret, int64_t timestamp, const char *body, char *out)
{
	crypto_auth_hmacsha256_state st;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char ts[32];

	snprintf(ts, sizeof ts, "%lld.", (long long)timestamp);
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, strlen(ts));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, strlen(body));
	crypto_auth_hmacsha256_final(&st, mac);
	memcpy(out, "v1=", 3);
	sodium_bin2hex(out + 3, 65, mac, sizeof mac);
	return out;
}

void webhook_secret_new(char *out)
{
	unsigned char b[32];

	if (sodium_init() < 0)
		abort();
	randombytes_buf(b, sizeof b);
	sodium_bin2hex(out, 65, b, sizeof b);
}

/* ---- one attempt ----------------------------------------------------------------- */

struct attempt {
	struct scope *allow;
	size_t got, max;
	int too_big;
	char refused[64];		/* an address the allow-list refused */
};

/* Every connection curl opens goes through here: the resolved address is
 * checked against the allow-list before the socket exists. */
static curl_socket_t open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct attempt *at = arg;

	if (purpose != CURLSOCKTYPE_IPCXN || !addr_allowed(at->allow, &a->addr)) {
		addr_text(&a->addr, at->refused, sizeof at->refused);
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct attempt *at = arg;

	(void)p;
	at->got += size * n;
	if (at->got > at->max) {
		at->too_big = 1;
		return 0;		/* ends the transfer with CURLE_WRITE_ERROR */
	}
	return size * n;
}

int webhook_send(const char *url, const char *secret, const char *uuid, const char *event,
		 const char *body, int *code, char *err, size_t errlen)
{
	struct attempt at = { .max = (size_t)config.webhook_response_kb * 1024 };
	struct curl_slist *h = NULL;
	char line[256], sig[80];
	int64_t ts = (int64_t)time(NULL);
	CURL *c = NULL;
	CURLcode cc;
	long status = 0;
	int ok = 0;

	*code = 0;
	err[0] = '\0';
	if (!(at.allow = allow_scope(err, errlen)))
		return 0;
	if (!(c = curl_easy_init())) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "User-Agent: scanq-webhook/1");
	h = curl_slist_append(h, "Expect:");
	snprintf(line, sizeof line, "X-Scanq-Delivery: %s", uuid);
	h = curl_slist_append(h, line);
	snprintf(line, sizeof line, "X-Scanq-Event: %s", event);
	h = curl_slist_append(h, line);
	snprintf(line, sizeof line, "X-Scanq-Timestamp: %lld", (long long)ts);
	h = curl_slist_append(h, line);
	snprintf(line, sizeof line, "X-Scanq-Signature: %s", webhook_sign(secret, ts, body, sig));
	h = curl_slist_append(h, line);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)config.webhook_timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)config.webhook_timeout_ms);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &at);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &at);
	curl_easy_setopt(c, CURLOPT_PROXY, "");	/* never via a proxy of the environment */
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	*code = (int)status;
	if (at.refused[0])
		snprintf(err, errlen, "address %s is not in [webhooks] allow", at.refused);
	else if (at.too_big)
		snprintf(err, errlen, "answer larger than %d KiB", config.webhook_response_kb);
	else if (cc == CURLE_OPERATION_TIMEDOUT)
		snprintf(err, errlen, "timed out after %d ms", config.webhook_timeout_ms);
	else if (cc != CURLE_OK)
		snprintf(err, errlen, "%s", curl_easy_strerror(cc));
	else if (status < 200 || status > 299)
		snprintf(err, errlen, "HTTP %ld%s", status,
			 status >= 300 && status < 400 ? " (redirects are not followed)" : "");
	else
		ok = 1;
out:
	curl_slist_free_all(h);
	if (c)
		curl_easy_cleanup(c);
	scope_free(at.allow);
	return ok;
}

/* ---- the sender thread ---------------------------------------------------------- */

struct webhook_sender {
	struct bg bg;
	char *db_url;
	char worker[128];
};

static void send_one(struct store *s, const struct delivery *d)
{
	char err[256] = "";
	const char *result = "?";
	int code = 0, ok = 0, rc;
	int64_t t0 = clock_mono_ms();

	if (!d->url || !d->secret)	/* removed after this delivery was claimed */
		snprintf(err, sizeof err, "webhook %lld was removed", (long long)d->webhook_id);
	else
		ok = webhook_send(d->url, d->secret, d->uuid, d->event, d->body, &code, err, sizeof err);
	rc = store_delivery_finish(s, d->id, d->attempt, d->url ? d->max_attempts : d->attempt, ok,
				   code, err, clock_mono_ms() - t0, config.webhook_backoff_ms, &result);
	if (rc == STORE_LOST)
		log_warn("delivery taken by another sender", "delivery=%s attempt=%d", d->uuid,
			 d->attempt);
	else if (rc != STORE_OK)
		log_warn("cannot record a delivery attempt", "delivery=%s attempt=%d error=\"%s\"",
			 d->uuid, d->attempt, store_error(s));
	else if (ok)
		log_info("webhook delivered", "delivery=%s event=%s attempt=%d code=%d", d->uuid,
			 d->event, d->attempt, code);
	else
		log_warn("webhook attempt failed", "delivery=%s event=%s attempt=%d code=%d result=%s"
			 " error=\"%s\"", d->uuid, d->event, d->attempt, code, result, err);
}

static void *sender_main(void *arg)
{
	struct webhook_sender *w = arg;
	struct store *s = NULL;
	char err[256];

	while (!bg_wait(&w->bg, 0)) {
		struct delivery *d = NULL;
		size_t n = 0;

		if (!s && !(s = store_open(w->db_url, err, sizeof err))) {
			log_warn("webhook sender cannot open the store", "error=\"%s\"", err);
			bg_wait(&w->bg, 5000);
			continue;
		}
		if (store_delivery_claim(s, w->worker, SENDER_BATCH, config.webhook_lease_s * 1000, &d,
					 &n) != STORE_OK) {
			int64_t wait = store_outage_wait_ms();

			if (!store_outage(s))	/* an outage is the store's to log */
				log_warn("cannot claim deliveries", "error=\"%s\"", store_error(s));
			bg_wait(&w->bg, wait > config.webhook_poll_ms ? (int)wait : config.webhook_poll_ms);
			continue;
		}
		for (size_t i = 0; i < n; i++)
			send_one(s, &d[i]);	/* even when stopping: each is claimed */
		delivery_array_free(d, n);
		if (n == 0)
			bg_wait(&w->bg, config.webhook_poll_ms);
	}
	store_close(s);
	return NULL;
}

struct webhook_sender *webhook_sender_start(const char *db_url, const char *worker_id)
{
	struct webhook_sender *w = calloc(1, sizeof *w);

	if (!w || !(w->db_url = strdup(db_url))) {
		free(w);
		log_warn("webhook sender not started", "error=\"out of memory\"");
		return NULL;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(w->worker, sizeof w->worker, "%s", worker_id);
	if (bg_start(&w->bg, sender_main, w) < 0) {
		log_warn("webhook sender not started", "error=\"%s\"", strerror(errno));
		free(w->db_url);
		free(w);
		return NULL;
	}
	return w;
}

void webhook_sender_stop(struct webhook_sender *w)
{
	if (!w)
		return;
	bg_stop(&w->bg);
	bg_release(&w->bg);
	free(w->db_url);
	free(w);
}
