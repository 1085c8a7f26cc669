/*
 * test_store_stuck.c — the stuck report and `stuck clear` on SQLite and
 * PostgreSQL (teststore.h): a split parent waiting for its shards is never
 * taken for a stuck scan.
 */
#include "teststore.h"

#define HOUR_MS 3600000

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
	assert_int_equal(store_stuck_report(f->s, HOUR_MS, 100, &it, &n, counts), STORE_OK);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(a_split_parent_waiting_for_its_shards_is_not_stuck, setup, teardown),
	};

	return teststore_run("test_store_stuck", tests, sizeof tests / sizeof tests[0]);
}
