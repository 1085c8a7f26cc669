/*
 * flow.c — follow-up stages and shards, written once for both dialects.
 *
 * A stage is a scan whose options hold "then": a list of stage objects
 * ({"type", "ports"?, "options"?, "shard_hosts"?}).  When it completes, the
 * next stage is created from its findings in the same transaction: the
 * addresses of its `host` findings (discovery's live hosts) become the
 * next scan's targets; its `open_port` findings (a port scan's) become the
 * targets and ports of the next scans, one scan per distinct set of open
 * ports, so each host is probed on exactly its own open ports (past
 * FLOW_GROUPS_MAX distinct sets, one scan takes the union).
 *
 * A split scan is a parent row that never runs itself (status running, no
 * worker, no lease, so neither a claim nor lease recovery ever touches it)
 * and shards: ordinary pending scans with parent_id and a slice of the
 * targets.  The parent completes in the transaction that completes its
 * last shard, and fails, naming the shards, in the one that fails a shard
 * for good.  Two shards completing at once on PostgreSQL both lock the
 * parent row first (S_FLOW_ROW is FOR UPDATE), in id order, so exactly
 * one of them sees the other's completion and completes the parent.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "store/exclusions.h"
#include "store/flow.h"
#include "store/queue.h"
#include "store/tx.h"

#define FLOW_INPUTS_MAX 65536	/* findings read to build a follow-up */
#define FLOW_GROUPS_MAX 64	/* follow-up scans of one stage, one per port set */

struct flow_row {
	int64_t id, parent;
	int flow, priority, max_attempts, time_limit_s, cancel;
	enum scan_status status;
	char type[SCAN_TYPE_MAX];
	char *options;
	const char *pool;		/* a new root's pool (borrowed); NULL: its parent's */
};

static int read_row(struct store *s, int64_t id, struct flow_row *r)
{
	struct db_args a = { 0 };
	struct db_cur c;
	char st[16] = "";
	int rc;

	memset(r, 0, sizeof *r);
	r->id = id;
	db_i64(&a, id);
	if ((rc = db_query(s, S_FLOW_ROW, &a, &c)) == STORE_OK && (rc = db_next(&c)) > 0) {
		r->parent = db_col_i64(&c, 0);
		r->flow = (int)db_col_i64(&c, 1);
		db_col_copy(&c, 2, r->type, sizeof r->type);
		r->options = db_col_dup(&c, 3);
		r->priority = (int)db_col_i64(&c, 4);
		r->max_attempts = (int)db_col_i64(&c, 5);
		r->time_limit_s = (int)db_col_i64(&c, 6);
		r->cancel = (int)db_col_i64(&c, 7);
		db_col_copy(&c, 8, st, sizeof st);
		scan_status_parse(st, &r->status);
	}
	db_done(&c);
	return core_scan_row(s, rc, id);
}

/* A test-only crash point (docs/WORKFLOWS.md): with SCANQ_TEST_KILL_INSIDE
 * naming a file that exists, the process removes it and SIGKILLs itself
 * after a follow-up was written and before the transaction commits. */
static void test_kill_point(void)
{
	const char *f = getenv("SCANQ_TEST_KILL_INSIDE");

	if (f && *f && unlink(f) == 0)
		raise(SIGKILL);
}

/* ---- creating scans ---------------------------------------------------------------- */

/* One row through queue_insert(), like's priority and budget, in the
 * caller's transaction.  *id is 0 when the idempotency key was taken. */
static int insert(struct store *s, const char *type, const char *targets, const char *options,
		  const struct flow_row *like, int64_t parent, int flow, const char *status,
		  const char *key, const char *reason, int64_t *id)
{
	struct queue_row row = {
		.type = type, .targets = targets, .options = options, .priority = like->priority,
		.max_attempts = like->max_attempts, .time_limit_s = like->time_limit_s,
		.parent = parent, .flow = flow, .status = status, .key = key,
		.pool = parent ? NULL : like->pool,
	};

	return queue_insert(s, &row, reason, id);
}

/* The options of a shard: the parent's without "then", its rate divided
 * among the n shards so that all of them at once stay within it. */
static char *shard_options(json_t *opts, size_t n)
{
	json_t *o = json_deep_copy(opts);
	json_t *rate;
	char *text;

	json_object_del(o, "then");
	rate = json_object_get(o, "rate");
	if (json_is_integer(rate) && json_integer_value(rate) > 0) {
		json_int_t all = json_integer_value(rate), r = all / (json_int_t)n;

		json_object_set_new(o, "rate", json_integer(r > 0 ? r : 1));
		json_object_set_new(o, "rate_of_scan", json_integer(all));
	}
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return text;
}

/*
 * Creates a scan (pending), or, with slices (an array of target arrays,
 * more than one), a split parent (running, never claimed) and one pending
 * shard per slice.  *id gets the scan's (or parent's) id, 0 when `key` was
 * taken.  In the caller's transaction; counts and wakes the workers.
 */
static int create(struct store *s, const char *type, json_t *targets, json_t *opts,
		  const struct flow_row *like, int64_t parent, int flow, json_t *slices,
		  const char *key, const char *reason, int64_t *id)
{
	char *tt = json_dumps(targets, JSON_COMPACT), *ot = json_dumps(opts, JSON_COMPACT | JSON_SORT_KEYS);
	char *so = NULL, why[160];
	size_t n = slices ? json_array_size(slices) : 0;
	int rc;

	if (!tt || !ot) {
		rc = store_set_error(s, "out of memory");
		goto out;
	}
	if (n < 2) {
		if ((rc = insert(s, type, tt, ot, like, parent, flow, "pending", key, reason, id))
		    == STORE_OK && *id)
			rc = core_bump(s, "submitted", 1);
		goto done;
	}
	snprintf(why, sizeof why, "%s; split into %zu shards", reason, n);
	if ((rc = insert(s, type, tt, ot, like, parent, flow | SCAN_FLOW_SPLIT, "running", key, why,
			 id)) != STORE_OK || !*id)
		goto out;
	if (!(so = shard_options(opts, n))) {
		rc = store_set_error(s, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n && rc == STORE_OK; i++) {
		char *st = json_dumps(json_array_get(slices, i), JSON_COMPACT);
		int64_t sid;

		snprintf(why, sizeof why, "shard %zu of %zu of scan %lld", i + 1, n, (long long)*id);
		rc = st ? insert(s, type, st, so, like, *id, SCAN_FLOW_SHARD, "pending", NULL, why, &sid)
			: store_set_error(s, "out of memory");
		free(st);
	}
	if (rc == STORE_OK)
		rc = core_bump(s, "submitted", (int64_t)n + 1);
done:
	if (rc == STORE_OK && *id)
		rc = core_notify(s);
out:
	free(tt);
	free(ot);
	free(so);
	return rc;
}

/* Slices of at most `per` targets each, or NULL when one scan holds them. */
static json_t *chunk(json_t *targets, json_int_t per)
{
	size_t n = json_array_size(targets);
	json_t *slices, *cur = NULL;

	if (per < 1 || n <= (size_t)per)
		return NULL;
	slices = json_array();
	for (size_t i = 0; i < n; i++) {
		if (i % (size_t)per == 0) {
			cur = json_array();
			json_array_append_new(slices, cur);
		}
		json_array_append(cur, json_array_get(targets, i));
	}
	return slices;
}

int flow_insert_in_tx(struct store *s, const struct scan_request *req, const char *slices,
		      const char *reason, int64_t *id)
{
	struct flow_row like = { .priority = req->priority, .max_attempts = req->max_attempts,
				 .time_limit_s = req->time_limit_s, .pool = req->pool };
	json_t *targets = json_loads(req->targets, 0, NULL);
	json_t *opts = json_loads(req->options ? req->options : "{}", 0, NULL);
	json_t *then = json_object_get(opts, "then");
	json_t *sl = slices ? json_loads(slices, 0, NULL) : NULL;
	int rc;

	*id = 0;
	if (!json_is_array(targets) || !json_is_object(opts) || (slices && !json_is_array(sl)))
		rc = store_set_error(s, "a scan needs JSON targets and options");
	else
		rc = create(s, req->type, targets, opts, &like, 0,
			    json_array_size(then) ? SCAN_FLOW_THEN : 0, sl, req->idempotency_key,
			    reason, id);
	json_decref(targets);
	json_decref(opts);
	json_decref(sl);
	return rc;
}

int store_submit_flow(struct store *s, const struct scan_request *req, int flow,
		      const char *slices, int64_t *id, int *existed)
{
	struct flow_row like = { .priority = req->priority, .max_attempts = req->max_attempts,
				 .time_limit_s = req->time_limit_s, .pool = req->pool };
	json_t *targets = json_loads(req->targets, 0, NULL);
	json_t *opts = json_loads(req->options ? req->options : "{}", 0, NULL);
	json_t *sl = slices ? json_loads(slices, 0, NULL) : NULL;
	int rc, attempt;

	*id = 0;
	if (existed)
		*existed = 0;
	if (!json_is_array(targets) || !json_is_object(opts) || (slices && !json_is_array(sl))) {
		rc = store_set_error(s, "a follow-up or split scan needs JSON targets and options");
		goto out;
	}
	for (attempt = 0;; attempt++) {
		if ((rc = db_begin(s, 1)) != STORE_OK)
			break;
		rc = create(s, req->type, targets, opts, &like, 0, flow & SCAN_FLOW_THEN, sl,
			    req->idempotency_key, "submitted", id);
		if (rc == STORE_OK)
			rc = queue_keyed(s, req, id, existed);
		if (rc != STORE_OK) {
			rc = core_abort(s, rc);
			if (core_retry_safe(s, rc, attempt))
				continue;
			break;
		}
		rc = db_commit(s);
		if (!core_retry_safe(s, rc, attempt))
			break;
	}
out:
	json_decref(targets);
	json_decref(opts);
	json_decref(sl);
	return rc;
}

/* ---- follow-ups -------------------------------------------------------------------- */

/* Reads the one text column (and a port) of S_FLOW_HOSTS / S_FLOW_PORTS. */
static int read_inputs(struct store *s, enum db_stmt st, int64_t id, json_t *hosts, json_t *ports)
{
	struct db_args a = { 0 };
	struct db_cur c;
	int rc;

	db_i64(&a, id);
	db_i64(&a, FLOW_INPUTS_MAX);
	if ((rc = db_query(s, st, &a, &c)) == STORE_OK) {
		while ((rc = db_next(&c)) > 0) {
			json_array_append_new(hosts, json_string(db_col_text(&c, 0)));
			if (ports)
				json_array_append_new(ports, json_integer(db_col_i64(&c, 1)));
		}
	}
	db_done(&c);
	return rc < 0 ? rc : STORE_OK;
}

/*
 * Groups (host, port) rows, sorted by host, into {ports text: [hosts]}: one
 * follow-up per distinct set of open ports, or one with the union past
 * FLOW_GROUPS_MAX sets.
 */
static json_t *group_ports(json_t *hosts, json_t *ports)
{
	json_t *groups = json_object();
	size_t n = json_array_size(hosts);
	char buf[8192];

	for (size_t i = 0; i < n;) {
		const char *h = json_string_value(json_array_get(hosts, i));
		size_t len = 0;

		buf[0] = '\0';
		for (; i < n && strcmp(json_string_value(json_array_get(hosts, i)), h) == 0; i++) {
			int p = (int)json_integer_value(json_array_get(ports, i));

			if (len + 8 < sizeof buf)
				len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%d", len ? "," : "", p);
		}
		if (!json_object_get(groups, buf))
			json_object_set_new(groups, buf, json_array());
		json_array_append_new(json_object_get(groups, buf), json_string(h));
	}
	if (json_object_size(groups) > FLOW_GROUPS_MAX) {
		/* The union of the ports, over every host. */
		json_t *all = json_array(), *pset = json_object();
		const char *k;
		json_t *v;
		size_t len = 0;

		json_object_foreach(groups, k, v) {
			size_t j;
			json_t *h;

			json_array_foreach(v, j, h)
				json_array_append(all, h);
		}
		buf[0] = '\0';
		for (size_t i = 0; i < n; i++) {
			char p[16];

			snprintf(p, sizeof p, "%lld", (long long)json_integer_value(json_array_get(ports, i)));
			if (json_object_get(pset, p))
				continue;
			json_object_set_new(pset, p, json_true());
			if (len + 8 < sizeof buf)
				len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", len ? "," : "", p);
		}
		json_decref(pset);
		json_decref(groups);
		groups = json_object();
		json_object_set_new(groups, buf, all);
	}
	return groups;
}

/* Sets a completed stage's note: why its chain ends here. */
static int note(struct store *s, int64_t id, const char *text)
{
	struct db_args a = { 0 };

	db_i64(&a, id);
	db_text(&a, text);
	return db_run(s, S_FLOW_NOTE, &a, NULL);
}

/* The follow-up scans of completed stage `r` (findings of r->id and its
 * shards), in the caller's transaction. */
static int follow_up(struct store *s, const struct flow_row *r)
{
	json_t *opts = json_loads(r->options ? r->options : "{}", 0, NULL);
	json_t *then = json_object_get(opts, "then"), *stage, *rest = NULL;
	json_t *hosts = json_array(), *ports = json_array(), *groups = NULL;
	const char *type, *k;
	json_int_t per;
	char why[200];
	json_t *v;
	size_t dropped = 0;
	int rc;

	if (!json_is_array(then) || json_array_size(then) == 0) {
		rc = STORE_OK;
		goto out;
	}
	stage = json_array_get(then, 0);
	type = json_string_value(json_object_get(stage, "type"));
	per = json_integer_value(json_object_get(stage, "shard_hosts"));
	if (!type) {
		rc = note(s, r->id, "chain ends here: its next stage names no type");
		goto out;
	}
	rest = json_array();
	for (size_t i = 1; i < json_array_size(then); i++)
		json_array_append(rest, json_array_get(then, i));
	if ((rc = read_inputs(s, S_FLOW_PORTS, r->id, hosts, ports)) != STORE_OK
	    || (rc = exclusions_filter(s, hosts, ports, &dropped)) != STORE_OK)
		goto out;
	if (json_array_size(hosts) > 0) {
		groups = group_ports(hosts, ports);
	} else {
		const char *p = json_string_value(json_object_get(stage, "ports"));

		if ((rc = read_inputs(s, S_FLOW_HOSTS, r->id, hosts, NULL)) != STORE_OK
		    || (rc = exclusions_filter(s, hosts, NULL, &dropped)) != STORE_OK)
			goto out;
		if (json_array_size(hosts) == 0) {
			snprintf(why, sizeof why, "chain ends here: %s found no live hosts and no open"
				 " ports%s, so no %s stage was created", r->type,
				 dropped ? " that are not excluded" : "", type);
			rc = note(s, r->id, why);
			goto out;
		}
		groups = json_object();
		json_object_set(groups, p ? p : "", hosts);
	}
	snprintf(why, sizeof why, "follow-up of %s scan %lld", r->type, (long long)r->id);
	json_object_foreach(groups, k, v) {
		json_t *o = json_deep_copy(json_object_get(stage, "options"));
		json_t *slices;
		json_int_t nports = 1, addrs = json_integer_value(json_object_get(stage, "shard_addresses")),
			   probes = json_integer_value(json_object_get(stage, "shard_probes"));

		/* Open ports known: the shards hold as many hosts as the probe
		 * budget allows on exactly these ports. */
		for (const char *q = k; *k && *q; q++)
			nports += *q == ',';
		if (*k && addrs > 0 && probes > 0)
			per = probes / nports < addrs ? (probes / nports > 0 ? probes / nports : 1) : addrs;
		slices = chunk(v, per);
		int64_t id;

		if (!json_is_object(o)) {
			json_decref(o);
			o = json_object();
		}
		if (*k)
			json_object_set_new(o, "ports", json_string(k));
		if (json_array_size(rest))
			json_object_set(o, "then", rest);
		rc = create(s, type, v, o, r, r->id, json_array_size(rest) ? SCAN_FLOW_THEN : 0,
			    slices, NULL, why, &id);
		json_decref(o);
		json_decref(slices);
		if (rc != STORE_OK)
			goto out;
	}
	test_kill_point();
out:
	json_decref(opts);
	json_decref(rest);
	json_decref(hosts);
	json_decref(ports);
	json_decref(groups);
	return rc;
}

/* ---- split parents ----------------------------------------------------------------- */

struct shards {
	size_t n, completed, open;
	double progress;
	json_t *summary;		/* the shards' numeric summary fields (add_summary()) */
	char ended[400];		/* "12 (timeout), 15 (cancelled)" */
};

/* Summary fields that are the same in every shard, not a share of a
 * total: each shard scans its own hosts on the whole port list, so its
 * "ports" is the list's length (4 shards of 2 ports are 2 ports, not 8). */
static int per_shard_constant(const char *key)
{
	return strcmp(key, "ports") == 0;
}

/* Adds a shard's summary `sum` into `total`: integers summed (the largest
 * kept for a per-shard constant), and at the top level, objects of
 * integers (severity counts) summed member by member. */
static void add_summary(json_t *total, json_t *sum, int top)
{
	const char *k;
	json_t *v;

	json_object_foreach(sum, k, v) {
		json_t *have = json_object_get(total, k);

		if (json_is_integer(v) && top && per_shard_constant(k)) {
			if (!have || json_integer_value(v) > json_integer_value(have))
				json_object_set_new(total, k, json_integer(json_integer_value(v)));
		} else if (json_is_integer(v)) {
			json_object_set_new(total, k, json_integer(json_integer_value(v) + json_integer_value(have)));
		} else if (json_is_object(v) && top) {
			if (!json_is_object(have)) {
				have = json_object();
				json_object_set_new(total, k, have);
			}
			add_summary(have, v, 0);
		}
	}
}

static int read_shards(struct store *s, int64_t parent, struct shards *sh)
{
	struct db_args a = { 0 };
	struct db_cur c;
	size_t len = 0;
	int rc;

	memset(sh, 0, sizeof *sh);
	sh->summary = json_object();
	db_i64(&a, parent);
	if ((rc = db_query(s, S_FLOW_SHARDS, &a, &c)) == STORE_OK) {
		while ((rc = db_next(&c)) > 0) {
			const char *st = db_col_text(&c, 1), *code = db_col_text(&c, 2);

			sh->n++;
			if (strcmp(st, "completed") == 0) {
				json_t *sum = json_loads(db_col_text(&c, 4) ? db_col_text(&c, 4) : "{}", 0, NULL);

				sh->completed++;
				sh->progress += 1;
				add_summary(sh->summary, sum, 1);
				json_decref(sum);
			} else if (strcmp(st, "failed") == 0 || strcmp(st, "cancelled") == 0) {
				if (len + 64 < sizeof sh->ended)
					len += (size_t)snprintf(sh->ended + len, sizeof sh->ended - len,
						"%s%lld (%s)", len ? ", " : "", (long long)db_col_i64(&c, 0),
						code && *code ? code : st);
			} else {
				sh->open++;
				sh->progress += db_col_f64(&c, 3);
			}
		}
	}
	db_done(&c);
	return rc < 0 ? rc : STORE_OK;
}

/* A shard of `parent` completed: completes the parent with the last one
 * (and creates the parent's follow-ups), else records its progress. */
static int shard_completed(struct store *s, int64_t parent)
{
	struct flow_row p;
	struct shards sh = { 0 };
	struct db_args a = { 0 };
	char *sum = NULL, why[64];
	int64_t changed = 0;
	int rc;

	if ((rc = read_row(s, parent, &p)) != STORE_OK)
		return rc == STORE_NOT_FOUND ? STORE_OK : rc;
	if (p.status != SCAN_RUNNING || !(p.flow & SCAN_FLOW_SPLIT))
		goto out;
	if ((rc = read_shards(s, parent, &sh)) != STORE_OK)
		goto out;
	db_i64(&a, parent);
	if (sh.completed < sh.n) {
		db_f64(&a, sh.n ? sh.progress / (double)sh.n : 0);
		rc = db_run(s, S_FLOW_PROGRESS, &a, NULL);
		goto out;
	}
	json_object_set_new(sh.summary, "shards", json_integer((json_int_t)sh.n));
	if (!(sum = json_dumps(sh.summary, JSON_COMPACT | JSON_SORT_KEYS))) {
		rc = store_set_error(s, "out of memory");
		goto out;
	}
	db_i64(&a, scan_now_ms());
	db_text(&a, sum);
	if ((rc = db_run(s, S_FLOW_FINISH, &a, &changed)) != STORE_OK || changed == 0)
		goto out;
	snprintf(why, sizeof why, "every shard completed (%zu)", sh.n);
	if ((rc = core_event(s, parent, "running", "completed", 0, NULL, why)) != STORE_OK
	    || (rc = core_bump(s, "completed", 1)) != STORE_OK
	    || (rc = changes_on_split_complete(s, parent, sum)) != STORE_OK)
		goto out;
	if ((p.flow & SCAN_FLOW_THEN) && !p.cancel)
		rc = follow_up(s, &p);
out:
	json_decref(sh.summary);
	free(sum);
	free(p.options);
	return rc;
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

int flow_any(const struct store_completion *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (c[i].flow)
			return 1;
	return 0;
}

int flow_completed(struct store *s, const struct store_completion *c, size_t n)
{
	int64_t *parents = calloc(n ? n : 1, sizeof *parents);
	size_t np = 0;
	int rc = STORE_OK;

	if (!parents)
		return store_set_error(s, "out of memory");
	for (size_t i = 0; i < n && rc == STORE_OK; i++) {
		struct flow_row r;

		if (c[i].rc != STORE_OK || !c[i].flow)
			continue;
		if ((rc = read_row(s, c[i].id, &r)) != STORE_OK)
			break;
		if ((r.flow & SCAN_FLOW_THEN) && !r.cancel)
			rc = follow_up(s, &r);
		if ((r.flow & SCAN_FLOW_SHARD) && r.parent)
			parents[np++] = r.parent;
		free(r.options);
	}
	/* Parents in id order: two transactions lock them in the same order. */
	qsort(parents, np, sizeof *parents, cmp_id);
	for (size_t i = 0; i < np && rc == STORE_OK; i++)
		if (i == 0 || parents[i] != parents[i - 1])
			rc = shard_completed(s, parents[i]);
	free(parents);
	return rc;
}

int flow_ended(struct store *s, int64_t id, enum scan_status to)
{
	struct db_args a = { 0 };
	struct flow_row p;
	struct shards sh = { 0 };
	struct db_cur c;
	int64_t parent = 0, changed = 0;
	int flow = 0, rc;
	char msg[480];

	if (to != SCAN_FAILED && to != SCAN_CANCELLED)
		return STORE_OK;
	db_i64(&a, id);
	if ((rc = db_query(s, S_FLOW_OF, &a, &c)) == STORE_OK && (rc = db_next(&c)) > 0) {
		flow = (int)db_col_i64(&c, 0);
		parent = db_col_i64(&c, 1);
	}
	db_done(&c);
	if (rc < 0)
		return rc;
	if (!(flow & SCAN_FLOW_SHARD) || !parent)
		return STORE_OK;
	if ((rc = read_row(s, parent, &p)) != STORE_OK)
		return rc == STORE_NOT_FOUND ? STORE_OK : rc;
	if (p.status != SCAN_RUNNING || p.cancel)
		goto out;
	if ((rc = read_shards(s, parent, &sh)) != STORE_OK)
		goto out;
	snprintf(msg, sizeof msg, "shards did not complete: %s", sh.ended);
	memset(&a, 0, sizeof a);
	db_i64(&a, parent);
	db_i64(&a, scan_now_ms());
	db_text(&a, "failed");
	db_text(&a, "shard_failed");
	db_text(&a, msg);
	if ((rc = db_run(s, S_FLOW_SPLIT_END, &a, &changed)) == STORE_OK && changed
	    && (rc = core_event(s, parent, "running", "failed", 0, NULL, msg)) == STORE_OK)
		rc = core_bump(s, "failed", 1);
out:
	json_decref(sh.summary);
	free(p.options);
	return rc;
}

/* ---- cancel and retry -------------------------------------------------------------- */

/* Runs one of the S_FLOW_DESC_* statements and writes an event per row. */
static int cancel_rows(struct store *s, enum db_stmt st, int64_t root, const char *from,
		       const char *to, const char *reason, int *touched, int64_t *finals)
{
	struct db_args a = { 0 };
	struct { int64_t id; int attempt; } *rows = calloc(STORE_FLOW_TREE_MAX, sizeof *rows);
	struct db_cur c;
	size_t n = 0;
	int rc;

	if (!rows)
		return store_set_error(s, "out of memory");
	db_i64(&a, root);
	db_i64(&a, scan_now_ms());
	if ((rc = db_query(s, st, &a, &c)) == STORE_OK) {
		while ((rc = db_next(&c)) > 0)
			if (n < STORE_FLOW_TREE_MAX) {
				rows[n].id = db_col_i64(&c, 0);
				rows[n++].attempt = (int)db_col_i64(&c, 1);
			}
	}
	db_done(&c);
	rc = rc < 0 ? rc : STORE_OK;
	for (size_t i = 0; i < n && rc == STORE_OK; i++)
		rc = core_event(s, rows[i].id, from, to, rows[i].attempt, NULL, reason);
	*touched += (int)n;
	if (finals)
		*finals += (int64_t)n;
	free(rows);
	return rc;
}

int flow_cancel(struct store *s, int64_t id, enum scan_status *cur, int *handled, int *touched)
{
	static const char WHY[] = "cancelled by an operator with its chain";
	struct db_args a = { 0 };
	int64_t flow = 0, cancelled = 0, changed = 0;
	int rc;

	*handled = 0;
	*touched = 0;
	db_i64(&a, id);
	if ((rc = db_int(s, S_FLOW_OF, &a, &flow)) != STORE_OK)
		return rc == STORE_NOT_FOUND ? STORE_OK : rc;
	if ((rc = cancel_rows(s, S_FLOW_DESC_PENDING, id, "pending", "cancelled", WHY, touched,
			      &cancelled)) != STORE_OK
	    || (rc = cancel_rows(s, S_FLOW_DESC_SPLIT, id, "running", "cancelled", WHY, touched,
				 &cancelled)) != STORE_OK
	    || (rc = cancel_rows(s, S_FLOW_DESC_RUNNING, id, "running", "running",
				 "cancel requested with its chain", touched, NULL)) != STORE_OK)
		return rc;
	if (*cur == SCAN_RUNNING && (flow & SCAN_FLOW_SPLIT)) {
		memset(&a, 0, sizeof a);
		db_i64(&a, id);
		db_i64(&a, scan_now_ms());
		db_text(&a, "cancelled");
		db_text(&a, "cancelled");
		db_text(&a, "cancelled by an operator");
		if ((rc = db_run(s, S_FLOW_SPLIT_END, &a, &changed)) != STORE_OK)
			return rc;
		if (changed) {
			if ((rc = core_event(s, id, "running", "cancelled", 0, NULL,
					    "cancelled by an operator")) != STORE_OK)
				return rc;
			cancelled++;
			*cur = SCAN_CANCELLED;
			*handled = 1;
		}
	}
	if (*touched)
		rc = core_notify(s);
	return rc == STORE_OK ? core_bump(s, "cancelled", cancelled) : rc;
}

int flow_retry(struct store *s, int64_t id, enum scan_status cur, int *handled)
{
	struct db_args a = { 0 };
	struct db_cur c;
	int64_t flow = 0, parent = 0, changed = 0;
	int64_t *ids = NULL;
	char **from = NULL;
	size_t n = 0;
	int rc;

	*handled = 0;
	db_i64(&a, id);
	if ((rc = db_query(s, S_FLOW_OF, &a, &c)) == STORE_OK && (rc = db_next(&c)) > 0) {
		flow = db_col_i64(&c, 0);
		parent = db_col_i64(&c, 1);
	}
	db_done(&c);
	if (rc < 0)
		return rc;
	if ((flow & SCAN_FLOW_SHARD) && parent) {
		/* A shard retried alone: its parent runs again to collect it. */
		struct flow_row p;

		if ((rc = read_row(s, parent, &p)) != STORE_OK)
			return rc == STORE_NOT_FOUND ? STORE_OK : rc;
		free(p.options);
		if (p.status != SCAN_FAILED && p.status != SCAN_CANCELLED)
			return STORE_OK;
		memset(&a, 0, sizeof a);
		db_i64(&a, parent);
		if ((rc = db_run(s, S_FLOW_REOPEN, &a, &changed)) == STORE_OK && changed)
			rc = core_event(s, parent, scan_status_name(p.status), "running", 0, NULL,
					"a shard was retried");
		return rc;
	}
	if (!(flow & SCAN_FLOW_SPLIT))
		return STORE_OK;
	/* A split parent: retry the shards that did not complete, run again. */
	*handled = 1;
	ids = calloc(STORE_FLOW_TREE_MAX, sizeof *ids);
	from = calloc(STORE_FLOW_TREE_MAX, sizeof *from);
	if (!ids || !from) {
		rc = store_set_error(s, "out of memory");
		goto out;
	}
	memset(&a, 0, sizeof a);
	db_i64(&a, id);
	if ((rc = db_query(s, S_FLOW_SHARDS, &a, &c)) == STORE_OK) {
		while ((rc = db_next(&c)) > 0) {
			const char *st = db_col_text(&c, 1);

			if (n < STORE_FLOW_TREE_MAX && (strcmp(st, "failed") == 0
							 || strcmp(st, "cancelled") == 0)) {
				ids[n] = db_col_i64(&c, 0);
				from[n++] = strdup(st);
			}
		}
	}
	db_done(&c);
	if (rc < 0)
		goto out;
	memset(&a, 0, sizeof a);
	db_i64(&a, id);
	if ((rc = db_run(s, S_FLOW_REOPEN, &a, NULL)) != STORE_OK
	    || (rc = core_event(s, id, scan_status_name(cur), "running", 0, NULL,
			       "retried by an operator: its shards that did not complete run again"))
	       != STORE_OK)
		goto out;
	for (size_t i = 0; i < n && rc == STORE_OK; i++) {
		struct db_args b = { 0 };

		db_i64(&b, ids[i]);
		db_i64(&b, scan_now_ms());
		if ((rc = db_run(s, S_RETRY, &b, NULL)) == STORE_OK)
			rc = core_event(s, ids[i], from[i] ? from[i] : "failed", "pending", 0, NULL,
					"retried with its split scan");
	}
	if (rc == STORE_OK)
		rc = core_notify(s);
	if (rc == STORE_OK && n == 0)
		rc = shard_completed(s, id);	/* every shard had completed */
out:
	for (size_t i = 0; from && i < n; i++)
		free(from[i]);
	free(from);
	free(ids);
	return rc;
}

int flow_findings_stmt(struct store *s, int64_t id, enum db_stmt *st)
{
	struct db_args a = { 0 };
	struct db_cur c;
	int64_t flow = 0;
	int rc;

	db_i64(&a, id);
	if ((rc = db_query(s, S_FLOW_OF, &a, &c)) == STORE_OK && (rc = db_next(&c)) > 0)
		flow = db_col_i64(&c, 0);
	db_done(&c);
	if ((rc = core_scan_row(s, rc, id)) != STORE_OK)
		return rc;
	*st = flow & SCAN_FLOW_SPLIT ? S_FLOW_FINDINGS : S_FINDINGS;
	return STORE_OK;
}

/* ---- the tree ---------------------------------------------------------------------- */

void flow_node_array_free(struct flow_node *a, size_t n)
{
	if (!a)
		return;
	for (size_t i = 0; i < n; i++) {
		free(a[i].targets);
		free(a[i].note);
		free(a[i].error);
	}
	free(a);
}

static void tree_row(struct db_cur *c, void *elem, void *ctx)
{
	struct flow_node *d = elem;

	d->id = db_col_i64(c, 0);
	d->parent = db_col_i64(c, 1);
	db_col_copy(c, 2, d->type, sizeof d->type);
	scan_status_parse(db_col_text(c, 3), &d->status);
	d->flow = (int)db_col_i64(c, 4);
	d->progress = db_col_f64(c, 5);
	d->findings = db_col_i64(c, 6);
	d->note = db_col_dup(c, 7);
	d->error = db_col_dup(c, 8);
	d->targets = db_col_dup(c, 9);
}

static void drop_node(void *elem)
{
	struct flow_node *d = elem;

	free(d->targets);
	free(d->note);
	free(d->error);
}

int store_flow_tree(struct store *s, int64_t id, int64_t *root, struct flow_node **out,
		    size_t *n)
{
	struct db_args a = { 0 };
	void *arr;
	int rc;

	*out = NULL;
	*n = 0;
	*root = 0;
	db_i64(&a, id);
	if ((rc = db_int(s, S_FLOW_ROOT, &a, root)) != STORE_OK) {
		if (rc == STORE_NOT_FOUND)
			store_set_error(s, "scan %lld not found", (long long)id);
		return rc;
	}
	memset(&a, 0, sizeof a);
	db_i64(&a, *root);
	db_i64(&a, STORE_FLOW_TREE_MAX);
	rc = core_page_new(s, S_FLOW_TREE, &a, sizeof **out, STORE_FLOW_TREE_MAX, tree_row, NULL,
			   drop_node, &arr, n);
	*out = arr;
	if (rc == STORE_OK && *n == 0) {	/* the root went between the two reads */
		store_set_error(s, "scan %lld not found", (long long)id);
		rc = STORE_NOT_FOUND;
	}
	return rc;
}
