/*
 * test_store_workers.c — what the store does about workers, on SQLite and
 * PostgreSQL (teststore.h): lease expiry and renewal, pruning, the worker
 * registry (one identity per process) and the hand-back of a dead worker's
 * scans.  (The stuck report: test_store_stuck.c.)
 */
#include "core/clock.h"
#include "teststore.h"

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
	assert_int_equal(store_recover_leases(f->s, 0, &rec, NULL), STORE_OK);
	assert_int_equal(rec, 0);	/* not expired yet */
	assert_int_equal(store_queue_status(f->s, &q), STORE_OK);
	assert_int_equal(q.overdue_lease_ms, 0);
	nap_ms(1100);
	/* Expired and not yet recovered: the gauge of ScannerWorkerStuck. */
	assert_int_equal(store_queue_status(f->s, &q), STORE_OK);
	assert_true(q.overdue_lease_ms >= 50 && q.overdue_lease_ms < 60000);
	assert_int_equal(store_recover_leases(f->s, 0, &rec, NULL), STORE_OK);
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
	assert_int_equal(store_recover_leases(f->s, 0, &rec, &failed), STORE_OK);
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
	assert_int_equal(store_recover_leases(f->s, 0, NULL, NULL), STORE_OK);
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
		assert_int_equal(store_recover_leases(f->s, 0, &rec, &failed), STORE_OK);
		assert_int_equal(rec + failed, 0);
		nap_ms(100);
	}
	assert_int_equal(status_of(f->s, id), SCAN_RUNNING);
	assert_int_equal(store_complete(f->s, id, att, NULL, NULL, 0), STORE_OK);
}

/* A SIGSTOP that lands after the recovering process last looked for its own
 * pauses: `since` is 20 s ago.  The lease that expired meanwhile is not
 * judged by a clock that ran on while its worker may have stood still. */
static void a_recovery_that_judges_long_after_its_last_look_makes_the_pause_up_first(void **state)
{
	struct testutil_store *f = *state;
	int64_t paused = submit_one(f->s, NULL, 3, 0), plain = submit_one(f->s, NULL, 3, 0);
	int att = claim_one(f->s, paused, 1), rec = -1, failed = -1;

	nap_ms(20);
	assert_int_equal(store_recover_leases(f->s, clock_mono_ms() - 20000, &rec, &failed),
			 STORE_OK);
	assert_int_equal(rec + failed, 0);
	assert_int_equal(status_of(f->s, paused), SCAN_RUNNING);
	/* The 20 s were made up to the lease: a judgement straight after the
	 * last look still leaves it to its worker, whose result gets in. */
	assert_int_equal(store_recover_leases(f->s, clock_mono_ms(), &rec, &failed), STORE_OK);
	assert_int_equal(rec + failed, 0);
	assert_int_equal(store_complete(f->s, paused, att, NULL, NULL, 0), STORE_OK);
	/* Without a pause an expired lease is recovered as ever. */
	claim_one(f->s, plain, 1);
	nap_ms(20);
	assert_int_equal(store_recover_leases(f->s, clock_mono_ms(), &rec, &failed), STORE_OK);
	assert_int_equal(rec, 1);
	assert_int_equal(status_of(f->s, plain), SCAN_PENDING);
}


/* ---- maintenance ------------------------------------------------------------------- */

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
		assert_int_equal(store_claim(f->s, SCAN_POOL_LOCAL, "w", 6, 60000, &c, &n), STORE_OK);
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
	assert_int_equal(store_claim(f->s, SCAN_POOL_LOCAL, w.id, 1, 30000, &c, &n), STORE_OK);
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
		assert_int_equal(store_claim(f->s, SCAN_POOL_LOCAL, wid, 1, 60000, &c, &n), STORE_OK);
		assert_int_equal(n, 1);
		assert_true(c[0].id == id);
		scan_array_free(c, n);
		assert_int_equal(store_release_worker(f->s, wid, "signal 9", &back), STORE_OK);
		assert_int_equal(back, 1);
		assert_int_equal(status_of(f->s, id), SCAN_PENDING);
	}
	/* Another worker's scan is not touched by a hand-back. */
	assert_int_equal(store_claim(f->s, SCAN_POOL_LOCAL, "w-2@h:9", 2, 60000, &c, &n), STORE_OK);
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


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(an_expired_lease_sends_the_scan_back_to_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(an_expired_lease_with_no_attempts_left_fails_with_worker_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(an_expired_lease_of_a_cancelled_scan_ends_cancelled, setup, teardown),
		cmocka_unit_test_setup_teardown(a_renewed_lease_is_never_recovered_however_long_it_runs, setup, teardown),
		cmocka_unit_test_setup_teardown(a_recovery_that_judges_long_after_its_last_look_makes_the_pause_up_first, setup, teardown),
		cmocka_unit_test_setup_teardown(pruning_deletes_only_old_finished_scans_with_their_events_and_findings, setup, teardown),
		cmocka_unit_test_setup_teardown(a_stopped_worker_is_neither_alive_nor_dead, setup, teardown),
		cmocka_unit_test_setup_teardown(exits_and_heartbeats_touch_one_worker_identity_only, setup, teardown),
		cmocka_unit_test_setup_teardown(a_dead_workers_scans_are_handed_back_without_spending_attempts_up_to_a_limit, setup, teardown),
	};

	return teststore_run("test_store_workers", tests, sizeof tests / sizeof tests[0]);
}
