/*
 * registry.c — the worker registry and maintenance leadership,
 * written once for both dialects.
 *
 * Leadership is a lease in the database, not a lock held by a connection:
 * one row names the holder and when its term ends.  A process leads while
 * it renews the row before the term ends; when it dies or is cut off, the
 * row expires and the next process that asks takes it over.  The same rule
 * works on SQLite (several `serve` on one file) and PostgreSQL (many
 * hosts), and a leader that lost its connection cannot keep leading by
 * accident: its term runs out in the database's time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include "core/clock.h"
#include "store/db.h"
#include "store/tx.h"

char *worker_identity(char *buf, size_t len, const char *name, const char *host, int pid,
		      uint32_t instance)
{
	/* 24 + 1 + 20 + 1 + 7 (pid_max is at most 4194304) + 1 + 8 < SCAN_WORKER_MAX */
	snprintf(buf, len < SCAN_WORKER_MAX ? len : SCAN_WORKER_MAX, "%.24s@%.20s:%d-%08x", name,
		 host, pid, (unsigned)instance);
	return buf;
}

uint32_t worker_instance(void)
{
	uint32_t r;

	if (getrandom(&r, sizeof r, 0) != sizeof r)
		r = (uint32_t)getpid() ^ (uint32_t)clock_mono_ms();
	return r;
}

int store_worker_register(struct store *s, const struct worker_info *w)
{
	struct db_args a = { 0 };

	db_text(&a, w->id);
	db_text(&a, w->name);
	db_text(&a, w->host);
	db_i64(&a, w->pid);
	if (w->started_at)
		db_i64(&a, w->started_at);
	else
		db_null(&a);
	db_i64(&a, scan_now_ms());
	db_i64(&a, w->concurrency);
	db_text(&a, w->pool[0] ? w->pool : SCAN_POOL_LOCAL);
	return db_run(s, S_WORKER_UPSERT, &a, NULL);
}

int store_worker_heartbeat(struct store *s, const char *id, int64_t done)
{
	struct db_args a = { 0 };
	int64_t changed = 0;
	int rc;

	db_text(&a, id);
	db_i64(&a, scan_now_ms());
	db_i64(&a, done);
	if ((rc = db_run(s, S_WORKER_BEAT, &a, &changed)) != STORE_OK)
		return rc;
	if (changed == 0) {
		store_set_error(s, "worker %s is not registered", id);
		return STORE_NOT_FOUND;
	}
	return STORE_OK;
}

int store_worker_exited(struct store *s, const char *id, const char *reason)
{
	struct db_args a = { 0 };

	db_text(&a, id);
	db_text(&a, reason);
	db_i64(&a, scan_now_ms());
	return db_run(s, S_WORKER_EXIT, &a, NULL);
}

static void worker_row(struct db_cur *c, void *elem, void *ctx)
{
	struct worker_info *w = elem;

	(void)ctx;
	db_col_copy(c, 0, w->id, sizeof w->id);
	db_col_copy(c, 1, w->name, sizeof w->name);
	db_col_copy(c, 2, w->host, sizeof w->host);
	w->pid = (int)db_col_i64(c, 3);
	w->started_at = db_col_i64(c, 4);
	w->heartbeat_at = db_col_i64(c, 5);
	w->concurrency = (int)db_col_i64(c, 6);
	w->running = (int)db_col_i64(c, 7);
	w->scans_done = db_col_i64(c, 8);
	db_col_copy(c, 9, w->last_exit, sizeof w->last_exit);
	w->stopped_at = db_col_i64(c, 10);
	db_col_copy(c, 11, w->kind, sizeof w->kind);
	db_col_copy(c, 12, w->pool, sizeof w->pool);
	db_col_copy(c, 13, w->version, sizeof w->version);
	db_col_copy(c, 14, w->address, sizeof w->address);
}

int store_worker_list(struct store *s, struct worker_info **out, size_t *n)
{
	struct worker_info *arr;
	size_t cnt;
	struct db_args none = { 0 };
	struct db_cur c;
	int rc;

	rc = core_page_new(s, S_WORKER_LIST, &none, sizeof *arr, STORE_LIST_MAX, worker_row, NULL,
			   NULL, (void **)&arr, &cnt);
	*out = NULL;
	*n = 0;
	if (rc != STORE_OK)
		return rc;
	for (size_t i = 0; i < cnt; i++) {
		struct db_args a = { 0 };

		db_text(&a, arr[i].id);
		if (db_query(s, S_WORKER_RUNNING, &a, &c) == STORE_OK)
			while (arr[i].nrunning_ids < 16 && db_next(&c) > 0)
				arr[i].running_ids[arr[i].nrunning_ids++] = db_col_i64(&c, 0);
		db_done(&c);
	}
	*out = arr;
	*n = cnt;
	return STORE_OK;
}

/* ---- leadership ---------------------------------------------------------------------- */

int store_leader_take(struct store *s, const char *holder, int ttl_ms)
{
	struct db_args a = { 0 };
	struct db_cur c;
	int rc;

	db_text(&a, holder);
	db_i64(&a, scan_now_ms());
	db_i64(&a, ttl_ms);
	if ((rc = db_query(s, S_LEADER_TAKE, &a, &c)) == STORE_OK)
		rc = db_next(&c);
	db_done(&c);
	return rc < 0 ? rc : rc > 0;
}

int store_leader_drop(struct store *s, const char *holder)
{
	struct db_args a = { 0 };

	db_text(&a, holder);
	return db_run(s, S_LEADER_DROP, &a, NULL);
}

int store_worker_names_take(struct store *s, const char *holder, int n, char (*names)[16])
{
	int got = 0;

	for (int k = 1; got < n && k <= STORE_WORKER_NAMES_MAX; k++) {
		struct db_args a = { 0 };
		struct db_cur c;
		char name[16];
		int rc;

		snprintf(name, sizeof name, "w-%d", k);
		db_text(&a, name);
		db_text(&a, holder);
		db_i64(&a, scan_now_ms());
		db_i64(&a, STORE_WORKER_NAME_TTL_MS);
		if ((rc = db_query(s, S_WNAME_TAKE, &a, &c)) == STORE_OK)
			rc = db_next(&c);
		db_done(&c);
		if (rc < 0)
			return rc;
		if (rc > 0)
			snprintf(names[got++], 16, "%s", name);
	}
	if (got < n)
		return store_set_error(s, "no free worker name among w-1..w-%d",
				       STORE_WORKER_NAMES_MAX), STORE_ILLEGAL;
	return STORE_OK;
}

int store_worker_names_renew(struct store *s, const char *holder)
{
	struct db_args a = { 0 };

	db_text(&a, holder);
	db_i64(&a, scan_now_ms());
	db_i64(&a, STORE_WORKER_NAME_TTL_MS);
	return db_run(s, S_WNAME_RENEW, &a, NULL);
}

int store_worker_names_drop(struct store *s, const char *holder)
{
	struct db_args a = { 0 };

	db_text(&a, holder);
	return db_run(s, S_WNAME_DROP, &a, NULL);
}

int store_worker_prune(struct store *s, int64_t keep_ms, int64_t *deleted)
{
	struct db_args a = { 0 };
	int64_t n = 0;
	int rc;

	db_i64(&a, scan_now_ms());
	db_i64(&a, keep_ms);
	rc = db_run(s, S_WORKER_PRUNE, &a, &n);
	if (deleted)
		*deleted = rc == STORE_OK ? n : 0;
	return rc;
}
