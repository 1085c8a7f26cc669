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
#include "core/clock.h"
#include "core/log.h"
#include "worker/signals.h"
#include "worker/spawn.h"
#include "store/store.h"
#include "worker/subreaper.h"
#include "worker/supervisor.h"

#define BEAT_FD 3	/* where a worker finds its heartbeat pipe */
#define SWEEP_WAIT_MS 1000	/* after a worker died: how long its scans' processes may take to go */
#define RECHECK_MS 1000		/* after a hand-back: when to look at the dead worker's scans again */

struct slot {
	char name[16];
	pid_t pid;		/* 0 when not running */
	int fd;			/* read end of the heartbeat pipe, -1 when closed */
	int64_t last_beat, start_at;
	int failures;		/* consecutive deaths before registering */
	int stalled;		/* we killed it for silence */
	int registered;		/* its first heartbeat came: it is registered in the store */
	uint32_t instance;	/* of the running child's identity (worker_identity()) */
	/* The last one of this slot that died without a clean exit: its
	 * identity, how it ended, and when to hand back its scans once more
	 * (0: not due; see recheck()). */
	char gone[SCAN_WORKER_MAX], gone_why[96];
	int64_t recheck_at;
	int exit_unrecorded;		/* its exit's write failed: retried each recheck */
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
	char conc[16], maxs[16], fdtxt[8], inst[16];
	char *argv[20];
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
	w->instance = worker_instance();
	snprintf(inst, sizeof inst, "%08x", (unsigned)w->instance);
	argv[n++] = "--instance";
	argv[n++] = inst;
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
	w->last_beat = clock_mono_ms();
	w->stalled = 0;
	w->registered = 0;
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

/* Hands back the scans the dead worker `id` holds; returns how many. */
static int hand_back(struct store *s, const char *id, const char *reason)
{
	int back = 0;

	if (store_release_worker(s, id, reason, &back) != STORE_OK) {
		log_warn("hand-back failed; the leases will expire", "worker=%s error=\"%s\"", id,
			 store_error(s));
		return 0;
	}
	return back;
}

/*
 * The second look at a dead worker's scans.  On PostgreSQL the server
 * carries out a claim the worker sent just before it died, and its
 * session can commit that claim after worker_gone() read what the worker
 * held: without this look the scan would wait out its lease.  An exit
 * whose write failed (a worker stopped while it held SQLite's lock leaves
 * the store failing fast for a moment after its death) is written now,
 * and looked at again RECHECK_MS later until it is.
 */
static void recheck(struct store *s, struct slot *w)
{
	int back;

	if (w->exit_unrecorded && store_worker_exited(s, w->gone, w->gone_why) == STORE_OK)
		w->exit_unrecorded = 0;
	if ((back = hand_back(s, w->gone, w->gone_why)))
		log_info("scans a dead worker's session claimed as it died, handed back",
			 "worker=%s scans=%d", w->name, back);
	w->recheck_at = w->exit_unrecorded ? clock_mono_ms() + RECHECK_MS : 0;
}

/*
 * A worker died (a clean exit was recorded by the worker itself, with its
 * reason): record how, and hand the scans it held back to the queue now,
 * fenced by its identity, rather than after their leases run out; and
 * once more RECHECK_MS later.
 */
static void worker_gone(struct store *s, struct slot *w, pid_t pid, const char *reason)
{
	char host[64] = "host";
	int back;

	if (w->recheck_at)	/* the slot's previous death: its second look now */
		recheck(s, w);
	gethostname(host, sizeof host - 1);
	worker_identity(w->gone, sizeof w->gone, w->name, host, (int)pid, w->instance);
	snprintf(w->gone_why, sizeof w->gone_why, "%s", reason);
	if ((w->exit_unrecorded = store_worker_exited(s, w->gone, reason) != STORE_OK))
		log_warn("the worker's exit is not recorded yet, trying again", "worker=%s error=\"%s\"",
			 w->name, store_error(s));
	if ((back = hand_back(s, w->gone, reason)))
		log_info("scans of a dead worker handed back", "worker=%s pid=%d scans=%d", w->name,
			 (int)pid, back);
	w->recheck_at = clock_mono_ms() + RECHECK_MS;
}

/* The pids of the workers alive now. */
static int live_workers(const struct supervisor_config *cfg, const struct slot *ws, pid_t *out)
{
	int n = 0;

	for (int i = 0; i < cfg->workers; i++)
		if (ws[i].pid > 0)
			out[n++] = ws[i].pid;
	return n;
}

/*
 * A worker process was reaped: w->name and pid say which (w->pid is 0
 * already), reason how it ended, clean whether it exited 0.  This is the
 * one place where serve learns, at once, that a given worker is gone.
 *
 * Order matters: first nothing that worker's scans started may live on
 * (the scan children die of their PR_SET_PDEATHSIG and come up here,
 * serve being their subreaper; they are killed with their process groups
 * and reaped), and only then is the worker's exit recorded and are its
 * running scans handed back to the queue (worker_gone()), so that a scan
 * is never pending again while a process of its previous attempt is
 * alive.
 */
static void worker_reaped(const struct supervisor_config *cfg, const struct slot *ws,
			  struct slot *w, pid_t pid, const char *reason, int clean)
{
	pid_t keep[SUPERVISOR_WORKERS_MAX];
	char why[64];
	int killed;

	snprintf(why, sizeof why, "worker %s (pid %d) exited", w->name, (int)pid);
	killed = subreaper_sweep(keep, live_workers(cfg, ws, keep), SWEEP_WAIT_MS, why);
	if (killed)
		log_warn("killed what the worker's scans left running", "worker=%s pid=%d "
			 "processes=%d", w->name, (int)pid, killed);
	/* A clean exit was recorded by the worker itself, with its reason, and
	 * it handed its scans back itself. */
	if (!clean)
		worker_gone(cfg->store, w, pid, reason);
}

/*
 * Reaps every exited child.  A worker that had registered (it ran, then
 * died or was killed) is restarted at once; one that died before it
 * registered is failing to start and is restarted with exponential
 * backoff.  Any other child is an orphan a scan left behind (subreaper.h).
 */
static void reap(const struct supervisor_config *cfg, struct slot *ws, int stopping)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		int64_t now = clock_mono_ms(), delay = 0;
		int clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
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
		worker_reaped(cfg, ws, w, pid, reason, clean);
		if (stopping) {
			log_info("worker exited", "worker=%s pid=%d reason=\"%s\"", w->name, (int)pid,
				 reason);
			continue;
		}
		if (clean || w->registered) {
			w->failures = 0;	/* a recycle after --max-scans, or it ran and died */
		} else {
			delay = 100LL << (w->failures < 9 ? w->failures : 9);
			if (delay > SUPERVISOR_BACKOFF_MAX_MS)
				delay = SUPERVISOR_BACKOFF_MAX_MS;
			w->failures++;
		}
		w->start_at = now + delay;
		log_warn("worker exited, restarting it", "worker=%s pid=%d reason=\"%s\" "
			 "registered=%s in_ms=%lld", w->name, (int)pid, reason,
			 w->registered ? "yes" : "no", (long long)delay);
	}
}

/* The loop's state: the slots, its timers and where the shutdown stands. */
struct supervisor {
	const struct supervisor_config *cfg;
	struct slot ws[SUPERVISOR_WORKERS_MAX];
	int64_t next_tick, next_sweep;
	int stopping, handled;
	int64_t kill_at;		/* stopping: when the workers left get SIGKILL */
	sigset_t waitmask;		/* ppoll()'s: SIGTERM, SIGINT and SIGCHLD let through */
};

/*
 * A signal forwards SIGTERM to every worker (each signal: a second one
 * makes them stop at once); the workers still alive after the grace
 * period get SIGKILL, every second until they are gone.
 */
static void shutdown_step(struct supervisor *sv, int64_t now)
{
	const struct supervisor_config *cfg = sv->cfg;

	if (sig_count > sv->handled) {
		sv->handled = sig_count;
		if (!sv->stopping) {
			sv->stopping = 1;
			sv->kill_at = now + cfg->grace_ms;
		}
		log_info("forwarding shutdown to workers", "signals=%d grace_ms=%d",
			 (int)sv->handled, cfg->grace_ms);
		for (int i = 0; i < cfg->workers; i++)
			if (sv->ws[i].pid > 0)
				kill(sv->ws[i].pid, SIGTERM);
	}
	if (sv->stopping && now >= sv->kill_at) {
		for (int i = 0; i < cfg->workers; i++) {
			if (sv->ws[i].pid > 0) {
				log_warn("worker did not stop in time, killing it",
					 "worker=%s pid=%d", sv->ws[i].name, (int)sv->ws[i].pid);
				kill(sv->ws[i].pid, SIGKILL);
			}
		}
		sv->kill_at = now + 1000;
	}
}

/* Starts the workers that are due to (re)start, kills the stalled ones,
 * takes the second look at dead ones' scans that is due;
 * returns how many are alive. */
static int tend_workers(struct supervisor *sv, int64_t now)
{
	int alive = 0;

	for (int i = 0; i < sv->cfg->workers; i++) {
		struct slot *w = &sv->ws[i];

		if (w->recheck_at && now >= w->recheck_at)
			recheck(sv->cfg->store, w);
		if (!w->pid && !sv->stopping && now >= w->start_at)
			if (start_worker(sv->cfg, w) < 0)
				w->start_at = now + 1000;
		if (w->pid > 0 && !w->stalled && !sv->stopping && now - w->last_beat > sv->cfg->stall_ms) {
			log_warn("worker stalled, killing it", "worker=%s pid=%d silent_ms=%lld",
				 w->name, (int)w->pid, (long long)(now - w->last_beat));
			w->stalled = 1;
			kill(w->pid, SIGKILL);
		}
		alive += w->pid > 0;
	}
	return alive;
}

/*
 * Waits in one ppoll() for the workers' heartbeats or a signal until the
 * next tick, sweep, stall deadline, restart or SIGKILL is due, then reads
 * the beats that came.
 */
static void wait_beats(struct supervisor *sv)
{
	const struct supervisor_config *cfg = sv->cfg;
	struct pollfd pfd[SUPERVISOR_WORKERS_MAX];
	int idx[SUPERVISOR_WORKERS_MAX], n = 0;
	int64_t now = clock_mono_ms(), next = sv->next_tick;
	struct timespec ts;

	if (sv->next_sweep < next)
		next = sv->next_sweep;
	for (int i = 0; i < cfg->workers; i++) {
		const struct slot *w = &sv->ws[i];

		if (w->pid > 0 && w->fd >= 0) {
			idx[n] = i;
			pfd[n++] = (struct pollfd){ .fd = w->fd, .events = POLLIN };
			if (!w->stalled && !sv->stopping && w->last_beat + cfg->stall_ms + 1 < next)
				next = w->last_beat + cfg->stall_ms + 1;
		}
		if (!w->pid && !sv->stopping && w->start_at < next)
			next = w->start_at;
		if (w->recheck_at && w->recheck_at < next)
			next = w->recheck_at;
	}
	if (sv->stopping && sv->kill_at < next)
		next = sv->kill_at;
	if (next < now)
		next = now;
	ts.tv_sec = (time_t)((next - now) / 1000);
	ts.tv_nsec = (long)((next - now) % 1000) * 1000000L;
	if (ppoll(pfd, (nfds_t)n, &ts, &sv->waitmask) < 0 && errno != EINTR)
		log_warn("poll failed", "error=\"%s\"", strerror(errno));
	now = clock_mono_ms();
	for (int k = 0; k < n; k++) {
		struct slot *w = &sv->ws[idx[k]];
		char buf[256];
		ssize_t r;

		if (!pfd[k].revents)
			continue;
		r = read(w->fd, buf, sizeof buf);
		if (r > 0) {
			w->last_beat = now;
			w->registered = 1;	/* worker_run beats only once registered */
		} else if (r == 0) {
			close(w->fd);	/* its exit is reaped on SIGCHLD */
			w->fd = -1;
		}
	}
}

int supervisor_run(const struct supervisor_config *cfg, int64_t (*tick)(void *arg), void *arg)
{
	static const int caught[] = { SIGTERM, SIGINT, SIGCHLD };
	struct supervisor sv;
	sigset_t old;
	pid_t keep[SUPERVISOR_WORKERS_MAX];

	if (cfg->workers < 1 || cfg->workers > SUPERVISOR_WORKERS_MAX)
		return -1;
	memset(&sv, 0, sizeof sv);
	sv.cfg = cfg;
	for (int i = 0; i < cfg->workers; i++) {
		if (cfg->names)
			snprintf(sv.ws[i].name, sizeof sv.ws[i].name, "%s", cfg->names[i]);
		else
			snprintf(sv.ws[i].name, sizeof sv.ws[i].name, "w-%d", i + 1);
		sv.ws[i].fd = -1;
	}
	signals_catch(on_signal, caught, 3, &old, &sv.waitmask);
	if (subreaper_enable() < 0)
		log_warn("cannot become the subreaper of the workers' scans: a killed worker's "
			 "grandchildren may live on", "error=\"%s\"", strerror(errno));
	log_info("supervisor started", "workers=%d concurrency=%d stall_ms=%d max_scans=%d",
		 cfg->workers, cfg->concurrency, cfg->stall_ms, cfg->max_scans);

	for (;;) {
		int64_t now = clock_mono_ms();

		reap(cfg, sv.ws, sv.stopping);
		shutdown_step(&sv, now);
		if (!tend_workers(&sv, now) && sv.stopping)
			break;
		if (now >= sv.next_tick)
			sv.next_tick = now + (tick ? tick(arg) : 1000);
		/* Orphans of scans that ended while their worker lives on (a
		 * process that left its group with setsid). */
		if (now >= sv.next_sweep) {
			sv.next_sweep = now + SUBREAPER_SWEEP_MS;
			subreaper_sweep(keep, live_workers(cfg, sv.ws, keep), 0, "its parent ended");
		}
		wait_beats(&sv);
	}
	subreaper_sweep(keep, 0, SWEEP_WAIT_MS, "serve stopped");
	for (int i = 0; i < cfg->workers; i++)
		if (sv.ws[i].recheck_at)
			recheck(cfg->store, &sv.ws[i]);
	sigprocmask(SIG_SETMASK, &old, NULL);
	log_info("supervisor stopped", "workers=%d", cfg->workers);
	return 0;
}
