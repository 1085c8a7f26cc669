/*
 * pipeline.c — end-to-end benchmark of the worker pipeline: the real
 * `scanq serve` (fork + exec of the scanq binary next to this bench's build
 * folder, or $SCANQ), the real store, real children.  On SQLite (a fresh
 * file per part) unless SCANQ_BENCH_PG names a PostgreSQL server
 * (postgres://USER@HOST:PORT): then each part gets a fresh database
 * bench_PART there, made with psql.
 *
 *   throughput  N test-ok scans queued, then `serve --workers 2
 *               --concurrency 8`: scans/s from serve start to the last
 *               completion (claim, spawn, wait, complete: everything).
 *   pickup      an idle serve with 2 workers; one scan submitted at a
 *               time: submit -> child started, taken from the worker's
 *               "scan marked running" log line (logged right after the
 *               child has exec'ed; its timestamp has 1 ms resolution).
 *   rss         resident memory of an idle serve and its 2 workers
 *               (VmRSS summed, and PSS, which counts shared pages once).
 *   recovery    a worker running a scan is killed with SIGKILL under the
 *               default 30 s lease: time until the scan is running again
 *               as attempt 2 on the replacement worker.
 *
 * usage: pipeline [throughput|pickup|rss|recovery|all] [N]
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include "store/store.h"

static char scanq[PATH_MAX], dir[PATH_MAX], url[PATH_MAX + 128];

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec * 1000 + ts.tv_nsec / 1e6;
}

static void nap_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void die(const char *what)
{
	fprintf(stderr, "pipeline: %s\n", what);
	exit(1);
}

/* Starts `scanq --db URL serve --workers W --concurrency C`, stderr to log. */
static pid_t start_serve(int workers, int conc, const char *log)
{
	char w[16], c[16];
	pid_t pid;

	snprintf(w, sizeof w, "%d", workers);
	snprintf(c, sizeof c, "%d", conc);
	pid = fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || dup2(fd, 2) < 0)
			_exit(127);
		execl(scanq, scanq, "--db", url, "serve", "--workers", w, "--concurrency", c,
		      (char *)NULL);
		_exit(127);
	}
	if (pid < 0)
		die("fork failed");
	return pid;
}

static void stop_serve(pid_t pid)
{
	int st;

	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
}

static struct store *fresh_store(const char *name)
{
	char err[256], path[PATH_MAX + 64];
	struct store *s;

	const char *pg = getenv("SCANQ_BENCH_PG");

	if (pg && *pg) {
		char cmd[PATH_MAX + 256];

		/* The server's URL comes from whoever runs the bench, as in a shell. */
		snprintf(cmd, sizeof cmd, "psql -q '%s/postgres' -c 'DROP DATABASE IF EXISTS bench_%s'"
			 " -c 'CREATE DATABASE bench_%s'", pg, name, name);
		if (system(cmd) != 0)
			die("psql could not make a fresh database");
		snprintf(url, sizeof url, "%s/bench_%s", pg, name);
	} else {
		snprintf(path, sizeof path, "%s/%s.db", dir, name);
		snprintf(url, sizeof url, "sqlite://%s", path);
	}
	s = store_open(url, err, sizeof err);
	if (!s)
		die(err);
	return s;
}

static void submit_n(struct store *s, const char *type, const char *options, int n)
{
	struct scan_request r[500];
	int64_t ids[500];

	for (int done = 0; done < n;) {
		int k = n - done < 500 ? n - done : 500;

		for (int i = 0; i < k; i++)
			r[i] = (struct scan_request){ .type = type, .targets = "[\"127.0.0.1\"]",
				.options = options, .max_attempts = 3, .time_limit_s = 600 };
		if (store_submit_many(s, r, (size_t)k, ids, NULL) != STORE_OK)
			die(store_error(s));
		done += k;
	}
}

static int64_t finished(struct store *s)
{
	struct queue_status q;

	if (store_queue_status(s, &q) != STORE_OK)
		return -1;
	return q.by_status[SCAN_COMPLETED] + q.by_status[SCAN_FAILED];
}

static void throughput(int n)
{
	struct store *s = fresh_store("throughput");
	char log[PATH_MAX + 32];
	double t0, t1;
	pid_t serve;

	submit_n(s, "test-ok", NULL, n);
	snprintf(log, sizeof log, "%s/throughput.log", dir);
	t0 = now_ms();
	serve = start_serve(2, 8, log);
	while (finished(s) < n) {
		if (now_ms() - t0 > 600000)
			die("throughput: not done after 10 minutes");
		nap_ms(20);
	}
	t1 = now_ms();
	stop_serve(serve);
	printf("throughput: %d test-ok scans, 2 workers x 8: %.0f ms, %.0f scans/s\n", n,
	       t1 - t0, n * 1000.0 / (t1 - t0));
	store_close(s);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The ms timestamp of the "scan marked running" line of scan id, or -1. */
static double running_at(const char *log, int64_t id)
{
	char line[1024], want[64];
	FILE *f = fopen(log, "r");
	double at = -1;

	if (!f)
		return -1;
	snprintf(want, sizeof want, "msg=\"scan marked running\" scan=%lld ", (long long)id);
	while (fgets(line, sizeof line, f)) {
		struct tm tm;
		int ms;
		char *p;

		if (!strstr(line, want) || strncmp(line, "ts=", 3) != 0)
			continue;
		memset(&tm, 0, sizeof tm);
		p = strptime(line + 3, "%Y-%m-%dT%H:%M:%S", &tm);
		if (p && sscanf(p, ".%3dZ", &ms) == 1)
			at = (double)timegm(&tm) * 1000 + ms;
	}
	fclose(f);
	return at;
}

static void pickup(int n)
{
	struct store *s = fresh_store("pickup");
	char log[PATH_MAX + 32];
	double *lat = calloc((size_t)n, sizeof *lat);
	pid_t serve;

	if (!lat)
		die("out of memory");
	snprintf(log, sizeof log, "%s/pickup.log", dir);
	serve = start_serve(2, 8, log);
	nap_ms(500);
	for (int i = 0; i < n; i++) {
		struct scan_request r = { .type = "test-ok", .targets = "[\"127.0.0.1\"]",
					  .max_attempts = 1, .time_limit_s = 60 };
		int64_t id;
		double t0 = now_ms(), at;

		if (store_submit(s, &r, &id, NULL) != STORE_OK)
			die(store_error(s));
		while ((at = running_at(log, id)) < 0) {
			if (now_ms() - t0 > 10000)
				die("pickup: a scan was not picked up within 10 s");
			nap_ms(1);
		}
		/* The log's ms stamp is truncated: its mean error is +0.5 ms. */
		lat[i] = at + 0.5 - t0;
		while (finished(s) < i + 1)
			nap_ms(1);
		nap_ms(20);	/* idle again before the next one */
	}
	stop_serve(serve);
	qsort(lat, (size_t)n, sizeof *lat, cmp_double);
	printf("pickup: %d scans one at a time, submit -> child started: p50 %.1f ms, p99 %.1f ms,"
	       " max %.1f ms\n", n, lat[n / 2], lat[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1],
	       lat[n - 1]);
	free(lat);
	store_close(s);
}

static long proc_kb(pid_t pid, const char *file, const char *key)
{
	char path[64], line[256];
	long kb = 0;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
	if (!(f = fopen(path, "r")))
		return 0;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, key, strlen(key)) == 0)
			kb = strtol(line + strlen(key), NULL, 10);
	fclose(f);
	return kb;
}

static void rss(void)
{
	struct store *s = fresh_store("rss");
	struct worker_info *w = NULL;
	char log[PATH_MAX + 32];
	long rss_kb, pss_kb;
	size_t n = 0;
	pid_t serve;

	snprintf(log, sizeof log, "%s/rss.log", dir);
	serve = start_serve(2, 8, log);
	nap_ms(2000);
	rss_kb = proc_kb(serve, "status", "VmRSS:");
	pss_kb = proc_kb(serve, "smaps_rollup", "Pss:");
	if (store_worker_list(s, &w, &n) != STORE_OK)
		die(store_error(s));
	for (size_t i = 0; i < n; i++) {
		rss_kb += proc_kb(w[i].pid, "status", "VmRSS:");
		pss_kb += proc_kb(w[i].pid, "smaps_rollup", "Pss:");
	}
	printf("rss: idle serve + %zu workers: VmRSS sum %.1f MiB, PSS sum %.1f MiB\n", n,
	       rss_kb / 1024.0, pss_kb / 1024.0);
	free(w);
	stop_serve(serve);
	store_close(s);
}

static void recovery(void)
{
	struct store *s = fresh_store("recovery");
	struct worker_info *w = NULL;
	char log[PATH_MAX + 32];
	struct scan sc;
	size_t n = 0;
	pid_t serve, victim = 0;
	double t0;

	snprintf(log, sizeof log, "%s/recovery.log", dir);
	serve = start_serve(1, 1, log);
	submit_n(s, "test-sleep", "{\"seconds\":300}", 1);
	for (;;) {
		memset(&sc, 0, sizeof sc);
		if (store_get(s, 1, &sc) == STORE_OK && sc.status == SCAN_RUNNING) {
			scan_release(&sc);
			break;
		}
		scan_release(&sc);
		nap_ms(50);
	}
	if (store_worker_list(s, &w, &n) != STORE_OK || n != 1)
		die("recovery: no worker registered");
	victim = w[0].pid;
	free(w);
	kill(victim, SIGKILL);
	t0 = now_ms();
	for (;;) {
		memset(&sc, 0, sizeof sc);
		if (store_get(s, 1, &sc) == STORE_OK && sc.status == SCAN_RUNNING && sc.attempt == 2) {
			scan_release(&sc);
			break;
		}
		scan_release(&sc);
		if (now_ms() - t0 > 120000)
			die("recovery: not recovered within 120 s");
		nap_ms(100);
	}
	printf("recovery: SIGKILL of a worker with the default %s lease -> scan running again"
	       " (attempt 2): %.1f s\n", "30 s", (now_ms() - t0) / 1000);
	stop_serve(serve);
	store_close(s);
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "all";
	int n = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 0;
	const char *env = getenv("SCANQ");
	char self[PATH_MAX];
	ssize_t len;

	if (env) {
		snprintf(scanq, sizeof scanq, "%s", env);
	} else {
		len = readlink("/proc/self/exe", self, sizeof self - 1);
		if (len < 0)
			die("cannot find myself");
		self[len] = '\0';
		*strrchr(self, '/') = '\0';	/* BUILD/bench */
		snprintf(scanq, sizeof scanq, "%.4000s/../scanq", self);
	}
	if (access(scanq, X_OK) != 0)
		die("no scanq binary (set SCANQ)");
	snprintf(dir, sizeof dir, "%s/scanq-bench-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		die("mkdtemp failed");
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(what, "throughput") || !strcmp(what, "all"))
		throughput(n > 0 ? n : 5000);
	if (!strcmp(what, "pickup") || !strcmp(what, "all"))
		pickup(n > 0 && strcmp(what, "all") ? n : 200);
	if (!strcmp(what, "rss") || !strcmp(what, "all"))
		rss();
	if (!strcmp(what, "recovery") || !strcmp(what, "all"))
		recovery();
	printf("logs and databases: %s\n", dir);
	return 0;
}
