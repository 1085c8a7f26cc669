/*
 * test_scope.c — the scope policy (allow / deny, CIDRs and suffixes, the
 * loopback-only default) and the configuration loader that feeds it.
 */
#include "testutil.h"
#include <arpa/inet.h>
#include "core/config.h"
#include "scope.h"
#include "targets.h"
#include "scantype.h"

static int addr_ok(const struct scope *s, const char *text)
{
	targets_u128 v;
	struct target_addr a;

	if (targets_parse_addr(text, &v) < 0)
		fail_msg("bad address %s", text);
	targets_to_addr(v, &a);
	return scope_check_addr(s, &a);
}

static void the_default_scope_is_loopback_only(void **state)
{
	char err[256];
	struct scope *s;

	assert_int_equal(config_load("/dev/null", err, sizeof err), 0);
	s = scope_from_config(&config, err, sizeof err);
	assert_non_null(s);
	assert_true(addr_ok(s, "127.0.0.1"));
	assert_true(addr_ok(s, "127.255.255.254"));
	assert_true(addr_ok(s, "::1"));
	assert_false(addr_ok(s, "128.0.0.1"));
	assert_false(addr_ok(s, "126.255.255.255"));
	assert_false(addr_ok(s, "10.0.0.1"));
	assert_false(addr_ok(s, "::2"));
	assert_false(addr_ok(s, "::ffff:10.0.0.1"));
	assert_false(addr_ok(s, "0.0.0.0"));
	assert_true(scope_check_name(s, "localhost"));
	assert_true(scope_check_name(s, "LocalHost."));
	assert_true(scope_check_name(s, "app.localhost"));
	assert_false(scope_check_name(s, "example.com"));
	assert_false(scope_check_name(s, "localhost.example.com"));
	assert_false(scope_check_name(s, "notlocalhost"));
	scope_free(s);
}

static void deny_wins_over_allow(void **state)
{
	char *allow[] = { "10.0.0.0/8", "example.com", "2001:db8::/32" };
	char *deny[] = { "10.1.0.0/16", "secret.example.com", "2001:db8::5" };
	char err[256];
	struct scope *s = scope_new(allow, 3, deny, 3, err, sizeof err);
	targets_u128 lo, hi, bad;

	assert_non_null(s);
	assert_true(addr_ok(s, "10.2.3.4"));
	assert_false(addr_ok(s, "10.1.2.3"));
	assert_false(addr_ok(s, "127.0.0.1"));
	assert_true(addr_ok(s, "2001:db8::4"));
	assert_false(addr_ok(s, "2001:db8::5"));
	assert_true(scope_check_name(s, "example.com"));
	assert_true(scope_check_name(s, "www.EXAMPLE.com"));
	assert_false(scope_check_name(s, "badexample.com"));
	assert_false(scope_check_name(s, "secret.example.com"));
	assert_false(scope_check_name(s, "a.secret.example.com"));
	/* A range is in scope only if every address is. */
	assert_int_equal(targets_classify("10.0.255.250-10.1.0.3", &lo, &hi), 1);
	assert_false(scope_check_range(s, lo, hi, &bad));
	assert_int_equal(targets_parse_addr("10.1.0.0", &lo), 0);
	assert_true(bad == lo);
	assert_int_equal(targets_classify("10.0.0.0/16", &lo, &hi), 1);
	assert_true(scope_check_range(s, lo, hi, NULL));
	scope_free(s);
}

static void overlapping_allow_blocks_cover_a_range_together(void **state)
{
	char *allow[] = { "192.0.2.0-192.0.2.100", "192.0.2.96/27", "192.0.2.128/25" };
	char err[256];
	struct scope *s = scope_new(allow, 3, NULL, 0, err, sizeof err);
	targets_u128 lo, hi, bad;

	assert_non_null(s);
	assert_int_equal(targets_classify("192.0.2.0/24", &lo, &hi), 1);
	assert_true(scope_check_range(s, lo, hi, &bad));
	assert_int_equal(targets_classify("192.0.2.0-192.0.3.0", &lo, &hi), 1);
	assert_false(scope_check_range(s, lo, hi, &bad));
	assert_int_equal(targets_parse_addr("192.0.3.0", &lo), 0);
	assert_true(bad == lo);
	scope_free(s);
}

static void bad_scope_entries_are_refused(void **state)
{
	static const char *const bad[] = { "10.0.0.0/33", "-x", "a b", "*", "10.0.0.9-10.0.0.1", "" };
	char err[256];

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (scope_entry_valid(bad[i], err, sizeof err) == 0)
			fail_msg("'%s' accepted", bad[i]);
	assert_int_equal(scope_entry_valid("*.example.com", err, sizeof err), 0);
	assert_int_equal(scope_entry_valid(".example.com", err, sizeof err), 0);
	assert_int_equal(scope_entry_valid("::1", err, sizeof err), 0);
}

/* ---- configuration ------------------------------------------------------ */

static char dir[256];

static const char *write_ini(const char *text)
{
	static char path[512];
	char url[512];
	FILE *f;

	testutil_tmpdb(dir, sizeof dir, url, sizeof url);
	snprintf(path, sizeof path, "%s/scanq.ini", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void config_defaults_match_the_design(void **state)
{
	extern char **environ;
	char err[256], name[128];

	/* The defaults themselves: no SCANQ_* override of the caller's (the
	 * test runner sets some) may stand. */
	unsetenv("DATABASE_URL");
	for (char **e = environ; *e;) {
		if (strncmp(*e, "SCANQ_", 6) == 0 && strchr(*e, '=')) {
			snprintf(name, sizeof name, "%.*s", (int)(strchr(*e, '=') - *e), *e);
			unsetenv(name);
			e = environ;	/* unsetenv moved the entries */
			continue;
		}
		e++;
	}
	assert_int_equal(config_load("/dev/null", err, sizeof err), 0);
	assert_int_equal(config.lease_s, 30);
	assert_int_equal(config.heartbeat_s, 10);
	assert_int_equal(config.max_attempts, 3);
	assert_int_equal(config.soft_time_limit_s, 1500);
	assert_int_equal(config.hard_time_limit_s, 1800);
	assert_int_equal(config.prune_days, 30);
	assert_int_equal(config.prune_batch, 1000);
	assert_int_equal(config.stuck_hours, 2);
	assert_int_equal(config.backlog_warn, 100);
	assert_int_equal(config.backlog_fail, 500);
	assert_int_equal(config.max_targets, 65536);
	assert_string_equal(config.listen, "127.0.0.1:8080");
	assert_string_equal(config.database_url, "sqlite://./scanq.db");
	assert_int_equal(config.nallow, 2);
	assert_int_equal(config.ndeny, 0);
	assert_non_null(config_profile("vuln"));
	assert_string_equal(config_profile("vuln")->parser, "nmap-xml");
	assert_string_equal(config_profile("vuln")->argv[0], "nmap");
	assert_string_equal(config_profile("nuclei")->parser, "nuclei-jsonl");
	assert_string_equal(config_profile("nmap")->argv[0], "nmap");
	assert_null(config_profile("portscan"));
}

static void config_file_and_environment_override_defaults(void **state)
{
	const char *path = write_ini("; comment\n[worker]\nlease = 60\nmax_attempts=5\n"
				     "[scope]\nallow = 127.0.0.0/8, ::1\n  198.51.100.0/24\n"
				     "deny = 127.0.0.2\n"
				     "[profile.web]\nargv = whatweb --color=never {targets}\nparser = lines\n"
				     "[profile.nmap]\nargv = nmap -sT -oX - -p {ports} {targets}\nparser = nmap-xml\n");
	char err[256];

	setenv("SCANQ_WORKER_MAX_ATTEMPTS", "7", 1);
	setenv("DATABASE_URL", "sqlite:///tmp/x.db", 1);
	assert_int_equal(config_load(path, err, sizeof err), 0);
	unsetenv("SCANQ_WORKER_MAX_ATTEMPTS");
	unsetenv("DATABASE_URL");
	assert_int_equal(config.lease_s, 60);
	assert_int_equal(config.max_attempts, 7);
	assert_string_equal(config.database_url, "sqlite:///tmp/x.db");
	assert_int_equal(config.nallow, 3);
	assert_string_equal(config.scope_allow[2], "198.51.100.0/24");
	assert_int_equal(config.ndeny, 1);
	assert_int_equal(config_profile("web")->argc, 3);
	assert_string_equal(config_profile("nmap")->argv[1], "-sT");
	testutil_rmdir(dir);
}

static void a_short_lease_from_the_environment_brings_the_heartbeat_down(void **state)
{
	char err[256];

	setenv("SCANQ_WORKER_LEASE", "3", 1);
	assert_int_equal(config_load("/dev/null", err, sizeof err), 0);
	unsetenv("SCANQ_WORKER_LEASE");
	assert_int_equal(config.lease_s, 3);
	assert_int_equal(config.heartbeat_s, 1);
}

static void config_errors_name_file_and_line_and_change_nothing(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "[worker]\nlease = 40\nleese = 3\n", ":3: unknown key 'leese' in [worker]" },
		{ "[wurker]\nlease = 40\n", ":2: unknown section [wurker]" },
		{ "[worker]\n\nlease = 4x\n", ":3: worker.lease must be an integer in" },
		{ "[worker]\nlease = 99999999999999\n", ":2: worker.lease must be" },
		{ "[http]\nmax_connections = 0\n", ":2: http.max_connections must be" },
		{ "[scope]\nallow = 10.0.0.0/33\n", ":2: bad scope entry" },
		{ "[profile.x]\nargv = tool --no-targets\n", ":2: argv of profile 'x' must" },
		{ "[profile.x]\nparser = yaml\n", ":2: unknown parser 'yaml'" },
		{ "[profile.portscan]\nargv = x {targets}\n", ":2: profile 'portscan' would hide" },
		{ "lease = 3\n", ":1: setting 'lease' outside a [section]" },
		{ "[worker\n", ":1: syntax error" },
		{ "[worker]\nheartbeat = 30\n", "worker.heartbeat (30) must be shorter" },
		{ "[profile.y]\nparser = lines\n", "profile 'y' needs both argv and parser" },
	};
	char err[256];

	assert_int_equal(config_load("/dev/null", err, sizeof err), 0);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *path = write_ini(cases[i].text);

		assert_int_equal(config_load(path, err, sizeof err), -1);
		if (!strstr(err, cases[i].want))
			fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].want);
		assert_int_equal(config.lease_s, 30);	/* still the previous load */
		testutil_rmdir(dir);
	}
	setenv("SCANQ_WORKER_LEASE", "1", 1);
	assert_int_equal(config_load("/dev/null", err, sizeof err), -1);
	unsetenv("SCANQ_WORKER_LEASE");
	assert_non_null(strstr(err, "SCANQ_WORKER_LEASE"));
	assert_int_equal(config_load("/nonexistent/scanq.ini", err, sizeof err), -1);
	assert_non_null(strstr(err, "/nonexistent/scanq.ini"));
}

/* Exclusions skip, they do not refuse: a range is wholly excluded only when
 * exclusion blocks (overlapping ones together) hold every address of it,
 * suffixes hold names under them, and scope_check_range() is unchanged. */
static void exclusions_hold_what_they_cover_and_nothing_more(void **state)
{
	char *allow[] = { "127.0.0.0/8" };
	char err[256];
	targets_u128 lo, hi;
	struct scope *s = scope_new(allow, 1, NULL, 0, err, sizeof err);

	assert_non_null(s);
	assert_int_equal(scope_exclude_add(s, "127.0.0.0/30", err, sizeof err), 0);
	assert_int_equal(scope_exclude_add(s, "127.0.0.2/31", err, sizeof err), 0);
	assert_int_equal(scope_exclude_add(s, "127.0.0.4", err, sizeof err), 0);
	assert_int_equal(scope_exclude_add(s, "printer.example.com", err, sizeof err), 0);
	assert_int_equal(scope_exclude_add(s, "10.0.0.0/33", err, sizeof err), -1);
	assert_int_equal(scope_nexcluded(s), 4);
	assert_true(scope_excluded_spec(s, "127.0.0.0/30"));
	assert_true(scope_excluded_spec(s, "127.0.0.1-127.0.0.4"));	/* three blocks together */
	assert_false(scope_excluded_spec(s, "127.0.0.0/29"));		/* .5-.7 are not */
	assert_false(scope_excluded_spec(s, "127.0.0.5"));
	assert_true(scope_excluded_spec(s, "PRINTER.example.com"));
	assert_true(scope_excluded_spec(s, "a.printer.example.com."));
	assert_false(scope_excluded_spec(s, "xprinter.example.com"));
	assert_false(scope_excluded_spec(s, "example.com"));
	assert_false(addr_ok(s, "10.0.0.1"));
	assert_true(addr_ok(s, "127.0.0.1"));		/* still in scope: skipped, not refused */
	assert_int_equal(targets_classify("127.0.0.0/29", &lo, &hi), 1);
	assert_true(scope_check_range(s, lo, hi, NULL));
	scope_free(s);
}

int main(void)
{
	scantype_config_checks();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_default_scope_is_loopback_only),
		cmocka_unit_test(deny_wins_over_allow),
		cmocka_unit_test(overlapping_allow_blocks_cover_a_range_together),
		cmocka_unit_test(bad_scope_entries_are_refused),
		cmocka_unit_test(config_defaults_match_the_design),
		cmocka_unit_test(config_file_and_environment_override_defaults),
		cmocka_unit_test(a_short_lease_from_the_environment_brings_the_heartbeat_down),
		cmocka_unit_test(config_errors_name_file_and_line_and_change_nothing),
		cmocka_unit_test(exclusions_hold_what_they_cover_and_nothing_more),
	};

	unsetenv("SCANQ_CONFIG");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
