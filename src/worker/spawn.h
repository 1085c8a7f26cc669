/*
 * spawn.h — one supervised child process: fork + exec (never a shell) in
 * its own process group, with a clean environment, no inherited
 * descriptors, stdin from /dev/null (or a pipe of the caller's), RLIMIT_AS / RLIMIT_CPU limits, and
 * stdout / stderr captured through non-blocking pipes.
 *
 * The module is built to be driven from one poll() loop that watches many
 * children: spawn_pollfds() hands out the descriptors to watch (stdout,
 * stderr, and a pidfd that becomes readable when the child exits), and
 * spawn_step() does whatever is due — read output, enforce the time limits
 * and the output cap, reap the child.  stdout is split into lines for the
 * child protocol of scanner.h; stderr is kept as its last
 * SPAWN_STDERR_TAIL bytes.
 *
 * Guarantees: the whole process group is signalled, never only the child;
 * when the child has exited, whatever is left of its group is killed with
 * SIGKILL before the child is reaped (the zombie still holds the group id,
 * so the kill can never reach an unrelated process).  The child also gets
 * PR_SET_PDEATHSIG(SIGKILL): if its worker dies, even by SIGKILL, the
 * child dies with it.  A grandchild of a dead worker's child, or a process
 * that left the group on purpose (setsid), escapes this module; under
 * `scanq serve` such orphans come up to serve, the subreaper, which kills
 * them (subreaper.h).
 *
 * How a child ended (spawn_end) is decided once, in this order:
 *   1. SPAWN_OUTPUT_TOO_LARGE  stdout passed the cap (we killed it);
 *   2. SPAWN_TIMEOUT           the soft (SIGTERM) or hard (SIGKILL) limit fired;
 *   3. SPAWN_STOPPED           spawn_stop() was called (cancel, lost lease,
 *                              shutdown);
 *   4. SPAWN_KILLED_OOM        a memory limit was set, the child ended
 *                              abnormally (a signal or a non-zero exit), and
 *                              either its stderr tail says it ran out of
 *                              memory ("out of memory", "bad_alloc",
 *                              "Cannot allocate memory", "MemoryError") or its
 *                              sampled VmPeak (from /proc, every
 *                              SPAWN_SAMPLE_MS while it runs) reached 90 % of
 *                              the limit.  RLIMIT_AS makes allocation fail
 *                              rather than sending a signal, so the child's
 *                              own last words and its peak are the honest
 *                              evidence;
 *   5. SPAWN_CRASHED           any other death by a signal (the name is kept);
 *   6. SPAWN_EXIT_STATUS       a non-zero exit;
 *   7. SPAWN_EXITED            exit status 0.
 */
#ifndef SCANQ_SPAWN_H
#define SCANQ_SPAWN_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#define SPAWN_STDERR_TAIL  8192			/* bytes of stderr kept (the last ones) */
#define SPAWN_LINE_MAX     (1 << 20)		/* longest stdout line; longer is too large */
#define SPAWN_OUTPUT_DEFAULT (16u << 20)	/* stdout cap when the caller gives none */
#define SPAWN_ENV_MAX      64			/* extra environment entries */
#define SPAWN_SAMPLE_MS    100			/* VmPeak sampling period */
#define SPAWN_POLLFDS      3			/* descriptors one child hands out */

enum spawn_end {
	SPAWN_RUNNING = 0,
	SPAWN_EXITED,
	SPAWN_EXIT_STATUS,
	SPAWN_CRASHED,
	SPAWN_KILLED_OOM,
	SPAWN_TIMEOUT,
	SPAWN_OUTPUT_TOO_LARGE,
	SPAWN_STOPPED,
};

struct spawn_opts {
	char *const *argv;		/* argv[0]: absolute path of the program */
	char *const *env;		/* extra NAME=VALUE entries, NULL-terminated, or NULL */
	int stdin_fd;			/* the child's stdin: this descriptor (the caller
					 * closes its copy after spawn_start()), or 0 for
					 * /dev/null */
	long memory_limit_mb;		/* RLIMIT_AS; 0 = none */
	long cpu_limit_s;		/* RLIMIT_CPU; 0 = none */
	size_t output_limit;		/* stdout bytes in all; 0 = SPAWN_OUTPUT_DEFAULT */
	int64_t soft_ms;		/* SIGTERM to the group after this long; 0 = none */
	int64_t hard_ms;		/* SIGKILL to the group after this long; 0 = none */
	/* Called for each complete stdout line, without its '\n' and
	 * NUL-terminated; the line is borrowed for the call only. */
	void (*on_line)(void *arg, char *line, size_t len);
	void *arg;
};

struct spawn_child;

/*
 * Starts a child.  The environment is PATH=/usr/bin:/bin plus opts->env.
 * Returns the child, or NULL with a one-line reason in err; *exec_errno
 * (may be NULL) gets the errno of a failed exec (ENOENT: no such program),
 * or 0 when the failure was ours.  Free with spawn_free().
 */
struct spawn_child *spawn_start(const struct spawn_opts *opts, int *exec_errno,
				char *err, size_t errlen);

/* The child's pid (also its process group id). */
int spawn_pid(const struct spawn_child *c);

/*
 * Fills up to SPAWN_POLLFDS entries of pfd with the descriptors to watch
 * (events POLLIN) and returns how many it filled (0 once the child ended).
 */
int spawn_pollfds(const struct spawn_child *c, struct pollfd *pfd);

/*
 * Does what is due: reads available output (calling on_line), enforces the
 * output cap and the time limits, samples memory, reaps the child when it
 * has exited.  Never blocks.  Returns 1 once the child has ended and been
 * reaped (spawn_end() says how), 0 while it runs.
 */
int spawn_step(struct spawn_child *c);

/* Milliseconds until this child's next timer (a time limit, a SIGKILL
 * escalation, a memory sample), or -1 for none. */
int spawn_timeout_ms(const struct spawn_child *c);

/*
 * Stops the child on purpose: SIGTERM to its group now and SIGKILL after
 * grace_ms (0: SIGKILL at once).  Unless it already ended otherwise, it
 * will end as SPAWN_STOPPED.  Calling it again can only shorten the grace.
 */
void spawn_stop(struct spawn_child *c, int grace_ms);

/* How the child ended (SPAWN_RUNNING until spawn_step() returned 1). */
enum spawn_end spawn_end(const struct spawn_child *c);

/* The exit status (when it exited) or the signal number (when a signal
 * killed it); -1 while running. */
int spawn_exit_code(const struct spawn_child *c);
int spawn_signal(const struct spawn_child *c);


/* Milliseconds from start to reaping (or to now while running). */
int64_t spawn_elapsed_ms(const struct spawn_child *c);

/*
 * One line saying how the child ended, for logs and error messages:
 * "exit status 3", "killed by SIGSEGV", "hard time limit (SIGKILL) after
 * 30000 ms", "output larger than 16777216 bytes", "out of memory (limit
 * 64 MiB)".  Writes into buf (truncated to len) and returns buf.
 */
const char *spawn_describe(const struct spawn_child *c, char *buf, size_t len);

/* Copies the stderr tail (oldest byte first, NUL-terminated, truncated to
 * len - 1) into buf.  Returns the number of bytes copied. */
size_t spawn_stderr(const struct spawn_child *c, char *buf, size_t len);

/* The name of a signal ("SIGSEGV"), or "signal N".  Returns a static or
 * buf-backed string. */
const char *spawn_signal_name(int sig, char *buf, size_t len);

/*
 * Frees the child; NULL is a no-op.  A child still running is killed with
 * its whole group (SIGKILL) and reaped first, so this may wait for the
 * kernel to deliver the kill but never for the child's cooperation.
 */
void spawn_free(struct spawn_child *c);

/*
 * 1 if memory_limit_mb is enforced, 0 in a sanitizer (ASan) build: ASan
 * reserves terabytes of address space for its shadow memory, so a child of
 * the same build cannot even start under RLIMIT_AS.  Such a build runs its
 * children without the memory limit (the worker logs it at start).
 */
int spawn_memory_limit_supported(void);

#endif
