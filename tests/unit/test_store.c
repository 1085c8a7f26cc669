/*
 * test_store.c — the scan lifecycle through the store, on a real SQLite
 * file and a real PostgreSQL database (teststore.h): the state machine
 * (every allowed and forbidden transition), retries with backoff, fencing
 * of zombie workers, claim order, idempotency and the queue's counts.
 * Leases and workers are in test_store_workers.c, concurrency, migrations
 * and crash safety in test_store_durability.c.
 */
#include "teststore.h"

static const struct scan_failure retryable_fail = { "exit_status", "the scanner exited with status 3",
						     "stderr tail", 1, 1 };
static const struct scan_failure final_fail = { "tool_missing", "nmap is not installed", NULL, 0, 1 };

/* ---- the state machine itself ------------------------------------------- */

static void the_transition_table_is_the_designed_lifecycle(void **state)
{
	/* [from][to] as src/core/scan.c's table draws it. */
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
	assert_int_equal(store_claim(f->s, SCAN_POOL_LOCAL, "w", 10, 30000, &c, &n), STORE_OK);
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
		assert_int_equal(store_claim(f->s, SCAN_POOL_LOCAL, "w", 5, 30000, &c, &n), STORE_OK);
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
	assert_int_equal(store_recover_leases(f->s, 0, &rec, NULL), STORE_OK);
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

	assert_int_equal(store_claim(f->s, SCAN_POOL_LOCAL, "w", 2, 30000, &cl, &n), STORE_OK);
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
		assert_int_equal(store_claim(f->s, SCAN_POOL_LOCAL, "w", 1, 30000, &c, &n), STORE_OK);
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
	assert_int_equal(store_claim(f->s, SCAN_POOL_LOCAL, "w", 3, 30000, &c, &n), STORE_OK);
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


static void a_completion_and_the_next_claim_commit_together(void **state)
{
	struct testutil_store *f = *state;
	int64_t a = submit_one(f->s, NULL, 3, 0), b = submit_one(f->s, NULL, 3, 0);
	int64_t c3 = submit_one(f->s, NULL, 3, 0);
	struct store_completion done[2];
	struct scan *claimed = NULL, *next = NULL;
	size_t n = 0, nn = 0;

	assert_int_equal(store_claim(f->s, SCAN_POOL_LOCAL, "w-1@h:1", 2, 60000, &claimed, &n), STORE_OK);
	assert_int_equal(n, 2);
	done[0] = (struct store_completion){ .id = claimed[0].id, .attempt = claimed[0].attempt };
	/* the second is a zombie's: a wrong attempt, fenced */
	done[1] = (struct store_completion){ .id = claimed[1].id, .attempt = claimed[1].attempt + 5 };
	assert_int_equal(store_complete_and_claim(f->s, done, 2, SCAN_POOL_LOCAL, "w-1@h:1", 5, 60000, &next, &nn),
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
		cmocka_unit_test_setup_teardown(claims_take_priority_first_then_age, setup, teardown),
		cmocka_unit_test_setup_teardown(an_idempotency_key_returns_the_first_scan, setup, teardown),
		cmocka_unit_test_setup_teardown(queue_status_counts_follow_every_transition, setup, teardown),
		cmocka_unit_test_setup_teardown(a_completion_and_the_next_claim_commit_together, setup, teardown),
	};

	return teststore_run("test_store", tests, sizeof tests / sizeof tests[0]);
}
