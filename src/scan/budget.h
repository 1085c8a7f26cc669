/*
 * budget.h — a scanner's share of the rate caps of its networks, fed by
 * its worker while it runs (budget.c).
 *
 * When a scan's targets fall under a rate cap (ratecap.h), its worker
 * starts the child with BUDGET_ENV=stdin and a pipe on its stdin, and
 * writes one line per slice of budget it took from the store:
 *
 *   WINDOW PROBES MS_LEFT\n
 *
 * WINDOW is the store's one-second window (seconds since the epoch on the
 * database's clock), PROBES how many probes this slice allows, MS_LEFT how
 * long the window still runs.  A probe may go only against a token of the
 * current window: what is left when the window ends is dropped (the store
 * gives that second's budget to nobody else, and a later second has its
 * own), and a new window's first slice drops the old one's rest.  Tokens
 * are released evenly over what is left of their window, so a slice taken
 * early does not go out as one burst.  The scan's own `rate` still bounds
 * it on top (portscan's own bucket).
 *
 * One budget per process, used by one thread (the portscan engine runs
 * one thread when fed).  Without BUDGET_ENV, budget_get() is NULL and
 * nothing is paced by it.
 */
#ifndef SCANQ_BUDGET_H
#define SCANQ_BUDGET_H

#include <stddef.h>

#define BUDGET_ENV "SCANQ_RATE_FEED"
#define BUDGET_LINE_MAX 64

struct budget {
	int fd;				/* where slices come from (-1: none, tests) */
	long long window;		/* the window the tokens belong to */
	double avail;			/* tokens of this window not yet spent */
	double credit;			/* of those, released for now */
	double expiry;			/* monotonic seconds: the window's end */
	double last;			/* last release */
	char buf[BUDGET_LINE_MAX];
	size_t blen;
	long long granted, spent;	/* totals, for the summary */
};

/* 1 if scans of `type` are paced by a budget (portscan, discovery): only
 * those are fed one; the others would take slices they never spend. */
int budget_paced_type(const char *type);

/* The process's budget when the worker feeds one (BUDGET_ENV=stdin: fd 0
 * is made non-blocking), else NULL.  The first call decides. */
struct budget *budget_get(void);

/* An empty budget fed from fd (-1: only budget_grant()), for tests. */
void budget_init(struct budget *b, int fd);

/* Adds a slice: `probes` tokens of window `window`, which ends `ms_left`
 * ms after `now` (monotonic seconds).  A slice of an older window than
 * the current one is dropped. */
void budget_grant(struct budget *b, long long window, long probes, long ms_left, double now);

/* Reads the slices that arrived on b->fd (never blocks); lines that do
 * not parse are dropped.  Returns 0, or -1 once the feed ended (EOF). */
int budget_read(struct budget *b, double now);

/* 1 and one token spent if a probe may go at `now`, else 0. */
int budget_take(struct budget *b, double now);

#endif
