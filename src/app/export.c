/*
 * export.c — the four export formats of export.h, one finding at a time.
 *
 * The stream has three parts: a head (SARIF's log and run up to
 * "results", DefectDojo's object up to "findings", the CSV header row;
 * JSON Lines has none), one piece per finding, and a tail closing what the
 * head opened.  Pieces are rendered into `pend` and copied out as the
 * reader asks, so the reader's buffer size never changes the document.
 * Findings come from store_findings() in id order, a page at a time; the
 * cursor is the last id read, so a page boundary neither skips nor
 * repeats a row.  Each finding's detail is parsed once: the fingerprint,
 * the CVE ids, product, version and fix are read from that one parse.
 * The heads are built with jansson; each finding is written as JSON text
 * directly (jstr() escapes), with the stored detail embedded as it is once
 * it parsed: a tree per finding cost three times the CPU.
 *
 * Each finding carries its lifecycle state now, in the scan's baseline
 * (store.h): the baseline's states are read once at open, in keyset
 * pages, into a table sorted by fingerprint.  Accepted and false-positive
 * findings are marked, not left out: SARIF's `suppressions` (kind
 * external, the triage reason as justification), DefectDojo's
 * risk_accepted / false_p (and is_mitigated for a fixed one, active false
 * for all three), a `state` column in CSV and a "state" member in JSON
 * Lines ("" / null when the scan has no baseline).
 *
 * HTML is the report of app/report.h: built whole at open, then handed
 * out like the other formats' pieces.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "app/export.h"
#include "app/findings.h"
#include "app/report.h"
#include "core/utf8.h"
#include "core/scan.h"
#include "store/fingerprint.h"
#include "store/store.h"

#define EXPORT_STATES_MAX 1000000	/* states read at open; past it, the rest read as "" */
#define EXPORT_SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"
#ifndef SCANQ_VERSION
#define SCANQ_VERSION "dev"
#endif

enum part { PART_HEAD, PART_BODY, PART_TAIL, PART_DONE };

/* A finding's state in the scan's baseline, by fingerprint. */
struct export {
	struct store *s;
	enum export_format f;
	struct scan sc;
	enum part part;
	struct finding *page;		/* the current page of findings */
	size_t npage, next;		/* its length, the next one to render */
	int64_t after;			/* id of the last finding read */
	int more;			/* the store may have more pages */
	size_t nout;			/* findings rendered so far */
	char *pend;			/* rendered text not yet handed out */
	size_t plen, poff, pcap;
	struct findings_triage *tri;		/* the baseline's states, sorted by fp */
	size_t ntri;
	char err[200];
};

int export_format_parse(const char *name, enum export_format *out)
{
	static const struct { const char *name; enum export_format f; } map[] = {
		{ "sarif", EXPORT_SARIF }, { "defectdojo", EXPORT_DEFECTDOJO },
		{ "csv", EXPORT_CSV }, { "jsonl", EXPORT_JSONL }, { "html", EXPORT_HTML },
	};

	for (size_t i = 0; name && i < sizeof map / sizeof map[0]; i++)
		if (strcmp(name, map[i].name) == 0) {
			*out = map[i].f;
			return 0;
		}
	return -1;
}

const char *export_content_type(enum export_format f)
{
	switch (f) {
	case EXPORT_SARIF: return "application/sarif+json";
	case EXPORT_DEFECTDOJO: return "application/json";
	case EXPORT_CSV: return "text/csv; charset=utf-8; header=present";
	case EXPORT_JSONL: return "application/jsonl";
	case EXPORT_HTML: return "text/html; charset=utf-8";
	}
	return "application/octet-stream";
}

const char *export_extension(enum export_format f)
{
	switch (f) {
	case EXPORT_SARIF: return "sarif";
	case EXPORT_DEFECTDOJO: return "defectdojo.json";
	case EXPORT_CSV: return "csv";
	case EXPORT_JSONL: return "jsonl";
	case EXPORT_HTML: return "html";
	}
	return "txt";
}

/* ---- the pending text ------------------------------------------------------ */

static int append(struct export *ex, const char *s, size_t n)
{
	if (ex->plen + n + 1 > ex->pcap) {
		size_t cap = ex->pcap ? ex->pcap : 4096;
		char *p;

		while (cap < ex->plen + n + 1)
			cap *= 2;
		if (!(p = realloc(ex->pend, cap)))
			return -1;
		ex->pend = p;
		ex->pcap = cap;
	}
	memcpy(ex->pend + ex->plen, s, n);
	ex->plen += n;
	ex->pend[ex->plen] = '\0';
	return 0;
}

static int append_str(struct export *ex, const char *s)
{
	return append(ex, s, strlen(s));
}

/* Appends s as a JSON string (RFC 8259 escapes; a byte that is not valid
 * UTF-8 becomes U+FFFD), or null for NULL. */
static int jstr(struct export *ex, const char *s)
{
	const unsigned char *u = (const unsigned char *)s, *run;
	int rc = 0;

	if (!s)
		return append_str(ex, "null");
	rc |= append_str(ex, "\"");
	for (run = u; *u;) {
		size_t n = utf8_len(u);
		char esc[8];

		if (n > 1 || (n == 1 && *u >= 0x20 && *u != '"' && *u != '\\')) {
			u += n;
			continue;
		}
		rc |= append(ex, (const char *)run, (size_t)(u - run));
		if (n == 0)
			snprintf(esc, sizeof esc, "\\ufffd");
		else if (*u == '"' || *u == '\\')
			snprintf(esc, sizeof esc, "\\%c", *u);
		else if (*u == '\n')
			snprintf(esc, sizeof esc, "\\n");
		else if (*u == '\r')
			snprintf(esc, sizeof esc, "\\r");
		else if (*u == '\t')
			snprintf(esc, sizeof esc, "\\t");
		else
			snprintf(esc, sizeof esc, "\\u%04x", *u);
		rc |= append_str(ex, esc);
		run = ++u;
	}
	rc |= append(ex, (const char *)run, (size_t)(u - run));
	return rc | append_str(ex, "\"");
}

/* Appends ,"key": (or "key": for the first member, when first is set). */
static int jkey(struct export *ex, const char *key, int first)
{
	return append_str(ex, first ? "\"" : ",\"") | append_str(ex, key) | append_str(ex, "\":");
}

static int jint(struct export *ex, long long v)
{
	char b[24];

	snprintf(b, sizeof b, "%lld", v);
	return append_str(ex, b);
}

/* Appends an array of the strings of `a` (borrowed; NULL: []). */
static int jstrings(struct export *ex, json_t *a)
{
	size_t i, k = 0;
	json_t *v;
	int rc = append_str(ex, "[");

	json_array_foreach(a, i, v)
		if (json_is_string(v))
			rc |= append_str(ex, k++ ? "," : "") | jstr(ex, json_string_value(v));
	return rc | append_str(ex, "]");
}

/* ---- what every format reads from a finding ---------------------------------- */

struct row {
	const struct finding *f;
	json_t *detail;			/* parsed detail object, or NULL */
	char fp[FINGERPRINT_HEX + 1];
	const char *check;		/* check id, or NULL */
	json_t *cve;			/* detail.cve when an array (borrowed), or NULL */
	const struct findings_triage *tri;		/* its state, or NULL when not tracked */
};

static int by_fp(const void *a, const void *b)
{
	return strcmp(((const struct findings_triage *)a)->fp, ((const struct findings_triage *)b)->fp);
}

/* Is the finding triaged away (accepted or false positive)? */
static int suppressed(const struct row *r)
{
	return r->tri && (strcmp(r->tri->state, "accepted") == 0
			  || strcmp(r->tri->state, "false_positive") == 0);
}

static const char *state_of(const struct row *r)
{
	return r->tri ? r->tri->state : NULL;
}

static int row_init(const struct export *ex, struct row *r, const struct finding *f)
{
	json_t *d = f->detail && *f->detail == '{' ? json_loads(f->detail, 0, NULL) : NULL;

	memset(r, 0, sizeof *r);
	r->f = f;
	r->detail = json_is_object(d) ? d : NULL;
	if (!r->detail)
		json_decref(d);
	if (fingerprint_of_detail(f, r->detail, r->fp) < 0) {
		json_decref(r->detail);
		return -1;
	}
	r->check = fingerprint_check_id(f->kind, f->port, f->title, r->detail);
	r->cve = json_object_get(r->detail, "cve");
	if (!json_is_array(r->cve))
		r->cve = NULL;
	if (ex->ntri) {
		struct findings_triage key;

		memcpy(key.fp, r->fp, sizeof key.fp);
		r->tri = bsearch(&key, ex->tri, ex->ntri, sizeof *ex->tri, by_fp);
	}
	return 0;
}

static void row_release(struct row *r)
{
	json_decref(r->detail);
}

/* The finding's CVE ids, space-separated, as many as fit in buf. */
static const char *cve_text(const struct row *r, char *buf, size_t len)
{
	size_t i, used = 0;
	json_t *v;

	buf[0] = '\0';
	json_array_foreach(r->cve, i, v)
		if (json_is_string(v) && used + strlen(json_string_value(v)) + 2 < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? " " : "",
						 json_string_value(v));
	return buf;
}

/* The detail as JSON text: the stored text itself once it parsed as an
 * object (jansson checked it, UTF-8 included), else "{}". */
static const char *raw_detail(const struct row *r)
{
	return r->detail ? r->f->detail : "{}";
}

static const char *dstr(const struct row *r, const char *key)
{
	return json_string_value(json_object_get(r->detail, key));
}

static const char *proto_of(const struct finding *f)
{
	return f->proto[0] ? f->proto : "tcp";
}

/* The host part of a URI or a place: the target, an IPv6 address in
 * brackets. */
static void authority(const struct finding *f, char *buf, size_t len)
{
	const char *t = f->target ? f->target : "";

	snprintf(buf, len, strchr(t, ':') ? "[%s]" : "%s", t);
}

/* "host" or "host:port/proto": where a finding is. */
static void where(const struct finding *f, char *buf, size_t len)
{
	char host[260];

	authority(f, host, sizeof host);
	if (f->port)
		snprintf(buf, len, "%s:%d/%s", host, f->port, proto_of(f));
	else
		snprintf(buf, len, "%s", host);
}

/* ---- SARIF 2.1.0 -------------------------------------------------------------- */

static const char *sarif_level(const char *severity)
{
	if (strcmp(severity, "critical") == 0 || strcmp(severity, "high") == 0)
		return "error";
	if (strcmp(severity, "medium") == 0)
		return "warning";
	return "note";
}

/* Writes the JSON object o (taken; NULL fails) but for its last `cut`
 * characters, then `open`: the document up to the array the rows go in.
 * Returns 0 or -1. */
static int head_until(struct export *ex, json_t *o, size_t cut, const char *open)
{
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	int rc;

	json_decref(o);
	if (!text || strlen(text) < cut) {
		free(text);
		return -1;
	}
	rc = append(ex, text, strlen(text) - cut);
	free(text);
	return rc < 0 ? -1 : append_str(ex, open);
}

static int sarif_head(struct export *ex)
{
	char id[64];

	snprintf(id, sizeof id, "scanq/%s/%lld", ex->sc.type, (long long)ex->sc.id);
	/* Cut before the run's closing brace and open "results" there. */
	return head_until(ex, json_pack("{ss ss s[{s{s{ss ss}} s{ss}}]}", "$schema",
					EXPORT_SARIF_SCHEMA, "version", "2.1.0", "runs", "tool",
					"driver", "name", "scanq", "version", SCANQ_VERSION,
					"automationDetails", "id", id),
			  3, ",\"results\":[");
}

static int sarif_result(struct export *ex, const struct row *r)
{
	const struct finding *f = r->f;
	char loc[300], uri[320], host[260];
	int rc = 0;

	where(f, loc, sizeof loc);
	authority(f, host, sizeof host);
	if (f->port)
		snprintf(uri, sizeof uri, "%s://%s:%d", proto_of(f), host, f->port);
	else
		snprintf(uri, sizeof uri, "host://%s", host);
	rc |= jkey(ex, "ruleId", 1) | jstr(ex, r->check ? r->check : f->kind);
	rc |= jkey(ex, "level", 0) | jstr(ex, sarif_level(f->severity));
	rc |= jkey(ex, "message", 0) | append_str(ex, "{\"text\":")
	      | jstr(ex, f->title && *f->title ? f->title : f->kind) | append_str(ex, "}");
	rc |= jkey(ex, "locations", 0) | append_str(ex, "[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":")
	      | jstr(ex, uri) | append_str(ex, "}},\"logicalLocations\":[{\"name\":") | jstr(ex, loc)
	      | append_str(ex, ",\"kind\":\"resource\"}]}]");
	rc |= jkey(ex, "partialFingerprints", 0) | append_str(ex, "{\"scanqFingerprint/v1\":") | jstr(ex, r->fp)
	      | append_str(ex, "}");
	if (suppressed(r))
		rc |= jkey(ex, "suppressions", 0) | append_str(ex, "[{\"kind\":\"external\",\"status\":\"accepted\"")
		      | jkey(ex, "justification", 0)
		      | jstr(ex, r->tri->reason ? r->tri->reason : r->tri->state)
		      | append_str(ex, ",\"properties\":{\"state\":") | jstr(ex, r->tri->state)
		      | append_str(ex, "}}]");
	rc |= jkey(ex, "properties", 0) | append_str(ex, "{") | jkey(ex, "kind", 1) | jstr(ex, f->kind);
	rc |= jkey(ex, "target", 0) | jstr(ex, f->target ? f->target : "");
	rc |= jkey(ex, "port", 0) | (f->port ? jint(ex, f->port) : append_str(ex, "null"));
	rc |= jkey(ex, "proto", 0) | jstr(ex, f->port ? proto_of(f) : NULL);
	rc |= jkey(ex, "service", 0) | jstr(ex, f->service);
	rc |= jkey(ex, "severity", 0) | jstr(ex, f->severity);
	rc |= jkey(ex, "cve", 0) | jstrings(ex, r->cve) | jkey(ex, "state", 0) | jstr(ex, state_of(r));
	rc |= jkey(ex, "scan_id", 0) | jint(ex, f->scan_id) | jkey(ex, "finding_id", 0) | jint(ex, f->id);
	rc |= jkey(ex, "detail", 0) | append_str(ex, raw_detail(r)) | append_str(ex, "}}");
	return rc ? -1 : 0;
}

/* ---- DefectDojo Generic Findings Import -------------------------------------- */

static const char *dojo_severity(const char *severity)
{
	if (strcmp(severity, "critical") == 0) return "Critical";
	if (strcmp(severity, "high") == 0) return "High";
	if (strcmp(severity, "medium") == 0) return "Medium";
	if (strcmp(severity, "low") == 0) return "Low";
	return "Info";
}

static int dojo_head(struct export *ex)
{
	char name[96];

	snprintf(name, sizeof name, "scanq %s scan %lld", ex->sc.type, (long long)ex->sc.id);
	/* Without the closing brace, then the findings array. */
	return head_until(ex, json_pack("{ss ss}", "name", name, "type", "scanq"), 1,
			  ",\"findings\":[");
}

/* active, and the flag DefectDojo has for the finding's state. */
static int dojo_state(struct export *ex, const struct row *r)
{
	const char *st = state_of(r) ? state_of(r) : "";

	if (strcmp(st, "accepted") == 0)
		return append_str(ex, ",\"active\":false,\"risk_accepted\":true");
	if (strcmp(st, "false_positive") == 0)
		return append_str(ex, ",\"active\":false,\"false_p\":true");
	if (strcmp(st, "fixed") == 0)
		return append_str(ex, ",\"active\":false,\"is_mitigated\":true");
	return append_str(ex, ",\"active\":true");
}

static int dojo_finding(struct export *ex, const struct row *r)
{
	const struct finding *f = r->f;
	char date[40], loc[300], cve[512], *desc = NULL;
	const char *product = dstr(r, "product"), *version = dstr(r, "version"), *fix = dstr(r, "fix");
	json_t *first = json_array_get(r->cve, 0);
	int rc = 0;

	where(f, loc, sizeof loc);
	scan_format_time(f->created_at, date, sizeof date);
	if (strlen(date) > 10)
		date[10] = '\0';	/* YYYY-MM-DD */
	if (asprintf(&desc, "%s\n\nkind: %s\nwhere: %s\nservice: %s\nproduct: %s %s\ncve: %s\ndetail: %s",
		     f->title ? f->title : f->kind, f->kind, loc, f->service ? f->service : "-",
		     product ? product : "-", version ? version : "", *cve_text(r, cve, sizeof cve) ? cve : "-",
		     raw_detail(r)) < 0)
		return -1;
	rc |= jkey(ex, "title", 1) | jstr(ex, f->title && *f->title ? f->title : f->kind);
	rc |= jkey(ex, "severity", 0) | jstr(ex, dojo_severity(f->severity));
	rc |= jkey(ex, "description", 0) | jstr(ex, desc);
	free(desc);
	rc |= jkey(ex, "date", 0) | jstr(ex, date);
	rc |= jkey(ex, "unique_id_from_tool", 0) | jstr(ex, r->fp);
	rc |= jkey(ex, "vuln_id_from_tool", 0) | jstr(ex, r->check ? r->check : f->kind);
	rc |= jkey(ex, "endpoints", 0) | append_str(ex, "[{\"host\":") | jstr(ex, f->target ? f->target : "");
	if (f->port)
		rc |= jkey(ex, "port", 0) | jint(ex, f->port);
	if (f->service && *f->service)
		rc |= jkey(ex, "protocol", 0) | jstr(ex, f->service);
	rc |= append_str(ex, "}]");
	rc |= dojo_state(ex, r);
	rc |= append_str(ex, ",\"static_finding\":false,\"dynamic_finding\":true");
	rc |= jkey(ex, "tags", 0) | append_str(ex, "[\"scanq\",") | jstr(ex, f->kind) | append_str(ex, "]");
	if (json_is_string(first))
		rc |= jkey(ex, "cve", 0) | jstr(ex, json_string_value(first));
	if (json_array_size(r->cve) > 1)
		rc |= jkey(ex, "references", 0) | jstr(ex, cve);
	if (f->service && *f->service)
		rc |= jkey(ex, "service", 0) | jstr(ex, f->service);
	if (product)
		rc |= jkey(ex, "component_name", 0) | jstr(ex, product);
	if (version)
		rc |= jkey(ex, "component_version", 0) | jstr(ex, version);
	if (fix)
		rc |= jkey(ex, "mitigation", 0) | jstr(ex, fix);
	return rc | append_str(ex, "}") ? -1 : 0;
}

/* ---- CSV (RFC 4180) ------------------------------------------------------------ */

#define CSV_HEADER "fingerprint,scan_id,finding_id,kind,target,port,proto,service,severity,title," \
		   "check,cve,product,version,created_at,detail,state\r\n"

/* One field: quoted (quotes doubled) when it holds a comma, quote, CR or
 * LF; then `sep`. */
static int csv_field(struct export *ex, const char *s, const char *sep)
{
	int rc = 0;

	s = s ? s : "";
	if (strpbrk(s, ",\"\r\n")) {
		rc |= append_str(ex, "\"");
		for (const char *q; (q = strchr(s, '"')); s = q + 1)
			rc |= append(ex, s, (size_t)(q - s + 1)) | append_str(ex, "\"");
		rc |= append_str(ex, s) | append_str(ex, "\"");
	} else {
		rc |= append_str(ex, s);
	}
	return rc | append_str(ex, sep);
}

static int csv_row(struct export *ex, const struct row *r)
{
	const struct finding *f = r->f;
	char sid[24], fid[24], port[16], ts[40], cve[512];
	int rc = 0;

	snprintf(sid, sizeof sid, "%lld", (long long)f->scan_id);
	snprintf(fid, sizeof fid, "%lld", (long long)f->id);
	snprintf(port, sizeof port, "%d", f->port);
	cve_text(r, cve, sizeof cve);
	rc |= csv_field(ex, r->fp, ",") | csv_field(ex, sid, ",") | csv_field(ex, fid, ",");
	rc |= csv_field(ex, f->kind, ",") | csv_field(ex, f->target, ",") | csv_field(ex, f->port ? port : "", ",");
	rc |= csv_field(ex, f->port ? proto_of(f) : "", ",") | csv_field(ex, f->service, ",");
	rc |= csv_field(ex, f->severity, ",") | csv_field(ex, f->title, ",") | csv_field(ex, r->check, ",");
	rc |= csv_field(ex, cve, ",") | csv_field(ex, dstr(r, "product"), ",") | csv_field(ex, dstr(r, "version"), ",");
	rc |= csv_field(ex, scan_format_time(f->created_at, ts, sizeof ts), ",");
	rc |= csv_field(ex, raw_detail(r), ",") | csv_field(ex, state_of(r), "\r\n");
	return rc ? -1 : 0;
}

/* ---- JSON Lines ------------------------------------------------------------------ */

/* The members of `scanq findings --json` (findings_to_json()), plus
 * "check". */
static int jsonl_line(struct export *ex, const struct row *r)
{
	const struct finding *f = r->f;
	char ts[40];
	int rc = 0;

	rc |= jkey(ex, "id", 1) | jint(ex, f->id) | jkey(ex, "scan_id", 0) | jint(ex, f->scan_id);
	rc |= jkey(ex, "kind", 0) | jstr(ex, f->kind) | jkey(ex, "target", 0) | jstr(ex, f->target);
	rc |= jkey(ex, "port", 0) | (f->port ? jint(ex, f->port) : append_str(ex, "null"));
	rc |= jkey(ex, "proto", 0) | jstr(ex, f->proto[0] ? f->proto : NULL);
	rc |= jkey(ex, "service", 0) | jstr(ex, f->service) | jkey(ex, "severity", 0) | jstr(ex, f->severity);
	rc |= jkey(ex, "title", 0) | jstr(ex, f->title) | jkey(ex, "detail", 0) | append_str(ex, raw_detail(r));
	rc |= jkey(ex, "created_at", 0) | jstr(ex, scan_format_time(f->created_at, ts, sizeof ts));
	rc |= jkey(ex, "cve", 0) | jstrings(ex, r->cve) | jkey(ex, "fingerprint", 0) | jstr(ex, r->fp);
	rc |= jkey(ex, "check", 0) | jstr(ex, r->check) | jkey(ex, "state", 0) | jstr(ex, state_of(r));
	return rc | append_str(ex, "}\n") ? -1 : 0;
}

/* ---- the stream ------------------------------------------------------------------- */

static int render_one(struct export *ex, const struct finding *f)
{
	struct row r;
	int rc = 0;

	if (row_init(ex, &r, f) < 0)
		return -1;
	switch (ex->f) {
	case EXPORT_SARIF:
		rc = append_str(ex, ex->nout ? ",{" : "{") | sarif_result(ex, &r);
		break;
	case EXPORT_DEFECTDOJO:
		rc = append_str(ex, ex->nout ? ",{" : "{") | dojo_finding(ex, &r);
		break;
	case EXPORT_CSV:
		rc = csv_row(ex, &r);
		break;
	case EXPORT_JSONL:
		rc = append_str(ex, "{") | jsonl_line(ex, &r);
		break;
	case EXPORT_HTML:	/* written whole at open (report.h) */
		rc = -1;
		break;
	}
	ex->nout++;
	row_release(&r);
	return rc ? -1 : 0;
}

static int render_head(struct export *ex)
{
	switch (ex->f) {
	case EXPORT_SARIF: return sarif_head(ex);
	case EXPORT_DEFECTDOJO: return dojo_head(ex);
	case EXPORT_CSV: return append_str(ex, CSV_HEADER);
	case EXPORT_JSONL: return 0;
	case EXPORT_HTML: return -1;
	}
	return -1;
}

static int render_tail(struct export *ex)
{
	switch (ex->f) {
	case EXPORT_SARIF: return append_str(ex, "]}]}\n");
	case EXPORT_DEFECTDOJO: return append_str(ex, "]}\n");
	case EXPORT_CSV:
	case EXPORT_JSONL: return 0;
	case EXPORT_HTML: return -1;
	}
	return -1;
}

/* Renders the next piece into pend: the head, a finding (reading the
 * next page when this one is used up), or the tail.  0, or -1. */
static int render_next(struct export *ex)
{
	int rc;

	switch (ex->part) {
	case PART_HEAD:
		ex->part = PART_BODY;
		return render_head(ex);
	case PART_BODY:
		if (ex->next == ex->npage) {
			finding_array_free(ex->page, ex->npage);
			ex->page = NULL;
			ex->npage = ex->next = 0;
			if (ex->more) {
				rc = store_findings(ex->s, ex->sc.id, ex->after, STORE_LIST_MAX, &ex->page, &ex->npage);
				if (rc != STORE_OK) {
					snprintf(ex->err, sizeof ex->err, "%s", store_error(ex->s));
					return -1;
				}
				ex->more = ex->npage == STORE_LIST_MAX;
			}
			if (ex->npage == 0) {
				ex->part = PART_TAIL;
				return 0;
			}
			ex->after = ex->page[ex->npage - 1].id;
		}
		if (render_one(ex, &ex->page[ex->next++]) < 0) {
			snprintf(ex->err, sizeof ex->err, "out of memory");
			return -1;
		}
		return 0;
	case PART_TAIL:
		ex->part = PART_DONE;
		return render_tail(ex);
	case PART_DONE:
		return 0;
	}
	return -1;
}

/* The states of the scan's baseline into ex->tri, sorted by fingerprint. */
static int load_states(struct export *ex, int64_t scan_id)
{
	int64_t baseline = 0;
	size_t cap = 0;
	int rc;

	if ((rc = store_finding_baseline_of(ex->s, scan_id, &baseline)) != STORE_OK || !baseline)
		return rc;
	rc = findings_triage_load(ex->s, baseline, EXPORT_STATES_MAX, &ex->tri, &ex->ntri, &cap);
	if (rc == STORE_OK && ex->ntri)
		qsort(ex->tri, ex->ntri, sizeof *ex->tri, by_fp);
	return rc;
}

int export_open(struct store *s, int64_t scan_id, enum export_format f, struct export **out)
{
	struct export *ex;
	int rc;

	*out = NULL;
	if (!(ex = calloc(1, sizeof *ex)))
		return STORE_ERROR;
	ex->s = s;
	ex->f = f;
	ex->more = 1;
	if (f == EXPORT_HTML) {
		/* The report is one document built whole: handed out as the
		 * pending text, the stream then ends. */
		rc = report_html(s, scan_id, &ex->pend, &ex->plen, ex->err, sizeof ex->err);
		ex->pcap = ex->plen + 1;
		ex->part = PART_DONE;
	} else {
		rc = store_get(s, scan_id, &ex->sc);
		if (rc == STORE_OK)
			rc = load_states(ex, scan_id);
	}
	if (rc != STORE_OK) {
		export_free(ex);
		return rc;
	}
	*out = ex;
	return STORE_OK;
}

int export_open_baseline(struct store *s, int64_t baseline_id, enum export_format f,
			 struct export **out)
{
	int64_t scan_id = 0;
	int rc;

	*out = NULL;
	if ((rc = store_finding_baseline_latest(s, baseline_id, &scan_id)) != STORE_OK
	    && rc != STORE_NOT_FOUND)
		return rc;
	if (!scan_id)
		return STORE_NOT_FOUND;	/* the caller says "no complete run" */
	return export_open(s, scan_id, f, out);
}

ssize_t export_read(struct export *ex, char *buf, size_t cap)
{
	size_t n;

	while (ex->poff == ex->plen) {
		ex->poff = ex->plen = 0;
		if (ex->part == PART_DONE)
			return 0;
		if (render_next(ex) < 0) {
			if (!ex->err[0])
				snprintf(ex->err, sizeof ex->err, "out of memory");
			return -1;
		}
	}
	n = ex->plen - ex->poff < cap ? ex->plen - ex->poff : cap;
	memcpy(buf, ex->pend + ex->poff, n);
	ex->poff += n;
	return (ssize_t)n;
}

const char *export_error(const struct export *ex)
{
	return ex->err;
}

void export_free(struct export *ex)
{
	if (!ex)
		return;
	finding_array_free(ex->page, ex->npage);
	for (size_t i = 0; i < ex->ntri; i++)
		free(ex->tri[i].reason);
	free(ex->tri);
	scan_release(&ex->sc);
	free(ex->pend);
	free(ex);
}
