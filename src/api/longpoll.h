/*
 * longpoll.h — where an agent's claim waits for work (POST
 * /api/v1/agent/claim with wait_ms) without holding a server thread, a
 * database transaction or the write lock: the request's connection is
 * suspended (libmicrohttpd's MHD_suspend_connection) and one thread of
 * this module resumes it when the queue may have changed or its wait is
 * over; the handler then runs again and claims once more.
 *
 * "The queue may have changed" is the store's wake-up (store_wakeup_new():
 * inotify on SQLite's WAL, LISTEN on PostgreSQL), at most once per
 * LONGPOLL_MIN_MS, and once a second whatever it says (a wake-up may be
 * missed, and a retry's backoff ends without any write).  Each time is a
 * new generation: a handler that saw generation G claim nothing suspends
 * only if the generation is still G, so a submit between its claim and
 * its suspension is never slept through.
 */
#ifndef SCANQ_LONGPOLL_H
#define SCANQ_LONGPOLL_H

#include <stdint.h>
#include <microhttpd.h>

#define LONGPOLL_MIN_MS    100	/* waiters are woken at most this often */
#define LONGPOLL_SWEEP_MS  1000	/* and at least this often */
#define LONGPOLL_MAX       4096	/* requests waiting at once; more answer at once */

struct longpoll;

/* Starts the waker over the database `url`.  NULL with a reason in err. */
struct longpoll *longpoll_new(const char *url, char *err, size_t errlen);

/* The current generation. */
uint64_t longpoll_generation(struct longpoll *lp);

/*
 * Suspends connection c (from its request handler, which then returns
 * MHD_YES without an answer) until a generation after `gen` or the
 * monotonic time deadline_ms.  Returns 0 when suspended, or -1 when the
 * handler must answer now: the generation moved already, the server is
 * stopping, or LONGPOLL_MAX requests wait.
 */
int longpoll_wait(struct longpoll *lp, struct MHD_Connection *c, uint64_t gen,
		  int64_t deadline_ms);

/*
 * 1 if the client of a suspended connection has hung up.  A suspended
 * connection is not watched by libmicrohttpd, so a claim resumed for a
 * client that died meanwhile (an agent SIGKILLed mid-poll) would claim
 * scans for nobody, to be recovered only when their lease runs out: the
 * claim asks this first.  (A client cut off without a FIN cannot be told
 * apart; its scans come back after the lease.)
 */
int longpoll_client_gone(struct MHD_Connection *c);

/* 1 once longpoll_stop() ran. */
int longpoll_stopping(struct longpoll *lp);

/* Resumes every waiting request and suspends none from now on: before
 * MHD_stop_daemon(), which refuses suspended connections. */
void longpoll_stop(struct longpoll *lp);

/* Stops the thread and frees lp (after the daemon stopped); NULL is a no-op. */
void longpoll_free(struct longpoll *lp);

#endif
