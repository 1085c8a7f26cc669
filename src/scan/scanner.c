/*
 * scanner.c — the child protocol's writer (see scanner.h); the table of
 * built-in scan types that use it is scantype.c.  Output is line-buffered
 * and flushed per event so the worker sees progress as it happens.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "core/clock.h"
#include "scanner.h"

const char *const scanner_severity_names[SCANNER_SEVERITIES] = {
	"info", "low", "medium", "high", "critical",
};

int scanner_severity_rank(const char *name)
{
	for (int i = 0; name && i < SCANNER_SEVERITIES; i++)
		if (strcmp(name, scanner_severity_names[i]) == 0)
			return i;
	return -1;
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
	double now = clock_mono_s();

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

int scanner_opt_int(json_t *options, const char *key, int lo, int hi, int *out, char *err,
		    size_t errlen)
{
	json_t *v = json_object_get(options, key);

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
		snprintf(err, errlen, "option %s must be an integer from %d to %d", key, lo, hi);
		return -1;
	}
	*out = (int)json_integer_value(v);
	return 0;
}

void scanner_finding(struct scanctx *ctx, json_t *finding)
{
	int rank = scanner_severity_rank(json_string_value(json_object_get(finding, "severity")));

	if (rank < 0) {
		rank = 0;
		json_object_set_new(finding, "severity", json_string("info"));
	}
	ctx->nseverity[rank]++;
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
	json_t *s = json_deep_copy(summary), *sev = json_object();

	for (int i = 0; i < SCANNER_SEVERITIES; i++)
		json_object_set_new(sev, scanner_severity_names[i], json_integer(ctx->nseverity[i]));
	json_object_set_new(s, "findings", json_integer(ctx->nfindings));
	json_object_set_new(s, "severity", sev);
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
