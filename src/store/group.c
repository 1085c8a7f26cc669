/*
 * group.c — group commit of submissions (see store.h, store_group_*).
 *
 * Each API thread that queues a scan hands its request to one committer
 * thread and waits.  The committer takes everything that is waiting (up to
 * GROUP_MAX), queues it with one store_submit_many() — one transaction, one
 * fsync — and wakes each waiter with its own id.  There is no timer: while
 * one transaction commits, the next batch gathers, so a lone request is
 * committed at once and a burst is committed in few transactions.  If a
 * batch fails as a whole, its requests are queued one by one, so each gets
 * its own answer (and its own error).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/bg.h"
#include "store/db.h"

#define GROUP_MAX 256

struct waiter {
	const struct scan_request *req;
	int64_t id;
	int existed;
	int rc;				/* STORE_OK or an error; 1 while waiting */
	char err[256];
	struct waiter *next;
};

struct store_group {
	struct store *s;		/* the committer's own handle */
	struct bg bg;			/* the committer; bg.mu guards the queue, bg.cv says work */
	pthread_cond_t done;
	struct waiter *head, *tail;
	int64_t commits, requests;	/* for the benchmark and tests */
};

static void commit_batch(struct store_group *g, struct waiter **w, size_t n)
{
	struct scan_request reqs[GROUP_MAX];
	int64_t ids[GROUP_MAX];
	int existed[GROUP_MAX];
	int rc;

	for (size_t i = 0; i < n; i++)
		reqs[i] = *w[i]->req;
	rc = store_submit_many(g->s, reqs, n, ids, existed);
	for (size_t i = 0; i < n; i++) {
		if (rc == STORE_OK) {
			w[i]->id = ids[i];
			w[i]->existed = existed[i];
			w[i]->rc = STORE_OK;
			continue;
		}
		/* One by one: each request gets its own answer. */
		w[i]->rc = n == 1 ? rc : store_submit(g->s, w[i]->req, &w[i]->id, &w[i]->existed);
		if (w[i]->rc != STORE_OK)
			snprintf(w[i]->err, sizeof w[i]->err, "%s", store_error(g->s));
	}
	g->commits++;
	g->requests += (int64_t)n;
}

static void *committer(void *arg)
{
	struct store_group *g = arg;
	struct waiter *batch[GROUP_MAX];

	pthread_mutex_lock(&g->bg.mu);
	for (;;) {
		size_t n = 0;

		while (!g->head && !bg_wait_locked(&g->bg, -1))
			;
		if (!g->head && g->bg.stop)	/* what was queued is committed first */
			break;
		while (g->head && n < GROUP_MAX) {
			batch[n++] = g->head;
			g->head = g->head->next;
		}
		if (!g->head)
			g->tail = NULL;
		pthread_mutex_unlock(&g->bg.mu);
		commit_batch(g, batch, n);
		pthread_mutex_lock(&g->bg.mu);
		pthread_cond_broadcast(&g->done);
	}
	pthread_mutex_unlock(&g->bg.mu);
	return NULL;
}

struct store_group *store_group_new(const char *url, char *err, size_t errlen)
{
	struct store_group *g = calloc(1, sizeof *g);

	if (!g) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (!(g->s = store_open_flags(url, STORE_NO_MIGRATE | STORE_ON_DEMAND, err, errlen))) {
		free(g);
		return NULL;
	}
	pthread_cond_init(&g->done, NULL);
	if (bg_start(&g->bg, committer, g) < 0) {
		snprintf(err, errlen, "cannot start the commit thread");
		store_close(g->s);
		pthread_cond_destroy(&g->done);
		free(g);
		return NULL;
	}
	return g;
}

int store_group_submit(struct store_group *g, const struct scan_request *req, int64_t *id,
		       int *existed, char *err, size_t errlen)
{
	struct waiter w = { .req = req, .rc = 1 };

	pthread_mutex_lock(&g->bg.mu);
	if (g->tail)
		g->tail->next = &w;
	else
		g->head = &w;
	g->tail = &w;
	pthread_cond_signal(&g->bg.cv);
	while (w.rc == 1)
		pthread_cond_wait(&g->done, &g->bg.mu);
	pthread_mutex_unlock(&g->bg.mu);
	*id = w.id;
	if (existed)
		*existed = w.existed;
	if (w.rc != STORE_OK)
		snprintf(err, errlen, "%s", w.err);
	return w.rc;
}

void store_group_stats(struct store_group *g, int64_t *commits, int64_t *requests)
{
	pthread_mutex_lock(&g->bg.mu);
	*commits = g->commits;
	*requests = g->requests;
	pthread_mutex_unlock(&g->bg.mu);
}

void store_group_free(struct store_group *g)
{
	if (!g)
		return;
	bg_stop(&g->bg);
	store_close(g->s);
	bg_release(&g->bg);
	pthread_cond_destroy(&g->done);
	free(g);
}
