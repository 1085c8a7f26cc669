/*
 * test_api_uri.c — the control-character check of the raw request target
 * (src/api/uri.h): what it refuses, what it lets through, and the part
 * its reason names.  The HTTP side (every route answers 400
 * invalid_parameter) is tests/integration/api_bad_input.sh.
 */
#include "testutil.h"
#include "api/uri.h"

/* uri_check(uri) refuses it with a reason containing `names`. */
static void refused(const char *uri, const char *names)
{
	char why[160];

	if (uri_check(uri, why, sizeof why) != -1)
		fail_msg("'%s' was let through", uri);
	if (!strstr(why, names))
		fail_msg("'%s': the reason \"%s\" does not say %s", uri, why, names);
	for (const char *p = why; *p; p++)
		assert_true(*p >= 0x20 && *p < 0x7f);
}

static void passes(const char *uri)
{
	char why[160] = "x";

	if (uri_check(uri, why, sizeof why) != 0)
		fail_msg("'%s' was refused: %s", uri, why);
	assert_string_equal(why, "");
}

static void test_every_control_character_is_refused_in_a_value(void **state)
{
	char uri[64];

	for (int c = 0; c < 0x80; c++) {
		snprintf(uri, sizeof uri, "/api/v1/scans?cursor=1%%%02X2", c);
		if (c < 0x20 || c == 0x7f)
			refused(uri, "query parameter 'cursor'");
		else
			passes(uri);
	}
}

static void test_a_nul_no_longer_cuts_a_value_short(void **state)
{
	refused("/api/v1/scans?cursor=%00%01", "'cursor' holds a control character (%00)");
	refused("/api/v1/scans?status=%00x", "'status'");
	refused("/api/v1/scans?limit=5%00abc", "'limit'");
}

static void test_a_control_character_in_a_name_is_refused_and_shown_as_a_question_mark(
	void **state)
{
	refused("/api/v1/scans?sta%00tus=pending", "query parameter 'sta?tus'");
	refused("/api/v1/scans?limit=5&%7f", "query parameter '?'");
	refused("/api/v1/scans?x%1f", "'x?'");
	refused("/api/v1/scans?a=1&b%0a=2&c=3", "'b?'");
}

static void test_the_path_is_checked_before_the_query(void **state)
{
	refused("/api/v1/scans%00", "the path holds a control character (%00)");
	refused("/api/v1/scans/1%7F/findings?limit=%00", "the path");
	refused("/api/v1/scans%2f1%01", "the path");
	refused("/healthz\x01", "the path holds a control character (%01)");
}

static void test_bytes_sent_as_they_are_count_like_escaped_ones(void **state)
{
	refused("/api/v1/scans?limit=5\x1f", "'limit'");
	refused("/api/v1/scans?\tx=1", "'?x'");
	refused("/api/v1/scans?x=\x7f", "'x'");
}

/* libmicrohttpd splits at '&' and '=' before it decodes, and decodes only
 * "%HH" with two hex digits: so does the check. */
static void test_decoding_is_libmicrohttpds(void **state)
{
	passes("/api/v1/scans?limit=5%0");		/* not an escape: '%', '0' */
	passes("/api/v1/scans?x=%0&y=%1");
	passes("/api/v1/scans?x=%0g%1G");
	passes("/api/v1/scans?x=%%41");
	passes("/api/v1/scans?x=%26%3d&y=%3D");	/* an escaped '&' or '=' is data */
	passes("/api/v1/scans?target=caf%C3%A9&q=%e2%82%ac+x");
	passes("/api/v1/scans?a&b=&=c&&");
	passes("/api/v1/scans?");
	passes("/");
	passes("");
	refused("/api/v1/scans?x=%0%01", "'x'");
	refused("/api/v1/scans?x=%2%00", "'x'");
}

static void test_a_long_name_is_cut_in_the_reason(void **state)
{
	char uri[400], why[160];

	snprintf(uri, sizeof uri, "/x?%0300d=%%00", 0);
	assert_int_equal(uri_check(uri, why, sizeof why), -1);
	assert_non_null(strstr(why, "..."));
	assert_true(strlen(why) < 120);
	assert_int_equal(uri_check(uri, why, 8), -1);	/* a short buffer is cut, not overrun */
	assert_int_equal(strlen(why), 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_control_character_is_refused_in_a_value),
		cmocka_unit_test(test_a_nul_no_longer_cuts_a_value_short),
		cmocka_unit_test(test_a_control_character_in_a_name_is_refused_and_shown_as_a_question_mark),
		cmocka_unit_test(test_the_path_is_checked_before_the_query),
		cmocka_unit_test(test_bytes_sent_as_they_are_count_like_escaped_ones),
		cmocka_unit_test(test_decoding_is_libmicrohttpds),
		cmocka_unit_test(test_a_long_name_is_cut_in_the_reason),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
