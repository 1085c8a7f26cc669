/*
 * test_store_ratecap.c — rate caps per network in the store, on SQLite and
 * PostgreSQL: `ratecap set|rm|list` and their refusals, and the budgets
 * (store_rate_take()): the slices of one second never add up to more than
 * the cap, whoever takes them; a taker that died holding the whole second
 * costs the others that second only; a scan counts against its most
 * specific network, not the wider ones; an uncapped scan takes nothing.
 */
#include "teststore.h"
#include "core/clock.h"
#include "ratecap.h"

#define T10 "[\"10.2.0.0/24\"]"	/* inside 10.0.0.0/8 only */

/* Waits, if need be, for a second with at least `ms` left, so a test's
 * takes all fall in one second of the database's clock. */
static void fresh_second(struct store *s, const char *targets, int ms)
{
	struct rate_grant g;

	assert_int_equal(store_rate_take(s, targets, 0, &g), STORE_OK);
	assert_true(g.capped);
	if (g.ms_left < ms)
		nap_ms((int)g.ms_left + 20);
}

static void bad_caps_are_refused_with_one_line_and_change_nothing(void **state)
{
	struct testutil_store *f = *state;
	const char *nets[] = { "10.0.0.0/33", "example.com", "10.0.0.1-5", "", "300.1.1.1" };

	for (size_t i = 0; i < sizeof nets / sizeof nets[0]; i++) {
		assert_int_equal(store_ratecap_set(f->s, nets[i], 100, "t"), STORE_ILLEGAL);
		assert_non_null(strstr(store_error(f->s), "bad network"));
	}
	assert_int_equal(store_ratecap_set(f->s, "10.0.0.0/8", 0, "t"), STORE_ILLEGAL);
	assert_non_null(strstr(store_error(f->s), "must be 1..10000000"));
	assert_int_equal(store_ratecap_set(f->s, "10.0.0.0/8", 10000001, "t"), STORE_ILLEGAL);
	assert_int_equal(store_ratecap_rm(f->s, "10.9.0.0/16"), STORE_NOT_FOUND);
	assert_non_null(strstr(store_error(f->s), "no rate cap for 10.9.0.0/16"));
	assert_int_equal(db_int(f, "SELECT count(*) FROM rate_caps"), 0);
}

static void set_replaces_a_networks_cap_and_rm_removes_it(void **state)
{
	struct testutil_store *f = *state;
	struct ratecap_row *rows = NULL;
	size_t n = 0;

	assert_int_equal(store_ratecap_set(f->s, "10.7.7.7/8", 2000, "cli:ana"), STORE_OK);
	assert_int_equal(store_ratecap_set(f->s, "10.0.0.0/8", 1500, "cli:bo"), STORE_OK);
	assert_int_equal(store_ratecap_set(f->s, "2001:db8::/32", 50, "cli:bo"), STORE_OK);
	assert_int_equal(store_ratecap_list(f->s, &rows, &n), STORE_OK);
	assert_int_equal(n, 2);
	assert_string_equal(rows[0].network, "10.0.0.0/8");
	assert_int_equal(rows[0].probes, 1500);
	assert_string_equal(rows[0].created_by, "cli:bo");
	assert_string_equal(rows[1].network, "2001:db8::/32");
	free(rows);
	assert_int_equal(store_ratecap_rm(f->s, "10.1.2.3/8"), STORE_OK);	/* the same network */
	assert_int_equal(db_int(f, "SELECT count(*) FROM rate_caps"), 1);
}

static void the_slices_of_one_second_never_pass_the_cap_whoever_takes_them(void **state)
{
	struct testutil_store *f = *state;
	char err[256];
	struct store *other = store_open(f->url, err, sizeof err);
	struct rate_grant g;
	long long window = -1, total = 0;

	assert_non_null(other);
	assert_int_equal(store_ratecap_set(f->s, "10.0.0.0/8", 1000, "t"), STORE_OK);
	fresh_second(f->s, T10, 700);
	for (int i = 0; i < 12; i++) {
		assert_int_equal(store_rate_take(i % 2 ? other : f->s, T10, 125, &g), STORE_OK);
		assert_true(g.capped);
		assert_int_equal(g.cap, 1000);
		assert_true(g.ms_left >= 0 && g.ms_left <= 1000);
		if (window < 0)
			window = g.window;
		assert_int_equal(g.window, window);	/* all in one second */
		assert_true(g.probes == 125 || (total >= 875 && g.probes == 1000 - total));
		total += g.probes;
	}
	assert_int_equal(total, 1000);
	assert_int_equal(store_rate_take(other, T10, 1, &g), STORE_OK);
	assert_int_equal(g.probes, 0);
	store_close(other);
}

static void a_dead_takers_second_ends_and_the_next_one_is_whole(void **state)
{
	struct testutil_store *f = *state;
	char err[256];
	struct store *dead = store_open(f->url, err, sizeof err);
	struct rate_grant g;
	int64_t t0;

	assert_non_null(dead);
	assert_int_equal(store_ratecap_set(f->s, "10.0.0.0/8", 400, "t"), STORE_OK);
	fresh_second(f->s, T10, 300);
	/* A worker takes the whole second and dies (its handle is gone). */
	assert_int_equal(store_rate_take(dead, T10, 400, &g), STORE_OK);
	assert_int_equal(g.probes, 400);
	store_close(dead);
	assert_int_equal(store_rate_take(f->s, T10, 50, &g), STORE_OK);
	assert_int_equal(g.probes, 0);
	/* Nothing is returned by hand: within the rest of the second (and a
	 * little), the others get their slices again. */
	t0 = clock_mono_ms();
	do {
		nap_ms(20);
		assert_int_equal(store_rate_take(f->s, T10, 50, &g), STORE_OK);
	} while (g.probes == 0 && clock_mono_ms() - t0 < 1500);
	assert_int_equal(g.probes, 50);
	assert_true(clock_mono_ms() - t0 <= 1100);
}

static void a_scan_counts_against_its_most_specific_network_only(void **state)
{
	struct testutil_store *f = *state;
	struct rate_grant g;

	assert_int_equal(store_ratecap_set(f->s, "10.0.0.0/8", 300, "t"), STORE_OK);
	assert_int_equal(store_ratecap_set(f->s, "10.1.0.0/16", 100, "t"), STORE_OK);
	assert_int_equal(store_ratecap_set(f->s, "0.0.0.0/0", 5000, "t"), STORE_OK);
	fresh_second(f->s, "[\"10.1.2.3\"]", 500);
	assert_int_equal(store_rate_take(f->s, "[\"10.1.2.3\"]", 1000, &g), STORE_OK);
	assert_int_equal(g.cap, 100);
	assert_true(g.probes >= 99 && g.probes <= 100);	/* the first look took one */
	/* 10.0.0.0/8 and 0.0.0.0/0 were not touched by it. */
	assert_int_equal(store_rate_take(f->s, T10, 1000, &g), STORE_OK);
	assert_int_equal(g.cap, 300);
	assert_int_equal(g.probes, 300);
	assert_int_equal(store_rate_take(f->s, "[\"192.0.2.1\"]", 1000, &g), STORE_OK);
	assert_int_equal(g.cap, 5000);
	assert_int_equal(g.probes, 1000);
	/* Targets in two networks: the smaller grant of the two. */
	assert_int_equal(store_rate_take(f->s, "[\"10.1.0.9\", \"192.0.2.2\"]", 1000, &g), STORE_OK);
	assert_int_equal(g.probes, 0);
}

static void a_scan_outside_every_cap_takes_nothing(void **state)
{
	struct testutil_store *f = *state;
	struct rate_grant g;

	nap_ms(1100);	/* the caps of the test before, read within the second, are gone */
	assert_int_equal(store_rate_take(f->s, "[\"127.0.0.1\"]", 10, &g), STORE_OK);
	assert_false(g.capped);
	assert_int_equal(store_ratecap_set(f->s, "10.0.0.0/8", 300, "t"), STORE_OK);
	assert_int_equal(store_rate_take(f->s, "[\"127.0.0.1\", \"::1\"]", 10, &g), STORE_OK);
	assert_false(g.capped);
	assert_int_equal(g.probes, 0);
	assert_int_equal(db_int(f, "SELECT count(*) FROM rate_budget"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(bad_caps_are_refused_with_one_line_and_change_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(set_replaces_a_networks_cap_and_rm_removes_it, setup, teardown),
		cmocka_unit_test_setup_teardown(the_slices_of_one_second_never_pass_the_cap_whoever_takes_them, setup, teardown),
		cmocka_unit_test_setup_teardown(a_dead_takers_second_ends_and_the_next_one_is_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(a_scan_counts_against_its_most_specific_network_only, setup, teardown),
		cmocka_unit_test_setup_teardown(a_scan_outside_every_cap_takes_nothing, setup, teardown),
	};

	return teststore_run("test_store_ratecap", tests, sizeof tests / sizeof tests[0]);
}
