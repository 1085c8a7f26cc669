/*
 * source.h — where a worker's scans come from and where their ends go.
 *
 * The worker loop (worker.c) claims scans, renews their leases and writes
 * how each ended through one of two sources with the same contract:
 *
 *   - the store (source_store.c): `scanq worker`, which holds database
 *     credentials and writes the database itself;
 *   - the server (agent.c): `scanq agent`, which holds a token and calls
 *     the server's /api/v1/agent/ endpoints over HTTPS; the server stays
 *     the only writer of the database.
 *
 * Every call returns a STORE_* code (store.h) with the store's meaning:
 * STORE_OK, STORE_LOST (the attempt is no longer this worker's: nothing
 * was written), STORE_BUSY or STORE_ERROR (nothing was written; try again
 * later).  So the loop's rules about fencing, retries and outages are
 * written once, whoever is on the other side.
 */
#ifndef SCANQ_WORKER_SOURCE_H
#define SCANQ_WORKER_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include "store/store.h"

/* One lease to renew: in id, attempt and progress (negative: leave it);
 * out rc (STORE_OK or STORE_LOST) and cancel (an operator asked). */
struct source_renewal {
	int64_t id;
	int attempt;
	double progress;
	int rc;
	int cancel;
};

struct source;

struct source_ops {
	/* Up to `max` scans for `worker`, leased for lease_ms.  May return
	 * none at once and make wake_fd readable when some arrive. */
	int (*claim)(struct source *src, const char *worker, int max, int lease_ms,
		     struct scan **out, size_t *n);
	/* Completes n scans (each fenced on its own: c[i].rc) and claims up to
	 * `max` (0: none) into the slots they free; as
	 * store_complete_and_claim(). */
	int (*complete)(struct source *src, struct store_completion *c, size_t n,
			const char *worker, int max, int lease_ms, struct scan **out,
			size_t *nout);
	/* Renews n leases.  STORE_OK: each r[i] has its answer; otherwise
	 * nothing is known and the round is over. */
	int (*renew)(struct source *src, struct source_renewal *r, size_t n, int lease_ms);
	int (*fail)(struct source *src, int64_t id, int attempt, const struct scan_failure *f,
		    enum scan_status *now_status);
	int (*cancelled)(struct source *src, int64_t id, int attempt);
	int (*release)(struct source *src, int64_t id, int attempt, const char *reason);
	/* The last error's text, for the log. */
	const char *(*error)(struct source *src);
	/* 1 while the other side is known to be unreachable (the source logs
	 * the outage; the loop stays quiet). */
	int (*outage)(struct source *src);
	/* How long before the other side is tried again (0: now). */
	int (*outage_wait_ms)(struct source *src);
	/* 0 when no new scans may be claimed now (a full disk). */
	int (*claim_ready)(struct source *src);
	/* A descriptor that turns readable when claiming may find work, or -1;
	 * drain() reads it and returns 1 if it had fired. */
	int (*wake_fd)(struct source *src);
	int (*wake_drain)(struct source *src);
	/* The exclusions the other side asks children to skip, as a list
	 * ("a, b"): 0 with them in buf, or -1 when the source has none of
	 * its own (the store's worker reads them itself, childenv.h).  May be
	 * NULL. */
	int (*exclusions)(struct source *src, char *buf, size_t len);
	/* A slice of the current second's budget of the networks scan sc
	 * counts against (store_rate_take()): up to `want` probes; g->capped
	 * 0 when no cap applies.  STORE_OK, or an error (nothing granted). */
	int (*rate_take)(struct source *src, const struct scan *sc, long want,
			 struct rate_grant *g);
	/* Ends the source: what it still holds is handed back. */
	void (*close)(struct source *src);
};

struct source {
	const struct source_ops *ops;
	const char *kind;		/* "database" or "server", for the log */
	struct store *store;		/* the store source's handle; NULL for an agent */
};

/*
 * Opens the store at db_url as a source (and a wake-up on it): a worker
 * claims from the pool [worker] pool (local by default).  Returns
 * NULL with a reason in err.
 */
struct source *source_store_open(const char *db_url, char *err, size_t errlen);

/* The store source's wake-up ("inotify", "listen", ...), for the log. */
const char *source_store_wakeup_kind(const struct source *src);

#endif
