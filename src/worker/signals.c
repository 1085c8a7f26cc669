/*
 * signals.c — the signal set-up of a worker or a supervisor (signals.h).
 */
#include <string.h>
#include "worker/signals.h"

void signals_catch(void (*handler)(int), const int *sigs, int n, sigset_t *old,
		   sigset_t *waitmask)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	for (int i = 0; i < n; i++)
		sigaction(sigs[i], &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&block);
	for (int i = 0; i < n; i++)
		sigaddset(&block, sigs[i]);
	sigprocmask(SIG_BLOCK, &block, waitmask);
	if (old)
		*old = *waitmask;
	for (int i = 0; i < n; i++)
		sigdelset(waitmask, sigs[i]);
}
