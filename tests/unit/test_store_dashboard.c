/*
 * test_store_dashboard.c — the dashboard's figures (store_dashboard():
 * open findings by severity on each of 30 days, the changes of 24 hours
 * and 7 days) read from the rollups that migration 25's triggers keep,
 * against the same figures counted straight from finding_states, scans
 * and scan_changes as the statements before the rollups counted them, on
 * a real SQLite file and a real PostgreSQL database (teststore.h).  After
 * every step of a mix — complete runs of two baselines (open, fixed,
 * reopened, new, gone), history spread over days and scans moved across
 * the windows' edges, accept / false positive / reopen, an acceptance
 * expiring, another run, a prune, the maintenance fold — every one of
 * the 150 chart figures and the six change counts must be equal; a rollup
 * a step did not keep makes one differ.  And migration 25 backfills the rollups from the rows an
 * older schema wrote.
 */
#include "store/dash_sql.h"
#include "teststore.h"

#define DAY 86400000LL
#define HOUR 3600000LL
#define MINUTE 60000LL

/* A port finding of this severity on `target`. */
static struct finding sev_port(const char *target, int p, const char *sev)
{
	struct finding x = { .port = p };

	snprintf(x.kind, sizeof x.kind, "open_port");
	snprintf(x.proto, sizeof x.proto, "tcp");
	snprintf(x.severity, sizeof x.severity, "%s", sev);
	x.target = strdup(target);
	x.service = strdup("svc");
	x.title = strdup("open port");
	x.detail = strdup("{}");
	return x;
}

/* Submits, claims and completes one portscan of `target` with the ports
 * ports[i] of severity sevs[i] (n of them).  Returns its id. */
static int64_t run(struct testutil_store *f, const char *target, const int *ports, const char *const *sevs,
		   size_t n)
{
	char targets[64];
	struct scan_request req = { .type = "portscan", .targets = targets, .options = "{}",
				    .max_attempts = 3, .time_limit_s = 60 };
	struct finding fs[8];
	struct scan *c = NULL;
	size_t nc = 0;
	int64_t id;
	int existed;

	assert_true(n <= 8);
	snprintf(targets, sizeof targets, "[\"%s\"]", target);
	for (size_t i = 0; i < n; i++)
		fs[i] = sev_port(target, ports[i], sevs[i]);
	assert_int_equal(store_submit(f->s, &req, &id, &existed), STORE_OK);
	assert_int_equal(store_claim(f->s, SCAN_POOL_LOCAL, "w", 1, 30000, &c, &nc), STORE_OK);
	assert_int_equal(nc, 1);
	assert_int_equal(c[0].id, id);
	assert_int_equal(store_complete(f->s, id, c[0].attempt, "{}", fs, n), STORE_OK);
	scan_array_free(c, nc);
	for (size_t i = 0; i < n; i++)
		finding_release(&fs[i]);
	return id;
}

/* The fingerprint of the finding state of `target`:`port` into fp. */
static void fingerprint_of(struct testutil_store *f, const char *target, int port, char fp[33])
{
	struct finding_state_filter flt = { .limit = 100 };
	struct finding_state *v = NULL;
	size_t n = 0;

	fp[0] = '\0';
	assert_int_equal(store_finding_states(f->s, &flt, &v, &n), STORE_OK);
	for (size_t i = 0; i < n; i++)
		if (v[i].port == port && v[i].target && strcmp(v[i].target, target) == 0)
			snprintf(fp, 33, "%s", v[i].fingerprint);
	finding_state_array_free(v, n);
	assert_true(fp[0] != '\0');
}

static void triage(struct testutil_store *f, const char *target, int port, const char *to, int64_t expires)
{
	char fp[33];

	fingerprint_of(f, target, port, fp);
	assert_int_equal(store_finding_triage(f->s, fp, 0, to, strcmp(to, "reopened") ? "test" : NULL,
					      expires, "tester", NULL), STORE_OK);
}

/*
 * Every figure of store_dashboard(now) against the rows, counted as the
 * statements before migration 25 counted them (the chart: open and
 * reopened states and those fixed since the first day, open from the day
 * of their first sighting until the day they were fixed; the changes: of
 * the scans completed since the window's start).  Returns the sum of the
 * chart's figures plus the week's changes, so a caller can see that the
 * step left something to count.
 */
static long long figures_match(struct testutil_store *f, int64_t now, const char *step)
{
	static const char *const types[3] = { "new", "gone", "changed" };
	struct store_dashboard d;
	long long total = 0;
	char sql[1024];

	assert_int_equal(store_dashboard(f->s, now, &d), STORE_OK);
	for (int day = 0; day < STORE_DASH_DAYS; day++)
		for (int k = 0; k < STORE_DASH_SEVERITIES; k++) {
			long long want;

			snprintf(sql, sizeof sql,
				 "SELECT count(*) FROM finding_states WHERE severity = '%s'"
				 " AND (state IN ('open', 'reopened') OR (state = 'fixed' AND updated_at >= %lld))"
				 " AND CASE WHEN first_seen < %lld THEN -1 ELSE (first_seen - %lld) / 86400000 END"
				 " <= %d AND CASE WHEN state = 'fixed' THEN (updated_at - %lld) / 86400000"
				 " ELSE 9999 END > %d", store_dash_severity(k), (long long)d.since,
				 (long long)d.since, (long long)d.since, day, (long long)d.since, day);
			want = db_int(f, sql);
			if (d.open[day][k] != want)
				fail_msg("%s: day %d %s: the dashboard says %lld, the rows %lld", step, day,
					 store_dash_severity(k), (long long)d.open[day][k], want);
			total += want;
		}
	for (int w = 0; w < 2; w++)
		for (int i = 0; i < 3; i++) {
			int64_t since = now - (w ? 7 : 1) * DAY, got = w ? d.changes_7d[i] : d.changes_24h[i];
			long long want;

			snprintf(sql, sizeof sql,
				 "SELECT count(*) FROM scans s JOIN scan_changes c ON c.scan_id = s.id"
				 " WHERE s.status = 'completed' AND s.finished_at >= %lld"
				 " AND c.change_type = '%s'", (long long)since, types[i]);
			want = db_int(f, sql);
			if (got != want)
				fail_msg("%s: changes of the last %s, %s: the dashboard says %lld, the rows %lld",
					 step, w ? "7 days" : "24 h", types[i], (long long)got, want);
			total += w ? want : 0;
		}
	return total;
}

static const char *const CRIT_HIGH_MED_LOW[] = { "critical", "high", "medium", "low" };

/* Three runs of one baseline and two of another: open, fixed, reopened,
 * new and gone.  ids gets the five scans. */
static void runs(struct testutil_store *f, int64_t ids[5])
{
	static const int r1[] = { 21, 22, 23, 24 }, r2[] = { 21, 22, 23 }, r3[] = { 22, 24, 25 };
	static const char *const s3[] = { "high", "low", "info" };
	static const int y1[] = { 80, 443 }, y2[] = { 80, 8080 };
	static const char *const sy[] = { "high", "medium" };

	ids[0] = run(f, "127.0.0.1", r1, CRIT_HIGH_MED_LOW, 4);
	ids[1] = run(f, "127.0.0.1", r2, CRIT_HIGH_MED_LOW, 3);		/* 24 fixed */
	ids[2] = run(f, "127.0.0.1", r3, s3, 3);			/* 21, 23 fixed; 24 back */
	ids[3] = run(f, "127.0.0.2", y1, sy, 2);
	ids[4] = run(f, "127.0.0.2", y2, sy, 2);			/* 443 gone, 8080 new */
}

static void the_dashboard_figures_equal_the_rows_after_runs_triage_an_expiry_and_a_prune(void **state)
{
	struct testutil_store *f = *state;
	static const int r4[] = { 22, 23 };
	static const char *const s4[] = { "high", "medium" };
	int64_t ids[5], t, since, first_min, first_hour, expires, n = 0, deleted = 0;
	char sql[512];

	runs(f, ids);
	t = scan_now_ms();
	assert_true(figures_match(f, t, "after the runs") > 0);

	/* History over the days (every state moved, fixed ones back to
	 * their fixed day, one first seen before the chart, one fixed before
	 * it), and the scans with changes across the windows' edges: three
	 * days ago (outside the 24 hours), in the part minute that starts the
	 * 24 hours, in its part hour. */
	db_exec(f, "UPDATE finding_states SET first_seen = first_seen - (port % 7) * 86400000"
		   " - (port % 5) * 3600000");
	db_exec(f, "UPDATE finding_states SET updated_at = updated_at - (port % 3) * 86400000"
		   " WHERE state = 'fixed'");
	db_exec(f, "UPDATE finding_states SET first_seen = first_seen - 3456000000 WHERE port = 80");
	snprintf(sql, sizeof sql, "UPDATE finding_states SET first_seen = %lld, updated_at = %lld"
		 " WHERE port = 21", (long long)(t - 50 * DAY), (long long)(t - 35 * DAY));
	db_exec(f, sql);
	since = t - DAY;
	first_min = (since + MINUTE - 1) / MINUTE * MINUTE;
	first_hour = (since + HOUR - 1) / HOUR * HOUR;
	snprintf(sql, sizeof sql, "UPDATE scans SET finished_at = CASE id WHEN %lld THEN %lld"
		 " WHEN %lld THEN %lld WHEN %lld THEN %lld END WHERE id IN (%lld, %lld, %lld)",
		 (long long)ids[1], (long long)(t - 3 * DAY), (long long)ids[2],
		 (long long)(since + (first_min - since) / 2), (long long)ids[4],
		 (long long)(first_min + (first_hour - first_min) / 2), (long long)ids[1],
		 (long long)ids[2], (long long)ids[4]);
	db_exec(f, sql);
	assert_true(figures_match(f, t, "after moving the history") > 0);

	/* Triage: an open one accepted, one false positive then reopened, a
	 * fixed one accepted until a moment from now. */
	triage(f, "127.0.0.1", 22, "accepted", 0);
	triage(f, "127.0.0.1", 25, "false_positive", 0);
	figures_match(f, t, "after accept and false positive");
	triage(f, "127.0.0.1", 25, "reopened", 0);
	expires = scan_now_ms() + 300;
	triage(f, "127.0.0.1", 23, "accepted", expires);
	figures_match(f, t, "after reopen and a timed acceptance");

	/* The acceptance expires: maintenance reopens it. */
	while (scan_now_ms() <= expires)
		nap_ms(20);
	assert_int_equal(store_finding_states_expire(f->s, &n), STORE_OK);
	assert_int_equal(n, 1);
	figures_match(f, t, "after the acceptance expired");

	/* Another run: 24 and 25 fixed now, 23 seen again. */
	run(f, "127.0.0.1", r4, s4, 2);
	t = scan_now_ms();
	figures_match(f, t, "after a run after the triage");

	/* A prune takes the scan of three days ago, and its changes with it. */
	snprintf(sql, sizeof sql, "SELECT count(*) FROM scan_changes WHERE scan_id = %lld", (long long)ids[1]);
	assert_true(db_int(f, sql) > 0);
	assert_int_equal(store_prune(f->s, t - 2 * DAY, 1000, 0, 0, &deleted), STORE_OK);
	assert_int_equal(deleted, 1);
	figures_match(f, t, "after the prune");

	/* A hand-made delete of a finding state is counted too. */
	db_exec(f, "DELETE FROM finding_states WHERE port = 24");
	figures_match(f, t, "after a finding state was deleted");

	/* The maintenance fold, as it runs 36 days on: the days more than a
	 * week before that chart are one row a severity, the figures of then
	 * unchanged; the week-old hours of changes are gone. */
	snprintf(sql, sizeof sql, "SELECT count(*) FROM dash_trend WHERE day > 0 AND day < %lld",
		 (long long)((t + 36 * DAY) / DAY - 29 - 7));
	assert_true(db_int(f, sql) > 5);
	assert_int_equal(store_dashboard_fold(f->s, t + 36 * DAY), STORE_OK);
	assert_int_equal(db_int(f, sql), 0);
	assert_true(db_int(f, "SELECT count(*) FROM dash_trend WHERE day = 0") > 0);
	assert_int_equal(db_int(f, "SELECT count(*) FROM dash_changes"), 0);
	assert_true(figures_match(f, t + 36 * DAY, "after the fold") > 0);
}

/* Migration 25's backfill (DB_DASH_BACKFILL, the text the migration runs)
 * on a database whose rollups are empty: the rollups start from its rows.
 * The rows are made with today's store and the rollups emptied after, not
 * by a store of schema 24: today's statements need the later tables (the
 * leases of migration 26). */
static void migration_25_backfills_the_rollups_from_the_rows(void **state)
{
	struct testutil_store *f = *state;
	int64_t ids[5], t;

	runs(f, ids);
	triage(f, "127.0.0.1", 22, "accepted", 0);
	db_exec(f, "UPDATE finding_states SET first_seen = first_seen - (port % 7) * 86400000");
	db_exec(f, "UPDATE finding_states SET updated_at = updated_at - 86400000 WHERE state = 'fixed'");
	db_exec(f, "UPDATE scans SET finished_at = finished_at - 2 * 86400000 WHERE id % 2 = 0");
	db_exec(f, "DELETE FROM dash_trend; DELETE FROM dash_changes;");
	assert_int_equal(db_int(f, "SELECT count(*) FROM dash_trend"), 0);
	db_exec(f, DB_DASH_BACKFILL);
	assert_true(db_int(f, "SELECT count(*) FROM dash_trend") > 0);
	t = scan_now_ms();
	assert_true(figures_match(f, t, "after migration 25's backfill") > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(the_dashboard_figures_equal_the_rows_after_runs_triage_an_expiry_and_a_prune, setup, teardown),
		cmocka_unit_test_setup_teardown(migration_25_backfills_the_rollups_from_the_rows, setup, teardown),
	};

	return teststore_run("dashboard", tests, sizeof tests / sizeof tests[0]) != 0;
}
