/*
 * test_changes.c — changes between the scans of a baseline and durable
 * webhook deliveries, through the store alone, on a real SQLite file and a
 * real PostgreSQL database (teststore.h):
 * the first scan is the baseline; reordered findings change nothing; a
 * closed port is gone, an opened one new, a new version changed; a
 * delivery is written with the completion, retried with backoff, fenced,
 * failed after its attempts, and sent again with the same id when its
 * sender's lease ran out; an http endpoint's title, server, technologies
 * and certificate are changes (named in after.web.changed), its body hash
 * and days left are not; a dns record added or removed and a new
 * subdomain are changes.
 */
#include "teststore.h"

/* A port finding with a product version in its detail. */
static struct finding port(int p, const char *service, const char *version)
{
	struct finding x = { .port = p };
	char detail[128];

	snprintf(x.kind, sizeof x.kind, "open_port");
	snprintf(x.proto, sizeof x.proto, "tcp");
	snprintf(x.severity, sizeof x.severity, "info");
	x.target = strdup("127.0.0.1");
	x.service = strdup(service);
	x.title = strdup("open port");
	snprintf(detail, sizeof detail, "{\"product\":\"P\",\"version\":\"%s\"}", version);
	x.detail = strdup(detail);
	return x;
}

/* A finding of kind `kind` on target/port with this detail (JSON text). */
static struct finding of_kind(const char *kind, const char *target, int p, const char *title, const char *detail)
{
	struct finding x = { .port = p };

	snprintf(x.kind, sizeof x.kind, "%s", kind);
	snprintf(x.proto, sizeof x.proto, "%s", p ? "tcp" : "");
	snprintf(x.severity, sizeof x.severity, "info");
	x.target = strdup(target);
	x.service = p ? strdup("https") : NULL;
	x.title = strdup(title);
	x.detail = strdup(detail);
	return x;
}

static void release_all(struct finding *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		finding_release(&v[i]);
}

/* Submits, claims and completes one scan with these findings.  Returns its id. */
static int64_t run_scan(struct testutil_store *f, const char *options, const struct finding *fs, size_t n)
{
	struct scan_request req = { .type = "portscan", .targets = "[\"127.0.0.1\"]",
				    .options = options, .max_attempts = 3, .time_limit_s = 60 };
	struct scan *c = NULL;
	size_t nc = 0;
	int64_t id;
	int existed;

	assert_int_equal(store_submit(f->s, &req, &id, &existed), STORE_OK);
	assert_int_equal(store_claim(f->s, SCAN_POOL_LOCAL, "w", 1, 30000, &c, &nc), STORE_OK);
	assert_int_equal(nc, 1);
	assert_int_equal(c[0].id, id);
	assert_int_equal(store_complete(f->s, id, c[0].attempt, "{\"open\":1}", fs, n), STORE_OK);
	scan_array_free(c, nc);
	return id;
}

static void info_is(struct testutil_store *f, int64_t id, int64_t base, int64_t nw, int64_t gone,
		    int64_t changed)
{
	struct scan_changes_info in;

	assert_int_equal(store_changes_info(f->s, id, &in), STORE_OK);
	assert_int_equal(in.compared, 1);
	assert_int_equal(in.baseline_id, base);
	assert_int_equal(in.nnew, nw);
	assert_int_equal(in.ngone, gone);
	assert_int_equal(in.nchanged, changed);
}

static void the_first_scan_is_the_baseline_and_a_reordered_rerun_changes_nothing(void **state)
{
	struct testutil_store *f = *state;
	struct finding a[3] = { port(22, "ssh", "9.2"), port(80, "http", "1.22"), port(443, "https", "") };
	struct finding b[3] = { port(443, "https", ""), port(22, "ssh", "9.2"), port(80, "http", "1.22") };
	struct scan_change *ch = NULL;
	size_t n = 1;
	int64_t s1, s2;

	s1 = run_scan(f, "{\"ports\":\"1-1024\"}", a, 3);
	info_is(f, s1, 0, 0, 0, 0);
	s2 = run_scan(f, "{\"ports\":\"1-1024\"}", b, 3);
	info_is(f, s2, s1, 0, 0, 0);
	assert_int_equal(store_changes(f->s, s2, 0, 100, &ch, &n), STORE_OK);
	assert_int_equal(n, 0);
	scan_change_array_free(ch, n);
	release_all(a, 3);
	release_all(b, 3);
}

static void a_closed_port_is_gone_an_opened_one_new_and_a_new_version_changed(void **state)
{
	struct testutil_store *f = *state;
	struct finding a[2] = { port(22, "ssh", "9.2"), port(21, "ftp", "3.0") };
	struct finding b[2] = { port(25, "smtp", ""), port(22, "ssh", "9.3") };
	struct scan_change *ch = NULL;
	struct scan sc = { 0 };
	size_t n = 0;
	struct store_counters counters;
	int64_t s1, s2, other;
	int seen = 0;

	s1 = run_scan(f, "{}", a, 2);
	other = run_scan(f, "{\"detect\":true}", b, 2);	/* another baseline */
	info_is(f, other, 0, 0, 0, 0);
	s2 = run_scan(f, "{}", b, 2);
	info_is(f, s2, s1, 1, 1, 1);
	assert_int_equal(store_changes(f->s, s2, 0, 100, &ch, &n), STORE_OK);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(ch[i].change, "new") == 0 && ch[i].port == 25)
			seen |= 1;
		if (strcmp(ch[i].change, "gone") == 0 && ch[i].port == 21)
			seen |= 2;
		if (strcmp(ch[i].change, "changed") == 0 && ch[i].port == 22
		    && strstr(ch[i].before, "\"9.2\"") && strstr(ch[i].after, "\"9.3\""))
			seen |= 4;
	}
	assert_int_equal(seen, 7);
	scan_change_array_free(ch, n);
	assert_int_equal(store_get(f->s, s2, &sc), STORE_OK);
	assert_non_null(strstr(sc.summary, "\"changes\":{"));
	assert_non_null(strstr(sc.summary, "\"new\":1"));
	scan_release(&sc);
	assert_int_equal(store_counters(f->s, &counters), STORE_OK);
	assert_true(counters.changes_new == 1 && counters.changes_gone == 1
		    && counters.changes_changed == 1);
	/* The same comparison asked for now, between any two scans. */
	ch = NULL;
	size_t total = 0;
	assert_int_equal(store_diff(f->s, s1, s2, 100, &ch, &n, &total), STORE_OK);
	assert_int_equal(total, 3);
	scan_change_array_free(ch, n);
	/* A scan that finds nothing after one that found two: both gone. */
	int64_t s3 = run_scan(f, "{}", NULL, 0);
	info_is(f, s3, s2, 0, 2, 0);
	release_all(a, 2);
	release_all(b, 2);
}

static void a_delivery_is_written_with_the_completion_retried_fenced_and_failed(void **state)
{
	struct testutil_store *f = *state;
	struct finding a[1] = { port(22, "ssh", "9.2") };
	struct finding b[1] = { port(22, "ssh", "9.3") };
	struct delivery *d = NULL;
	size_t n = 0;
	struct store_counters counters;
	int64_t hook;
	const char *result = NULL;
	char uuid[40];

	assert_int_equal(store_webhook_add(f->s, "http://127.0.0.1:9/x", "changes.found", "0123456789abcdef",
					   "info", &hook), STORE_OK);
	run_scan(f, "{}", a, 1);
	assert_int_equal(store_delivery_claim(f->s, "w", 10, 30000, &d, &n), STORE_OK);
	assert_int_equal(n, 0);	/* the baseline: no changes, no changes.found */
	delivery_array_free(d, n);
	run_scan(f, "{}", b, 1);
	assert_int_equal(store_delivery_claim(f->s, "w", 10, 30000, &d, &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_string_equal(d[0].event, "changes.found");
	assert_string_equal(d[0].url, "http://127.0.0.1:9/x");
	assert_non_null(strstr(d[0].body, "\"changed\":1"));
	assert_non_null(strstr(d[0].body, d[0].uuid));
	snprintf(uuid, sizeof uuid, "%s", d[0].uuid);
	assert_int_equal(d[0].attempt, 1);
	/* A failed attempt goes back to pending after a backoff. */
	assert_int_equal(store_delivery_finish(f->s, d[0].id, 1, 2, 0, 500, "HTTP 500", 3, 10, &result),
			 STORE_OK);
	assert_string_equal(result, "retry");
	/* A late finish of the same attempt is fenced. */
	assert_int_equal(store_delivery_finish(f->s, d[0].id, 1, 2, 1, 204, NULL, 3, 10, &result),
			 STORE_LOST);
	delivery_array_free(d, n);
	struct timespec ts = { 0, 50 * 1000000L };
	nanosleep(&ts, NULL);	/* the backoff: 10 ms, jittered up to 15 */
	assert_int_equal(store_delivery_claim(f->s, "w", 10, 1, &d, &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(d[0].attempt, 2);
	assert_string_equal(d[0].uuid, uuid);
	delivery_array_free(d, n);
	/* Its sender died (lease 1 ms): another claims it, same id, attempt 3. */
	nanosleep(&ts, NULL);
	assert_int_equal(store_delivery_claim(f->s, "w2", 10, 30000, &d, &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(d[0].attempt, 3);
	assert_string_equal(d[0].uuid, uuid);
	assert_int_equal(store_delivery_finish(f->s, d[0].id, 3, 3, 0, 0, "timed out", 3, 10, &result),
			 STORE_OK);
	assert_string_equal(result, "failed");
	delivery_array_free(d, n);
	assert_int_equal(store_counters(f->s, &counters), STORE_OK);
	assert_true(counters.webhook_delivered == 0 && counters.webhook_retried == 1
		    && counters.webhook_failed == 1);
	struct delivery_log *log = NULL;
	assert_int_equal(store_delivery_log(f->s, 0, 10, &log, &n), STORE_OK);
	assert_int_equal(n, 2);	/* the two attempts recorded (the died one was not) */
	assert_int_equal(log[0].attempt, 3);
	assert_string_equal(log[0].status, "failed");
	assert_int_equal(log[1].code, 500);
	free(log);
	release_all(a, 1);
	release_all(b, 1);
}

static void a_removed_webhook_keeps_its_deliveries_and_gets_no_more(void **state)
{
	struct testutil_store *f = *state;
	struct finding a[1] = { port(22, "ssh", "9.2") };
	struct finding b[1] = { port(22, "ssh", "9.3") };
	struct delivery *d = NULL;
	struct delivery_log *log = NULL;
	struct webhook *w = NULL;
	struct audit_entry *au = NULL;
	size_t n = 0;
	int64_t hook;
	const char *result = NULL;
	char uuid[40];

	assert_int_equal(store_webhook_add(f->s, "http://127.0.0.1:9/x", "changes.found", "0123456789abcdef",
					   "info", &hook), STORE_OK);
	run_scan(f, "{}", a, 1);
	run_scan(f, "{}", b, 1);	/* one changes.found, delivered */
	assert_int_equal(store_delivery_claim(f->s, "w", 10, 30000, &d, &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_delivery_finish(f->s, d[0].id, 1, 8, 1, 204, NULL, 3, 10, &result), STORE_OK);
	delivery_array_free(d, n);
	assert_int_equal(store_webhook_test(f->s, hook, uuid), STORE_OK);
	assert_int_equal(store_delivery_claim(f->s, "w", 10, 30000, &d, &n), STORE_OK);
	assert_int_equal(n, 1);		/* on its way while the hook is removed */
	assert_int_equal(store_webhook_test(f->s, hook, uuid), STORE_OK);	/* pending */
	assert_int_equal(store_webhook_rm(f->s, hook, "cli:tester", NULL), STORE_OK);
	/* The one on its way fails: not retried, its attempt recorded. */
	assert_int_equal(store_delivery_finish(f->s, d[0].id, 1, 8, 0, 0, "refused", 3, 10, &result),
			 STORE_OK);
	assert_string_equal(result, "failed");
	delivery_array_free(d, n);
	/* Removed twice, or never there: refused, nothing written. */
	assert_int_equal(store_webhook_rm(f->s, hook, "cli:other", NULL), STORE_ILLEGAL);
	assert_non_null(strstr(store_error(f->s), "was removed at "));
	assert_non_null(strstr(store_error(f->s), " by cli:tester"));
	assert_int_equal(store_webhook_rm(f->s, hook + 1000, "cli:other", NULL), STORE_NOT_FOUND);
	assert_int_equal(store_webhook_test(f->s, hook, uuid), STORE_ILLEGAL);
	/* Hidden from the default list, marked in the full one. */
	assert_int_equal(store_webhook_list(f->s, 0, &w, &n), STORE_OK);
	assert_int_equal(n, 0);
	webhook_array_free(w, n);
	assert_int_equal(store_webhook_list(f->s, 1, &w, &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_true(w[0].id == hook && w[0].removed_at > 0);
	assert_string_equal(w[0].removed_by, "cli:tester");
	webhook_array_free(w, n);
	/* Its history stays: the delivered one, and the test delivery never
	 * sent, failed with the reason. */
	assert_int_equal(store_delivery_log(f->s, hook, 10, &log, &n), STORE_OK);
	assert_int_equal(n, 3);
	assert_string_equal(log[0].event, "webhook.test");
	assert_string_equal(log[0].status, "failed");
	assert_int_equal(log[0].attempt, 0);
	assert_string_equal(log[0].error, "webhook removed");
	assert_true(log[0].webhook_removed_at > 0);
	assert_string_equal(log[1].status, "failed");
	assert_int_equal(log[1].attempt, 1);
	assert_string_equal(log[1].error, "refused");
	assert_string_equal(log[2].status, "delivered");
	assert_int_equal(log[2].code, 204);
	free(log);
	/* Nothing more is queued or claimed for it. */
	run_scan(f, "{}", a, 1);
	assert_int_equal(store_delivery_claim(f->s, "w", 10, 30000, &d, &n), STORE_OK);
	assert_int_equal(n, 0);
	delivery_array_free(d, n);
	/* The removal is in the audit trail once, with who did it. */
	assert_int_equal(store_audit_list(f->s, 0, 10, &au, &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_string_equal(au[0].action, "webhook rm");
	assert_string_equal(au[0].actor, "cli:tester");
	free(au);
	release_all(a, 1);
	release_all(b, 1);
}


/* The http endpoint's finding on port 8443, as the http scan writes it. */
static struct finding web(const char *title, const char *server, const char *tech, const char *subject,
			  int days_left, const char *body)
{
	char d[1024];

	snprintf(d, sizeof d, "{\"status\":200,\"html_title\":\"%s\",\"server\":\"%s\",\"body_sha256\":\"%s\","
		 "\"technologies\":[%s],\"certificate\":{\"subject\":\"%s\",\"issuer\":\"CN = ca\","
		 "\"not_after\":\"2027-01-01\",\"days_left\":%d,\"expired\":false,\"sans\":[\"web.test\"]},"
		 "\"address\":\"127.0.0.1\"}", title, server, body, tech, subject, days_left);
	return of_kind("http", "127.0.0.1", 8443, title, d);
}

/* The after.web.changed list of the one change of scan id, or "" */
static void web_change_is(struct testutil_store *f, int64_t id, const char *want)
{
	struct scan_change *ch = NULL;
	size_t n = 0;

	assert_int_equal(store_changes(f->s, id, 0, 100, &ch, &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_string_equal(ch[0].change, "changed");
	assert_string_equal(ch[0].kind, "http");
	assert_non_null(ch[0].after);
	if (!strstr(ch[0].after, want))
		fail_msg("after %s lacks %s", ch[0].after, want);
	scan_change_array_free(ch, n);
}

static void a_web_page_s_title_server_technologies_and_certificate_are_changes_its_body_and_days_are_not(void **state)
{
	struct testutil_store *f = *state;
	const char *nginx = "{\"name\":\"nginx\",\"category\":\"server\"}";
	const char *both = "{\"name\":\"nginx\",\"category\":\"server\"},{\"name\":\"PHP\",\"category\":\"language\"}";
	struct finding v[6] = {
		web("Login", "nginx", nginx, "CN = web.test", 30, "aa"),
		web("Login", "nginx", nginx, "CN = web.test", 29, "bb"),	/* a day later, a new body */
		web("Dashboard", "nginx", nginx, "CN = web.test", 29, "bb"),
		web("Dashboard", "Apache", both, "CN = web.test", 29, "bb"),
		web("Dashboard", "Apache", "", "CN = web.test", 29, "bb"),
		web("Dashboard", "Apache", "", "CN = other.test", 29, "bb"),
	};
	int64_t id[6];

	for (int i = 0; i < 6; i++)
		id[i] = run_scan(f, "{\"ports\":\"8443\"}", &v[i], 1);
	info_is(f, id[1], id[0], 0, 0, 0);
	info_is(f, id[2], id[1], 0, 0, 1);
	web_change_is(f, id[2], "\"changed\":[\"title\"]");
	web_change_is(f, id[2], "\"html_title\":\"Dashboard\"");
	web_change_is(f, id[3], "\"changed\":[\"server\",\"technology_added\"]");
	web_change_is(f, id[4], "\"changed\":[\"technology_removed\"]");
	web_change_is(f, id[5], "\"changed\":[\"certificate\"]");
	release_all(v, 6);
}

static void a_dns_record_added_or_removed_and_a_new_subdomain_are_changes(void **state)
{
	struct testutil_store *f = *state;
	struct finding a[2] = {
		of_kind("dns_record", "example.test", 0, "example.test A 127.0.0.10",
			"{\"domain\":\"example.test\",\"name\":\"example.test\",\"type\":\"A\",\"value\":\"127.0.0.10\"}"),
		of_kind("dns_record", "example.test", 0, "example.test MX 10 mail.example.test",
			"{\"domain\":\"example.test\",\"name\":\"example.test\",\"type\":\"MX\",\"value\":\"10 mail.example.test\"}"),
	};
	struct finding b[3] = {
		of_kind("dns_record", "example.test", 0, "example.test A 127.0.0.10",
			"{\"domain\":\"example.test\",\"name\":\"example.test\",\"type\":\"A\",\"value\":\"127.0.0.10\"}"),
		of_kind("dns_record", "example.test", 0, "example.test TXT v=spf1 -all",
			"{\"domain\":\"example.test\",\"name\":\"example.test\",\"type\":\"TXT\",\"value\":\"v=spf1 -all\"}"),
		of_kind("dns_name", "vpn.example.test", 0, "vpn.example.test: 127.0.0.12",
			"{\"name\":\"vpn.example.test\",\"domain\":\"example.test\",\"source\":\"wordlist\"}"),
	};
	struct scan_change *ch = NULL;
	size_t n = 0;
	int64_t s1, s2;
	int seen = 0;

	s1 = run_scan(f, "{\"wordlist\":\"w\"}", a, 2);
	s2 = run_scan(f, "{\"wordlist\":\"w\"}", b, 3);
	info_is(f, s2, s1, 2, 1, 0);
	assert_int_equal(store_changes(f->s, s2, 0, 100, &ch, &n), STORE_OK);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(ch[i].change, "gone") == 0 && strcmp(ch[i].kind, "dns_record") == 0
		    && strstr(ch[i].title, "MX"))
			seen |= 1;
		if (strcmp(ch[i].change, "new") == 0 && strcmp(ch[i].kind, "dns_record") == 0
		    && strstr(ch[i].title, "TXT"))
			seen |= 2;
		if (strcmp(ch[i].change, "new") == 0 && strcmp(ch[i].kind, "dns_name") == 0
		    && strcmp(ch[i].target, "vpn.example.test") == 0)
			seen |= 4;
	}
	assert_int_equal(seen, 7);
	scan_change_array_free(ch, n);
	release_all(a, 2);
	release_all(b, 3);
}

/* Four scans of one baseline completed in one batch (one statement marks
 * them all on PostgreSQL): each is compared with the one before it in the
 * batch, and the lifecycle sees what the earlier ones opened: the last,
 * with no findings, fixes the port the third one still saw. */
static void a_batch_of_one_baseline_compares_each_scan_with_the_one_before(void **state)
{
	struct testutil_store *f = *state;
	struct scan_request req = { .type = "portscan", .targets = "[\"127.0.0.1\"]",
				    .options = "{\"ports\":\"1-99\"}", .max_attempts = 3,
				    .time_limit_s = 60 };
	struct finding a[1] = { port(22, "ssh", "9.2") };
	struct finding b[2] = { port(22, "ssh", "9.2"), port(80, "http", "1.22") };
	struct finding c3[1] = { port(80, "http", "1.22") };
	struct store_completion done[4];
	struct scan *c = NULL, *next = NULL;
	size_t nc = 0, nn = 0;
	int64_t id[4];
	int existed;

	for (int i = 0; i < 4; i++)
		assert_int_equal(store_submit(f->s, &req, &id[i], &existed), STORE_OK);
	assert_int_equal(store_claim(f->s, SCAN_POOL_LOCAL, "w", 4, 30000, &c, &nc), STORE_OK);
	assert_int_equal(nc, 4);
	for (size_t i = 0; i < 4; i++)
		done[i] = (struct store_completion){ .id = c[i].id, .attempt = c[i].attempt,
						     .summary = "{}" };
	done[0].findings = a;
	done[0].nfindings = 1;
	done[1].findings = b;
	done[1].nfindings = 2;
	done[2].findings = c3;
	done[2].nfindings = 1;
	assert_int_equal(store_complete_and_claim(f->s, done, 4, SCAN_POOL_LOCAL, "w", 4, 30000,
						  &next, &nn), STORE_OK);
	assert_int_equal(nn, 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(done[i].rc, STORE_OK);
	info_is(f, id[0], 0, 0, 0, 0);
	info_is(f, id[1], id[0], 1, 0, 0);
	info_is(f, id[2], id[1], 0, 1, 0);
	info_is(f, id[3], id[2], 0, 1, 0);
	assert_int_equal(db_int(f, "SELECT count(*) FROM finding_states WHERE state = 'fixed'"), 2);
	assert_int_equal(db_int(f, "SELECT count(*) FROM finding_states WHERE state = 'open'"), 0);
	scan_array_free(c, nc);
	scan_array_free(next, nn);
	release_all(a, 1);
	release_all(b, 2);
	release_all(c3, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(the_first_scan_is_the_baseline_and_a_reordered_rerun_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(a_closed_port_is_gone_an_opened_one_new_and_a_new_version_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(a_delivery_is_written_with_the_completion_retried_fenced_and_failed, setup, teardown),
		cmocka_unit_test_setup_teardown(a_removed_webhook_keeps_its_deliveries_and_gets_no_more, setup, teardown),
		cmocka_unit_test_setup_teardown(a_web_page_s_title_server_technologies_and_certificate_are_changes_its_body_and_days_are_not, setup, teardown),
		cmocka_unit_test_setup_teardown(a_dns_record_added_or_removed_and_a_new_subdomain_are_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(a_batch_of_one_baseline_compares_each_scan_with_the_one_before, setup, teardown),
	};

	return teststore_run("changes", tests, sizeof tests / sizeof tests[0]) != 0;
}
