/*
 * cron.h — cron expressions and their next firing in a time zone.
 *
 * Five fields, minute hour day-of-month month day-of-week, each a list of
 * items separated by commas; an item is `*`, a number, a name (jan..dec,
 * sun..sat), a range `a-b`, any of those with a step `/n`, or `a/n`
 * (from a to the field's end).  Day-of-week 0 and 7 are Sunday.  The
 * shortcuts @yearly, @annually, @monthly, @weekly, @daily, @midnight and
 * @hourly stand for their usual five fields.
 *
 * Day-of-month and day-of-week follow Vixie cron: when either field starts
 * with `*` a day must match both, otherwise it matches when either does
 * ("0 0 1,15 * mon" fires on the 1st, the 15th and every Monday).
 *
 * Firings are wall-clock times in a zone of the system zone database
 * (tzdata, /usr/share/zoneinfo or $TZDIR).  The daylight-saving rule
 * (neither skip nor double):
 *  - a wall-clock time that does not exist (the hour skipped in spring)
 *    fires once, at the instant the clocks jump (03:00 in Berlin), however
 *    many slots of the expression fell into the gap;
 *  - a wall-clock time that happens twice (the hour repeated in autumn)
 *    fires once, at its first occurrence; the repeated hour fires nothing
 *    again.
 */
#ifndef SCANQ_CRON_H
#define SCANQ_CRON_H

#include <stddef.h>
#include <stdint.h>

#define CRON_EXPR_MAX 128	/* longest expression accepted, bytes */
#define CRON_TZ_MAX   64	/* longest zone name accepted, bytes */

struct cron {
	uint64_t minute;	/* bit m: minute m (0..59) */
	uint32_t hour;		/* bit h: 0..23 */
	uint32_t dom;		/* bit d: day of month 1..31 */
	uint32_t month;		/* bit m: 1..12 */
	uint32_t dow;		/* bit d: 0 (Sunday) .. 6 */
	int dom_star;		/* the field started with '*' (Vixie's rule) */
	int dow_star;
};

/*
 * Parses `expr`.  Returns 0, or -1 with a one-line reason in err that
 * names the field ("day-of-week field: 'fry' is not a number or a name").
 */
int cron_parse(const char *expr, struct cron *c, char *err, size_t errlen);

/*
 * Is `tz` a zone of the system zone database ("UTC", "Europe/Berlin")?
 * Returns 0, or -1 with a one-line reason.
 */
int cron_tz_check(const char *tz, char *err, size_t errlen);

/*
 * The first firing of `c` in zone `tz` strictly after `after_ms` (ms since
 * the epoch, UTC), in ms; -1 when none comes within eight years (an
 * expression such as "0 0 30 2 *") or the zone cannot be loaded.
 * Thread-safe (the zone is switched under a lock; nothing else in scanq
 * reads the local time zone).
 */
int64_t cron_next(const struct cron *c, const char *tz, int64_t after_ms);

/* The UTC offset of zone `tz` at `t_ms`, in seconds (tests, messages). */
int cron_tz_offset(const char *tz, int64_t t_ms);

#endif
