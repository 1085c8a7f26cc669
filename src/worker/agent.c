/*
 * agent.c — the server as a worker's source of scans (see agent.h and
 * source.h): libcurl requests to /api/v1/agent/, a claim thread holding
 * the long poll, and the spool.
 *
 * Two curl handles, each kept alive: one for the loop's calls (renew,
 * complete, fail), one for the claim thread.  The thread and the loop
 * share the queue of claimed scans, `want` (free slots not yet covered)
 * and the outage state, under one mutex.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <curl/curl.h>
#include <jansson.h>
#include "core/backoff.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "scope.h"
#include "worker/agent.h"
#include "worker/source.h"
#include "worker/spool.h"
#include "worker/worker.h"

#ifndef SCANQ_VERSION
#define SCANQ_VERSION "dev"
#endif

#define REPLY_MAX (32 << 20)		/* bytes of one reply */
#define CALL_TIMEOUT_MS 15000		/* a call other than the long poll */
#define CONNECT_TIMEOUT_MS 5000
#define OUTAGE_LOG_MS 10000		/* at most one "still unreachable" line per this */
#define REFUSED_LOG_MS 60000		/* at most one "claim refused" line per this */

/* The answer to one call. */
struct reply {
	long status;			/* HTTP status; 0: no answer (transport) */
	json_t *body;			/* parsed JSON, or NULL */
	char text[320];			/* the error, for the log: transport or server's */
	int fatal;			/* a transport error retrying cannot fix (TLS trust) */
};

struct agent {
	struct source src;		/* first: the struct source * is this */
	char *server, *token, *ca, *cert, *key, *name, *id;
	struct curl_slist *headers;
	CURL *call, *poll;
	struct spool *spool;
	char err[400];			/* the loop's last error */
	int wait_ms;

	pthread_mutex_t mu;		/* guards everything below */
	pthread_cond_t cv;
	pthread_t thread;
	int thread_started, stopping;
	int want;			/* free slots the long poll should fill */
	struct { int64_t id; int attempt; } unsent[WORKER_CONCURRENCY_MAX];
	int nunsent;			/* results waiting to be sent: claim nothing new */
	struct scan *queue;		/* claimed, not yet taken by the loop */
	size_t qlen, qcap;
	int wake[2];			/* readable: the queue has scans */
	char exclude[CONFIG_EXCLUDE_MAX * 256];	/* the server's exclusions, "a, b" */
	struct backoff back;		/* the shared retry rule while the server is away */
	int64_t outage_since, outage_logged;	/* monotonic ms; 0: reachable */
	int64_t refused_since, refused_logged;	/* claims refused since (0: taken) */
};

/* ---- requests --------------------------------------------------------- */

struct buf {
	char *p;
	size_t n;
	int over;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct buf *b = arg;
	size_t n = size * nmemb;
	char *grown;

	if (b->n + n > REPLY_MAX) {
		b->over = 1;
		return 0;
	}
	grown = realloc(b->p, b->n + n + 1);
	if (!grown)
		return 0;
	b->p = grown;
	memcpy(b->p + b->n, ptr, n);
	b->n += n;
	b->p[b->n] = '\0';
	return n;
}

/* The long poll is abandoned when the agent stops. */
static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct agent *a = arg;
	int stop;

	(void)dt; (void)dn; (void)ut; (void)un;
	pthread_mutex_lock(&a->mu);
	stop = a->stopping;
	pthread_mutex_unlock(&a->mu);
	return stop;
}

static CURL *handle_new(struct agent *a)
{
	CURL *h = curl_easy_init();

	if (!h)
		return NULL;
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, a->headers);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "scanq-agent/" SCANQ_VERSION);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (a->ca)
		curl_easy_setopt(h, CURLOPT_CAINFO, a->ca);
	if (a->cert)
		curl_easy_setopt(h, CURLOPT_SSLCERT, a->cert);
	if (a->key)
		curl_easy_setopt(h, CURLOPT_SSLKEY, a->key);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	return h;
}

/* Adds what every request carries to `o` and returns its text. */
static char *body_text(struct agent *a, json_t *o)
{
	char *text;

	json_object_set_new(o, "protocol", json_integer(AGENT_PROTOCOL));
	json_object_set_new(o, "agent", json_string(a->id));
	json_object_set_new(o, "name", json_string(a->name));
	json_object_set_new(o, "version", json_string(SCANQ_VERSION));
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

/* POSTs `body` (JSON text) to /api/v1/agent/EP on handle h. */
static void post(struct agent *a, CURL *h, const char *ep, const char *body, long timeout_ms,
		 struct reply *r)
{
	char url[1200];
	struct buf b = { 0 };
	CURLcode cc;

	memset(r, 0, sizeof *r);
	snprintf(url, sizeof url, "%s/api/v1/agent/%s", a->server, ep);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "{}");
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	if (h == a->poll) {
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(h, CURLOPT_XFERINFODATA, a);
	}
	cc = curl_easy_perform(h);
	if (cc != CURLE_OK) {
		snprintf(r->text, sizeof r->text, "%s: %s", a->server,
			 b.over ? "the reply is too large" : curl_easy_strerror(cc));
		r->fatal = cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE
			|| cc == CURLE_SSL_CERTPROBLEM || cc == CURLE_URL_MALFORMAT
			|| cc == CURLE_UNSUPPORTED_PROTOCOL || cc == CURLE_SSL_ISSUER_ERROR;
		free(b.p);
		return;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	r->body = b.p ? json_loads(b.p, 0, NULL) : NULL;
	if (r->status != 200) {
		json_t *e = json_object_get(r->body, "error");
		const char *m = json_string_value(json_object_get(e, "message"));
		const char *c = json_string_value(json_object_get(e, "code"));

		snprintf(r->text, sizeof r->text, "the server answered %ld%s%s%s%s", r->status,
			 c ? " " : "", c ? c : "", m ? ": " : "", m ? m : "");
	}
	free(b.p);
}

/* The server answered (whatever it said) or not: the outage state and its
 * log lines.  Called with a->mu not held. */
static void reached(struct agent *a, const struct reply *r)
{
	int64_t now = clock_mono_ms();
	char q[400];

	pthread_mutex_lock(&a->mu);
	if (r->status > 0 && r->status < 500) {
		if (a->outage_since)
			log_info("server reachable again", "server=%s after_ms=%lld", a->server,
				 (long long)(now - a->outage_since));
		a->outage_since = 0;
		backoff_reset(&a->back);
	} else {
		if (!a->outage_since)
			a->outage_since = now;
		backoff_failed(&a->back, now);
		if (now - a->outage_logged >= OUTAGE_LOG_MS) {
			a->outage_logged = now;
			log_warn("server unreachable, results are kept in the spool",
				 "server=%s for_ms=%lld error=%s", a->server,
				 (long long)(now - a->outage_since), log_quote(r->text, q, sizeof q));
		}
	}
	pthread_mutex_unlock(&a->mu);
}

/* A call from the loop: post, then note the outage state and the error. */
static void loop_call(struct agent *a, const char *ep, const char *body, struct reply *r)
{
	post(a, a->call, ep, body, CALL_TIMEOUT_MS, r);
	reached(a, r);
	if (r->status != 200)
		snprintf(a->err, sizeof a->err, "%s", r->text);
}

/* What a result's answer means: STORE_OK, STORE_LOST (the server has
 * decided: never send it again) or STORE_ERROR (send it again later). */
static int result_rc(const struct reply *r)
{
	if (r->status == 200)
		return STORE_OK;
	if (r->status == 409 || r->status == 404 || r->status == 400 || r->status == 413
	    || r->status == 422)
		return STORE_LOST;
	return STORE_ERROR;
}

/* ---- the scans a claim returns --------------------------------------- */

static char *json_text(json_t *v, const char *dflt)
{
	return v && !json_is_null(v) ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : strdup(dflt);
}

int agent_scan_from_json(json_t *o, struct scan *s)
{
	json_t *id = json_object_get(o, "id"), *att = json_object_get(o, "attempt");
	const char *type = json_string_value(json_object_get(o, "type"));

	memset(s, 0, sizeof *s);
	json_t *opts = json_object_get(o, "options");

	if (!json_is_integer(id) || !json_is_integer(att) || !type || !*type
	    || strlen(type) >= sizeof s->type || !json_is_array(json_object_get(o, "targets"))
	    || (opts && !json_is_null(opts) && !json_is_object(opts)))
		return -1;
	s->id = json_integer_value(id);
	s->attempt = (int)json_integer_value(att);
	snprintf(s->type, sizeof s->type, "%s", type);
	s->status = SCAN_RUNNING;
	s->targets = json_text(json_object_get(o, "targets"), "[]");
	s->options = json_text(json_object_get(o, "options"), "{}");
	s->time_limit_s = (int)json_integer_value(json_object_get(o, "time_limit_s"));
	s->max_attempts = (int)json_integer_value(json_object_get(o, "max_attempts"));
	s->priority = (int)json_integer_value(json_object_get(o, "priority"));
	s->flow = (int)json_integer_value(json_object_get(o, "flow"));
	if (s->time_limit_s <= 0)
		s->time_limit_s = 1800;
	return s->targets && s->options ? 0 : -1;
}

/* Appends the scans of a claim reply to the queue (a->mu held); returns
 * how many. */
static size_t enqueue(struct agent *a, json_t *scans)
{
	size_t i, added = 0;
	json_t *v;

	json_array_foreach(scans, i, v) {
		struct scan s;

		if (agent_scan_from_json(v, &s) < 0) {
			scan_release(&s);
			log_warn("claimed scan unreadable, left to lease recovery", "server=%s",
				 a->server);
			continue;
		}
		if (a->qlen == a->qcap) {
			size_t cap = a->qcap ? a->qcap * 2 : 8;
			struct scan *grown = realloc(a->queue, cap * sizeof *grown);

			if (!grown) {
				scan_release(&s);
				continue;
			}
			a->queue = grown;
			a->qcap = cap;
		}
		a->queue[a->qlen++] = s;
		added++;
	}
	return added;
}

/* ---- the spool --------------------------------------------------------- */

/* Sends one spooled result; 0 when the server has answered for it. */
static int send_spooled(void *arg, int64_t id, int attempt, const char *ep, const char *body)
{
	struct agent *a = arg;
	struct reply r;
	int rc;

	post(a, a->poll, ep, body, CALL_TIMEOUT_MS, &r);
	reached(a, &r);
	rc = result_rc(&r);
	if (rc == STORE_OK)
		log_info("spooled result sent", "scan=%lld attempt=%d result=%s", (long long)id,
			 attempt, json_string_value(json_object_get(r.body, "result")) ?
			 json_string_value(json_object_get(r.body, "result")) : "ok");
	else if (rc == STORE_LOST)
		log_warn("spooled result refused by the server", "scan=%lld attempt=%d error=\"%s\"",
			 (long long)id, attempt, r.text);
	json_decref(r.body);
	if (rc == STORE_ERROR)
		return -1;
	spool_done(a->spool, id, attempt);
	return 0;
}

/* Keeps the server's exclusions of a claim reply (a->mu held): the
 * children of the scans it brought skip them, as a worker's do.  An entry
 * that is not a CIDR block, an address or a domain suffix is dropped. */
static void take_exclusions(struct agent *a, json_t *list)
{
	size_t i, o = 0;
	json_t *v;
	char why[160];

	a->exclude[0] = '\0';
	json_array_foreach(list, i, v) {
		const char *e = json_string_value(v);

		if (!e || scope_entry_valid(e, why, sizeof why) < 0 || strchr(e, ',')) {
			log_warn("exclusion from the server ignored", "server=%s why=\"%s\"",
				 a->server, e ? why : "not a string");
			continue;
		}
		if (o + strlen(e) + 3 >= sizeof a->exclude) {
			log_warn("exclusions from the server cut short", "server=%s", a->server);
			break;
		}
		o += (size_t)snprintf(a->exclude + o, sizeof a->exclude - o, "%s%s", o ? ", " : "", e);
	}
}

/* ---- the claim thread ------------------------------------------------- */

static void thread_sleep(struct agent *a, int64_t ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	if (!a->stopping)
		pthread_cond_timedwait(&a->cv, &a->mu, &ts);
}

static void *claim_thread(void *arg)
{
	struct agent *a = arg;
	int drained = 0;

	pthread_mutex_lock(&a->mu);
	while (!a->stopping) {
		int64_t wait = backoff_wait_ms(&a->back, clock_mono_ms());
		struct reply r;
		char *body;
		int want;

		if (wait > 0) {
			thread_sleep(a, wait);
			continue;
		}
		if (!drained) {
			/* What an earlier run left: sent before any new work. */
			pthread_mutex_unlock(&a->mu);
			drained = spool_each(a->spool, send_spooled, a) >= 0
				&& backoff_wait_ms(&a->back, clock_mono_ms()) == 0;
			pthread_mutex_lock(&a->mu);
			continue;
		}
		if (a->want <= 0) {
			thread_sleep(a, 60000);
			continue;
		}
		want = a->want;
		pthread_mutex_unlock(&a->mu);
		body = body_text(a, json_pack("{s:i, s:i}", "max", want, "wait_ms", a->wait_ms));
		post(a, a->poll, "claim", body, a->wait_ms + CALL_TIMEOUT_MS, &r);
		free(body);
		reached(a, &r);
		pthread_mutex_lock(&a->mu);
		if (r.status == 200) {
			size_t n;

			if (a->refused_since)
				log_info("claims taken again", "server=%s after_ms=%lld", a->server,
					 (long long)(clock_mono_ms() - a->refused_since));
			a->refused_since = a->refused_logged = 0;
			take_exclusions(a, json_object_get(r.body, "exclusions"));
			n = enqueue(a, json_object_get(r.body, "scans"));

			a->want -= (int)n;
			if (n && write(a->wake[1], "w", 1) < 0) {
				/* full pipe: the loop has a wake-up pending already */
			}
		} else if (r.status > 0 && !a->stopping) {
			/* Refused (a revoked token, a server that forgot us): try
			 * again, but not in a loop. */
			int64_t now = clock_mono_ms();

			if (!a->refused_since)
				a->refused_since = now;
			if (!a->refused_logged || now - a->refused_logged >= REFUSED_LOG_MS) {
				a->refused_logged = now;
				log_warn("claim refused", "server=%s for_ms=%lld error=\"%s\"",
					 a->server, (long long)(now - a->refused_since), r.text);
			}
			thread_sleep(a, 5000);
		}
		json_decref(r.body);
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

/* ---- the source's operations ------------------------------------------ */

static int ag_claim(struct source *src, const char *worker, int max, int lease_ms,
		    struct scan **out, size_t *n)
{
	struct agent *a = (struct agent *)src;
	size_t k;

	(void)worker;
	(void)lease_ms;		/* the server's lease, not ours */
	*out = NULL;
	*n = 0;
	pthread_mutex_lock(&a->mu);
	k = a->qlen < (size_t)max ? a->qlen : (size_t)max;
	if (k) {
		*out = malloc(k * sizeof **out);
		if (!*out) {
			pthread_mutex_unlock(&a->mu);
			return STORE_ERROR;
		}
		memcpy(*out, a->queue, k * sizeof **out);
		memmove(a->queue, a->queue + k, (a->qlen - k) * sizeof *a->queue);
		a->qlen -= k;
		*n = k;
	}
	/* Results first: while one waits to be sent, a new claim could take
	 * back (as a new attempt) the very scan whose result is waiting. */
	a->want = a->qlen || a->nunsent ? 0 : max - (int)k;
	if (!a->thread_started && pthread_create(&a->thread, NULL, claim_thread, a) == 0)
		a->thread_started = 1;
	pthread_cond_signal(&a->cv);
	pthread_mutex_unlock(&a->mu);
	return STORE_OK;
}

/* A finding as a child reports it (scanner.h): the fields it has, none
 * empty, detail as an object; what the server's parser takes. */
static json_t *finding_upload(const struct finding *f)
{
	json_t *o = json_pack("{s:s, s:s}", "kind", f->kind, "severity", f->severity);
	json_t *detail = f->detail ? json_loads(f->detail, 0, NULL) : NULL;

	if (f->target)
		json_object_set_new(o, "target", json_string(f->target));
	if (f->port > 0)
		json_object_set_new(o, "port", json_integer(f->port));
	if (f->proto[0])
		json_object_set_new(o, "proto", json_string(f->proto));
	if (f->service)
		json_object_set_new(o, "service", json_string(f->service));
	if (f->title)
		json_object_set_new(o, "title", json_string(f->title));
	json_object_set_new(o, "detail", json_is_object(detail) ? detail : json_object());
	if (detail && !json_is_object(detail))
		json_decref(detail);
	return o;
}

static json_t *findings_json(const struct store_completion *c)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < c->nfindings; i++)
		json_array_append_new(arr, finding_upload(&c->findings[i]));
	return arr;
}

/* Keeps the set of results that wait to be sent (one a slot at most). */
static void note_unsent(struct agent *a, int64_t id, int attempt, int waiting)
{
	int i;

	pthread_mutex_lock(&a->mu);
	for (i = 0; i < a->nunsent; i++)
		if (a->unsent[i].id == id && a->unsent[i].attempt == attempt)
			break;
	if (waiting && i == a->nunsent && i < WORKER_CONCURRENCY_MAX) {
		a->unsent[i].id = id;
		a->unsent[i].attempt = attempt;
		a->nunsent++;
	} else if (!waiting && i < a->nunsent) {
		a->unsent[i] = a->unsent[--a->nunsent];
	}
	pthread_mutex_unlock(&a->mu);
}

/* Spools a result, sends it, and removes it once the server has answered
 * for it.  Returns a STORE_* code; *r keeps the answer. */
static int send_result(struct agent *a, int64_t id, int attempt, const char *ep, json_t *o,
		       struct reply *r)
{
	char *body = body_text(a, o);
	int rc;

	memset(r, 0, sizeof *r);
	if (!body) {
		snprintf(a->err, sizeof a->err, "out of memory");
		return STORE_ERROR;
	}
	if (spool_put(a->spool, id, attempt, ep, body) < 0) {
		/* Not on disk: send it all the same, the slot keeps it meanwhile. */
		log_warn("cannot write the spool", "scan=%lld attempt=%d error=\"%s\"",
			 (long long)id, attempt, strerror(errno));
	}
	loop_call(a, ep, body, r);
	free(body);
	rc = result_rc(r);
	note_unsent(a, id, attempt, rc == STORE_ERROR);
	if (rc != STORE_ERROR)
		spool_done(a->spool, id, attempt);
	if (rc == STORE_LOST)
		log_warn("result refused by the server", "scan=%lld attempt=%d error=\"%s\"",
			 (long long)id, attempt, r->text);
	return rc;
}

static int ag_complete(struct source *src, struct store_completion *c, size_t n,
		       const char *worker, int max, int lease_ms, struct scan **out, size_t *nout)
{
	struct agent *a = (struct agent *)src;

	*out = NULL;
	*nout = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *sum = json_loads(c[i].summary ? c[i].summary : "{}", 0, NULL);
		struct reply r;
		int rc;

		rc = send_result(a, c[i].id, c[i].attempt, "complete",
				 json_pack("{s:I, s:i, s:o, s:o}", "id", (json_int_t)c[i].id,
					   "attempt", c[i].attempt,
					   "summary", sum ? sum : json_object(),
					   "findings", findings_json(&c[i])), &r);
		if (rc == STORE_OK && json_string_value(json_object_get(r.body, "result"))
		    && !strcmp(json_string_value(json_object_get(r.body, "result")), "late"))
			log_info("late result taken by the server", "scan=%lld attempt=%d",
				 (long long)c[i].id, c[i].attempt);
		json_decref(r.body);
		/* Each result is its own call: one that must be sent again makes
		 * the loop send them all again, which the server answers
		 * "already" for those it has. */
		if (rc == STORE_ERROR)
			return STORE_ERROR;
		c[i].rc = rc;
	}
	return max > 0 ? ag_claim(src, worker, max, lease_ms, out, nout) : STORE_OK;
}

static int ag_renew(struct source *src, struct source_renewal *rn, size_t n, int lease_ms)
{
	struct agent *a = (struct agent *)src;
	json_t *list = json_array(), *cancel, *lost;
	struct reply r;
	char *body;
	size_t i;
	json_t *v;

	(void)lease_ms;
	for (i = 0; i < n; i++) {
		json_t *e = json_pack("{s:I, s:i}", "id", (json_int_t)rn[i].id, "attempt",
				      rn[i].attempt);

		if (rn[i].progress >= 0)
			json_object_set_new(e, "progress", json_real(rn[i].progress));
		json_array_append_new(list, e);
		rn[i].rc = STORE_OK;
		rn[i].cancel = 0;
	}
	body = body_text(a, json_pack("{s:o}", "scans", list));
	loop_call(a, "renew", body, &r);
	free(body);
	if (r.status != 200) {
		json_decref(r.body);
		return STORE_ERROR;
	}
	cancel = json_object_get(r.body, "cancel");
	lost = json_object_get(r.body, "lost");
	for (i = 0; i < n; i++) {
		size_t k;

		json_array_foreach(cancel, k, v)
			if (json_integer_value(v) == rn[i].id)
				rn[i].cancel = 1;
		json_array_foreach(lost, k, v)
			if (json_integer_value(v) == rn[i].id)
				rn[i].rc = STORE_LOST;
	}
	json_decref(r.body);
	return STORE_OK;
}

static int ag_end(struct agent *a, int64_t id, int attempt, const char *outcome,
		  const struct scan_failure *f, enum scan_status *now_status)
{
	json_t *o = json_pack("{s:I, s:i, s:s}", "id", (json_int_t)id, "attempt", attempt,
			      "outcome", outcome);
	const char *st;
	struct reply r;
	int rc;

	if (f) {
		json_object_set_new(o, "code", json_string(f->code ? f->code : "scanner_error"));
		json_object_set_new(o, "message", json_string(f->message ? f->message : ""));
		json_object_set_new(o, "retryable", json_boolean(f->retryable));
	}
	rc = send_result(a, id, attempt, "fail", o, &r);
	st = json_string_value(json_object_get(r.body, "status"));
	if (now_status && st)
		*now_status = !strcmp(st, "pending") ? SCAN_PENDING : !strcmp(st, "cancelled")
			? SCAN_CANCELLED : SCAN_FAILED;
	json_decref(r.body);
	return rc;
}

static int ag_fail(struct source *src, int64_t id, int attempt, const struct scan_failure *f,
		   enum scan_status *now_status)
{
	return ag_end((struct agent *)src, id, attempt, "fail", f, now_status);
}

static int ag_cancelled(struct source *src, int64_t id, int attempt)
{
	return ag_end((struct agent *)src, id, attempt, "cancelled", NULL, NULL);
}

static int ag_release(struct source *src, int64_t id, int attempt, const char *reason)
{
	(void)reason;
	return ag_end((struct agent *)src, id, attempt, "release", NULL, NULL);
}

/* A slice of a running scan's rate caps, from POST /api/v1/agent/budget:
 * the server takes it from the store as a worker would (ratefeed.h). */
static int ag_rate_take(struct source *src, const struct scan *sc, long want,
			struct rate_grant *g)
{
	struct agent *a = (struct agent *)src;
	char *body = body_text(a, json_pack("{s:I, s:i, s:I}", "id", (json_int_t)sc->id, "attempt",
					     sc->attempt, "want", (json_int_t)want));
	struct reply r;

	memset(g, 0, sizeof *g);
	if (!body)
		return STORE_ERROR;
	loop_call(a, "budget", body, &r);
	free(body);
	if (r.status == 200) {
		g->capped = json_is_true(json_object_get(r.body, "capped"));
		g->probes = (long)json_integer_value(json_object_get(r.body, "probes"));
		g->cap = (long)json_integer_value(json_object_get(r.body, "cap"));
		g->window = json_integer_value(json_object_get(r.body, "window"));
		g->ms_left = (long)json_integer_value(json_object_get(r.body, "ms_left"));
	}
	json_decref(r.body);
	if (r.status != 200 || g->probes < 0 || g->ms_left < 0 || g->ms_left > 1000
	    || (g->capped && g->cap < 1)) {
		memset(g, 0, sizeof *g);
		return STORE_ERROR;
	}
	return STORE_OK;
}

static const char *ag_error(struct source *src)
{
	return ((struct agent *)src)->err;
}

static int ag_outage(struct source *src)
{
	struct agent *a = (struct agent *)src;
	int out;

	pthread_mutex_lock(&a->mu);
	out = a->outage_since != 0;
	pthread_mutex_unlock(&a->mu);
	return out;
}

static int ag_outage_wait_ms(struct source *src)
{
	struct agent *a = (struct agent *)src;
	int64_t w;

	pthread_mutex_lock(&a->mu);
	w = backoff_wait_ms(&a->back, clock_mono_ms());
	pthread_mutex_unlock(&a->mu);
	return (int)w;
}

static int ag_exclusions(struct source *src, char *buf, size_t len)
{
	struct agent *a = (struct agent *)src;

	pthread_mutex_lock(&a->mu);
	snprintf(buf, len, "%s", a->exclude);
	pthread_mutex_unlock(&a->mu);
	return 0;
}

static int ag_claim_ready(struct source *src)
{
	(void)src;
	return 1;
}

static int ag_wake_fd(struct source *src)
{
	return ((struct agent *)src)->wake[0];
}

static int ag_wake_drain(struct source *src)
{
	struct agent *a = (struct agent *)src;
	char b[64];
	int fired = 0;

	while (read(a->wake[0], b, sizeof b) > 0)
		fired = 1;
	return fired;
}

static void ag_close(struct source *src)
{
	struct agent *a = (struct agent *)src;

	if (!a)
		return;
	pthread_mutex_lock(&a->mu);
	a->stopping = 1;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
	if (a->thread_started)
		pthread_join(a->thread, NULL);
	/* Claimed but never started: handed back without spending an attempt. */
	for (size_t i = 0; i < a->qlen; i++) {
		struct reply r;
		char *body = body_text(a, json_pack("{s:I, s:i, s:s}", "id",
						    (json_int_t)a->queue[i].id, "attempt",
						    a->queue[i].attempt, "outcome", "release"));

		post(a, a->call, "fail", body, CALL_TIMEOUT_MS, &r);
		free(body);
		json_decref(r.body);
	}
	scan_array_free(a->queue, a->qlen);
	if (a->call)
		curl_easy_cleanup(a->call);
	if (a->poll)
		curl_easy_cleanup(a->poll);
	curl_slist_free_all(a->headers);
	spool_close(a->spool);
	if (a->wake[0] >= 0)
		close(a->wake[0]);
	if (a->wake[1] >= 0)
		close(a->wake[1]);
	pthread_cond_destroy(&a->cv);
	pthread_mutex_destroy(&a->mu);
	free(a->server); free(a->token); free(a->ca); free(a->cert); free(a->key);
	free(a->name); free(a->id);
	free(a);
}

static const struct source_ops agent_ops = {
	.claim = ag_claim, .complete = ag_complete, .renew = ag_renew, .fail = ag_fail,
	.cancelled = ag_cancelled, .release = ag_release, .error = ag_error,
	.outage = ag_outage, .outage_wait_ms = ag_outage_wait_ms,
	.claim_ready = ag_claim_ready, .wake_fd = ag_wake_fd, .wake_drain = ag_wake_drain,
	.exclusions = ag_exclusions, .rate_take = ag_rate_take, .close = ag_close,
};

/* ---- opening ---------------------------------------------------------- */

int agent_url_loopback(const char *url)
{
	CURLU *u = curl_url();
	char *host = NULL;
	int loop = 0;

	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK
	    && curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		struct in_addr a4;
		size_t l = strlen(host);

		if (l > 2 && host[0] == '[' && host[l - 1] == ']')
			loop = strncmp(host, "[::1]", l) == 0;
		else if (inet_pton(AF_INET, host, &a4) == 1)
			loop = (ntohl(a4.s_addr) >> 24) == 127;
		else
			loop = strcmp(host, "localhost") == 0;
	}
	curl_free(host);
	curl_url_cleanup(u);
	return loop;
}

/* The server's base URL: http(s)://host[:port], no path; plain http only
 * on loopback.  Returns 0, or -1 with a reason. */
static int check_url(const char *url, char *err, size_t errlen)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *path = NULL;
	int rc = -1;

	if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK
	    || curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
		snprintf(err, errlen, "--server %s is not a URL (https://HOST:PORT)", url);
	} else if (strcmp(scheme, "https") && strcmp(scheme, "http")) {
		snprintf(err, errlen, "--server must be https:// (not %s://)", scheme);
	} else if (!strcmp(scheme, "http") && !agent_url_loopback(url)) {
		snprintf(err, errlen, "refusing plain http to %s: an agent talks to a server"
			 " beyond loopback over https only", url);
	} else if (curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK && path
		   && strcmp(path, "/")) {
		snprintf(err, errlen, "--server takes no path (https://HOST:PORT): %s", url);
	} else {
		rc = 0;
	}
	curl_free(scheme);
	curl_free(path);
	curl_url_cleanup(u);
	return rc;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

struct source *agent_open(const struct agent_opts *o, int *lease_ms, int *fatal, char *err,
			  size_t errlen)
{
	struct agent *a;
	char auth[1200];
	struct reply r;
	char *body;
	size_t l;

	*fatal = 1;
	if (check_url(o->server, err, errlen) < 0)
		return NULL;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "libcurl cannot start");
		return NULL;
	}
	a = calloc(1, sizeof *a);
	if (!a) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->src.ops = &agent_ops;
	a->src.kind = "server";
	a->wake[0] = a->wake[1] = -1;
	pthread_mutex_init(&a->mu, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&a->cv, &ca);
		pthread_condattr_destroy(&ca);
	}
	a->server = strdup(o->server);
	l = strlen(a->server);
	while (l > 0 && a->server[l - 1] == '/')
		a->server[--l] = '\0';
	a->token = strdup(o->token);
	a->ca = dup_or_null(o->ca);
	a->cert = dup_or_null(o->cert);
	a->key = dup_or_null(o->key);
	a->name = strdup(o->name);
	a->id = strdup(o->id);
	a->wait_ms = o->wait_ms;
	snprintf(auth, sizeof auth, "Authorization: Bearer %s", o->token);
	a->headers = curl_slist_append(NULL, auth);
	a->headers = curl_slist_append(a->headers, "Content-Type: application/json");
	a->call = handle_new(a);
	a->poll = handle_new(a);
	if (pipe2(a->wake, O_CLOEXEC | O_NONBLOCK) < 0 || !a->call || !a->poll || !a->server
	    || !a->token || !a->name || !a->id) {
		snprintf(err, errlen, "cannot set up the agent: %s", strerror(errno));
		goto fail;
	}
	a->spool = spool_open(o->spool, err, errlen);
	if (!a->spool)
		goto fail;
	/* Hello: an empty renew checks the token, the protocol and the TLS. */
	body = body_text(a, json_pack("{s:[]}", "scans"));
	post(a, a->call, "renew", body, CALL_TIMEOUT_MS, &r);
	free(body);
	if (r.status != 200) {
		*fatal = r.status > 0 ? r.status < 500 : r.fatal;
		snprintf(err, errlen, "%s", r.text);
		json_decref(r.body);
		goto fail;
	}
	*lease_ms = (int)json_integer_value(json_object_get(r.body, "lease_ms"));
	json_decref(r.body);
	*fatal = 0;
	return &a->src;
fail:
	ag_close(&a->src);
	return NULL;
}
