/*
 * test_spawn.c — the supervised child of spawn.h, with real children:
 * /bin and /usr/bin programs, and the scanq binary ($SCANQ) running its
 * test-* scan types.  No shell is involved anywhere.
 */
#include "core/clock.h"
#include "testutil.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <poll.h>
#include "worker/spawn.h"

struct lines {
	char text[16384];
	size_t len;
	int count;
};

static void collect(void *arg, char *line, size_t len)
{
	struct lines *l = arg;

	l->count++;
	if (l->len + len + 2 < sizeof l->text) {
		memcpy(l->text + l->len, line, len);
		l->len += len;
		l->text[l->len++] = '\n';
		l->text[l->len] = '\0';
	}
}

static const char *scanq(void)
{
	const char *p = getenv("SCANQ");

	if (!p || p[0] != '/') {
		static char abs[4096];
		if (!p || !realpath(p, abs))
			fail_msg("set SCANQ to the scanq binary");
		return abs;
	}
	return p;
}

/* Drives one child from a poll loop until it has ended (or fails the test
 * after timeout_ms). */
static void run_to_end(struct spawn_child *c, int timeout_ms)
{
	int64_t deadline = clock_mono_ms() + timeout_ms;

	while (!spawn_step(c)) {
		struct pollfd pfd[SPAWN_POLLFDS];
		int n = spawn_pollfds(c, pfd), t = spawn_timeout_ms(c);

		if (clock_mono_ms() > deadline)
			fail_msg("child %d did not end within %d ms", spawn_pid(c), timeout_ms);
		if (t < 0 || t > 100)
			t = 100;
		poll(pfd, (nfds_t)n, t);
	}
}

/* In a sanitizer build of scanq, ASan must let SIGSEGV kill the child, and
 * test-alloc leaks on purpose. */
static char *child_env[] = { "ASAN_OPTIONS=handle_segv=0:detect_leaks=0", NULL };

static struct spawn_child *start(char **argv, struct spawn_opts *o, struct lines *l)
{
	char err[256];
	struct spawn_child *c;

	if (!o->env)
		o->env = child_env;
	o->argv = argv;
	o->on_line = collect;
	o->arg = l;
	c = spawn_start(o, NULL, err, sizeof err);
	if (!c)
		fail_msg("spawn_start: %s", err);
	return c;
}

/* Counts live (not zombie) processes whose process group is pgid. */
static int live_in_group(int pgid)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[300], buf[512], *p;
		FILE *f;
		int pgrp;
		char state;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		if (!(f = fopen(path, "r")))
			continue;
		if (fgets(buf, sizeof buf, f) && (p = strrchr(buf, ')'))
		    && sscanf(p + 2, "%c %*d %d", &state, &pgrp) == 2 && pgrp == pgid
		    && state != 'Z' && state != 'X')
			n++;
		fclose(f);
	}
	closedir(d);
	return n;
}

static void a_clean_exit_is_exit_0(void **state)
{
	char *argv[] = { "/bin/true", NULL };
	struct spawn_opts o = { 0 };
	struct lines l = { 0 };
	struct spawn_child *c = start(argv, &o, &l);

	run_to_end(c, 10000);
	assert_int_equal(spawn_end(c), SPAWN_EXITED);
	assert_int_equal(spawn_exit_code(c), 0);
	spawn_free(c);
}

static void stdout_is_split_into_protocol_lines(void **state)
{
	char *argv[] = { (char *)scanq(), "scan", "test-ok", "--json", "--", "127.0.0.1", NULL };
	struct spawn_opts o = { .memory_limit_mb = 1024 };
	struct lines l = { 0 };
	struct spawn_child *c = start(argv, &o, &l);

	run_to_end(c, 10000);
	assert_int_equal(spawn_end(c), SPAWN_EXITED);
	assert_true(l.count >= 3);
	assert_non_null(strstr(l.text, "{\"finding\":"));
	assert_non_null(strstr(l.text, "{\"summary\":"));
	spawn_free(c);
}

static void a_non_zero_exit_keeps_its_code_and_stderr(void **state)
{
	char *argv[] = { (char *)scanq(), "scan", "test-fail", "--json", "--options",
			 "{\"exit\":3}", "--", "x", NULL };
	struct spawn_opts o = { 0 };
	struct lines l = { 0 };
	struct spawn_child *c = start(argv, &o, &l);
	char tail[SPAWN_STDERR_TAIL + 1], desc[128];

	run_to_end(c, 10000);
	assert_int_equal(spawn_end(c), SPAWN_EXIT_STATUS);
	assert_int_equal(spawn_exit_code(c), 3);
	spawn_stderr(c, tail, sizeof tail);
	assert_non_null(strstr(tail, "failing on purpose"));
	assert_string_equal(spawn_describe(c, desc, sizeof desc), "exit status 3");
	spawn_free(c);
}

static void a_signal_death_is_a_crash_with_its_name(void **state)
{
	char *argv[] = { (char *)scanq(), "scan", "test-crash", "--json", "--", "x", NULL };
	struct spawn_opts o = { 0 };
	struct lines l = { 0 };
	struct spawn_child *c = start(argv, &o, &l);
	char desc[128];

	run_to_end(c, 10000);
	assert_int_equal(spawn_end(c), SPAWN_CRASHED);
	assert_int_equal(spawn_signal(c), SIGSEGV);
	assert_string_equal(spawn_describe(c, desc, sizeof desc), "killed by SIGSEGV");
	spawn_free(c);
}

static void the_hard_limit_kills_the_whole_group(void **state)
{
	char *argv[] = { (char *)scanq(), "scan", "test-fork", "--json", "--options",
			 "{\"children\":3,\"seconds\":60}", "--", "x", NULL };
	struct spawn_opts o = { .soft_ms = 0, .hard_ms = 700 };
	struct lines l = { 0 };
	struct spawn_child *c = start(argv, &o, &l);
	int pgid = spawn_pid(c);
	int64_t t0 = clock_mono_ms();

	run_to_end(c, 10000);
	assert_int_equal(spawn_end(c), SPAWN_TIMEOUT);
	assert_int_equal(spawn_signal(c), SIGKILL);
	assert_int_equal(l.count, 3);	/* the three {"child_pid":N} lines */
	/* The kill has been sent to the group; give the kernel a moment. */
	while (live_in_group(pgid) > 0 && clock_mono_ms() - t0 < 5000)
		usleep(10000);
	assert_int_equal(live_in_group(pgid), 0);
	spawn_free(c);
}

static void the_soft_limit_sends_sigterm(void **state)
{
	char *argv[] = { (char *)scanq(), "scan", "test-sleep", "--json", "--options",
			 "{\"seconds\":30}", "--", "x", NULL };
	struct spawn_opts o = { .soft_ms = 300, .hard_ms = 10000 };
	struct lines l = { 0 };
	struct spawn_child *c = start(argv, &o, &l);

	run_to_end(c, 8000);
	assert_int_equal(spawn_end(c), SPAWN_TIMEOUT);
	assert_int_equal(spawn_signal(c), SIGTERM);
	assert_true(spawn_elapsed_ms(c) < 5000);
	spawn_free(c);
}

static void a_flood_is_killed_at_the_output_cap(void **state)
{
	char *argv[] = { (char *)scanq(), "scan", "test-flood", "--json", "--", "x", NULL };
	struct spawn_opts o = { .output_limit = 200000, .hard_ms = 20000 };
	struct lines l = { 0 };
	struct spawn_child *c = start(argv, &o, &l);

	run_to_end(c, 15000);
	assert_int_equal(spawn_end(c), SPAWN_OUTPUT_TOO_LARGE);
	spawn_free(c);
}

static void a_child_past_its_memory_limit_is_killed_oom(void **state)
{
	char *argv[] = { (char *)scanq(), "scan", "test-alloc", "--json", "--options",
			 "{\"mb\":400}", "--", "x", NULL };
	struct spawn_opts o = { .memory_limit_mb = 192, .hard_ms = 20000 };
	struct lines l = { 0 };
	struct spawn_child *c;
	char desc[128];

	if (!spawn_memory_limit_supported())
		skip();		/* sanitizer build: see spawn.h */
	c = start(argv, &o, &l);

	run_to_end(c, 15000);
	assert_int_equal(spawn_end(c), SPAWN_KILLED_OOM);
	assert_non_null(strstr(spawn_describe(c, desc, sizeof desc), "out of memory"));
	spawn_free(c);
}

static void a_child_within_its_memory_limit_is_fine(void **state)
{
	char *argv[] = { (char *)scanq(), "scan", "test-alloc", "--json", "--options",
			 "{\"mb\":16}", "--", "x", NULL };
	struct spawn_opts o = { .memory_limit_mb = 512, .hard_ms = 20000 };
	struct lines l = { 0 };
	struct spawn_child *c = start(argv, &o, &l);

	run_to_end(c, 15000);
	assert_int_equal(spawn_end(c), SPAWN_EXITED);
	spawn_free(c);
}

static void a_missing_program_fails_to_start_with_enoent(void **state)
{
	char *argv[] = { "/nonexistent/scanq-tool", NULL };
	struct spawn_opts o = { .argv = argv };
	char err[256];
	int e = 0;

	assert_null(spawn_start(&o, &e, err, sizeof err));
	assert_int_equal(e, ENOENT);
	assert_non_null(strstr(err, "No such file"));
}

static void a_relative_program_is_refused(void **state)
{
	char *argv[] = { "true", NULL };
	struct spawn_opts o = { .argv = argv };
	char err[256];

	assert_null(spawn_start(&o, NULL, err, sizeof err));
}

static void the_environment_is_clean(void **state)
{
	char *argv[] = { "/usr/bin/env", NULL };
	char *env[] = { "SCANQ_SCOPE_ALLOW=127.0.0.1", NULL };
	struct spawn_opts o = { .env = env };
	struct lines l = { 0 };
	struct spawn_child *c;

	setenv("SCANQ_TEST_SECRET", "leak", 1);
	c = start(argv, &o, &l);
	run_to_end(c, 10000);
	assert_string_equal(l.text, "PATH=/usr/bin:/bin\nSCANQ_SCOPE_ALLOW=127.0.0.1\n");
	assert_null(strstr(l.text, "SECRET"));
	spawn_free(c);
}

static void no_descriptor_leaks_and_stdin_is_dev_null(void **state)
{
	char *argv[] = { "/bin/ls", "-1", "/proc/self/fd", NULL };
	char *argv2[] = { "/usr/bin/readlink", "/proc/self/fd/0", NULL };
	struct spawn_opts o = { 0 };
	struct lines l = { 0 }, l2 = { 0 };
	struct spawn_child *c;
	int leak = open("/dev/null", O_RDONLY);	/* not close-on-exec on purpose */

	assert_true(leak >= 0);
	assert_true(dup2(leak, 40) == 40);
	c = start(argv, &o, &l);
	run_to_end(c, 10000);
	/* 0, 1, 2 and the descriptor ls opened to read the directory. */
	assert_string_equal(l.text, "0\n1\n2\n3\n");
	spawn_free(c);
	close(40);
	close(leak);
	c = start(argv2, &o, &l2);
	run_to_end(c, 10000);
	assert_string_equal(l2.text, "/dev/null\n");
	spawn_free(c);
}

static void stop_sends_sigterm_then_sigkill_after_the_grace(void **state)
{
	char *argv[] = { "/bin/sleep", "30", NULL };
	struct spawn_opts o = { 0 };
	struct lines l = { 0 };
	struct spawn_child *c = start(argv, &o, &l);

	spawn_stop(c, 2000);
	run_to_end(c, 5000);
	assert_int_equal(spawn_end(c), SPAWN_STOPPED);
	assert_int_equal(spawn_signal(c), SIGTERM);
	spawn_free(c);
}

static void freeing_a_running_child_kills_and_reaps_it(void **state)
{
	char *argv[] = { "/bin/sleep", "30", NULL };
	struct spawn_opts o = { 0 };
	struct lines l = { 0 };
	struct spawn_child *c = start(argv, &o, &l);
	int pid = spawn_pid(c);

	spawn_free(c);
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(errno, ESRCH);
}

static void many_children_run_from_one_loop(void **state)
{
	enum { N = 8 };
	char *argv[] = { (char *)scanq(), "scan", "test-ok", "--json", "--", "x", NULL };
	struct spawn_child *c[N];
	struct lines l[N];
	int left = N;
	int64_t deadline = clock_mono_ms() + 20000;

	memset(l, 0, sizeof l);
	for (int i = 0; i < N; i++) {
		struct spawn_opts o = { 0 };
		c[i] = start(argv, &o, &l[i]);
	}
	while (left > 0) {
		struct pollfd pfd[N * SPAWN_POLLFDS];
		int n = 0;

		assert_true(clock_mono_ms() < deadline);
		for (int i = 0; i < N; i++)
			n += spawn_pollfds(c[i], pfd + n);
		poll(pfd, (nfds_t)n, 100);
		left = 0;
		for (int i = 0; i < N; i++)
			left += !spawn_step(c[i]);
	}
	for (int i = 0; i < N; i++) {
		assert_int_equal(spawn_end(c[i]), SPAWN_EXITED);
		assert_non_null(strstr(l[i].text, "{\"summary\":"));
		spawn_free(c[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_clean_exit_is_exit_0),
		cmocka_unit_test(stdout_is_split_into_protocol_lines),
		cmocka_unit_test(a_non_zero_exit_keeps_its_code_and_stderr),
		cmocka_unit_test(a_signal_death_is_a_crash_with_its_name),
		cmocka_unit_test(the_hard_limit_kills_the_whole_group),
		cmocka_unit_test(the_soft_limit_sends_sigterm),
		cmocka_unit_test(a_flood_is_killed_at_the_output_cap),
		cmocka_unit_test(a_child_past_its_memory_limit_is_killed_oom),
		cmocka_unit_test(a_child_within_its_memory_limit_is_fine),
		cmocka_unit_test(a_missing_program_fails_to_start_with_enoent),
		cmocka_unit_test(a_relative_program_is_refused),
		cmocka_unit_test(the_environment_is_clean),
		cmocka_unit_test(no_descriptor_leaks_and_stdin_is_dev_null),
		cmocka_unit_test(stop_sends_sigterm_then_sigkill_after_the_grace),
		cmocka_unit_test(freeing_a_running_child_kills_and_reaps_it),
		cmocka_unit_test(many_children_run_from_one_loop),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
