/*
 * test_detect.c — the parsers of service detection: what a banner, an
 * HTTP response or a Redis reply says about the service, and that odd or
 * truncated input names nothing rather than something wrong.  (The probes
 * run against live fixtures in tests/integration/scan_detect.sh.)
 */
#include "testutil.h"
#include "detect.h"

static struct detect_result banner(const char *text, size_t len, int port, int want)
{
	struct detect_result r = { 0 };

	assert_int_equal(detect_banner(text, len, port, &r), want);
	return r;
}

static void banners_name_ssh_ftp_smtp_pop3_and_imap(void **state)
{
	struct detect_result r;

	r = banner("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", 40, 22, 1);
	assert_string_equal(r.service, "ssh");
	assert_string_equal(r.product, "OpenSSH");
	assert_string_equal(r.version, "9.2p1");
	assert_string_equal(r.extra, "Debian-2+deb12u3");
	r = banner("SSH-2.0-dropbear_2022.83\r\n", 26, 22, 1);
	assert_string_equal(r.product, "dropbear");
	assert_string_equal(r.version, "2022.83");
	r = banner("220 (vsFTPd 3.0.3)\r\n", 20, 2121, 1);
	assert_string_equal(r.service, "ftp");
	assert_string_equal(r.product, "vsFTPd");
	assert_string_equal(r.version, "3.0.3");
	r = banner("220 ProFTPD Server (Debian) [::ffff:127.0.0.1]\r\n", 49, 21, 1);
	assert_string_equal(r.product, "ProFTPD");
	r = banner("220 mx.example ESMTP Exim 4.96 Tue, 1 Dec 2026\r\n", 48, 25, 1);
	assert_string_equal(r.service, "smtp");
	assert_string_equal(r.product, "Exim");
	assert_string_equal(r.version, "4.96");
	r = banner("220 hello\r\n", 11, 21, 1);
	assert_string_equal(r.service, "ftp");	/* said neither: the port decides */
	r = banner("+OK Dovecot ready.\r\n", 20, 110, 1);
	assert_string_equal(r.service, "pop3");
	r = banner("* OK [CAPABILITY IMAP4rev1] ready\r\n", 35, 143, 1);
	assert_string_equal(r.service, "imap");
	banner("hello world\r\n", 13, 7, 0);
	banner("SSH-2.0", 7, 22, 0);
	banner("", 0, 22, 0);
}

static void a_mysql_greeting_gives_the_product_and_version(void **state)
{
	static const char maria[] = "\x2a\x00\x00\x00\x0a" "5.5.5-10.11.6-MariaDB-0+deb12u1\x00" "\x01\x02";
	static const char mysql[] = "\x20\x00\x00\x00\x0a" "8.0.35\x00" "\x01\x02\x03";
	static const char unterminated[] = "\x20\x00\x00\x00\x0a" "8.0.35";
	static const char denied[] = "\x40\x00\x00\x00\xff\x6a\x04Host '10.0.0.1' is not allowed to connect to this MySQL server";
	struct detect_result r;

	r = banner(maria, sizeof maria - 1, 3306, 1);
	assert_string_equal(r.service, "mysql");
	assert_string_equal(r.product, "MariaDB");
	assert_string_equal(r.version, "10.11.6");
	r = banner(mysql, sizeof mysql - 1, 3306, 1);
	assert_string_equal(r.product, "MySQL");
	assert_string_equal(r.version, "8.0.35");
	banner(unterminated, sizeof unterminated - 1, 3306, 0);
	r = banner(denied, sizeof denied - 1, 3306, 1);
	assert_string_equal(r.product, "MySQL");
}

static void an_http_response_gives_status_server_and_title(void **state)
{
	static const char resp[] = "HTTP/1.1 404 Not Found\r\nDate: x\r\nserver: Apache/2.4.57 (Debian)\r\n"
				   "Content-Type: text/html\r\n\r\n<html><HEAD><Title>\n  Not   Found\n</title>";
	struct detect_result r = { 0 };

	assert_int_equal(detect_http(resp, sizeof resp - 1, &r), 1);
	assert_int_equal(r.http_status, 404);
	assert_string_equal(r.service, "http");
	assert_string_equal(r.product, "Apache");
	assert_string_equal(r.version, "2.4.57");
	assert_string_equal(r.extra, "Debian");
	assert_string_equal(r.title, "Not Found");
	memset(&r, 0, sizeof r);
	assert_int_equal(detect_http("HTTP/1.0 200 OK\r\n\r\n<title>cut", 29, &r), 1);
	assert_string_equal(r.title, "");	/* no closing tag: no title */
	assert_int_equal(detect_http("HTTP/1.1 2", 10, &r), 0);
	assert_int_equal(detect_http("-ERR unknown command\r\n", 22, &r), 0);
}

static void redis_answers_ping_and_info(void **state)
{
	static const char info[] = "$40\r\n# Server\r\nredis_version:7.0.15\r\nx:1\r\n\r\n";
	struct detect_result r = { 0 };

	assert_int_equal(detect_redis("+PONG\r\n", 7, &r), 1);
	assert_string_equal(r.product, "Redis");
	assert_int_equal(detect_redis("-NOAUTH Authentication required.\r\n", 34, &r), 1);
	assert_int_equal(detect_redis(info, sizeof info - 1, &r), 1);
	assert_string_equal(r.version, "7.0.15");
	memset(&r, 0, sizeof r);
	assert_int_equal(detect_redis("-ERR unknown command\r\n", 22, &r), 0);
	assert_int_equal(detect_redis("+OK", 3, &r), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(banners_name_ssh_ftp_smtp_pop3_and_imap),
		cmocka_unit_test(a_mysql_greeting_gives_the_product_and_version),
		cmocka_unit_test(an_http_response_gives_status_server_and_title),
		cmocka_unit_test(redis_answers_ping_and_info),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
