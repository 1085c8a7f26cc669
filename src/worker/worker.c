/*
 * worker.c — the worker loop (see worker.h).
 *
 * One thread, one ppoll() loop, up to `concurrency` jobs.  A job is a
 * claimed scan with its child; it lives in its slot from the claim until
 * the store has accepted how it ended (or told us the scan is no longer
 * ours), so a slot whose final write is being retried is still taken and
 * its lease is still renewed.  Completions that are ready in the same turn
 * of the loop are written in one transaction (store_complete_many).
 *
 * Scans come from a source (source.h): the store for `scanq worker`, the
 * server's agent API for `scanq agent`; the loop is the same for both.
 *
 * Wake-ups: the source's wake-up (the store's, or an agent's long poll
 * that returned work), a slot that just freed, and a poll every
 * config.poll_ms as the fallback.
 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "core/backoff.h"
#include "core/clock.h"
#include "core/config.h"
#include "worker/childenv.h"
#include "worker/ratefeed.h"
#include "worker/lease.h"
#include "worker/report.h"
#include "core/log.h"
#include "worker/signals.h"
#include "worker/spawn.h"
#include "scanner.h"
#include "scantype.h"
#include "store/store.h"
#include "worker/source.h"
#include "app/submit.h"
#include "worker/webhook.h"
#include "worker/worker.h"

#define PIPE_BEAT_MS 1000	/* supervisor pipe heartbeat period */
#define PROGRESS_EVERY_MS 1000	/* new progress reaches the store within this, coalesced */
#define WAKE_RENEW_MS 500	/* on a wake-up, renew (and see cancels) at most this often */
#define CLAIM_RETRY_MS 200	/* next try after a failed claim */
#define HARD_STOP_MS 2000	/* after a second signal: how long final writes may retry */

enum finish { FIN_COMPLETE, FIN_FAIL, FIN_CANCELLED, FIN_RELEASE };

struct job {
	struct scan scan;
	struct spawn_child *child;	/* NULL once reaped or never started */
	struct report rep;		/* what its child reported so far */
	struct ratefeed feed;		/* its networks' rate caps (ratefeed.h) */
	double progress_written;	/* what the store has (-1: nothing yet) */
	int64_t progress_at;		/* when it was written (monotonic ms) */
	int cancel;			/* cancel requested: stopping the child */
	int shutdown;			/* stopped by a worker shutdown */
	int lost;			/* fenced away: drop whatever comes */
	int64_t next_beat;		/* monotonic ms of the next lease renewal */
	int64_t started_ms;
	/* how it ended, once the child is gone */
	int finishing;
	enum finish fin;
	char fcode[SCAN_CODE_MAX];
	char fmessage[WORKER_MESSAGE_MAX];
	char *fdetail;
	int fretryable;
	struct backoff retry;		/* a failed final write: when to try again */
};

struct worker {
	const struct worker_opts *o;
	struct source *src;		/* where scans come from (source.h) */
	struct store *s;		/* the database: NULL for an agent */
	char name[SCAN_WORKER_MAX];	/* shown in logs and lists */
	char id[SCAN_WORKER_MAX];	/* unique identity: claims and the registry */
	struct job *jobs[WORKER_CONCURRENCY_MAX];
	int njobs;
	int64_t scans_done, claimed;
	int found_none;			/* --once: a claim found nothing due */
	int lease_ms, beat_ms, grace_ms;
	struct childenv env;
	char lean[PATH_MAX];		/* the scanq-scan binary beside self, or "" */
	int64_t alive_at;		/* last "h" on the supervisor's pipe */
	struct webhook_sender *sender;	/* sends webhook deliveries (webhook.h) */
	sigset_t waitmask;		/* ppoll()'s: SIGTERM and SIGINT let through */

	/* the loop's timers: when each duty is next due (monotonic ms) */
	int64_t next_claim, next_beat, next_recover, next_pipe;
	int64_t wake_renew_at;		/* last renewal a wake-up brought forward */
	int64_t renew_hold;		/* a renewal failed: none before this (monotonic ms) */
	int woken;			/* claim at once: a wake-up, or a slot freed */
	struct lease_pause pause;	/* lease recovery's watch for pauses (lease.h) */

	/* the shutdown (shutdown_step()) */
	int handled;			/* signals_seen already acted on */
	int stopping, draining, killed, hard;
	int64_t drain_end, hard_end;
};

static volatile sig_atomic_t signals_seen;

static void on_signal(int sig)
{
	(void)sig;
	signals_seen++;
}

/*
 * Tells the supervisor this loop is alive, at most once per PIPE_BEAT_MS.
 * Called before each store call too: during a database outage every call
 * may wait out the busy timeout, and a loop that is waiting for the
 * database is not stalled (the supervisor would kill it, and its scans).
 * A broken pipe is noticed by the main loop.
 */
static void alive(struct worker *w)
{
	int64_t now = clock_mono_ms();

	if (w->o->heartbeat_fd < 0 || now - w->alive_at < PIPE_BEAT_MS)
		return;
	w->alive_at = now;
	if (write(w->o->heartbeat_fd, "h", 1) < 0) {
		/* EPIPE: the main loop sees it at its next beat */
	}
}

/* One line of the child protocol (report.h). */
static void on_line(void *arg, char *line, size_t len)
{
	struct job *j = arg;

	if (report_line(&j->rep, j->scan.id, line, len) && j->child)
		spawn_stop(j->child, 0);	/* the findings cap: output_too_large */
}

static void job_free(struct job *j)
{
	if (!j)
		return;
	spawn_free(j->child);
	ratefeed_close(&j->feed);
	report_release(&j->rep);
	free(j->fdetail);
	scan_release(&j->scan);
	free(j);
}

static void job_remove(struct worker *w, int i)
{
	job_free(w->jobs[i]);
	w->jobs[i] = w->jobs[--w->njobs];
	w->jobs[w->njobs] = NULL;
}

static void set_finish(struct job *j, enum finish fin, const char *code, const char *message,
		       const char *detail)
{
	j->finishing = 1;
	j->fin = fin;
	backoff_reset(&j->retry);
	snprintf(j->fcode, sizeof j->fcode, "%s", code ? code : "");
	report_sanitize(j->fmessage, sizeof j->fmessage, message);
	free(j->fdetail);
	j->fdetail = detail ? strdup(detail) : NULL;
	j->fretryable = code ? worker_code_retryable(code) : 0;
}

/* Decides how a job ended from its child (or the lack of one). */
static void job_ended(struct worker *w, struct job *j)
{
	struct spawn_child *c = j->child;
	char how[160], tail[SPAWN_STDERR_TAIL + 1], detail[WORKER_DETAIL_MAX], msg[WORKER_MESSAGE_MAX];
	char sig[32];
	const char *code = NULL;

	spawn_describe(c, how, sizeof how);
	spawn_stderr(c, tail, sizeof tail);
	snprintf(detail, sizeof detail, "%s; pid %d; %lld ms%s%s", how, spawn_pid(c),
		 (long long)spawn_elapsed_ms(c), tail[0] ? "; stderr: " : "", tail);
	if (j->lost) {
		log_warn("scan result dropped", "scan=%lld attempt=%d worker=%s reason=\"lease lost\"",
			 (long long)j->scan.id, j->scan.attempt, w->name);
		j->finishing = 1;
		return;
	}
	if (j->shutdown && spawn_end(c) == SPAWN_STOPPED) {
		set_finish(j, FIN_RELEASE, NULL, "worker shutdown", detail);
		return;
	}
	if (j->cancel && spawn_end(c) != SPAWN_EXITED) {
		set_finish(j, FIN_CANCELLED, "cancelled", "cancelled by an operator", detail);
		return;
	}
	msg[0] = '\0';
	switch (spawn_end(c)) {
	case SPAWN_EXITED:
		if (!j->rep.too_many) {
			set_finish(j, FIN_COMPLETE, NULL, NULL, NULL);
			return;
		}
		/* fall through */
	case SPAWN_OUTPUT_TOO_LARGE:
		code = "output_too_large";
		if (j->rep.too_many)
			snprintf(msg, sizeof msg, "the scan reported more than %d findings",
				 WORKER_FINDINGS_MAX);
		else
			snprintf(msg, sizeof msg, "the scanner wrote more than %d KiB of output",
				 config.output_limit_kb);
		break;
	case SPAWN_STOPPED:	/* only the findings cap stops a child without a flag */
		code = "output_too_large";
		snprintf(msg, sizeof msg, "the scan reported more than %d findings",
			 WORKER_FINDINGS_MAX);
		break;
	case SPAWN_TIMEOUT:
		code = "timeout";
		snprintf(msg, sizeof msg, "the scan exceeded its time limit of %d s",
			 j->scan.time_limit_s);
		break;
	case SPAWN_KILLED_OOM:
		code = "killed_oom";
		snprintf(msg, sizeof msg, "the scanner ran out of memory (limit %d MiB)",
			 config.memory_limit_mb);
		break;
	case SPAWN_CRASHED:
		code = "crashed";
		snprintf(msg, sizeof msg, "the scanner crashed (%s)",
			 spawn_signal_name(spawn_signal(c), sig, sizeof sig));
		break;
	case SPAWN_EXIT_STATUS:
		if (j->rep.code[0]) {
			code = j->rep.code;
			snprintf(msg, sizeof msg, "%s", j->rep.message[0] ? j->rep.message : j->rep.code);
		} else {
			code = "exit_status";
			snprintf(msg, sizeof msg, "the scanner exited with status %d",
				 spawn_exit_code(c));
		}
		break;
	case SPAWN_RUNNING:
		return;
	}
	set_finish(j, FIN_FAIL, code, msg, detail);
}

/*
 * Starts the child of a claimed scan: `SELF scan TYPE --json --options
 * JSON -- TARGET...` with the targets of the scan's JSON array.  When it
 * cannot start, the job is set to fail at once (its slot's write is due).
 */
/* An agent's children skip the server's exclusions, as a worker's skip
 * the store's (childenv.h).  Returns 0, or -1 with the job finishing. */
static int agent_exclusions(struct worker *w, struct job *j)
{
	static char more[CHILDENV_EXCLUDE_MAX];

	if (w->s || !w->src->ops->exclusions)
		return 0;
	if (w->src->ops->exclusions(w->src, more, sizeof more) < 0
	    || childenv_exclusions_from(&w->env, more, w->name) < 0) {
		set_finish(j, FIN_FAIL, "spawn_failed", "the scan's exclusions could not be"
			   " handed to the scanner", NULL);
		return -1;
	}
	return 0;
}

/* A scan under a rate cap gets its budget on stdin (ratefeed.h).  Returns
 * 0, or -1 with the job handed back: it must not run unpaced. */
static int feed_setup(struct worker *w, struct job *j, struct spawn_opts *so, char **env, int *fd)
{
	if (ratefeed_spawn(&j->feed, w->src, &j->scan, w->name, w->env.env, env, so, fd) == 0)
		return 0;
	set_finish(j, FIN_RELEASE, NULL, "the rate caps could not be read", NULL);
	return -1;
}

static void start_child(struct worker *w, struct job *j)
{
	const char *opts = j->scan.options && *j->scan.options ? j->scan.options : "{}";
	json_t *targets = json_loads(j->scan.targets ? j->scan.targets : "[]", 0, NULL);
	size_t n = json_is_array(targets) ? json_array_size(targets) : 0, k = 0;
	char **argv = NULL, err[256], limit[16], *env[SPAWN_ENV_MAX + 2];
	struct spawn_opts so = { 0 };
	int exec_errno = 0, feed_fd = -1;

	if (n == 0) {
		set_finish(j, FIN_FAIL, "no_targets", "the scan has no targets", NULL);
		goto out;
	}
	/* An agent's second wall: its own --allow list (config's scope), checked
	 * before a child exists, so nothing is sent to a target outside it. */
	if (w->o->check_scope) {
		char code[32], msg[WORKER_MESSAGE_MAX];

		if (submit_validate_targets(targets, NULL, code, sizeof code, msg, sizeof msg) < 0) {
			log_warn("scan refused: target outside the allow list", "scan=%lld worker=%s"
				 " reason=\"%s\"", (long long)j->scan.id, w->name, msg);
			set_finish(j, FIN_FAIL, "out_of_scope", msg, "refused by the agent's --allow list");
			goto out;
		}
	}
	if (agent_exclusions(w, j) < 0 || feed_setup(w, j, &so, env, &feed_fd) < 0)
		goto out;
	argv = calloc(n + 10, sizeof *argv);
	if (!argv) {
		set_finish(j, FIN_FAIL, "spawn_failed", "the scanner could not be started",
			   "out of memory");
		goto out;
	}
	/* Built-in types run in the lean scanq-scan binary beside this one (its
	 * file comment says why); tool profiles and a missing binary use
	 * `scanq scan`.  Both take the same arguments after the type. */
	if (w->lean[0] && scantype_find(j->scan.type)) {
		argv[k++] = w->lean;
	} else {
		argv[k++] = (char *)w->o->self;
		argv[k++] = "scan";
	}
	argv[k++] = j->scan.type;
	argv[k++] = "--json";
	argv[k++] = "--options";
	argv[k++] = (char *)opts;
	/* So a tool profile can bound itself within the limit (nmap --host-timeout). */
	if (j->scan.time_limit_s > 0) {
		snprintf(limit, sizeof limit, "%d", j->scan.time_limit_s);
		argv[k++] = "--time-limit";
		argv[k++] = limit;
	}
	argv[k++] = "--";
	for (size_t i = 0; i < n; i++) {
		const char *t = json_string_value(json_array_get(targets, i));
		if (!t) {
			set_finish(j, FIN_FAIL, "no_targets", "a target is not a string", NULL);
			goto out;
		}
		argv[k++] = (char *)t;
	}
	argv[k] = NULL;
	so.argv = argv;
	so.memory_limit_mb = config.memory_limit_mb;
	/* A backstop against a runaway: the wall-clock limit, twice, in CPU seconds. */
	so.cpu_limit_s = (long)j->scan.time_limit_s * 2;
	so.output_limit = (size_t)config.output_limit_kb * 1024;
	so.hard_ms = (int64_t)j->scan.time_limit_s * 1000;
	so.soft_ms = so.hard_ms * 5 / 6;
	so.on_line = on_line;
	so.arg = j;
	j->child = spawn_start(&so, &exec_errno, err, sizeof err);
	ratefeed_started(&j->feed, &feed_fd);
	if (!j->child) {
		ratefeed_close(&j->feed);
		if (exec_errno == ENOENT || exec_errno == EACCES)
			set_finish(j, FIN_FAIL, "tool_missing", "the scanner program cannot be run", err);
		else
			set_finish(j, FIN_FAIL, "spawn_failed", "the scanner could not be started", err);
		goto out;
	}
	log_info("scan marked running", "scan=%lld attempt=%d worker=%s type=%s pid=%d",
		 (long long)j->scan.id, j->scan.attempt, w->name, j->scan.type,
		 spawn_pid(j->child));
out:
	if (feed_fd >= 0)
		close(feed_fd);
	free(argv);
	json_decref(targets);
}

/* How many scans this worker may claim now, with `freeing` slots about to
 * free up. */
static int claim_room(const struct worker *w, int freeing)
{
	int max = w->o->concurrency - w->njobs + freeing;

	if (w->o->max_scans > 0 && max > w->o->max_scans - w->claimed)
		max = (int)(w->o->max_scans - w->claimed);
	return max > 0 ? max : 0;
}

/* Starts a child for each claimed scan; the array is consumed. */
static void adopt(struct worker *w, struct scan *arr, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct job *j = calloc(1, sizeof *j);

		if (!j) {
			/* Not started: lease recovery hands it back after the lease. */
			log_error("out of memory", "scan=%lld", (long long)arr[i].id);
			continue;
		}
		j->scan = arr[i];
		j->feed.fd = -1;
		memset(&arr[i], 0, sizeof arr[i]);
		j->started_ms = clock_mono_ms();
		j->next_beat = j->started_ms + w->beat_ms;
		w->jobs[w->njobs++] = j;
		w->claimed++;
		start_child(w, j);
	}
	scan_array_free(arr, n);
}

/* Claims up to the free slots and starts their children.  Returns 0, or
 * -1 when the claim failed (nothing was claimed; try again soon). */
static int claim(struct worker *w)
{
	struct scan *arr = NULL;
	size_t n = 0;
	int max = claim_room(w, 0), rc;

	if (max <= 0)
		return 0;
	alive(w);
	/* A worker hands its children the exclusions as they are now; an
	 * agent's children have its own configuration's (no store to read). */
	if (w->s && childenv_exclusions(&w->env, w->s, w->name) < 0)
		return -1;
	rc = w->src->ops->claim(w->src, w->id, max, w->lease_ms, &arr, &n);
	if (rc != STORE_OK) {
		if (!w->src->ops->outage(w->src))	/* an outage is the source's to log */
			log_warn("claim failed", "worker=%s error=\"%s\"", w->name,
				 w->src->ops->error(w->src));
		return -1;
	}
	/* --once runs what is due now: a first claim that finds nothing
	 * ends it, rather than waiting for work that may never come. */
	if (n == 0 && w->o->once && w->claimed == 0 && !w->found_none) {
		w->found_none = 1;
		log_info("nothing due, worker exits", "worker=%s", w->name);
	}
	adopt(w, arr, n);
	return 0;
}

/* What the store said about a final write.  Returns 1 when the job is
 * done with (written or no longer ours), 0 to retry later. */
static int written(struct worker *w, struct job *j, int rc, enum scan_status now_status)
{
	char q[WORKER_MESSAGE_MAX + 8];

	if (rc == STORE_BUSY || rc == STORE_ERROR) {
		backoff_failed(&j->retry, clock_mono_ms());
		if (!w->src->ops->outage(w->src))
			log_warn("result write failed, will retry", "scan=%lld attempt=%d worker=%s"
				 " retry_ms=%d error=%s", (long long)j->scan.id, j->scan.attempt,
				 w->name, j->retry.delay_ms,
				 log_quote(w->src->ops->error(w->src), q, sizeof q));
		return 0;
	}
	if (rc != STORE_OK) {
		log_warn("scan result dropped", "scan=%lld attempt=%d worker=%s reason=%s",
			 (long long)j->scan.id, j->scan.attempt, w->name,
			 log_quote(w->src->ops->error(w->src), q, sizeof q));
		return 1;
	}
	if (j->fin != FIN_RELEASE)
		w->scans_done++;
	switch (j->fin) {
	case FIN_COMPLETE:
		log_info("scan completed", "scan=%lld attempt=%d worker=%s findings=%zu ms=%lld",
			 (long long)j->scan.id, j->scan.attempt, w->name, j->rep.nfindings,
			 (long long)(clock_mono_ms() - j->started_ms));
		break;
	case FIN_FAIL:
		log_info("scan failed", "scan=%lld attempt=%d worker=%s code=%s now=%s message=%s",
			 (long long)j->scan.id, j->scan.attempt, w->name, j->fcode,
			 scan_status_name(now_status), log_quote(j->fmessage, q, sizeof q));
		break;
	case FIN_CANCELLED:
		log_info("scan cancelled", "scan=%lld attempt=%d worker=%s",
			 (long long)j->scan.id, j->scan.attempt, w->name);
		break;
	case FIN_RELEASE:
		log_info("scan released", "scan=%lld attempt=%d worker=%s reason=shutdown",
			 (long long)j->scan.id, j->scan.attempt, w->name);
		break;
	}
	return 1;
}

/* Test-only crash points around a completion (docs/WORKFLOWS.md): when
 * the variable names a file that exists, the worker removes it and
 * SIGKILLs itself, once. */
static void test_kill_point(const char *var)
{
	const char *f = getenv(var);

	if (f && *f && unlink(f) == 0)
		raise(SIGKILL);
}

/*
 * Writes every final result that is due; completions in one transaction,
 * which also claims the scans that take the freed slots when `may_claim`
 * (one commit for both, instead of a completion and then a claim).
 */
static void flush(struct worker *w, int may_claim)
{
	struct store_completion comp[WORKER_CONCURRENCY_MAX];
	struct job *cj[WORKER_CONCURRENCY_MAX];
	int64_t now = clock_mono_ms();
	size_t nc = 0;

	for (int i = 0; i < w->njobs; i++) {
		struct job *j = w->jobs[i];
		struct scan_failure f;
		enum scan_status st = SCAN_FAILED;
		int rc;

		if (!j->finishing || j->child || j->retry.next_ms > now)
			continue;
		if (j->lost) {
			job_remove(w, i--);
			continue;
		}
		switch (j->fin) {
		case FIN_COMPLETE: {
			char *sum = j->rep.summary ? json_dumps(j->rep.summary, JSON_COMPACT) : NULL;

			comp[nc] = (struct store_completion){ .id = j->scan.id, .attempt = j->scan.attempt,
				.summary = sum ? sum : strdup("{}"), .findings = j->rep.findings,
				.nfindings = j->rep.nfindings, .flow = j->scan.flow };
			cj[nc++] = j;
			continue;
		}
		case FIN_FAIL:
			alive(w);
			f = (struct scan_failure){ .code = j->fcode, .message = j->fmessage,
				.detail = j->fdetail, .retryable = j->fretryable,
				.backoff_base_ms = config.backoff_base_s * 1000 };
			rc = w->src->ops->fail(w->src, j->scan.id, j->scan.attempt, &f, &st);
			break;
		case FIN_CANCELLED:
			alive(w);
			rc = w->src->ops->cancelled(w->src, j->scan.id, j->scan.attempt);
			break;
		case FIN_RELEASE:
		default:
			alive(w);
			rc = w->src->ops->release(w->src, j->scan.id, j->scan.attempt, "worker shutdown");
			break;
		}
		if (written(w, j, rc, st))
			job_remove(w, i--);
	}
	if (nc) {
		struct scan *arr = NULL;
		size_t narr = 0;
		int rc, room = may_claim && (!w->s || childenv_exclusions(&w->env, w->s, w->name) == 0)
			       ? claim_room(w, (int)nc) : 0;

		alive(w);
		test_kill_point("SCANQ_TEST_KILL_BEFORE");
		rc = w->src->ops->complete(w->src, comp, nc, w->id, room, w->lease_ms, &arr, &narr);
		test_kill_point("SCANQ_TEST_KILL_AFTER");

		for (size_t k = 0; k < nc; k++) {
			int done = written(w, cj[k], rc == STORE_OK ? comp[k].rc : rc, SCAN_COMPLETED);

			free((char *)comp[k].summary);
			for (int i = 0; done && i < w->njobs; i++)
				if (w->jobs[i] == cj[k])
					job_remove(w, i);
		}
		if (rc == STORE_OK)
			adopt(w, arr, narr);	/* into the slots the completions freed */
		else
			scan_array_free(arr, narr);
	}
}

/* Renews the leases that are due, in one call to the source; acts on
 * cancel and on loss. */
static void renew(struct worker *w)
{
	struct source_renewal r[WORKER_CONCURRENCY_MAX];
	struct job *rj[WORKER_CONCURRENCY_MAX];
	int64_t now = clock_mono_ms();
	size_t n = 0;
	char q[300];
	int rc;

	if (now < w->renew_hold)
		return;
	for (int i = 0; i < w->njobs; i++) {
		struct job *j = w->jobs[i];

		if (j->lost)
			continue;
		/* Due: the lease, or new progress not written for a second. */
		if (j->next_beat > now && (j->finishing || j->rep.progress == j->progress_written
					   || now - j->progress_at < PROGRESS_EVERY_MS))
			continue;
		r[n] = (struct source_renewal){ .id = j->scan.id, .attempt = j->scan.attempt,
			.progress = j->finishing ? -1 : j->rep.progress };
		rj[n++] = j;
	}
	if (n == 0)
		return;
	alive(w);
	rc = w->src->ops->renew(w->src, r, n, w->lease_ms);
	if (rc == STORE_BUSY || rc == STORE_ERROR) {
		int64_t again = now + (w->beat_ms < 1000 ? w->beat_ms : 1000);

		if (!w->src->ops->outage(w->src))
			log_warn("lease renewal failed", "worker=%s scans=%zu error=%s", w->name, n,
				 log_quote(w->src->ops->error(w->src), q, sizeof q));
		/* The other side is away: one failed call per round, no renewal,
		 * lease or progress, before `again`.  The children run on: their
		 * results are written when it is back (or fenced off then). */
		w->renew_hold = again + w->src->ops->outage_wait_ms(w->src);
		for (int k = 0; k < w->njobs; k++)
			if (w->jobs[k]->next_beat < w->renew_hold)
				w->jobs[k]->next_beat = w->renew_hold;
		return;
	}
	for (size_t k = 0; k < n; k++) {
		struct job *j = rj[k];

		j->next_beat = now + w->beat_ms;
		if (r[k].rc != STORE_OK && j->finishing && !j->child) {
			/* Its result is ready and waits to be written: the write
			 * gets the final answer (an agent's late result may still
			 * be taken), and an agent's spool keeps it until then. */
			continue;
		}
		if (r[k].rc != STORE_OK) {
			j->lost = 1;
			log_warn("scan lost, killing its child", "scan=%lld attempt=%d worker=%s",
				 (long long)j->scan.id, j->scan.attempt, w->name);
			if (j->child)
				spawn_stop(j->child, 0);
			continue;
		}
		if (!j->finishing) {
			j->progress_written = j->rep.progress;
			j->progress_at = now;
		}
		if (r[k].cancel && !j->cancel && !j->finishing && j->child) {
			j->cancel = 1;
			log_info("cancel requested, stopping scan", "scan=%lld attempt=%d worker=%s"
				 " grace_s=%d", (long long)j->scan.id, j->scan.attempt, w->name,
				 config.grace_s);
			spawn_stop(j->child, w->grace_ms);
		}
	}
}

/* Stops every running child for a shutdown (they end up released). */
static void stop_all(struct worker *w, int grace_ms)
{
	for (int i = 0; i < w->njobs; i++) {
		struct job *j = w->jobs[i];

		if (j->child && !j->finishing) {
			j->shutdown = 1;
			spawn_stop(j->child, grace_ms);
		}
	}
}

static int register_worker(struct worker *w)
{
	struct worker_info info;

	memset(&info, 0, sizeof info);
	snprintf(info.id, sizeof info.id, "%s", w->id);
	snprintf(info.name, sizeof info.name, "%s", w->name);
	if (gethostname(info.host, sizeof info.host - 1) < 0)
		snprintf(info.host, sizeof info.host, "unknown");
	info.pid = (int)getpid();
	info.started_at = scan_now_ms();
	info.concurrency = w->o->concurrency;
	snprintf(info.pool, sizeof info.pool, "%s", config.worker_pool);
	return store_worker_register(w->s, &info);
}

static int64_t min_at(int64_t a, int64_t b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

/* Looks for the lean scanner binary in the folder of self. */
static void find_lean(struct worker *w)
{
	const char *slash = strrchr(w->o->self, '/');

	w->lean[0] = '\0';
	if (!slash)
		return;
	snprintf(w->lean, sizeof w->lean, "%.*s/scanq-scan", (int)(slash - w->o->self), w->o->self);
	if (access(w->lean, X_OK) != 0)
		w->lean[0] = '\0';
}

/* Identity, environment, store, registry, wake-up, signals and the webhook
 * sender.  Returns 0, or -1 (logged) with what was opened left for
 * worker_close(). */
static int worker_open(struct worker *w, const struct worker_opts *o)
{
	static const int caught[] = { SIGTERM, SIGINT };
	char err[256], host[64] = "host";

	w->o = o;
	w->lease_ms = config.lease_s * 1000;
	w->beat_ms = config.heartbeat_s * 1000;
	w->grace_ms = config.grace_s * 1000;
	gethostname(host, sizeof host - 1);
	if (o->name && *o->name)
		snprintf(w->name, sizeof w->name, "%s", o->name);
	else
		snprintf(w->name, sizeof w->name, "%.40s-%d", host, (int)getpid());
	worker_identity(w->id, sizeof w->id, w->name, host, (int)getpid(),
			o->instance ? o->instance : worker_instance());
	childenv_init(&w->env);
	find_lean(w);
	w->src = o->source ? o->source : source_store_open(o->db_url, err, sizeof err);
	if (!w->src) {
		log_error("cannot open the store", "worker=%s error=\"%s\"", w->name, err);
		return -1;
	}
	w->s = w->src->store;
	if (w->s && register_worker(w) != STORE_OK) {
		log_error("cannot register the worker", "worker=%s error=\"%s\"", w->name,
			  store_error(w->s));
		return -1;
	}

	signals_catch(on_signal, caught, 2, NULL, &w->waitmask);
	/* After the mask: the sender thread must never take SIGTERM/SIGINT. */
	w->sender = o->once || !w->s ? NULL : webhook_sender_start(o->db_url, w->id);

	log_info(w->s ? "worker started" : "agent started", "worker=%s pid=%d concurrency=%d"
		 " wakeup=%s lease_s=%d heartbeat_s=%d memory_limit=%s scanner=%s", w->name,
		 (int)getpid(), o->concurrency,
		 w->s ? source_store_wakeup_kind(w->src) : "long poll",
		 config.lease_s, config.heartbeat_s,
		 spawn_memory_limit_supported() ? "on" : "off", w->lean[0] ? "scanq-scan" : "scanq");
	w->next_beat = clock_mono_ms() + w->beat_ms;
	w->woken = 1;
	return 0;
}

static void worker_close(struct worker *w)
{
	for (int i = 0; i < w->njobs; i++)
		job_free(w->jobs[i]);
	webhook_sender_stop(w->sender);
	if (w->src)
		w->src->ops->close(w->src);
}

/*
 * Where the shutdown stands: the first signal starts the grace period (no
 * more claims; the scans may finish), its end or a second signal stops the
 * scans, and after a second signal final writes get HARD_STOP_MS.  --once
 * and --max-scans stop claiming but let the scans finish.  Returns 1 when
 * the loop is over.
 */
static int shutdown_step(struct worker *w, int64_t now)
{
	if (signals_seen > w->handled) {
		w->handled = signals_seen;
		if (!w->stopping) {
			w->stopping = 1;
			w->drain_end = now + w->grace_ms;
			log_info("worker stopping", "worker=%s running=%d grace_s=%d", w->name,
				 w->njobs, config.grace_s);
		} else if (!w->hard) {
			w->hard = w->killed = 1;
			w->hard_end = now + HARD_STOP_MS;
			log_info("worker stopping at once", "worker=%s running=%d", w->name, w->njobs);
			stop_all(w, 0);
		}
	}
	if (w->stopping && !w->killed && now >= w->drain_end) {
		w->killed = 1;
		log_info("grace period over, stopping scans", "worker=%s running=%d", w->name, w->njobs);
		stop_all(w, 0);
	}
	w->draining = w->stopping || (w->o->once && (w->claimed > 0 || w->found_none))
		|| (w->o->max_scans > 0 && w->claimed >= w->o->max_scans);
	if (w->draining && w->njobs == 0)
		return 1;
	if (w->hard && now >= w->hard_end) {
		for (int i = 0; i < w->njobs; i++)
			if (w->jobs[i]->child)
				return 0;
		for (int i = 0; i < w->njobs; i++)
			log_warn("final write not done, leaving the scan to lease recovery",
				 "scan=%lld attempt=%d worker=%s", (long long)w->jobs[i]->scan.id,
				 w->jobs[i]->scan.attempt, w->name);
		return 1;
	}
	return 0;
}

/*
 * The loop's duties that are due: claim into free slots, renew leases,
 * write what ended, the registry heartbeat, lease recovery (without a
 * serve) and the beat on the supervisor's pipe.  Returns 1 when the
 * supervisor is gone (which counts as a signal).
 */
static int duties(struct worker *w)
{
	int64_t now = clock_mono_ms();
	/* A full disk: what space there is goes to the scans that run. */
	const struct source_ops *ops = w->src->ops;
	int may_claim = !w->draining && ops->claim_ready(w->src);

	if (!w->draining && !may_claim && now >= w->next_claim)
		w->next_claim = now + CLAIM_RETRY_MS + ops->outage_wait_ms(w->src);

	if (may_claim && w->njobs < w->o->concurrency && (w->woken || now >= w->next_claim)) {
		w->woken = 0;
		w->next_claim = now + config.poll_ms;
		if (claim(w) < 0) {
			/* Soon, but not before the store will try the database again. */
			int64_t again = CLAIM_RETRY_MS + ops->outage_wait_ms(w->src);

			if (again < config.poll_ms)
				w->next_claim = clock_mono_ms() + again;
		}
	}
	renew(w);
	flush(w, may_claim && !w->stopping);
	now = clock_mono_ms();
	for (int i = 0; i < w->njobs; i++)
		if (w->jobs[i]->child && !w->jobs[i]->lost)
			ratefeed_step(&w->jobs[i]->feed, w->src, &w->jobs[i]->scan, now);
	if (w->s && now >= w->next_beat) {
		int rc = store_worker_heartbeat(w->s, w->id, w->scans_done);

		w->next_beat = now + w->beat_ms;
		if (rc == STORE_NOT_FOUND)
			register_worker(w);
		else if (rc != STORE_OK)
			/* Again as soon as the store tries the database again: after
			 * an outage longer than the liveness window, the registry
			 * must not show this worker dead for a heartbeat period. */
			w->next_beat = now + CLAIM_RETRY_MS + store_outage_wait_ms();
	}
	if (w->s && w->o->recover_leases && now >= w->next_recover) {
		w->next_recover = now + LEASE_RECOVERY_INTERVAL_MS;
		lease_recover(w->s, &w->pause);
	}
	if (w->o->heartbeat_fd >= 0 && now >= w->next_pipe) {
		w->next_pipe = now + PIPE_BEAT_MS;
		if (write(w->o->heartbeat_fd, "h", 1) < 0 && errno == EPIPE && !w->stopping) {
			/* The supervisor is gone: stop as on SIGTERM. */
			log_warn("supervisor gone, stopping", "worker=%s", w->name);
			signals_seen++;
			return 1;
		}
	}
	return 0;
}

/* The earliest time something of the loop's own is due (monotonic ms, 0
 * for nothing): its timers, and each job's renewal, progress and retry. */
static int64_t next_due(const struct worker *w, int64_t now)
{
	int64_t next = min_at(w->s ? w->next_beat : 0, w->o->heartbeat_fd >= 0 ? w->next_pipe : 0);

	if (w->o->recover_leases)
		next = min_at(next, w->next_recover);
	if (!w->draining && w->njobs < w->o->concurrency)
		next = min_at(next, w->next_claim);
	if (w->stopping && !w->killed)
		next = min_at(next, w->drain_end);
	if (w->hard)
		next = min_at(next, w->hard_end);
	for (int i = 0; i < w->njobs; i++) {
		const struct job *j = w->jobs[i];

		if (!j->lost)
			next = min_at(next, j->next_beat > w->renew_hold ? j->next_beat : w->renew_hold);
		if (!j->lost && !j->finishing && j->rep.progress != j->progress_written)
			next = min_at(next, j->progress_at + PROGRESS_EVERY_MS > w->renew_hold
				      ? j->progress_at + PROGRESS_EVERY_MS : w->renew_hold);
		if (j->finishing && !j->child)
			next = min_at(next, j->retry.next_ms ? j->retry.next_ms : now);
		if (j->child)
			next = min_at(next, ratefeed_next(&j->feed));
	}
	return next;
}

/*
 * Waits in one ppoll() for the store's wake-up, the children's pipes and
 * timers, or a signal, until next_due(); then reads what the children
 * wrote and reaps those that ended.
 */
static void wait_and_step(struct worker *w)
{
	struct pollfd pfd[1 + WORKER_CONCURRENCY_MAX * SPAWN_POLLFDS];
	int first[WORKER_CONCURRENCY_MAX], count[WORKER_CONCURRENCY_MAX];
	int npfd = 0, timeout, wake = w->src->ops->wake_fd(w->src);
	int64_t now = clock_mono_ms(), next = next_due(w, now);
	struct timespec ts;

	if (wake >= 0)
		pfd[npfd++] = (struct pollfd){ .fd = wake, .events = POLLIN };
	for (int i = 0; i < w->njobs; i++) {
		struct job *j = w->jobs[i];

		first[i] = npfd;
		count[i] = 0;
		if (j->child) {
			int t = spawn_timeout_ms(j->child);

			count[i] = spawn_pollfds(j->child, pfd + npfd);
			npfd += count[i];
			if (t >= 0)
				next = min_at(next, now + t);
		}
	}
	timeout = next <= now ? 0 : (int)(next - now);
	lease_pause_sleep(&w->pause, timeout);
	ts = (struct timespec){ timeout / 1000, (timeout % 1000) * 1000000L };
	if (ppoll(pfd, (nfds_t)npfd, &ts, &w->waitmask) < 0 && errno != EINTR)
		log_warn("poll failed", "error=\"%s\"", strerror(errno));
	if (wake >= 0 && pfd[0].revents && w->src->ops->wake_drain(w->src)) {
		w->woken = 1;
		/* The change may be a cancel of a scan we run: renew now, which
		 * reads cancel_requested (at most every WAKE_RENEW_MS). */
		if (clock_mono_ms() - w->wake_renew_at >= WAKE_RENEW_MS) {
			w->wake_renew_at = clock_mono_ms();
			for (int i = 0; i < w->njobs; i++)
				if (w->jobs[i]->next_beat > w->wake_renew_at)
					w->jobs[i]->next_beat = w->wake_renew_at;
		}
	}
	for (int i = 0; i < w->njobs; i++) {
		struct job *j = w->jobs[i];
		int ready = 0;

		if (!j->child)
			continue;
		for (int k = 0; k < count[i]; k++)
			ready |= pfd[first[i] + k].revents != 0;
		if (!ready && spawn_timeout_ms(j->child) != 0)
			continue;
		if (spawn_step(j->child)) {
			ratefeed_close(&j->feed);
			job_ended(w, j);
			spawn_free(j->child);
			j->child = NULL;
			w->woken = 1;	/* a slot is about to free up */
		}
	}
}

int worker_run(const struct worker_opts *o)
{
	struct worker w;
	char reason[64];

	memset(&w, 0, sizeof w);
	if (worker_open(&w, o) < 0) {
		worker_close(&w);
		return 1;
	}
	for (;;) {
		if (o->recover_leases && w.s)
			lease_pause_round(&w.pause, w.s);
		if (shutdown_step(&w, clock_mono_ms()))
			break;
		if (duties(&w))
			continue;
		wait_and_step(&w);
	}
	snprintf(reason, sizeof reason, "exit 0 (%s)", o->once ? "once" :
		 o->max_scans > 0 && w.claimed >= o->max_scans ? "max scans" : "shutdown");
	if (w.s) {
		store_worker_heartbeat(w.s, w.id, w.scans_done);
		store_worker_exited(w.s, w.id, reason);
	}
	log_info("worker stopped", "worker=%s scans=%lld reason=\"%s\"", w.name,
		 (long long)w.scans_done, reason);
	worker_close(&w);
	return 0;
}
