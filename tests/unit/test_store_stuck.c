/*
 * test_store_stuck.c — what `stuck clear` does to running scans, on SQLite
 * and PostgreSQL (teststore.h): it ends a stuck attempt the way the
 * lifecycle ends any failed attempt, so a stuck shard fails its split
 * parent, a scan.failed delivery is queued, and the counters move as lease
 * recovery (or a failure) moves them; a dry run changes nothing; a split
 * parent waiting for its shards is never taken for a stuck scan.  Where
 * the categories draw their lines: worker liveness (STORE_WORKER_DEAD_MS)
 * and the overtime grace (STUCK_OVERTIME_GRACE_MS).  And the short report
 * (`scanq stuck`) as a view of the one report, counted in all.
 */
#include "teststore.h"

#define HOUR_MS 3600000

/* A split scan of two shards with `max_attempts` each; *shard gets the
 * first shard's id.  Returns the parent's id. */
static int64_t submit_split(struct store *s, int max_attempts, int64_t *shard)
{
	struct scan_request r = {
		.type = "test-ok", .targets = "[\"127.0.0.1\",\"127.0.0.2\"]", .options = "{}",
		.max_attempts = max_attempts, .time_limit_s = 60,
	};
	struct scan *c = NULL;
	int64_t parent = 0;
	size_t n = 0;

	assert_int_equal(store_submit_flow(s, &r, 0, "[[\"127.0.0.1\"],[\"127.0.0.2\"]]", &parent,
					   NULL), STORE_OK);
	assert_int_equal(status_of(s, parent), SCAN_RUNNING);	/* a split parent never runs */
	/* One shard claimed with a lease that expires at once. */
	assert_int_equal(store_claim(s, SCAN_POOL_LOCAL, "w-gone", 1, 1, &c, &n), STORE_OK);
	assert_int_equal(n, 1);
	*shard = c[0].id;
	assert_true(c[0].flow & SCAN_FLOW_SHARD);
	scan_array_free(c, n);
	nap_ms(20);
	return parent;
}

static int64_t webhook_scan_failed(struct store *s)
{
	int64_t id = 0;

	assert_int_equal(store_webhook_add(s, "http://127.0.0.1:9/hook", "scan.failed", "test-secret",
					   "info", &id), STORE_OK);
	return id;
}

static long long deliveries(struct testutil_store *f, const char *event, int64_t scan_id)
{
	char q[160];

	snprintf(q, sizeof q, "SELECT count(*) FROM webhook_deliveries WHERE event = '%s'"
		 " AND scan_id = %lld", event, (long long)scan_id);
	return db_int(f, q);
}

static void clear(struct store *s, int flags, struct stuck_change **ch, size_t *n)
{
	int64_t total = 0;

	assert_int_equal(store_stuck_clear(s, HOUR_MS, flags, "test", ch, n, &total), STORE_OK);
	assert_int_equal(total, (int64_t)*n);
}

static void stuck_clear_of_a_shard_out_of_attempts_fails_its_parent_and_queues_scan_failed(void **state)
{
	struct testutil_store *f = *state;
	struct store_counters before, after;
	struct stuck_change *ch = NULL;
	struct scan_event *ev = NULL;
	int64_t shard, parent;
	struct scan sc;
	size_t n = 0, ne = 0;

	webhook_scan_failed(f->s);
	parent = submit_split(f->s, 1, &shard);
	assert_int_equal(store_counters(f->s, &before), STORE_OK);
	clear(f->s, 0, &ch, &n);

	assert_int_equal(store_get(f->s, shard, &sc), STORE_OK);
	assert_int_equal(sc.status, SCAN_FAILED);
	assert_string_equal(sc.error_code, "worker_lost");
	scan_release(&sc);
	/* The parent fails with it, in the same transaction, naming the shard. */
	assert_int_equal(store_get(f->s, parent, &sc), STORE_OK);
	assert_string_equal(scan_status_name(sc.status), "failed");
	assert_string_equal(sc.error_code, "shard_failed");
	scan_release(&sc);
	assert_int_equal(deliveries(f, "scan.failed", shard), 1);
	/* One change: the shard's (its parent's follows from it). */
	assert_int_equal(n, 1);
	assert_int_equal(ch[0].id, shard);
	assert_int_equal(ch[0].from, SCAN_RUNNING);
	assert_int_equal(ch[0].to, SCAN_FAILED);
	free(ch);
	/* One timeline entry of the repair, saying so. */
	assert_int_equal(store_events(f->s, shard, 100, &ev, &ne), STORE_OK);
	assert_int_equal(ev[ne - 1].from, SCAN_RUNNING);
	assert_int_equal(ev[ne - 1].to, SCAN_FAILED);
	assert_non_null(strstr(ev[ne - 1].reason, "stuck clear: lease expired"));
	assert_string_equal(ev[ne - 1].worker_id, "w-gone");
	free(ev);
	/* Counted as lease recovery counts a lost lease: the shard and its
	 * parent failed. */
	assert_int_equal(store_counters(f->s, &after), STORE_OK);
	assert_int_equal(after.lease_recoveries - before.lease_recoveries, 1);
	assert_int_equal(after.failed - before.failed, 2);
	assert_int_equal(after.retries - before.retries, 0);
}

static void stuck_clear_of_a_shard_with_attempts_left_requeues_it_and_its_parent_waits(void **state)
{
	struct testutil_store *f = *state;
	struct store_counters before, after;
	struct stuck_change *ch = NULL;
	int64_t shard, parent;
	size_t n = 0;

	webhook_scan_failed(f->s);
	parent = submit_split(f->s, 3, &shard);
	assert_int_equal(store_counters(f->s, &before), STORE_OK);
	clear(f->s, 0, &ch, &n);
	assert_int_equal(status_of(f->s, shard), SCAN_PENDING);
	assert_string_equal(scan_status_name(status_of(f->s, parent)), "running");
	/* Only the shard changed: the parent, running with no worker and no
	 * lease as every split parent is, is not stuck. */
	assert_int_equal(n, 1);
	assert_int_equal(ch[0].id, shard);
	assert_int_equal(ch[0].to, SCAN_PENDING);
	free(ch);
	assert_int_equal(deliveries(f, "scan.failed", shard), 0);
	/* A lost lease is no error of the scan: not a retry. */
	assert_int_equal(store_counters(f->s, &after), STORE_OK);
	assert_int_equal(after.lease_recoveries - before.lease_recoveries, 1);
	assert_int_equal(after.retries - before.retries, 0);
	assert_int_equal(after.failed - before.failed, 0);
}

static void a_split_parent_waiting_for_its_shards_is_not_stuck(void **state)
{
	struct testutil_store *f = *state;
	struct scan_request r = {
		.type = "test-ok", .targets = "[\"127.0.0.1\",\"127.0.0.2\"]", .options = "{}",
		.max_attempts = 3, .time_limit_s = 60,
	};
	struct stuck_item *it = NULL;
	int counts[32] = { 0 };
	int64_t parent = 0, total = -1;
	size_t n = 0;

	assert_int_equal(store_submit_flow(f->s, &r, 0, "[[\"127.0.0.1\"],[\"127.0.0.2\"]]",
					   &parent, NULL), STORE_OK);
	assert_int_equal(store_stuck_report(f->s, HOUR_MS, 100, 0, &it, &n, counts, NULL), STORE_OK);
	for (size_t i = 0; i < n; i++)
		assert_int_not_equal(it[i].id, parent);
	free(it);
	/* serve's automatic clear (at its start, then hourly) leaves it running:
	 * handed back to pending, a worker would claim it and run it whole. */
	assert_int_equal(store_stuck_clear(f->s, HOUR_MS, STUCK_CLEAR_AUTOMATIC, "maintenance", NULL,
					   NULL, &total), STORE_OK);
	assert_int_equal(total, 0);
	assert_string_equal(scan_status_name(status_of(f->s, parent)), "running");
}

static void stuck_clear_ends_an_overtime_attempt_as_a_timeout_failure(void **state)
{
	struct testutil_store *f = *state;
	struct store_counters before, after;
	struct stuck_change *ch = NULL;
	int64_t id = submit_one(f->s, NULL, 1, 0);
	char sql[256];
	struct scan sc;
	size_t n = 0;

	webhook_scan_failed(f->s);
	claim_one(f->s, id, 600000);
	/* Claimed two hours ago with a 60 s limit; its worker still renews the lease. */
	snprintf(sql, sizeof sql, "UPDATE scans SET claimed_at = %lld WHERE id = %lld",
		 (long long)(scan_now_ms() - 2 * HOUR_MS), (long long)id);
	db_exec(f, sql);
	assert_int_equal(store_counters(f->s, &before), STORE_OK);
	clear(f->s, 0, &ch, &n);
	assert_int_equal(n, 1);
	assert_int_equal(ch[0].to, SCAN_FAILED);
	free(ch);
	assert_int_equal(store_get(f->s, id, &sc), STORE_OK);
	assert_int_equal(sc.status, SCAN_FAILED);
	assert_string_equal(sc.error_code, "timeout");
	scan_release(&sc);
	assert_int_equal(deliveries(f, "scan.failed", id), 1);
	assert_int_equal(store_counters(f->s, &after), STORE_OK);
	assert_int_equal(after.failed - before.failed, 1);
	assert_int_equal(after.lease_recoveries - before.lease_recoveries, 0);
}

static void a_dry_run_of_a_stuck_shard_lists_the_change_and_writes_nothing(void **state)
{
	struct testutil_store *f = *state;
	struct stuck_change *ch = NULL;
	int64_t shard, parent;
	long long events, deliv;
	size_t n = 0;

	webhook_scan_failed(f->s);
	parent = submit_split(f->s, 1, &shard);
	events = db_int(f, "SELECT count(*) FROM scan_events");
	deliv = db_int(f, "SELECT count(*) FROM webhook_deliveries");
	clear(f->s, STUCK_CLEAR_DRY_RUN, &ch, &n);
	assert_int_equal(n, 1);
	assert_int_equal(ch[0].id, shard);
	assert_int_equal(ch[0].to, SCAN_FAILED);
	assert_non_null(strstr(ch[0].action, "stuck clear: lease expired"));
	free(ch);
	assert_int_equal(status_of(f->s, shard), SCAN_RUNNING);
	assert_int_equal(status_of(f->s, parent), SCAN_RUNNING);
	assert_int_equal(db_int(f, "SELECT count(*) FROM scan_events"), events);
	assert_int_equal(db_int(f, "SELECT count(*) FROM webhook_deliveries"), deliv);
}

/* The categories scan `id` is listed under in a report of age HOUR_MS, as a
 * bit set by category index. */
static unsigned listed_under(struct store *s, int64_t id)
{
	struct stuck_item *it = NULL;
	unsigned cats = 0;
	size_t n = 0;

	assert_int_equal(store_stuck_report(s, HOUR_MS, 100, 0, &it, &n, NULL, NULL), STORE_OK);
	for (size_t i = 0; i < n; i++)
		if (it[i].id == id)
			cats |= 1u << it[i].category;
	free(it);
	return cats;
}

static unsigned category(const char *name)
{
	int n;
	const struct stuck_category *c = store_stuck_categories(&n);

	for (int i = 0; i < n; i++)
		if (strcmp(c[i].name, name) == 0)
			return 1u << i;
	fail_msg("no category %s", name);
	return 0;
}

static void a_worker_is_live_until_store_worker_dead_ms_without_a_heartbeat(void **state)
{
	struct testutil_store *f = *state;
	int64_t id = submit_one(f->s, NULL, 3, 0), now = scan_now_ms();
	char sql[256];

	snprintf(sql, sizeof sql, "UPDATE scans SET run_after = %lld WHERE id = %lld",
		 (long long)(now - 2 * HOUR_MS), (long long)id);
	db_exec(f, sql);
	snprintf(sql, sizeof sql, "INSERT INTO workers (id, name, host, pid, started_at, heartbeat_at,"
		 " concurrency) VALUES ('w-1@h:1', 'w-1', 'h', 1, %lld, %lld, 1)",
		 (long long)now, (long long)(now - STORE_WORKER_DEAD_MS + 10000));
	db_exec(f, sql);
	assert_int_equal(listed_under(f->s, id), category("backlog"));
	snprintf(sql, sizeof sql, "UPDATE workers SET heartbeat_at = %lld",
		 (long long)(now - STORE_WORKER_DEAD_MS - 10000));
	db_exec(f, sql);
	assert_int_equal(listed_under(f->s, id), category("pending_no_worker"));
}

static void a_renewed_scan_is_over_time_only_stuck_overtime_grace_ms_past_its_limit(void **state)
{
	struct testutil_store *f = *state;
	int64_t id = submit_one(f->s, NULL, 3, 0);	/* a 60 s limit */
	char sql[256];

	claim_one(f->s, id, 600000);
	snprintf(sql, sizeof sql, "UPDATE scans SET claimed_at = %lld WHERE id = %lld",
		 (long long)(scan_now_ms() - 60000 - STUCK_OVERTIME_GRACE_MS + 10000), (long long)id);
	db_exec(f, sql);
	assert_int_equal(listed_under(f->s, id), 0);
	snprintf(sql, sizeof sql, "UPDATE scans SET claimed_at = %lld WHERE id = %lld",
		 (long long)(scan_now_ms() - 60000 - STUCK_OVERTIME_GRACE_MS - 10000), (long long)id);
	db_exec(f, sql);
	assert_int_equal(listed_under(f->s, id), category("over_time_limit"));
}

/* The short report (`scanq stuck`, /health/scheduler): its categories only,
 * with the totals of each summed as that report shows them. */
static size_t brief(struct store *s, int64_t age_ms, int limit, struct stuck_item **it,
		    int64_t *lease, int64_t *pending)
{
	int64_t totals[STUCK_CATEGORIES_MAX];
	int counts[STUCK_CATEGORIES_MAX], ncat;
	const struct stuck_category *cat = store_stuck_categories(&ncat);
	size_t n = 0;

	assert_int_equal(store_stuck_report(s, age_ms, limit, STUCK_REPORT_BRIEF, it, &n, counts,
					    totals), STORE_OK);
	*lease = *pending = 0;
	for (int i = 0; i < ncat; i++) {
		if (!cat[i].brief) {
			assert_int_equal(counts[i], 0);	/* not even read */
			continue;
		}
		if (strcmp(cat[i].brief, "lease_expired") == 0)
			*lease += totals[i];
		else
			*pending += totals[i];
	}
	return n;
}

static void the_short_report_names_overdue_pending_and_expired_running_scans_counted_in_all(void **state)
{
	struct testutil_store *f = *state;
	int64_t waiting = submit_one(f->s, NULL, 3, 0), running = submit_one(f->s, NULL, 3, 0);
	int64_t fresh, fresh2, lease, pending;
	struct stuck_item *it = NULL;
	int ncat;
	const struct stuck_category *cat = store_stuck_categories(&ncat);
	size_t n;

	assert_int_equal(claim_one(f->s, waiting, 1), 1);	/* expires at once */
	assert_int_equal(store_release(f->s, waiting, 1, "test"), STORE_OK);
	assert_int_equal(claim_one(f->s, waiting, 60000), 2);	/* a healthy lease */
	assert_int_equal(claim_one(f->s, running, 1), 1);	/* expires at once */
	fresh = submit_one(f->s, NULL, 3, 0);
	fresh2 = submit_one(f->s, NULL, 3, 0);
	nap_ms(30);
	/* threshold 10 ms: `fresh` and `fresh2` are overdue too; waiting has a
	 * live lease.  Expired leases first, then the pending, oldest first. */
	n = brief(f->s, 10, 100, &it, &lease, &pending);
	assert_int_equal(n, 3);
	assert_int_equal(lease, 1);
	assert_int_equal(pending, 2);
	assert_int_equal(it[0].id, running);
	assert_string_equal(cat[it[0].category].brief, "lease_expired");
	assert_int_equal(it[1].id, fresh);
	assert_string_equal(cat[it[1].category].brief, "pending_too_long");
	assert_int_equal(it[2].id, fresh2);
	free(it);
	/* One of each listed, every one counted. */
	n = brief(f->s, 10, 1, &it, &lease, &pending);
	assert_int_equal(n, 2);
	assert_int_equal(lease, 1);
	assert_int_equal(pending, 2);
	free(it);
	/* a threshold of an hour: only the expired lease */
	n = brief(f->s, HOUR_MS, 100, &it, &lease, &pending);
	assert_int_equal(n, 1);
	assert_int_equal(lease + pending, 1);
	free(it);
	assert_int_equal(store_recover_leases(f->s, 0, NULL, NULL), STORE_OK);
	n = brief(f->s, HOUR_MS, 100, &it, &lease, &pending);
	assert_int_equal(n, 0);
	assert_int_equal(lease + pending, 0);
	free(it);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(stuck_clear_of_a_shard_out_of_attempts_fails_its_parent_and_queues_scan_failed, setup, teardown),
		cmocka_unit_test_setup_teardown(stuck_clear_of_a_shard_with_attempts_left_requeues_it_and_its_parent_waits, setup, teardown),
		cmocka_unit_test_setup_teardown(a_split_parent_waiting_for_its_shards_is_not_stuck, setup, teardown),
		cmocka_unit_test_setup_teardown(stuck_clear_ends_an_overtime_attempt_as_a_timeout_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(a_dry_run_of_a_stuck_shard_lists_the_change_and_writes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(a_worker_is_live_until_store_worker_dead_ms_without_a_heartbeat, setup, teardown),
		cmocka_unit_test_setup_teardown(the_short_report_names_overdue_pending_and_expired_running_scans_counted_in_all, setup, teardown),
		cmocka_unit_test_setup_teardown(a_renewed_scan_is_over_time_only_stuck_overtime_grace_ms_past_its_limit, setup, teardown),
	};

	return teststore_run("test_store_stuck", tests, sizeof tests / sizeof tests[0]);
}
