/*
 * bench/diff.c — the cost of change tracking on large scans: for N
 * findings a scan (default 25,000, 50,000 and 100,000), completes a
 * baseline scan and a second scan of the same baseline in which 1 % of
 * the ports closed, 1 % opened and 1 % changed version, and reports
 *   - store_diff() of the two (both finding sets read back and compared),
 *   - the second completion (N findings written, compared with the
 *     baseline's, 3 % change rows written, one transaction) against the
 *     same completion of a scan with no baseline (the comparison's share),
 * so the figures show whether the work is linear in N.
 *
 *   build/bench/diff [N...] [--db URL]   (default: a temp SQLite file per N)
 *
 * With --db postgres://... the database must be empty; it is reused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "store/store.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU time of this process: on a shared machine, the figure that does not
 * depend on what else runs. */
static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Findings of host i/256, port i%65535 (a shift moves a slice of ports). */
static struct finding *make(long n, long first, const char *version_of_changed, long changed_from)
{
	struct finding *v = calloc((size_t)n, sizeof *v);
	char buf[160];

	for (long k = 0; k < n; k++) {
		long i = first + k;
		struct finding *f = &v[k];

		snprintf(f->kind, sizeof f->kind, "open_port");
		snprintf(f->proto, sizeof f->proto, "tcp");
		snprintf(f->severity, sizeof f->severity, "info");
		f->port = (int)(i % 60000) + 1;
		snprintf(buf, sizeof buf, "10.%ld.%ld.%ld", (i / 60000) / 65536 % 256, (i / 60000) / 256 % 256,
			 (i / 60000) % 256);
		f->target = strdup(buf);
		f->service = strdup("http");
		snprintf(buf, sizeof buf, "open port %d/tcp http", f->port);
		f->title = strdup(buf);
		snprintf(buf, sizeof buf, "{\"product\":\"nginx\",\"version\":\"%s\",\"http_status\":200}",
			 version_of_changed && k >= changed_from ? version_of_changed : "1.22.1");
		f->detail = strdup(buf);
	}
	return v;
}

static int64_t submit_claim(struct store *s, const char *options, int *attempt)
{
	struct scan_request r = { .type = "portscan", .targets = "[\"10.0.0.0/8\"]",
				  .options = options, .max_attempts = 1, .time_limit_s = 60 };
	struct scan *c = NULL;
	size_t n = 0;
	int64_t id;
	int existed;

	if (store_submit(s, &r, &id, &existed) != STORE_OK
	    || store_claim(s, SCAN_POOL_LOCAL, "bench", 1, 600000, &c, &n) != STORE_OK || n != 1) {
		fprintf(stderr, "submit/claim: %s\n", store_error(s));
		exit(1);
	}
	*attempt = c[0].attempt;
	scan_array_free(c, n);
	return id;
}

static double complete(struct store *s, int64_t id, int attempt, struct finding *f, long n)
{
	double t0 = now_s();

	if (store_complete(s, id, attempt, "{}", f, (size_t)n) != STORE_OK) {
		fprintf(stderr, "complete: %s\n", store_error(s));
		exit(1);
	}
	return now_s() - t0;
}

static void run(long n, const char *url_arg)
{
	char dir[] = "/tmp/scanq-bench-diff-XXXXXX", url[600], err[256];
	struct store *s;
	struct scan_change *ch = NULL;
	size_t nch = 0, total = 0;
	long step = n / 100;		/* 1 % */
	int a1, a2, a3;
	double t_plain, t_tracked, t_diff, c_diff;
	int64_t id1, id2, id3;
	struct finding *base, *next, *plain;

	if (url_arg) {
		snprintf(url, sizeof url, "%s", url_arg);
	} else {
		if (!mkdtemp(dir)) {
			perror("mkdtemp");
			exit(1);
		}
		snprintf(url, sizeof url, "sqlite://%s/b.db", dir);
	}
	if (!(s = store_open(url, err, sizeof err))) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	/* The baseline: findings 0 .. n-1.  The next scan: 1 % gone at the
	 * start, 1 % new at the end, the last 1 % of the kept ones changed. */
	base = make(n, 0, NULL, 0);
	next = make(n, step, "1.25.0", n - 2 * step);
	plain = make(n, 0, NULL, 0);
	id1 = submit_claim(s, "{\"bench\":1}", &a1);
	complete(s, id1, a1, base, n);
	id3 = submit_claim(s, "{\"bench\":\"no baseline\"}", &a3);
	t_plain = complete(s, id3, a3, plain, n);
	id2 = submit_claim(s, "{\"bench\":1}", &a2);
	t_tracked = complete(s, id2, a2, next, n);
	t_diff = now_s();
	c_diff = cpu_s();
	if (store_diff(s, id1, id2, 0, &ch, &nch, &total) != STORE_OK) {
		fprintf(stderr, "diff: %s\n", store_error(s));
		exit(1);
	}
	t_diff = now_s() - t_diff;
	c_diff = cpu_s() - c_diff;
	printf("%7ld findings: diff %.3f s (cpu %.3f s, %zu changes); completion %.3f s with the comparison,"
	       " %.3f s without (comparison %.3f s)\n", n, t_diff, c_diff, total, t_tracked, t_plain,
	       t_tracked - t_plain);
	fflush(stdout);
	for (long k = 0; k < n; k++) {
		finding_release(&base[k]);
		finding_release(&next[k]);
		finding_release(&plain[k]);
	}
	free(base);
	free(next);
	free(plain);
	store_close(s);
	if (!url_arg) {
		char path[700];

		snprintf(path, sizeof path, "%s/b.db", dir);
		unlink(path);
		snprintf(path, sizeof path, "%s/b.db-wal", dir);
		unlink(path);
		snprintf(path, sizeof path, "%s/b.db-shm", dir);
		unlink(path);
		rmdir(dir);
	}
}

int main(int argc, char **argv)
{
	const char *url = NULL;
	long sizes[16];
	int ns = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
			url = argv[++i];
		else if (ns < 16 && atol(argv[i]) >= 100)
			sizes[ns++] = atol(argv[i]);
		else {
			fprintf(stderr, "usage: diff [N...] [--db URL]  (N >= 100)\n");
			return 2;
		}
	}
	if (!ns) {
		sizes[ns++] = 25000;
		sizes[ns++] = 50000;
		sizes[ns++] = 100000;
	}
	for (int i = 0; i < ns; i++)
		run(sizes[i], url);
	return 0;
}
