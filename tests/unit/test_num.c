/*
 * test_num.c — the strict number and duration parsers that read what
 * people type (flags, query strings): the whole string or nothing.
 */
#include "testutil.h"
#include "core/num.h"

static void test_integers(void **state)
{
	long long v = 7;

	(void)state;
	assert_int_equal(num_parse("42", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(num_parse("-5", -10, 10, &v), 0);
	assert_int_equal(v, -5);
	v = 7;
	const char *bad[] = { "", " 5", "+5", "5x", "5 ", "1e3", "101", "-11",
			      "99999999999999999999999", NULL };
	for (int i = 0; bad[i]; i++)
		assert_int_equal(num_parse(bad[i], -10, 100, &v), -1);
	assert_int_equal(num_parse(NULL, 0, 1, &v), -1);
	assert_int_equal(v, 7);	/* untouched on error */
}

static void test_durations(void **state)
{
	(void)state;
	assert_int_equal(num_parse_duration_ms("45s"), 45000LL);
	assert_int_equal(num_parse_duration_ms("90m"), 5400000LL);
	assert_int_equal(num_parse_duration_ms("9h"), 32400000LL);
	assert_int_equal(num_parse_duration_ms("30d"), 2592000000LL);
	assert_int_equal(num_parse_duration_ms("3650d"), 3650LL * 86400000);
	assert_int_equal(num_parse_duration_ms("1h30m"), 5400000LL);
	assert_int_equal(num_parse_duration_ms("3649d24h"), 3650LL * 86400000);
	const char *bad[] = { "", "h", "9", "0h", "-1h", "1.5h", "9 h", " 9h", "9H",
			      "9w", "3651d", "87601h", "9hh", "3650d1s", "1h30", "h30m", NULL };
	for (int i = 0; bad[i]; i++)
		assert_int_equal(num_parse_duration_ms(bad[i]), -1);
	assert_int_equal(num_parse_duration_ms(NULL), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_durations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
