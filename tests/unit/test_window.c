/*
 * test_window.c — when a maintenance window is open (window_plan()): the
 * occurrence open now or opening next, across Europe/Berlin's daylight
 * saving changes of 2026 (a start in the skipped spring hour opens at the
 * jump; one in the repeated autumn hour opens once; a 9 h working-day
 * window keeps its wall-clock start on both sides of the change); the
 * overlap rule in real time across a change; and the durations accepted
 * and refused.  The scheduler's clock is set with SCANQ_TEST_CLOCK, as the
 * scheduler's own tests set it.
 */
#include <stdlib.h>
#include <time.h>
#include "testutil.h"
#include "core/clock.h"
#include "maintenance/scheduler.h"
#include "maintenance/window.h"
#include "store/store.h"

static int64_t at(const char *iso)
{
	struct tm tm = { 0 };

	if (!strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm))
		fail_msg("bad time in the table: %s", iso);
	return (int64_t)timegm(&tm) * 1000;
}

/* Sets the scheduler's clock to read `iso` now. */
static void now_is(const char *iso)
{
	char v[80];

	snprintf(v, sizeof v, "%lld,%lld,1", (long long)scan_now_ms(), (long long)at(iso));
	setenv("SCANQ_TEST_CLOCK", v, 1);
}

struct row {
	const char *now, *cron, *duration, *opens, *closes;
};

static const struct row table[] = {
	/* Spring 2026-03-29, 02:00 CET -> 03:00 CEST at 01:00 UTC: 02:30
	 * does not exist, the window opens at the jump and lasts its 2 h. */
	{ "2026-03-28T12:00:00Z", "30 2 * * *", "2h", "2026-03-29T01:00:00Z", "2026-03-29T03:00:00Z" },
	{ "2026-03-29T02:00:00Z", "30 2 * * *", "2h", "2026-03-29T01:00:00Z", "2026-03-29T03:00:00Z" },
	{ "2026-03-29T03:00:00Z", "30 2 * * *", "2h", "2026-03-30T00:30:00Z", "2026-03-30T02:30:00Z" },
	/* Autumn 2026-10-25, 03:00 CEST -> 02:00 CET at 01:00 UTC: 02:30
	 * happens twice; the window opens at the first only. */
	{ "2026-10-24T12:00:00Z", "30 2 * * *", "1h", "2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z" },
	{ "2026-10-25T01:00:00Z", "30 2 * * *", "1h", "2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z" },
	{ "2026-10-25T01:30:00Z", "30 2 * * *", "1h", "2026-10-26T01:30:00Z", "2026-10-26T02:30:00Z" },
	/* Working days 08:00 for 9 h: open now on the Friday before the
	 * spring change (CET), next on the Monday after it (CEST). */
	{ "2026-03-27T12:00:00Z", "0 8 * * 1-5", "9h", "2026-03-27T07:00:00Z", "2026-03-27T16:00:00Z" },
	{ "2026-03-28T12:00:00Z", "0 8 * * 1-5", "9h", "2026-03-30T06:00:00Z", "2026-03-30T15:00:00Z" },
	{ "2026-10-23T16:00:00Z", "0 8 * * 1-5", "9h", "2026-10-26T07:00:00Z", "2026-10-26T16:00:00Z" },
	/* A window that has just closed is not open: the next one is planned. */
	{ "2026-03-27T16:00:00Z", "0 8 * * 1-5", "9h", "2026-03-30T06:00:00Z", "2026-03-30T15:00:00Z" },
};

static void test_plan_across_dst(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		const struct row *r = &table[i];
		struct window w;
		char code[32], msg[300];

		now_is(r->now);
		if (window_build("w", r->cron, "Europe/Berlin", r->duration, NULL, NULL, NULL, "test", &w,
				 code, sizeof code, msg, sizeof msg) < 0)
			fail_msg("row %zu: %s", i, msg);
		if (scheduler_from_real(w.opens_at) != at(r->opens)
		    || scheduler_from_real(w.closes_at) != at(r->closes))
			fail_msg("row %zu (%s, '%s' for %s): opens %lld closes %lld, want %s .. %s", i,
				 r->now, r->cron, r->duration,
				 (long long)(scheduler_from_real(w.opens_at) - at(r->opens)) / 1000,
				 (long long)(scheduler_from_real(w.closes_at) - at(r->closes)) / 1000,
				 r->opens, r->closes);
	}
}

static void test_overlap_in_real_time(void **state)
{
	struct window a, b, c;
	char code[32], msg[300], why[200] = "";

	(void)state;
	now_is("2026-03-25T12:00:00Z");
	/* 03:00 CEST and the skipped 02:30 both open at 01:00 UTC on the day
	 * of the change: different wall-clock times, one instant. */
	assert_int_equal(window_build("a", "0 3 29 3 *", "Europe/Berlin", "30m", NULL, NULL, NULL, "t",
				      &a, code, sizeof code, msg, sizeof msg), 0);
	assert_int_equal(window_build("b", "30 2 29 3 *", "Europe/Berlin", "30m", NULL, NULL, NULL, "t",
				      &b, code, sizeof code, msg, sizeof msg), 0);
	assert_int_equal(window_overlap(&a, &b, why, sizeof why), 1);
	assert_non_null(strstr(why, "both are open at"));
	/* 01:00 UTC for an hour meets a 02:30 Berlin slot on the 28th (01:30 UTC). */
	assert_int_equal(window_build("c", "0 1 * * *", "UTC", "1h", NULL, NULL, NULL, "t", &c, code,
				      sizeof code, msg, sizeof msg), 0);
	assert_int_equal(window_overlap(&a, &c, why, sizeof why), 1);
	/* Touching is not overlapping: 01:00-01:30 UTC and 01:30 UTC for 30m. */
	assert_int_equal(window_build("c", "30 1 29 3 *", "UTC", "30m", NULL, NULL, NULL, "t", &c,
				      code, sizeof code, msg, sizeof msg), 0);
	assert_int_equal(window_overlap(&a, &c, why, sizeof why), 0);
}

static void test_scopes(void **state)
{
	struct window a = { 0 }, b = { 0 };

	(void)state;
	snprintf(a.targets, sizeof a.targets, "10.0.0.0/8");
	snprintf(b.targets, sizeof b.targets, "10.2.3.0/24,192.168.0.1");
	assert_int_equal(window_scopes_meet(&a, &b), 1);
	snprintf(b.targets, sizeof b.targets, "11.0.0.0/8");
	assert_int_equal(window_scopes_meet(&a, &b), 0);
	b.targets[0] = '\0';			/* every target */
	assert_int_equal(window_scopes_meet(&a, &b), 1);
	snprintf(a.pool, sizeof a.pool, "dmz");
	snprintf(b.pool, sizeof b.pool, "lab");
	assert_int_equal(window_scopes_meet(&a, &b), 0);
	assert_int_equal(window_holds(&a, "dmz", "[\"10.1.1.1\"]"), 1);
	assert_int_equal(window_holds(&a, "dmz", "[\"11.1.1.1\", \"example.com\"]"), 0);
	assert_int_equal(window_holds(&a, "lab", "[\"10.1.1.1\"]"), 0);
	assert_int_equal(window_holds(&b, "lab", "[\"example.com\"]"), 1);	/* pool only */
}

static void test_durations(void **state)
{
	(void)state;
	assert_int_equal(window_parse_duration("9h"), 9 * 3600000LL);
	assert_int_equal(window_parse_duration("90m"), 90 * 60000LL);
	assert_int_equal(window_parse_duration("1h30m"), 90 * 60000LL);
	assert_int_equal(window_parse_duration("5s"), 5000);
	assert_int_equal(window_parse_duration("31d"), 31 * 86400000LL);
	assert_int_equal(window_parse_duration("32d"), -1);
	assert_int_equal(window_parse_duration("0h"), -1);
	assert_int_equal(window_parse_duration("-1h"), -1);
	assert_int_equal(window_parse_duration("9"), -1);
	assert_int_equal(window_parse_duration("h"), -1);
	assert_int_equal(window_parse_duration("9x"), -1);
	assert_int_equal(window_parse_duration(""), -1);
	assert_int_equal(window_parse_duration("99999999999999999999h"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_across_dst),
		cmocka_unit_test(test_overlap_in_real_time),
		cmocka_unit_test(test_scopes),
		cmocka_unit_test(test_durations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
