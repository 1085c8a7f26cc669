/*
 * supervisor.c — the worker supervisor of `scanq serve` (see
 * supervisor.h).  One ppoll() loop over the workers' heartbeat pipes, with
 * SIGCHLD, SIGTERM and SIGINT blocked except while it waits, so a signal
 * can never slip in between a check and the wait.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "clock.h"
#include "log.h"
#include "spawn.h"
#include "store/store.h"
#include "supervisor.h"

#define BEAT_FD 3	/* where a worker finds its heartbeat pipe */

struct slot {
	char name[16];
	pid_t pid;		/* 0 when not running */
	int fd;			/* read end of the heartbeat pipe, -1 when closed */
	int64_t started, last_beat, start_at;
	int failures;		/* consecutive young deaths */
	int stalled;		/* we killed it for silence */
};

static volatile sig_atomic_t sig_count;

static void on_signal(int sig)
{
	/* SIGCHLD only has to interrupt the wait; reap() finds who exited. */
	if (sig != SIGCHLD)
		sig_count++;
}

static int start_worker(const struct supervisor_config *cfg, struct slot *w)
{
	char conc[16], maxs[16], fdtxt[8];
	char *argv[16];
	int p[2], n = 0;
	pid_t parent = getpid();

	snprintf(conc, sizeof conc, "%d", cfg->concurrency);
	snprintf(maxs, sizeof maxs, "%d", cfg->max_scans);
	snprintf(fdtxt, sizeof fdtxt, "%d", BEAT_FD);
	argv[n++] = (char *)cfg->self;
	argv[n++] = "--db";
	argv[n++] = (char *)cfg->db_url;
	argv[n++] = "worker";
	argv[n++] = "--name";
	argv[n++] = w->name;
	argv[n++] = "--concurrency";
	argv[n++] = conc;
	argv[n++] = "--no-recovery";
	argv[n++] = "--heartbeat-fd";
	argv[n++] = fdtxt;
	if (cfg->max_scans > 0) {
		argv[n++] = "--max-scans";
		argv[n++] = maxs;
	}
	argv[n] = NULL;
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) {
		log_error("cannot create a pipe", "worker=%s error=\"%s\"", w->name, strerror(errno));
		return -1;
	}
	w->pid = fork();
	if (w->pid < 0) {
		log_error("cannot fork", "worker=%s error=\"%s\"", w->name, strerror(errno));
		w->pid = 0;
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (w->pid == 0) {
		sigset_t none;
		struct sigaction sa;

		/* If serve dies, even by SIGKILL, its workers shut down gracefully
		 * (their scans finish or go back to pending) instead of living on. */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
			_exit(127);

		memset(&sa, 0, sizeof sa);
		sa.sa_handler = SIG_DFL;
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGCHLD, &sa, NULL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* The pipe at BEAT_FD (without close-on-exec), nothing else above 2:
		 * the HTTP socket and the database stay with the master. */
		if (p[1] == BEAT_FD)
			fcntl(BEAT_FD, F_SETFD, 0);
		else if (dup2(p[1], BEAT_FD) < 0)
			_exit(127);
		syscall(SYS_close_range, BEAT_FD + 1u, ~0u, 0u);
		execv(cfg->self, argv);
		_exit(127);
	}
	close(p[1]);
	w->fd = p[0];
	w->started = w->last_beat = clock_mono_ms();
	w->stalled = 0;
	log_info("worker started", "worker=%s pid=%d concurrency=%d", w->name, (int)w->pid,
		 cfg->concurrency);
	return 0;
}

static void describe(int status, int stalled, int stall_ms, char *buf, size_t len)
{
	char sig[32];

	if (WIFEXITED(status))
		snprintf(buf, len, "exit %d", WEXITSTATUS(status));
	else if (stalled)
		snprintf(buf, len, "signal %d (SIGKILL: stalled, no heartbeat for %d ms)",
			 WTERMSIG(status), stall_ms);
	else
		snprintf(buf, len, "signal %d (%s)", WTERMSIG(status),
			 spawn_signal_name(WTERMSIG(status), sig, sizeof sig));
}

/* Reaps every exited worker and schedules its restart. */
static void reap(const struct supervisor_config *cfg, struct slot *ws, int stopping)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		int64_t now = clock_mono_ms(), delay = 0;
		char reason[96];
		struct slot *w = NULL;

		for (int i = 0; i < cfg->workers; i++)
			if (ws[i].pid == pid)
				w = &ws[i];
		if (!w)
			continue;
		describe(status, w->stalled, cfg->stall_ms, reason, sizeof reason);
		w->pid = 0;
		if (w->fd >= 0)
			close(w->fd);
		w->fd = -1;
		/* A clean exit was recorded by the worker itself, with its reason. */
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			store_worker_exited(cfg->store, w->name, reason);
		if (stopping) {
			log_info("worker exited", "worker=%s pid=%d reason=\"%s\"", w->name, (int)pid,
				 reason);
			continue;
		}
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			w->failures = 0;	/* a recycle after --max-scans */
		} else if (now - w->started < SUPERVISOR_YOUNG_MS) {
			delay = 100LL << (w->failures < 9 ? w->failures : 9);
			if (delay > SUPERVISOR_BACKOFF_MAX_MS)
				delay = SUPERVISOR_BACKOFF_MAX_MS;
			w->failures++;
		} else {
			w->failures = 0;
		}
		w->start_at = now + delay;
		log_warn("worker exited, restarting it", "worker=%s pid=%d reason=\"%s\" in_ms=%lld",
			 w->name, (int)pid, reason, (long long)delay);
	}
}

int supervisor_run(const struct supervisor_config *cfg, int64_t (*tick)(void *arg), void *arg)
{
	struct slot ws[SUPERVISOR_WORKERS_MAX];
	struct sigaction sa;
	sigset_t block, waitmask, old;
	int64_t next_tick = 0, kill_at = 0;
	int stopping = 0, handled = 0, alive;

	if (cfg->workers < 1 || cfg->workers > SUPERVISOR_WORKERS_MAX)
		return -1;
	memset(ws, 0, sizeof ws);
	for (int i = 0; i < cfg->workers; i++) {
		snprintf(ws[i].name, sizeof ws[i].name, "w-%d", i + 1);
		ws[i].fd = -1;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &old);
	waitmask = old;
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGCHLD);
	log_info("supervisor started", "workers=%d concurrency=%d stall_ms=%d max_scans=%d",
		 cfg->workers, cfg->concurrency, cfg->stall_ms, cfg->max_scans);

	for (;;) {
		struct pollfd pfd[SUPERVISOR_WORKERS_MAX];
		int idx[SUPERVISOR_WORKERS_MAX], n = 0;
		int64_t now = clock_mono_ms(), next;
		struct timespec ts;

		reap(cfg, ws, stopping);
		if (sig_count > handled) {
			handled = sig_count;
			if (!stopping) {
				stopping = 1;
				kill_at = now + cfg->grace_ms;
			}
			log_info("forwarding shutdown to workers", "signals=%d grace_ms=%d",
				 (int)handled, cfg->grace_ms);
			for (int i = 0; i < cfg->workers; i++)
				if (ws[i].pid > 0)
					kill(ws[i].pid, SIGTERM);
		}
		if (stopping && now >= kill_at) {
			for (int i = 0; i < cfg->workers; i++) {
				if (ws[i].pid > 0) {
					log_warn("worker did not stop in time, killing it",
						 "worker=%s pid=%d", ws[i].name, (int)ws[i].pid);
					kill(ws[i].pid, SIGKILL);
				}
			}
			kill_at = now + 1000;
		}
		alive = 0;
		for (int i = 0; i < cfg->workers; i++) {
			struct slot *w = &ws[i];

			if (!w->pid && !stopping && now >= w->start_at)
				if (start_worker(cfg, w) < 0)
					w->start_at = now + 1000;
			if (w->pid > 0 && !w->stalled && !stopping && now - w->last_beat > cfg->stall_ms) {
				log_warn("worker stalled, killing it", "worker=%s pid=%d silent_ms=%lld",
					 w->name, (int)w->pid, (long long)(now - w->last_beat));
				w->stalled = 1;
				kill(w->pid, SIGKILL);
			}
			alive += w->pid > 0;
		}
		if (stopping && !alive)
			break;
		if (now >= next_tick)
			next_tick = now + (tick ? tick(arg) : 1000);
		now = clock_mono_ms();
		next = next_tick;
		for (int i = 0; i < cfg->workers; i++) {
			if (ws[i].pid > 0 && ws[i].fd >= 0) {
				idx[n] = i;
				pfd[n++] = (struct pollfd){ .fd = ws[i].fd, .events = POLLIN };
				if (!ws[i].stalled && !stopping && ws[i].last_beat + cfg->stall_ms + 1 < next)
					next = ws[i].last_beat + cfg->stall_ms + 1;
			}
			if (!ws[i].pid && !stopping && ws[i].start_at < next)
				next = ws[i].start_at;
		}
		if (stopping && kill_at < next)
			next = kill_at;
		if (next < now)
			next = now;
		ts.tv_sec = (time_t)((next - now) / 1000);
		ts.tv_nsec = (long)((next - now) % 1000) * 1000000L;
		if (ppoll(pfd, (nfds_t)n, &ts, &waitmask) < 0 && errno != EINTR)
			log_warn("poll failed", "error=\"%s\"", strerror(errno));
		now = clock_mono_ms();
		for (int k = 0; k < n; k++) {
			struct slot *w = &ws[idx[k]];
			char buf[256];
			ssize_t r;

			if (!pfd[k].revents)
				continue;
			r = read(w->fd, buf, sizeof buf);
			if (r > 0) {
				w->last_beat = now;
			} else if (r == 0) {
				close(w->fd);	/* its exit is reaped on SIGCHLD */
				w->fd = -1;
			}
		}
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	log_info("supervisor stopped", "workers=%d", cfg->workers);
	return 0;
}
