/*
 * subreaper.h — `scanq serve` as the child subreaper of everything its
 * workers start, so that no process of a scan outlives the scan.
 *
 * With PR_SET_CHILD_SUBREAPER, a process whose parent dies is re-parented
 * to serve instead of to init.  serve forks nothing but its workers, so
 * any other child of serve is, by construction, something a scan left
 * behind: its worker died (even by SIGKILL; the scan child then dies of
 * its PR_SET_PDEATHSIG and its own children come up here), or a process
 * left its scan's process group (setsid) and its parent ended.
 * subreaper_sweep() kills each such orphan with its whole process group
 * and reaps it.
 *
 * Limits: a standalone `scanq worker` (not under serve) that is SIGKILLed
 * leaves its scans' grandchildren to whatever reaps orphans above it
 * (systemd kills the unit's cgroup on stop; a shell does not).  A scan
 * must not daemonize helpers it still needs: once their parent is gone
 * they are orphans and are killed.
 */
#ifndef SCANQ_SUBREAPER_H
#define SCANQ_SUBREAPER_H

#include <sys/types.h>

#define SUBREAPER_SWEEP_MS 500	/* how often serve looks for orphans */
#define SUBREAPER_MAX      1024	/* orphans handled in one pass */

/* Makes this process the subreaper of its descendants.  Returns 0, or -1
 * with errno (the kernel predates 3.4). */
int subreaper_enable(void);

/*
 * Kills (SIGKILL) every child of this process whose pid is not in
 * keep[0..nkeep), together with its process group unless that group is
 * ours, and reaps it.  Processes of those groups that come up here as
 * their parents die are handled the same way, for up to wait_ms (0: one
 * pass, no waiting).  Each process killed is logged with the worker name
 * `why` gives.  Returns how many live processes were killed.
 */
int subreaper_sweep(const pid_t *keep, int nkeep, int wait_ms, const char *why);

#endif
