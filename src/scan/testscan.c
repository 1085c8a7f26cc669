/*
 * testscan.c — the test-only scan types of testscan.h.  Parameters come
 * from the scan's options object (seconds, exit, mb, children).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "scanner.h"
#include "testscan.h"

static double opt_number(struct scanctx *ctx, const char *key, double dflt)
{
	json_t *v = json_object_get(ctx->options, key);

	return json_is_number(v) ? json_number_value(v) : dflt;
}

static void nap(double seconds)
{
	struct timespec ts = { (time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9) };

	while (nanosleep(&ts, &ts) < 0)
		;
}

int testscan_ok(struct scanctx *ctx)
{
	json_t *sev = json_object_get(ctx->options, "severities"), *v, *s = json_object();
	size_t i, n = json_is_array(sev) ? json_array_size(sev) : 0;

	/* One finding, or one per entry of options.severities (at most 16),
	 * each with that severity and a CVE id, for tests of what shows them. */
	for (i = 0; i < (n ? n : 1) && i < 16; i++) {
		const char *level = n && json_is_string(v = json_array_get(sev, i)) ? json_string_value(v) : "info";
		char title[64];
		json_t *f;

		snprintf(title, sizeof title, n ? "test finding %zu (%.16s)" : "test finding", i + 1, level);
		f = json_pack("{sssssisssssss{}}", "kind", "test", "target",
			      ctx->ntargets ? ctx->targets[0] : "", "port", 0,
			      "severity", level, "title", title, "proto", "tcp", "detail");
		if (n)
			json_object_set_new(json_object_get(f, "detail"), "cve", json_pack("[s]", "CVE-2014-3566"));
		scanner_finding(ctx, f);
		json_decref(f);
	}
	scanner_progress(ctx, 1);
	scanner_summary(ctx, s);
	json_decref(s);
	return 0;
}

int testscan_sleep(struct scanctx *ctx)
{
	double total = opt_number(ctx, "seconds", 1), done = 0, step = 0.1;
	json_t *s;

	while (done < total) {
		nap(step);
		done += step;
		scanner_progress(ctx, done / total);
	}
	s = json_pack("{sf}", "slept_s", total);
	scanner_summary(ctx, s);
	json_decref(s);
	return 0;
}

int testscan_fail(struct scanctx *ctx)
{
	int code = (int)opt_number(ctx, "exit", 3);

	fprintf(stderr, "test-fail: failing on purpose with exit status %d\n", code);
	return code;
}

int testscan_alloc(struct scanctx *ctx)
{
	size_t mb = (size_t)opt_number(ctx, "mb", 64);

	for (size_t i = 0; i < mb; i++) {
		char *p = malloc(1 << 20);
		if (!p) {
			fprintf(stderr, "test-alloc: out of memory after %zu MiB\n", i);
			abort();
		}
		memset(p, 1, 1 << 20);
	}
	scanner_progress(ctx, 1);
	return 0;
}

/* Options: children, seconds; ignore_term (1: the child and its children
 * ignore SIGTERM, so only a SIGKILL ends them); setsid (1: the children
 * leave the process group, as a daemonizing tool would). */
int testscan_fork(struct scanctx *ctx)
{
	int n = (int)opt_number(ctx, "children", 3);
	double seconds = opt_number(ctx, "seconds", 3600);

	if (opt_number(ctx, "ignore_term", 0))
		signal(SIGTERM, SIG_IGN);	/* inherited by the children */
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			if (opt_number(ctx, "setsid", 0))
				setsid();
			nap(seconds);
			_exit(0);
		}
		if (pid > 0)
			printf("{\"child_pid\":%d}\n", (int)pid);
	}
	fflush(stdout);
	nap(seconds);
	return 0;
}

int testscan_flood(struct scanctx *ctx)
{
	char line[1024];

	memset(line, 'x', sizeof line - 1);
	line[sizeof line - 1] = '\0';
	for (;;)
		if (printf("%s\n", line) < 0)
			return 1;
}

int testscan_crash(struct scanctx *ctx)
{
	raise(SIGSEGV);
	return 1;
}
