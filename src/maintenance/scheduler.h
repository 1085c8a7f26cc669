/*
 * scheduler.h — firing scheduled scans (src/store/schedule.c holds the
 * rows and the firing transaction, src/core/cron.c the arithmetic).
 *
 * Every `scanq serve` runs a scheduler thread, not only the maintenance
 * leader: the conditional update of next_run_at makes each slot fire once
 * however many schedulers see it due, so no leadership is needed for
 * correctness, and schedules keep firing during the seconds a leader
 * hand-over takes.  Missed slots (every serve was down) fire once: the
 * next firing is computed from a minute ago, not from the missed slot; a
 * scheduler less than a minute late (a slow database) still fires each.
 *
 * The scheduler's clock is the host's wall clock.  For tests only,
 * SCANQ_TEST_CLOCK="REAL_MS,SIM_MS,SPEED" makes it a simulated clock,
 * SIM_MS + (real now - REAL_MS) * SPEED, read by the scheduler and by the
 * commands that compute a schedule's next firing, nothing else (leases,
 * scans and logs keep the real clock).  Never set it in production.
 */
#ifndef SCANQ_SCHEDULER_H
#define SCANQ_SCHEDULER_H

#include <stddef.h>
#include <stdint.h>

struct store;
struct schedule;

/* The scheduler's clock: ms since the epoch (see above). */
int64_t scheduler_now_ms(void);

/* A time of the scheduler's clock on the real one (the test clock's
 * inverse), and back: maintenance windows are planned on the first and
 * claimed against the second. */
int64_t scheduler_to_real(int64_t t);
int64_t scheduler_from_real(int64_t t);

/*
 * Checks a schedule's cron expression and zone and sets sc->next_run_at to
 * its first firing after `now`.  Returns 0, or -1 with a one-line reason
 * ("invalid cron expression: hour field: 25 is out of range 0-23").
 */
int scheduler_plan(struct schedule *sc, int64_t now, char *err, size_t errlen);

struct submit_input;
struct submit_error;

/*
 * Checks a new schedule as the CLI and the API take it (name: 1 to 63 of
 * A-Z a-z 0-9 . _ -, not all digits; cron; zone, default UTC; overlap skip
 * or queue, default skip; the scan as submit_prepare() checks it) and fills
 * *out (release with schedule_release()) with its first firing after `now`.
 * Returns 0, or -1 with err->code (invalid_name, invalid_cron, invalid_tz,
 * invalid_overlap, or one of submit.h's) and a one-line message.
 */
int schedule_build(const char *name, const char *cron, const char *tz, const char *overlap,
		   const struct submit_input *scan, int64_t now, struct schedule *out,
		   struct submit_error *err);

/*
 * Queues one scan of sc now (`schedule run-now`, CLI and API), split into
 * shards as a submitted scan of its targets and ports would be.  Returns
 * store_schedule_run_now()'s rc, *scan_id the scan (a split one's parent).
 */
int schedule_run_now(struct store *s, const struct schedule *sc, int64_t *scan_id);

/* Fires every due schedule once.  A schedule whose scans a maintenance
 * window open now holds (window_holds()) does not fire: its next firing
 * moves to the window's end, where it fires once, and its slots inside the
 * window are not made up.  Returns the number of scans queued, or -1
 * after a store error (logged). */
int scheduler_tick(struct store *s);

/* The scheduler thread of `serve`, on a store handle of its own: each
 * round runs `round` first (NULL: nothing; serve passes window.h's
 * window_tick(), which plans on this clock) and then fires the due
 * schedules. */
struct scheduler;
struct scheduler *scheduler_start(const char *db_url, int (*round)(struct store *s), char *err,
				  size_t errlen);
void scheduler_stop(struct scheduler *sch);	/* NULL is a no-op */

#endif
