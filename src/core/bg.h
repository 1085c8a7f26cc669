/*
 * bg.h — a background thread of the process, and the one way it waits.
 *
 * The webhook sender, the scheduler, the HTTP server's connection
 * housekeeping and the store's group committer each run a loop on a
 * thread of their own: do a step, then sleep for a while (or until there
 * is work) unless asked to stop.  struct bg is that thread, its
 * mutex, the condition it sleeps on and the stop flag.  The condition
 * waits on CLOCK_MONOTONIC (clock.h's rule), so a step of the wall clock
 * never cuts a sleep short or stretches it; the thread starts with every
 * signal blocked, so signals stay with the main thread that handles them.
 */
#ifndef SCANQ_BG_H
#define SCANQ_BG_H

#include <pthread.h>
#include <stdint.h>

struct bg {
	pthread_t thread;
	pthread_mutex_t mu;	/* the owner may guard its own state with it too */
	pthread_cond_t cv;	/* on CLOCK_MONOTONIC */
	int stop;		/* under mu: bg_stop() was called */
	int running;		/* the thread was started and not yet joined */
};

/* Initialises b (mutex, monotonic condition, flags) and starts fn(arg) on
 * a new thread with every signal blocked.  Returns 0, or -1 (nothing left
 * to release) when the thread cannot start. */
int bg_start(struct bg *b, void *(*fn)(void *), void *arg);

/* Called by the thread: sleeps up to ms milliseconds (0: not at all, < 0:
 * until woken), or until bg_stop().  Takes b->mu itself.
 * Returns 1 if the thread should stop, else 0. */
int bg_wait(struct bg *b, int64_t ms);

/* The same, for a thread that holds b->mu: the lock is released while it
 * sleeps and held again when it returns. */
int bg_wait_locked(struct bg *b, int64_t ms);

/* Asks the thread to stop, wakes it and joins it (the caller must not hold
 * b->mu).  After it b->mu and b->cv are still usable until bg_release().
 * A no-op for a thread not running. */
void bg_stop(struct bg *b);

/* Destroys b's mutex and condition (after bg_stop()). */
void bg_release(struct bg *b);

#endif
