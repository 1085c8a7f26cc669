/*
 * changes.c — what changed between two scans of one baseline (store.h).
 *
 * When a scan completes, changes_on_complete() records it under its
 * baseline key (the rule is one SQL statement per dialect, S_CHANGES_MARK)
 * and learns, in that same statement, the previous completed scan of the
 * key, how many findings that one had and whether any webhook exists.  A
 * scan with no findings whose baseline had none costs that one statement:
 * the fast path of the queue.  Otherwise the two finding sets are compared
 * in memory — sorted by identity, then merged, so the work is
 * O(n log n) in the findings and independent of their order — and each
 * change is a row of the completing transaction.  A follow-up stage of a
 * chain is compared with every scan of that stage in the chain's previous
 * run, on its own targets only (S_CHANGES_STAGE_FINDINGS): its targets
 * come from its run's results, so they are not part of its key.
 *
 * Identity: kind, target, port, proto and the check id (detail.script,
 * detail.template_id or detail.check; for other kinds without a port, the
 * title).  Two findings of one identity differ ("changed") when their
 * service, severity, product or version differ, or, for an http
 * endpoint, its title, Server header, technologies or certificate (the
 * change's after.web.changed names which).  Several findings of one
 * identity are paired in the order of those values, so a rerun that
 * reports the same findings in another order changes nothing.
 *
 * The same step keeps the findings' lifecycle (finding_states.c) for the
 * baseline, when the run has findings or the baseline has any open (the
 * mark says which); each current finding's change then carries its
 * fingerprint and state, so a triaged one is marked suppressed.
 */
#include <stdlib.h>
#include <string.h>
#include "store/tx.h"
#include "store/fingerprint.h"

/* One side of the comparison: borrowed strings of a finding. */
struct item {
	const char *kind, *target, *proto, *service, *severity, *title, *detail;
	int port;
	char *ident;			/* owned */
	char *product, *version;	/* owned; set by derive_state() */
	int derived;
	char fp[33], state[16];		/* the lifecycle's, for a current finding */
};

static int cmpstr(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int cmp_identity(const struct item *a, const struct item *b)
{
	int c;

	if ((c = cmpstr(a->target, b->target)) != 0 || (c = (a->port > b->port) - (a->port < b->port)) != 0
	    || (c = cmpstr(a->kind, b->kind)) != 0 || (c = cmpstr(a->proto, b->proto)) != 0)
		return c;
	return cmpstr(a->ident, b->ident);
}

static void derive_state(struct item *it);

/* The order of findings of one identity: by what is cheap to compare
 * (service, severity, the detail's text), so no JSON is parsed to sort. */
static int cmp_item(const void *x, const void *y)
{
	const struct item *a = x, *b = y;
	int c = cmp_identity(a, b);

	if (c || (c = cmpstr(a->service, b->service)) != 0 || (c = cmpstr(a->severity, b->severity)) != 0)
		return c;
	return cmpstr(a->detail, b->detail);
}

static int web_differs(const struct item *a, const struct item *b);

/* Do two findings of one identity differ?  Parses their details only when
 * the texts differ (a rerun of an unchanged service parses nothing). */
static int state_differs(struct item *a, struct item *b)
{
	if (cmpstr(a->service, b->service) || cmpstr(a->severity, b->severity))
		return 1;
	if (cmpstr(a->detail, b->detail) == 0)
		return 0;
	derive_state(a);
	derive_state(b);
	return cmpstr(a->product, b->product) || cmpstr(a->version, b->version) || web_differs(a, b);
}


static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static json_t *detail_of(const struct item *it)
{
	json_t *d = it->detail && *it->detail == '{' ? json_loads(it->detail, 0, NULL) : NULL;

	if (!json_is_object(d)) {
		json_decref(d);
		return NULL;
	}
	return d;
}

/* Product and version from the detail JSON, once. */
static void derive_state(struct item *it)
{
	json_t *d;

	if (it->derived)
		return;
	it->derived = 1;
	if ((d = detail_of(it))) {
		it->product = dup_or_null(json_string_value(json_object_get(d, "product")));
		it->version = dup_or_null(json_string_value(json_object_get(d, "version")));
		json_decref(d);
	}
}

/* The check id of the identity (the fingerprint's rule).  A port or host
 * finding has none: its detail is not parsed for it. */
static void item_derive(struct item *it)
{
	json_t *d = NULL;

	if (strcmp(it->kind, "open_port") == 0 || strcmp(it->kind, "host") == 0)
		return;
	d = detail_of(it);
	it->ident = dup_or_null(fingerprint_check_id(it->kind, it->port, it->title, d));
	json_decref(d);
}

static void items_free(struct item *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].ident);
		free(v[i].product);
		free(v[i].version);
	}
	free(v);
}

/* ---- http endpoints: what an operator of the web surface watches ---------- */

/* The web state of an http endpoint's own finding (kind "http", no check):
 * its title, Server header, technologies (names, sorted) and certificate
 * (subject, issuer, not_after and SANs: not days_left, which moves every
 * day).  NULL for any other finding.  New reference. */
static json_t *web_state(const struct item *it)
{
	json_t *d, *w, *tech, *names, *cert;
	size_t i;
	json_t *v;

	if (!it->kind || strcmp(it->kind, "http") || !(d = detail_of(it)))
		return NULL;
	if (json_object_get(d, "check")) {
		json_decref(d);
		return NULL;
	}
	w = json_object();
	json_object_set(w, "html_title", json_object_get(d, "html_title") ? json_object_get(d, "html_title")
		       : json_null());
	json_object_set(w, "server", json_object_get(d, "server") ? json_object_get(d, "server") : json_null());
	names = json_array();
	tech = json_object_get(d, "technologies");
	json_array_foreach(tech, i, v)
		if (json_string_value(json_object_get(v, "name")))
			json_array_append(names, json_object_get(v, "name"));
	json_object_set_new(w, "technologies", names);
	cert = json_object_get(d, "certificate");
	if (json_is_object(cert))
		json_object_set_new(w, "certificate", json_pack("{sOsOsOsO}", "subject",
				    json_object_get(cert, "subject") ? json_object_get(cert, "subject") : json_null(),
				    "issuer", json_object_get(cert, "issuer") ? json_object_get(cert, "issuer") : json_null(),
				    "not_after", json_object_get(cert, "not_after") ? json_object_get(cert, "not_after")
				    : json_null(), "sans", json_object_get(cert, "sans") ? json_object_get(cert, "sans")
				    : json_null()));
	else
		json_object_set_new(w, "certificate", json_null());
	json_decref(d);
	return w;
}

static int has_name(json_t *arr, json_t *name)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
		if (json_equal(v, name))
			return 1;
	return 0;
}

/* What changed between two web states: "title", "server",
 * "technology_added", "technology_removed", "certificate".  New array. */
static json_t *web_aspects(json_t *a, json_t *b)
{
	json_t *out = json_array(), *ta = json_object_get(a, "technologies"), *tb = json_object_get(b, "technologies");
	size_t i;
	json_t *v;
	int added = 0, removed = 0;

	if (!json_equal(json_object_get(a, "html_title"), json_object_get(b, "html_title")))
		json_array_append_new(out, json_string("title"));
	if (!json_equal(json_object_get(a, "server"), json_object_get(b, "server")))
		json_array_append_new(out, json_string("server"));
	json_array_foreach(tb, i, v)
		added |= !has_name(ta, v);
	json_array_foreach(ta, i, v)
		removed |= !has_name(tb, v);
	if (added)
		json_array_append_new(out, json_string("technology_added"));
	if (removed)
		json_array_append_new(out, json_string("technology_removed"));
	if (!json_equal(json_object_get(a, "certificate"), json_object_get(b, "certificate")))
		json_array_append_new(out, json_string("certificate"));
	return out;
}

static int web_differs(const struct item *a, const struct item *b)
{
	json_t *wa = web_state(a), *wb = web_state(b), *asp;
	int differs;

	if (!wa || !wb) {
		json_decref(wa);
		json_decref(wb);
		return 0;
	}
	asp = web_aspects(wa, wb);
	differs = json_array_size(asp) > 0;
	json_decref(asp);
	json_decref(wa);
	json_decref(wb);
	return differs;
}

/* A web finding's state shows its web state too ("web"). */
static void web_state_add(json_t *o, const struct item *it)
{
	json_t *w = web_state(it);

	if (w)
		json_object_set_new(o, "web", w);
}

/* A change of a web finding names what changed: after.web.changed is the
 * list web_aspects() gives (empty when only the service or version did). */
static void web_aspects_add(char **after, const struct item *old, const struct item *cur)
{
	json_t *wa = web_state(old), *wb = web_state(cur), *o = *after ? json_loads(*after, 0, NULL) : NULL;
	char *t;

	if (wa && wb && json_is_object(json_object_get(o, "web"))) {
		json_object_set_new(json_object_get(o, "web"), "changed", web_aspects(wa, wb));
		if ((t = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS))) {
			free(*after);
			*after = t;
		}
	}
	json_decref(wa);
	json_decref(wb);
	json_decref(o);
}

/* The state of a finding as a change shows it: a JSON object text. */
static char *state_json(struct item *it)
{
	json_t *o = json_object();

	derive_state(it);
	char *t;

	json_object_set_new(o, "service", changes_text_json(it->service));
	json_object_set_new(o, "severity", changes_text_json(it->severity ? it->severity : "info"));
	json_object_set_new(o, "product", changes_text_json(it->product));
	json_object_set_new(o, "version", changes_text_json(it->version));
	json_object_set_new(o, "title", changes_text_json(it->title));
	web_state_add(o, it);
	t = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return t;
}

static void set_change(struct scan_change *c, const char *what, struct item *old,
		       struct item *cur)
{
	const struct item *it = cur ? cur : old;

	memset(c, 0, sizeof *c);
	snprintf(c->change, sizeof c->change, "%s", what);
	snprintf(c->kind, sizeof c->kind, "%s", it->kind ? it->kind : "finding");
	c->target = dup_or_null(it->target);
	c->port = it->port;
	snprintf(c->proto, sizeof c->proto, "%s", it->proto ? it->proto : "");
	c->ident = dup_or_null(it->ident);
	snprintf(c->severity, sizeof c->severity, "%s", it->severity ? it->severity : "info");
	c->title = dup_or_null(it->title);
	c->before = old ? state_json(old) : NULL;
	c->after = cur ? state_json(cur) : NULL;
	memcpy(c->fingerprint, it->fp, sizeof c->fingerprint);
	memcpy(c->state, it->state, sizeof c->state);
	if (old && cur)
		web_aspects_add(&c->after, old, cur);
}

/*
 * The comparison itself: old and cur are sorted here.  Every change goes
 * to *out (a new array, at most max of them, NULL when max is 0); *total
 * gets the count of each kind.  Returns 0, or -1 without memory.
 */
static int diff_items(struct item *old, size_t nold, struct item *cur, size_t ncur, size_t max,
		      struct scan_change **out, size_t *n, int64_t counts[3])
{
	size_t i = 0, j = 0, cap = 0;
	struct scan_change *v = NULL;

	*out = NULL;
	*n = 0;
	counts[0] = counts[1] = counts[2] = 0;
	if (nold)		/* an empty side may be a NULL array: qsort's pointer is nonnull */
		qsort(old, nold, sizeof *old, cmp_item);
	if (ncur)
		qsort(cur, ncur, sizeof *cur, cmp_item);
	while (i < nold || j < ncur) {
		struct item *a = NULL, *b = NULL;
		const char *what;
		int c = i >= nold ? 1 : j >= ncur ? -1 : cmp_identity(&old[i], &cur[j]);

		if (c < 0) {
			a = &old[i++];
			what = "gone";
			counts[1]++;
		} else if (c > 0) {
			b = &cur[j++];
			what = "new";
			counts[0]++;
		} else {
			a = &old[i++];
			b = &cur[j++];
			if (!state_differs(a, b))
				continue;
			what = "changed";
			counts[2]++;
		}
		if (*n >= max)
			continue;
		if (*n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct scan_change *nv;

			if (ncap > max)
				ncap = max;
			if (!(nv = realloc(v, ncap * sizeof *v))) {
				scan_change_array_free(v, *n);
				return -1;
			}
			v = nv;
			cap = ncap;
		}
		set_change(&v[(*n)++], what, a, b);
	}
	*out = v;
	return 0;
}

/* Reads every finding of scan `id` into items.  *rows keeps the strings
 * (free each with free() then the array). */
struct rows {
	char **str;			/* 7 strings a row: kind, target, proto, service, severity,
					 * title, detail */
	struct item *items;
	size_t n;
};

static void rows_free(struct rows *r)
{
	if (r->str)
		for (size_t i = 0; i < r->n * 7; i++)
			free(r->str[i]);
	free(r->str);
	items_free(r->items, r->n);
	memset(r, 0, sizeof *r);
}

/*
 * The findings of scan `id` (and its shards) into r; with stage_targets
 * (a JSON array), those of the whole stage `id` was part of in its run of
 * the chain, on those targets only.
 */
static int read_rows(struct store *s, int64_t id, const char *stage_targets, struct rows *r)
{
	struct db_args a = { 0 };
	struct db_cur cur;
	size_t cap = 0;
	int rc;

	memset(r, 0, sizeof *r);
	db_i64(&a, id);
	if (stage_targets)
		db_text(&a, stage_targets);
	if ((rc = db_query(s, stage_targets ? S_CHANGES_STAGE_FINDINGS : S_CHANGES_FINDINGS, &a,
			   &cur)) != STORE_OK)
		return rc;
	while ((rc = db_next(&cur)) > 0) {
		struct item *it;
		char **st;

		if (r->n == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			struct item *ni = realloc(r->items, ncap * sizeof *ni);
			char **ns;

			if (ni)
				r->items = ni;
			ns = ni ? realloc(r->str, ncap * 7 * sizeof *ns) : NULL;
			if (!ns) {
				db_done(&cur);
				rows_free(r);
				return store_set_error(s, "out of memory");
			}
			r->str = ns;
			cap = ncap;
		}
		st = &r->str[r->n * 7];
		st[0] = db_col_dup(&cur, 0);
		st[1] = db_col_dup(&cur, 1);
		st[2] = db_col_dup(&cur, 3);
		st[3] = db_col_dup(&cur, 4);
		st[4] = db_col_dup(&cur, 5);
		st[5] = db_col_dup(&cur, 6);
		st[6] = db_col_dup(&cur, 7);
		it = &r->items[r->n++];
		memset(it, 0, sizeof *it);
		it->kind = st[0];
		it->target = st[1];
		it->port = (int)db_col_i64(&cur, 2);
		it->proto = st[2];
		it->service = st[3];
		it->severity = st[4];
		it->title = st[5];
		it->detail = st[6];
		item_derive(it);
	}
	db_done(&cur);
	if (rc < 0) {
		rows_free(r);
		return rc;
	}
	return STORE_OK;
}

/* Items over findings in memory, with the defaults the store writes. */
static struct item *items_of(const struct finding *f, size_t n)
{
	struct item *v = calloc(n ? n : 1, sizeof *v);

	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		v[i].kind = f[i].kind[0] ? f[i].kind : "finding";
		v[i].target = f[i].target;
		v[i].port = f[i].port > 0 ? f[i].port : 0;
		v[i].proto = f[i].proto;
		v[i].service = f[i].service;
		v[i].severity = f[i].severity[0] ? f[i].severity : "info";
		v[i].title = f[i].title;
		v[i].detail = f[i].detail;
		item_derive(&v[i]);
	}
	return v;
}

static int insert_change(struct store *s, int64_t scan_id, int64_t baseline_id,
			 const struct scan_change *c)
{
	struct db_args a = { 0 };

	db_i64(&a, scan_id);
	db_i64(&a, baseline_id);
	db_text(&a, c->change);
	db_text(&a, c->kind);
	db_text(&a, c->target);
	if (c->port > 0)
		db_i64(&a, c->port);
	else
		db_null(&a);
	db_text(&a, c->proto[0] ? c->proto : NULL);
	db_text(&a, c->ident);
	db_text(&a, c->severity);
	db_text(&a, c->title);
	db_text(&a, c->before);
	db_text(&a, c->after);
	return db_run(s, S_CHANGES_INSERT, &a, NULL);
}

/* The scan's summary with "changes" added.  New string or NULL. */
static char *summary_with(const char *summary, const struct scan_changes_info *info)
{
	json_t *o = summary ? json_loads(summary, 0, NULL) : NULL;
	char *t;

	if (!json_is_object(o)) {
		json_decref(o);
		o = json_object();
	}
	json_object_set_new(o, "changes", json_pack("{sIsIsIsI}", "baseline_id",
						     (json_int_t)info->baseline_id, "new",
						     (json_int_t)info->nnew, "gone",
						     (json_int_t)info->ngone, "changed",
						     (json_int_t)info->nchanged));
	t = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return t;
}

/* The lifecycle step (finding_states.c) over the current items: each item
 * gets its fingerprint and state, which its change then carries. */
static int lifecycle(struct store *s, int64_t id, struct item *items, size_t n, const char *stage)
{
	struct fstate_item *v = n ? calloc(n, sizeof *v) : NULL;
	int rc;

	if (n && !v)
		return store_set_error(s, "out of memory");
	for (size_t i = 0; i < n; i++) {
		v[i] = (struct fstate_item){ .kind = items[i].kind, .target = items[i].target,
					     .proto = items[i].proto, .service = items[i].service,
					     .severity = items[i].severity, .title = items[i].title,
					     .detail = items[i].detail, .port = items[i].port };
	}
	if ((rc = finding_states_on_complete(s, id, v, n, stage)) == STORE_OK)
		for (size_t i = 0; i < n; i++) {
			memcpy(items[i].fp, v[i].fp, sizeof items[i].fp);
			memcpy(items[i].state, v[i].state, sizeof items[i].state);
		}
	free(v);
	return rc;
}

/* What recording a scan under its baseline said (S_CHANGES_MARK's row):
 * the previous scan of the key (info.baseline_id), its finding count, the
 * webhook count, whether the lifecycle has anything open, and a stage's
 * targets (malloc'd or NULL; compare_marked() frees it). */
struct mark {
	struct scan_changes_info info;
	int64_t base_findings, hooks, open;
	char *stage;
};

/* Reads a mark from columns from, from + 1, ... of S_CHANGES_MARK's (or
 * S_CHANGES_MARK_BATCH's) row.  Returns a store rc. */
static int mark_read(struct db_cur *cur, int from, struct mark *m)
{
	*m = (struct mark){ .info = { .compared = 1 } };
	m->info.baseline_id = db_col_i64(cur, from);
	m->base_findings = db_col_i64(cur, from + 1);
	m->hooks = db_col_i64(cur, from + 2);
	m->open = db_col_i64(cur, from + 4);
	/* A stage is compared with its whole stage of the chain's last run. */
	if (db_col_text(cur, from + 3) && !(m->stage = db_col_dup(cur, from + 3)))
		return store_set_error(cur->s, "out of memory");
	return STORE_OK;
}

/* Records scan `id` under its baseline (S_CHANGES_MARK) and reads what
 * that says into *m.  Returns a store rc. */
static int mark(struct store *s, int64_t id, struct mark *m)
{
	struct db_args a = { 0 };
	struct db_cur cur;
	int rc;

	*m = (struct mark){ .info = { .compared = 1 } };
	db_i64(&a, id);
	if ((rc = db_query(s, S_CHANGES_MARK, &a, &cur)) == STORE_OK && (rc = db_next(&cur)) > 0)
		rc = mark_read(&cur, 0, m) == STORE_OK ? 1 : -1;
	db_done(&cur);
	if (rc < 0) {
		free(m->stage);
		m->stage = NULL;
		return rc == -1 ? STORE_ERROR : rc;
	}
	return STORE_OK;
}

/* Compares one completed scan with its baseline (see the top of the file). */
/*
 * Records scan `id` under its baseline and, when there is a previous scan
 * of it, the changes against it, in the caller's transaction.  The scan's
 * findings are `f` (in memory, a completion's: possibly none) or, with
 * `stored`, read back from the store (a split scan's: its shards').
 * `summary` is the scan's, which gets the change counts.
 */
static int compare_marked(struct store *s, int64_t id, const char *summary_in, int stored,
			  const struct finding *f, size_t nf, struct mark *m)
{
	struct scan_changes_info info = m->info;
	struct db_args a = { 0 };
	struct rows old = { 0 }, now = { 0 };
	struct item *cur_items = NULL, *items = NULL;
	struct scan_change *ch = NULL;
	size_t nch = 0, ncur;
	int64_t base_findings = m->base_findings, hooks = m->hooks, open = m->open, counts[3];
	json_t *arr = NULL;
	char *summary = NULL, *stage = m->stage;
	int rc = STORE_OK;

	m->stage = NULL;
	if (stored && (rc = read_rows(s, id, NULL, &now)) != STORE_OK)
		goto out;
	ncur = stored ? now.n : nf;
	/* The lifecycle, unless the run has no findings and nothing is open. */
	if (ncur || open) {
		items = stored ? now.items : (cur_items = items_of(f, nf));
		if (!stored && !items) {
			rc = store_set_error(s, "out of memory");
			goto out;
		}
		if ((rc = lifecycle(s, id, items, ncur, stage)) != STORE_OK)
			goto out;
	}
	if (info.baseline_id == 0 || (base_findings == 0 && ncur == 0 && !stage)) {
		rc = hooks ? webhooks_on_completed(s, id, NULL, &info) : STORE_OK;
		goto out;
	}

	if ((rc = read_rows(s, info.baseline_id, stage, &old)) != STORE_OK)
		goto out;
	if (!items)
		items = stored ? now.items : (cur_items = items_of(f, nf));
	if ((!stored && !items)
	    || diff_items(old.items, old.n, items, ncur, SIZE_MAX, &ch, &nch, counts) < 0) {
		rc = store_set_error(s, "out of memory");
		goto out;
	}
	info.nnew = counts[0];
	info.ngone = counts[1];
	info.nchanged = counts[2];
	for (size_t i = 0; i < nch; i++)
		if ((rc = insert_change(s, id, info.baseline_id, &ch[i])) != STORE_OK)
			goto out;
	if (nch) {
		a.n = 0;
		db_i64(&a, id);
		db_i64(&a, info.nnew);
		db_i64(&a, info.ngone);
		db_i64(&a, info.nchanged);
		if ((rc = db_run(s, S_CHANGES_COUNT, &a, NULL)) != STORE_OK)
			goto out;
		if (!(summary = summary_with(summary_in, &info))) {
			rc = store_set_error(s, "out of memory");
			goto out;
		}
		a.n = 0;
		db_i64(&a, id);
		db_text(&a, summary);
		if ((rc = db_run(s, S_CHANGES_SUMMARY, &a, NULL)) != STORE_OK
		    || (info.nnew && (rc = core_bump(s, "changes_new", info.nnew)) != STORE_OK)
		    || (info.ngone && (rc = core_bump(s, "changes_gone", info.ngone)) != STORE_OK)
		    || (info.nchanged && (rc = core_bump(s, "changes_changed", info.nchanged)) != STORE_OK))
			goto out;
	}
	if (hooks) {
		arr = json_array();
		for (size_t i = 0; i < nch; i++)
			json_array_append_new(arr, scan_change_to_json(&ch[i]));
		rc = webhooks_on_completed(s, id, arr, &info);
	}
out:
	json_decref(arr);
	free(summary);
	free(stage);
	scan_change_array_free(ch, nch);
	if (cur_items)
		items_free(cur_items, nf);
	rows_free(&old);
	rows_free(&now);
	return rc;
}

static int compare(struct store *s, int64_t id, const char *summary_in, int stored,
		   const struct finding *f, size_t nf)
{
	struct mark m;
	int rc = mark(s, id, &m);

	return rc == STORE_OK ? compare_marked(s, id, summary_in, stored, f, nf, &m) : rc;
}

/* A shard is compared as part of its split scan, when the last shard
 * completes (changes_on_split_complete()), not alone: one result, one
 * baseline, one delivery. */
static int is_shard(struct store *s, const struct store_completion *c, int *shard)
{
	struct db_args a = { 0 };
	struct db_cur cur;
	int rc;

	*shard = c->flow >= 0 && (c->flow & SCAN_FLOW_SHARD);
	if (c->flow >= 0)
		return STORE_OK;
	db_i64(&a, c->id);		/* flow unknown (store_complete): look it up */
	if ((rc = db_query(s, S_FLOW_OF, &a, &cur)) == STORE_OK && (rc = db_next(&cur)) > 0)
		*shard = (db_col_i64(&cur, 0) & SCAN_FLOW_SHARD) != 0;
	db_done(&cur);
	return rc < 0 ? rc : STORE_OK;
}

static int on_complete(struct store *s, const struct store_completion *c)
{
	int shard, rc;

	if ((rc = is_shard(s, c, &shard)) != STORE_OK || shard)
		return rc;
	return compare(s, c->id, c->summary, 0, c->findings, c->nfindings);
}

int changes_on_split_complete(struct store *s, int64_t id, const char *summary)
{
	return compare(s, id, summary, 1, NULL, 0);
}

int scan_changes_compute(const struct finding *old, size_t nold, const struct finding *cur,
			 size_t ncur, size_t max, struct scan_change **out, size_t *n, int64_t counts[3])
{
	struct item *a = items_of(old, nold), *b = items_of(cur, ncur);
	int rc = -1;

	*out = NULL;
	*n = 0;
	if (a && b)
		rc = diff_items(a, nold, b, ncur, max, out, n, counts);
	if (a)
		items_free(a, nold);
	if (b)
		items_free(b, ncur);
	return rc;
}

/* One scan of a batch marked together: its completion, its mark, its key. */
struct marked {
	const struct store_completion *c;
	struct mark m;
	char *key;
};

/* Reads S_CHANGES_MARK_BATCH's rows (by scan id) into v[]; *nv rows. */
static int mark_batch(struct store *s, const struct store_completion *c, size_t n,
		      const int64_t *ids, size_t nids, struct marked *v, size_t *nv)
{
	struct db_args a = { 0 };
	struct db_cur cur;
	int rc;

	*nv = 0;
	db_i64s(&a, ids, nids);
	if ((rc = db_query(s, S_CHANGES_MARK_BATCH, &a, &cur)) == STORE_OK)
		while (*nv < nids && (rc = db_next(&cur)) > 0) {
			struct marked *r = &v[*nv];
			int64_t id = db_col_i64(&cur, 0);

			r->c = NULL;
			for (size_t i = 0; i < n && !r->c; i++)
				if (c[i].id == id && c[i].rc == STORE_OK)
					r->c = &c[i];
			(*nv)++;
			if (!r->c)
				rc = store_set_error(s, "a mark for scan %lld, which is not in the batch",
						     (long long)id);
			else if ((rc = mark_read(&cur, 1, &r->m)) == STORE_OK && !(r->key = db_col_dup(&cur, 6)))
				rc = store_set_error(s, "out of memory");
			if (rc != STORE_OK)
				break;
		}
	db_done(&cur);
	return rc < 0 ? rc : STORE_OK;
}

/*
 * The batch form of the loop below, for a dialect with
 * S_CHANGES_MARK_BATCH: every scan of the batch is recorded under its
 * baseline in one statement, then compared as one alone would be.  A scan
 * whose key an earlier scan of the batch shares, and that earlier scan ran
 * the lifecycle step (finding_states.c), may find findings open that the
 * statement could not see yet: it runs the step too (with nothing open it
 * changes nothing).
 */
static int on_complete_batch(struct store *s, const struct store_completion *c, size_t n)
{
	int64_t *ids = calloc(n, sizeof *ids);
	struct marked *v = calloc(n, sizeof *v);
	char *ran = calloc(n, 1);
	size_t nids = 0, nv = 0;
	int rc = STORE_OK, shard;

	if (!ids || !v || !ran) {
		rc = store_set_error(s, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n && rc == STORE_OK; i++)
		if (c[i].rc == STORE_OK && (rc = is_shard(s, &c[i], &shard)) == STORE_OK && !shard)
			ids[nids++] = c[i].id;
	if (rc != STORE_OK || nids == 0
	    || (rc = mark_batch(s, c, n, ids, nids, v, &nv)) != STORE_OK)
		goto out;
	for (size_t i = 0; i < nv && rc == STORE_OK; i++) {
		for (size_t j = 0; j < i && !v[i].m.open; j++)
			if (ran[j] && strcmp(v[j].key, v[i].key) == 0)
				v[i].m.open = 1;
		ran[i] = v[i].c->nfindings > 0 || v[i].m.open;
		rc = compare_marked(s, v[i].c->id, v[i].c->summary, 0, v[i].c->findings,
				    v[i].c->nfindings, &v[i].m);
	}
out:
	for (size_t i = 0; v && i < nv; i++) {
		free(v[i].m.stage);
		free(v[i].key);
	}
	free(ids);
	free(v);
	free(ran);
	return rc;
}

int changes_on_complete(struct store *s, const struct store_completion *c, size_t n)
{
	int rc;

	if (n > 1 && s->d->sql[S_CHANGES_MARK_BATCH])
		return on_complete_batch(s, c, n);
	for (size_t i = 0; i < n; i++)
		if (c[i].rc == STORE_OK && (rc = on_complete(s, &c[i])) != STORE_OK)
			return rc;
	return STORE_OK;
}

/* ---- two scans compared on demand (scanq diff); the rest of the reading is
 * changes_read.c ------------------------------------------------------------ */

int store_diff(struct store *s, int64_t older, int64_t newer, size_t max,
	       struct scan_change **out, size_t *n, size_t *total)
{
	struct rows a = { 0 }, b = { 0 };
	int64_t counts[3];
	int rc;

	*out = NULL;
	*n = 0;
	*total = 0;
	if ((rc = changes_scan_exists(s, older)) != STORE_OK || (rc = changes_scan_exists(s, newer)) != STORE_OK)
		return rc;
	if ((rc = read_rows(s, older, NULL, &a)) != STORE_OK)
		return rc;
	if ((rc = read_rows(s, newer, NULL, &b)) != STORE_OK) {
		rows_free(&a);
		return rc;
	}
	if (diff_items(a.items, a.n, b.items, b.n, max, out, n, counts) < 0)
		rc = store_set_error(s, "out of memory");
	else
		*total = (size_t)(counts[0] + counts[1] + counts[2]);
	rows_free(&a);
	rows_free(&b);
	return rc;
}
