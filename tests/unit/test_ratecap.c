/*
 * test_ratecap.c — rate caps per network without a database: the syntax
 * of a cap, which caps a scan's targets count against (the most specific
 * one), the [rate] cap setting, and the arithmetic of the budget a
 * scanner is fed (budget.h): tokens released evenly over what is left of
 * their second, dropped when it ends, a new second dropping the old rest;
 * and what a worker asks for (worker/ratefeed.h): a slice when on time,
 * the slices of the time it missed when late.
 */
#include "testutil.h"
#include <fcntl.h>
#include <unistd.h>
#include "core/config.h"
#include "budget.h"
#include "ratecap.h"
#include "scantype.h"
#include "worker/ratefeed.h"

static void caps_parse_to_a_canonical_network_and_refuse_bad_input(void **state)
{
	struct ratecap c;
	char err[200];

	(void)state;
	assert_int_equal(ratecap_parse("10.1.2.3/8:2000", &c, err, sizeof err), 0);
	assert_string_equal(c.net, "10.0.0.0/8");
	assert_int_equal(c.probes, 2000);
	assert_int_equal(ratecap_parse("192.0.2.7:5", &c, err, sizeof err), 0);
	assert_string_equal(c.net, "192.0.2.7/32");
	assert_int_equal(ratecap_parse("2001:db8::/32:70", &c, err, sizeof err), 0);
	assert_string_equal(c.net, "2001:db8::/32");
	assert_int_equal(ratecap_parse("0.0.0.0/0:20000", &c, err, sizeof err), 0);
	assert_string_equal(c.net, "0.0.0.0/0");
	assert_int_equal(ratecap_parse("10.0.0.0/8:0", &c, err, sizeof err), -1);
	assert_non_null(strstr(err, "must be 1..10000000"));
	assert_int_equal(ratecap_parse("10.0.0.0/8:-5", &c, err, sizeof err), -1);
	assert_int_equal(ratecap_parse("10.0.0.0/8:10000001", &c, err, sizeof err), -1);
	assert_int_equal(ratecap_parse("10.0.0.0/8:2k", &c, err, sizeof err), -1);
	assert_non_null(strstr(err, "NETWORK:PROBES"));
	assert_int_equal(ratecap_parse("10.0.0.0/33:10", &c, err, sizeof err), -1);
	assert_non_null(strstr(err, "bad network"));
	assert_int_equal(ratecap_parse("example.com:10", &c, err, sizeof err), -1);
	assert_int_equal(ratecap_parse("10.0.0.1-9:10", &c, err, sizeof err), -1);
	assert_int_equal(ratecap_parse("garbage", &c, err, sizeof err), -1);
	assert_int_equal(ratecap_parse(":10", &c, err, sizeof err), -1);
}

/* The caps of caps[] the targets count against, as network texts joined
 * by spaces, in caps[] order. */
static const char *matched(const struct ratecap *caps, size_t n, const char *t1, const char *t2)
{
	static char out[512];
	const char *t[2] = { t1, t2 };
	size_t idx[RATECAP_MAX], k = ratecap_match(caps, n, t, t2 ? 2 : 1, idx);

	out[0] = '\0';
	for (size_t i = 0; i < k; i++)
		snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", i ? " " : "", caps[idx[i]].net);
	return out;
}

static void a_target_counts_against_the_most_specific_cap_that_holds_it(void **state)
{
	const char *specs[] = { "0.0.0.0/0:20000", "10.0.0.0/8:2000", "10.1.0.0/16:100",
				"::/0:900", "10.0.0.0/8:3000" };
	struct ratecap caps[5];
	char err[200];

	(void)state;
	for (int i = 0; i < 5; i++)
		assert_int_equal(ratecap_parse(specs[i], &caps[i], err, sizeof err), 0);
	assert_string_equal(matched(caps, 5, "10.2.3.4", NULL), "10.0.0.0/8");
	assert_int_equal(caps[1].probes, 2000);	/* of two caps of one network, the smaller */
	assert_string_equal(matched(caps, 5, "10.1.9.0/24", NULL), "10.1.0.0/16");
	assert_string_equal(matched(caps, 5, "192.0.2.1", NULL), "0.0.0.0/0");
	assert_string_equal(matched(caps, 5, "2001:db8::1", NULL), "::/0");
	/* A target wider than a cap counts against it too (a part of it is inside). */
	assert_string_equal(matched(caps, 5, "10.0.0.0/8", NULL), "10.0.0.0/8 10.1.0.0/16");
	assert_string_equal(matched(caps, 5, "10.2.0.1", "192.0.2.1"), "10.0.0.0/8 0.0.0.0/0");
	/* A name is not resolved here: the catch-all caps of both families. */
	assert_string_equal(matched(caps, 5, "www.example.com", NULL), "0.0.0.0/0 ::/0");
	assert_string_equal(matched(caps + 1, 2, "192.0.2.1", NULL), "");
	assert_string_equal(matched(caps + 1, 2, "www.example.com", NULL), "");
}

static void the_rate_cap_setting_is_checked_at_load(void **state)
{
	char err[256], path[] = "/tmp/scanq-ratecap-XXXXXX";
	int fd = mkstemp(path);
	const char *bad[] = { "10.0.0.0/8:0", "300.0.0.0/8:10", "10.0.0.0/8", "garbage" };

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "[rate]\ncap = 10.0.0.0/8:2000, 0.0.0.0/0:20000\n", 46), 46);
	close(fd);
	assert_int_equal(config_load(path, err, sizeof err), 0);
	assert_int_equal(config.nrate_cap, 2);
	assert_string_equal(config.rate_cap[1], "0.0.0.0/0:20000");
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		setenv("SCANQ_RATE_CAP", bad[i], 1);
		assert_int_equal(config_load(path, err, sizeof err), -1);
		assert_non_null(strstr(err, "SCANQ_RATE_CAP"));
	}
	unsetenv("SCANQ_RATE_CAP");
	unlink(path);
	assert_int_equal(config_load("/dev/null", err, sizeof err), 0);
	assert_int_equal(config.nrate_cap, 0);
}

static void a_slice_is_released_evenly_over_what_is_left_of_its_second(void **state)
{
	struct budget b;
	int sent = 0;

	(void)state;
	budget_init(&b, -1);
	assert_int_equal(budget_take(&b, 100.0), 0);	/* nothing granted: nothing goes */
	budget_grant(&b, 7, 100, 1000, 100.0);
	assert_int_equal(budget_take(&b, 100.0), 0);	/* not all at once */
	for (double t = 100.0; t < 100.5; t += 0.001)
		while (budget_take(&b, t))
			sent++;
	assert_in_range(sent, 48, 51);		/* half the second: half the slice */
	for (double t = 100.5; t < 100.999; t += 0.001)
		while (budget_take(&b, t))
			sent++;
	assert_in_range(sent, 98, 100);
	assert_true(sent <= 100);
}

static void tokens_end_with_their_second_and_a_new_second_drops_the_old_rest(void **state)
{
	struct budget b;
	int sent = 0;

	(void)state;
	budget_init(&b, -1);
	budget_grant(&b, 7, 100, 200, 10.0);
	assert_int_equal(budget_take(&b, 10.25), 0);	/* its second ended: all dropped */
	budget_grant(&b, 8, 100, 1000, 11.0);
	budget_grant(&b, 7, 500, 1000, 11.0);		/* a late slice of an older second */
	budget_grant(&b, 9, 10, 1000, 11.5);		/* a new second: the rest of 8 goes */
	for (double t = 11.5; t < 13; t += 0.001)
		while (budget_take(&b, t))
			sent++;
	assert_int_equal(sent, 10);
	assert_int_equal(b.spent, 10);
}

static void slices_are_read_from_the_feed_line_by_line(void **state)
{
	struct budget b;
	int p[2], sent = 0;

	(void)state;
	assert_int_equal(pipe2(p, O_NONBLOCK), 0);
	budget_init(&b, p[0]);
	assert_int_equal(write(p[1], "5 40 1000\n5 2", 13), 13);
	assert_int_equal(budget_read(&b, 1.0), 0);
	assert_int_equal(write(p[1], "0 1000\nnot a slice\n", 19), 19);
	assert_int_equal(budget_read(&b, 1.0), 0);
	for (double t = 1.0; t < 2.0; t += 0.001)
		while (budget_take(&b, t))
			sent++;
	assert_int_equal(sent, 60);
	close(p[1]);
	assert_int_equal(budget_read(&b, 2.0), -1);	/* the worker closed the feed */
	close(p[0]);
}

static void only_the_paced_types_are_fed_a_budget(void **state)
{
	(void)state;
	assert_true(budget_paced_type("portscan"));
	assert_true(budget_paced_type("discovery"));
	assert_false(budget_paced_type("tls"));
	assert_false(budget_paced_type("nmap"));
	assert_false(budget_paced_type(NULL));
}

/* A source that grants whatever is asked and records the asks. */
struct asks {
	struct source src;	/* first: the source ratefeed is given */
	long want[16];
	int n;
};

static int asks_take(struct source *src, const struct scan *sc, long want, struct rate_grant *g)
{
	struct asks *a = (struct asks *)src;

	(void)sc;
	if (a->n < 16)
		a->want[a->n++] = want;
	*g = (struct rate_grant){ .capped = 1, .probes = want, .cap = 400, .window = 1,
				  .ms_left = 900 };
	return STORE_OK;
}

static void a_worker_that_asks_late_asks_for_the_slices_it_missed(void **state)
{
	static const struct source_ops ops = { .rate_take = asks_take };
	struct asks a = { .src = { .ops = &ops, .kind = "test" } };
	struct scan sc = { .type = "portscan", .options = "{}" };
	struct ratefeed rf;
	int child = -1, reader;
	int64_t t;

	(void)state;
	assert_int_equal(ratefeed_open(&rf, &a.src, &sc, &child, "w-test"), 1);
	assert_int_equal(rf.slice, 50);			/* cap 400: eight slices of 50 */
	reader = dup(child);				/* the child's end stays open */
	ratefeed_started(&rf, &child);
	t = rf.next_ms;
	ratefeed_step(&rf, &a.src, &sc, t);		/* on time */
	ratefeed_step(&rf, &a.src, &sc, t + 125);	/* on time */
	ratefeed_step(&rf, &a.src, &sc, t + 425);	/* 300 ms since: two slices */
	ratefeed_step(&rf, &a.src, &sc, t + 1425);	/* a second since: a second's */
	ratefeed_step(&rf, &a.src, &sc, t + 3425);	/* two seconds: still a second's */
	ratefeed_step(&rf, &a.src, &sc, t + 3435);	/* not due: no ask */
	assert_int_equal(a.n, 6);			/* the first ask (1 probe) and five */
	assert_int_equal(a.want[0], 1);
	assert_int_equal(a.want[1], 50);
	assert_int_equal(a.want[2], 50);
	assert_int_equal(a.want[3], 100);
	assert_int_equal(a.want[4], 400);
	assert_int_equal(a.want[5], 400);
	ratefeed_close(&rf);
	close(reader);
}

static void asks_a_little_late_each_still_add_up_to_the_cap(void **state)
{
	static const struct source_ops ops = { .rate_take = asks_take };
	struct asks a = { .src = { .ops = &ops, .kind = "test" } };
	struct scan sc = { .type = "portscan", .options = "{}" };
	struct ratefeed rf;
	int child = -1, reader;
	long sum = 0;
	int64_t t;

	(void)state;
	assert_int_equal(ratefeed_open(&rf, &a.src, &sc, &child, "w-test"), 1);
	reader = dup(child);
	ratefeed_started(&rf, &child);
	t = rf.next_ms;
	/* Ten asks 140 ms apart instead of 125 (as at a load average of 25):
	 * 1,260 ms and the first slice's 125 are ten slices and a tenth over,
	 * so eleven; one slice an ask would have given ten. */
	for (int i = 0; i < 10; i++)
		ratefeed_step(&rf, &a.src, &sc, t + 140 * i);
	for (int i = 1; i < a.n; i++)
		sum += a.want[i];
	assert_int_equal(a.n, 11);
	assert_int_equal(sum, 11 * 50);
	ratefeed_close(&rf);
	close(reader);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(caps_parse_to_a_canonical_network_and_refuse_bad_input),
		cmocka_unit_test(a_target_counts_against_the_most_specific_cap_that_holds_it),
		cmocka_unit_test(the_rate_cap_setting_is_checked_at_load),
		cmocka_unit_test(a_slice_is_released_evenly_over_what_is_left_of_its_second),
		cmocka_unit_test(tokens_end_with_their_second_and_a_new_second_drops_the_old_rest),
		cmocka_unit_test(slices_are_read_from_the_feed_line_by_line),
		cmocka_unit_test(only_the_paced_types_are_fed_a_budget),
		cmocka_unit_test(a_worker_that_asks_late_asks_for_the_slices_it_missed),
		cmocka_unit_test(asks_a_little_late_each_still_add_up_to_the_cap),
	};

	scantype_config_checks();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
