/*
 * test_fingerprint.c — a finding's identity: what a rerun changes (row id,
 * scan, time, version, banner, severity, title of a port) leaves the
 * fingerprint alone; what names another thing (kind, target, port,
 * protocol, check id, a service's product) changes it; the target is
 * compared without case; the check id is the one change tracking uses.
 */
#include "testutil.h"
#include "store/fingerprint.h"
#include "store/store.h"

static struct finding base(void)
{
	struct finding f = { 0 };

	f.id = 7;
	f.scan_id = 3;
	snprintf(f.kind, sizeof f.kind, "open_port");
	f.target = "db.example";
	f.port = 5432;
	snprintf(f.proto, sizeof f.proto, "tcp");
	f.service = "postgresql";
	snprintf(f.severity, sizeof f.severity, "info");
	f.title = "open port 5432/tcp postgresql";
	f.detail = "{\"product\":\"PostgreSQL\",\"version\":\"15.4\",\"banner\":\"x\"}";
	f.created_at = 1000;
	return f;
}

static void fp(const struct finding *f, char out[FINGERPRINT_HEX + 1])
{
	assert_int_equal(fingerprint_of(f, out), 0);
	assert_int_equal(strlen(out), FINGERPRINT_HEX);
	for (size_t i = 0; i < FINGERPRINT_HEX; i++)
		assert_non_null(strchr("0123456789abcdef", out[i]));
}

static void test_a_rerun_keeps_it(void **state)
{
	struct finding a = base(), b = base();
	char x[FINGERPRINT_HEX + 1], y[FINGERPRINT_HEX + 1];

	(void)state;
	fp(&a, x);
	b.id = 99;
	b.scan_id = 41;
	b.created_at = 123456789;
	b.target = "DB.Example";
	snprintf(b.severity, sizeof b.severity, "high");
	b.title = "another wording";
	b.detail = "{\"banner\":\"y\",\"version\":\"16.1\",\"product\":\"PostgreSQL\"}";
	fp(&b, y);
	assert_string_equal(x, y);
}

static void test_another_thing_changes_it(void **state)
{
	struct finding a = base(), b;
	char x[FINGERPRINT_HEX + 1], y[FINGERPRINT_HEX + 1];

	(void)state;
	fp(&a, x);
	b = base(); snprintf(b.kind, sizeof b.kind, "tls"); fp(&b, y); assert_string_not_equal(x, y);
	b = base(); b.target = "db2.example"; fp(&b, y); assert_string_not_equal(x, y);
	b = base(); b.port = 5433; fp(&b, y); assert_string_not_equal(x, y);
	b = base(); snprintf(b.proto, sizeof b.proto, "udp"); fp(&b, y); assert_string_not_equal(x, y);
	b = base(); b.detail = "{\"product\":\"MariaDB\"}"; fp(&b, y); assert_string_not_equal(x, y);
	/* Without a service the product is not part of it. */
	a.service = NULL;
	fp(&a, x);
	b = base(); b.service = NULL; b.detail = "{\"product\":\"MariaDB\"}"; fp(&b, y);
	assert_string_equal(x, y);
}

static void test_check_ids(void **state)
{
	struct finding a = base(), b = base();
	char x[FINGERPRINT_HEX + 1], y[FINGERPRINT_HEX + 1];
	json_t *d = json_pack("{ss ss}", "template_id", "t-1", "check", "c-1");

	(void)state;
	assert_string_equal(fingerprint_check_id("vuln", 80, "t", d), "t-1");
	assert_null(fingerprint_check_id("open_port", 80, "t", d));
	assert_null(fingerprint_check_id("vuln", 80, "title", NULL));
	assert_string_equal(fingerprint_check_id("vuln", 0, "title", NULL), "title");
	json_decref(d);
	snprintf(a.kind, sizeof a.kind, "vuln");
	snprintf(b.kind, sizeof b.kind, "vuln");
	a.detail = "{\"script\":\"http-vuln-cve2011-3192\"}";
	b.detail = "{\"script\":\"ssl-heartbleed\"}";
	fp(&a, x);
	fp(&b, y);
	assert_string_not_equal(x, y);
	b.detail = "not json";
	fp(&b, y);		/* an unparsable detail is an empty one */
	a.detail = NULL;
	fp(&a, x);
	assert_string_equal(x, y);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_rerun_keeps_it),
		cmocka_unit_test(test_another_thing_changes_it),
		cmocka_unit_test(test_check_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
