/*
 * metrics.c — Prometheus exposition for GET /metrics (see metrics.h).
 *
 * HTTP counters are a fixed array of [route][status code] 64-bit counters
 * bumped with relaxed atomics; a scrape reads them without stopping the
 * server.  Everything about scans comes from the database's maintained
 * counters, so a scrape costs a handful of indexed reads however many
 * scans the table holds.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api/metrics.h"
#include "core/config.h"
#include "core/scan.h"
#include "store/store.h"

#define CODE_MIN 100
#define CODE_MAX 599
#define NCODES (CODE_MAX - CODE_MIN + 1)
#define ROUTE_OTHER METRICS_ROUTES_MAX	/* the extra row: no route matched */

/* Upper bounds (seconds) of the histogram buckets; +Inf is implicit. */
static const double http_bounds[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1 };
#define NHTTP_BOUNDS (sizeof http_bounds / sizeof http_bounds[0])
static const double scan_bounds[] = STORE_DURATION_BOUNDS_S;
#define NSCAN_BOUNDS (sizeof scan_bounds / sizeof scan_bounds[0])
_Static_assert(NSCAN_BOUNDS + 1 == STORE_DURATION_BUCKETS, "one bucket per bound, and +Inf");

struct metrics {
	const char *const *names;
	int nroutes;
	uint64_t requests[METRICS_ROUTES_MAX + 1][NCODES];
	uint64_t http_buckets[NHTTP_BOUNDS + 1];	/* non-cumulative; last is +Inf */
	uint64_t http_count;
	uint64_t http_sum_us;
	struct store_group *group;
};

struct metrics *metrics_new(const char *const *names, int n)
{
	struct metrics *m;

	if (n < 0 || n > METRICS_ROUTES_MAX || !(m = calloc(1, sizeof *m)))
		return NULL;
	m->names = names;
	m->nroutes = n;
	return m;
}

void metrics_free(struct metrics *m)
{
	free(m);
}

static void add(uint64_t *p, uint64_t v)
{
	__atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}

static uint64_t load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

void metrics_http(struct metrics *m, int route, int code, double seconds)
{
	size_t b = 0;

	if (!m)
		return;
	if (route < 0 || route >= m->nroutes)
		route = ROUTE_OTHER;
	if (code < CODE_MIN || code > CODE_MAX)
		code = 500;
	add(&m->requests[route][code - CODE_MIN], 1);
	while (b < NHTTP_BOUNDS && seconds > http_bounds[b])
		b++;
	add(&m->http_buckets[b], 1);
	add(&m->http_count, 1);
	add(&m->http_sum_us, seconds > 0 ? (uint64_t)(seconds * 1e6) : 0);
}

/* ---- the text buffer ------------------------------------------------------ */

struct text {
	char *buf;
	size_t len, cap;
	int full;		/* hit METRICS_TEXT_MAX: the rest was dropped */
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->full)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->full = 1;
			return;
		}
		if ((size_t)n < t->cap - t->len) {
			t->len += (size_t)n;
			return;
		}
		size_t ncap = t->cap * 2;
		char *nb;
		if (ncap > METRICS_TEXT_MAX || !(nb = realloc(t->buf, ncap))) {
			t->buf[t->len] = '\0';
			t->full = 1;
			return;
		}
		t->buf = nb;
		t->cap = ncap;
	}
}

/* ---- rendering --------------------------------------------------------------- */

static void counter(struct text *t, const char *name, const char *help, int64_t v)
{
	put(t, "# HELP %s %s\n# TYPE %s counter\n%s %lld\n", name, help, name, name,
	    (long long)v);
}

static void gauge(struct text *t, const char *name, const char *help, double v)
{
	put(t, "# HELP %s %s\n# TYPE %s gauge\n%s %.17g\n", name, help, name, name, v);
}

/* Escapes a label value (backslash, quote, newline) into buf. */
static const char *label(const char *v, char *buf, size_t len)
{
	size_t j = 0;

	for (; *v && j + 3 < len; v++) {
		if (*v == '\\' || *v == '"') {
			buf[j++] = '\\';
			buf[j++] = *v;
		} else if (*v == '\n') {
			buf[j++] = '\\';
			buf[j++] = 'n';
		} else {
			buf[j++] = *v;
		}
	}
	buf[j] = '\0';
	return buf;
}

static void render_scans(struct text *t, const struct queue_status *q,
			 const struct store_counters *c)
{
	char lb[2 * SCAN_TYPE_MAX + 4];

	put(t, "# HELP scanq_scans Scans in the database by status.\n# TYPE scanq_scans gauge\n");
	for (int st = 0; st < SCAN_STATUS_COUNT; st++)
		put(t, "scanq_scans{status=\"%s\"} %lld\n", scan_status_name((enum scan_status)st),
		    (long long)q->by_status[st]);
	put(t, "# HELP scanq_scans_by_type Scans in the database by type and status.\n"
	    "# TYPE scanq_scans_by_type gauge\n");
	for (int i = 0; i < q->ntypes; i++)
		for (int st = 0; st < SCAN_STATUS_COUNT; st++)
			put(t, "scanq_scans_by_type{type=\"%s\",status=\"%s\"} %lld\n",
			    label(q->types[i].type, lb, sizeof lb),
			    scan_status_name((enum scan_status)st),
			    (long long)q->types[i].by_status[st]);
	gauge(t, "scanq_queue_depth", "Pending scans.", (double)q->by_status[SCAN_PENDING]);
	gauge(t, "scanq_oldest_pending_seconds", "Age of the oldest due pending scan.",
	      (double)q->oldest_pending_ms / 1000.0);
	gauge(t, "scanq_overdue_lease_seconds",
	      "How long the most overdue lease of a running scan has been expired (lease"
	      " recovery takes such a scan back within seconds while a serve leads).",
	      (double)q->overdue_lease_ms / 1000.0);
	gauge(t, "scanq_finished_last_minute", "Scans finished in the last minute.",
	      (double)q->finished_last_minute);
	put(t, "# HELP scanq_workers Worker processes by state.\n# TYPE scanq_workers gauge\n"
	    "scanq_workers{state=\"active\"} %d\nscanq_workers{state=\"idle\"} %d\n"
	    "scanq_workers{state=\"dead\"} %d\n", q->workers_active, q->workers_idle,
	    q->workers_dead);
	counter(t, "scanq_scans_submitted_total", "Scans queued.", c->submitted);
	counter(t, "scanq_claims_total", "Attempts claimed by workers.", c->claims);
	counter(t, "scanq_scans_completed_total", "Scans completed.", c->completed);
	counter(t, "scanq_scans_failed_total", "Scans failed for good.", c->failed);
	counter(t, "scanq_scans_cancelled_total", "Scans cancelled.", c->cancelled);
	counter(t, "scanq_retries_total", "Attempts sent back to pending after an error.",
		c->retries);
	counter(t, "scanq_lease_recoveries_total", "Expired leases recovered.",
		c->lease_recoveries);
	counter(t, "scanq_worker_handbacks_total",
		"Running scans taken from workers that died under serve, without waiting for"
		" their leases.", c->worker_handbacks);
	counter(t, "scanq_fenced_writes_total", "Late writes rejected by fencing.",
		c->fenced_writes);
}

static void histogram(struct text *t, const char *name, const char *help,
		      const double *bounds, size_t nb, const uint64_t *buckets, uint64_t count,
		      double sum)
{
	uint64_t cum = 0;

	put(t, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	for (size_t b = 0; b < nb; b++) {
		cum += buckets[b];
		put(t, "%s_bucket{le=\"%g\"} %llu\n", name, bounds[b], (unsigned long long)cum);
	}
	put(t, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count %llu\n", name,
	    (unsigned long long)count, name, sum, name, (unsigned long long)count);
}

static void render_http(struct metrics *m, struct text *t)
{
	uint64_t b[NHTTP_BOUNDS + 1], count, sum_us;

	put(t, "# HELP scanq_http_requests_total HTTP requests by route and status code.\n"
	    "# TYPE scanq_http_requests_total counter\n");
	for (int r = 0; r <= METRICS_ROUTES_MAX; r++) {
		if (r >= m->nroutes && r != ROUTE_OTHER)
			continue;
		for (int c = 0; c < NCODES; c++) {
			uint64_t v = load(&m->requests[r][c]);
			if (v)
				put(t, "scanq_http_requests_total{route=\"%s\",code=\"%d\"} %llu\n",
				    r == ROUTE_OTHER ? "other" : m->names[r], c + CODE_MIN,
				    (unsigned long long)v);
		}
	}
	/* Read the count last: the buckets then never sum to less than it claims
	 * by more than the requests that finished during the scrape. */
	for (size_t i = 0; i <= NHTTP_BOUNDS; i++)
		b[i] = load(&m->http_buckets[i]);
	sum_us = load(&m->http_sum_us);
	count = 0;
	for (size_t i = 0; i <= NHTTP_BOUNDS; i++)
		count += b[i];
	histogram(t, "scanq_http_request_duration_seconds", "Time to answer an HTTP request.",
		  http_bounds, NHTTP_BOUNDS, b, count, (double)sum_us / 1e6);
}

void metrics_set_group(struct metrics *m, struct store_group *g)
{
	m->group = g;
}

/* Changes found and webhook deliveries: counters kept by the
 * database in the transactions that made them. */
static void render_changes(struct text *t, const struct store_counters *c)
{
	put(t, "# HELP scanq_changes_total Changes found between scans of a baseline, by kind.\n"
	    "# TYPE scanq_changes_total counter\n"
	    "scanq_changes_total{kind=\"new\"} %lld\nscanq_changes_total{kind=\"gone\"} %lld\n"
	    "scanq_changes_total{kind=\"changed\"} %lld\n", (long long)c->changes_new,
	    (long long)c->changes_gone, (long long)c->changes_changed);
	put(t, "# HELP scanq_webhook_deliveries_total Webhook delivery attempts, by result"
	    " (retry: failed with attempts left; failed: the last attempt failed).\n"
	    "# TYPE scanq_webhook_deliveries_total counter\n"
	    "scanq_webhook_deliveries_total{result=\"delivered\"} %lld\n"
	    "scanq_webhook_deliveries_total{result=\"retry\"} %lld\n"
	    "scanq_webhook_deliveries_total{result=\"failed\"} %lld\n",
	    (long long)c->webhook_delivered, (long long)c->webhook_retried,
	    (long long)c->webhook_failed);
}

/* One gauge of every pool: the store's pools, and the configured ones it
 * has not seen yet (0), so an alert on a pool works from its first scan. */
static void pool_gauge(struct text *t, const char *name, const char *help,
		       const struct pool_status *p, size_t n, int what)
{
	char b[80];

	put(t, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
	for (size_t i = 0; i < n; i++)
		put(t, "%s{pool=\"%s\"} %lld\n", name, label(p[i].pool, b, sizeof b),
		    (long long)(what == 0 ? p[i].pending : what == 1 ? p[i].running : p[i].live_agents));
	for (int k = 0; k < config.npools; k++) {
		size_t i = 0;

		while (i < n && strcmp(p[i].pool, config.pools[k].name) != 0)
			i++;
		if (i == n)
			put(t, "%s{pool=\"%s\"} 0\n", name, label(config.pools[k].name, b, sizeof b));
	}
}

static int render_pools(struct text *t, struct store *s)
{
	struct pool_status *p = NULL;
	size_t n = 0;

	if (store_pool_status(s, &p, &n) != STORE_OK)
		return -1;
	pool_gauge(t, "scanq_pool_pending", "Pending scans by pool.", p, n, 0);
	pool_gauge(t, "scanq_pool_running", "Running scans by pool.", p, n, 1);
	pool_gauge(t, "scanq_pool_live_agents", "Agents of the pool seen within the liveness window.",
		   p, n, 2);
	free(p);
	return 0;
}

int metrics_render(struct metrics *m, struct store *s, char **text, size_t *len)
{
	struct queue_status q;
	struct store_counters c;
	struct text t = { 0 };
	uint64_t sb[STORE_DURATION_BUCKETS];

	if (store_queue_status(s, &q) != STORE_OK || store_counters(s, &c) != STORE_OK)
		return -1;
	for (int b = 0; b < STORE_DURATION_BUCKETS; b++)
		sb[b] = (uint64_t)c.duration_buckets[b];

	t.cap = 16384;
	if (!(t.buf = malloc(t.cap)))
		return -1;
	t.buf[0] = '\0';
	render_scans(&t, &q, &c);
	/* Kept by the database in each completion's transaction: exact, and the
	 * same from every serve process sharing the database. */
	histogram(&t, "scanq_scan_duration_seconds",
		  "Run time of completed scans' last attempt (claimed to finished).",
		  scan_bounds, NSCAN_BOUNDS, sb, (uint64_t)c.duration_count,
		  (double)c.duration_sum_ms / 1000.0);
	render_http(m, &t);
	render_changes(&t, &c);
	if (render_pools(&t, s) < 0) {
		free(t.buf);
		return -1;
	}
	if (m->group) {
		int64_t commits, requests;

		store_group_stats(m->group, &commits, &requests);
		counter(&t, "scanq_submit_commits_total",
			"Transactions that committed API submissions (group commit) in this process.",
			commits);
		counter(&t, "scanq_submit_grouped_total",
			"API submissions committed by those transactions.", requests);
	}
	*text = t.buf;
	*len = t.len;
	return 0;
}
