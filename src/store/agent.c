/*
 * agent.c — what a scan agent's requests do to the store (store.h, "scan
 * agents"), written once for both dialects.  An agent never holds a
 * database handle: the server runs these for it, each one transaction
 * that first reads the scan's status, attempt and pool (S_AGENT_ROW, which
 * locks the row on PostgreSQL) and then decides.  A completion goes
 * through lifecycle.c's one completion path and an ending through its
 * failure path, so an agent's scan gets the same timeline, findings,
 * changes, webhooks and follow-up stages as a local worker's.
 *
 * It also reads the queue by pool (store_pool_status()), for the metrics,
 * doctor and the stuck report's view of pools without agents.
 *
 * The late rule lives here: a result whose lease ran out is still taken
 * when lease recovery put the scan back to pending with the same attempt
 * number, because a claim raises the attempt, so no other attempt can
 * have started.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/clock.h"
#include "store/tx.h"

#define LATE_LEASE_MS 60000	/* the revived attempt's lease: it completes in the same transaction */

struct agent_row {
	enum scan_status status;
	int attempt, flow;
	char pool[SCAN_POOL_MAX];
	char worker[SCAN_WORKER_MAX];
};

/* Reads scan `id` inside the caller's transaction.  STORE_NOT_FOUND when
 * there is none, or it belongs to another pool. */
static int agent_row(struct store *s, int64_t id, const char *pool, struct agent_row *r)
{
	struct db_args a = { 0 };
	struct db_cur c;
	char st[16] = "";
	int rc;

	memset(r, 0, sizeof *r);
	db_i64(&a, id);
	if ((rc = db_query(s, S_AGENT_ROW, &a, &c)) == STORE_OK && (rc = db_next(&c)) > 0) {
		db_col_copy(&c, 0, st, sizeof st);
		r->attempt = (int)db_col_i64(&c, 1);
		db_col_copy(&c, 2, r->pool, sizeof r->pool);
		db_col_copy(&c, 3, r->worker, sizeof r->worker);
		r->flow = (int)db_col_i64(&c, 4);
	}
	db_done(&c);
	if (rc < 0)
		return rc;
	if (rc == 0 || strcmp(r->pool, pool) != 0 || scan_status_parse(st, &r->status) < 0) {
		store_set_error(s, "scan %lld not found", (long long)id);
		return STORE_NOT_FOUND;
	}
	return STORE_OK;
}

/* Nothing written: counts the refused write and commits that. */
static int lost(struct store *s, const struct agent_row *r, struct store_agent_outcome *out)
{
	int rc = core_bump(s, "fenced_writes", 1);

	out->result = STORE_AGENT_LOST;
	out->status = r->status;
	out->attempt = r->attempt;
	return rc == STORE_OK ? db_commit(s) : core_abort(s, rc);
}

/* The revived attempt's lease (S_LEASE_INSERT). */
static int lease_insert(struct store *s, int64_t id, int attempt, const char *agent)
{
	struct db_args a = { 0 };

	db_i64(&a, id);
	db_i64(&a, attempt);
	db_text(&a, agent);
	db_i64(&a, scan_now_ms());
	db_i64(&a, LATE_LEASE_MS);
	return db_run(s, S_LEASE_INSERT, &a, NULL);
}

/* The late rule: pending (id, attempt) -> running for `agent` again, with
 * the event that says why, so the completion path finds it running. */
static int revive(struct store *s, int64_t id, int attempt, const char *agent)
{
	struct db_args a = { 0 };
	char why[160];
	int64_t changed = 0;
	int rc;

	db_i64(&a, id);
	db_i64(&a, attempt);
	db_i64(&a, scan_now_ms());
	db_text(&a, agent);
	if ((rc = db_run(s, S_AGENT_REVIVE, &a, &changed)) != STORE_OK)
		return rc;
	if (changed != 1)
		return store_set_error(s, "scan %lld changed while it was read", (long long)id);
	if ((rc = lease_insert(s, id, attempt, agent)) != STORE_OK)
		return rc;
	/* the timeline keeps 127 bytes of a reason: the agent's id is cut to 40 */
	snprintf(why, sizeof why, "result arrived late from agent %.40s after its lease ran out;"
		 " no other attempt started", agent);
	return core_event(s, id, "pending", "running", attempt, agent, why);
}

static int complete(struct store *s, const char *pool, const char *agent,
		    struct store_completion *c, struct store_agent_outcome *out)
{
	struct agent_row r;
	int rc;

	if ((rc = db_begin(s, 1)) != STORE_OK)
		return rc;
	if ((rc = agent_row(s, c->id, pool, &r)) != STORE_OK)
		return core_abort(s, rc);
	if (c->attempt < 1 || r.attempt != c->attempt
	    || (r.status != SCAN_RUNNING && r.status != SCAN_PENDING && r.status != SCAN_COMPLETED))
		return lost(s, &r, out);
	if (r.status == SCAN_COMPLETED) {
		db_rollback(s);
		out->result = STORE_AGENT_ALREADY;
		out->status = r.status;
		out->attempt = r.attempt;
		return STORE_OK;
	}
	out->result = r.status == SCAN_PENDING ? STORE_AGENT_LATE : STORE_AGENT_DONE;
	if (r.status == SCAN_PENDING && (rc = revive(s, c->id, c->attempt, agent)) != STORE_OK)
		return core_abort(s, rc);
	c->flow = r.flow;
	if ((rc = lifecycle_complete_in_tx(s, c, 1)) != STORE_OK)
		return core_abort(s, rc);
	if (c->rc != STORE_OK)		/* the row was read locked: cannot happen */
		return core_abort(s, store_set_error(s, "scan %lld: completion fenced",
						     (long long)c->id));
	out->status = SCAN_COMPLETED;
	out->attempt = c->attempt;
	return db_commit(s);
}

int store_agent_complete(struct store *s, const char *pool, const char *agent,
			 struct store_completion *c, struct store_agent_outcome *out)
{
	int rc = complete(s, pool, agent, c, out);

	for (int tries = 0; core_retry_safe(s, rc, tries); tries++)
		rc = complete(s, pool, agent, c, out);
	return rc;
}

/* Whether the newest event of scan `id` is `agent` ending `attempt` itself
 * (a retried fail): not lease recovery, whose events name the agent too. */
static int ended_by(struct store *s, int64_t id, int attempt, const char *agent, int *yes)
{
	struct db_args a = { 0 };
	char from[16] = "", worker[SCAN_WORKER_MAX] = "", reason[128] = "";
	struct db_cur c;
	int rc, at = -1;

	*yes = 0;
	db_i64(&a, id);
	if ((rc = db_query(s, S_AGENT_LAST_EVENT, &a, &c)) == STORE_OK && (rc = db_next(&c)) > 0) {
		at = (int)db_col_i64(&c, 0);
		db_col_copy(&c, 1, from, sizeof from);
		db_col_copy(&c, 3, worker, sizeof worker);
		db_col_copy(&c, 4, reason, sizeof reason);
	}
	db_done(&c);
	if (rc < 0)
		return rc;
	*yes = at == attempt && strcmp(from, "running") == 0 && strcmp(worker, agent) == 0
	       && strncmp(reason, "lease expired", 13) != 0;
	return STORE_OK;
}

/* The ending itself, on the running row of (id, attempt). */
static int end_attempt(struct store *s, int64_t id, int attempt, const char *agent,
		       enum store_agent_end how, const struct scan_failure *f,
		       enum scan_status *to)
{
	struct lifecycle_row lr;
	char why[160];
	int rc;

	if ((rc = lifecycle_running(s, id, attempt, &lr)) != STORE_OK)
		return rc == STORE_NOT_FOUND ? store_set_error(s, "scan %lld changed", (long long)id)
					     : rc;
	switch (how) {
	case STORE_AGENT_FAIL:
		return lifecycle_end(s, id, attempt, &lr, f, store_backoff_ms(lr.used,
				     f->backoff_base_ms), LIFECYCLE_ERROR, NULL, to);
	case STORE_AGENT_CANCELLED:
		*to = SCAN_CANCELLED;
		return lifecycle_cancel_or_hand_back(s, id, attempt, &lr, 0,
						     "cancelled by an operator; child stopped", NULL);
	default:
		*to = lr.cancel ? SCAN_CANCELLED : SCAN_PENDING;
		snprintf(why, sizeof why, "handed back by agent %.64s", agent);
		return lifecycle_cancel_or_hand_back(s, id, attempt, &lr, 1,
						     "cancelled by an operator; agent handed it back",
						     why);
	}
}

static int fail(struct store *s, const char *pool, const char *agent, int64_t id, int attempt,
		enum store_agent_end how, const struct scan_failure *f,
		struct store_agent_outcome *out)
{
	struct agent_row r;
	enum scan_status to = SCAN_PENDING;
	int rc, yes = 0;

	if ((rc = db_begin(s, 1)) != STORE_OK)
		return rc;
	if ((rc = agent_row(s, id, pool, &r)) != STORE_OK)
		return core_abort(s, rc);
	if (attempt < 1 || r.attempt != attempt)
		return lost(s, &r, out);
	if (r.status != SCAN_RUNNING) {
		if ((rc = ended_by(s, id, attempt, agent, &yes)) != STORE_OK)
			return core_abort(s, rc);
		if (!yes)
			return lost(s, &r, out);
		db_rollback(s);
		out->result = STORE_AGENT_ALREADY;
		out->status = r.status;
		out->attempt = r.attempt;
		return STORE_OK;
	}
	if ((rc = end_attempt(s, id, attempt, agent, how, f, &to)) != STORE_OK)
		return core_abort(s, rc);
	out->result = STORE_AGENT_DONE;
	out->status = to;
	out->attempt = attempt;
	return db_commit(s);
}

int store_agent_fail(struct store *s, const char *pool, const char *agent, int64_t id,
		     int attempt, enum store_agent_end how, const struct scan_failure *f,
		     struct store_agent_outcome *out)
{
	int rc = fail(s, pool, agent, id, attempt, how, f, out);

	for (int tries = 0; core_retry_safe(s, rc, tries); tries++)
		rc = fail(s, pool, agent, id, attempt, how, f, out);
	return rc;
}

static int seen(struct store *s, const struct store_agent_seen *ag)
{
	struct db_args a = { 0 };

	db_text(&a, ag->id);
	db_text(&a, ag->name && *ag->name ? ag->name : ag->id);
	db_text(&a, ag->address ? ag->address : "");
	db_i64(&a, scan_now_ms());
	db_text(&a, ag->pool);
	db_text(&a, ag->version);
	db_i64(&a, ag->concurrency);
	return db_run(s, S_AGENT_SEEN, &a, NULL);
}

static int renew(struct store *s, const struct store_agent_seen *ag, struct store_agent_lease *l,
		 size_t n, int lease_ms)
{
	const char *pool = ag->pool;
	int rc;

	if ((rc = db_begin(s, 1)) != STORE_OK)
		return rc;
	if ((rc = seen(s, ag)) != STORE_OK)
		return core_abort(s, rc);
	for (size_t i = 0; i < n; i++) {
		struct agent_row r;
		struct db_args a = { 0 };
		struct db_cur c;

		l[i].cancel = 0;
		l[i].lost = 1;
		if ((rc = agent_row(s, l[i].id, pool, &r)) == STORE_NOT_FOUND)
			continue;
		if (rc != STORE_OK)
			return core_abort(s, rc);
		if (r.status != SCAN_RUNNING || r.attempt != l[i].attempt)
			continue;
		db_i64(&a, l[i].id);
		db_i64(&a, l[i].attempt);
		db_i64(&a, scan_now_ms());
		db_i64(&a, lease_ms);
		db_f64(&a, l[i].progress > 1 ? 1 : l[i].progress);
		if ((rc = db_query(s, S_HEARTBEAT, &a, &c)) == STORE_OK && (rc = db_next(&c)) > 0) {
			l[i].lost = 0;
			l[i].cancel = db_col_i64(&c, 0) != 0;
		}
		db_done(&c);
		if (rc < 0)
			return core_abort(s, rc);
	}
	return db_commit(s);
}

int store_agent_renew(struct store *s, const struct store_agent_seen *ag,
		      struct store_agent_lease *l, size_t n, int lease_ms)
{
	int rc = renew(s, ag, l, n, lease_ms);

	for (int tries = 0; core_retry_safe(s, rc, tries); tries++)
		rc = renew(s, ag, l, n, lease_ms);
	return rc;
}

int store_agent_seen(struct store *s, const struct store_agent_seen *ag)
{
	return seen(s, ag);
}

static void pool_row(struct db_cur *c, void *elem, void *ctx)
{
	struct pool_status *p = elem;

	(void)ctx;
	db_col_copy(c, 0, p->pool, sizeof p->pool);
	p->pending = db_col_i64(c, 1);
	p->running = db_col_i64(c, 2);
	p->live_agents = db_col_i64(c, 3);
	p->live = db_col_i64(c, 4);
}

int store_pool_status(struct store *s, struct pool_status **out, size_t *n)
{
	struct db_args a = { 0 };
	void *arr;
	int rc;

	db_i64(&a, scan_now_ms());
	db_i64(&a, STORE_WORKER_DEAD_MS);
	db_i64(&a, STORE_POOLS_MAX);
	rc = core_page_new(s, S_POOL_STATUS, &a, sizeof **out, STORE_POOLS_MAX, pool_row, NULL, NULL,
			   &arr, n);
	*out = arr;
	return rc;
}
