/*
 * finding_states.c — the lifecycle step of a complete run (db.h): every
 * finding the run saw is recorded under its baseline by fingerprint (one
 * upsert per distinct fingerprint, S_FSTATE_SEEN, which also reopens a
 * fixed one), then one statement fixes the baseline's open findings the
 * run lacked (S_FSTATE_FIX: their last sighting is an older scan).  It
 * runs in the completing transaction, so a run that fails or is rolled
 * back changes no state, and only when there is something to do: changes.c
 * skips it for a run without findings whose baseline has nothing open.
 */
#include <stdlib.h>
#include <string.h>
#include "store/tx.h"
#include "store/fingerprint.h"

_Static_assert(sizeof(((struct fstate_item *)0)->fp) == FINGERPRINT_HEX + 1, "fingerprint size");

/* The fingerprint of it, and its detail.cve as JSON text (*cve, malloc'd
 * or NULL).  Returns 0, or -1 when the hash cannot be computed. */
static int identify(struct fstate_item *it, char **cve)
{
	struct finding f = { .port = it->port };
	json_t *d = it->detail && *it->detail == '{' ? json_loads(it->detail, 0, NULL) : NULL;
	json_t *c;
	int rc;

	snprintf(f.kind, sizeof f.kind, "%s", it->kind ? it->kind : "finding");
	snprintf(f.proto, sizeof f.proto, "%s", it->proto ? it->proto : "");
	f.target = (char *)it->target;
	f.service = (char *)it->service;
	f.title = (char *)it->title;
	if (!json_is_object(d)) {
		json_decref(d);
		d = NULL;
	}
	rc = fingerprint_of_detail(&f, d, it->fp);
	c = json_object_get(d, "cve");
	*cve = json_is_array(c) && json_array_size(c) ? json_dumps(c, JSON_COMPACT) : NULL;
	json_decref(d);
	return rc;
}

static int by_fp(const void *x, const void *y)
{
	const struct fstate_item *a = *(struct fstate_item *const *)x;
	const struct fstate_item *b = *(struct fstate_item *const *)y;

	return strcmp(a->fp, b->fp);
}

/* Records one sighting; its state goes to it->state. */
static int seen(struct store *s, int64_t bid, int64_t scan_id, struct fstate_item *it,
		const char *cve)
{
	struct db_args a = { 0 };
	struct db_cur cur;
	int rc;

	db_i64(&a, bid);
	db_text(&a, it->fp);
	db_text(&a, it->kind ? it->kind : "finding");
	db_text(&a, it->target);
	db_i64(&a, it->port > 0 ? it->port : 0);
	db_text(&a, it->proto && *it->proto ? it->proto : NULL);
	db_text(&a, it->severity && *it->severity ? it->severity : "info");
	db_text(&a, it->title);
	db_text(&a, cve);
	db_i64(&a, scan_id);
	db_i64(&a, scan_now_ms());
	if ((rc = db_query(s, S_FSTATE_SEEN, &a, &cur)) == STORE_OK && (rc = db_next(&cur)) > 0)
		db_col_copy(&cur, 0, it->state, sizeof it->state);
	db_done(&cur);
	return rc < 0 ? rc : STORE_OK;
}

/* Every distinct fingerprint of v once, in fingerprint order; the copies
 * of one fingerprint in a run share its state. */
static int record(struct store *s, int64_t bid, int64_t scan_id, struct fstate_item *v, size_t n)
{
	struct fstate_item **ix = n ? malloc(n * sizeof *ix) : NULL;
	char **cve = n ? calloc(n, sizeof *cve) : NULL;
	int rc = STORE_OK;

	if (n && (!ix || !cve)) {
		rc = store_set_error(s, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		ix[i] = &v[i];
		v[i].state[0] = '\0';
		if (identify(&v[i], &cve[i]) < 0) {
			rc = store_set_error(s, "cannot compute a fingerprint");
			goto out;
		}
	}
	if (n)
		qsort(ix, n, sizeof *ix, by_fp);
	for (size_t i = 0; i < n && rc == STORE_OK; i++) {
		struct fstate_item *it = ix[i], *prev = i ? ix[i - 1] : NULL;

		if (prev && strcmp(prev->fp, it->fp) == 0)
			memcpy(it->state, prev->state, sizeof it->state);
		else
			rc = seen(s, bid, scan_id, it, cve[it - v]);
	}
out:
	for (size_t i = 0; cve && i < n; i++)
		free(cve[i]);
	free(cve);
	free(ix);
	return rc;
}

int finding_states_on_complete(struct store *s, int64_t scan_id, struct fstate_item *v, size_t n,
			       const char *stage_targets)
{
	struct db_args a = { 0 };
	int64_t bid = 0, now = scan_now_ms();
	int rc;

	db_i64(&a, scan_id);
	db_i64(&a, now);
	if ((rc = db_int(s, S_FSTATE_BASELINE, &a, &bid)) != STORE_OK)
		return rc == STORE_NOT_FOUND ? STORE_OK : rc;	/* not recorded: no baseline */
	if ((rc = record(s, bid, scan_id, v, n)) != STORE_OK)
		return rc;
	a.n = 0;
	db_i64(&a, bid);
	db_i64(&a, scan_id);
	db_i64(&a, now);
	db_text(&a, stage_targets);
	return db_run(s, S_FSTATE_FIX, &a, NULL);
}
