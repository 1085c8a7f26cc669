/*
 * dashboard.c — what the UI's first page reads besides the queue's
 * counters (store.h, "the dashboard"): open findings by severity on each
 * of the last days, and the changes of the last 24 hours and 7 days.  Each
 * is one statement that reads an index, not a table: the chart reads
 * finding_states_dashboard (open and reopened states, and the ones fixed
 * in the window), the changes the scans completed in the window
 * (scans_finished_status) and their rows of scan_changes.
 *
 * A finding state keeps when it was first seen and, once fixed, when it
 * became fixed (updated_at), not every step of its history: a finding
 * counts as open from its first sighting until it was fixed, so a
 * reopened one counts as open all along and an accepted one not at all.
 */
#include <string.h>
#include "store/tx.h"

#define DAY_MS 86400000LL

static const char *const SEV[STORE_DASH_SEVERITIES] = { "critical", "high", "medium", "low", "info" };

static int sev_index(const char *s)
{
	for (int i = 0; s && i < STORE_DASH_SEVERITIES; i++)
		if (strcmp(s, SEV[i]) == 0)
			return i;
	return -1;
}

static int trend(struct store *s, struct store_dashboard *d)
{
	struct db_args a = { 0 };
	struct db_cur c;
	int rc;

	db_i64(&a, d->since);
	if ((rc = db_query(s, S_DASH_TREND, &a, &c)) == STORE_OK) {
		while ((rc = db_next(&c)) > 0) {
			int k = sev_index(db_col_text(&c, 0));
			int64_t opened = db_col_i64(&c, 1), fixed = db_col_i64(&c, 2), n = db_col_i64(&c, 3);

			for (int day = 0; k >= 0 && day < STORE_DASH_DAYS; day++)
				if (opened <= day && fixed > day)
					d->open[day][k] += n;
		}
		rc = rc < 0 ? rc : STORE_OK;
	}
	db_done(&c);
	return rc;
}

static int changes(struct store *s, int64_t since, int64_t out[3])
{
	static const char *const types[3] = { "new", "gone", "changed" };
	struct db_args a = { 0 };
	struct db_cur c;
	int rc;

	db_i64(&a, since);
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
