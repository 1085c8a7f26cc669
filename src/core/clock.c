/*
 * clock.c — the monotonic clock (see clock.h).
 */
#include <time.h>

#include "core/clock.h"

int64_t clock_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t clock_mono_ms(void)
{
	return clock_mono_ns() / 1000000;
}

double clock_mono_s(void)
{
	return (double)clock_mono_ns() / 1e9;
}
