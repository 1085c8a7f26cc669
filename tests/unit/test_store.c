/*
 * test_store.c — the store's guarantees, against a real SQLite file and,
 * when SCANQ_TEST_PG_URL names a server (tests/run.sh starts one), a real
 * PostgreSQL database — the same tests, run once per backend:
 * the state machine (every allowed and forbidden transition), fencing of
 * zombie workers, lease expiry and renewal, retries with backoff, atomic
 * batch claims under four competing processes, migrations that never
 * re-queue finished scans, and consistency after a SIGKILL mid-claim.
 */
#include "testutil.h"
#include <signal.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <time.h>
#include "config.h"
#include "store/store.h"

static const char *pg_url;	/* NULL: this round runs on SQLite */
static char pg_db[512];		/* this process's own database (testutil_pg_create) */

/* Runs SQL on the test database directly (not through the store). */
static void db_exec(struct testutil_store *f, const char *sql)
{
	if (pg_url) {
		testutil_pg_exec(pg_url, sql);
	} else {
		sqlite3 *db;
		char *msg = NULL;
		assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
		sqlite3_busy_timeout(db, 5000);
		if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
			fail_msg("%s: %s", sql, msg);
		sqlite3_close(db);
	}
}

/* 1 if the SQL fails (a constraint refused it), 0 if it ran. */
static int db_refuses(struct testutil_store *f, const char *sql)
{
	int refused;

	if (pg_url) {
		PGconn *c = PQconnectdb(pg_url);
		PGresult *r = PQexec(c, sql);
		refused = PQresultStatus(r) != PGRES_COMMAND_OK;
		PQclear(r);
		PQfinish(c);
	} else {
		sqlite3 *db;
		assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
		sqlite3_busy_timeout(db, 5000);
		refused = sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK;
		sqlite3_close(db);
	}
	return refused;
}

/* The first column of the first row of a query, as an integer. */
static long long db_int(struct testutil_store *f, const char *sql)
{
	long long v = -1;

	if (pg_url) {
		PGconn *c = PQconnectdb(pg_url);
		PGresult *r = PQexec(c, sql);
		if (PQresultStatus(r) != PGRES_TUPLES_OK)
			fail_msg("%s: %s", sql, PQerrorMessage(c));
		if (PQntuples(r) && !PQgetisnull(r, 0, 0))
			v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		PQclear(r);
		PQfinish(c);
	} else {
		sqlite3 *db;
		sqlite3_stmt *st;
		assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
		sqlite3_busy_timeout(db, 5000);
		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
			fail_msg("%s: %s", sql, sqlite3_errmsg(db));
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		sqlite3_close(db);
	}
	return v;
}

static int setup(void **state)
{
	*state = testutil_store_new(pg_url);
	return 0;
}

static int teardown(void **state)
{
	testutil_store_free(*state);
	return 0;
}

static void nap_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0)
		;
}

static int64_t submit_one(struct store *s, const char *key, int max_attempts, int priority)
{
	struct scan_request r = {
		.type = "test-ok", .targets = "[\"127.0.0.1\"]", .options = "{}",
		.priority = priority, .max_attempts = max_attempts, .time_limit_s = 60,
		.idempotency_key = key,
	};
	int64_t id = 0;

	assert_int_equal(store_submit(s, &r, &id, NULL), STORE_OK);
	return id;
}

static enum scan_status status_of(struct store *s, int64_t id)
{
	struct scan sc;
	enum scan_status st;

	assert_int_equal(store_get(s, id, &sc), STORE_OK);
	st = sc.status;
	scan_release(&sc);
	return st;
}

/* Claims exactly one scan and returns its attempt. */
static int claim_one(struct store *s, int64_t want_id, int lease_ms)
{
	struct scan *c = NULL;
	size_t n = 0;
	int attempt;

	assert_int_equal(store_claim(s, "w-test", 1, lease_ms, &c, &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(c[0].id, want_id);
	assert_int_equal(c[0].status, SCAN_RUNNING);
	attempt = c[0].attempt;
	scan_array_free(c, n);
	return attempt;
}

static size_t event_count(struct store *s, int64_t id)
{
	struct scan_event *ev = NULL;
	size_t n = 0;

	assert_int_equal(store_events(s, id, 1000, &ev, &n), STORE_OK);
	free(ev);
	return n;
}

static const struct scan_failure retryable_fail = { "exit_status", "the scanner exited with status 3",
						     "stderr tail", 1, 1 };
static const struct scan_failure final_fail = { "tool_missing", "nmap is not installed", NULL, 0, 1 };

/* ---- the state machine itself ------------------------------------------- */

static void the_transition_table_is_the_designed_lifecycle(void **state)
{
	/* [from][to] as DESIGN.md draws it. */
	static const int want[5][5] = {
		/*             pend run comp fail canc */
		/* pending */ { 0, 1, 0, 0, 1 },
		/* running */ { 1, 0, 1, 1, 1 },
		/* complet */ { 0, 0, 0, 0, 0 },
		/* failed  */ { 1, 0, 0, 0, 0 },
		/* cancel  */ { 1, 0, 0, 0, 0 },
	};
	for (int a = 0; a < 5; a++)
		for (int b = 0; b < 5; b++)
			assert_int_equal(scan_transition_allowed((enum scan_status)a,
								 (enum scan_status)b), want[a][b]);
	assert_int_equal(scan_transition_allowed((enum scan_status)7, SCAN_PENDING), 0);
}

static void database_urls_are_shown_without_their_password(void **state)
{
	char buf[256];

	assert_string_equal(store_url_redacted("postgres://scanq:s3cret@db:5432/q", buf, sizeof buf),
			    "postgres://scanq:***@db:5432/q");
	assert_string_equal(store_url_redacted("postgres://scanq@db/q", buf, sizeof buf),
			    "postgres://scanq@db/q");
	assert_string_equal(store_url_redacted("postgres://db/q?password=x&sslmode=require", buf,
					       sizeof buf), "postgres://db/q");
	assert_string_equal(store_url_redacted("sqlite://./scanq.db", buf, sizeof buf),
			    "sqlite://./scanq.db");
}

/* ---- every allowed transition through the store ------------------------- */

static void pending_becomes_running_on_claim_and_cancelled_on_cancel(void **state)
{
	struct testutil_store *f = *state;
	int64_t a = submit_one(f->s, NULL, 3, 0), b = submit_one(f->s, NULL, 3, 0);
	enum scan_status now;

	assert_int_equal(claim_one(f->s, a, 30000), 1);
	assert_int_equal(status_of(f->s, a), SCAN_RUNNING);
	assert_int_equal(store_cancel(f->s, b, &now), STORE_OK);
	assert_int_equal(now, SCAN_CANCELLED);
	assert_int_equal(status_of(f->s, b), SCAN_CANCELLED);
	assert_int_equal(event_count(f->s, a), 2);	/* submitted, claimed */
	assert_int_equal(event_count(f->s, b), 2);	/* submitted, cancelled */
}

static void running_becomes_completed_with_findings_in_one_write(void **state)
{
	struct testutil_store *f = *state;
	int64_t id = submit_one(f->s, NULL, 3, 0);
	int att = claim_one(f->s, id, 30000);
	struct finding fd = { .kind = "open_port", .target = "127.0.0.1", .port = 22,
			      .proto = "tcp", .severity = "info", .title = "open" };
	struct finding *got = NULL;
	struct scan sc;
	size_t n = 0;

	assert_int_equal(store_complete(f->s, id, att, "{\"open\":1}", &fd, 1), STORE_OK);
	assert_int_equal(store_get(f->s, id, &sc), STORE_OK);
	assert_int_equal(sc.status, SCAN_COMPLETED);
	assert_string_equal(sc.summary, "{\"open\":1}");
	assert_true(sc.finished_at > 0);
	assert_true(sc.progress == 1.0);
	scan_release(&sc);
	assert_int_equal(store_findings(f->s, id, 0, 100, &got, &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(got[0].port, 22);
	assert_string_equal(got[0].target, "127.0.0.1");
	finding_array_free(got, n);
}

static void running_goes_back_to_pending_with_backoff_while_attempts_remain(void **state)
{
	struct testutil_store *f = *state;
	int64_t id = submit_one(f->s, NULL, 2, 0);
	int att = claim_one(f->s, id, 30000);
	struct scan_failure slow = retryable_fail;
	enum scan_status now;
	struct scan *c = NULL;
	struct scan sc;
	size_t n = 0;

	slow.backoff_base_ms = 60000;	/* due in 30..90 s: not claimable now */
	assert_int_equal(store_fail(f->s, id, att, &slow, &now), STORE_OK);
	assert_int_equal(now, SCAN_PENDING);
	assert_int_equal(store_get(f->s, id, &sc), STORE_OK);
	assert_string_equal(sc.error_code, "exit_status");
	assert_true(sc.run_after >= scan_now_ms() + 25000);
	scan_release(&sc);
	assert_int_equal(store_claim(f->s, "w", 10, 30000, &c, &n), STORE_OK);
	assert_int_equal(n, 0);
	scan_array_free(c, n);
}

static void running_fails_when_attempts_run_out_or_the_error_is_final(void **state)
{
	struct testutil_store *f = *state;
	int64_t a = submit_one(f->s, NULL, 2, 0), b = submit_one(f->s, NULL, 3, 0);
	enum scan_status now;
	int att;

	att = claim_one(f->s, a, 30000);
	assert_int_equal(store_fail(f->s, a, att, &retryable_fail, &now), STORE_OK);
	assert_int_equal(now, SCAN_PENDING);
	nap_ms(5);	/* backoff base 1 ms: due again almost at once */
	att = claim_one(f->s, a, 30000);
	assert_int_equal(att, 2);
	assert_int_equal(store_fail(f->s, a, att, &retryable_fail, &now), STORE_OK);
	assert_int_equal(now, SCAN_FAILED);
	assert_int_equal(status_of(f->s, a), SCAN_FAILED);

	att = claim_one(f->s, b, 30000);
	assert_int_equal(store_fail(f->s, b, att, &final_fail, &now), STORE_OK);
	assert_int_equal(now, SCAN_FAILED);
}

static void running_is_cancelled_when_its_worker_confirms(void **state)
{
	struct testutil_store *f = *state;
	int64_t id = submit_one(f->s, NULL, 3, 0);
	int att = claim_one(f->s, id, 30000), cancel = 0;
	enum scan_status now;
	struct scan sc;

	assert_int_equal(store_cancel(f->s, id, &now), STORE_OK);
	assert_int_equal(now, SCAN_RUNNING);	/* only requested */
	assert_int_equal(store_heartbeat(f->s, id, att, 30000, 0.5, &cancel), STORE_OK);
	assert_int_equal(cancel, 1);
	assert_int_equal(store_cancelled(f->s, id, att), STORE_OK);
	assert_int_equal(store_get(f->s, id, &sc), STORE_OK);
	assert_int_equal(sc.status, SCAN_CANCELLED);
	assert_string_equal(sc.error_code, "cancelled");
	scan_release(&sc);
}

static void a_failure_after_a_cancel_request_ends_cancelled(void **state)
{
	struct testutil_store *f = *state;
	int64_t id = submit_one(f->s, NULL, 3, 0);
	int att = claim_one(f->s, id, 30000);
	enum scan_status now;

	assert_int_equal(store_cancel(f->s, id, &now), STORE_OK);
	assert_int_equal(store_fail(f->s, id, att, &retryable_fail, &now), STORE_OK);
	assert_int_equal(now, SCAN_CANCELLED);
}

static void a_graceful_hand_back_does_not_spend_an_attempt(void **state)
{
	struct testutil_store *f = *state;
	int64_t id = submit_one(f->s, NULL, 1, 0);
	int att = claim_one(f->s, id, 30000);
	enum scan_status now;

	assert_int_equal(store_release(f->s, id, att, "worker shutting down"), STORE_OK);
	assert_int_equal(status_of(f->s, id), SCAN_PENDING);
	/* max_attempts is 1 and the handed-back attempt did not count, so the
	 * next one is the scan's only counted attempt: its failure is final. */
	att = claim_one(f->s, id, 30000);
	assert_int_equal(att, 2);	/* the fencing token still moved on */
	assert_int_equal(store_fail(f->s, id, att, &retryable_fail, &now), STORE_OK);
	assert_int_equal(now, SCAN_FAILED);
}

static void failed_and_cancelled_scans_can_be_retried_with_a_fresh_budget(void **state)
{
	struct testutil_store *f = *state;
	int64_t a = submit_one(f->s, NULL, 1, 0), b = submit_one(f->s, NULL, 1, 0);
	enum scan_status now;
	struct scan sc;
	int att;

	att = claim_one(f->s, a, 30000);
	assert_int_equal(store_fail(f->s, a, att, &retryable_fail, &now), STORE_OK);
	assert_int_equal(now, SCAN_FAILED);
	assert_int_equal(store_retry(f->s, a), STORE_OK);
	assert_int_equal(store_get(f->s, a, &sc), STORE_OK);
	assert_int_equal(sc.status, SCAN_PENDING);
	assert_int_equal(sc.error_code[0], '\0');
	scan_release(&sc);
	att = claim_one(f->s, a, 30000);
	assert_int_equal(att, 2);
	assert_int_equal(store_complete(f->s, a, att, NULL, NULL, 0), STORE_OK);

	assert_int_equal(store_cancel(f->s, b, &now), STORE_OK);
	assert_int_equal(store_retry(f->s, b), STORE_OK);
	assert_int_equal(status_of(f->s, b), SCAN_PENDING);
}

/* ---- every forbidden transition ------------------------------------------ */

static void forbidden_transitions_are_refused_and_change_nothing(void **state)
{
	struct testutil_store *f = *state;
	int64_t pend = submit_one(f->s, NULL, 1, 0);
	int64_t run = submit_one(f->s, NULL, 1, 0);
	int64_t done = submit_one(f->s, NULL, 1, 0);
	int64_t failed = submit_one(f->s, NULL, 1, 0);
	int64_t canc = submit_one(f->s, NULL, 1, 0);
	enum scan_status now;
	size_t before;

	/* One scan in each status: claim all five, then finish four ways. */
	{
		struct scan *c = NULL;
		size_t n = 0;
		assert_int_equal(store_claim(f->s, "w", 5, 30000, &c, &n), STORE_OK);
		assert_int_equal(n, 5);
		scan_array_free(c, n);
	}
	assert_int_equal(store_complete(f->s, done, 1, NULL, NULL, 0), STORE_OK);
	assert_int_equal(store_fail(f->s, failed, 1, &final_fail, &now), STORE_OK);
	assert_int_equal(store_cancel(f->s, canc, &now), STORE_OK);
	assert_int_equal(store_cancelled(f->s, canc, 1), STORE_OK);
	assert_int_equal(store_release(f->s, pend, 1, "test"), STORE_OK);
	assert_int_equal(status_of(f->s, pend), SCAN_PENDING);
	assert_int_equal(status_of(f->s, run), SCAN_RUNNING);

	/* pending: no retry, no worker writes (nothing is running) */
	before = event_count(f->s, pend);
	assert_int_equal(store_retry(f->s, pend), STORE_ILLEGAL);
	assert_int_equal(store_complete(f->s, pend, 2, NULL, NULL, 0), STORE_LOST);
	assert_int_equal(store_fail(f->s, pend, 2, &final_fail, &now), STORE_LOST);
	assert_int_equal(store_cancelled(f->s, pend, 2), STORE_LOST);
	assert_int_equal(store_heartbeat(f->s, pend, 2, 30000, -1, NULL), STORE_LOST);
	assert_int_equal(status_of(f->s, pend), SCAN_PENDING);
	assert_int_equal(event_count(f->s, pend), before);

	/* running: no retry */
	assert_int_equal(store_retry(f->s, run), STORE_ILLEGAL);
	assert_int_equal(status_of(f->s, run), SCAN_RUNNING);

	/* completed is final: no retry, no cancel, no second result */
	before = event_count(f->s, done);
	assert_int_equal(store_retry(f->s, done), STORE_ILLEGAL);
	assert_int_equal(store_cancel(f->s, done, &now), STORE_ILLEGAL);
	assert_int_equal(store_complete(f->s, done, 1, NULL, NULL, 0), STORE_LOST);
	assert_int_equal(store_fail(f->s, done, 1, &final_fail, &now), STORE_LOST);
	assert_int_equal(store_release(f->s, done, 1, "x"), STORE_LOST);
	assert_int_equal(status_of(f->s, done), SCAN_COMPLETED);
	assert_int_equal(event_count(f->s, done), before);

	/* failed and cancelled: no cancel, no worker writes */
	assert_int_equal(store_cancel(f->s, failed, &now), STORE_ILLEGAL);
	assert_int_equal(store_complete(f->s, failed, 1, NULL, NULL, 0), STORE_LOST);
	assert_int_equal(status_of(f->s, failed), SCAN_FAILED);
	assert_int_equal(store_cancel(f->s, canc, &now), STORE_ILLEGAL);
	assert_int_equal(store_complete(f->s, canc, 1, NULL, NULL, 0), STORE_LOST);
	assert_int_equal(status_of(f->s, canc), SCAN_CANCELLED);

	/* unknown scans */
	assert_int_equal(store_retry(f->s, 999999), STORE_NOT_FOUND);
	assert_int_equal(store_cancel(f->s, 999999, &now), STORE_NOT_FOUND);
}

/* ---- fencing ----------------------------------------------------------------- */

static void a_zombie_workers_late_completion_is_rejected_and_counted(void **state)
{
	struct testutil_store *f = *state;
	int64_t id = submit_one(f->s, NULL, 3, 0);
	struct store_counters c;
	int old, fresh, rec = 0;
	struct scan sc;

	old = claim_one(f->s, id, 1);	/* a 1 ms lease: the zombie's */
	nap_ms(20);
	assert_int_equal(store_recover_leases(f->s, &rec, NULL), STORE_OK);
	assert_int_equal(rec, 1);
	fresh = claim_one(f->s, id, 30000);
	assert_int_equal(fresh, old + 1);

	assert_int_equal(store_heartbeat(f->s, id, old, 30000, 0.9, NULL), STORE_LOST);
	assert_int_equal(store_complete(f->s, id, old, "{\"who\":\"zombie\"}", NULL, 0), STORE_LOST);
	assert_int_equal(store_complete(f->s, id, fresh, "{\"who\":\"fresh\"}", NULL, 0), STORE_OK);
	assert_int_equal(store_complete(f->s, id, old, "{\"who\":\"zombie\"}", NULL, 0), STORE_LOST);
	assert_int_equal(store_fail(f->s, id, old, &final_fail, NULL), STORE_LOST);
	assert_int_equal(store_cancelled(f->s, id, old), STORE_LOST);
	assert_int_equal(store_release(f->s, id, old, "zombie"), STORE_LOST);

	assert_int_equal(store_get(f->s, id, &sc), STORE_OK);
	assert_int_equal(sc.status, SCAN_COMPLETED);
	assert_int_equal(sc.attempt, fresh);
	assert_string_equal(sc.summary, "{\"who\":\"fresh\"}");
	scan_release(&sc);
	assert_int_equal(store_counters(f->s, &c), STORE_OK);
	assert_int_equal(c.fenced_writes, 6);
	assert_int_equal(c.lease_recoveries, 1);
}

static void a_grouped_completion_fences_each_scan_on_its_own(void **state)
{
	struct testutil_store *f = *state;
	int64_t a = submit_one(f->s, NULL, 3, 0), b = submit_one(f->s, NULL, 3, 0);
	struct store_completion c[2];
	struct scan *cl = NULL;
	size_t n = 0;

	assert_int_equal(store_claim(f->s, "w", 2, 30000, &cl, &n), STORE_OK);
	assert_int_equal(n, 2);
	scan_array_free(cl, n);
	memset(c, 0, sizeof c);
	c[0].id = a; c[0].attempt = 1;
	c[1].id = b; c[1].attempt = 7;	/* not b's attempt */
	assert_int_equal(store_complete_many(f->s, c, 2), STORE_OK);
	assert_int_equal(c[0].rc, STORE_OK);
	assert_int_equal(c[1].rc, STORE_LOST);
	assert_int_equal(status_of(f->s, a), SCAN_COMPLETED);
	assert_int_equal(status_of(f->s, b), SCAN_RUNNING);
}

static void completions_are_counted_in_the_duration_bucket_of_their_run_time(void **state)
{
	struct testutil_store *f = *state;
	static const double bounds[] = STORE_DURATION_BOUNDS_S;
	enum { NB = sizeof bounds / sizeof bounds[0] };
	int64_t want[STORE_DURATION_BUCKETS] = { 0 }, sum = 0;
	struct store_counters c;
	char sql[256];

	/* Aimed at a quarter second either side of each bound.  The completion
	 * lands a moment after the pretended claim time (more on a loaded
	 * machine), so the bucket each scan belongs in is worked out from the
	 * run time the database recorded: the rule is what is tested. */
	for (int i = 0; i < NB; i++) {
		for (int past = 0; past < 2; past++) {
			int64_t ms = (int64_t)(bounds[i] * 1000) + (past ? 250 : -250), ran;
			int64_t id = submit_one(f->s, NULL, 3, 0);
			int att = claim_one(f->s, id, 60000), b = 0;

			/* Pretend it was claimed `ms` ago, then finish it now. */
			snprintf(sql, sizeof sql, "UPDATE scans SET claimed_at = %lld WHERE id = %lld",
				 (long long)(scan_now_ms() - ms), (long long)id);
			db_exec(f, sql);
			assert_int_equal(store_complete(f->s, id, att, NULL, NULL, 0), STORE_OK);
			snprintf(sql, sizeof sql, "SELECT finished_at - claimed_at FROM scans WHERE id = %lld",
				 (long long)id);
			ran = db_int(f, sql);
			assert_true(ran >= ms);
			while (b < NB && ran > (int64_t)(bounds[b] * 1000))
				b++;
			want[b]++;
			sum += ran;
		}
	}
	assert_int_equal(store_counters(f->s, &c), STORE_OK);
	assert_int_equal(c.duration_count, 2 * NB);
	for (int b = 0; b < STORE_DURATION_BUCKETS; b++)
		assert_int_equal(c.duration_buckets[b], want[b]);
	assert_int_equal(c.duration_sum_ms, sum);
	assert_true(want[NB] >= 1);	/* past the last bound: the overflow bucket */
}

/* ---- leases --------------------------------------------------------------------- */

static void an_expired_lease_sends_the_scan_back_to_pending(void **state)
{
	struct testutil_store *f = *state;
	int64_t id = submit_one(f->s, NULL, 3, 0);
	struct scan_event *ev = NULL;
	struct scan sc;
	size_t n = 0;
	int rec = 0;

	struct queue_status q;

	/* A 1 s lease: long enough that a loaded machine does not let it
	 * expire between the claim and the next two calls. */
	claim_one(f->s, id, 1000);
	assert_int_equal(store_recover_leases(f->s, &rec, NULL), STORE_OK);
	assert_int_equal(rec, 0);	/* not expired yet */
	assert_int_equal(store_queue_status(f->s, &q), STORE_OK);
	assert_int_equal(q.overdue_lease_ms, 0);
	nap_ms(1100);
	/* Expired and not yet recovered: the gauge of ScannerWorkerStuck. */
	assert_int_equal(store_queue_status(f->s, &q), STORE_OK);
	assert_true(q.overdue_lease_ms >= 50 && q.overdue_lease_ms < 60000);
	assert_int_equal(store_recover_leases(f->s, &rec, NULL), STORE_OK);
	assert_int_equal(rec, 1);
	assert_int_equal(store_queue_status(f->s, &q), STORE_OK);
	assert_int_equal(q.overdue_lease_ms, 0);
	assert_int_equal(store_get(f->s, id, &sc), STORE_OK);
	assert_int_equal(sc.status, SCAN_PENDING);
	assert_string_equal(sc.error_code, "worker_lost");
	scan_release(&sc);
	assert_int_equal(store_events(f->s, id, 100, &ev, &n), STORE_OK);
	assert_int_equal(n, 3);
	assert_int_equal(ev[2].from, SCAN_RUNNING);
	assert_int_equal(ev[2].to, SCAN_PENDING);
	assert_non_null(strstr(ev[2].reason, "lease expired"));
	free(ev);
}

static void an_expired_lease_with_no_attempts_left_fails_with_worker_lost(void **state)
{
	struct testutil_store *f = *state;
	int64_t id = submit_one(f->s, NULL, 1, 0);
	struct scan sc;
	int rec = 0, failed = 0;

	claim_one(f->s, id, 1);
	nap_ms(20);
	assert_int_equal(store_recover_leases(f->s, &rec, &failed), STORE_OK);
	assert_int_equal(failed, 1);
	assert_int_equal(store_get(f->s, id, &sc), STORE_OK);
	assert_int_equal(sc.status, SCAN_FAILED);
	assert_string_equal(sc.error_code, "worker_lost");
	scan_release(&sc);
}

static void an_expired_lease_of_a_cancelled_scan_ends_cancelled(void **state)
{
	struct testutil_store *f = *state;
	int64_t id = submit_one(f->s, NULL, 3, 0);
	enum scan_status now;

	claim_one(f->s, id, 1);
	assert_int_equal(store_cancel(f->s, id, &now), STORE_OK);
	nap_ms(20);
	assert_int_equal(store_recover_leases(f->s, NULL, NULL), STORE_OK);
	assert_int_equal(status_of(f->s, id), SCAN_CANCELLED);
}

static void a_renewed_lease_is_never_recovered_however_long_it_runs(void **state)
{
	struct testutil_store *f = *state;
	int64_t id = submit_one(f->s, NULL, 3, 0);
	int att = claim_one(f->s, id, 1000);

	/* Runs for four leases; renews every 100 ms; recovery runs all along.
	 * (A 1 s lease: under the sanitizers on a loaded machine, 300 ms
	 * passed once between a renewal and the recovery right after it.) */
	for (int i = 0; i < 40; i++) {
		int rec = -1, failed = -1;
		assert_int_equal(store_heartbeat(f->s, id, att, 1000, i / 40.0, NULL), STORE_OK);
		assert_int_equal(store_recover_leases(f->s, &rec, &failed), STORE_OK);
		assert_int_equal(rec + failed, 0);
		nap_ms(100);
	}
	assert_int_equal(status_of(f->s, id), SCAN_RUNNING);
	assert_int_equal(store_complete(f->s, id, att, NULL, NULL, 0), STORE_OK);
}

/* ---- claiming -------------------------------------------------------------------- */

static void claims_take_priority_first_then_age(void **state)
{
	struct testutil_store *f = *state;
	int64_t low = submit_one(f->s, NULL, 3, 0), high = submit_one(f->s, NULL, 3, 10);
	int64_t low2 = submit_one(f->s, NULL, 3, 0);
	struct scan *c = NULL;
	size_t n = 0;
	int64_t order[3];

	for (int i = 0; i < 3; i++) {
		assert_int_equal(store_claim(f->s, "w", 1, 30000, &c, &n), STORE_OK);
		assert_int_equal(n, 1);
		order[i] = c[0].id;
		scan_array_free(c, n);
	}
	assert_int_equal(order[0], high);
	assert_int_equal(order[1], low);
	assert_int_equal(order[2], low2);
}

static void an_idempotency_key_returns_the_first_scan(void **state)
{
	struct testutil_store *f = *state;
	struct scan_request r = { .type = "test-ok", .targets = "[\"127.0.0.1\"]",
				  .max_attempts = 3, .time_limit_s = 60, .idempotency_key = "ci-42" };
	int64_t a, b;
	int existed = -1;
	struct queue_status q;

	assert_int_equal(store_submit(f->s, &r, &a, &existed), STORE_OK);
	assert_int_equal(existed, 0);
	assert_int_equal(store_submit(f->s, &r, &b, &existed), STORE_OK);
	assert_int_equal(existed, 1);
	assert_int_equal(a, b);
	assert_int_equal(store_queue_status(f->s, &q), STORE_OK);
	assert_int_equal(q.by_status[SCAN_PENDING], 1);
}

static void queue_status_counts_follow_every_transition(void **state)
{
	struct testutil_store *f = *state;
	struct queue_status q;
	enum scan_status now;
	int64_t ids[6];
	struct scan *c = NULL;
	size_t n;

	for (int i = 0; i < 6; i++)
		ids[i] = submit_one(f->s, NULL, 1, 0);
	assert_int_equal(store_claim(f->s, "w", 3, 30000, &c, &n), STORE_OK);
	scan_array_free(c, n);
	assert_int_equal(store_complete(f->s, ids[0], 1, NULL, NULL, 0), STORE_OK);
	assert_int_equal(store_fail(f->s, ids[1], 1, &final_fail, &now), STORE_OK);
	assert_int_equal(store_cancel(f->s, ids[5], &now), STORE_OK);
	assert_int_equal(store_queue_status(f->s, &q), STORE_OK);
	assert_int_equal(q.by_status[SCAN_PENDING], 2);
	assert_int_equal(q.by_status[SCAN_RUNNING], 1);
	assert_int_equal(q.by_status[SCAN_COMPLETED], 1);
	assert_int_equal(q.by_status[SCAN_FAILED], 1);
	assert_int_equal(q.by_status[SCAN_CANCELLED], 1);
	assert_int_equal(q.ntypes, 1);
	assert_string_equal(q.types[0].type, "test-ok");
	assert_int_equal(q.finished_last_minute, 3);
}

/* Four separate processes claim from 10,000 pending scans at once; every
 * scan must be claimed exactly once. */
static void four_processes_claim_10000_scans_exactly_once(void **state)
{
	struct testutil_store *f = *state;
	enum { N = 10000, P = 4 };
	struct scan_request *reqs = calloc(N, sizeof *reqs);
	int64_t *ids = calloc(N, sizeof *ids);
	unsigned char *seen = calloc(N + 1, 1);
	int fds[P][2];
	pid_t pids[P];
	long total = 0;

	for (int i = 0; i < N; i++)
		reqs[i] = (struct scan_request){ .type = "test-ok", .targets = "[\"127.0.0.1\"]",
						 .max_attempts = 3, .time_limit_s = 60 };
	assert_int_equal(store_submit_many(f->s, reqs, N, ids, NULL), STORE_OK);
	for (int p = 0; p < P; p++) {
		assert_int_equal(pipe(fds[p]), 0);
		pids[p] = fork();
		assert_true(pids[p] >= 0);
		if (pids[p] == 0) {
			char err[256], name[16];
			struct store *s = store_open(f->url, err, sizeof err);
			int empty = 0;

			close(fds[p][0]);
			snprintf(name, sizeof name, "w-%d", p);
			if (!s)
				_exit(3);
			while (empty < 3) {
				struct scan *c = NULL;
				size_t n = 0;
				int rc = store_claim(s, name, 37, 30000, &c, &n);

				if (rc == STORE_BUSY)
					continue;
				if (rc != STORE_OK)
					_exit(4);
				empty = n ? 0 : empty + 1;
				for (size_t i = 0; i < n; i++)
					if (write(fds[p][1], &c[i].id, sizeof c[i].id) != sizeof c[i].id)
						_exit(5);
				scan_array_free(c, n);
			}
			store_close(s);
			_exit(0);
		}
		close(fds[p][1]);
	}
	for (int p = 0; p < P; p++) {
		int64_t id;
		int status;

		while (read(fds[p][0], &id, sizeof id) == sizeof id) {
			assert_true(id >= ids[0] && id <= ids[N - 1]);
			assert_int_equal(seen[id - ids[0]], 0);	/* never twice */
			seen[id - ids[0]] = 1;
			total++;
		}
		close(fds[p][0]);
		assert_int_equal(waitpid(pids[p], &status, 0), pids[p]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(total, N);	/* every one */
	{
		struct queue_status q;
		struct store_counters c;
		assert_int_equal(store_queue_status(f->s, &q), STORE_OK);
		assert_int_equal(q.by_status[SCAN_RUNNING], N);
		assert_int_equal(store_counters(f->s, &c), STORE_OK);
		assert_int_equal(c.claims, N);
	}
	free(reqs);
	free(ids);
	free(seen);
}

/* ---- migrations ------------------------------------------------------------------ */

static void migrating_an_old_database_never_requeues_finished_scans(void **state)
{
	struct testutil_store *f = *state;
	char err[256];
	struct store *s;
	int applied = -1;

	/* Start again from an empty database, brought to version 1 only. */
	store_close(f->s);
	f->s = NULL;
	testutil_rmdir(f->dir);
	testutil_store_fresh(f, pg_url);
	s = store_open_flags(f->url, STORE_NO_MIGRATE, err, sizeof err);
	assert_non_null(s);
	assert_int_equal(store_schema_version(s), 0);
	assert_int_equal(store_migrate(s, 1, &applied), STORE_OK);
	assert_int_equal(applied, 1);
	assert_int_equal(store_schema_version(s), 1);
	store_close(s);

	/* An old installation's rows, written as version 1 knew them. */
	db_exec(f, "INSERT INTO scans (type, targets, status, attempt, run_after, created_at,"
		   " finished_at) VALUES"
		   " ('portscan', '[\"127.0.0.1\"]', 'completed', 1, 1, 1, 2),"
		   " ('portscan', '[\"127.0.0.1\"]', 'failed', 3, 1, 1, 2),"
		   " ('discovery', '[\"127.0.0.1\"]', 'cancelled', 0, 1, 1, 2),"
		   " ('discovery', '[\"127.0.0.1\"]', 'pending', 0, 1, 1, NULL)");

	f->s = store_open(f->url, err, sizeof err);	/* opening migrates */
	assert_non_null(f->s);
	assert_int_equal(store_schema_version(f->s), store_schema_latest(f->s));
	assert_int_equal(store_migrate(f->s, -1, &applied), STORE_OK);
	assert_int_equal(applied, 0);		/* twice changes nothing */

	assert_int_equal(db_int(f, "SELECT count(*) FROM scans WHERE status = 'pending'"), 1);
	assert_int_equal(db_int(f, "SELECT count(*) FROM scans WHERE status = 'completed'"
			       " AND finished_at = 2"), 1);
	assert_int_equal(db_int(f, "SELECT count(*) FROM scans WHERE status = 'failed'"), 1);
	assert_int_equal(db_int(f, "SELECT count(*) FROM scans WHERE status = 'cancelled'"), 1);
	assert_int_equal(db_int(f, "SELECT count(*) FROM schema_migrations"),
			 db_int(f, "SELECT max(version) FROM schema_migrations"));
	assert_int_equal(db_int(f, "SELECT min(time_limit_s) FROM scans"), 1800);
}

static void a_status_column_without_a_default_cannot_invent_pending_rows(void **state)
{
	struct testutil_store *f = *state;
	int64_t id = submit_one(f->s, NULL, 3, 0);

	assert_true(db_refuses(f, "INSERT INTO scans (type, targets, run_after, created_at)"
			       " VALUES ('x', '[]', 1, 1)"));
	assert_true(db_refuses(f, "UPDATE scans SET status = 'in_progress'"));
	assert_int_equal(status_of(f->s, id), SCAN_PENDING);
}

/* ---- maintenance ------------------------------------------------------------------- */

static void the_stuck_report_names_overdue_pending_and_expired_running_scans(void **state)
{
	struct testutil_store *f = *state;
	int64_t waiting = submit_one(f->s, NULL, 3, 0), running = submit_one(f->s, NULL, 3, 0);
	int64_t fresh, total = -1;
	struct stuck_scan *st = NULL;
	size_t n = 0;

	assert_int_equal(claim_one(f->s, waiting, 1), 1);	/* expires at once */
	assert_int_equal(store_release(f->s, waiting, 1, "test"), STORE_OK);
	assert_int_equal(claim_one(f->s, waiting, 60000), 2);	/* a healthy lease */
	assert_int_equal(claim_one(f->s, running, 1), 1);	/* expires at once */
	fresh = submit_one(f->s, NULL, 3, 0);
	nap_ms(30);
	/* threshold 10 ms: `fresh` is overdue too; waiting has a live lease */
	assert_int_equal(store_stuck(f->s, 10, 100, &st, &n, &total), STORE_OK);
	assert_int_equal(total, 2);
	assert_int_equal(n, 2);
	assert_int_equal(st[0].id, running);
	assert_int_equal(st[0].reason, STUCK_LEASE_EXPIRED);
	assert_int_equal(st[1].id, fresh);
	assert_int_equal(st[1].reason, STUCK_PENDING_TOO_LONG);
	free(st);
	/* a threshold of an hour: only the expired lease */
	assert_int_equal(store_stuck(f->s, 3600000, 100, &st, &n, &total), STORE_OK);
	assert_int_equal(total, 1);
	free(st);
	assert_int_equal(store_recover_leases(f->s, NULL, NULL), STORE_OK);
	assert_int_equal(store_stuck(f->s, 3600000, 100, &st, &n, &total), STORE_OK);
	assert_int_equal(total, 0);
	free(st);
}

static void pruning_deletes_only_old_finished_scans_with_their_events_and_findings(void **state)
{
	struct testutil_store *f = *state;
	int64_t done[5], keep_pending, keep_running;
	struct finding fd = { .kind = "open_port", .target = "127.0.0.1", .port = 80 };
	struct queue_status q;
	int64_t deleted = -1, cutoff;

	for (int i = 0; i < 5; i++)
		done[i] = submit_one(f->s, NULL, 3, 0);
	keep_running = submit_one(f->s, NULL, 3, 0);
	keep_pending = submit_one(f->s, NULL, 3, 0);
	{
		struct scan *c = NULL;
		size_t n = 0;
		assert_int_equal(store_claim(f->s, "w", 6, 60000, &c, &n), STORE_OK);
		assert_int_equal(n, 6);
		scan_array_free(c, n);
	}
	for (int i = 0; i < 5; i++)
		assert_int_equal(store_complete(f->s, done[i], 1, NULL, &fd, 1), STORE_OK);
	nap_ms(5);
	cutoff = scan_now_ms();

	assert_int_equal(store_prune(f->s, cutoff, 2, 0, 1, &deleted), STORE_OK);
	assert_int_equal(deleted, 5);	/* dry run: counted, not deleted */
	assert_int_equal(status_of(f->s, done[0]), SCAN_COMPLETED);
	assert_int_equal(store_prune(f->s, cutoff - 3600000, 2, 0, 0, &deleted), STORE_OK);
	assert_int_equal(deleted, 0);	/* nothing that old */
	assert_int_equal(store_prune(f->s, cutoff, 2, 0, 0, &deleted), STORE_OK);
	assert_int_equal(deleted, 5);	/* in batches of two */
	{
		struct scan sc;
		assert_int_equal(store_get(f->s, done[0], &sc), STORE_NOT_FOUND);
	}
	assert_int_equal(status_of(f->s, keep_running), SCAN_RUNNING);
	assert_int_equal(status_of(f->s, keep_pending), SCAN_PENDING);
	assert_int_equal(store_queue_status(f->s, &q), STORE_OK);
	assert_int_equal(q.by_status[SCAN_COMPLETED], 0);
	assert_int_equal(q.by_status[SCAN_RUNNING], 1);
	assert_int_equal(db_int(f, "SELECT count(*) FROM findings"), 0);
	assert_int_equal(db_int(f, "SELECT count(*) FROM scan_events WHERE scan_id NOT IN"
			       " (SELECT id FROM scans)"), 0);
}

static void a_stopped_worker_is_neither_alive_nor_dead(void **state)
{
	struct testutil_store *f = *state;
	struct worker_info w = { .id = "w-1@h:42", .name = "w-1", .host = "h", .pid = 42,
				 .concurrency = 4 };
	struct worker_info *list = NULL;
	struct queue_status q;
	struct scan *c = NULL;
	size_t n = 0;
	int64_t id = submit_one(f->s, NULL, 3, 0);

	assert_int_equal(store_worker_register(f->s, &w), STORE_OK);
	/* Running counts come from the scans the worker holds. */
	assert_int_equal(store_claim(f->s, w.id, 1, 30000, &c, &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_worker_heartbeat(f->s, w.id, 7), STORE_OK);
	assert_int_equal(store_queue_status(f->s, &q), STORE_OK);
	assert_int_equal(q.workers_active, 1);
	assert_int_equal(store_worker_list(f->s, &list, &n), STORE_OK);
	assert_string_equal(list[0].id, w.id);
	assert_int_equal(list[0].running, 1);
	assert_int_equal(list[0].nrunning_ids, 1);
	assert_true(list[0].running_ids[0] == id);
	assert_string_equal(worker_state(&list[0], scan_now_ms()), "active");
	assert_string_equal(worker_state(&list[0], scan_now_ms() + STORE_WORKER_DEAD_MS + 1), "dead");
	free(list);
	assert_int_equal(store_complete(f->s, id, c[0].attempt, NULL, NULL, 0), STORE_OK);
	scan_array_free(c, 1);
	assert_int_equal(store_worker_heartbeat(f->s, w.id, 9), STORE_OK);
	assert_int_equal(store_queue_status(f->s, &q), STORE_OK);
	assert_int_equal(q.workers_idle, 1);
	assert_int_equal(store_worker_exited(f->s, w.id, "exit 0"), STORE_OK);
	assert_int_equal(store_queue_status(f->s, &q), STORE_OK);
	assert_int_equal(q.workers_active + q.workers_idle + q.workers_dead, 0);
	assert_int_equal(store_worker_list(f->s, &list, &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_true(list[0].stopped_at > 0);
	assert_string_equal(worker_state(&list[0], scan_now_ms()), "stopped");
	assert_string_equal(list[0].last_exit, "exit 0");
	assert_int_equal(list[0].scans_done, 9);
	free(list);
	assert_int_equal(store_worker_heartbeat(f->s, "w-9@h:1", 0), STORE_NOT_FOUND);
	assert_int_equal(store_worker_register(f->s, &w), STORE_OK);	/* restarted */
	assert_int_equal(store_queue_status(f->s, &q), STORE_OK);
	assert_int_equal(q.workers_idle, 1);
}

static void exits_and_heartbeats_touch_one_worker_identity_only(void **state)
{
	struct testutil_store *f = *state;
	/* Two serve processes, each with a worker named w-1. */
	struct worker_info a = { .name = "w-1", .host = "h", .pid = 100, .concurrency = 1 };
	struct worker_info b = { .name = "w-1", .host = "h", .pid = 200, .concurrency = 1 };
	struct worker_info *list = NULL;
	struct queue_status q;
	size_t n = 0;
	int64_t deleted = -1;

	/* A later life of a (a container restarted: the same pid again). */
	struct worker_info c = a;
	char longest[SCAN_WORKER_MAX], big[128];

	worker_identity(a.id, sizeof a.id, a.name, a.host, a.pid, 0x1234abcd);
	worker_identity(b.id, sizeof b.id, b.name, b.host, b.pid, 0x1234abcd);
	worker_identity(c.id, sizeof c.id, c.name, c.host, c.pid, 0x0000beef);
	assert_string_equal(a.id, "w-1@h:100-1234abcd");
	assert_string_not_equal(a.id, b.id);
	assert_string_not_equal(a.id, c.id);
	/* The longest name and host still leave the pid and instance whole. */
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	worker_identity(longest, sizeof longest, big, big, 4194304, 0xffffffff);
	assert_true(strlen(longest) < SCAN_WORKER_MAX);
	assert_non_null(strstr(longest, ":4194304-ffffffff"));
	assert_int_equal(store_worker_register(f->s, &a), STORE_OK);
	assert_int_equal(store_worker_register(f->s, &b), STORE_OK);
	assert_int_equal(store_worker_exited(f->s, a.id, "signal 9"), STORE_OK);
	assert_int_equal(store_queue_status(f->s, &q), STORE_OK);
	assert_int_equal(q.workers_idle, 1);		/* b is untouched */
	/* c registers a row of its own; its old life a stays stopped. */
	assert_int_equal(store_worker_register(f->s, &c), STORE_OK);
	assert_int_equal(store_queue_status(f->s, &q), STORE_OK);
	assert_int_equal(q.workers_idle, 2);
	assert_int_equal(store_worker_exited(f->s, c.id, "exit 0"), STORE_OK);
	assert_int_equal(store_worker_list(f->s, &list, &n), STORE_OK);
	assert_int_equal(n, 3);
	free(list);
	/* A heartbeat of a worker marked stopped (a stale exit) makes it live again. */
	assert_int_equal(store_worker_heartbeat(f->s, a.id, 0), STORE_OK);
	assert_int_equal(store_queue_status(f->s, &q), STORE_OK);
	assert_int_equal(q.workers_idle, 2);
	/* Pruning keeps what is recent and drops what stopped long ago. */
	assert_int_equal(store_worker_exited(f->s, b.id, "exit 0"), STORE_OK);
	assert_int_equal(store_worker_prune(f->s, 3600000, &deleted), STORE_OK);
	assert_int_equal(deleted, 0);
	nap_ms(20);
	assert_int_equal(store_worker_prune(f->s, 5, &deleted), STORE_OK);
	assert_int_equal(deleted, 3);
}

static void a_completion_and_the_next_claim_commit_together(void **state)
{
	struct testutil_store *f = *state;
	int64_t a = submit_one(f->s, NULL, 3, 0), b = submit_one(f->s, NULL, 3, 0);
	int64_t c3 = submit_one(f->s, NULL, 3, 0);
	struct store_completion done[2];
	struct scan *claimed = NULL, *next = NULL;
	size_t n = 0, nn = 0;

	assert_int_equal(store_claim(f->s, "w-1@h:1", 2, 60000, &claimed, &n), STORE_OK);
	assert_int_equal(n, 2);
	done[0] = (struct store_completion){ .id = claimed[0].id, .attempt = claimed[0].attempt };
	/* the second is a zombie's: a wrong attempt, fenced */
	done[1] = (struct store_completion){ .id = claimed[1].id, .attempt = claimed[1].attempt + 5 };
	assert_int_equal(store_complete_and_claim(f->s, done, 2, "w-1@h:1", 5, 60000, &next, &nn),
			 STORE_OK);
	assert_int_equal(done[0].rc, STORE_OK);
	assert_int_equal(done[1].rc, STORE_LOST);
	assert_int_equal(nn, 1);		/* the only pending one */
	assert_true(next[0].id == c3);
	assert_int_equal(status_of(f->s, a), SCAN_COMPLETED);
	assert_int_equal(status_of(f->s, b), SCAN_RUNNING);
	assert_int_equal(status_of(f->s, c3), SCAN_RUNNING);
	assert_int_equal(db_int(f, "SELECT count(*) FROM scan_events WHERE to_status = 'running'"
			       " AND from_status = 'pending'"), 3);
	assert_int_equal(db_int(f, "SELECT count(*) FROM scan_events WHERE to_status = 'completed'"), 1);
	scan_array_free(claimed, n);
	scan_array_free(next, nn);
}

static void a_dead_workers_scans_are_handed_back_without_spending_attempts_up_to_a_limit(
	void **state)
{
	struct testutil_store *f = *state;
	int64_t id = submit_one(f->s, NULL, 1, 0), other = submit_one(f->s, NULL, 1, 0);
	struct scan *c = NULL;
	size_t n = 0;
	int back = -1;
	struct scan sc;

	/* Each round a worker claims the scan and dies; it is handed back at
	 * once, and with max_attempts 1 it still runs again. */
	for (int round = 1; round <= STORE_HANDBACK_FORGIVEN; round++) {
		char wid[SCAN_WORKER_MAX];

		snprintf(wid, sizeof wid, "w-1@h:%d", round);
		assert_int_equal(store_claim(f->s, wid, 1, 60000, &c, &n), STORE_OK);
		assert_int_equal(n, 1);
		assert_true(c[0].id == id);
		scan_array_free(c, n);
		assert_int_equal(store_release_worker(f->s, wid, "signal 9", &back), STORE_OK);
		assert_int_equal(back, 1);
		assert_int_equal(status_of(f->s, id), SCAN_PENDING);
	}
	/* Another worker's scan is not touched by a hand-back. */
	assert_int_equal(store_claim(f->s, "w-2@h:9", 2, 60000, &c, &n), STORE_OK);
	assert_int_equal(n, 2);
	scan_array_free(c, n);
	assert_int_equal(store_release_worker(f->s, "w-1@h:1", "signal 9", &back), STORE_OK);
	assert_int_equal(back, 0);
	assert_int_equal(status_of(f->s, other), SCAN_RUNNING);
	/* Past the limit the hand-back counts: with no attempt left, it fails. */
	assert_int_equal(store_release_worker(f->s, "w-2@h:9", "signal 9", &back), STORE_OK);
	assert_int_equal(status_of(f->s, id), SCAN_FAILED);
	assert_int_equal(store_get(f->s, id, &sc), STORE_OK);
	assert_string_equal(sc.error_code, "worker_lost");
	scan_release(&sc);
	assert_int_equal(status_of(f->s, other), SCAN_PENDING);
}

/* ---- crash safety ----------------------------------------------------------------- */

static void a_process_killed_mid_claim_leaves_the_database_consistent(void **state)
{
	struct testutil_store *f = *state;
	enum { N = 20000 };
	struct scan_request *reqs = calloc(N, sizeof *reqs);
	int64_t *ids = calloc(N, sizeof *ids);

	for (int i = 0; i < N; i++)
		reqs[i] = (struct scan_request){ .type = "test-ok", .targets = "[\"127.0.0.1\"]",
						 .max_attempts = 3, .time_limit_s = 60 };
	assert_int_equal(store_submit_many(f->s, reqs, N, ids, NULL), STORE_OK);
	store_close(f->s);
	f->s = NULL;

	for (int round = 0; round < 6; round++) {
		int ready[2];
		pid_t pid;
		int status;
		char b;

		/* The child says when its first claim is in, so that the kill lands
		 * in the middle of claiming and completing, not before it has even
		 * connected (which takes longer than the delays on a loaded machine). */
		assert_int_equal(pipe(ready), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			char err[256];
			struct store *s = store_open(f->url, err, sizeof err);
			close(ready[0]);
			for (;;) {
				struct scan *c = NULL;
				size_t n = 0;
				if (!s || store_claim(s, "doomed", 200, 30000, &c, &n) != STORE_OK)
					_exit(1);
				if (ready[1] >= 0) {
					(void)!write(ready[1], "x", 1);
					close(ready[1]);
					ready[1] = -1;
				}
				for (size_t i = 0; i < n; i += 2)
					store_complete(s, c[i].id, c[i].attempt, NULL, NULL, 0);
				scan_array_free(c, n);
			}
		}
		close(ready[1]);
		assert_int_equal(read(ready[0], &b, 1), 1);	/* EOF: the child failed */
		close(ready[0]);
		nap_ms(5 + round * 23);
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));
	}

	if (!pg_url) {	/* PostgreSQL checks its own pages; SQLite is asked */
		sqlite3 *db;
		sqlite3_stmt *st;
		assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
		sqlite3_finalize(st);
		sqlite3_close(db);
	}
	/* Kept counts equal real counts, for every status. */
	assert_int_equal(db_int(f, "SELECT count(*) FROM (SELECT status, count(*) AS n FROM scans"
				 " GROUP BY status) AS r LEFT JOIN scan_counts c ON c.status = r.status"
				 " WHERE c.n IS NULL OR c.n <> r.n"), 0);
	/* Every claim left its event; every running scan has its claim event. */
	assert_int_equal(db_int(f, "SELECT count(*) FROM scans s WHERE status = 'running' AND"
				 " NOT EXISTS (SELECT 1 FROM scan_events e WHERE e.scan_id = s.id"
				 " AND e.to_status = 'running' AND e.attempt = s.attempt)"), 0);
	assert_int_equal(db_int(f, "SELECT sum(attempt) FROM scans"),
			 db_int(f, "SELECT count(*) FROM scan_events WHERE to_status = 'running'"));
	assert_int_equal(db_int(f, "SELECT value FROM counters WHERE name = 'claims'"),
			 db_int(f, "SELECT sum(attempt) FROM scans"));
	assert_int_equal(db_int(f, "SELECT count(*) FROM scans WHERE status = 'completed' AND"
				 " NOT EXISTS (SELECT 1 FROM scan_events e WHERE e.scan_id = scans.id"
				 " AND e.to_status = 'completed')"), 0);
	assert_true(db_int(f, "SELECT count(*) FROM scans WHERE status <> 'pending'") > 0);
	free(reqs);
	free(ids);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_transition_table_is_the_designed_lifecycle),
		cmocka_unit_test(database_urls_are_shown_without_their_password),
		cmocka_unit_test_setup_teardown(pending_becomes_running_on_claim_and_cancelled_on_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(running_becomes_completed_with_findings_in_one_write, setup, teardown),
		cmocka_unit_test_setup_teardown(running_goes_back_to_pending_with_backoff_while_attempts_remain, setup, teardown),
		cmocka_unit_test_setup_teardown(running_fails_when_attempts_run_out_or_the_error_is_final, setup, teardown),
		cmocka_unit_test_setup_teardown(running_is_cancelled_when_its_worker_confirms, setup, teardown),
		cmocka_unit_test_setup_teardown(a_failure_after_a_cancel_request_ends_cancelled, setup, teardown),
		cmocka_unit_test_setup_teardown(a_graceful_hand_back_does_not_spend_an_attempt, setup, teardown),
		cmocka_unit_test_setup_teardown(failed_and_cancelled_scans_can_be_retried_with_a_fresh_budget, setup, teardown),
		cmocka_unit_test_setup_teardown(forbidden_transitions_are_refused_and_change_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(a_zombie_workers_late_completion_is_rejected_and_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(a_grouped_completion_fences_each_scan_on_its_own, setup, teardown),
		cmocka_unit_test_setup_teardown(completions_are_counted_in_the_duration_bucket_of_their_run_time, setup, teardown),
		cmocka_unit_test_setup_teardown(an_expired_lease_sends_the_scan_back_to_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(an_expired_lease_with_no_attempts_left_fails_with_worker_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(an_expired_lease_of_a_cancelled_scan_ends_cancelled, setup, teardown),
		cmocka_unit_test_setup_teardown(a_renewed_lease_is_never_recovered_however_long_it_runs, setup, teardown),
		cmocka_unit_test_setup_teardown(claims_take_priority_first_then_age, setup, teardown),
		cmocka_unit_test_setup_teardown(an_idempotency_key_returns_the_first_scan, setup, teardown),
		cmocka_unit_test_setup_teardown(queue_status_counts_follow_every_transition, setup, teardown),
		cmocka_unit_test_setup_teardown(four_processes_claim_10000_scans_exactly_once, setup, teardown),
		cmocka_unit_test_setup_teardown(migrating_an_old_database_never_requeues_finished_scans, setup, teardown),
		cmocka_unit_test_setup_teardown(a_status_column_without_a_default_cannot_invent_pending_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(the_stuck_report_names_overdue_pending_and_expired_running_scans, setup, teardown),
		cmocka_unit_test_setup_teardown(pruning_deletes_only_old_finished_scans_with_their_events_and_findings, setup, teardown),
		cmocka_unit_test_setup_teardown(a_stopped_worker_is_neither_alive_nor_dead, setup, teardown),
		cmocka_unit_test_setup_teardown(exits_and_heartbeats_touch_one_worker_identity_only, setup, teardown),
		cmocka_unit_test_setup_teardown(a_dead_workers_scans_are_handed_back_without_spending_attempts_up_to_a_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(a_completion_and_the_next_claim_commit_together, setup, teardown),
		cmocka_unit_test_setup_teardown(a_process_killed_mid_claim_leaves_the_database_consistent, setup, teardown),
	};

	char err[256];
	int failed;

	if (config_load(NULL, err, sizeof err) < 0) {
		fprintf(stderr, "config: %s\n", err);
		return 1;
	}
	failed = cmocka_run_group_tests_name("store (sqlite)", tests, NULL, NULL);
	if (testutil_pg_create(pg_db, sizeof pg_db) == 0) {
		pg_url = pg_db;
		failed += cmocka_run_group_tests_name("store (postgres)", tests, NULL, NULL);
		testutil_pg_drop();
	} else {
		printf("store (postgres): not run, SCANQ_TEST_PG_URL is not set\n");
	}
	return failed;
}
