/*
 * db.c — migrating a store, and the thin layer between the core's operations
 * and a dialect's primitives (db.h).  Every call that reaches the database
 * goes through here, so this is where an outage is noticed once: the first
 * failed call after a success starts it, the next success ends it, each
 * with one log line, and the outage's length is kept for lease recovery
 * (store_recover_leases() extends every lease by it before it recovers
 * anything, so work that finished during the outage is not thrown away).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/backoff.h"
#include "core/clock.h"
#include "core/log.h"
#include "store/db.h"

void db_i64(struct db_args *a, int64_t v)
{
	a->v[a->n++] = (struct db_arg){ .type = 'i', .i = v };
}

void db_f64(struct db_args *a, double v)
{
	a->v[a->n++] = (struct db_arg){ .type = 'f', .f = v };
}

void db_text(struct db_args *a, const char *v)
{
	a->v[a->n++] = v ? (struct db_arg){ .type = 's', .s = v } : (struct db_arg){ .type = 'n' };
}

void db_null(struct db_args *a)
{
	a->v[a->n++] = (struct db_arg){ .type = 'n' };
}

void db_i64s(struct db_args *a, const int64_t *v, size_t n)
{
	a->v[a->n++] = (struct db_arg){ .type = 'I', .ia = v, .na = n };
}

void db_texts(struct db_args *a, const char *const *v, size_t n)
{
	a->v[a->n++] = (struct db_arg){ .type = 'T', .ta = v, .na = n };
}

int store_set_error(struct store *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof s->err, fmt, ap);
	va_end(ap);
	return STORE_ERROR;
}

/* ---- outages -------------------------------------------------------------- */

/*
 * The process's outage (store.h): one for all its handles, whatever thread
 * uses them.  `since_ms` is read without the lock on every call (an atomic
 * load): the common case, no outage, costs nothing more.
 */
static struct {
	pthread_mutex_t mu;
	int64_t since_ms;	/* first failure of the outage; 0: none (atomic) */
	struct backoff b;	/* when the next attempt may be made */
	int64_t attempts;	/* attempts that failed in this outage */
	int64_t logged_ms;	/* the last line about it; 0: none yet */
	int rc;			/* what a held-back call returns */
	int disconnected, full;	/* ... and the flags it sets */
	int space_back;		/* a full disk ended: space_back() is due (atomic) */
	char err[256];		/* the last error from the database */
} outage = { .mu = PTHREAD_MUTEX_INITIALIZER };

static int64_t outage_since(void)
{
	return __atomic_load_n(&outage.since_ms, __ATOMIC_ACQUIRE);
}

/* May this call try the database?  Outside an outage, yes.  In one, the
 * first call after the backoff's time is let through and the time moved on
 * by one delay, so that the process makes one attempt at a time; the others
 * fail here, with the outage's own error, and never reach the database. */
static int gate(struct store *s)
{
	int64_t now, wait;
	int ok;

	if (s->on_demand || !outage_since())
		return 1;
	now = clock_mono_ms();
	pthread_mutex_lock(&outage.mu);
	wait = outage.since_ms ? backoff_wait_ms(&outage.b, now) : 0;
	ok = wait == 0;
	if (ok && outage.since_ms)
		outage.b.next_ms = now + (outage.b.delay_ms ? outage.b.delay_ms : BACKOFF_MIN_MS);
	if (!ok) {
		snprintf(s->err, sizeof s->err, "%s (next try in %lld ms)", outage.err,
			 (long long)wait);
		s->disconnected = outage.disconnected;
		s->full = outage.full;
	}
	pthread_mutex_unlock(&outage.mu);
	return ok;
}

static int held_back(struct store *s)
{
	if (!s->failing_since_ms)
		s->failing_since_ms = clock_mono_ms();
	return outage.rc ? outage.rc : STORE_ERROR;
}

/* The database answered: end the handle's outage, and the process's. */
static void reached(struct store *s)
{
	int64_t now = clock_mono_ms();

	if (s->failing_since_ms) {
		/* From the last answer before the outage: leases were last renewed
		 * no later than that, so this is what they must be extended by. */
		int64_t gone = now - (s->last_ok_ms ? s->last_ok_ms : s->failing_since_ms);

		if (gone > s->outage_ms)
			s->outage_ms = gone;
		s->failing_since_ms = 0;
	}
	s->last_ok_ms = now;
	if (!outage_since())
		return;
	pthread_mutex_lock(&outage.mu);
	if (outage.since_ms) {
		if (outage.logged_ms)
			log_info("database reachable again", "backend=%s outage_ms=%lld attempts=%lld",
				 s->d->name, (long long)(now - outage.since_ms),
				 (long long)outage.attempts);
		if (outage.full && (outage.logged_ms ? 2 : 1) > outage.space_back)
			__atomic_store_n(&outage.space_back, outage.logged_ms ? 2 : 1,
					 __ATOMIC_RELEASE);
		__atomic_store_n(&outage.since_ms, 0, __ATOMIC_RELEASE);
		outage.attempts = outage.logged_ms = 0;
		outage.full = outage.disconnected = 0;
		backoff_reset(&outage.b);
	}
	pthread_mutex_unlock(&outage.mu);
}

void store_note_pause(struct store *s, int64_t ms)
{
	if (ms > s->outage_ms)
		s->outage_ms = ms;
}

/* A call failed.  Locks (STORE_BUSY), lost connections and a full disk
 * count as an outage; an error in a statement is an answer, and so is a
 * deadlock or serialization failure (the server chose this transaction to
 * roll back: it is run again, not waited out). */
static int failed(struct store *s, int rc)
{
	int64_t now;
	char q[300];

	if ((rc != STORE_BUSY || s->conflict) && !s->disconnected && !s->full) {
		if (rc != STORE_LOST)
			reached(s);
		return rc;
	}
	now = clock_mono_ms();
	if (!s->failing_since_ms)
		s->failing_since_ms = now;
	pthread_mutex_lock(&outage.mu);
	if (!outage.since_ms) {
		__atomic_store_n(&outage.since_ms, now, __ATOMIC_RELEASE);
		outage.attempts = outage.logged_ms = 0;
	}
	outage.attempts++;
	outage.rc = rc;
	outage.disconnected = s->disconnected;
	outage.full = s->full;
	snprintf(outage.err, sizeof outage.err, "%.255s", s->err);
	backoff_failed(&outage.b, now);
	/* A busy moment is no outage worth a line: the first once it has
	 * lasted a second, then one every 10 s. */
	if (!outage.logged_ms && now - outage.since_ms >= 1000) {
		log_warn(s->full ? "database disk full" : "database unreachable",
			 "backend=%s attempts=%lld error=%s", s->d->name, (long long)outage.attempts,
			 log_quote(s->err, q, sizeof q));
		outage.logged_ms = now;
	} else if (outage.logged_ms && now - outage.logged_ms >= STORE_OUTAGE_LOG_MS) {
		log_warn(s->full ? "database disk still full" : "database still unreachable",
			 "backend=%s outage_ms=%lld attempts=%lld", s->d->name,
			 (long long)(now - outage.since_ms), (long long)outage.attempts);
		outage.logged_ms = now;
	}
	pthread_mutex_unlock(&outage.mu);
	return rc;
}

int store_outage(const struct store *s)
{
	return s->failing_since_ms != 0 && (s->disconnected || s->full || outage_since());
}

int db_outage_active(void)
{
	return outage_since() != 0;
}

int64_t store_outage_wait_ms(void)
{
	int64_t wait;

	if (!outage_since())
		return 0;
	pthread_mutex_lock(&outage.mu);
	wait = outage.since_ms ? backoff_wait_ms(&outage.b, clock_mono_ms()) : 0;
	pthread_mutex_unlock(&outage.mu);
	return wait;
}

int store_claim_ready(struct store *s)
{
	static int64_t next_try_ms;	/* the dialect's clean-up at most twice a second */
	int full, due;
	int64_t now;

	if (!outage_since() && !__atomic_load_n(&outage.space_back, __ATOMIC_ACQUIRE))
		return 1;
	pthread_mutex_lock(&outage.mu);
	full = outage.since_ms && outage.full;
	due = outage.space_back;
	now = clock_mono_ms();
	if (!full && due && now < next_try_ms)
		full = 1;		/* tried a moment ago: not yet */
	else if (!full && due)
		next_try_ms = now + 500;
	pthread_mutex_unlock(&outage.mu);
	if (full)
		return 0;
	if (!due)
		return 1;
	if (s->d->space_back && s->d->space_back(s) != STORE_OK)
		return 0;
	__atomic_store_n(&outage.space_back, 0, __ATOMIC_RELEASE);
	if (due > 1)		/* the full disk was logged: so is its end */
		log_info("database disk space back, claiming again", "backend=%s", s->d->name);
	return 1;
}

/* ---- transactions and statements ----------------------------------------------- */

int db_begin(struct store *s, int write)
{
	int rc;

	s->disconnected = s->commit_unknown = s->full = s->tried_connect = s->conflict = 0;
	if (!gate(s))
		return held_back(s);
	rc = s->d->begin(s, write);
	/* A connection found broken by BEGIN is re-opened once, unless the
	 * dialect has just tried that itself. */
	if (rc != STORE_OK && s->disconnected && !s->tried_connect && s->d->reconnect
	    && s->d->reconnect(s) == STORE_OK) {
		s->disconnected = 0;
		rc = s->d->begin(s, write);
	}
	if (rc == STORE_OK)
		s->in_tx = 1;
	return rc == STORE_OK ? (reached(s), rc) : failed(s, rc);
}

int db_commit(struct store *s)
{
	int rc = s->d->commit(s);

	s->in_tx = 0;
	return rc == STORE_OK ? (reached(s), rc) : failed(s, rc);
}

void db_rollback(struct store *s)
{
	s->in_tx = 0;
	s->d->rollback(s);
}

int db_query(struct store *s, enum db_stmt id, const struct db_args *a, struct db_cur *c)
{
	int rc;

	memset(c, 0, sizeof *c);
	c->s = s;
	if (!s->d->sql[id])
		return STORE_OK;	/* not needed by this dialect: no rows */
	if (!s->in_tx) {
		s->disconnected = s->commit_unknown = s->full = s->tried_connect = s->conflict = 0;
		if (!gate(s))
			return held_back(s);
	}
	rc = s->d->query(s, id, a, c);
	return rc == STORE_OK ? (reached(s), rc) : failed(s, rc);
}

int db_next(struct db_cur *c)
{
	if (!c->h)
		return 0;
	return c->s->d->next(c);
}

int64_t db_col_i64(struct db_cur *c, int col) { return c->s->d->col_i64(c, col); }
double db_col_f64(struct db_cur *c, int col) { return c->s->d->col_f64(c, col); }
const char *db_col_text(struct db_cur *c, int col) { return c->s->d->col_text(c, col); }

char *db_col_dup(struct db_cur *c, int col)
{
	const char *t = db_col_text(c, col);

	return t ? strdup(t) : NULL;
}

void db_col_copy(struct db_cur *c, int col, char *dst, size_t len)
{
	const char *t = db_col_text(c, col);

	snprintf(dst, len, "%s", t ? t : "");
}

void db_row_read(struct db_cur *c, const struct db_field *fields, size_t n, void *dst)
{
	for (size_t i = 0; i < n; i++) {
		char *p = (char *)dst + fields[i].off;
		int col = (int)i;

		switch (fields[i].kind) {
		case DB_F_SKIP: break;
		case DB_F_I64: *(int64_t *)(void *)p = db_col_i64(c, col); break;
		case DB_F_INT: *(int *)(void *)p = (int)db_col_i64(c, col); break;
		case DB_F_LONG: *(long *)(void *)p = (long)db_col_i64(c, col); break;
		case DB_F_F64: *(double *)(void *)p = db_col_f64(c, col); break;
		case DB_F_COPY: db_col_copy(c, col, p, fields[i].size); break;
		case DB_F_DUP: *(char **)(void *)p = db_col_dup(c, col); break;
		}
	}
}

void db_done(struct db_cur *c)
{
	if (c->h)
		c->s->d->done(c);
	c->h = NULL;
}

int db_run(struct store *s, enum db_stmt id, const struct db_args *a, int64_t *changes)
{
	struct db_cur c;
	int rc = db_query(s, id, a, &c);

	if (rc == STORE_OK) {
		while ((rc = db_next(&c)) > 0)
			;
		if (changes)
			*changes = c.changes;
	}
	db_done(&c);
	return rc < 0 ? rc : STORE_OK;
}

int db_int(struct store *s, enum db_stmt id, const struct db_args *a, int64_t *v)
{
	struct db_cur c;
	int rc = db_query(s, id, a, &c);

	*v = 0;
	if (rc == STORE_OK) {
		rc = db_next(&c);
		if (rc > 0)
			*v = db_col_i64(&c, 0);
		rc = rc > 0 ? STORE_OK : rc == 0 ? STORE_NOT_FOUND : rc;
	}
	db_done(&c);
	return rc;
}

/* DB_SCAN_COLS, column by column (status, column 4, is parsed). */
static const struct db_field scan_fields[] = {
	DB_I64(struct scan, id), DB_COPY(struct scan, type), DB_DUP(struct scan, targets),
	DB_DUP(struct scan, options), DB_SKIP, DB_INT(struct scan, priority),
	DB_INT(struct scan, attempt), DB_INT(struct scan, max_attempts),
	DB_INT(struct scan, time_limit_s), DB_I64(struct scan, run_after),
	DB_I64(struct scan, created_at), DB_I64(struct scan, claimed_at),
	DB_I64(struct scan, finished_at), DB_I64(struct scan, lease_expires_at),
	DB_COPY(struct scan, worker_id), DB_INT(struct scan, cancel_requested),
	DB_F64(struct scan, progress), DB_COPY(struct scan, error_code),
	DB_DUP(struct scan, error_message), DB_DUP(struct scan, error_detail),
	DB_DUP(struct scan, summary), DB_DUP(struct scan, idempotency_key),
	DB_I64(struct scan, parent_id), DB_INT(struct scan, flow), DB_INT(struct scan, attempts_used),
	DB_I64(struct scan, schedule_id), DB_COPY(struct scan, pool),
};

void db_read_scan(struct db_cur *c, struct scan *s)
{
	char status[16];

	memset(s, 0, sizeof *s);
	db_row_read(c, scan_fields, sizeof scan_fields / sizeof *scan_fields, s);
	db_col_copy(c, 4, status, sizeof status);
	if (scan_status_parse(status, &s->status) < 0)
		s->status = SCAN_FAILED;	/* the CHECK constraint makes this unreachable */
	if (!s->pool[0])
		snprintf(s->pool, sizeof s->pool, "%s", SCAN_POOL_LOCAL);
}

/* ---- open, close, schema ------------------------------------------------------ */

int store_schema_latest(struct store *s)
{
	const struct db_migration *m = s->d->migrations;

	while (m[1].version)
		m++;
	return m->version;
}

int store_schema_version(struct store *s)
{
	int64_t present, v;
	struct db_args a = { 0 };

	if (db_int(s, S_SCHEMA_PRESENT, &a, &present) < 0)
		return -1;
	if (!present)
		return 0;		/* an empty database */
	if (db_int(s, S_SCHEMA_VERSION, &a, &v) < 0)
		return -1;
	return (int)v;
}

int store_migrate(struct store *s, int target, int *applied)
{
	int done = 0, rc = STORE_OK;

	if (target < 0 || target > store_schema_latest(s))
		target = store_schema_latest(s);
	if (applied)
		*applied = 0;
	for (const struct db_migration *m = s->d->migrations; m->version && m->version <= target;
	     m++) {
		struct db_args a = { 0 };
		int cur;

		/* One migrator at a time: check the version under the write lock. */
		if ((rc = db_begin(s, 1)) != STORE_OK)
			break;
		if ((rc = db_run(s, S_SCHEMA_LOCK, &a, NULL)) != STORE_OK
		    || (rc = db_run(s, S_SCHEMA_INIT, &a, NULL)) != STORE_OK
		    || (cur = store_schema_version(s)) < 0) {
			rc = rc ? rc : STORE_ERROR;
			db_rollback(s);
			break;
		}
		if (cur >= m->version) {
			db_rollback(s);
			continue;
		}
		db_i64(&a, m->version);
		db_text(&a, m->name);
		db_i64(&a, scan_now_ms());
		if ((rc = s->d->script(s, m->sql, "migrating")) != STORE_OK
		    || (rc = db_run(s, S_SCHEMA_RECORD, &a, NULL)) != STORE_OK) {
			db_rollback(s);
			break;
		}
		if ((rc = db_commit(s)) != STORE_OK)
			break;
		done++;
	}
	if (applied)
		*applied = done;
	return rc;
}

void store_close(struct store *s)
{
	if (s)
		s->d->close(s);
}

const char *store_error(struct store *s) { return s->err; }
const char *store_backend(struct store *s) { return s->d->name; }

const char *store_url_redacted(const char *url, char *buf, size_t len)
{
	const char *scheme = strstr(url, "://"), *at, *colon;

	snprintf(buf, len, "%s", url);
	if (!scheme)
		return buf;
	scheme += 3;
	at = strchr(scheme, '@');
	colon = strchr(scheme, ':');
	if (at && colon && colon < at)
		snprintf(buf, len, "%.*s***%s", (int)(colon + 1 - url), url, at);
	/* libpq also takes ?password=...: cut the query string as a whole */
	if (strstr(buf, "password="))
		buf[strcspn(buf, "?")] = '\0';
	return buf;
}

struct store_wakeup *store_wakeup_new(struct store *s)
{
	return s->d->wakeup_new ? s->d->wakeup_new(s) : NULL;
}

int store_wakeup_fd(const struct store_wakeup *w) { return w->fd((struct store_wakeup *)w); }
int store_wakeup_drain(struct store_wakeup *w) { return w->drain(w); }
const char *store_wakeup_kind(const struct store_wakeup *w) { return w ? w->kind : "poll"; }

void store_wakeup_free(struct store_wakeup *w)
{
	if (w)
		w->free(w);
}
