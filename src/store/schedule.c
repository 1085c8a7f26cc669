/*
 * schedule.c — scheduled scans, written once for both dialects.
 *
 * A firing is one transaction: the conditional update of next_run_at
 * (WHERE next_run_at = the value the scheduler read), then, unless the
 * overlap policy skips it, the scan, its "submitted" event, the counter
 * and the wake-up.  Two schedulers that read the same due row race on the
 * update; the loser changes zero rows and rolls back, so each slot queues
 * exactly one scan.  A schedule's last status is never stored: it is read
 * from its newest scan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store/tx.h"
#include "store/flow.h"

void schedule_release(struct schedule *sc)
{
	if (!sc)
		return;
	free(sc->targets);
	free(sc->options);
	memset(sc, 0, sizeof *sc);
}

void schedule_array_free(struct schedule *arr, size_t n)
{
	for (size_t i = 0; arr && i < n; i++)
		schedule_release(&arr[i]);
	free(arr);
}

/* SCHED_COLS, column by column. */
static const struct db_field schedule_fields[] = {
	DB_I64(struct schedule, id), DB_COPY(struct schedule, name), DB_COPY(struct schedule, cron),
	DB_COPY(struct schedule, tz), DB_COPY(struct schedule, overlap),
	DB_COPY(struct schedule, type), DB_DUP(struct schedule, targets),
	DB_DUP(struct schedule, options), DB_INT(struct schedule, priority),
	DB_INT(struct schedule, max_attempts), DB_INT(struct schedule, time_limit_s),
	DB_INT(struct schedule, paused), DB_I64(struct schedule, next_run_at),
	DB_I64(struct schedule, created_at), DB_I64(struct schedule, last_fired_at),
	DB_I64(struct schedule, last_skipped_at), DB_I64(struct schedule, fired),
	DB_I64(struct schedule, skipped), DB_I64(struct schedule, last_scan_id),
	DB_COPY(struct schedule, last_status), DB_COPY(struct schedule, pool),
};

static void read_schedule(struct db_cur *c, struct schedule *sc)
{
	memset(sc, 0, sizeof *sc);
	db_row_read(c, schedule_fields, sizeof schedule_fields / sizeof *schedule_fields, sc);
}

/* Runs a SCHED_COLS query into a new array. */
static int read_many(struct store *s, enum db_stmt id, const struct db_args *a,
		     struct schedule **out, size_t *n)
{
	struct schedule *arr = NULL;
	size_t cnt = 0, cap = 0;
	struct db_cur c;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = db_query(s, id, a, &c)) == STORE_OK) {
		while ((rc = db_next(&c)) > 0) {
			if (cnt == cap) {
				struct schedule *p = realloc(arr, (cap ? cap * 2 : 8) * sizeof *arr);

				if (!p) {
					rc = store_set_error(s, "out of memory");
					break;
				}
				arr = p;
				cap = cap ? cap * 2 : 8;
			}
			read_schedule(&c, &arr[cnt++]);
		}
	}
	db_done(&c);
	if (rc < 0) {
		schedule_array_free(arr, cnt);
		return rc;
	}
	*out = arr;
	*n = cnt;
	return STORE_OK;
}

int store_schedule_add(struct store *s, const struct schedule *sc, int64_t now, int64_t *id)
{
	struct db_args a = { 0 };
	int64_t taken = 0;
	int rc;

	/* A taken name is answered before any insert: a conflicting insert
	 * would still move the id sequence (both dialects). */
	db_text(&a, sc->name);
	if ((rc = db_int(s, S_SCHED_BY_NAME, &a, &taken)) == STORE_OK) {
		store_set_error(s, "a schedule named '%s' exists", sc->name);
		return STORE_ILLEGAL;
	}
	if (rc != STORE_NOT_FOUND)
		return rc;
	memset(&a, 0, sizeof a);
	db_text(&a, sc->name);
	db_text(&a, sc->cron);
	db_text(&a, sc->tz);
	db_text(&a, sc->overlap);
	db_text(&a, sc->type);
	db_text(&a, sc->targets);
	db_text(&a, sc->options ? sc->options : "{}");
	db_i64(&a, sc->priority);
	db_i64(&a, sc->max_attempts);
	db_i64(&a, sc->time_limit_s);
	db_i64(&a, sc->next_run_at);
	db_i64(&a, now);
	db_text(&a, sc->pool[0] ? sc->pool : NULL);
	rc = db_int(s, S_SCHED_INSERT, &a, id);
	if (rc == STORE_NOT_FOUND) {
		store_set_error(s, "a schedule named '%s' exists", sc->name);
		return STORE_ILLEGAL;
	}
	return rc;
}

int store_schedule_get(struct store *s, const char *name, struct schedule *out)
{
	struct schedule *arr;
	struct db_args a = { 0 };
	size_t n;
	int rc;

	memset(out, 0, sizeof *out);
	if (*name && strspn(name, "0123456789") == strlen(name) && strlen(name) < 19)
		db_i64(&a, strtoll(name, NULL, 10));
	else
		db_text(&a, name);
	rc = read_many(s, a.v[0].type == 'i' ? S_SCHED_BY_ID : S_SCHED_BY_NAME, &a, &arr, &n);
	if (rc != STORE_OK)
		return rc;
	if (!n) {
		free(arr);
		store_set_error(s, "no schedule '%s'", name);
		return STORE_NOT_FOUND;
	}
	*out = arr[0];
	free(arr);
	return STORE_OK;
}

int store_schedule_list(struct store *s, struct schedule **out, size_t *n)
{
	struct db_args a = { 0 };

	return read_many(s, S_SCHED_LIST, &a, out, n);
}

int store_schedules_due(struct store *s, int64_t now, int limit, struct schedule **out,
			size_t *n)
{
	struct db_args a = { 0 };

	db_i64(&a, now);
	db_i64(&a, limit);
	return read_many(s, S_SCHED_DUE, &a, out, n);
}

int store_schedules_late(struct store *s, int64_t now, int64_t grace_ms,
			 struct schedule **out, size_t *n)
{
	struct db_args a = { 0 };

	db_i64(&a, now);
	db_i64(&a, grace_ms);
	return read_many(s, S_SCHED_LATE, &a, out, n);
}

int store_schedule_pause(struct store *s, int64_t id, int paused, int64_t next_run_at)
{
	struct db_args a = { 0 };
	int64_t changed = 0;
	int rc;

	db_i64(&a, id);
	db_i64(&a, paused);
	db_i64(&a, next_run_at);
	if ((rc = db_run(s, S_SCHED_PAUSE, &a, &changed)) != STORE_OK)
		return rc;
	if (!changed) {
		store_set_error(s, "no schedule %lld", (long long)id);
		return STORE_NOT_FOUND;
	}
	return STORE_OK;
}

int store_schedule_delete(struct store *s, int64_t id)
{
	struct db_args a = { 0 };
	int64_t changed = 0;
	int rc;

	db_i64(&a, id);
	if ((rc = db_run(s, S_SCHED_DELETE, &a, &changed)) != STORE_OK)
		return rc;
	if (!changed) {
		store_set_error(s, "no schedule %lld", (long long)id);
		return STORE_NOT_FOUND;
	}
	return STORE_OK;
}

/* Queues the scan of sc inside the open transaction, with its follow-up
 * stages when its options carry "then" and split into `slices` when given
 * (flow.c writes the rows, their events, the counter and the wake-up), and
 * tags it with the schedule: the schedule's last status and the baseline
 * of change tracking. */
static int queue_scan(struct store *s, const struct schedule *sc, const char *slices,
		      const char *reason, int64_t *scan_id)
{
	struct scan_request req = {
		.type = sc->type, .targets = sc->targets, .options = sc->options,
		.priority = (int)sc->priority, .max_attempts = (int)sc->max_attempts,
		.time_limit_s = (int)sc->time_limit_s, .pool = sc->pool[0] ? sc->pool : NULL,
	};
	struct db_args a = { 0 };
	int rc;

	if ((rc = flow_insert_in_tx(s, &req, slices, reason, scan_id)) != STORE_OK)
		return rc;
	if (!*scan_id)
		return store_set_error(s, "the scan was not inserted");
	db_i64(&a, *scan_id);
	db_i64(&a, sc->id);
	return db_run(s, S_SCHED_TAG, &a, NULL);
}

static int mark(struct store *s, int64_t id, int fired, int skipped, int64_t now)
{
	struct db_args a = { 0 };

	db_i64(&a, id);
	db_i64(&a, fired);
	db_i64(&a, skipped);
	db_i64(&a, now);
	return db_run(s, S_SCHED_MARK, &a, NULL);
}

static int fire(struct store *s, const struct schedule *sc, const char *slices, int64_t now,
		int64_t next, enum schedule_fired *outcome, int64_t *scan_id)
{
	struct db_args a = { 0 };
	int64_t changed = 0, active = 0;
	char reason[96];
	int rc;

	*scan_id = 0;
	*outcome = SCHEDULE_RACED;
	if ((rc = db_begin(s, 1)) != STORE_OK)
		return rc;
	db_i64(&a, sc->id);
	db_i64(&a, sc->next_run_at);
	db_i64(&a, next);
	if ((rc = db_run(s, S_SCHED_ADVANCE, &a, &changed)) != STORE_OK)
		return core_abort(s, rc);
	if (!changed) {
		db_rollback(s);
		return STORE_OK;	/* another scheduler fired this slot */
	}
	if (!strcmp(sc->overlap, "skip")) {
		memset(&a, 0, sizeof a);
		db_i64(&a, sc->id);
		rc = db_int(s, S_SCHED_ACTIVE, &a, &active);
		if (rc != STORE_OK && rc != STORE_NOT_FOUND)
			return core_abort(s, rc);
	}
	snprintf(reason, sizeof reason, "schedule %.64s", sc->name);
	if (!active && (rc = queue_scan(s, sc, slices, reason, scan_id)) != STORE_OK)
		return core_abort(s, rc);
	if ((rc = mark(s, sc->id, !active, !!active, now)) != STORE_OK)
		return core_abort(s, rc);
	if ((rc = db_commit(s)) != STORE_OK) {
		*scan_id = 0;
		return rc;
	}
	*outcome = active ? SCHEDULE_SKIPPED : SCHEDULE_FIRED;
	return STORE_OK;
}

int store_schedule_fire(struct store *s, const struct schedule *sc, const char *slices, int64_t now,
			int64_t next, enum schedule_fired *outcome, int64_t *scan_id)
{
	int rc = fire(s, sc, slices, now, next, outcome, scan_id);

	for (int tries = 0; core_retry_safe(s, rc, tries); tries++)
		rc = fire(s, sc, slices, now, next, outcome, scan_id);
	return rc;
}

static int run_now(struct store *s, const struct schedule *sc, const char *slices, int64_t now,
		   int64_t *scan_id)
{
	char reason[96];
	int rc;

	*scan_id = 0;
	if ((rc = db_begin(s, 1)) != STORE_OK)
		return rc;
	snprintf(reason, sizeof reason, "schedule %.64s (run now)", sc->name);
	if ((rc = queue_scan(s, sc, slices, reason, scan_id)) != STORE_OK
	    || (rc = mark(s, sc->id, 1, 0, now)) != STORE_OK)
		return core_abort(s, rc);
	if ((rc = db_commit(s)) != STORE_OK)
		*scan_id = 0;
	return rc;
}

int store_schedule_run_now(struct store *s, const struct schedule *sc, const char *slices,
			   int64_t now, int64_t *scan_id)
{
	int rc = run_now(s, sc, slices, now, scan_id);

	for (int tries = 0; core_retry_safe(s, rc, tries); tries++)
		rc = run_now(s, sc, slices, now, scan_id);
	return rc;
}

int store_schedule_id(struct store *s, const char *name, int64_t *id, char *name_out,
		      size_t namelen)
{
	struct schedule sc;
	int rc = store_schedule_get(s, name, &sc);

	if (rc != STORE_OK)
		return rc;
	*id = sc.id;
	if (name_out)
		snprintf(name_out, namelen, "%s", sc.name);
	schedule_release(&sc);
	return STORE_OK;
}

int store_schedule_defer(struct store *s, int64_t id, int64_t old_next, int64_t next)
{
	struct db_args a = { 0 };

	db_i64(&a, id);
	db_i64(&a, old_next);
	db_i64(&a, next);
	return db_run(s, S_SCHED_ADVANCE, &a, NULL);
}
