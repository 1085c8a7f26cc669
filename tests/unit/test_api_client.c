/*
 * test_api_client.c — who a request comes from (src/api/client.c): the
 * right-most X-Forwarded-For address that is not a trusted proxy, only
 * for a trusted peer; ports and IPv6 brackets read; a malformed entry
 * stops the walk at the last trusted hop.
 */
#include "testutil.h"
#include "api/client.h"
#include "scope.h"

static targets_u128 A(const char *text)
{
	targets_u128 v;

	if (targets_parse_addr(text, &v) < 0)
		fail_msg("bad address %s", text);
	return v;
}

static void the_client_is_the_right_most_untrusted_forwarded_address(void **state)
{
	char err[128];
	struct scope *t = scope_new(NULL, 0, NULL, 0, err, sizeof err);
	targets_u128 proxy = A("127.0.0.2");
	int fwd;

	assert_non_null(t);
	assert_int_equal(scope_exclude_add(t, "127.0.0.2", err, sizeof err), 0);
	assert_int_equal(scope_exclude_add(t, "10.0.0.0/8", err, sizeof err), 0);
	assert_true(client_from(proxy, "203.0.113.7", t, &fwd) == A("203.0.113.7") && fwd);
	assert_true(client_from(proxy, "198.51.100.1, 203.0.113.7, 10.1.1.1", t, &fwd)
		    == A("203.0.113.7"));
	assert_true(client_from(proxy, "203.0.113.7:4431", t, &fwd) == A("203.0.113.7"));
	assert_true(client_from(proxy, " [2001:db8::1]:443 ", t, &fwd) == A("2001:db8::1"));
	assert_true(client_from(proxy, "2001:db8::2", t, &fwd) == A("2001:db8::2"));
	/* malformed: the walk stops at the last good (trusted) hop */
	assert_true(client_from(proxy, "203.0.113.7, unknown, 10.2.2.2", t, &fwd) == A("10.2.2.2"));
	assert_true(client_from(proxy, "203.0.113.7, ", t, &fwd) == proxy && !fwd);
	assert_true(client_from(proxy, "[2001:db8::1", t, &fwd) == proxy && !fwd);
	/* every entry trusted: the left-most */
	assert_true(client_from(proxy, "10.3.3.3, 10.4.4.4", t, &fwd) == A("10.3.3.3"));
	/* no header, or a peer not trusted: the peer */
	assert_true(client_from(proxy, NULL, t, &fwd) == proxy && !fwd);
	assert_true(client_from(A("192.0.2.9"), "203.0.113.7", t, &fwd) == A("192.0.2.9") && !fwd);
	assert_true(client_from(proxy, "203.0.113.7", NULL, &fwd) == proxy && !fwd);
	scope_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_client_is_the_right_most_untrusted_forwarded_address),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
