/*
 * test_cron.c — the cron parser and next-firing table: month ends, leap
 * days, steps, names, Vixie's day rule, daylight saving in Europe/Berlin
 * and America/New_York (a gap fires once at the jump, a repeated hour
 * fires once), and expressions refused with the field named.
 */
#include <time.h>
#include "testutil.h"
#include "core/cron.h"

static int64_t at(const char *iso)
{
	struct tm tm = { 0 };

	if (!strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm))
		fail_msg("bad time in the table: %s", iso);
	return (int64_t)timegm(&tm) * 1000;
}

static const char *fmt(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms < 0)
		return "never";
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

struct row {
	const char *expr, *tz, *after, *next;
};

static const struct row table[] = {
	/* month ends and leap days */
	{ "0 0 31 * *", "UTC", "2024-04-01T00:00:00Z", "2024-05-31T00:00:00Z" },
	{ "0 0 29 2 *", "UTC", "2024-03-01T00:00:00Z", "2028-02-29T00:00:00Z" },
	{ "0 0 29 2 *", "UTC", "2023-12-31T23:59:59Z", "2024-02-29T00:00:00Z" },
	{ "59 23 28-31 2 *", "UTC", "2023-02-28T23:59:00Z", "2024-02-28T23:59:00Z" },
	{ "0 0 30 2 *", "UTC", "2024-01-01T00:00:00Z", NULL },	/* never */
	/* steps, ranges, lists */
	{ "*/15 * * * *", "UTC", "2024-01-01T10:07:00Z", "2024-01-01T10:15:00Z" },
	{ "*/15 * * * *", "UTC", "2024-01-01T10:15:00Z", "2024-01-01T10:30:00Z" },
	{ "5/20 * * * *", "UTC", "2024-01-01T10:06:00Z", "2024-01-01T10:25:00Z" },
	{ "0 8-18/5 * * *", "UTC", "2024-01-01T13:00:00Z", "2024-01-01T18:00:00Z" },
	{ "1,2,58 * * * *", "UTC", "2024-01-01T10:03:00Z", "2024-01-01T10:58:00Z" },
	{ "* * * * *", "UTC", "2024-12-31T23:59:30Z", "2025-01-01T00:00:00Z" },
	/* names, and 7 is Sunday */
	{ "0 9 * jan-mar mon-fri", "UTC", "2024-03-29T09:00:00Z", "2025-01-01T09:00:00Z" },
	{ "0 9 * * SAT", "UTC", "2024-01-01T00:00:00Z", "2024-01-06T09:00:00Z" },
	{ "0 0 * * 7", "UTC", "2024-01-01T00:00:00Z", "2024-01-07T00:00:00Z" },
	{ "@monthly", "UTC", "2024-01-15T00:00:00Z", "2024-02-01T00:00:00Z" },
	/* Vixie: both restricted -> either; one starting with '*' -> both */
	{ "0 0 1,15 * mon", "UTC", "2024-01-02T00:00:00Z", "2024-01-08T00:00:00Z" },
	{ "0 0 */2 * mon", "UTC", "2024-01-01T00:00:00Z", "2024-01-15T00:00:00Z" },
	{ "0 0 13 * *", "UTC", "2024-01-14T00:00:00Z", "2024-02-13T00:00:00Z" },
	/* zones without DST on the way */
	{ "0 2 * * *", "Europe/Berlin", "2024-01-10T12:00:00Z", "2024-01-11T01:00:00Z" },
	{ "0 2 * * *", "Europe/Berlin", "2024-07-10T12:00:00Z", "2024-07-11T00:00:00Z" },
	/* Berlin spring 2024-03-31: 02:00 CET -> 03:00 CEST at 01:00 UTC.  A slot
	 * in the gap fires at the jump, once; the next day is normal. */
	{ "30 2 * * *", "Europe/Berlin", "2024-03-30T02:00:00Z", "2024-03-31T01:00:00Z" },
	{ "30 2 * * *", "Europe/Berlin", "2024-03-31T01:00:00Z", "2024-04-01T00:30:00Z" },
	{ "*/15 * * * *", "Europe/Berlin", "2024-03-31T00:50:00Z", "2024-03-31T01:00:00Z" },
	{ "*/15 * * * *", "Europe/Berlin", "2024-03-31T01:00:00Z", "2024-03-31T01:15:00Z" },
	/* Berlin autumn 2024-10-27: 03:00 CEST -> 02:00 CET at 01:00 UTC.  02:30
	 * happens twice and fires once, at its first occurrence. */
	{ "30 2 * * *", "Europe/Berlin", "2024-10-26T12:00:00Z", "2024-10-27T00:30:00Z" },
	{ "30 2 * * *", "Europe/Berlin", "2024-10-27T00:30:00Z", "2024-10-28T01:30:00Z" },
	/* New York spring 2024-03-10: 02:00 EST -> 03:00 EDT at 07:00 UTC */
	{ "30 2 * * *", "America/New_York", "2024-03-09T12:00:00Z", "2024-03-10T07:00:00Z" },
	{ "30 2 * * *", "America/New_York", "2024-03-10T07:00:00Z", "2024-03-11T06:30:00Z" },
	{ "0 3 * * *", "America/New_York", "2024-03-09T12:00:00Z", "2024-03-10T07:00:00Z" },
	/* New York autumn 2024-11-03: 02:00 EDT -> 01:00 EST at 06:00 UTC */
	{ "30 1 * * *", "America/New_York", "2024-11-02T12:00:00Z", "2024-11-03T05:30:00Z" },
	{ "30 1 * * *", "America/New_York", "2024-11-03T05:30:00Z", "2024-11-04T06:30:00Z" },
	{ "0 * * * *", "America/New_York", "2024-11-03T05:00:00Z", "2024-11-03T07:00:00Z" },
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		const struct row *r = &table[i];
		struct cron c;
		char err[160], got[40], want[40];
		int64_t n;

		if (cron_parse(r->expr, &c, err, sizeof err) < 0)
			fail_msg("'%s' refused: %s", r->expr, err);
		n = cron_next(&c, r->tz, at(r->after));
		if (!r->next) {
			if (n != -1)
				fail_msg("'%s' after %s: %s, want never", r->expr, r->after,
					 fmt(n, got, sizeof got));
			continue;
		}
		if (n != at(r->next))
			fail_msg("'%s' in %s after %s: %s, want %s", r->expr, r->tz, r->after,
				 fmt(n, got, sizeof got), fmt(at(r->next), want, sizeof want));
	}
}

/* Walking a whole DST year minute by minute: every local wall-clock slot
 * of an every-30-minutes expression fires once, and no instant twice. */
static void test_no_double_over_a_year(void **state)
{
	const char *zones[] = { "Europe/Berlin", "America/New_York" };
	struct cron c;
	char err[160];

	(void)state;
	assert_int_equal(cron_parse("*/30 * * * *", &c, err, sizeof err), 0);
	for (size_t z = 0; z < 2; z++) {
		int64_t t = at("2024-01-01T00:00:00Z"), end = at("2025-01-01T00:00:00Z");
		int n = 0;

		while (t < end) {
			int64_t next = cron_next(&c, zones[z], t);

			assert_true(next > t);
			t = next;
			n++;
		}
		/* 366 days x 48 wall-clock slots, each once: the repeated hour adds
		 * none; in the gap 02:00, 02:30 and 03:00 fire once, at the jump. */
		assert_int_equal(n, 366 * 48 - 2);
	}
}

struct bad {
	const char *expr, *want;
};

static const struct bad bad[] = {
	{ "", "empty" },
	{ "* * * *", "4 fields given, 5 needed" },
	{ "* * * * * *", "more than 5 fields" },
	{ "60 * * * *", "minute field: 60 is out of range 0-59" },
	{ "* 24 * * *", "hour field: 24 is out of range 0-23" },
	{ "* * 0 * *", "day-of-month field: 0 is out of range 1-31" },
	{ "* * 32 * *", "day-of-month field" },
	{ "* * * 13 *", "month field: 13 is out of range 1-12" },
	{ "* * * foo *", "month field: 'foo' is not a number or a name" },
	{ "* * * * 8", "day-of-week field: 8 is out of range 0-7" },
	{ "* * * * fry", "day-of-week field: 'fry'" },
	{ "*/0 * * * *", "minute field: step must be 1-60" },
	{ "5-1 * * * *", "minute field: range 5-1 runs backwards" },
	{ "1,,2 * * * *", "minute field" },
	{ "* * * jan-x *", "month field" },
	{ "1x * * * *", "minute field: unexpected 'x'" },
	{ "99999999999999 * * * *", "minute field" },
	{ "@sometimes", "unknown shortcut" },
	{ "mon * * * *", "minute field: 'mon' is not a number" },
};

static void test_refused(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct cron c;
		char err[160] = "";

		if (cron_parse(bad[i].expr, &c, err, sizeof err) == 0)
			fail_msg("'%s' accepted", bad[i].expr);
		if (!strstr(err, bad[i].want))
			fail_msg("'%s': \"%s\" does not say \"%s\"", bad[i].expr, err, bad[i].want);
	}
}

static void test_zones(void **state)
{
	char err[160];

	(void)state;
	assert_int_equal(cron_tz_check("UTC", err, sizeof err), 0);
	assert_int_equal(cron_tz_check("Europe/Berlin", err, sizeof err), 0);
	assert_int_equal(cron_tz_check("America/New_York", err, sizeof err), 0);
	assert_int_equal(cron_tz_check("Mars/Olympus", err, sizeof err), -1);
	assert_non_null(strstr(err, "unknown time zone"));
	assert_int_equal(cron_tz_check("../../etc/passwd", err, sizeof err), -1);
	assert_int_equal(cron_tz_check("/etc/localtime", err, sizeof err), -1);
	assert_int_equal(cron_tz_check("", err, sizeof err), -1);
	assert_int_equal(cron_tz_check("Europe", err, sizeof err), -1);	/* a folder */
	assert_int_equal(cron_tz_offset("Europe/Berlin", at("2024-01-01T00:00:00Z")), 3600);
	assert_int_equal(cron_tz_offset("Europe/Berlin", at("2024-07-01T00:00:00Z")), 7200);
	assert_int_equal(cron_tz_offset("America/New_York", at("2024-07-01T00:00:00Z")), -4 * 3600);
	{
		struct cron c;

		assert_int_equal(cron_parse("* * * * *", &c, err, sizeof err), 0);
		assert_int_equal(cron_next(&c, "Mars/Olympus", 0), -1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_no_double_over_a_year),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_zones),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
