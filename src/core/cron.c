/*
 * cron.c — see cron.h.  The zone arithmetic uses the C library's own
 * reading of the zone database (localtime_r with TZ set to the zone),
 * under one lock: scanq keeps every stored time in UTC and formats times
 * as UTC, so the process's TZ variable is this file's alone.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "core/cron.h"

struct field {
	const char *name;
	int lo, hi;
	const char *const *names;	/* names for lo, lo+1, ... or NULL */
};

static const char *const month_names[] = { "jan", "feb", "mar", "apr", "may", "jun", "jul",
					   "aug", "sep", "oct", "nov", "dec", NULL };
static const char *const dow_names[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL };

static const struct field fields[5] = {
	{ "minute", 0, 59, NULL },
	{ "hour", 0, 23, NULL },
	{ "day-of-month", 1, 31, NULL },
	{ "month", 1, 12, month_names },
	{ "day-of-week", 0, 7, dow_names },
};

/* A number or a name at *p (advanced).  Returns 0 or -1 with err set. */
static int value(const struct field *f, const char **p, int *out, char *err, size_t errlen)
{
	const char *s = *p;

	if (isdigit((unsigned char)*s)) {
		long v = 0;

		while (isdigit((unsigned char)*s)) {
			v = v * 10 + (*s++ - '0');
			if (v > 1000)
				break;
		}
		if (isdigit((unsigned char)*s) || v < f->lo || v > f->hi) {
			snprintf(err, errlen, "%s field: %.*s is out of range %d-%d", f->name,
				 (int)strspn(*p, "0123456789") > 10 ? 10 : (int)strspn(*p, "0123456789"),
				 *p, f->lo, f->hi);
			return -1;
		}
		*out = (int)v;
		*p = s;
		return 0;
	}
	if (f->names && isalpha((unsigned char)s[0])) {
		for (int i = 0; f->names[i]; i++) {
			if (!strncasecmp(s, f->names[i], 3) && !isalpha((unsigned char)s[3])) {
				*out = f->lo + i;
				*p = s + 3;
				return 0;
			}
		}
	}
	{
		int n = (int)strcspn(s, ",-/");

		snprintf(err, errlen, "%s field: '%.*s' is not a number%s", f->name,
			 n > 20 ? 20 : n, s, f->names ? " or a name" : "");
	}
	return -1;
}

/* One comma-separated field into *bits.  Returns 0 or -1 with err set. */
static int parse_field(const struct field *f, const char *s, uint64_t *bits, int *star,
		       char *err, size_t errlen)
{
	const char *p = s;

	*bits = 0;
	*star = *s == '*';
	for (;;) {
		int lo, hi, step = 1, single = 0;

		if (*p == '*') {
			lo = f->lo;
			hi = f->hi;
			p++;
		} else {
			if (value(f, &p, &lo, err, errlen) < 0)
				return -1;
			hi = lo;
			single = 1;
			if (*p == '-') {
				p++;
				if (value(f, &p, &hi, err, errlen) < 0)
					return -1;
				single = 0;
				if (hi < lo) {
					snprintf(err, errlen, "%s field: range %d-%d runs backwards",
						 f->name, lo, hi);
					return -1;
				}
			}
		}
		if (*p == '/') {
			long v = 0;
			const char *d = ++p;

			while (isdigit((unsigned char)*p) && v <= 1000)
				v = v * 10 + (*p++ - '0');
			if (p == d || isdigit((unsigned char)*p) || v < 1 || v > f->hi - f->lo + 1) {
				snprintf(err, errlen, "%s field: step must be 1-%d", f->name,
					 f->hi - f->lo + 1);
				return -1;
			}
			step = (int)v;
			if (single)
				hi = f->hi;	/* "5/15": from 5 to the end */
		}
		for (int v = lo; v <= hi; v += step)
			*bits |= 1ULL << v;
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p) {
			snprintf(err, errlen, "%s field: unexpected '%c'", f->name, *p);
			return -1;
		}
		return 0;
	}
}

static const struct {
	const char *name, *expr;
} shortcuts[] = {
	{ "@yearly", "0 0 1 1 *" }, { "@annually", "0 0 1 1 *" }, { "@monthly", "0 0 1 * *" },
	{ "@weekly", "0 0 * * 0" }, { "@daily", "0 0 * * *" }, { "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

int cron_parse(const char *expr, struct cron *c, char *err, size_t errlen)
{
	char buf[CRON_EXPR_MAX + 1], *tok[6], *save = NULL, *t;
	int n = 0;

	memset(c, 0, sizeof *c);
	if (!expr || !*expr) {
		snprintf(err, errlen, "empty cron expression");
		return -1;
	}
	if (strlen(expr) > CRON_EXPR_MAX) {
		snprintf(err, errlen, "cron expression longer than %d bytes", CRON_EXPR_MAX);
		return -1;
	}
	while (*expr == ' ' || *expr == '\t')
		expr++;
	if (*expr == '@') {
		size_t i;

		for (i = 0; i < sizeof shortcuts / sizeof shortcuts[0]; i++)
			if (!strcasecmp(expr, shortcuts[i].name))
				break;
		if (i == sizeof shortcuts / sizeof shortcuts[0]) {
			snprintf(err, errlen, "unknown shortcut '%.20s' (@hourly, @daily, @weekly,"
				 " @monthly, @yearly)", expr);
			return -1;
		}
		expr = shortcuts[i].expr;
	}
	snprintf(buf, sizeof buf, "%s", expr);
	for (t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (n == 5) {
			snprintf(err, errlen, "more than 5 fields (minute hour day-of-month month"
				 " day-of-week)");
			return -1;
		}
		tok[n++] = t;
	}
	if (n < 5) {
		snprintf(err, errlen, "%d field%s given, 5 needed (minute hour day-of-month month"
			 " day-of-week)", n, n == 1 ? "" : "s");
		return -1;
	}
	{
		uint64_t b[5];
		int star[5];

		for (int i = 0; i < 5; i++)
			if (parse_field(&fields[i], tok[i], &b[i], &star[i], err, errlen) < 0)
				return -1;
		c->minute = b[0];
		c->hour = (uint32_t)b[1];
		c->dom = (uint32_t)b[2];
		c->month = (uint32_t)b[3];
		c->dow = (uint32_t)((b[4] | (b[4] >> 7)) & 0x7f);	/* 7 is Sunday */
		c->dom_star = star[2];
		c->dow_star = star[4];
	}
	return 0;
}

/* ---- zones ----------------------------------------------------------------- */

static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;

int cron_tz_check(const char *tz, char *err, size_t errlen)
{
	const char *dir = getenv("TZDIR");
	char path[512], magic[4];
	FILE *f;
	size_t n = tz ? strlen(tz) : 0;

	if (!n || n >= CRON_TZ_MAX || tz[0] == '/' || tz[0] == '.' || strstr(tz, "..")
	    || strspn(tz, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+-") != n) {
		snprintf(err, errlen, "time zone '%.64s' is not a zone name such as Europe/Berlin",
			 tz ? tz : "");
		return -1;
	}
	snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", tz);
	f = fopen(path, "rb");
	if (!f || fread(magic, 1, 4, f) != 4 || memcmp(magic, "TZif", 4)) {
		int e = errno;

		if (f)
			fclose(f);
		snprintf(err, errlen, "unknown time zone '%s' (not in the zone database%s)", tz,
			 e == ENOENT ? "; is tzdata installed?" : "");
		return -1;
	}
	fclose(f);
	return 0;
}

/* Switches the process's zone to tz; the caller holds tz_lock. */
static void use_zone(const char *tz)
{
	char want[CRON_TZ_MAX + 2];
	const char *cur = getenv("TZ");

	snprintf(want, sizeof want, ":%s", tz);
	if (!cur || strcmp(cur, want)) {
		setenv("TZ", want, 1);
		tzset();
	}
}

static int64_t offset_at(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!localtime_r(&tt, &tm))
		return 0;
	return tm.tm_gmtoff;
}

int cron_tz_offset(const char *tz, int64_t t_ms)
{
	int64_t off;

	pthread_mutex_lock(&tz_lock);
	use_zone(tz);
	off = offset_at(t_ms / 1000);
	pthread_mutex_unlock(&tz_lock);
	return (int)off;
}

/*
 * The instant at which the wall-clock time `w` (seconds, as if UTC) happens
 * first; for a time in a gap, the instant the clocks jumped over it.
 */
static int64_t resolve(int64_t w)
{
	int64_t oa = offset_at(w - 86400), ob = offset_at(w + 86400), best = INT64_MAX;
	int64_t offs[2] = { oa, ob };

	for (int i = 0; i < 2; i++) {
		int64_t t = w - offs[i];

		if (t + offset_at(t) == w && t < best)
			best = t;
	}
	if (best != INT64_MAX)
		return best;
	{
		/* A gap: the first instant whose wall-clock time is past w. */
		int64_t lo = w - (oa > ob ? oa : ob), hi = w - (oa < ob ? oa : ob);

		while (lo < hi) {
			int64_t mid = lo + (hi - lo) / 2;

			if (mid + offset_at(mid) > w)
				hi = mid;
			else
				lo = mid + 1;
		}
		return lo;
	}
}

static int day_matches(const struct cron *c, int mday, int wday)
{
	int d = (c->dom >> mday) & 1, w = (c->dow >> wday) & 1;

	return c->dom_star || c->dow_star ? d && w : d || w;
}

int64_t cron_next(const struct cron *c, const char *tz, int64_t after_ms)
{
	int64_t after = after_ms >= 0 ? after_ms / 1000 : (after_ms - 999) / 1000;
	int64_t found = -1, wall_after;
	time_t tt;
	struct tm tm;
	char err[128];

	if (cron_tz_check(tz, err, sizeof err) < 0)
		return -1;
	pthread_mutex_lock(&tz_lock);
	use_zone(tz);
	tt = (time_t)after;
	if (!localtime_r(&tt, &tm))
		goto out;
	wall_after = after + tm.tm_gmtoff;
	/* Walk the calendar days from the local date of `after`, as UTC dates. */
	{
		struct tm day = { 0 };
		int64_t base;

		day.tm_year = tm.tm_year;
		day.tm_mon = tm.tm_mon;
		day.tm_mday = tm.tm_mday;
		base = (int64_t)timegm(&day);
		for (int i = 0; i < 366 * 8 && found < 0; i++) {
			time_t d = (time_t)(base + (int64_t)i * 86400);
			struct tm dt;

			gmtime_r(&d, &dt);
			if (!((c->month >> (dt.tm_mon + 1)) & 1) || !day_matches(c, dt.tm_mday, dt.tm_wday))
				continue;
			for (int h = 0; h < 24 && found < 0; h++) {
				if (!((c->hour >> h) & 1))
					continue;
				for (int m = 0; m < 60; m++) {
					int64_t w = (int64_t)d + h * 3600 + m * 60, t;

					if (!((c->minute >> m) & 1) || w <= wall_after)
						continue;
					t = resolve(w);
					if (t > after) {
						found = t;
						break;
					}
				}
			}
		}
	}
out:
	pthread_mutex_unlock(&tz_lock);
	return found < 0 ? -1 : found * 1000;
}
