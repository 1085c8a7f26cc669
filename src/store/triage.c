/*
 * triage.c — reading finding states and the operators' decisions on them
 * (store.h, "the lifecycle of findings"): the keyset list, accept /
 * false-positive / reopen of one fingerprint with its audit record in one
 * transaction, and the maintenance step that reopens expired acceptances.
 * An acceptance past its expiry reads as reopened before that step has
 * run (DB_FSTATE_STATE), so no reader ever sees a stale acceptance.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store/tx.h"

static const char *const NAMES[] = { "open", "fixed", "reopened", "accepted", "false_positive" };

int finding_state_valid(const char *name)
{
	for (size_t i = 0; name && i < sizeof NAMES / sizeof NAMES[0]; i++)
		if (strcmp(name, NAMES[i]) == 0)
			return 1;
	return 0;
}

void finding_state_array_free(struct finding_state *a, size_t n)
{
	if (!a)
		return;
	for (size_t i = 0; i < n; i++) {
		free(a[i].target);
		free(a[i].title);
		free(a[i].cve);
		free(a[i].reason);
	}
	free(a);
}

/* One row of DB_FSTATE_COLS into *f (whose strings it then owns). */
static void read_state(struct db_cur *c, struct finding_state *f)
{
	static const struct db_field fields[] = {
		DB_I64(struct finding_state, id), DB_I64(struct finding_state, baseline_id),
		DB_COPY(struct finding_state, fingerprint), DB_COPY(struct finding_state, state),
		DB_COPY(struct finding_state, kind), DB_DUP(struct finding_state, target),
		DB_INT(struct finding_state, port), DB_COPY(struct finding_state, proto),
		DB_COPY(struct finding_state, severity), DB_DUP(struct finding_state, title),
		DB_DUP(struct finding_state, cve), DB_I64(struct finding_state, first_seen),
		DB_I64(struct finding_state, last_seen), DB_I64(struct finding_state, times_seen),
		DB_I64(struct finding_state, first_scan_id), DB_I64(struct finding_state, last_scan_id),
		DB_DUP(struct finding_state, reason), DB_COPY(struct finding_state, actor),
		DB_I64(struct finding_state, expires_at), DB_I64(struct finding_state, schedule_id),
		DB_COPY(struct finding_state, schedule),
	};

	memset(f, 0, sizeof *f);
	db_row_read(c, fields, sizeof fields / sizeof *fields, f);
}

json_t *finding_state_to_json(const struct finding_state *f)
{
	static const struct scan_json_field fields[] = {
		SCAN_JSON(struct finding_state, id, SJ_I64),
		SCAN_JSON(struct finding_state, fingerprint, SJ_STR),
		SCAN_JSON(struct finding_state, baseline_id, SJ_I64),
		SCAN_JSON(struct finding_state, schedule, SJ_TEXT),
		SCAN_JSON(struct finding_state, state, SJ_STR),
		SCAN_JSON(struct finding_state, kind, SJ_STR),
		SCAN_JSON(struct finding_state, target, SJ_STRP),
		SCAN_JSON(struct finding_state, port, SJ_INT_OR_NULL),
		SCAN_JSON(struct finding_state, proto, SJ_TEXT),
		SCAN_JSON(struct finding_state, severity, SJ_STR),
		SCAN_JSON(struct finding_state, title, SJ_STRP),
		SCAN_JSON(struct finding_state, cve, SJ_ARRAYP),
		SCAN_JSON(struct finding_state, first_seen, SJ_TIME),
		SCAN_JSON(struct finding_state, last_seen, SJ_TIME),
		SCAN_JSON(struct finding_state, times_seen, SJ_I64),
		SCAN_JSON(struct finding_state, first_scan_id, SJ_I64),
		SCAN_JSON(struct finding_state, last_scan_id, SJ_I64),
		SCAN_JSON(struct finding_state, reason, SJ_STRP),
		SCAN_JSON(struct finding_state, actor, SJ_TEXT),
		SCAN_JSON(struct finding_state, expires_at, SJ_TIME),
	};
	json_t *o = json_object();

	if (o)
		scan_json_put(o, fields, sizeof fields / sizeof *fields, f, 0);
	return o;
}

/* Runs statement id (parameters a) into a new array of at most limit
 * states, *out and *n (free with finding_state_array_free()).  Returns a
 * store rc; on error *out is NULL and *n 0. */
static int read_states(struct store *s, enum db_stmt id, const struct db_args *a, int limit,
		       struct finding_state **out, size_t *n)
{
	struct finding_state *v;
	struct db_cur cur;
	int rc;

	*out = NULL;
	*n = 0;
	if (limit < 1 || limit > STORE_LIST_MAX)
		return store_set_error(s, "limit must be 1..%d", STORE_LIST_MAX);
	if (!(v = calloc((size_t)limit, sizeof *v)))
		return store_set_error(s, "out of memory");
	if ((rc = db_query(s, id, a, &cur)) == STORE_OK) {
		while (*n < (size_t)limit && (rc = db_next(&cur)) > 0)
			read_state(&cur, &v[(*n)++]);
		rc = rc < 0 ? rc : STORE_OK;
	}
	db_done(&cur);
	if (rc != STORE_OK) {
		finding_state_array_free(v, *n);
		*n = 0;
		return rc;
	}
	*out = v;
	return STORE_OK;
}

int store_finding_states_newest(struct store *s, int limit, struct finding_state **out, size_t *n)
{
	struct db_args a = { 0 };

	db_i64(&a, limit);
	db_i64(&a, scan_now_ms());
	return read_states(s, S_DASH_NEWEST, &a, limit, out, n);
}

int store_finding_states(struct store *s, const struct finding_state_filter *f,
			 struct finding_state **out, size_t *n)
{
	struct db_args a = { 0 };

	db_text(&a, f->state);
	db_text(&a, f->severity);
	db_i64(&a, f->baseline_id);
	db_i64(&a, f->schedule_id);
	db_i64(&a, f->after_id);
	db_i64(&a, f->limit);
	db_i64(&a, scan_now_ms());
	return read_states(s, S_FSTATE_LIST, &a, f->limit, out, n);
}

void finding_state_release(struct finding_state *f)
{
	free(f->target);
	free(f->title);
	free(f->cve);
	free(f->reason);
	memset(f, 0, sizeof *f);
}

/* The one row of fingerprint fp (in baseline bid, 0: any) into *row. */
static int find_one(struct store *s, const char *fp, int64_t bid, struct finding_state *row)
{
	struct db_args a = { 0 };
	struct db_cur cur;
	struct finding_state two[2];
	size_t n = 0;
	int rc;

	db_text(&a, fp);
	db_i64(&a, bid);
	db_i64(&a, scan_now_ms());
	if ((rc = db_query(s, S_FSTATE_FIND, &a, &cur)) == STORE_OK) {
		while (n < 2 && (rc = db_next(&cur)) > 0)
			read_state(&cur, &two[n++]);
		rc = rc < 0 ? rc : STORE_OK;
	}
	db_done(&cur);
	if (rc == STORE_OK && n == 0) {
		if (bid)
			store_set_error(s, "no finding %s in baseline %lld", fp, (long long)bid);
		else
			store_set_error(s, "no finding %s", fp);
		rc = STORE_NOT_FOUND;
	} else if (rc == STORE_OK && n > 1) {
		store_set_error(s, "finding %s is tracked in several baselines (%lld, %lld, ...):"
				" name one with --baseline", fp, (long long)two[0].baseline_id,
				(long long)two[1].baseline_id);
		rc = STORE_ILLEGAL;
	}
	if (rc == STORE_OK)
		*row = two[0];
	else
		for (size_t i = 0; i < n; i++)
			finding_state_release(&two[i]);
	return rc;
}

/* The input checks of store_finding_triage(): STORE_OK or STORE_ILLEGAL. */
static int check_triage(struct store *s, const char *to, const char *reason, int64_t expires_at)
{
	int needs_reason = strcmp(to, "accepted") == 0 || strcmp(to, "false_positive") == 0;

	if (!needs_reason && strcmp(to, "reopened") != 0)
		store_set_error(s, "a finding can be accepted, false_positive or reopened, not '%s'", to);
	else if (needs_reason && (!reason || !*reason))
		store_set_error(s, "a reason is required to mark a finding %s", to);
	else if (expires_at && strcmp(to, "accepted") != 0)
		store_set_error(s, "only an acceptance can expire");
	else if (expires_at && expires_at <= scan_now_ms())
		store_set_error(s, "the expiry must be in the future");
	else
		return STORE_OK;
	return STORE_ILLEGAL;
}

/* Inside the transaction: the row, the rule, the update, the audit. */
static int triage_tx(struct store *s, const char *fp, int64_t bid, const char *to,
		     const char *reason, int64_t expires_at, const char *actor,
		     struct finding_state *row)
{
	struct db_args a = { 0 };
	char detail[256], action[32];
	int rc;

	db_i64(&a, scan_now_ms());
	if ((rc = db_run(s, S_FSTATE_EXPIRE, &a, NULL)) != STORE_OK
	    || (rc = find_one(s, fp, bid, row)) != STORE_OK)
		return rc;
	a.n = 0;
	if (strcmp(to, "reopened") == 0 && strcmp(row->state, "accepted") != 0
	    && strcmp(row->state, "false_positive") != 0) {
		store_set_error(s, "finding %s is %s: only an accepted or false_positive finding can be"
				" reopened", fp, row->state);
		return STORE_ILLEGAL;
	}
	db_i64(&a, row->id);
	db_text(&a, to);
	db_text(&a, reason && *reason ? reason : NULL);
	db_text(&a, actor && *actor ? actor : "unknown");
	if (expires_at)
		db_i64(&a, expires_at);
	else
		db_null(&a);
	db_i64(&a, scan_now_ms());
	if ((rc = db_run(s, S_FSTATE_TRIAGE, &a, NULL)) != STORE_OK)
		return rc;
	snprintf(action, sizeof action, "finding %s", to);
	snprintf(detail, sizeof detail, "fingerprint=%s baseline=%lld%s%.160s", fp,
		 (long long)row->baseline_id, reason && *reason ? " reason=" : "",
		 reason ? reason : "");
	a.n = 0;
	db_i64(&a, scan_now_ms());
	db_text(&a, actor && *actor ? actor : "unknown");
	db_text(&a, action);
	db_i64(&a, row->last_scan_id);
	db_text(&a, detail);
	db_null(&a);	/* client: not known down here (store_audit_from() takes one) */
	if ((rc = db_run(s, S_AUDIT_INSERT, &a, NULL)) != STORE_OK)
		return rc;
	/* What the row is now. */
	snprintf(row->state, sizeof row->state, "%s", to);
	free(row->reason);
	row->reason = reason && *reason ? strdup(reason) : NULL;
	snprintf(row->actor, sizeof row->actor, "%s", actor && *actor ? actor : "unknown");
	row->expires_at = expires_at;
	return STORE_OK;
}

int store_finding_triage(struct store *s, const char *fingerprint, int64_t baseline_id,
			 const char *to, const char *reason, int64_t expires_at, const char *actor,
			 struct finding_state *out)
{
	struct finding_state row = { 0 };
	int rc;

	if ((rc = check_triage(s, to, reason, expires_at)) != STORE_OK)
		return rc;
	if ((rc = db_begin(s, 1)) != STORE_OK)
		return rc;
	if ((rc = triage_tx(s, fingerprint, baseline_id, to, reason, expires_at, actor, &row))
	    != STORE_OK) {
		finding_state_release(&row);
		return core_abort(s, rc);
	}
	if ((rc = db_commit(s)) != STORE_OK) {
		finding_state_release(&row);
		return rc;
	}
	if (out)
		*out = row;
	else
		finding_state_release(&row);
	return STORE_OK;
}

int store_finding_states_expire(struct store *s, int64_t *n)
{
	struct db_args a = { 0 };
	int64_t changed = 0;
	int rc;

	db_i64(&a, scan_now_ms());
	rc = db_run(s, S_FSTATE_EXPIRE, &a, &changed);
	for (int tries = 0; core_retry_safe(s, rc, tries); tries++)
		rc = db_run(s, S_FSTATE_EXPIRE, &a, &changed);
	if (n)
		*n = rc == STORE_OK ? changed : 0;
	return rc;
}

int store_finding_baseline_latest(struct store *s, int64_t baseline_id, int64_t *scan_id)
{
	struct db_args a = { 0 };

	db_i64(&a, baseline_id);
	return db_int(s, S_FSTATE_LATEST, &a, scan_id);
}

/* The one-integer lookup `st` of `id`, 0 in *out when no row matches. */
static int baseline_lookup(struct store *s, enum db_stmt st, int64_t id, int64_t *out)
{
	struct db_args a = { 0 };
	int rc;

	db_i64(&a, id);
	rc = db_int(s, st, &a, out);
	return rc == STORE_NOT_FOUND ? STORE_OK : rc;
}

int store_finding_baseline_of(struct store *s, int64_t scan_id, int64_t *baseline_id)
{
	return baseline_lookup(s, S_FSTATE_BASELINE_OF, scan_id, baseline_id);
}

int store_finding_baseline_of_schedule(struct store *s, int64_t schedule_id, int64_t *baseline_id)
{
	return baseline_lookup(s, S_FSTATE_OF_SCHEDULE, schedule_id, baseline_id);
}
