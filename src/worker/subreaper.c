/*
 * subreaper.c — kills what scans leave behind (see subreaper.h).
 *
 * The children of this process are found in /proc: each thread's
 * task/TID/children file (an orphan may be re-parented to any thread), or
 * every /proc/PID/stat whose parent is us where the kernel lacks those
 * files.  A sweep costs a few small reads, whatever runs on the host.  A process group id cannot be reused while any member of
 * the group is alive or a zombie, so kill(-pgrp) of an orphan's group can
 * only reach processes of that scan.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include "core/clock.h"
#include "core/log.h"
#include "worker/subreaper.h"

struct orphan {
	pid_t pid, pgrp;
	char state;
};

int subreaper_enable(void)
{
	return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

/* Reads state, parent and group of pid.  Returns 0, or -1 when it is gone. */
static int proc_stat(pid_t pid, char *state, pid_t *ppid, pid_t *pgrp)
{
	char path[64], buf[512], *p;
	int ppid_i, pgrp_i;
	size_t n;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "r")))
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* "pid (comm) state ppid pgrp ...": comm may hold anything but ends
	 * at the last ')'. */
	if (!(p = strrchr(buf, ')')) || sscanf(p + 1, " %c %d %d", state, &ppid_i, &pgrp_i) != 3)
		return -1;
	*ppid = ppid_i;
	*pgrp = pgrp_i;
	return 0;
}

/* Adds pid to o when it is our child (still) and not in keep. */
static void consider(pid_t pid, pid_t self, const pid_t *keep, int nkeep, struct orphan *o,
		     int *n)
{
	struct orphan x = { .pid = pid };
	pid_t ppid;

	if (proc_stat(pid, &x.state, &ppid, &x.pgrp) < 0 || ppid != self)
		return;
	for (int i = 0; i < nkeep; i++)
		if (keep[i] == pid)
			return;
	o[(*n)++] = x;
}

/*
 * Fills o with our children not in keep.  Returns how many (at most max).
 * Each thread's /proc/self/task/TID/children lists its children (an
 * orphan may be re-parented to any of our threads); on a kernel without
 * those files every /proc/PID/stat is read instead.
 */
static int find_orphans(const pid_t *keep, int nkeep, struct orphan *o, int max)
{
	pid_t self = getpid();
	struct dirent *e;
	int n = 0, listed = 0;
	DIR *d;

	if ((d = opendir("/proc/self/task"))) {
		while ((e = readdir(d))) {
			char path[96];
			FILE *f;
			int pid;

			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof path, "/proc/self/task/%.40s/children", e->d_name);
			if (!(f = fopen(path, "r")))
				continue;
			listed = 1;
			while (n < max && fscanf(f, "%d", &pid) == 1)
				consider((pid_t)pid, self, keep, nkeep, o, &n);
			fclose(f);
		}
		closedir(d);
	}
	if (listed || !(d = opendir("/proc")))
		return n;
	while (n < max && (e = readdir(d))) {
		char *end;
		long v = strtol(e->d_name, &end, 10);

		if (!*end && v > 0)
			consider((pid_t)v, self, keep, nkeep, o, &n);
	}
	closedir(d);
	return n;
}

int subreaper_sweep(const pid_t *keep, int nkeep, int wait_ms, const char *why)
{
	/* Static: only the supervisor's thread sweeps. */
	static struct orphan o[SUBREAPER_MAX];
	static pid_t done[SUBREAPER_MAX];	/* killed in this call: logged once */
	int64_t end = clock_mono_ms() + wait_ms;
	pid_t mygroup = getpgrp();
	int killed = 0;

	for (;;) {
		int n = find_orphans(keep, nkeep, o, SUBREAPER_MAX);

		if (n == 0)
			break;
		for (int i = 0; i < n; i++) {
			int seen = 0;

			for (int k = 0; k < killed && !seen; k++)
				seen = done[k] == o[i].pid;
			if (o[i].state != 'Z') {
				if (o[i].pgrp > 1 && o[i].pgrp != mygroup)
					kill(-o[i].pgrp, SIGKILL);
				kill(o[i].pid, SIGKILL);
			}
			if (o[i].state != 'Z' && !seen && killed < SUBREAPER_MAX) {
				done[killed++] = o[i].pid;
				log_warn("killed a process a scan left behind", "pid=%d pgrp=%d after=\"%s\"",
					 (int)o[i].pid, (int)o[i].pgrp, why);
			}
			/* Its zombie (now, or once the SIGKILL lands) is ours to reap. */
			waitpid(o[i].pid, NULL, WNOHANG);
		}
		if (clock_mono_ms() >= end)
			break;
		struct timespec ts = { 0, 5 * 1000000L };
		nanosleep(&ts, NULL);
	}
	return killed;
}
