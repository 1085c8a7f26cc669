/*
 * report.c — the HTML report of report.h, built in three steps: read
 * (the scans of the report, their baselines' finding states, the findings
 * and the changes, each bounded), sort (findings by host, then severity,
 * then port) and write (one pass over what was read, every scanned string
 * through esc()).  The states are keyed by (baseline, fingerprint): the
 * stages of a chain have baselines of their own.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "app/findings.h"
#include "app/report.h"
#include "core/scan.h"
#include "core/utf8.h"
#include "store/fingerprint.h"
#include "store/store.h"

#define REPORT_SCANS_MAX 256		/* scans of one chain shown; more are counted */
#define REPORT_STATES_MAX 1000000	/* states read per report; past it, "" */
#define REPORT_BYTES_MAX (256u << 20)	/* the document's cap: past it, out of memory */
#define NSEV 5

static const char *const sev_names[NSEV] = { "critical", "high", "medium", "low", "info" };

struct buf {
	char *p;
	size_t len, cap;
	int oom;
};

struct item {
	struct finding f;		/* owned (moved out of a page) */
	char fp[FINGERPRINT_HEX + 1];
	int rank;			/* index in sev_names, NSEV for another severity */
	const struct findings_triage *t;		/* its state, or NULL */
	char *cve, *fix;		/* owned, or NULL */
};

struct member {				/* one scan of the report */
	int64_t id, baseline;
	char type[SCAN_TYPE_MAX];
	enum scan_status status;
};

struct rep {
	struct store *s;
	struct scan sc;
	int chain;
	struct member m[REPORT_SCANS_MAX];
	size_t nm, m_more;
	struct findings_triage *tri;
	size_t ntri, ctri;
	struct item *it;
	size_t nit, cit;
	int64_t total, suppressed, left_out, sev[NSEV + 1];
	struct scan_changes_info info;
	struct chain_total ctot;
	struct scan_change *ch;
	size_t nch;
	int64_t ch_left_out;
	struct buf b;
};

/* ---- the document buffer ---------------------------------------------------------- */

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		if (cap > REPORT_BYTES_MAX || !(p = realloc(b->p, cap))) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* Formatted text of our own (numbers, names from tables): never a
 * scanned string, which goes through esc(). */
__attribute__((format(printf, 2, 3)))
static void putf(struct buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		b->oom = 1;
	else if ((size_t)n < sizeof tmp)
		put(b, tmp, (size_t)n);
	else
		b->oom = 1;	/* our own text is short: a longer one is a bug */
}

/* s as HTML text or attribute value: & < > " ' escaped, a byte that is
 * not valid UTF-8 and a control character (but tab and newline) become
 * U+FFFD.  NULL writes nothing. */
static void esc(struct buf *b, const char *s)
{
	const unsigned char *u = (const unsigned char *)s, *run = u;

	if (!s)
		return;
	while (*u) {
		size_t n = utf8_len(u);
		const char *rep = NULL;

		if (n == 1) {
			switch (*u) {
			case '&': rep = "&amp;"; break;
			case '<': rep = "&lt;"; break;
			case '>': rep = "&gt;"; break;
			case '"': rep = "&quot;"; break;
			case '\'': rep = "&#39;"; break;
			default:
				if ((*u < 0x20 && *u != '\t' && *u != '\n') || *u == 0x7f)
					rep = "\xef\xbf\xbd";
			}
		} else if (n == 0) {
			rep = "\xef\xbf\xbd";
			n = 1;
		}
		if (!rep) {
			u += n;
			continue;
		}
		put(b, (const char *)run, (size_t)(u - run));
		puts_(b, rep);
		run = u += n;
	}
	put(b, (const char *)run, (size_t)(u - run));
}

/* ---- reading ------------------------------------------------------------------- */

static int sev_rank(const char *sev)
{
	for (int i = 0; i < NSEV; i++)
		if (strcmp(sev, sev_names[i]) == 0)
			return i;
	return NSEV;
}

static int by_key(const void *a, const void *b)
{
	const struct findings_triage *x = a, *y = b;

	if (x->baseline != y->baseline)
		return x->baseline < y->baseline ? -1 : 1;
	return strcmp(x->fp, y->fp);
}

/* The scans of the report: `id` alone, or the root and stages of the
 * chain it is the root of (a split scan's shards are read through it). */
static int read_members(struct rep *r, int64_t id)
{
	struct flow_node *nodes = NULL;
	size_t n = 0, stages = 0;
	int64_t root = 0;
	int rc;

	if ((rc = store_get(r->s, id, &r->sc)) != STORE_OK)
		return rc;
	if ((rc = store_flow_tree(r->s, id, &root, &nodes, &n)) != STORE_OK)
		return rc;
	for (size_t i = 0; i < n; i++)
		if (nodes[i].id != root && !(nodes[i].flow & SCAN_FLOW_SHARD))
			stages++;
	r->chain = root == id && stages > 0;
	for (size_t i = 0; i < n; i++) {
		if (r->chain ? (nodes[i].flow & SCAN_FLOW_SHARD) != 0 : nodes[i].id != id)
			continue;
		if (r->nm == REPORT_SCANS_MAX) {
			r->m_more++;
			continue;
		}
		r->m[r->nm].id = nodes[i].id;
		snprintf(r->m[r->nm].type, sizeof r->m[r->nm].type, "%s", nodes[i].type);
		r->m[r->nm].status = nodes[i].status;
		r->nm++;
	}
	flow_node_array_free(nodes, n);
	for (size_t i = 0; i < r->nm; i++)
		if ((rc = store_finding_baseline_of(r->s, r->m[i].id, &r->m[i].baseline)) != STORE_OK)
			return rc;
	return STORE_OK;
}

static int add_states(struct rep *r, int64_t baseline)
{
	return findings_triage_load(r->s, baseline, REPORT_STATES_MAX, &r->tri, &r->ntri, &r->ctri);
}

/* The states of every baseline of the report, sorted by (baseline, fp). */
static int read_states(struct rep *r)
{
	int rc;

	for (size_t i = 0; i < r->nm; i++) {
		int seen = 0;

		for (size_t j = 0; j < i; j++)
			seen |= r->m[j].baseline == r->m[i].baseline;
		if (r->m[i].baseline && !seen && (rc = add_states(r, r->m[i].baseline)) != STORE_OK)
			return rc;
	}
	if (r->ntri)
		qsort(r->tri, r->ntri, sizeof *r->tri, by_key);
	return STORE_OK;
}

static int is_suppressed(const struct findings_triage *t)
{
	return t && (strcmp(t->state, "accepted") == 0 || strcmp(t->state, "false_positive") == 0);
}

/* The CVE ids of detail.cve, space-separated (heap), or NULL. */
static char *cve_list(json_t *detail)
{
	json_t *a = json_object_get(detail, "cve"), *v;
	char buf[512];
	size_t i, used = 0;

	buf[0] = '\0';
	json_array_foreach(a, i, v)
		if (json_is_string(v) && used + strlen(json_string_value(v)) + 2 < sizeof buf)
			used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s", used ? " " : "",
						 json_string_value(v));
	return used ? strdup(buf) : NULL;
}

/* Counts finding f of member m, and keeps it (moved out of *f) while
 * there is room.  0, or -1 without memory. */
static int take(struct rep *r, const struct member *m, struct finding *f)
{
	json_t *d = f->detail && *f->detail == '{' ? json_loads(f->detail, 0, NULL) : NULL;
	struct findings_triage key = { .baseline = m->baseline };
	struct item *it;
	const struct findings_triage *t = NULL;
	const char *fix;

	if (!json_is_object(d)) {
		json_decref(d);
		d = NULL;
	}
	if (fingerprint_of_detail(f, d, key.fp) < 0)
		key.fp[0] = '\0';
	if (r->ntri && key.fp[0])
		t = bsearch(&key, r->tri, r->ntri, sizeof *r->tri, by_key);
	r->total++;
	r->sev[sev_rank(f->severity)]++;
	r->suppressed += is_suppressed(t);
	if (r->nit == REPORT_FINDINGS_MAX) {
		r->left_out++;
		json_decref(d);
		return 0;
	}
	if (r->nit == r->cit) {
		size_t cap = r->cit ? r->cit * 2 : 256;
		struct item *p = realloc(r->it, cap * sizeof *p);

		if (!p) {
			json_decref(d);
			return -1;
		}
		r->it = p;
		r->cit = cap;
	}
	it = &r->it[r->nit++];
	memset(it, 0, sizeof *it);
	it->f = *f;
	memset(f, 0, sizeof *f);	/* moved */
	memcpy(it->fp, key.fp, sizeof it->fp);
	it->rank = sev_rank(it->f.severity);
	it->t = t;
	it->cve = cve_list(d);
	fix = json_string_value(json_object_get(d, "fix"));
	it->fix = fix ? strdup(fix) : NULL;
	json_decref(d);
	return 0;
}

static int read_findings(struct rep *r)
{
	for (size_t i = 0; i < r->nm; i++) {
		int64_t after = 0;
		size_t n;

		do {
			struct finding *page = NULL;
			int rc = store_findings(r->s, r->m[i].id, after, STORE_LIST_MAX, &page, &n);

			if (rc != STORE_OK)
				return rc;
			for (size_t k = 0; k < n && rc == STORE_OK; k++) {
				after = page[k].id;
				if (take(r, &r->m[i], &page[k]) < 0)
					rc = STORE_ERROR;
			}
			finding_array_free(page, n);
			if (rc != STORE_OK)
				return rc;
		} while (n == STORE_LIST_MAX);
	}
	return STORE_OK;
}

/* What changed since the baseline: the scan's changes, or the chain's. */
static int read_changes(struct rep *r)
{
	struct chain_stage *st = NULL;
	size_t nst = 0, n;
	int64_t after = 0;
	int rc;

	if (r->chain) {
		rc = store_chain_stages(r->s, r->sc.id, 1, &st, &nst, &r->ctot);
		free(st);
	} else {
		rc = store_changes_info(r->s, r->sc.id, &r->info);
	}
	if (rc != STORE_OK)
		return rc;
	do {
		struct scan_change *page = NULL;

		rc = r->chain ? store_chain_changes(r->s, r->sc.id, after, STORE_LIST_MAX, &page, &n)
			      : store_changes(r->s, r->sc.id, after, STORE_LIST_MAX, &page, &n);
		if (rc != STORE_OK)
			return rc;
		for (size_t k = 0; k < n; k++) {
			after = page[k].id;
			if (r->nch < REPORT_CHANGES_MAX) {
				if (!r->ch && !(r->ch = calloc(REPORT_CHANGES_MAX, sizeof *r->ch))) {
					scan_change_array_free(page, n);
					return STORE_ERROR;
				}
				r->ch[r->nch++] = page[k];
				memset(&page[k], 0, sizeof page[k]);	/* moved */
			} else {
				r->ch_left_out++;
			}
		}
		scan_change_array_free(page, n);
	} while (n == STORE_LIST_MAX);
	return STORE_OK;
}

static int by_host_target(const struct item *x, const struct item *y)
{
	return strcmp(x->f.target ? x->f.target : "", y->f.target ? y->f.target : "");
}

/* Findings by host (byte order of the target), then severity, then port. */
static int by_host(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	int c = by_host_target(x, y);

	if (c)
		return c;
	if (x->rank != y->rank)
		return x->rank - y->rank;
	if (x->f.port != y->f.port)
		return x->f.port - y->f.port;
	return x->f.id < y->f.id ? -1 : x->f.id > y->f.id;
}

/* ---- writing ------------------------------------------------------------------- */

#define REPORT_CSS \
	"body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1b1f24;" \
	"margin:2em auto;max-width:1100px;padding:0 1em}" \
	"h1{font-size:1.5em;margin:0 0 .3em}h2{font-size:1.2em;border-bottom:1px solid #c9ced6;" \
	"padding-bottom:.2em;margin-top:1.8em}h3{font-size:1.05em;margin:1.2em 0 .3em}" \
	"table{border-collapse:collapse;width:100%;margin:.4em 0}" \
	"th,td{border:1px solid #d0d7de;padding:.25em .5em;text-align:left;vertical-align:top}" \
	"th{background:#f3f4f6}td.n{text-align:right;font-variant-numeric:tabular-nums}" \
	"code,.fp{font-family:ui-monospace,monospace;font-size:.9em;word-break:break-all}" \
	".sev{display:inline-block;min-width:4.5em;padding:0 .35em;border-radius:3px;" \
	"font-size:.85em;text-align:center;border:1px solid transparent}" \
	".critical{background:#7f1d1d;color:#fff}.high{background:#dc2626;color:#fff}" \
	".medium{background:#f59e0b}.low{background:#fde68a}.info{background:#e5e7eb}" \
	"tr.suppressed td{color:#6b7280;background:#f9fafb}" \
	".tag{font-size:.85em;border:1px solid #9ca3af;border-radius:3px;padding:0 .3em;" \
	"white-space:nowrap}.muted{color:#6b7280}dl{display:grid;grid-template-columns:" \
	"max-content 1fr;gap:.15em 1em;margin:.5em 0}dt{color:#6b7280}dd{margin:0}" \
	"@page{margin:14mm}" \
	"@media print{body{margin:0;max-width:none;font-size:9.5pt}h2,h3{break-after:avoid}" \
	"tr{break-inside:avoid}thead{display:table-header-group}" \
	".sev,th{-webkit-print-color-adjust:exact;print-color-adjust:exact}" \
	".sev{border-color:#000}}"

/* The targets of a scan (JSON array text) as "a, b, c". */
static void put_targets(struct buf *b, const char *json)
{
	json_t *a = json ? json_loads(json, 0, NULL) : NULL, *v;
	size_t i;

	if (!json_is_array(a)) {
		esc(b, json);
		json_decref(a);
		return;
	}
	json_array_foreach(a, i, v)
		if (json_is_string(v)) {
			puts_(b, i ? ", " : "");
			esc(b, json_string_value(v));
		}
	json_decref(a);
}

static void put_time(struct buf *b, int64_t ms)
{
	char t[40];

	puts_(b, ms ? scan_format_time(ms, t, sizeof t) : "—");
}

static void put_sev(struct buf *b, const char *sev)
{
	int k = sev_rank(sev);

	putf(b, "<span class=\"sev %s\">", k < NSEV ? sev_names[k] : "other");
	esc(b, sev);
	puts_(b, "</span>");
}

static void write_head(struct rep *r)
{
	struct buf *b = &r->b;

	puts_(b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	      "<meta name=\"generator\" content=\"scanq\">");
	putf(b, "<title>scanq report: %s %s %lld</title>", r->sc.type, r->chain ? "chain" : "scan",
	     (long long)r->sc.id);
	puts_(b, "<style>" REPORT_CSS "</style></head><body>\n");
	putf(b, "<header><h1 id=\"title\">scanq report: %s %s %lld</h1><dl>", r->sc.type,
	     r->chain ? "chain" : "scan", (long long)r->sc.id);
	puts_(b, "<dt>Targets</dt><dd id=\"targets\">");
	put_targets(b, r->sc.targets);
	putf(b, "</dd><dt>Status</dt><dd id=\"status\">%s</dd><dt>Created</dt><dd>",
	     scan_status_name(r->sc.status));
	put_time(b, r->sc.created_at);
	puts_(b, "</dd><dt>Finished</dt><dd>");
	put_time(b, r->sc.finished_at);
	puts_(b, "</dd><dt>Report written</dt><dd>");
	put_time(b, scan_now_ms());
	puts_(b, "</dd>");
	if (r->chain) {
		puts_(b, "<dt>Scans in the chain</dt><dd id=\"chain\">");
		for (size_t i = 0; i < r->nm; i++)
			putf(b, "%s%s %lld (%s)", i ? ", " : "", r->m[i].type, (long long)r->m[i].id,
			     scan_status_name(r->m[i].status));
		if (r->m_more)
			putf(b, " and %zu more", r->m_more);
		puts_(b, "</dd>");
	}
	puts_(b, "</dl></header>\n");
}

static void write_summary(struct rep *r)
{
	struct buf *b = &r->b;

	puts_(b, "<section id=\"summary\"><h2>Summary by severity</h2><table><thead><tr>");
	for (int i = 0; i < NSEV; i++)
		putf(b, "<th><span class=\"sev %s\">%s</span></th>", sev_names[i], sev_names[i]);
	if (r->sev[NSEV])
		puts_(b, "<th>other</th>");
	puts_(b, "<th>total</th></tr></thead><tbody><tr>");
	for (int i = 0; i < NSEV; i++)
		putf(b, "<td class=\"n\" data-sev=\"%s\">%lld</td>", sev_names[i], (long long)r->sev[i]);
	if (r->sev[NSEV])
		putf(b, "<td class=\"n\" data-sev=\"other\">%lld</td>", (long long)r->sev[NSEV]);
	putf(b, "<td class=\"n\" id=\"n-findings\">%lld</td></tr></tbody></table>", (long long)r->total);
	putf(b, "<p><span id=\"n-suppressed\">%lld</span> of them suppressed (accepted or false "
	     "positive): shown below, marked, and counted here.", (long long)r->suppressed);
	if (r->left_out)
		putf(b, " The first %d are listed below; <span id=\"n-left-out\">%lld</span> more are "
		     "left out of this report (the exports carry them all).", REPORT_FINDINGS_MAX,
		     (long long)r->left_out);
	puts_(b, "</p></section>\n");
}

struct port_seen {
	int port;
	const struct item *it;
};

static int by_port(const void *a, const void *b)
{
	return ((const struct port_seen *)a)->port - ((const struct port_seen *)b)->port;
}

/* One row of the hosts table: the items [from, to) share a target. */
static void host_row(struct rep *r, size_t from, size_t to)
{
	struct port_seen ps[64];
	size_t np = 0, more = 0;
	int worst = NSEV;

	for (size_t i = from; i < to; i++) {
		const struct item *it = &r->it[i];
		size_t k;

		worst = it->rank < worst ? it->rank : worst;
		if (!it->f.port)
			continue;
		for (k = 0; k < np && ps[k].port != it->f.port; k++)
			;
		if (k < np) {
			if (!(ps[k].it->f.service && *ps[k].it->f.service))
				ps[k].it = it;	/* a finding that names the service */
		} else if (np < sizeof ps / sizeof ps[0]) {
			ps[np++] = (struct port_seen){ it->f.port, it };
		} else {
			more++;
		}
	}
	qsort(ps, np, sizeof *ps, by_port);
	puts_(&r->b, "<tr data-host=\"");
	esc(&r->b, r->it[from].f.target);
	puts_(&r->b, "\"><td>");
	esc(&r->b, r->it[from].f.target);
	puts_(&r->b, "</td><td>");
	for (size_t k = 0; k < np; k++) {
		const struct item *it = ps[k].it;

		putf(&r->b, "%s<code>%d/", k ? ", " : "", it->f.port);
		esc(&r->b, it->f.proto[0] ? it->f.proto : "tcp");
		puts_(&r->b, "</code>");
		if (it->f.service && *it->f.service) {
			puts_(&r->b, " ");
			esc(&r->b, it->f.service);
		}
	}
	if (more)
		putf(&r->b, " and %zu more", more);
	putf(&r->b, "</td><td class=\"n\">%zu</td><td>", to - from);
	if (worst < NSEV)
		put_sev(&r->b, sev_names[worst]);
	puts_(&r->b, "</td></tr>\n");
}

static void write_hosts(struct rep *r)
{
	size_t nhosts = 0;

	puts_(&r->b, "<section id=\"hosts\"><h2>Hosts and services</h2>");
	if (!r->nit) {
		puts_(&r->b, "<p class=\"muted\">No findings.</p></section>\n");
		return;
	}
	puts_(&r->b, "<table><thead><tr><th>Host</th><th>Ports and services</th><th>Findings</th>"
	      "<th>Worst</th></tr></thead><tbody>\n");
	for (size_t i = 0, j; i < r->nit; i = j, nhosts++) {
		for (j = i + 1; j < r->nit && by_host_target(&r->it[i], &r->it[j]) == 0; j++)
			;
		host_row(r, i, j);
	}
	putf(&r->b, "</tbody></table><p class=\"muted\"><span id=\"n-hosts\">%zu</span> hosts.</p>"
	     "</section>\n", nhosts);
}

static void put_state(struct buf *b, const struct findings_triage *t)
{
	if (!t) {
		puts_(b, "<span class=\"muted\">—</span>");
		return;
	}
	if (is_suppressed(t)) {
		putf(b, "<span class=\"tag\">suppressed: %s</span>",
		     strcmp(t->state, "accepted") == 0 ? "accepted" : "false positive");
		if (t->reason) {
			puts_(b, " ");
			esc(b, t->reason);
		}
		return;
	}
	esc(b, t->state);
}

static void change_row(struct rep *r, const struct scan_change *c)
{
	struct buf *b = &r->b;
	int sup = strcmp(c->state, "accepted") == 0 || strcmp(c->state, "false_positive") == 0;

	putf(b, "<tr data-change=\"%s\"%s>", c->change, sup ? " class=\"suppressed\"" : "");
	if (r->chain)
		putf(b, "<td>%lld</td>", (long long)c->scan_id);
	putf(b, "<td>%s</td><td>", c->change);
	esc(b, c->kind);
	puts_(b, "</td><td>");
	esc(b, c->target);
	puts_(b, "</td><td>");
	if (c->port)
		putf(b, "%d/%s", c->port, c->proto[0] ? "" : "tcp"), esc(b, c->proto);
	puts_(b, "</td><td>");
	put_sev(b, c->severity);
	puts_(b, "</td><td>");
	esc(b, c->title);
	puts_(b, "</td><td>");
	if (sup)
		putf(b, "<span class=\"tag\">suppressed: %s</span>",
		     strcmp(c->state, "accepted") == 0 ? "accepted" : "false positive");
	else
		esc(b, c->state);
	puts_(b, "</td></tr>\n");
}

static void write_changes(struct rep *r)
{
	struct buf *b = &r->b;
	int64_t nn = r->chain ? r->ctot.nnew : r->info.nnew;
	int64_t ng = r->chain ? r->ctot.ngone : r->info.ngone;
	int64_t nc = r->chain ? r->ctot.nchanged : r->info.nchanged;

	puts_(b, "<section id=\"changes\"><h2>Changes since the baseline</h2><p>");
	if (!r->chain && !r->info.compared)
		puts_(b, "Not compared: the scan has not completed.");
	else if (!r->chain && !r->info.baseline_id)
		puts_(b, "This scan is its baseline's first run: nothing to compare with.");
	else if (!r->chain)
		putf(b, "Compared with scan %lld.", (long long)r->info.baseline_id);
	else
		putf(b, "Each of the chain's %lld scans compared with the same stage of the previous run "
		     "(%lld compared).", (long long)r->ctot.stages, (long long)r->ctot.compared);
	putf(b, " <span id=\"n-new\">%lld</span> new, <span id=\"n-gone\">%lld</span> gone, "
	     "<span id=\"n-changed\">%lld</span> changed.</p>", (long long)nn, (long long)ng,
	     (long long)nc);
	if (r->nch) {
		puts_(b, "<table><thead><tr>");
		puts_(b, r->chain ? "<th>Scan</th>" : "");
		puts_(b, "<th>Change</th><th>Kind</th><th>Target</th><th>Port</th><th>Severity</th>"
		      "<th>Title</th><th>State</th></tr></thead><tbody>\n");
		for (size_t i = 0; i < r->nch; i++)
			change_row(r, &r->ch[i]);
		puts_(b, "</tbody></table>");
	}
	if (r->ch_left_out)
		putf(b, "<p class=\"muted\">%lld more changes are left out of this report.</p>",
		     (long long)r->ch_left_out);
	puts_(b, "</section>\n");
}

static void finding_row(struct buf *b, const struct item *it)
{
	putf(b, "<tr class=\"finding%s\" data-fingerprint=\"%s\" data-severity=\"",
	     is_suppressed(it->t) ? " suppressed" : "", it->fp);
	esc(b, it->f.severity);
	puts_(b, "\"><td>");
	put_sev(b, it->f.severity);
	puts_(b, "</td><td>");
	if (it->f.port) {
		putf(b, "%d/", it->f.port);
		esc(b, it->f.proto[0] ? it->f.proto : "tcp");
	}
	puts_(b, "</td><td>");
	esc(b, it->f.service);
	puts_(b, "</td><td>");
	esc(b, it->f.kind);
	puts_(b, "</td><td class=\"title\">");
	esc(b, it->f.title);
	puts_(b, "</td><td>");
	esc(b, it->cve);
	puts_(b, "</td><td>");
	esc(b, it->fix);
	puts_(b, "</td><td>");
	put_state(b, it->t);
	puts_(b, "</td></tr>\n");
}

static void write_findings(struct rep *r)
{
	struct buf *b = &r->b;

	puts_(b, "<section id=\"findings\"><h2>Findings by host</h2>");
	if (!r->nit)
		puts_(b, "<p class=\"muted\">No findings.</p>");
	for (size_t i = 0; i < r->nit; i++) {
		if (i == 0 || by_host_target(&r->it[i - 1], &r->it[i]) != 0) {
			if (i)
				puts_(b, "</tbody></table>\n");
			puts_(b, "<h3>");
			esc(b, r->it[i].f.target);
			puts_(b, "</h3><table><thead><tr><th>Severity</th><th>Port</th><th>Service</th>"
			      "<th>Kind</th><th>Title</th><th>CVE</th><th>Fix</th><th>State</th></tr>"
			      "</thead><tbody>\n");
		}
		finding_row(b, &r->it[i]);
	}
	if (r->nit)
		puts_(b, "</tbody></table>\n");
	puts_(b, "</section>\n");
}

static void write_report(struct rep *r)
{
	write_head(r);
	write_summary(r);
	write_hosts(r);
	write_changes(r);
	write_findings(r);
	puts_(&r->b, "<footer class=\"muted\"><p>Written by scanq. Fingerprints identify a finding "
	      "across runs and exports.</p></footer></body></html>\n");
}


int report_html(struct store *s, int64_t scan_id, char **html, size_t *len, char *err,
		size_t errlen)
{
	struct rep *r = calloc(1, sizeof *r);
	int rc = STORE_ERROR;

	*html = NULL;
	*len = 0;
	if (!r)
		return STORE_ERROR;
	r->s = s;
	if ((rc = read_members(r, scan_id)) != STORE_OK || (rc = read_states(r)) != STORE_OK
	    || (rc = read_findings(r)) != STORE_OK || (rc = read_changes(r)) != STORE_OK) {
		snprintf(err, errlen, "%s", rc == STORE_ERROR && !*store_error(s) ? "out of memory"
					    : store_error(s));
		goto out;
	}
	if (r->nit)
		qsort(r->it, r->nit, sizeof *r->it, by_host);
	write_report(r);
	if (r->b.oom) {
		snprintf(err, errlen, "the report does not fit in memory");
		rc = STORE_ERROR;
		goto out;
	}
	*html = r->b.p;
	*len = r->b.len;
	r->b.p = NULL;
	rc = STORE_OK;
out:
	for (size_t i = 0; i < r->nit; i++) {
		finding_release(&r->it[i].f);
		free(r->it[i].cve);
		free(r->it[i].fix);
	}
	free(r->it);
	for (size_t i = 0; i < r->ntri; i++)
		free(r->tri[i].reason);
	free(r->tri);
	scan_change_array_free(r->ch, r->nch);
	scan_release(&r->sc);
	free(r->b.p);
	free(r);
	return rc;
}
