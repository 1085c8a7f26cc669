/*
 * clock.h — the monotonic clock, once.
 *
 * Timers, deadlines, rates and latencies are measured on CLOCK_MONOTONIC so
 * that a wall-clock step (NTP, an operator's `date -s`) never fires or
 * starves one.  Times stored in the database use the wall clock
 * (scan_now_ms() in scan.h) or the database's own clock, never this one.
 */
#ifndef SCANQ_CLOCK_H
#define SCANQ_CLOCK_H

#include <stdint.h>

/* Monotonic time in nanoseconds, milliseconds and seconds since an
 * arbitrary origin fixed at boot.  Never fails. */
int64_t clock_mono_ns(void);
int64_t clock_mono_ms(void);
double clock_mono_s(void);

#endif
