/*
 * longpoll.c — suspended agent claims and the thread that resumes them
 * (longpoll.h).  The thread holds a store handle of its own only for the
 * wake-up source; it never runs a query.  Waiters sit in an array guarded
 * by the thread's mutex; a connection is suspended under that mutex, so
 * the thread can never resume one that is not suspended yet.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include "api/longpoll.h"
#include "core/bg.h"
#include "core/clock.h"
#include "core/log.h"
#include "store/store.h"

struct waiter {
	struct MHD_Connection *c;
	int64_t deadline_ms;
};

struct longpoll {
	struct bg bg;			/* bg.mu guards everything below */
	struct store *s;		/* for the wake-up source only */
	struct store_wakeup *wake;	/* NULL: none, the sweep alone */
	uint64_t gen;
	int stopping;
	struct waiter *w;		/* LONGPOLL_MAX of them */
	size_t n;
};

/* Resumes waiter i (under bg.mu): the last one takes its place. */
static void resume_at(struct longpoll *lp, size_t i)
{
	MHD_resume_connection(lp->w[i].c);
	lp->w[i] = lp->w[--lp->n];
}

/* One turn of the thread, under bg.mu: a new generation for everyone
 * when `all`, else the waits that are over. */
static void turn(struct longpoll *lp, int all, int64_t now)
{
	if (all)
		lp->gen++;
	for (size_t i = lp->n; i-- > 0;)
		if (all || lp->w[i].deadline_ms <= now)
			resume_at(lp, i);
}

/* Waits up to LONGPOLL_MIN_MS for the wake-up source; 1 if it fired. */
static int woken(struct longpoll *lp)
{
	struct pollfd p = { .fd = lp->wake ? store_wakeup_fd(lp->wake) : -1, .events = POLLIN };

	if (poll(&p, 1, LONGPOLL_MIN_MS) <= 0 || !(p.revents & POLLIN))
		return 0;
	store_wakeup_drain(lp->wake);
	return 1;
}

static void *run(void *arg)
{
	struct longpoll *lp = arg;
	int64_t last = clock_mono_ms();

	for (;;) {
		int fired = woken(lp);
		int64_t now = clock_mono_ms();

		pthread_mutex_lock(&lp->bg.mu);
		if (lp->bg.stop) {
			pthread_mutex_unlock(&lp->bg.mu);
			break;
		}
		/* A wake-up lands on the next LONGPOLL_MIN_MS tick at the latest:
		 * the poll above is the throttle. */
		if (fired || now - last >= LONGPOLL_SWEEP_MS) {
			turn(lp, 1, now);
			last = now;
		} else {
			turn(lp, 0, now);
		}
		pthread_mutex_unlock(&lp->bg.mu);
	}
	return NULL;
}

struct longpoll *longpoll_new(const char *url, char *err, size_t errlen)
{
	struct longpoll *lp = calloc(1, sizeof *lp);

	if (!lp || !(lp->w = calloc(LONGPOLL_MAX, sizeof *lp->w))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (!(lp->s = store_open_flags(url, STORE_NO_MIGRATE, err, errlen)))
		goto fail;
	if (!(lp->wake = store_wakeup_new(lp->s)))
		log_warn("agent long poll without a wake-up source", "every_ms=%d",
			 LONGPOLL_SWEEP_MS);
	if (bg_start(&lp->bg, run, lp) < 0) {
		snprintf(err, errlen, "cannot start the long-poll thread");
		goto fail;
	}
	return lp;
fail:
	if (lp) {
		store_wakeup_free(lp->wake);
		store_close(lp->s);
		free(lp->w);
		free(lp);
	}
	return NULL;
}

/* The generation and whether the waiters are stopping, read together
 * under the lock. */
static void state(struct longpoll *lp, uint64_t *gen, int *stopping)
{
	pthread_mutex_lock(&lp->bg.mu);
	*gen = lp->gen;
	*stopping = lp->stopping;
	pthread_mutex_unlock(&lp->bg.mu);
}

uint64_t longpoll_generation(struct longpoll *lp)
{
	uint64_t g;
	int stopping;

	state(lp, &g, &stopping);
	return g;
}

int longpoll_wait(struct longpoll *lp, struct MHD_Connection *c, uint64_t gen,
		  int64_t deadline_ms)
{
	int rc = -1;

	pthread_mutex_lock(&lp->bg.mu);
	if (!lp->stopping && lp->gen == gen && lp->n < LONGPOLL_MAX) {
		MHD_suspend_connection(c);
		lp->w[lp->n].c = c;
		lp->w[lp->n].deadline_ms = deadline_ms;
		lp->n++;
		rc = 0;
	}
	pthread_mutex_unlock(&lp->bg.mu);
	return rc;
}

int longpoll_client_gone(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct pollfd p;

	if (!ci)
		return 0;
	p = (struct pollfd){ .fd = ci->connect_fd, .events = POLLRDHUP };
	return poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

int longpoll_stopping(struct longpoll *lp)
{
	uint64_t g;
	int stopping;

	state(lp, &g, &stopping);
	return stopping;
}

void longpoll_stop(struct longpoll *lp)
{
	if (!lp)
		return;
	pthread_mutex_lock(&lp->bg.mu);
	lp->stopping = 1;
	turn(lp, 1, clock_mono_ms());
	pthread_mutex_unlock(&lp->bg.mu);
}

void longpoll_free(struct longpoll *lp)
{
	if (!lp)
		return;
	longpoll_stop(lp);
	bg_stop(&lp->bg);
	bg_release(&lp->bg);
	store_wakeup_free(lp->wake);
	store_close(lp->s);
	free(lp->w);
	free(lp);
}
