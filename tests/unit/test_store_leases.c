/*
 * test_store_leases.c — the leases of running scans in their own table
 * (migration 26, docs/STORE.md), on SQLite and PostgreSQL (teststore.h):
 * the upgrade copies every running scan's lease and attempt (the fence)
 * and such a scan then completes exactly once; a SIGKILL at any moment of
 * the upgrade leaves the old schema or the new one, never a mix; and a
 * heartbeat-heavy run keeps one lease per running scan and, on
 * PostgreSQL (a server of its own: see own_pg_start), renews them with
 * HOT updates (>= 95 % of the lease table's
 * updates), the point of the design.
 */
#include "teststore.h"
#include <signal.h>
#include <sys/wait.h>

#define LEASES_VERSION 26	/* the migration that made the table */

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 1 when the leases table exists, 0 when not. */
static int has_leases(struct testutil_store *f)
{
	return (int)db_int(f, pg_url
		? "SELECT count(*) FROM pg_tables WHERE tablename = 'leases'"
		  " AND schemaname = current_schema()"
		: "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'leases'");
}

/* 1 when scans still has its lease_expires_at column (the old schema). */
static int has_old_lease_column(struct testutil_store *f)
{
	return (int)db_int(f, pg_url
		? "SELECT count(*) FROM information_schema.columns WHERE table_name = 'scans'"
		  " AND column_name = 'lease_expires_at' AND table_schema = current_schema()"
		: "SELECT count(*) FROM pragma_table_info('scans') WHERE name = 'lease_expires_at'");
}

/* A fresh database brought to the version before the leases table; the
 * store handle f->s is closed. */
static void fresh_at_old_version(struct testutil_store *f)
{
	char err[256];
	struct store *s;
	int applied = 0;

	store_close(f->s);
	f->s = NULL;
	testutil_rmdir(f->dir);
	testutil_store_fresh(f, pg_url);
	s = store_open_flags(f->url, STORE_NO_MIGRATE, err, sizeof err);
	assert_non_null(s);
	assert_int_equal(store_migrate(s, LEASES_VERSION - 1, &applied), STORE_OK);
	assert_true(store_schema_version(s) < LEASES_VERSION);
	store_close(s);
	assert_int_equal(has_leases(f), 0);
	assert_int_equal(has_old_lease_column(f), 1);
}

static void open_migrated(struct testutil_store *f)
{
	char err[256];
	int ran = 0;

	f->s = store_open_flags(f->url, STORE_NO_MIGRATE, err, sizeof err);
	assert_non_null(f->s);
	assert_int_equal(store_migrate(f->s, -1, &ran), STORE_OK);
	assert_int_equal(store_schema_version(f->s), store_schema_latest(f->s));
}

/* ---- the upgrade --------------------------------------------------------------------- */

static void a_running_scan_keeps_its_lease_and_fence_across_the_upgrade(void **state)
{
	struct testutil_store *f = *state;
	int64_t now = wall_ms(), live, lost, parent, done, pend;
	char sql[1024];
	struct scan sc;
	int recovered = 0, failed = 0, cancel = -1;

	fresh_at_old_version(f);
	/* An installation of the old layout: a scan running its second
	 * attempt with a live lease, one whose worker is gone (lease over),
	 * a split parent (running, never leased), a finished and a pending
	 * scan. */
	snprintf(sql, sizeof sql,
		 "INSERT INTO scans (type, targets, status, attempt, max_attempts, run_after, created_at,"
		 " claimed_at, finished_at, lease_expires_at, worker_id, progress, flow) VALUES"
		 " ('test-ok', '[\"127.0.0.1\"]', 'running', 2, 3, 1, 1, %lld, NULL, %lld, 'w-old', 0.4, 0),"
		 " ('test-ok', '[\"127.0.0.2\"]', 'running', 1, 3, 1, 1, %lld, NULL, %lld, 'w-gone', 0.1, 0),"
		 " ('test-ok', '[\"127.0.0.3\"]', 'running', 0, 3, 1, 1, %lld, NULL, NULL, NULL, 0, 2),"
		 " ('test-ok', '[\"127.0.0.4\"]', 'completed', 1, 3, 1, 1, 1, 2, NULL, 'w-1', 1, 0),"
		 " ('test-ok', '[\"127.0.0.5\"]', 'pending', 0, 3, 1, 1, NULL, NULL, NULL, NULL, 0, 0)",
		 (long long)now, (long long)(now + 600000), (long long)(now - 60000),
		 (long long)(now - 1000), (long long)now);
	db_exec(f, sql);
	live = db_int(f, "SELECT id FROM scans WHERE worker_id = 'w-old'");
	lost = db_int(f, "SELECT id FROM scans WHERE worker_id = 'w-gone'");
	parent = db_int(f, "SELECT id FROM scans WHERE flow = 2");
	done = db_int(f, "SELECT id FROM scans WHERE status = 'completed'");
	pend = db_int(f, "SELECT id FROM scans WHERE status = 'pending'");

	open_migrated(f);
	assert_int_equal(has_old_lease_column(f), 0);
	assert_int_equal(db_int(f, "SELECT count(*) FROM leases"), 2);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM leases WHERE scan_id = %lld AND attempt = 2"
		 " AND worker_id = 'w-old' AND lease_expires_at = %lld", (long long)live,
		 (long long)(now + 600000));
	assert_int_equal(db_int(f, sql), 1);
	leases_match_running(f);
	/* Nothing else moved. */
	assert_int_equal(status_of(f->s, parent), SCAN_RUNNING);
	assert_int_equal(status_of(f->s, done), SCAN_COMPLETED);
	assert_int_equal(status_of(f->s, pend), SCAN_PENDING);
	assert_int_equal(store_get(f->s, live, &sc), STORE_OK);
	assert_true(sc.lease_expires_at == now + 600000);
	assert_true(sc.progress > 0.39 && sc.progress < 0.41);
	assert_string_equal(sc.worker_id, "w-old");
	scan_release(&sc);

	/* The fence held across the upgrade: the old attempt is refused,
	 * the current one renews and completes, once. */
	assert_int_equal(store_heartbeat(f->s, live, 1, 30000, 0.5, &cancel), STORE_LOST);
	assert_int_equal(store_heartbeat(f->s, live, 2, 30000, 0.6, &cancel), STORE_OK);
	assert_int_equal(cancel, 0);
	assert_int_equal(store_complete(f->s, live, 1, "{}", NULL, 0), STORE_LOST);
	assert_int_equal(store_complete(f->s, live, 2, "{}", NULL, 0), STORE_OK);
	assert_int_equal(store_complete(f->s, live, 2, "{}", NULL, 0), STORE_LOST);
	assert_int_equal(status_of(f->s, live), SCAN_COMPLETED);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM scan_events WHERE scan_id = %lld"
		 " AND to_status = 'completed'", (long long)live);
	assert_int_equal(db_int(f, sql), 1);

	/* The lease that had run out is recovered from the new table, and
	 * the next claim is attempt 2 of it. */
	assert_int_equal(store_recover_leases(f->s, 0, &recovered, &failed), STORE_OK);
	assert_int_equal(recovered, 1);
	assert_int_equal(failed, 0);
	assert_int_equal(status_of(f->s, lost), SCAN_PENDING);
	assert_int_equal(db_int(f, "SELECT count(*) FROM leases"), 0);
	leases_match_running(f);
}

/* One child's upgrade, killed after delay_ms (or finished first). */
static void migrate_killed_after(struct testutil_store *f, int delay_ms)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		char err[256];
		struct store *s = store_open_flags(f->url, STORE_NO_MIGRATE, err, sizeof err);

		_exit(s && store_migrate(s, -1, NULL) == STORE_OK ? 0 : 3);
	}
	nap_ms(delay_ms);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 0));
}

static void a_sigkill_during_the_upgrade_leaves_the_old_schema_or_the_new(void **state)
{
	struct testutil_store *f = *state;
	enum { N = 40000, RUNNING = 100 };
	char sql[1024];
	int rounds = 0, old_seen = 0;

	fresh_at_old_version(f);
	/* N scans, the first RUNNING of them running with a lease each. */
	snprintf(sql, sizeof sql, pg_url
		 ? "INSERT INTO scans (type, targets, status, attempt, run_after, created_at,"
		   " claimed_at, finished_at, lease_expires_at, worker_id)"
		   " SELECT 'test-ok', '[\"127.0.0.1\"]', CASE WHEN g <= %d THEN 'running'"
		   " ELSE 'completed' END, 1 + g %% 3, 1, 1, 1, CASE WHEN g > %d THEN 2 END,"
		   " CASE WHEN g <= %d THEN 4000000000000 + g END, 'w-' || (g %% 4)"
		   " FROM generate_series(1, %d) g"
		 : "WITH RECURSIVE n(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM n WHERE g < %4$d)"
		   " INSERT INTO scans (type, targets, status, attempt, run_after, created_at,"
		   " claimed_at, finished_at, lease_expires_at, worker_id)"
		   " SELECT 'test-ok', '[\"127.0.0.1\"]', CASE WHEN g <= %1$d THEN 'running'"
		   " ELSE 'completed' END, 1 + g %% 3, 1, 1, 1, CASE WHEN g > %2$d THEN 2 END,"
		   " CASE WHEN g <= %3$d THEN 4000000000000 + g END, 'w-' || (g %% 4) FROM n",
		 RUNNING, RUNNING, RUNNING, N);
	db_exec(f, sql);
	for (; rounds < 12; rounds++) {
		int leases = has_leases(f), column = has_old_lease_column(f);
		long long version = db_int(f, "SELECT max(version) FROM schema_migrations");

		if (version >= LEASES_VERSION) {
			/* The new schema, whole: the table, every lease, no old column. */
			assert_int_equal(leases, 1);
			assert_int_equal(column, 0);
			break;
		}
		/* The old schema, whole. */
		assert_int_equal(leases, 0);
		assert_int_equal(column, 1);
		old_seen++;
		migrate_killed_after(f, 3 + rounds * rounds * 4);
	}
	assert_true(old_seen >= 1);
	open_migrated(f);
	assert_int_equal(db_int(f, "SELECT count(*) FROM leases"), RUNNING);
	assert_int_equal(db_int(f, "SELECT count(*) FROM scans"), N);
	assert_int_equal(db_int(f, "SELECT count(*) FROM scans WHERE status = 'running'"), RUNNING);
	leases_match_running(f);
	printf("upgrade of %d scans: %d kill%s left the old schema whole, then the new\n", N,
	       old_seen - 1, old_seen == 2 ? "" : "s");
}

/* ---- heartbeats ---------------------------------------------------------------------- */

/* n_tup_upd and n_tup_hot_upd of the lease table, once the statistics of
 * at least `want` updates are in (PostgreSQL reports them shortly after
 * a transaction ends, at the latest when the backend exits). */
static void lease_updates(struct testutil_store *f, long long want, long long *upd, long long *hot)
{
	for (int i = 0; i < 100; i++) {
		*upd = db_int(f, "SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'leases'"
			      " AND schemaname = current_schema()");
		if (*upd >= want)
			break;
		nap_ms(100);
	}
	*hot = db_int(f, "SELECT n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'leases'"
		      " AND schemaname = current_schema()");
}

/*
 * A PostgreSQL server of this test's own (tools/pg-test-server.sh), for
 * the HOT measurement: a page's dead lease versions are pruned only once
 * no transaction on the whole server can see them, whatever its database
 * (since PostgreSQL 14 a backend recomputes that horizon only when the
 * server's oldest snapshot moves).  The suites that run beside this one on
 * the shared test server hold transactions for a second and more, and
 * this test renews leases thousands of times a second: such a second
 * fills the page, and the renewals after it cannot be HOT (94.1 % was
 * seen beside test_store_durability, 100 % alone).  That measures the
 * neighbours, not the lease table.  Fills url and dir; 0 when it runs.
 */
static int own_pg_start(char *url, size_t ulen, char *dir, size_t dlen)
{
	FILE *p = popen("sh tools/pg-test-server.sh start", "r");
	char line[600];
	int got = 0;

	if (!p)
		return -1;
	while (fgets(line, sizeof line, p)) {
		char *q = strchr(line, '\''), *end = q ? strrchr(q + 1, '\'') : NULL;

		if (!q || !end)
			continue;
		*end = '\0';
		if (strncmp(line, "export SCANQ_TEST_PG_URL=", 25) == 0)
			got |= snprintf(url, ulen, "%s", q + 1) < (int)ulen ? 1 : 0;
		else if (strncmp(line, "export SCANQ_TEST_PG_DIR=", 25) == 0)
			got |= snprintf(dir, dlen, "%s", q + 1) < (int)dlen ? 2 : 0;
	}
	return pclose(p) == 0 && got == 3 ? 0 : -1;
}

/* The test's own server while it runs: teardown_own_pg() stops it and
 * puts the shared one back, whether the test passed or failed. */
static struct {
	char url[512], dir[256];
	const char *shared;	/* pg_url before */
	struct store *kept;	/* the fixture's store on the shared server */
} own;

static int teardown_own_pg(void **state)
{
	struct testutil_store *f = *state;
	char cmd[600];

	if (own.dir[0]) {
		if (f->s && f->s != own.kept)
			store_close(f->s);
		f->s = own.kept;
		pg_url = own.shared;
		snprintf(cmd, sizeof cmd, "sh tools/pg-test-server.sh stop '%s'", own.dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not stop the test's server in %s\n", own.dir);
		own.dir[0] = '\0';
	}
	return teardown(state);
}

static void heartbeats_renew(struct testutil_store *f);

static void heartbeats_renew_the_lease_row_alone_and_are_hot_on_postgresql(void **state)
{
	struct testutil_store *f = *state;
	char err[256];

	if (pg_url) {
		/* Saved first: teardown puts them back even if the start fails
		 * half way (a server started whose address was not read). */
		own.shared = pg_url;
		own.kept = f->s;
		assert_int_equal(own_pg_start(own.url, sizeof own.url, own.dir, sizeof own.dir), 0);
		pg_url = own.url;
		f->s = store_open(own.url, err, sizeof err);
		if (!f->s)
			fail_msg("%s", err);
	}
	heartbeats_renew(f);
}

static void heartbeats_renew(struct testutil_store *f)
{
	enum { ROUNDS = 20, BATCH = 25, BEATS = 12 };
	long long beats = 0, upd0 = 0, hot0 = 0, upd = 0, hot = 0, scans_upd0, scans_upd;
	char err[256];

	for (int i = 0; i < ROUNDS * BATCH; i++)
		submit_one(f->s, NULL, 3, 0);
	if (pg_url)
		lease_updates(f, 0, &upd0, &hot0);
	scans_upd0 = pg_url ? db_int(f, "SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname ="
				     " 'scans' AND schemaname = current_schema()") : 0;
	/* Work as a worker does: a batch claimed, its leases renewed with
	 * progress many times while other batches come and go, then
	 * completed and the next batch claimed in the same call. */
	struct scan *c = NULL;
	size_t n = 0;

	assert_int_equal(store_claim(f->s, SCAN_POOL_LOCAL, "w-beat", BATCH, 30000, &c, &n), STORE_OK);
	for (int r = 0; n > 0; r++) {
		struct store_completion done[BATCH];
		struct scan *next = NULL;
		size_t nn = 0;

		for (int b = 1; b <= BEATS; b++)
			for (size_t i = 0; i < n; i++, beats++)
				assert_int_equal(store_heartbeat(f->s, c[i].id, c[i].attempt, 30000,
								 (double)b / BEATS, NULL), STORE_OK);
		leases_match_running(f);
		for (size_t i = 0; i < n; i++)
			done[i] = (struct store_completion){ .id = c[i].id, .attempt = c[i].attempt,
							     .summary = "{}", .flow = -1 };
		assert_int_equal(store_complete_and_claim(f->s, done, n, SCAN_POOL_LOCAL, "w-beat",
							  BATCH, 30000, &next, &nn), STORE_OK);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(done[i].rc, STORE_OK);
		scan_array_free(c, n);
		c = next;
		n = nn;
		assert_true(r < ROUNDS + 1);
	}
	scan_array_free(c, n);
	assert_int_equal(beats, (long long)ROUNDS * BATCH * BEATS);
	assert_int_equal(db_int(f, "SELECT count(*) FROM scans WHERE status = 'completed'"), ROUNDS * BATCH);
	assert_int_equal(db_int(f, "SELECT count(*) FROM leases"), 0);
	if (!pg_url)
		return;
	/* The statistics of this backend arrive at the latest when it exits. */
	store_close(f->s);
	f->s = store_open(pg_url, err, sizeof err);
	assert_non_null(f->s);
	lease_updates(f, upd0 + beats, &upd, &hot);
	scans_upd = db_int(f, "SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'scans'"
			   " AND schemaname = current_schema()");
	printf("lease table: %lld updates for %lld heartbeats, %lld HOT (%.1f %%); scans: %lld"
	       " updates\n", upd - upd0, beats, hot - hot0,
	       100.0 * (double)(hot - hot0) / (double)(upd - upd0 ? upd - upd0 : 1),
	       scans_upd - scans_upd0);
	assert_true(upd - upd0 >= beats);
	assert_true((hot - hot0) * 100 >= (upd - upd0) * 95);
	/* A heartbeat wrote no scans row: claims and completions did, two a scan. */
	assert_true(scans_upd - scans_upd0 <= 2LL * ROUNDS * BATCH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(a_running_scan_keeps_its_lease_and_fence_across_the_upgrade, setup, teardown),
		cmocka_unit_test_setup_teardown(a_sigkill_during_the_upgrade_leaves_the_old_schema_or_the_new, setup, teardown),
		cmocka_unit_test_setup_teardown(heartbeats_renew_the_lease_row_alone_and_are_hot_on_postgresql, setup,
						teardown_own_pg),
	};

	return teststore_run("test_store_leases", tests, sizeof tests / sizeof tests[0]);
}
