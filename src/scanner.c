/*
 * scanner.c — the child protocol's writer (see scanner.h) and the table of
 * built-in scan types.  Output is line-buffered and flushed per event so the
 * worker sees progress as it happens.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "discovery.h"
#include "portscan.h"
#include "scanner.h"
#include "testscan.h"

const struct scanner_type scanner_types[] = {
	{ "portscan",   "TCP connect port scan (options: ports, concurrency, timeout_ms, retries, rate, banner)", 0, portscan_run },
	{ "discovery",  "resolve names and find which hosts answer on common TCP ports", 0, discovery_run },
	{ "test-ok",    "test type: finish at once with one finding", 1, testscan_ok },
	{ "test-sleep", "test type: sleep options.seconds, reporting progress", 1, testscan_sleep },
	{ "test-fail",  "test type: exit with options.exit (default 3)", 1, testscan_fail },
	{ "test-alloc", "test type: allocate options.mb MiB and touch it", 1, testscan_alloc },
	{ "test-fork",  "test type: start options.children grandchildren, then sleep", 1, testscan_fork },
	{ "test-flood", "test type: write output without end", 1, testscan_flood },
	{ "test-crash", "test type: die of SIGSEGV", 1, testscan_crash },
	{ NULL, NULL, 0, NULL },
};

const struct scanner_type *scanner_find(const char *name)
{
	for (const struct scanner_type *t = scanner_types; t->name; t++)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void emit(struct scanctx *ctx, const char *key, json_t *value)
{
	json_t *line = json_pack("{sO}", key, value);
	char *text = line ? json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;

	if (text) {
		fprintf(ctx->out, "%s\n", text);
		fflush(ctx->out);
	}
	free(text);
	json_decref(line);
}

void scanner_progress(struct scanctx *ctx, double done)
{
	static double last;
	double now = mono_now();

	if (done < 0)
		done = 0;
	if (done > 1)
		done = 1;
	if (done < 1 && now - last < 0.1)
		return;
	last = now;
	if (ctx->json) {
		json_t *v = json_real(done);
		emit(ctx, "progress", v);
		json_decref(v);
	}
}

void scanner_finding(struct scanctx *ctx, json_t *finding)
{
	ctx->nfindings++;
	if (ctx->json) {
		emit(ctx, "finding", finding);
		return;
	}
	fprintf(ctx->out, "%-10s %-24s", json_string_value(json_object_get(finding, "kind")),
		json_string_value(json_object_get(finding, "target")));
	if (json_integer_value(json_object_get(finding, "port")))
		fprintf(ctx->out, " %5lld/%s", (long long)json_integer_value(json_object_get(finding, "port")),
			json_string_value(json_object_get(finding, "proto")) ?: "tcp");
	if (json_string_value(json_object_get(finding, "service")))
		fprintf(ctx->out, " %s", json_string_value(json_object_get(finding, "service")));
	if (json_string_value(json_object_get(finding, "title")))
		fprintf(ctx->out, "  %s", json_string_value(json_object_get(finding, "title")));
	fputc('\n', ctx->out);
	fflush(ctx->out);
}

void scanner_summary(struct scanctx *ctx, json_t *summary)
{
	json_t *s = json_deep_copy(summary);

	json_object_set_new(s, "findings", json_integer(ctx->nfindings));
	if (ctx->json) {
		emit(ctx, "summary", s);
	} else {
		char *text = json_dumps(s, JSON_COMPACT);
		fprintf(ctx->out, "summary: %s\n", text ? text : "{}");
		free(text);
	}
	json_decref(s);
}

int scanner_error(struct scanctx *ctx, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (ctx->json) {
		json_t *e = json_pack("{ssss}", "code", code, "message", msg);
		emit(ctx, "error", e);
		json_decref(e);
	}
	fprintf(stderr, "error: %s (%s)\n", msg, code);
	return 1;
}
