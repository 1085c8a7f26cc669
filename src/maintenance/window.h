/*
 * window.h — maintenance windows above the store: checking a new window
 * as the CLI and the API take it, planning its occurrences from its cron
 * expression in its time zone (core/cron.h's DST rule: a start that falls
 * into the skipped spring hour opens at the jump, one in the repeated
 * autumn hour opens once, at its first occurrence), the overlap rule, and
 * the tick every `serve`'s scheduler thread runs (moving a closed window
 * to its next occurrence, and the hand-back at the start of a `handback`
 * window).  The rows and the claim's rule are store/windows.c's.
 *
 * Overlap: two windows overlap when some scan could be held by both at
 * once: their scopes meet (the same pool, or one of them every pool; and
 * one of them every target, or a block of each shares an address) and an
 * occurrence of each shares an instant within WINDOW_OVERLAP_DAYS from
 * now.  Such a pair is refused, so a held scan's running policy (finish
 * or handback) and the end its schedule waits for are never ambiguous.
 *
 * Times are planned on the scheduler's clock (scheduler.h: the test clock
 * too) and stored on the database's, which the claim reads.
 */
#ifndef SCANQ_WINDOW_H
#define SCANQ_WINDOW_H

#include <stddef.h>
#include <stdint.h>

struct store;
struct window;

#define WINDOW_OVERLAP_DAYS 8		/* how far ahead the overlap rule looks */
#define WINDOW_DURATION_MAX_MS (31LL * 86400000)	/* the longest window */

/*
 * Parses a duration: one or more NUMBER UNIT (s, m, h, d), as "9h",
 * "90m", "1h30m", "5s"; positive, at most WINDOW_DURATION_MAX_MS.
 * Returns the ms, or -1.
 */
int64_t window_parse_duration(const char *text);

/*
 * Checks a new window (name: as a schedule's; cron; zone, default UTC;
 * duration as window_parse_duration(); pool NULL/"" for every pool, else
 * local or a [pool.NAME] of the configuration; targets NULL/"" for every
 * target, else CIDR blocks or addresses separated by commas; running NULL
 * for finish, or finish or handback) and fills *out with its current or
 * next occurrence.  Returns 0, or -1 with code (invalid_name,
 * invalid_cron, invalid_tz, invalid_duration, unknown_pool,
 * invalid_targets, invalid_running) and a one-line message.
 */
int window_build(const char *name, const char *cron, const char *tz, const char *duration,
		 const char *pool, const char *targets, const char *running, const char *actor,
		 struct window *out, char *code, size_t codelen, char *msg, size_t msglen);

/*
 * Plans w's occurrence that is open now or opens next (its start is the
 * first cron slot after now minus its duration).  Returns 0, or -1 with a
 * reason (the expression never fires, the zone cannot be read).
 */
int window_plan(struct window *w, char *err, size_t errlen);

/* The overlap rule above, in time only (store_window_overlap_fn). */
int window_overlap(const struct window *a, const struct window *b, char *why, size_t len);

/*
 * One round: each window whose occurrence has closed moves to its next;
 * each `handback` window that has opened hands back the running scans it
 * holds, once per occurrence.  Logs what it did.  Returns 0, or -1 after a
 * store error (logged unless it is an outage).
 */
int window_tick(struct store *s);

#endif
