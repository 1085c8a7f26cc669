/*
 * test_dns.c — the dns scan type's parts that need no server: its options
 * (each refusal a one-line reason), the built-in word list, and answers
 * turned into records (dns_answer.c over libldns), from replies built here
 * byte by byte.  The scan against a real server is tests/integration/scan_dns.sh.
 */
#include "testutil.h"
#include <stdio.h>
#include <string.h>
#include "core/config.h"
#include "dns.h"
#include "targets.h"
#include "scantype.h"

static int check(const char *json, char *msg, size_t len)
{
	json_t *o = json_loads(json, 0, NULL);
	int rc;

	assert_non_null(o);
	msg[0] = '\0';
	rc = dns_options_check(o, msg, len);
	json_decref(o);
	return rc;
}

static void options_are_checked_with_a_reason(void **state)
{
	char err[256], msg[256];

	assert_int_equal(config_load("/dev/null", err, sizeof err), 0);	/* scope: loopback */
	assert_int_equal(check("{}", msg, sizeof msg), 0);
	assert_int_equal(check("{\"resolver\":\"127.0.0.53\",\"rate\":10,\"axfr\":false}", msg, sizeof msg), 0);
	assert_int_equal(check("{\"resolver\":\"[::1]:5353\"}", msg, sizeof msg), 0);
	assert_int_equal(check("{\"resolver\":\"10.0.0.2:53\"}", msg, sizeof msg), -1);
	assert_string_equal(msg, "resolver 10.0.0.2 is out of scope (see [scope] allow in the configuration)");
	assert_int_equal(check("{\"resolver\":\"127.0.0.1:0\"}", msg, sizeof msg), -1);
	assert_string_equal(msg, "resolver '127.0.0.1:0' is not ADDRESS or ADDRESS:PORT");
	/* Two colons or more: an IPv6 address, never ADDRESS:PORT ([::1]:53 is). */
	assert_int_equal(check("{\"resolver\":\"::1:53\"}", msg, sizeof msg), -1);
	assert_string_equal(msg, "resolver ::0.1.0.83 is out of scope (see [scope] allow in the configuration)");
	assert_int_equal(check("{\"resolver\":5}", msg, sizeof msg), -1);
	assert_int_equal(check("{\"wordlist\":\"/nonexistent/x\"}", msg, sizeof msg), -1);
	assert_string_equal(msg, "wordlist '/nonexistent/x' cannot be read: No such file or directory");
	assert_int_equal(check("{\"rate\":0}", msg, sizeof msg), -1);
	assert_string_equal(msg, "option rate must be an integer from 1 to 100000");
	assert_int_equal(check("{\"axfr\":1}", msg, sizeof msg), -1);
	assert_string_equal(msg, "option axfr must be true or false");
	assert_int_equal(check("{\"wordlst\":\"x\"}", msg, sizeof msg), -1);
	assert_non_null(strstr(msg, "unknown option 'wordlst' for dns"));
	/* Keys the system adds itself to a stage's options are accepted. */
	assert_int_equal(check("{\"ports\":\"22\",\"then\":[],\"rate_of_scan\":5}", msg, sizeof msg), 0);
}

static void the_built_in_word_list_is_sorted_unique_and_valid(void **state)
{
	size_t n;
	const char *const *w = dns_names_default(&n);

	assert_non_null(w);
	assert_true(n >= 1000 && n <= 5000);
	for (size_t i = 0; i < n; i++) {
		assert_true(targets_name_valid(w[i]));
		assert_true(strlen(w[i]) <= DNS_LABEL_MAX);
		if (i > 0)
			assert_true(strcmp(w[i - 1], w[i]) < 0);
	}
	assert_ptr_equal(dns_names_default(&n), w);	/* built once */
}

/* Appends a name in wire form. */
static size_t put_name(unsigned char *p, const char *name)
{
	size_t k = 0;

	while (*name) {
		size_t len = strcspn(name, ".");

		p[k++] = (unsigned char)len;
		memcpy(p + k, name, len);
		k += len;
		name += len + (name[len] == '.');
	}
	p[k++] = 0;
	return k;
}

static void an_answer_becomes_text_records(void **state)
{
	unsigned char m[512] = { 0x12, 0x34, 0x84, 0x00, 0, 1, 0, 2, 0, 0, 0, 0 };
	struct dns_rec recs[1];
	long dropped = 0;
	size_t k = 12;
	int rcode;

	k += put_name(m + k, "API.Example.test");
	memcpy(m + k, "\0\1\0\1", 4), k += 4;
	/* api CNAME www.example.test (owner compressed), then www A 127.0.53.10 */
	memcpy(m + k, "\xc0\x0c\0\5\0\1\0\0\1\x2c\0\x12", 12), k += 12;
	k += put_name(m + k, "www.example.test");
	k += put_name(m + k, "www.example.test");
	memcpy(m + k, "\0\1\0\1\0\0\1\x2c\0\4\x7f\0\x35\x0a", 14), k += 14;
	assert_int_equal(dns_answer_records(m, k, recs, 1, &rcode, &dropped), 1);
	assert_int_equal(rcode, 0);
	assert_int_equal(dropped, 1);		/* past the caller's cap: counted */
	assert_string_equal(recs[0].name, "api.example.test");
	assert_string_equal(recs[0].type, "CNAME");
	assert_string_equal(recs[0].value, "www.example.test");
	/* Cut short: not a DNS message. */
	assert_int_equal(dns_answer_records(m, 7, recs, 1, &rcode, &dropped), -1);
}

int main(void)
{
	scantype_config_checks();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(options_are_checked_with_a_reason),
		cmocka_unit_test(the_built_in_word_list_is_sorted_unique_and_valid),
		cmocka_unit_test(an_answer_becomes_text_records),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
