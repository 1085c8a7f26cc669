/*
 * test_targets.c — the target and port parsers, table-driven: every valid
 * form with the exact addresses it stands for, every invalid one with the
 * exact error code, and the submit-time validation with scope.
 */
#include "testutil.h"
#include <arpa/inet.h>
#include <jansson.h>
#include "core/config.h"
#include "ports.h"
#include "app/submit.h"
#include "targets.h"
#include "scantype.h"

struct good {
	const char *specs[4];
	uint64_t count;		/* addresses after merging */
	size_t nnames;
	const char *first, *last;	/* first and last address, or NULL */
};

static const struct good goods[] = {
	{ { "127.0.0.1" }, 1, 0, "127.0.0.1", "127.0.0.1" },
	{ { "::1" }, 1, 0, "::1", "::1" },
	{ { "2001:db8::1" }, 1, 0, "2001:db8::1", "2001:db8::1" },
	{ { "10.0.0.0/30" }, 4, 0, "10.0.0.0", "10.0.0.3" },
	{ { "10.0.0.5/30" }, 4, 0, "10.0.0.4", "10.0.0.7" },	/* host bits dropped */
	{ { "10.0.0.1/32" }, 1, 0, "10.0.0.1", "10.0.0.1" },
	{ { "2001:db8::/126" }, 4, 0, "2001:db8::", "2001:db8::3" },
	{ { "192.0.2.1-20" }, 20, 0, "192.0.2.1", "192.0.2.20" },
	{ { "192.0.2.250-192.0.3.5" }, 12, 0, "192.0.2.250", "192.0.3.5" },
	{ { "192.0.2.7-7" }, 1, 0, "192.0.2.7", "192.0.2.7" },
	{ { "2001:db8::1-2001:db8::10" }, 16, 0, "2001:db8::1", "2001:db8::10" },
	/* overlapping and adjacent blocks count once */
	{ { "10.0.0.0/24", "10.0.0.128/25", "10.0.0.5" }, 256, 0, "10.0.0.0", "10.0.0.255" },
	{ { "10.0.0.0/25", "10.0.0.128/25" }, 256, 0, "10.0.0.0", "10.0.0.255" },
	{ { "10.0.0.1-10", "10.0.0.5-20" }, 20, 0, "10.0.0.1", "10.0.0.20" },
	{ { "127.0.0.1", "::1" }, 2, 0, "::1", "127.0.0.1" },	/* IPv6 sorts first */
	{ { "0.0.0.0/16" }, 65536, 0, "0.0.0.0", "0.0.255.255" },	/* exactly the cap */
	{ { "localhost" }, 0, 1, NULL, NULL },
	{ { "scanme.example.com", "SCANME.example.com." }, 0, 1, NULL, NULL },
	{ { "a-b.c0.example", "127.0.0.1" }, 1, 1, "127.0.0.1", "127.0.0.1" },
	{ { "xn--bcher-kva.example" }, 0, 1, NULL, NULL },
};

struct bad {
	const char *specs[3];
	const char *code;
	const char *in_msg;	/* a fragment the message must contain */
};

static const struct bad bads[] = {
	{ { NULL }, "no_targets", "no targets" },
	{ { "" }, "invalid_target", "empty" },
	{ { ";touch /tmp/x" }, "invalid_target", "';touch /tmp/x'" },
	{ { "--script=http-title" }, "invalid_target", "may not start with '-'" },
	{ { "-iL" }, "invalid_target", "'-iL'" },
	{ { "-" }, "invalid_target", "'-'" },
	{ { "$(reboot)" }, "invalid_target", "forbidden character" },
	{ { "a b" }, "invalid_target", "'a b'" },
	{ { "host`id`" }, "invalid_target", "invalid target" },
	{ { "10.0.0.1/33" }, "invalid_target", "'10.0.0.1/33'" },
	{ { "::1/129" }, "invalid_target", "invalid target" },
	{ { "10.0.0.1/" }, "invalid_target", "invalid target" },
	{ { "10.0.0.0/-1" }, "invalid_target", "invalid target" },
	{ { "256.1.1.1" }, "invalid_target", "'256.1.1.1'" },
	{ { "1.2.3" }, "invalid_target", "'1.2.3'" },
	{ { "1.2.3.400" }, "invalid_target", "invalid target" },
	{ { "192.0.2.20-1" }, "invalid_target", "reversed" },
	{ { "192.0.2.20-192.0.2.1" }, "invalid_target", "reversed" },
	{ { "192.0.2.1-256" }, "invalid_target", "invalid target" },
	{ { "192.0.2.1-::1" }, "invalid_target", "invalid target" },
	{ { "::1-5" }, "invalid_target", "invalid target" },
	{ { "fe80::1%eth0" }, "invalid_target", "invalid target" },
	{ { "http://example.com" }, "invalid_target", "invalid target" },
	{ { "-host.example" }, "invalid_target", "invalid target" },
	{ { "host-.example" }, "invalid_target", "invalid target" },
	{ { "a..b" }, "invalid_target", "invalid target" },
	{ { "under_score.example" }, "invalid_target", "invalid target" },
	{ { "127.0.0.1", "bad!" }, "invalid_target", "'bad!'" },
	{ { "10.0.0.0/8" }, "too_many_targets", "'10.0.0.0/8'" },
	{ { "::/0" }, "too_many_targets", "'::/0'" },
	{ { "0.0.0.0/0" }, "too_many_targets", "'0.0.0.0/0'" },
	{ { "10.0.0.0/16", "10.1.0.0/32" }, "too_many_targets", "65537" },
};

static void expect_addr(struct target_list *l, const char *first, const char *last)
{
	struct target_iter it;
	struct target_addr a, prev = { 0 };
	char text[64];
	uint64_t n = 0;

	targets_iter_init(&it, l);
	while (targets_iter_next(&it, &a)) {
		if (n == 0)
			assert_string_equal(targets_addr_str(&a, text, sizeof text), first);
		prev = a;
		n++;
	}
	assert_int_equal(n, targets_count(l));
	if (n)
		assert_string_equal(targets_addr_str(&prev, text, sizeof text), last);
}

static void valid_specs_expand_to_exact_addresses(void **state)
{
	for (size_t i = 0; i < sizeof goods / sizeof goods[0]; i++) {
		struct target_list *l = targets_new();
		char code[32], msg[256];
		int n = 0;

		while (n < 4 && goods[i].specs[n])
			n++;
		if (targets_parse(l, goods[i].specs, n, 65536, code, sizeof code, msg, sizeof msg) != 0)
			fail_msg("spec %zu (%s) refused: %s %s", i, goods[i].specs[0], code, msg);
		assert_int_equal(targets_count(l), goods[i].count);
		assert_int_equal(targets_nnames(l), goods[i].nnames);
		if (goods[i].first)
			expect_addr(l, goods[i].first, goods[i].last);
		targets_free(l);
	}
}

static void invalid_specs_are_refused_with_exact_codes(void **state)
{
	for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
		struct target_list *l = targets_new();
		char code[32] = "", msg[256] = "";
		int n = 0;

		while (n < 3 && bads[i].specs[n])
			n++;
		if (targets_parse(l, bads[i].specs, n, 65536, code, sizeof code, msg, sizeof msg) == 0)
			fail_msg("spec %zu (%s) accepted", i, bads[i].specs[0]);
		if (strcmp(code, bads[i].code) != 0)
			fail_msg("spec %zu (%s): code %s, expected %s", i, bads[i].specs[0], code, bads[i].code);
		if (!strstr(msg, bads[i].in_msg))
			fail_msg("spec %zu: message '%s' lacks '%s'", i, msg, bads[i].in_msg);
		targets_free(l);
	}
}

static void names_are_deduplicated_case_insensitively(void **state)
{
	const char *specs[] = { "Host.Example", "host.example", "other.example" };
	struct target_list *l = targets_new();
	char code[32], msg[256];

	assert_int_equal(targets_parse(l, specs, 3, 10, code, sizeof code, msg, sizeof msg), 0);
	assert_int_equal(targets_nnames(l), 2);
	assert_string_equal(targets_name(l, 0), "Host.Example");
	targets_free(l);
}

static void the_cap_counts_names_and_addresses(void **state)
{
	const char *specs[] = { "10.0.0.0/30", "a.example" };
	struct target_list *l = targets_new();
	char code[32], msg[256];

	assert_int_equal(targets_parse(l, specs, 2, 5, code, sizeof code, msg, sizeof msg), 0);
	assert_int_equal(targets_parse(l, specs, 2, 4, code, sizeof code, msg, sizeof msg), -1);
	assert_string_equal(code, "too_many_targets");
	targets_free(l);
}

static void a_huge_range_is_refused_without_expanding_it(void **state)
{
	const char *specs[] = { "::/1", "0.0.0.0-255.255.255.255" };
	struct target_list *l = targets_new();
	char code[32], msg[256];

	assert_int_equal(targets_parse(l, specs, 1, 65536, code, sizeof code, msg, sizeof msg), -1);
	assert_string_equal(code, "too_many_targets");
	assert_int_equal(targets_parse(l, specs + 1, 1, 65536, code, sizeof code, msg, sizeof msg), -1);
	assert_string_equal(code, "too_many_targets");
	targets_free(l);
}

static void contains_and_ranges_see_merged_intervals(void **state)
{
	const char *specs[] = { "10.0.0.8-10.0.0.9", "10.0.0.1-3" };
	struct target_list *l = targets_new();
	char code[32], msg[256];
	targets_u128 v, lo, hi;

	assert_int_equal(targets_parse(l, specs, 2, 100, code, sizeof code, msg, sizeof msg), 0);
	assert_int_equal(targets_nranges(l), 2);
	targets_range(l, 0, &lo, &hi);
	assert_int_equal(targets_parse_addr("10.0.0.1", &v), 0);
	assert_true(lo == v);
	assert_int_equal(targets_parse_addr("10.0.0.9", &v), 0);
	assert_true(targets_contains(l, v));
	assert_int_equal(targets_parse_addr("10.0.0.5", &v), 0);
	assert_false(targets_contains(l, v));
	targets_free(l);
}

struct portcase {
	const char *spec;
	int count, first, last;
};

static void port_specs_parse_to_exact_sets(void **state)
{
	static const struct portcase ok[] = {
		{ "22,80,443", 3, 22, 443 }, { "1-1024", 1024, 1, 1024 }, { "-", 65535, 1, 65535 },
		{ "top100", 100, 7, 49157 }, { "top1000", 1000, 1, 65389 }, { "80,80,79-81", 3, 79, 81 },
		{ "65535", 1, 65535, 65535 }, { "top100,1-5", 105, 1, 49157 },
	};
	static const char *const bad[] = { "", "0", "65536", "22,", ",22", "10-5", "1-2-3", "abc",
					   "22;id", "-1", "top5", " 22", "1-" };
	struct port_set ps;
	char err[128];

	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		int last = 0;

		if (ports_parse(ok[i].spec, &ps, err, sizeof err) != 0)
			fail_msg("'%s' refused: %s", ok[i].spec, err);
		assert_int_equal(ps.count, ok[i].count);
		assert_int_equal(ports_next(&ps, 0), ok[i].first);
		for (int p = ports_next(&ps, 0); p; p = ports_next(&ps, p))
			last = p;
		assert_int_equal(last, ok[i].last);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (ports_parse(bad[i], &ps, err, sizeof err) == 0)
			fail_msg("'%s' accepted", bad[i]);
}

static void port_sets_format_compactly(void **state)
{
	struct port_set ps;
	char err[128], *s;

	assert_int_equal(ports_parse("443,1-3,80,81,82,65535", &ps, err, sizeof err), 0);
	s = ports_format(&ps);
	assert_string_equal(s, "1-3,80-82,443,65535");
	free(s);
	assert_int_equal(ports_parse("-", &ps, err, sizeof err), 0);
	s = ports_format(&ps);
	assert_string_equal(s, "1-65535");
	free(s);
}

static void top_ports_start_with_the_most_common(void **state)
{
	assert_int_equal(ports_top[0], 80);
	for (int i = 0; i < PORTS_TOP_MAX; i++)
		for (int j = i + 1; j < PORTS_TOP_MAX; j++)
			if (ports_top[i] == ports_top[j])
				fail_msg("port %d listed twice", ports_top[i]);
}

static void validate_applies_syntax_cap_scope_and_ports(void **state)
{
	static const struct {
		const char *targets, *ports, *code;
	} cases[] = {
		{ "[\"127.0.0.1\", \"::1\", \"localhost\"]", "22,80", NULL },
		{ "[\"127.0.0.0/16\"]", NULL, NULL },
		{ "[]", NULL, "no_targets" },
		{ "\"127.0.0.1\"", NULL, "invalid_target" },
		{ "[1]", NULL, "invalid_target" },
		{ "[\"--script=x\"]", NULL, "invalid_target" },
		{ "[\"10.0.0.1\"]", NULL, "out_of_scope" },
		{ "[\"127.0.0.1\", \"192.0.2.0/24\"]", NULL, "out_of_scope" },
		{ "[\"126.255.255.255-127.0.0.5\"]", NULL, "out_of_scope" },
		{ "[\"example.com\"]", NULL, "out_of_scope" },
		{ "[\"127.0.0.0/8\"]", NULL, "too_many_targets" },
		{ "[\"127.0.0.1\"]", "0-5", "invalid_ports" },
	};
	char err[256], code[32], msg[256];

	assert_int_equal(config_load("/dev/null", err, sizeof err), 0);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *t = json_loads(cases[i].targets, JSON_DECODE_ANY, NULL);
		int rc;

		code[0] = msg[0] = '\0';
		rc = submit_validate_targets(t, cases[i].ports, code, sizeof code, msg, sizeof msg);
		if (!cases[i].code && rc != 0)
			fail_msg("case %zu refused: %s %s", i, code, msg);
		if (cases[i].code && (rc == 0 || strcmp(code, cases[i].code) != 0))
			fail_msg("case %zu: rc %d code '%s', expected %s", i, rc, code, cases[i].code);
		json_decref(t);
	}
	/* The message names the target. */
	{
		json_t *t = json_pack("[ss]", "127.0.0.1", "198.51.100.7");

		assert_int_equal(submit_validate_targets(t, NULL, code, sizeof code, msg, sizeof msg), -1);
		assert_non_null(strstr(msg, "'198.51.100.7'"));
		json_decref(t);
	}
}

int main(void)
{
	scantype_config_checks();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_specs_expand_to_exact_addresses),
		cmocka_unit_test(invalid_specs_are_refused_with_exact_codes),
		cmocka_unit_test(names_are_deduplicated_case_insensitively),
		cmocka_unit_test(the_cap_counts_names_and_addresses),
		cmocka_unit_test(a_huge_range_is_refused_without_expanding_it),
		cmocka_unit_test(contains_and_ranges_see_merged_intervals),
		cmocka_unit_test(port_specs_parse_to_exact_sets),
		cmocka_unit_test(port_sets_format_compactly),
		cmocka_unit_test(top_ports_start_with_the_most_common),
		cmocka_unit_test(validate_applies_syntax_cap_scope_and_ports),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
