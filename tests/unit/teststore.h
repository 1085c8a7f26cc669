/*
 * teststore.h — what the store suites (test_store*.c) share: direct SQL on
 * the test database beside the store, the per-test fixture, small steps
 * (submit one scan, claim it, read its status) and the driver that runs a
 * suite once on SQLite and once on PostgreSQL, in a database of its own
 * on the server SCANQ_TEST_PG_URL names (tests/run.sh starts one).
 */
#ifndef SCANQ_TESTSTORE_H
#define SCANQ_TESTSTORE_H

#include "testutil.h"
#include <libpq-fe.h>
#include <sqlite3.h>
#include <time.h>
#include "core/config.h"
#include "store/store.h"
#include "scantype.h"

static const char *pg_url;	/* NULL: this round runs on SQLite */
static char pg_db[512];		/* this process's own database (testutil_pg_create) */

/* Runs SQL on the test database directly (not through the store). */
static inline void db_exec(struct testutil_store *f, const char *sql)
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
static inline int db_refuses(struct testutil_store *f, const char *sql)
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
static inline long long db_int(struct testutil_store *f, const char *sql)
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

/* Every running scan that runs itself has the lease of its attempt, and
 * no lease belongs to anything else. */
static inline void leases_match_running(struct testutil_store *f)
{
	assert_int_equal(db_int(f, "SELECT count(*) FROM scans s WHERE s.status = 'running'"
				 " AND (s.flow & 2) = 0 AND NOT EXISTS (SELECT 1 FROM leases l"
				 " WHERE l.scan_id = s.id AND l.attempt = s.attempt)"), 0);
	assert_int_equal(db_int(f, "SELECT count(*) FROM leases l WHERE NOT EXISTS (SELECT 1"
				 " FROM scans s WHERE s.id = l.scan_id AND s.status = 'running'"
				 " AND s.attempt = l.attempt)"), 0);
}

static inline int setup(void **state)
{
	*state = testutil_store_new(pg_url);
	return 0;
}

static inline int teardown(void **state)
{
	testutil_store_free(*state);
	return 0;
}

static inline void nap_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0)
		;
}

static inline int64_t submit_one(struct store *s, const char *key, int max_attempts, int priority)
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

static inline enum scan_status status_of(struct store *s, int64_t id)
{
	struct scan sc;
	enum scan_status st;

	assert_int_equal(store_get(s, id, &sc), STORE_OK);
	st = sc.status;
	scan_release(&sc);
	return st;
}

/* Claims exactly one scan and returns its attempt. */
static inline int claim_one(struct store *s, int64_t want_id, int lease_ms)
{
	struct scan *c = NULL;
	size_t n = 0;
	int attempt;

	assert_int_equal(store_claim(s, SCAN_POOL_LOCAL, "w-test", 1, lease_ms, &c, &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(c[0].id, want_id);
	assert_int_equal(c[0].status, SCAN_RUNNING);
	attempt = c[0].attempt;
	scan_array_free(c, n);
	return attempt;
}

static inline size_t event_count(struct store *s, int64_t id)
{
	struct scan_event *ev = NULL;
	size_t n = 0;

	assert_int_equal(store_events(s, id, 1000, &ev, &n), STORE_OK);
	free(ev);
	return n;
}

/*
 * A store suite's main(): the tests on SQLite, then (SCANQ_TEST_PG_URL
 * set) on PostgreSQL; returns how many failed.
 */
static inline int teststore_run(const char *name, const struct CMUnitTest *tests, size_t n)
{
	char err[256], group[64];
	int failed;

	scantype_config_checks();
	if (config_load(NULL, err, sizeof err) < 0) {
		fprintf(stderr, "config: %s\n", err);
		return 1;
	}
	snprintf(group, sizeof group, "%s (sqlite)", name);
	failed = _cmocka_run_group_tests(group, tests, n, NULL, NULL);
	snprintf(group, sizeof group, "%s (postgres)", name);
	if (testutil_pg_create(pg_db, sizeof pg_db) == 0) {
		pg_url = pg_db;
		failed += _cmocka_run_group_tests(group, tests, n, NULL, NULL);
		testutil_pg_drop();
	} else {
		printf("%s: not run, SCANQ_TEST_PG_URL is not set\n", group);
	}
	return failed;
}

#endif
