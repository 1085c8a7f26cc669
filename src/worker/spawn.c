/*
 * spawn.c — supervised child processes (see spawn.h).
 *
 * The child is started with fork + execve.  Between the two it only makes
 * async-signal-safe system calls: its own process group, default signal
 * dispositions and an empty mask, /dev/null on stdin, the pipes on stdout
 * and stderr, every other descriptor closed (close_range), the resource
 * limits, then exec.  A failed exec is reported through a close-on-exec
 * pipe, so spawn_start() knows at once whether the program ran.
 *
 * The parent watches a pidfd for the child's exit.  On exit it first kills
 * what is left of the group (the zombie still pins the group id), then
 * reaps, then drains what the child wrote before it died.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "core/clock.h"
#include "worker/spawn.h"

#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
#define AS_LIMIT_WORKS 0
#else
#define AS_LIMIT_WORKS 1
#endif

#define READ_CHUNK 65536
#define READS_PER_STEP 16	/* bound the time one step spends on one flooding child */

struct spawn_child {
	pid_t pid;
	int out_fd, err_fd, pid_fd;	/* -1 when closed */
	int64_t started_ms, ended_ms;
	int64_t soft_at, hard_at;	/* absolute monotonic ms; 0 = none */
	int64_t kill_at;		/* SIGKILL escalation of spawn_stop(); 0 = none */
	int64_t sample_at;		/* next VmPeak sample; 0 = no sampling */
	long memory_limit_mb;
	size_t output_limit, output_total;
	char *line;			/* partial stdout line */
	size_t line_len, line_cap;
	char tail[SPAWN_STDERR_TAIL];	/* ring */
	size_t tail_pos, tail_len;
	long peak_kb;
	int soft_sent, hard_sent, stopped, too_large;
	int reaped, status;
	enum spawn_end end;
	void (*on_line)(void *arg, char *line, size_t len);
	void *arg;
};


static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void group_kill(struct spawn_child *c, int sig)
{
	if (!c->reaped)
		kill(-c->pid, sig);
}

/* The child's side, between fork and exec: only async-signal-safe calls. */
static void child_exec(const struct spawn_opts *o, char *const *envp, int devnull,
		       int out_w, int err_w, int report_w, pid_t parent)
{
	struct sigaction sa;
	sigset_t none;
	int e;

	setpgid(0, 0);
	/* If the worker dies (even by SIGKILL) its child dies with it; a
	 * scanq scanner then takes its whole group along (scanner.c). */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		goto fail;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(o->stdin_fd > 0 ? o->stdin_fd : devnull, 0) < 0 || dup2(out_w, 1) < 0
	    || dup2(err_w, 2) < 0)
		goto fail;
	/* Everything above 2 goes, except the exec report pipe (close-on-exec). */
	if (report_w > 3)
		syscall(SYS_close_range, 3u, (unsigned)report_w - 1, 0u);
	syscall(SYS_close_range, (unsigned)report_w + 1, ~0u, 0u);
	if (o->memory_limit_mb > 0 && AS_LIMIT_WORKS) {
		struct rlimit rl;
		rl.rlim_cur = rl.rlim_max = (rlim_t)o->memory_limit_mb << 20;
		if (setrlimit(RLIMIT_AS, &rl) < 0)
			goto fail;
	}
	if (o->cpu_limit_s > 0) {
		struct rlimit rl;
		rl.rlim_cur = (rlim_t)o->cpu_limit_s;	/* SIGXCPU, then SIGKILL at max */
		rl.rlim_max = (rlim_t)o->cpu_limit_s + 5;
		if (setrlimit(RLIMIT_CPU, &rl) < 0)
			goto fail;
	}
	execve(o->argv[0], o->argv, envp);
fail:
	e = errno;
	if (write(report_w, &e, sizeof e) < 0)
		_exit(127);
	_exit(127);
}

/* vfork and exec in a frame of their own: nothing the caller keeps in
 * registers lives across the vfork.  Returns the child's pid, or -1. */
static __attribute__((noinline)) pid_t start_child(const struct spawn_opts *o,
						    char *const *envp, int devnull, int out_w,
						    int err_w, int report_w, pid_t parent)
{
	pid_t pid = vfork();

	if (pid == 0)
		child_exec(o, envp, devnull, out_w, err_w, report_w, parent);
	return pid;
}

/* Builds PATH=... plus the caller's entries into envp (SPAWN_ENV_MAX + 2). */
static int build_env(const struct spawn_opts *o, char **envp, char *err, size_t errlen)
{
	static char path[] = "PATH=/usr/bin:/bin";
	int n = 0;

	envp[n++] = path;
	for (int i = 0; o->env && o->env[i]; i++) {
		if (i >= SPAWN_ENV_MAX) {
			snprintf(err, errlen, "more than %d environment entries", SPAWN_ENV_MAX);
			return -1;
		}
		envp[n++] = o->env[i];
	}
	envp[n] = NULL;
	return 0;
}

struct spawn_child *spawn_start(const struct spawn_opts *o, int *exec_errno,
				char *err, size_t errlen)
{
	char *envp[SPAWN_ENV_MAX + 2];
	int out[2] = { -1, -1 }, errp[2] = { -1, -1 }, report[2] = { -1, -1 };
	int devnull = -1, child_errno = 0;
	pid_t parent = getpid();
	struct spawn_child *c = NULL;
	ssize_t r;

	if (exec_errno)
		*exec_errno = 0;
	if (!o->argv || !o->argv[0] || o->argv[0][0] != '/') {
		snprintf(err, errlen, "the program must be an absolute path");
		return NULL;
	}
	if (build_env(o, envp, err, errlen) < 0)
		return NULL;
	c = calloc(1, sizeof *c);
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->out_fd = c->err_fd = c->pid_fd = -1;
	c->pid = -1;
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0
	    || pipe2(report, O_CLOEXEC) < 0
	    || (devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "cannot create pipes: %s", strerror(errno));
		goto fail;
	}
	c->started_ms = clock_mono_ms();
	/*
	 * vfork: the child borrows this process's memory until it execs, so no
	 * page table is copied (a worker maps some 40 libraries; fork cost a
	 * large part of pickup latency).  child_exec() only makes system calls
	 * on its own stack frame and never returns, as vfork requires; this
	 * process is single-threaded and waits on the report pipe anyway.
	 */
	c->pid = start_child(o, envp, devnull, out[1], errp[1], report[1], parent);
	if (c->pid < 0) {
		snprintf(err, errlen, "cannot fork: %s", strerror(errno));
		goto fail;
	}
	/* Both sides set the group, so no signal can race the child's setpgid. */
	setpgid(c->pid, c->pid);
	close_fd(&out[1]);
	close_fd(&errp[1]);
	close_fd(&report[1]);
	close_fd(&devnull);
	do
		r = read(report[0], &child_errno, sizeof child_errno);
	while (r < 0 && errno == EINTR);
	close_fd(&report[0]);
	if (r == (ssize_t)sizeof child_errno) {
		snprintf(err, errlen, "cannot run %s: %s", o->argv[0], strerror(child_errno));
		if (exec_errno)
			*exec_errno = child_errno;
		while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
			;
		c->pid = -1;
		goto fail;
	}
	c->out_fd = out[0];
	c->err_fd = errp[0];
	fcntl(c->out_fd, F_SETFL, O_NONBLOCK);
	fcntl(c->err_fd, F_SETFL, O_NONBLOCK);
	/* Without a pidfd (old kernel) the caller's poll timeout finds the exit. */
	c->pid_fd = (int)syscall(SYS_pidfd_open, c->pid, 0);
	c->memory_limit_mb = AS_LIMIT_WORKS ? o->memory_limit_mb : 0;
	c->output_limit = o->output_limit ? o->output_limit : SPAWN_OUTPUT_DEFAULT;
	c->soft_at = o->soft_ms > 0 ? c->started_ms + o->soft_ms : 0;
	c->hard_at = o->hard_ms > 0 ? c->started_ms + o->hard_ms : 0;
	c->sample_at = c->memory_limit_mb > 0 ? c->started_ms : 0;
	c->on_line = o->on_line;
	c->arg = o->arg;
	return c;
fail:
	close_fd(&out[0]);
	close_fd(&out[1]);
	close_fd(&errp[0]);
	close_fd(&errp[1]);
	close_fd(&report[0]);
	close_fd(&report[1]);
	close_fd(&devnull);
	free(c);
	return NULL;
}

int spawn_memory_limit_supported(void)
{
	return AS_LIMIT_WORKS;
}

int spawn_pid(const struct spawn_child *c)
{
	return c->pid;
}

int spawn_pollfds(const struct spawn_child *c, struct pollfd *pfd)
{
	int n = 0;

	if (c->reaped)
		return 0;
	if (c->out_fd >= 0)
		pfd[n++] = (struct pollfd){ .fd = c->out_fd, .events = POLLIN };
	if (c->err_fd >= 0)
		pfd[n++] = (struct pollfd){ .fd = c->err_fd, .events = POLLIN };
	if (c->pid_fd >= 0)
		pfd[n++] = (struct pollfd){ .fd = c->pid_fd, .events = POLLIN };
	return n;
}

static void mark_too_large(struct spawn_child *c)
{
	if (!c->too_large) {
		c->too_large = 1;
		group_kill(c, SIGKILL);
	}
	close_fd(&c->out_fd);
}

/* Appends stdout bytes, handing out each complete line. */
static void take_stdout(struct spawn_child *c, const char *p, size_t n)
{
	while (n > 0 && !c->too_large) {
		const char *nl = memchr(p, '\n', n);
		size_t part = nl ? (size_t)(nl - p) : n;

		if (c->line_len + part + 1 > c->line_cap) {
			size_t cap = c->line_cap ? c->line_cap : 256;
			char *grown;

			while (cap < c->line_len + part + 1)
				cap *= 2;
			if (cap > SPAWN_LINE_MAX + 1) {
				mark_too_large(c);
				return;
			}
			grown = realloc(c->line, cap);
			if (!grown) {
				mark_too_large(c);
				return;
			}
			c->line = grown;
			c->line_cap = cap;
		}
		memcpy(c->line + c->line_len, p, part);
		c->line_len += part;
		c->line[c->line_len] = '\0';
		if (!nl)
			return;
		if (c->on_line)
			c->on_line(c->arg, c->line, c->line_len);
		c->line_len = 0;
		p += part + 1;
		n -= part + 1;
	}
}

static void take_stderr(struct spawn_child *c, const char *p, size_t n)
{
	if (n >= SPAWN_STDERR_TAIL) {
		p += n - SPAWN_STDERR_TAIL;
		n = SPAWN_STDERR_TAIL;
	}
	for (size_t i = 0; i < n; i++) {
		c->tail[c->tail_pos] = p[i];
		c->tail_pos = (c->tail_pos + 1) % SPAWN_STDERR_TAIL;
	}
	c->tail_len = c->tail_len + n > SPAWN_STDERR_TAIL ? SPAWN_STDERR_TAIL : c->tail_len + n;
}

/* Reads what is available on one pipe; closes it at EOF or error. */
static void drain(struct spawn_child *c, int *fd, int is_stdout)
{
	char buf[READ_CHUNK];

	for (int i = 0; *fd >= 0 && i < READS_PER_STEP; i++) {
		ssize_t r = read(*fd, buf, sizeof buf);

		if (r > 0) {
			if (is_stdout) {
				c->output_total += (size_t)r;
				if (c->output_total > c->output_limit) {
					mark_too_large(c);
					return;
				}
				take_stdout(c, buf, (size_t)r);
			} else {
				take_stderr(c, buf, (size_t)r);
			}
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		close_fd(fd);
	}
}

static void sample_memory(struct spawn_child *c, int64_t now)
{
	char path[64], line[256];
	FILE *f;

	c->sample_at = now + SPAWN_SAMPLE_MS;
	snprintf(path, sizeof path, "/proc/%d/status", (int)c->pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "VmPeak:", 7) == 0) {
			char *end;
			long kb = strtol(line + 7, &end, 10);
			if (end != line + 7 && kb > c->peak_kb)
				c->peak_kb = kb;
			break;
		}
	}
	fclose(f);
}

static int stderr_says_oom(const struct spawn_child *c)
{
	static const char *const marks[] = { "out of memory", "bad_alloc",
		"Cannot allocate memory", "MemoryError", NULL };
	char buf[SPAWN_STDERR_TAIL + 1];

	spawn_stderr(c, buf, sizeof buf);
	for (int i = 0; marks[i]; i++)
		if (strcasestr(buf, marks[i]))
			return 1;
	return 0;
}

static enum spawn_end classify(const struct spawn_child *c)
{
	int abnormal = WIFSIGNALED(c->status)
		|| (WIFEXITED(c->status) && WEXITSTATUS(c->status) != 0);

	if (c->too_large)
		return SPAWN_OUTPUT_TOO_LARGE;
	if (c->soft_sent || c->hard_sent)
		return SPAWN_TIMEOUT;
	if (c->stopped)
		return SPAWN_STOPPED;
	if (abnormal && c->memory_limit_mb > 0
	    && (stderr_says_oom(c) || c->peak_kb * 10 >= c->memory_limit_mb * 1024 * 9))
		return SPAWN_KILLED_OOM;
	if (WIFSIGNALED(c->status))
		return SPAWN_CRASHED;
	return WEXITSTATUS(c->status) ? SPAWN_EXIT_STATUS : SPAWN_EXITED;
}

/* Reaps the child if it has exited: group kill first, then waitpid. */
static int try_reap(struct spawn_child *c)
{
	siginfo_t si;
	pid_t r;

	memset(&si, 0, sizeof si);
	if (waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
		return 0;
	/* The zombie pins the group id: this kill reaches only its group. */
	kill(-c->pid, SIGKILL);
	do
		r = waitpid(c->pid, &c->status, 0);
	while (r < 0 && errno == EINTR);
	c->reaped = 1;
	c->ended_ms = clock_mono_ms();
	close_fd(&c->pid_fd);
	/* Everything the child wrote is in the pipes now; take it, do not wait
	 * for EOF (a killed grandchild may still hold a pipe for a moment). */
	for (int i = 0; i < 64 && c->out_fd >= 0; i++) {
		size_t before = c->output_total;
		drain(c, &c->out_fd, 1);
		if (c->output_total == before)
			break;
	}
	for (int i = 0; i < 8 && c->err_fd >= 0; i++)
		drain(c, &c->err_fd, 0);
	close_fd(&c->out_fd);
	close_fd(&c->err_fd);
	c->end = classify(c);
	return 1;
}

int spawn_step(struct spawn_child *c)
{
	int64_t now;

	if (c->reaped)
		return 1;
	drain(c, &c->out_fd, 1);
	drain(c, &c->err_fd, 0);
	now = clock_mono_ms();
	if (c->hard_at && now >= c->hard_at && !c->hard_sent) {
		c->hard_sent = 1;
		group_kill(c, SIGKILL);
	} else if (c->soft_at && now >= c->soft_at && !c->soft_sent) {
		c->soft_sent = 1;
		group_kill(c, SIGTERM);
	}
	if (c->kill_at && now >= c->kill_at) {
		c->kill_at = 0;
		group_kill(c, SIGKILL);
	}
	if (c->sample_at && now >= c->sample_at)
		sample_memory(c, now);
	return try_reap(c);
}

int spawn_timeout_ms(const struct spawn_child *c)
{
	int64_t next = 0, now;
	const int64_t at[] = { c->hard_sent ? 0 : c->hard_at, c->soft_sent ? 0 : c->soft_at,
			       c->kill_at, c->sample_at };

	if (c->reaped)
		return -1;
	for (size_t i = 0; i < sizeof at / sizeof at[0]; i++)
		if (at[i] && (!next || at[i] < next))
			next = at[i];
	/* Without a pidfd nothing wakes the caller at the exit: look often. */
	if (c->pid_fd < 0) {
		now = clock_mono_ms();
		if (!next || next > now + 50)
			next = now + 50;
	}
	if (!next)
		return -1;
	now = clock_mono_ms();
	return next <= now ? 0 : (int)(next - now > 3600000 ? 3600000 : next - now);
}

void spawn_stop(struct spawn_child *c, int grace_ms)
{
	int64_t at;

	if (c->reaped)
		return;
	c->stopped = 1;
	if (grace_ms <= 0) {
		c->kill_at = 0;
		group_kill(c, SIGKILL);
		return;
	}
	at = clock_mono_ms() + grace_ms;
	if (!c->kill_at || at < c->kill_at) {
		if (!c->kill_at)
			group_kill(c, SIGTERM);
		c->kill_at = at;
	}
}

enum spawn_end spawn_end(const struct spawn_child *c)
{
	return c->reaped ? c->end : SPAWN_RUNNING;
}

int spawn_exit_code(const struct spawn_child *c)
{
	return c->reaped && WIFEXITED(c->status) ? WEXITSTATUS(c->status) : -1;
}

int spawn_signal(const struct spawn_child *c)
{
	return c->reaped && WIFSIGNALED(c->status) ? WTERMSIG(c->status) : -1;
}


int64_t spawn_elapsed_ms(const struct spawn_child *c)
{
	return (c->reaped ? c->ended_ms : clock_mono_ms()) - c->started_ms;
}

const char *spawn_signal_name(int sig, char *buf, size_t len)
{
	const char *abbrev = sigabbrev_np(sig);

	if (abbrev)
		snprintf(buf, len, "SIG%s", abbrev);
	else
		snprintf(buf, len, "signal %d", sig);
	return buf;
}

const char *spawn_describe(const struct spawn_child *c, char *buf, size_t len)
{
	char sig[32];

	switch (spawn_end(c)) {
	case SPAWN_RUNNING:
		snprintf(buf, len, "running");
		break;
	case SPAWN_EXITED:
		snprintf(buf, len, "exit status 0");
		break;
	case SPAWN_EXIT_STATUS:
		snprintf(buf, len, "exit status %d", spawn_exit_code(c));
		break;
	case SPAWN_CRASHED:
		snprintf(buf, len, "killed by %s", spawn_signal_name(spawn_signal(c), sig, sizeof sig));
		break;
	case SPAWN_KILLED_OOM:
		snprintf(buf, len, "out of memory (limit %ld MiB, peak %ld KiB)",
			 c->memory_limit_mb, c->peak_kb);
		break;
	case SPAWN_TIMEOUT:
		snprintf(buf, len, "%s time limit (%s) after %lld ms",
			 c->hard_sent ? "hard" : "soft", c->hard_sent ? "SIGKILL" : "SIGTERM",
			 (long long)spawn_elapsed_ms(c));
		break;
	case SPAWN_OUTPUT_TOO_LARGE:
		snprintf(buf, len, "output larger than %zu bytes", c->output_limit);
		break;
	case SPAWN_STOPPED:
		snprintf(buf, len, "stopped by the worker (%s)",
			 spawn_signal(c) > 0 ? spawn_signal_name(spawn_signal(c), sig, sizeof sig)
					     : "exited");
		break;
	}
	return buf;
}

size_t spawn_stderr(const struct spawn_child *c, char *buf, size_t len)
{
	size_t n = c->tail_len, start;

	if (!len)
		return 0;
	if (n > len - 1)
		n = len - 1;
	/* The oldest kept byte, then skip what does not fit (keep the newest). */
	start = (c->tail_pos + SPAWN_STDERR_TAIL - c->tail_len) % SPAWN_STDERR_TAIL;
	start = (start + (c->tail_len - n)) % SPAWN_STDERR_TAIL;
	for (size_t i = 0; i < n; i++)
		buf[i] = c->tail[(start + i) % SPAWN_STDERR_TAIL];
	buf[n] = '\0';
	return n;
}

void spawn_free(struct spawn_child *c)
{
	if (!c)
		return;
	if (!c->reaped && c->pid > 0) {
		siginfo_t si;

		kill(-c->pid, SIGKILL);
		/* Wait (without reaping) until the kill has landed, then reap. */
		while (waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR)
			;
		try_reap(c);
	}
	close_fd(&c->out_fd);
	close_fd(&c->err_fd);
	close_fd(&c->pid_fd);
	free(c->line);
	free(c);
}
