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
