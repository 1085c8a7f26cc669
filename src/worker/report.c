/*
 * report.c — reading what a scan's child reports (see report.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "worker/report.h"

void report_sanitize(char *dst, size_t len, const char *src)
{
	size_t n = 0;

	for (; src && *src && n + 1 < len; src++)
		dst[n++] = (*src >= 0x20 && *src < 0x7f) ? *src : '?';
	dst[n] = '\0';
}

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Returns 1 when the cap was passed with this finding. */
static int add_finding(struct report *r, int64_t scan_id, json_t *o)
{
	struct finding *f;
	json_t *detail;
	json_int_t port = json_integer_value(json_object_get(o, "port"));

	if (r->nfindings >= WORKER_FINDINGS_MAX) {
		int first = !r->too_many;

		r->too_many = 1;
		return first;
	}
	if (r->nfindings == r->capfindings) {
		size_t cap = r->capfindings ? r->capfindings * 2 : 8;
		struct finding *grown = realloc(r->findings, cap * sizeof *grown);

		if (!grown)
			return 0;
		r->findings = grown;
		r->capfindings = cap;
	}
	f = &r->findings[r->nfindings++];
	memset(f, 0, sizeof *f);
	f->scan_id = scan_id;
	snprintf(f->kind, sizeof f->kind, "%s", jstr(o, "kind") ? jstr(o, "kind") : "finding");
	snprintf(f->proto, sizeof f->proto, "%s", jstr(o, "proto") ? jstr(o, "proto") : "");
	snprintf(f->severity, sizeof f->severity, "%s",
		 jstr(o, "severity") ? jstr(o, "severity") : "info");
	f->port = port > 0 && port < 65536 ? (int)port : 0;
	f->target = dup_or_null(jstr(o, "target"));
	f->service = dup_or_null(jstr(o, "service"));
	f->title = dup_or_null(jstr(o, "title"));
	detail = json_is_object(json_object_get(o, "detail"))
		? json_deep_copy(json_object_get(o, "detail")) : json_object();
	if (detail && jstr(o, "banner"))
		json_object_set_new(detail, "banner", json_string(jstr(o, "banner")));
	f->detail = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
	json_decref(detail);
	return 0;
}

int report_line(struct report *r, int64_t scan_id, const char *line, size_t len)
{
	json_t *o = json_loadb(line, len, 0, NULL), *v;
	int capped = 0;

	if (!json_is_object(o)) {
		r->bad_lines++;
		goto out;
	}
	if ((v = json_object_get(o, "progress")) && json_is_number(v)) {
		double p = json_number_value(v);
		r->progress = p < 0 ? 0 : p > 1 ? 1 : p;
	} else if ((v = json_object_get(o, "finding")) && json_is_object(v)) {
		capped = add_finding(r, scan_id, v);
	} else if ((v = json_object_get(o, "summary")) && json_is_object(v)) {
		json_decref(r->summary);
		r->summary = json_incref(v);
	} else if ((v = json_object_get(o, "error")) && json_is_object(v)) {
		const char *code = jstr(v, "code");
		snprintf(r->code, sizeof r->code, "%s",
			 code && worker_code_known(code) ? code : "scanner_error");
		report_sanitize(r->message, sizeof r->message, jstr(v, "message"));
	}
out:
	json_decref(o);
	return capped;
}

void report_release(struct report *r)
{
	finding_array_free(r->findings, r->nfindings);
	json_decref(r->summary);
	memset(r, 0, sizeof *r);
}
