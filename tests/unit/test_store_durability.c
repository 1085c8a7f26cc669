/*
 * test_store_durability.c — the store under concurrency and failure, on
 * SQLite and PostgreSQL (teststore.h): four processes claiming 10,000
 * scans exactly once, migrations that never re-queue finished scans, a
 * consistent database after a SIGKILL in the middle of a claim, and exact
 * counters after four processes submitted, claimed and completed at once.
 */
#include "teststore.h"
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

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
				int rc = store_claim(s, SCAN_POOL_LOCAL, name, 37, 30000, &c, &n);

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
	int applied = -1, ran = 0;

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

	/* Migrated as opening migrates (store_migrate(-1)), counting what ran:
	 * the numbers are handed out to parallel branches, so the table may
	 * have gaps until they are merged. */
	f->s = store_open_flags(f->url, STORE_NO_MIGRATE, err, sizeof err);
	assert_non_null(f->s);
	assert_int_equal(store_migrate(f->s, -1, &ran), STORE_OK);
	assert_true(ran >= 1);
	assert_int_equal(store_schema_version(f->s), store_schema_latest(f->s));
	assert_int_equal(store_migrate(f->s, -1, &applied), STORE_OK);
	assert_int_equal(applied, 0);		/* twice changes nothing */

	assert_int_equal(db_int(f, "SELECT count(*) FROM scans WHERE status = 'pending'"), 1);
	assert_int_equal(db_int(f, "SELECT count(*) FROM scans WHERE status = 'completed'"
			       " AND finished_at = 2"), 1);
	assert_int_equal(db_int(f, "SELECT count(*) FROM scans WHERE status = 'failed'"), 1);
	assert_int_equal(db_int(f, "SELECT count(*) FROM scans WHERE status = 'cancelled'"), 1);
	assert_int_equal(db_int(f, "SELECT count(*) FROM schema_migrations"), 1 + ran);
	assert_int_equal(db_int(f, "SELECT max(version) FROM schema_migrations"),
			 store_schema_latest(f->s));
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
				if (!s || store_claim(s, SCAN_POOL_LOCAL, "doomed", 200, 30000, &c, &n) != STORE_OK)
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
				 " GROUP BY status) AS r LEFT JOIN (SELECT status, sum(n) AS n FROM scan_counts"
				 " GROUP BY status) c ON c.status = r.status"
				 " WHERE c.n IS NULL OR c.n <> r.n"), 0);
	/* Every claim left its event; every running scan has its claim event. */
	assert_int_equal(db_int(f, "SELECT count(*) FROM scans s WHERE status = 'running' AND"
				 " NOT EXISTS (SELECT 1 FROM scan_events e WHERE e.scan_id = s.id"
				 " AND e.to_status = 'running' AND e.attempt = s.attempt)"), 0);
	assert_int_equal(db_int(f, "SELECT sum(attempt) FROM scans"),
			 db_int(f, "SELECT count(*) FROM scan_events WHERE to_status = 'running'"));
	assert_int_equal(db_int(f, "SELECT sum(value) FROM counters WHERE name = 'claims'"),
			 db_int(f, "SELECT sum(attempt) FROM scans"));
	assert_int_equal(db_int(f, "SELECT count(*) FROM scans WHERE status = 'completed' AND"
				 " NOT EXISTS (SELECT 1 FROM scan_events e WHERE e.scan_id = scans.id"
				 " AND e.to_status = 'completed')"), 0);
	assert_true(db_int(f, "SELECT count(*) FROM scans WHERE status <> 'pending'") > 0);
	/* Each claim wrote its lease with it, or neither was written. */
	leases_match_running(f);
	free(reqs);
	free(ids);
}

/* One process of the burst below: submits its share in batches, then
 * drains as a worker does (complete a batch and claim the next in one
 * call), handing the scans whose id is a multiple of seven a stale
 * attempt (fenced: they stay running). */
static int burst_worker(const char *url, int p, int per)
{
	char err[256], name[16];
	struct store *s = store_open(url, err, sizeof err);
	struct scan_request reqs[50];
	struct store_completion done[10];
	struct scan *c = NULL;
	size_t n = 0;
	int64_t ids[50];
	int rc;

	if (!s)
		return 3;
	snprintf(name, sizeof name, "w-%d", p);
	for (int i = 0; i < 50; i++)
		reqs[i] = (struct scan_request){ .type = p % 2 ? "test-ok" : "test-fail",
						 .targets = "[\"127.0.0.1\"]", .max_attempts = 3,
						 .time_limit_s = 60 };
	/* STORE_BUSY (a lock held past the busy timeout: four processes
	 * under the sanitizers) has queued nothing and is retried, as the
	 * claim and the completion below are. */
	for (int k = 0; k < per; k += 50) {
		while ((rc = store_submit_many(s, reqs, 50, ids, NULL)) == STORE_BUSY)
			;
		if (rc != STORE_OK) {
			fprintf(stderr, "process %d: submit: %s\n", p, store_error(s));
			return 4;
		}
	}
	while ((rc = store_claim(s, SCAN_POOL_LOCAL, name, 10, 30000, &c, &n)) == STORE_BUSY)
		;
	if (rc != STORE_OK) {
		fprintf(stderr, "process %d: claim: %s\n", p, store_error(s));
		return 5;
	}
	while (n > 0) {
		struct scan *next = NULL;
		size_t nn = 0;

		for (size_t i = 0; i < n; i++)
			done[i] = (struct store_completion){ .id = c[i].id, .summary = "{}",
				.attempt = c[i].id % 7 ? c[i].attempt : c[i].attempt + 1 };
		rc = store_complete_and_claim(s, done, n, SCAN_POOL_LOCAL, name, 10, 30000, &next, &nn);
		if (rc == STORE_BUSY)
			continue;	/* nothing happened: the same batch again */
		scan_array_free(c, n);
		if (rc != STORE_OK) {
			fprintf(stderr, "process %d: complete and claim: %s\n", p, store_error(s));
			return 6;
		}
		c = next;
		n = nn;
	}
	store_close(s);
	return 0;
}

/* Four processes submit, claim and complete at once (the counters'
 * rows were the rows every transaction wrote): afterwards every figure
 * `queue status`, /metrics and doctor read (store_queue_status(),
 * store_counters()) equals what the scans and their events say. */
static void counters_stay_exact_under_four_processes_at_once(void **state)
{
	struct testutil_store *f = *state;
	enum { P = 4, PER = 1000 };
	pid_t pids[P];
	struct queue_status q;
	struct store_counters k;

	for (int p = 0; p < P; p++) {
		pids[p] = fork();
		assert_true(pids[p] >= 0);
		if (pids[p] == 0)
			_exit(burst_worker(f->url, p, PER));
	}
	for (int p = 0; p < P; p++) {
		int status;

		assert_int_equal(waitpid(pids[p], &status, 0), pids[p]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(store_queue_status(f->s, &q), STORE_OK);
	assert_int_equal(store_counters(f->s, &k), STORE_OK);
	assert_int_equal(k.submitted, P * PER);
	assert_int_equal(k.submitted, db_int(f, "SELECT count(*) FROM scans"));
	assert_int_equal(k.claims, db_int(f, "SELECT count(*) FROM scan_events WHERE to_status = 'running'"));
	assert_int_equal(k.claims, db_int(f, "SELECT sum(attempt) FROM scans"));
	assert_int_equal(k.completed, db_int(f, "SELECT count(*) FROM scans WHERE status = 'completed'"));
	assert_int_equal(k.duration_count, k.completed);
	assert_int_equal(k.fenced_writes, k.claims - k.completed);
	assert_true(k.completed > 0 && k.fenced_writes > 0);
	for (int st = 0; st < SCAN_STATUS_COUNT; st++) {
		char sql[160];

		snprintf(sql, sizeof sql, "SELECT count(*) FROM scans WHERE status = '%s'",
			 scan_status_name((enum scan_status)st));
		assert_int_equal(q.by_status[st], db_int(f, sql));
	}
	leases_match_running(f);
	/* Per type and status, as the kept counts give them. */
	assert_int_equal(db_int(f, "SELECT count(*) FROM (SELECT type, status, count(*) AS n FROM scans"
				 " GROUP BY type, status) AS r LEFT JOIN (SELECT type, status, sum(n) AS n"
				 " FROM scan_counts GROUP BY type, status) c ON c.type = r.type"
				 " AND c.status = r.status WHERE c.n IS NULL OR c.n <> r.n"), 0);
}


/* The submitting thread of the deadlock test. */
struct submitter {
	struct store *s;
	int rc;
	char err[256];		/* store_error() when rc is not STORE_OK */
};

static void *submit_thread(void *arg)
{
	struct submitter *t = arg;
	struct scan_request req = { .type = "portscan", .targets = "[\"127.0.0.1\"]",
				    .options = "{}", .max_attempts = 3, .time_limit_s = 60 };
	int64_t id;
	int existed;

	t->rc = store_submit(t->s, &req, &id, &existed);
	snprintf(t->err, sizeof t->err, "%s", t->rc == STORE_OK ? "" : store_error(t->s));
	return NULL;
}

/* Runs SQL on an open connection; 1 if it ran. */
static int pg_ok(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;

	PQclear(r);
	return ok;
}

/*
 * PostgreSQL: a deadlock the server ends by rolling back the store's
 * transaction is run again, not returned (a submit bumps `counters` before
 * its statement's trigger bumps `scan_counts`; another writer of the same
 * shard can take them in the other order).  Another session holds every
 * shard's pending row of scan_counts; the store's submit takes its
 * counters row and waits on it; the session then wants every counters row
 * of 'submitted': a cycle.  The store waited first, so the server picks it
 * (the session's own deadlock check waits 10 s); it runs the submit again,
 * which waits for the session's COMMIT and then lands, once.
 */
static void a_deadlock_the_server_rolls_back_is_run_again(void **state)
{
	struct testutil_store *f = *state;
	struct submitter t = { .s = f->s, .rc = -99 };
	pthread_t th;
	PGconn *x;
	int waited = 0;

	if (!pg_url)
		skip();
	x = PQconnectdb(pg_url);
	assert_int_equal(PQstatus(x), CONNECTION_OK);
	assert_true(pg_ok(x, "SET deadlock_timeout = '10s'"));
	assert_true(pg_ok(x, "BEGIN"));
	assert_true(pg_ok(x, "INSERT INTO scan_counts AS c (type, status, shard, n)"
			     " SELECT 'portscan', 'pending', g, 0 FROM generate_series(0, 15) g"
			     " ON CONFLICT (type, status, shard) DO UPDATE SET n = c.n"));
	assert_int_equal(pthread_create(&th, NULL, submit_thread, &t), 0);
	/* Until the store's submit waits on the session's rows. */
	while (db_int(f, "SELECT count(*) FROM pg_locks WHERE NOT granted") < 1) {
		struct timespec ts = { 0, 10000000 };

		assert_true(waited++ < 500);
		nanosleep(&ts, NULL);
	}
	assert_true(pg_ok(x, "INSERT INTO counters AS o (name, shard, value)"
			     " SELECT 'submitted', g, 0 FROM generate_series(0, 15) g"
			     " ON CONFLICT (name, shard) DO UPDATE SET value = o.value"));
	assert_true(pg_ok(x, "COMMIT"));
	PQfinish(x);
	assert_int_equal(pthread_join(th, NULL), 0);
	if (t.rc != STORE_OK)
		fail_msg("submit: %d: %s", t.rc, t.err);
	assert_int_equal(db_int(f, "SELECT count(*) FROM scans"), 1);
	assert_int_equal(db_int(f, "SELECT sum(value) FROM counters WHERE name = 'submitted'"), 1);
	assert_int_equal(db_int(f, "SELECT sum(n) FROM scan_counts WHERE status = 'pending'"), 1);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(four_processes_claim_10000_scans_exactly_once, setup, teardown),
		cmocka_unit_test_setup_teardown(migrating_an_old_database_never_requeues_finished_scans, setup, teardown),
		cmocka_unit_test_setup_teardown(a_status_column_without_a_default_cannot_invent_pending_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(a_process_killed_mid_claim_leaves_the_database_consistent, setup, teardown),
		cmocka_unit_test_setup_teardown(counters_stay_exact_under_four_processes_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(a_deadlock_the_server_rolls_back_is_run_again, setup, teardown),
	};

	return teststore_run("test_store_durability", tests, sizeof tests / sizeof tests[0]);
}
