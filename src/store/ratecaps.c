/*
 * ratecaps.c — rate caps per network, written once for both dialects:
 * the caps `scanq ratecap` keeps, and the budgets the store hands out.
 *
 * A network's budget is one row per second of the database's clock
 * (rate_budget: network, window_s, taken).  A taker asks for a slice;
 * one upsert grants what is left of the cap, at most the slice, under the
 * row's lock (S_RATE_TAKE), so the slices of every worker, agent and
 * shard of a second never add up to more than the cap, on any number of
 * hosts.  Nothing is ever given back: a second's row stops mattering when
 * the second ends, so a worker that died holding a slice costs the others
 * that second's rest at most, and the next second is whole again.  Old
 * rows are deleted now and then (S_RATE_PRUNE).
 *
 * Which networks a scan counts against is scan/ratecap.c's rule, over the
 * caps of [rate] cap and of the store, read at most once a second per
 * process (a cap set with `scanq ratecap set` applies within a second).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "core/clock.h"
#include "core/config.h"
#include "ratecap.h"
#include "store/tx.h"

#define CAPS_TTL_MS 1000	/* how long a read of the caps is used */
#define PRUNE_EVERY_MS 10000

static pthread_mutex_t caps_mu = PTHREAD_MUTEX_INITIALIZER;
static struct ratecap caps[RATECAP_MAX];
static size_t ncaps;
static int64_t caps_at, pruned_at;	/* monotonic ms; 0: never */

static void ratecap_row(struct db_cur *c, void *elem, void *ctx)
{
	static const struct db_field fields[] = {
		DB_COPY(struct ratecap_row, network), DB_LONG(struct ratecap_row, probes),
		DB_I64(struct ratecap_row, created_at), DB_COPY(struct ratecap_row, created_by),
	};

	(void)ctx;
	db_row_read(c, fields, sizeof fields / sizeof *fields, elem);
}

int store_ratecap_list(struct store *s, struct ratecap_row **out, size_t *n)
{
	struct db_args a = { 0 };
	void *arr;
	int rc;

	/* Twice the cap: rows a race let past the cap are still listed. */
	db_i64(&a, STORE_RATECAPS_MAX * 2);
	rc = core_page_new(s, S_RATECAP_LIST, &a, sizeof **out, STORE_RATECAPS_MAX * 2, ratecap_row,
			   NULL, NULL, &arr, n);
	*out = arr;
	return rc;
}

int store_ratecap_set(struct store *s, const char *network, long probes, const char *actor)
{
	struct ratecap c;
	struct ratecap_row *rows = NULL;
	struct db_args a = { 0 };
	char err[200];
	size_t n = 0, i;
	int rc;

	if (ratecap_make(network, probes, &c, err, sizeof err) < 0)
		return store_set_error(s, "%s", err), STORE_ILLEGAL;
	if (actor && strlen(actor) >= sizeof rows->created_by)
		return store_set_error(s, "an actor is at most %zu bytes", sizeof rows->created_by - 1),
		       STORE_ILLEGAL;
	if ((rc = store_ratecap_list(s, &rows, &n)) != STORE_OK)
		return rc;
	for (i = 0; i < n && strcmp(rows[i].network, c.net) != 0; i++)
		;
	free(rows);
	/* Replacing a cap is allowed when the list is full; adding is not. */
	if (i == n && n >= STORE_RATECAPS_MAX)
		return store_set_error(s, "the rate cap list is full (%d caps); remove one first",
				       STORE_RATECAPS_MAX), STORE_ILLEGAL;
	db_text(&a, c.net);
	db_i64(&a, c.probes);
	db_i64(&a, scan_now_ms());
	db_text(&a, actor ? actor : "");
	if ((rc = db_run(s, S_RATECAP_SET, &a, NULL)) != STORE_OK)
		return rc;
	pthread_mutex_lock(&caps_mu);
	caps_at = 0;	/* this process sees the change at once */
	pthread_mutex_unlock(&caps_mu);
	return STORE_OK;
}

int store_ratecap_rm(struct store *s, const char *network)
{
	struct ratecap c;
	struct db_args a = { 0 };
	char err[200];
	int64_t changed = 0;
	int rc;

	if (ratecap_make(network, 1, &c, err, sizeof err) < 0)
		return store_set_error(s, "%s", err), STORE_ILLEGAL;
	db_text(&a, c.net);
	if ((rc = db_run(s, S_RATECAP_DELETE, &a, &changed)) != STORE_OK)
		return rc;
	if (!changed)
		return store_set_error(s, "no rate cap for %s", c.net), STORE_NOT_FOUND;
	pthread_mutex_lock(&caps_mu);
	caps_at = 0;
	pthread_mutex_unlock(&caps_mu);
	return STORE_OK;
}

json_t *store_ratecaps_json(struct store *s)
{
	struct ratecap_row *rows = NULL;
	struct ratecap c;
	char err[200];
	size_t n = 0;
	json_t *arr;

	if (store_ratecap_list(s, &rows, &n) != STORE_OK)
		return NULL;
	arr = json_array();
	for (int i = 0; arr && i < config.nrate_cap; i++)
		if (ratecap_parse(config.rate_cap[i], &c, err, sizeof err) == 0)
			json_array_append_new(arr, json_pack("{sssIsnsnss}", "network", c.net,
							     "probes", (json_int_t)c.probes,
							     "created_at", "created_by",
							     "source", "config"));
	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, json_pack("{sssIsIssss}", "network", rows[i].network,
						     "probes", (json_int_t)rows[i].probes,
						     "created_at", (json_int_t)rows[i].created_at,
						     "created_by", rows[i].created_by,
						     "source", "store"));
	free(rows);
	return arr;
}

/* Reads the caps in force into caps[] when the last read is older than
 * CAPS_TTL_MS.  Called with caps_mu held. */
static int refresh(struct store *s)
{
	struct ratecap_row *rows = NULL;
	char err[200];
	size_t n = 0, k = 0;
	int rc;

	if (caps_at && clock_mono_ms() - caps_at < CAPS_TTL_MS)
		return STORE_OK;
	if ((rc = store_ratecap_list(s, &rows, &n)) != STORE_OK)
		return rc;
	for (int i = 0; i < config.nrate_cap && k < RATECAP_MAX; i++)
		if (ratecap_parse(config.rate_cap[i], &caps[k], err, sizeof err) == 0)
			k++;
	for (size_t i = 0; i < n && k < RATECAP_MAX; i++)
		if (ratecap_make(rows[i].network, rows[i].probes, &caps[k], err, sizeof err) == 0)
			k++;
	free(rows);
	ncaps = k;
	caps_at = clock_mono_ms();
	return STORE_OK;
}

/* Takes up to `want` probes of network c's current second into g. */
static int take_one(struct store *s, const struct ratecap *c, long want, struct rate_grant *g)
{
	struct db_args a = { 0 };
	struct db_cur cur;
	int rc;

	db_text(&a, c->net);
	db_i64(&a, c->probes);
	db_i64(&a, want);
	db_i64(&a, scan_now_ms());
	if ((rc = db_query(s, S_RATE_TAKE, &a, &cur)) != STORE_OK)
		return rc;
	rc = db_next(&cur);
	if (rc == 1) {
		g->probes = (long)db_col_i64(&cur, 0);
		g->window = db_col_i64(&cur, 1);
		g->ms_left = (long)db_col_i64(&cur, 2);
		if (g->ms_left < 0)
			g->ms_left = 0;
		if (g->ms_left > 1000)
			g->ms_left = 1000;
		rc = STORE_OK;
	} else {
		rc = rc == 0 ? store_set_error(s, "the budget of %s was not read", c->net) : rc;
	}
	db_done(&cur);
	return rc;
}

int store_rate_take(struct store *s, const char *targets, long want, struct rate_grant *g)
{
	struct ratecap mine[RATECAP_MAX];
	size_t idx[RATECAP_MAX], k = 0, nt = 0;
	const char **specs = NULL;
	json_t *t = json_loads(targets ? targets : "[]", 0, NULL);
	int rc = STORE_OK;

	memset(g, 0, sizeof *g);
	pthread_mutex_lock(&caps_mu);
	rc = refresh(s);
	if (rc == STORE_OK && ncaps && json_is_array(t) && json_array_size(t)
	    && (specs = calloc(json_array_size(t), sizeof *specs))) {
		for (size_t i = 0; i < json_array_size(t); i++)
			specs[nt++] = json_string_value(json_array_get(t, i));
		k = ratecap_match(caps, ncaps, specs, nt, idx);
		for (size_t i = 0; i < k; i++)
			mine[i] = caps[idx[i]];
	}
	pthread_mutex_unlock(&caps_mu);
	if (rc != STORE_OK || k == 0)
		goto out;
	/* Each network in turn grants at most what the ones before did; what
	 * an earlier one granted beyond a later one's is lost for this second. */
	g->capped = 1;
	g->probes = want;
	g->cap = mine[0].probes;
	for (size_t i = 0; i < k && g->probes > 0; i++) {
		struct rate_grant one = { 0 };

		if ((rc = take_one(s, &mine[i], g->probes, &one)) != STORE_OK)
			goto out;
		g->probes = one.probes;
		g->window = one.window;
		g->ms_left = one.ms_left;
		if (mine[i].probes < g->cap)
			g->cap = mine[i].probes;
	}
	if (clock_mono_ms() - pruned_at > PRUNE_EVERY_MS) {
		struct db_args a = { 0 };

		pruned_at = clock_mono_ms();
		db_i64(&a, scan_now_ms());
		db_run(s, S_RATE_PRUNE, &a, NULL);	/* old rows only cost space */
	}
out:
	if (rc != STORE_OK)
		memset(g, 0, sizeof *g);
	free(specs);
	json_decref(t);
	return rc;
}
