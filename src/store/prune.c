/*
 * prune.c — deleting finished scans, written once for both dialects: those
 * finished before a time (store_prune(), the maintenance leader's and
 * `scanq prune`'s), and those of one final status (store_prune_status(),
 * with a pause between batches).  Both run in short transactions of one
 * batch each, so a claim or a completion never waits behind more than one
 * small batch; a dry run only counts.  A batch is sized by time as well as
 * by count: on a loaded machine 1,000 scans with their events take a
 * SQLite transaction hundreds of milliseconds, and every claim waits for
 * it, so the batch shrinks until its DELETE takes about PRUNE_BATCH_MS,
 * and grows back to the asked-for size when it is quick.  The COMMIT is
 * not counted: its flush to disk costs the same for 50 scans as for
 * 1,000 (and the same as a claim's own commit), so a batch shrunk for it
 * would only make more commits for the claims to wait behind.
 */
#include <time.h>
#include "core/clock.h"
#include "store/tx.h"

#define PRUNE_BATCH_MS 20	/* what one batch's transaction should take */
#define PRUNE_BATCH_MIN 50	/* the smallest batch, however slow */

/* The next batch's size after one of `size` rows took `ms`: scaled
 * toward PRUNE_BATCH_MS, within [PRUNE_BATCH_MIN, max]. */
static int next_size(int size, int max, int64_t ms)
{
	int64_t next = size;

	if (ms > PRUNE_BATCH_MS)
		next = size * PRUNE_BATCH_MS / ms;
	else if (ms < PRUNE_BATCH_MS / 2)
		next = (int64_t)size * 2;
	if (next < PRUNE_BATCH_MIN)
		next = PRUNE_BATCH_MIN;
	return next > max ? max : (int)next;
}

/*
 * Deletes with `del` in short transactions of one batch each, so writers
 * (claims, completions) wait at most one batch, until a batch deletes
 * fewer rows than it asked for or max_batches (0: no limit) ran.  A batch
 * is at most `batch` rows, fewer while its DELETE takes longer than
 * PRUNE_BATCH_MS (next_size()).  Pausing
 * pause_ms between batches; a dry run counts with `count` instead.  The
 * statements take (before_ms, batch[, status]).  *deleted keeps the rows
 * deleted so far, also on error.
 */
static int batches(struct store *s, enum db_stmt del, enum db_stmt count, int64_t before_ms,
		   const char *status, int batch, int max_batches, int pause_ms, int dry_run,
		   int64_t *deleted)
{
	int rc;

	*deleted = 0;
	if (batch < 1)
		batch = 1000;
	if (dry_run) {
		struct db_args a = { 0 };

		db_i64(&a, before_ms);
		if (status)
			db_text(&a, status);
		return db_int(s, count, &a, deleted);
	}
	for (int b = 0, size = batch; max_batches == 0 || b < max_batches; b++) {
		struct db_args a = { 0 };
		int64_t changed = 0, t0, ms;

		if (b && pause_ms > 0) {
			struct timespec ts = { pause_ms / 1000, (long)(pause_ms % 1000) * 1000000 };
			nanosleep(&ts, NULL);
		}
		db_i64(&a, before_ms);
		db_i64(&a, size);
		if (status)
			db_text(&a, status);
		if ((rc = db_begin(s, 1)) != STORE_OK)
			return rc;
		t0 = clock_mono_ms();	/* the work, not the wait for the lock */
		if ((rc = db_run(s, del, &a, &changed)) != STORE_OK)
			return core_abort(s, rc);
		ms = clock_mono_ms() - t0;
		if ((rc = db_commit(s)) != STORE_OK)
			return rc;
		*deleted += changed;
		if (changed < size)
			break;
		size = next_size(size, batch, ms);
	}
	return STORE_OK;
}

int store_prune(struct store *s, int64_t before_ms, int batch, int max_batches, int dry_run,
		int64_t *deleted)
{
	return batches(s, S_PRUNE, S_PRUNE_COUNT, before_ms, NULL, batch, max_batches, 0, dry_run,
		       deleted);
}

int store_prune_status(struct store *s, enum scan_status status, int64_t before_ms, int batch,
		       int max_batches, int pause_ms, int dry_run, int64_t *deleted)
{
	*deleted = 0;
	if (status != SCAN_COMPLETED && status != SCAN_FAILED && status != SCAN_CANCELLED)
		return store_set_error(s, "only finished scans can be pruned");
	return batches(s, S_PRUNE_STATUS, S_PRUNE_STATUS_COUNT, before_ms, scan_status_name(status),
		       batch, max_batches, pause_ms, dry_run, deleted);
}
