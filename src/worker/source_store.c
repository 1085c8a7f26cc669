/*
 * source_store.c — the store as a worker's source of scans (see source.h):
 * each call is the store operation of the same name, and the wake-up is
 * the store's (store_wakeup_new()).
 */
#include <stdio.h>
#include <stdlib.h>
#include "core/config.h"
#include "worker/source.h"

struct store_source {
	struct source src;		/* first: the struct source * is this */
	struct store_wakeup *wake;
};

static int st_claim(struct source *src, const char *worker, int max, int lease_ms,
		    struct scan **out, size_t *n)
{
	return store_claim(src->store, config.worker_pool, worker, max, lease_ms, out, n);
}

static int st_complete(struct source *src, struct store_completion *c, size_t n,
		       const char *worker, int max, int lease_ms, struct scan **out, size_t *nout)
{
	*out = NULL;
	*nout = 0;
	return max > 0 ? store_complete_and_claim(src->store, c, n, config.worker_pool, worker, max,
						  lease_ms, out, nout)
		       : store_complete_many(src->store, c, n);
}

/* One statement a lease; the first failure ends the round, since during an
 * outage every further call would wait out the busy timeout too. */
static int st_renew(struct source *src, struct source_renewal *r, size_t n, int lease_ms)
{
	for (size_t i = 0; i < n; i++) {
		int rc = store_heartbeat(src->store, r[i].id, r[i].attempt, lease_ms, r[i].progress,
					 &r[i].cancel);

		if (rc == STORE_BUSY || rc == STORE_ERROR)
			return rc;
		r[i].rc = rc == STORE_OK ? STORE_OK : STORE_LOST;
	}
	return STORE_OK;
}

static int st_fail(struct source *src, int64_t id, int attempt, const struct scan_failure *f,
		   enum scan_status *now_status)
{
	return store_fail(src->store, id, attempt, f, now_status);
}

static int st_cancelled(struct source *src, int64_t id, int attempt)
{
	return store_cancelled(src->store, id, attempt);
}

static int st_release(struct source *src, int64_t id, int attempt, const char *reason)
{
	return store_release(src->store, id, attempt, reason);
}

static const char *st_error(struct source *src)
{
	return store_error(src->store);
}

static int st_outage(struct source *src)
{
	return store_outage(src->store);
}

static int st_outage_wait_ms(struct source *src)
{
	(void)src;
	return (int)store_outage_wait_ms();
}

static int st_claim_ready(struct source *src)
{
	return store_claim_ready(src->store);
}

static int st_wake_fd(struct source *src)
{
	struct store_source *ss = (struct store_source *)src;

	return ss->wake ? store_wakeup_fd(ss->wake) : -1;
}

static int st_wake_drain(struct source *src)
{
	struct store_source *ss = (struct store_source *)src;

	return ss->wake ? store_wakeup_drain(ss->wake) : 0;
}

static int st_rate_take(struct source *src, const struct scan *sc, long want,
			struct rate_grant *g)
{
	return store_rate_take(src->store, sc->targets, want, g);
}

static void st_close(struct source *src)
{
	struct store_source *ss = (struct store_source *)src;

	if (!ss)
		return;
	store_wakeup_free(ss->wake);
	store_close(src->store);
	free(ss);
}

static const struct source_ops store_ops = {
	.claim = st_claim, .complete = st_complete, .renew = st_renew, .fail = st_fail,
	.cancelled = st_cancelled, .release = st_release, .error = st_error,
	.outage = st_outage, .outage_wait_ms = st_outage_wait_ms,
	.claim_ready = st_claim_ready, .wake_fd = st_wake_fd, .wake_drain = st_wake_drain,
	.rate_take = st_rate_take, .close = st_close,
};

struct source *source_store_open(const char *db_url, char *err, size_t errlen)
{
	struct store_source *ss = calloc(1, sizeof *ss);

	if (!ss) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ss->src.ops = &store_ops;
	ss->src.kind = "database";
	ss->src.store = store_open(db_url, err, errlen);
	if (!ss->src.store) {
		free(ss);
		return NULL;
	}
	ss->wake = store_wakeup_new(ss->src.store);
	return &ss->src;
}

const char *source_store_wakeup_kind(const struct source *src)
{
	return store_wakeup_kind(((const struct store_source *)src)->wake);
}
