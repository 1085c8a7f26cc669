/*
 * bg.c — background threads that sleep on the monotonic clock (bg.h).
 */
#include <signal.h>
#include <time.h>
#include "core/bg.h"

int bg_start(struct bg *b, void *(*fn)(void *), void *arg)
{
	pthread_condattr_t ca;
	sigset_t all, old;
	int rc;

	b->stop = 0;
	b->running = 0;
	pthread_mutex_init(&b->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&b->cv, &ca);
	pthread_condattr_destroy(&ca);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&b->thread, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		bg_release(b);
		return -1;
	}
	b->running = 1;
	return 0;
}

int bg_wait_locked(struct bg *b, int64_t ms)
{
	struct timespec ts;

	if (b->stop || ms == 0)
		return b->stop;
	if (ms < 0) {
		pthread_cond_wait(&b->cv, &b->mu);
		return b->stop;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&b->cv, &b->mu, &ts);
	return b->stop;
}

int bg_wait(struct bg *b, int64_t ms)
{
	int stop;

	pthread_mutex_lock(&b->mu);
	stop = bg_wait_locked(b, ms);
	pthread_mutex_unlock(&b->mu);
	return stop;
}

void bg_stop(struct bg *b)
{
	if (!b->running)
		return;
	pthread_mutex_lock(&b->mu);
	b->stop = 1;
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mu);
	pthread_join(b->thread, NULL);
	b->running = 0;
}

void bg_release(struct bg *b)
{
	pthread_cond_destroy(&b->cv);
	pthread_mutex_destroy(&b->mu);
}
