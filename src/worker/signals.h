/*
 * signals.h — how a long-running process of src/worker/ (a worker, the
 * supervisor of serve) takes its signals: a handler that only sets a flag,
 * the signals blocked except while the process sleeps in ppoll() or
 * sigsuspend() with the mask this returns, and SIGPIPE ignored (a write to
 * a closed pipe is an error to handle, not a death).
 */
#ifndef SCANQ_WORKER_SIGNALS_H
#define SCANQ_WORKER_SIGNALS_H

#include <signal.h>

/* Installs handler for each of sigs[0..n), ignores SIGPIPE, blocks the n
 * signals, sets *old (may be NULL) to the mask before the call, to restore
 * at the end, and *waitmask to the mask to sleep with: that one without
 * the n signals.  Threads started afterwards inherit the block,
 * so only the sleeping main thread ever takes them. */
void signals_catch(void (*handler)(int), const int *sigs, int n, sigset_t *old,
		   sigset_t *waitmask);

#endif
