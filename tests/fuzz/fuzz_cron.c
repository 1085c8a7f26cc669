/*
 * fuzz_cron.c — libFuzzer target for the cron parser and the next firing.
 *
 * The input's first line is parsed as a cron expression; the second, if
 * any, picks a zone from a short list.  Beyond "no crash, no leak, no
 * undefined behaviour" it checks the invariants the scheduler relies on:
 * a refused expression has a one-line reason, an accepted one has a
 * non-empty set in every field, and its next firing is strictly later than
 * the time asked about, on a whole minute, and monotone (asking again from
 * the result gives a later one).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/cron.h"

static const char *const zones[] = { "UTC", "Europe/Berlin", "America/New_York",
				     "Australia/Lord_Howe", "Asia/Kathmandu" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char expr[CRON_EXPR_MAX + 64], err[256];
	const uint8_t *nl = memchr(data, '\n', size);
	size_t n = nl ? (size_t)(nl - data) : size;
	struct cron c;
	int64_t t, next, again;
	const char *tz = zones[0];

	if (n >= sizeof expr)
		n = sizeof expr - 1;
	memcpy(expr, data, n);
	expr[n] = 0;
	if (nl && (size_t)(nl - data) + 1 < size)
		tz = zones[data[nl - data + 1] % (sizeof zones / sizeof zones[0])];
	if (cron_parse(expr, &c, err, sizeof err) < 0) {
		if (!err[0] || strchr(err, '\n'))
			abort();
		return 0;
	}
	if (!c.minute || !c.hour || !c.dom || !c.month || !c.dow)
		abort();
	/* A time from the input's bytes, within 1970 .. 2100. */
	t = 0;
	for (size_t i = 0; i < size && i < 8; i++)
		t = t * 131 + data[i];
	t = (t < 0 ? -t : t) % (4102444800LL * 1000);
	next = cron_next(&c, tz, t);
	if (next < 0)
		return 0;	/* never within eight years: "0 0 30 2 *" */
	if (next <= t || next % 60000)
		abort();
	again = cron_next(&c, tz, next);
	if (again >= 0 && again <= next)
		abort();
	return 0;
}
