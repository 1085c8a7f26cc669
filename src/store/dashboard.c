/*
 * dashboard.c — what the UI's first page reads besides the queue's
 * counters (store.h, "the dashboard"): open findings by severity on each
 * of the last days, and the changes of the last 24 hours and 7 days.  Both
 * read rollups (migration 25) that triggers keep in every writing
 * transaction (db.h, "the dashboard's rollups"), so the figures are the
 * ones the rows give, whoever wrote them: the chart sums per-day deltas
 * (a few rows a day), the changes sum per-hour counts of the whole hours
 * of the window, per-minute counts of the whole minutes before them, and
 * count the part minute at its start from the scans completed in it.
 *
 * A finding state keeps when it was first seen and, once fixed, when it
 * became fixed (updated_at), not every step of its history: a finding
 * counts as open from its first sighting until it was fixed, so a
 * reopened one counts as open all along and an accepted one not at all.
 */
#include <string.h>
#include "store/tx.h"

#define DAY_MS 86400000LL
#define HOUR_MS 3600000LL
#define MINUTE_MS 60000LL
#define DASH_FOLD_MARGIN_DAYS 7		/* days kept before the chart's first */
#define DASH_CHANGES_KEEP_HOURS (8 * 24)	/* the week's window and a day */

static const char *const SEV[STORE_DASH_SEVERITIES] = { "critical", "high", "medium", "low", "info" };

static int sev_index(const char *s)
{
	for (int i = 0; s && i < STORE_DASH_SEVERITIES; i++)
		if (strcmp(s, SEV[i]) == 0)
			return i;
	return -1;
}

/* d->open from the deltas: each day's figure is the one before plus its
 * own delta, the first day's starts from every delta before it (-1). */
static int trend(struct store *s, struct store_dashboard *d)
{
	int64_t delta[STORE_DASH_DAYS][STORE_DASH_SEVERITIES] = { { 0 } }, run[STORE_DASH_SEVERITIES] = { 0 };
	struct db_args a = { 0 };
	struct db_cur c;
	int rc;

	db_i64(&a, d->since / DAY_MS);
	if ((rc = db_query(s, S_DASH_TREND, &a, &c)) == STORE_OK) {
		while ((rc = db_next(&c)) > 0) {
			int k = sev_index(db_col_text(&c, 0));
			int64_t day = db_col_i64(&c, 1), n = db_col_i64(&c, 2);

			if (k >= 0 && day < 0)
				run[k] += n;
			else if (k >= 0 && day < STORE_DASH_DAYS)
				delta[day][k] += n;	/* a later day's (a clock ahead) is not charted */
		}
		rc = rc < 0 ? rc : STORE_OK;
	}
	db_done(&c);
	for (int day = 0; rc == STORE_OK && day < STORE_DASH_DAYS; day++)
		for (int k = 0; k < STORE_DASH_SEVERITIES; k++)
			d->open[day][k] = run[k] += delta[day][k];
	return rc;
}

static int changes(struct store *s, int64_t since, int64_t out[3])
{
	static const char *const types[3] = { "new", "gone", "changed" };
	struct db_args a = { 0 };
	struct db_cur c;
	int rc;

	db_i64(&a, since);
	db_i64(&a, (since + HOUR_MS - 1) / HOUR_MS);	/* the first whole hour */
	db_i64(&a, (since + MINUTE_MS - 1) / MINUTE_MS);	/* the first whole minute */
	if ((rc = db_query(s, S_DASH_CHANGES, &a, &c)) == STORE_OK) {
		while ((rc = db_next(&c)) > 0)
			for (int i = 0; i < 3; i++)
				if (strcmp(db_col_text(&c, 0), types[i]) == 0)
					out[i] = db_col_i64(&c, 1);
		rc = rc < 0 ? rc : STORE_OK;
	}
	db_done(&c);
	return rc;
}

const char *store_dash_severity(int i)
{
	return i >= 0 && i < STORE_DASH_SEVERITIES ? SEV[i] : "";
}

int store_dashboard(struct store *s, int64_t now, struct store_dashboard *d)
{
	int rc;

	memset(d, 0, sizeof *d);
	d->now = now;
	d->since = (now / DAY_MS - (STORE_DASH_DAYS - 1)) * DAY_MS;	/* UTC midnight */
	if ((rc = trend(s, d)) != STORE_OK || (rc = changes(s, now - DAY_MS, d->changes_24h)) != STORE_OK)
		return rc;
	return changes(s, now - 7 * DAY_MS, d->changes_7d);
}

int store_dashboard_fold(struct store *s, int64_t now)
{
	struct db_args a = { 0 };
	int rc;

	if ((rc = db_begin(s, 1)) != STORE_OK)
		return rc;
	db_i64(&a, now / DAY_MS - (STORE_DASH_DAYS - 1) - DASH_FOLD_MARGIN_DAYS);
	if ((rc = db_run(s, S_DASH_FOLD, &a, NULL)) != STORE_OK
	    || (s->d->sql[S_DASH_FOLD_DROP] && (rc = db_run(s, S_DASH_FOLD_DROP, &a, NULL)) != STORE_OK))
		return core_abort(s, rc);
	a.n = 0;
	db_i64(&a, now - DASH_CHANGES_KEEP_HOURS * HOUR_MS);
	if ((rc = db_run(s, S_DASH_CHANGES_DROP, &a, NULL)) != STORE_OK)
		return core_abort(s, rc);
	return db_commit(s);
}
