/*
 * test_tls.c — the pieces of the tls scan that read bytes from servers:
 * the raw ClientHello says what it offers (version, suites, SNI) in a
 * well-formed record, a TLS 1.3 one asks for 1.3 alone without a key
 * share, the ServerHello parser takes the server's choice or
 * its refusal and never reads past what arrived, and the SMTP reply
 * parser of STARTTLS.  (The scan itself is tested against real s_server
 * instances in tests/integration/scan_tls.sh.)
 */
#include "testutil.h"
#include "tls.h"
#include "tls_hello.h"

static void a_client_hello_offers_the_version_suites_and_name_given(void **state)
{
	static const uint16_t suites[] = { 0x0005, 0x000a };
	unsigned char b[TLS_HELLO_MAX];
	size_t n = tls_hello_build(b, sizeof b, TLS_HELLO_TLS11, suites, 2, "example.test");

	assert_true(n > 50);
	assert_int_equal(b[0], 0x16);				/* handshake record */
	assert_int_equal((size_t)(b[3] << 8 | b[4]), n - 5);	/* record length */
	assert_int_equal(b[5], 0x01);				/* client_hello */
	assert_int_equal((size_t)(b[6] << 16 | b[7] << 8 | b[8]), n - 9);
	assert_int_equal(b[9] << 8 | b[10], TLS_HELLO_TLS11);
	assert_int_equal(b[43], 0);				/* no session id */
	assert_int_equal(b[44] << 8 | b[45], 4);		/* two suites */
	assert_int_equal(b[46] << 8 | b[47], 0x0005);
	assert_int_equal(b[48] << 8 | b[49], 0x000a);
	assert_non_null(memmem(b, n, "example.test", 12));
}

static void an_ssl3_hello_has_no_extensions_and_a_hello_too_big_is_refused(void **state)
{
	static const uint16_t suites[] = { 0x0005 };
	unsigned char b[TLS_HELLO_MAX];
	size_t n = tls_hello_build(b, sizeof b, TLS_HELLO_SSL3, suites, 1, "example.test");

	/* record 5 + handshake 4 + version 2 + random 32 + sid 1 + suites 4 + compression 2 */
	assert_int_equal(n, 50);
	assert_int_equal(b[1] << 8 | b[2], TLS_HELLO_SSL3);
	assert_null(memmem(b, n, "example.test", 12));
	assert_int_equal(tls_hello_build(b, 40, TLS_HELLO_TLS12, suites, 1, NULL), 0);
}

/* The body of extension `type` in a TLS ClientHello record of n bytes
 * (no session id), and its length in *len; NULL when it is not there. */
static const unsigned char *ext_of(const unsigned char *b, size_t n, int type, size_t *len)
{
	size_t off = 44, end;

	off += 2 + (size_t)(b[off] << 8 | b[off + 1]);		/* suites */
	off += 1 + b[off];					/* compression */
	end = off + 2 + (size_t)(b[off] << 8 | b[off + 1]);
	assert_int_equal(end, n);
	for (off += 2; off + 4 <= end; off += 4 + *len) {
		*len = (size_t)(b[off + 2] << 8 | b[off + 3]);
		if ((b[off] << 8 | b[off + 1]) == type)
			return b + off + 4;
	}
	return NULL;
}

static void a_tls13_hello_says_1_2_offers_1_3_alone_and_no_key_share(void **state)
{
	unsigned char b[TLS_HELLO_MAX];
	size_t n = tls_hello_build(b, sizeof b, TLS_HELLO_TLS13, tls_hello_tls13, tls_hello_ntls13, "example.test"), len;
	const unsigned char *e;

	assert_true(n > 50);
	assert_int_equal((size_t)(b[3] << 8 | b[4]), n - 5);
	assert_int_equal(b[9] << 8 | b[10], TLS_HELLO_TLS12);	/* legacy_version (RFC 8446 4.1.2) */
	assert_int_equal(b[44] << 8 | b[45], 6);		/* the three TLS 1.3 suites */
	assert_int_equal(b[46] << 8 | b[47], 0x1302);
	e = ext_of(b, n, 0x002b, &len);				/* supported_versions: 1.3 alone */
	assert_non_null(e);
	assert_int_equal(len, 3);
	assert_int_equal(e[0], 2);
	assert_int_equal(e[1] << 8 | e[2], TLS_HELLO_TLS13);
	e = ext_of(b, n, 0x0033, &len);				/* key_share: an empty list */
	assert_non_null(e);
	assert_int_equal(len, 2);
	assert_int_equal(e[0] << 8 | e[1], 0);
	assert_non_null(ext_of(b, n, 0x000d, &len));		/* signature_algorithms */
	assert_null(ext_of(b, n, 0xff01, &len));		/* no renegotiation in 1.3 */
	/* A TLS 1.2 hello has neither 1.3 extension. */
	n = tls_hello_build(b, sizeof b, TLS_HELLO_TLS12, tls_hello_common, tls_hello_ncommon, NULL);
	assert_null(ext_of(b, n, 0x002b, &len));
	assert_null(ext_of(b, n, 0x0033, &len));
	assert_non_null(ext_of(b, n, 0xff01, &len));
}

static void an_answer_counts_at_the_version_asked_and_1_3_by_its_suite(void **state)
{
	assert_true(tls_hello_answered_at(TLS_HELLO_TLS12, TLS_HELLO_TLS12, 0x002f));
	assert_false(tls_hello_answered_at(TLS_HELLO_TLS11, TLS_HELLO_TLS10, 0x002f));
	/* A 1.3 server answers 1.2 in the version field, with a 1.3 suite. */
	assert_true(tls_hello_answered_at(TLS_HELLO_TLS13, TLS_HELLO_TLS12, 0x1301));
	assert_true(tls_hello_answered_at(TLS_HELLO_TLS13, TLS_HELLO_TLS12, 0x1303));
	assert_false(tls_hello_answered_at(TLS_HELLO_TLS13, TLS_HELLO_TLS12, 0x002f));
	assert_false(tls_hello_answered_at(TLS_HELLO_TLS13, TLS_HELLO_TLS11, 0x1301));
	assert_false(tls_hello_answered_at(TLS_HELLO_TLS13, TLS_HELLO_TLS13, 0x1301));
}

/* A ServerHello record choosing `suite` at `version`, session id of sid bytes. */
static size_t server_hello(unsigned char *b, int version, int suite, int sid)
{
	size_t body = 2 + 32 + 1 + (size_t)sid + 2 + 1, n = 0;

	b[n++] = 0x16; b[n++] = 3; b[n++] = 3;
	b[n++] = (unsigned char)((body + 4) >> 8); b[n++] = (unsigned char)(body + 4);
	b[n++] = 0x02; b[n++] = 0; b[n++] = (unsigned char)(body >> 8); b[n++] = (unsigned char)body;
	b[n++] = (unsigned char)(version >> 8); b[n++] = (unsigned char)version;
	memset(b + n, 0xab, 32); n += 32;
	b[n++] = (unsigned char)sid;
	memset(b + n, 0xcd, (size_t)sid); n += (size_t)sid;
	b[n++] = (unsigned char)(suite >> 8); b[n++] = (unsigned char)suite;
	b[n++] = 0;
	return n;
}

static void a_server_hello_gives_the_version_and_suite_chosen(void **state)
{
	unsigned char b[256];
	size_t n = server_hello(b, TLS_HELLO_TLS10, 0x0005, 32);
	int v = 0, s = 0;

	assert_int_equal(tls_hello_parse(b, n, &v, &s), TLS_HELLO_ACCEPTED);
	assert_int_equal(v, TLS_HELLO_TLS10);
	assert_int_equal(s, 0x0005);
	assert_string_equal(tls_hello_suite_name(s), "TLS_RSA_WITH_RC4_128_SHA");
	/* Every shorter prefix asks for more, never reads beyond it. */
	for (size_t k = 0; k < n; k++)
		assert_int_equal(tls_hello_parse(b, k, &v, &s), TLS_HELLO_MORE);
}

static void an_alert_is_a_refusal_and_anything_else_is_not_tls(void **state)
{
	static const unsigned char alert[] = { 0x15, 3, 1, 0, 2, 2, 40 };
	static const unsigned char http[] = "HTTP/1.1 400 Bad Request\r\n";
	unsigned char b[256];
	size_t n;
	int v, s;

	assert_int_equal(tls_hello_parse(alert, sizeof alert, &v, &s), TLS_HELLO_REFUSED);
	assert_int_equal(tls_hello_parse(http, sizeof http - 1, &v, &s), TLS_HELLO_NOT_TLS);
	/* A session id longer than the message is malformed, not a read past it. */
	n = server_hello(b, TLS_HELLO_TLS12, 0x002f, 0);
	b[43] = 200;
	assert_int_equal(tls_hello_parse(b, n, &v, &s), TLS_HELLO_NOT_TLS);
	/* A handshake that is not a ServerHello. */
	n = server_hello(b, TLS_HELLO_TLS12, 0x002f, 0);
	b[5] = 0x0b;
	assert_int_equal(tls_hello_parse(b, n, &v, &s), TLS_HELLO_NOT_TLS);
}

static void smtp_replies_are_read_to_their_last_line(void **state)
{
	static const char multi[] = "250-mail.example\r\n250-STARTTLS\r\n250 SIZE 1000\r\n";

	assert_int_equal(tls_smtp_reply("220 ready\r\n", 11), 220);
	assert_int_equal(tls_smtp_reply(multi, sizeof multi - 1), 250);
	assert_int_equal(tls_smtp_reply(multi, 20), 0);
	assert_int_equal(tls_smtp_reply("220", 3), 0);
	assert_int_equal(tls_smtp_reply("SSH-2.0-x\r\n", 11), -1);
	assert_int_equal(tls_smtp_reply("250?x\r\n", 7), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_client_hello_offers_the_version_suites_and_name_given),
		cmocka_unit_test(an_ssl3_hello_has_no_extensions_and_a_hello_too_big_is_refused),
		cmocka_unit_test(a_tls13_hello_says_1_2_offers_1_3_alone_and_no_key_share),
		cmocka_unit_test(an_answer_counts_at_the_version_asked_and_1_3_by_its_suite),
		cmocka_unit_test(a_server_hello_gives_the_version_and_suite_chosen),
		cmocka_unit_test(an_alert_is_a_refusal_and_anything_else_is_not_tls),
		cmocka_unit_test(smtp_replies_are_read_to_their_last_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
