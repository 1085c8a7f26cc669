/*
 * findings.c — the severity filter and the CVE lift of findings.h.  The
 * filter never changes the store's pagination: it only decides which of
 * the rows a page brings are kept, and the cursor it hands back is the id
 * of the last row kept (or the end), so no row is skipped or shown twice.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "app/findings.h"
#include "core/scan.h"
#include "scanner.h"
#include "store/fingerprint.h"
#include "core/num.h"
#include "store/store.h"

int findings_read(struct store *s, int64_t scan_id, int64_t after_id, int limit, int min_rank,
		  struct finding **out, size_t *n, int64_t *next)
{
	struct finding *keep = NULL;
	size_t nkeep = 0;
	int rc = STORE_OK;

	*out = NULL;
	*n = 0;
	*next = 0;
	keep = calloc((size_t)(limit > 0 ? limit : 1), sizeof *keep);
	if (!keep)
		return STORE_ERROR;
	for (;;) {
		struct finding *page = NULL;
		size_t got = 0, i;
		int want = min_rank > 0 ? STORE_LIST_MAX : limit - (int)nkeep;

		rc = store_findings(s, scan_id, after_id, want, &page, &got);
		if (rc != STORE_OK) {
			finding_array_free(page, got);
			finding_array_free(keep, nkeep);
			return rc;
		}
		for (i = 0; i < got && (int)nkeep < limit; i++) {
			after_id = page[i].id;
			if (scanner_severity_rank(page[i].severity) < min_rank)
				continue;
			keep[nkeep++] = page[i];	/* moved: its strings now belong to keep */
			memset(&page[i], 0, sizeof page[i]);
		}
		finding_array_free(page, got);
		if ((int)nkeep == limit) {
			*next = keep[nkeep - 1].id;
			break;
		}
		if ((int)got < want)
			break;		/* the end of the scan's findings */
	}
	*out = keep;
	*n = nkeep;
	return STORE_OK;
}

/* The finding's columns; detail as the object it holds ({} for none). */
static json_t *finding_to_json(const struct finding *f)
{
	json_t *o = json_object();
	json_t *detail = f->detail ? json_loads(f->detail, 0, NULL) : NULL;
	char ts[40];

	json_object_set_new(o, "id", json_integer(f->id));
	json_object_set_new(o, "scan_id", json_integer(f->scan_id));
	json_object_set_new(o, "kind", json_string(f->kind));
	json_object_set_new(o, "target", f->target ? json_string(f->target) : json_null());
	json_object_set_new(o, "port", f->port ? json_integer(f->port) : json_null());
	json_object_set_new(o, "proto", scan_json_text(f->proto));
	json_object_set_new(o, "service", f->service ? json_string(f->service) : json_null());
	json_object_set_new(o, "severity", json_string(f->severity));
	json_object_set_new(o, "title", f->title ? json_string(f->title) : json_null());
	json_object_set_new(o, "detail", detail ? detail : json_object());
	json_object_set_new(o, "created_at",
			    json_string(scan_format_time(f->created_at, ts, sizeof ts)));
	return o;
}

json_t *findings_to_json(const struct finding *f)
{
	json_t *o = finding_to_json(f), *cve = json_object_get(json_object_get(o, "detail"), "cve");
	char fp[FINGERPRINT_HEX + 1];

	json_object_set_new(o, "cve", json_is_array(cve) ? json_deep_copy(cve) : json_array());
	fingerprint_of(f, fp);
	json_object_set_new(o, "fingerprint", fp[0] ? json_string(fp) : json_null());
	return o;
}


/* Two digits at p into *v, within lo..hi. */
static int two(const char *p, int lo, int hi, int *v)
{
	if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
		return -1;
	*v = (p[0] - '0') * 10 + (p[1] - '0');
	return *v < lo || *v > hi ? -1 : 0;
}

/* RFC 3339 (YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)) in ms; -1 if not. */
static int64_t rfc3339_ms(const char *s)
{
	struct tm tm = { 0 };
	int y1, y2, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	const char *p = s + 19;
	time_t t;

	if (strlen(s) < 20 || two(s, 0, 99, &y1) || two(s + 2, 0, 99, &y2) || s[4] != '-'
	    || two(s + 5, 1, 12, &mo) || s[7] != '-' || two(s + 8, 1, 31, &d)
	    || (s[10] != 'T' && s[10] != 't') || two(s + 11, 0, 23, &h) || s[13] != ':'
	    || two(s + 14, 0, 59, &mi) || s[16] != ':' || two(s + 17, 0, 60, &sec))
		return -1;
	if (*p == '.') {
		if (p[1] < '0' || p[1] > '9')
			return -1;
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	}
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
		sign = 0;
	else if ((*p == '+' || *p == '-') && strlen(p) == 6 && !two(p + 1, 0, 23, &oh) && p[3] == ':'
		 && !two(p + 4, 0, 59, &om))
		sign = *p == '+' ? 1 : -1;
	else
		return -1;
	tm.tm_year = y1 * 100 + y2 - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if ((t = timegm(&tm)) == (time_t)-1 || tm.tm_mday != d)	/* 31 April rolls over */
		return -1;
	return ((int64_t)t - sign * (oh * 3600 + om * 60)) * 1000;
}

int findings_parse_expiry(const char *s, int64_t now_ms, int64_t *out)
{
	int64_t v;

	if (!s || !*s)
		return -1;
	if ((v = num_parse_duration_ms(s)) > 0) {
		*out = now_ms + v;
		return 0;
	}
	if ((v = rfc3339_ms(s)) < 0)
		return -1;
	*out = v;
	return 0;
}

void findings_state_print(FILE *f, const struct finding_state *st)
{
	json_t *cve = st->cve ? json_loads(st->cve, 0, NULL) : NULL, *v;
	size_t i, n = 0;

	fprintf(f, "%-14s %-8s %-10s %-24s", st->state, st->severity, st->kind,
		st->target ? st->target : "");
	if (st->port)
		fprintf(f, " %5d/%-4s", st->port, st->proto[0] ? st->proto : "tcp");
	else
		fprintf(f, " %10s", "");
	fprintf(f, " %s", st->title ? st->title : "");
	json_array_foreach(cve, i, v)
		if (json_is_string(v))
			fprintf(f, "%s%s", n++ ? " " : " [", json_string_value(v));
	fprintf(f, "%s  %s seen %lld (scans %lld..%lld) baseline %lld%s%s\n", n ? "]" : "",
		st->fingerprint, (long long)st->times_seen, (long long)st->first_scan_id,
		(long long)st->last_scan_id, (long long)st->baseline_id, st->reason ? " reason: " : "",
		st->reason ? st->reason : "");
	json_decref(cve);
}

int findings_triage_load(struct store *s, int64_t baseline, size_t max,
			 struct findings_triage **v, size_t *n, size_t *cap)
{
	struct finding_state_filter q = { .limit = STORE_LIST_MAX, .baseline_id = baseline };
	int rc;

	while (*n < max) {
		struct finding_state *st = NULL;
		size_t got = 0;

		if ((rc = store_finding_states(s, &q, &st, &got)) != STORE_OK)
			return rc;
		if (*n + got > *cap) {
			size_t ncap = *cap ? *cap * 2 : 1024;
			struct findings_triage *nv;

			while (ncap < *n + got)
				ncap *= 2;
			if (!(nv = realloc(*v, ncap * sizeof *nv))) {
				finding_state_array_free(st, got);
				return STORE_ERROR;
			}
			*v = nv;
			*cap = ncap;
		}
		for (size_t i = 0; i < got; i++) {
			struct findings_triage *t = &(*v)[(*n)++];

			t->baseline = baseline;
			memcpy(t->fp, st[i].fingerprint, sizeof t->fp);
			memcpy(t->state, st[i].state, sizeof t->state);
			t->reason = st[i].reason;
			st[i].reason = NULL;	/* moved */
		}
		if (got)
			q.after_id = st[got - 1].id;
		finding_state_array_free(st, got);
		if ((int)got < q.limit)
			break;
	}
	return STORE_OK;
}
