/*
 * metrics.h — the Prometheus text exposition of GET /metrics.
 *
 * Two sources, both cheap per scrape: the database's maintained counters
 * (store_counters, store_queue_status: no COUNT(*) over the scans table),
 * and this process's own counters of HTTP requests by route and status
 * code, updated lock-free by the server threads.  The scan-duration
 * histogram is counters too: the database sorts each completion into its
 * bucket in the completing transaction (store.h, STORE_DURATION_BOUNDS_S).
 */
#ifndef SCANQ_METRICS_H
#define SCANQ_METRICS_H

#include <stddef.h>

struct store;
struct metrics;

#define METRICS_ROUTES_MAX  64	/* routes counted separately */
#define METRICS_TEXT_MAX    (512 * 1024)	/* cap of one exposition */

/*
 * A new metrics registry for `n` routes named names[0..n) (borrowed: they
 * must outlive the registry; at most METRICS_ROUTES_MAX).  Returns NULL
 * without memory.  Free with metrics_free().
 */
struct metrics *metrics_new(const char *const *names, int n);

/* Frees the registry; NULL is a no-op. */
void metrics_free(struct metrics *m);

/* Counts one HTTP request on route `route` (0..n-1; anything else counts
 * as "other") that answered `code` after `seconds`.  Thread-safe, no lock. */
void metrics_http(struct metrics *m, int route, int code, double seconds);

/*
 * Renders the exposition (text format 0.0.4) from the store `s` and the
 * in-process counters.  Returns 0 with *text a new NUL-terminated buffer
 * (free()) of *len bytes, or -1 when the store cannot be read.
 * Thread-safe.
 */
int metrics_render(struct metrics *m, struct store *s, char **text, size_t *len);

/* Adds the group committer's counters (scanq_submit_commits_total and
 * scanq_submit_grouped_total) to every exposition; `g` is borrowed and
 * must outlive the registry, or be NULL. */
struct store_group;
void metrics_set_group(struct metrics *m, struct store_group *g);

#endif
