/*
 * num.c — see num.h.  strtoll alone would accept " 5", "+5" and "5x" with
 * a check forgotten; this accepts exactly [-]digits.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "core/num.h"

int num_parse(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (!s || !*s || strlen(s) > 20 || !((*s >= '0' && *s <= '9') || *s == '-'))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

long long num_parse_duration_ms(const char *s)
{
	const long long max = 3650LL * 86400000;
	long long total = 0;

	if (!s || !*s)
		return -1;
	while (*s) {
		long long n = 0, unit;

		if (*s < '0' || *s > '9')
			return -1;
		while (*s >= '0' && *s <= '9') {
			n = n * 10 + (*s++ - '0');
			if (n > max)
				return -1;
		}
		switch (*s++) {
		case 's': unit = 1000; break;
		case 'm': unit = 60000; break;
		case 'h': unit = 3600000; break;
		case 'd': unit = 86400000; break;
		default: return -1;
		}
		if (n > (max - total) / unit)
			return -1;
		total += n * unit;
	}
	return total > 0 ? total : -1;
}
