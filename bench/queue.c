/*
 * bench/queue.c — drives the store directly, with no workers and no child
 * processes: insert N scans in batches, then claim and complete them in
 * batches, as a worker does (each batch completed and the next claimed in
 * one transaction: store_complete_and_claim), and report
 * scans/s for each phase, the claim+complete cycle, and the database file
 * size per scan.  Durability is the default (synchronous=FULL) unless
 * SCANQ_SQLITE_SYNCHRONOUS says otherwise.
 *
 *   build/bench/queue [N [BATCH [DB_PATH | postgres://URL [INSERT_BATCH]]]]
 *                    (defaults 100000 100 a temp SQLite file, INSERT_BATCH = BATCH)
 *
 * With a PostgreSQL URL the database must be empty; its size is not shown.
 * SCANQ_BENCH_HOOK, when set, is a shell command run (with the argument
 * `inserted`) after the insert phase and before the drain, its connection
 * idle: bench/queue-cost.sh takes its first snapshot of the server's
 * statistics there.  A hook that fails stops the bench.
 * SCANQ_BENCH_BEATS=K (default 0) renews each claimed scan's lease K times
 * (store_heartbeat(), with progress) before its batch is completed, as a
 * worker does while a scan runs: bench/queue-cost.sh then shows what a
 * heartbeat costs the server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "store/store.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static long long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 100000;
	long batch = argc > 2 ? strtol(argv[2], NULL, 10) : 100;
	long ibatch = argc > 4 ? strtol(argv[4], NULL, 10) : batch;
	char path[512], url[600], err[256], wal[600];
	struct scan_request *reqs;
	struct store_completion *done;
	int64_t *ids;
	struct store *s;
	double t0, t_ins, t_claim = 0, t_comp = 0;
	long claimed = 0, completed = 0;
	const char *sync = getenv("SCANQ_SQLITE_SYNCHRONOUS");
	long beats = getenv("SCANQ_BENCH_BEATS") ? strtol(getenv("SCANQ_BENCH_BEATS"), NULL, 10) : 0;
	double t_beat = 0;

	if (n < 1 || batch < 1 || batch > STORE_CLAIM_MAX || ibatch < 1 || ibatch > 100000
	    || beats < 0 || beats > 1000) {
		fprintf(stderr, "usage: queue [N [BATCH(1..%d) [DB_PATH|URL [INSERT_BATCH]]]]\n",
			STORE_CLAIM_MAX);
		return 2;
	}
	int pg = argc > 3 && strstr(argv[3], "://") != NULL;

	if (argc > 3)
		snprintf(path, sizeof path, "%s", argv[3]);
	else
		snprintf(path, sizeof path, "/tmp/scanq-bench-queue-%d.db", (int)getpid());
	/* A fresh file of its own; a path given is used as it is (bench/queue-flat.sh
	 * seeds one with finished scans: unlinking it measured an empty database). */
	if (!pg && argc <= 3)
		unlink(path);
	snprintf(wal, sizeof wal, "%s-wal", path);
	snprintf(url, sizeof url, pg ? "%s" : "sqlite://%s", path);
	if (!(s = store_open(url, err, sizeof err))) {
		fprintf(stderr, "error: %s\n", err);
		return 1;
	}
	reqs = calloc((size_t)ibatch, sizeof *reqs);
	ids = calloc((size_t)ibatch, sizeof *ids);
	done = calloc((size_t)batch, sizeof *done);
	for (long i = 0; i < ibatch; i++)
		reqs[i] = (struct scan_request){ .type = "portscan",
			.targets = "[\"127.0.0.1\"]", .options = "{\"ports\":\"1-1024\"}",
			.max_attempts = 3, .time_limit_s = 1800 };

	if (pg)
		printf("scans %ld, batch %ld, postgres\n", n, batch);
	else
		printf("scans %ld, batch %ld, sqlite synchronous=%s, db %s\n", n, batch,
		       sync ? sync : "FULL", path);
	t0 = now_s();
	for (long left = n; left > 0; left -= ibatch) {
		size_t k = (size_t)(left < ibatch ? left : ibatch);
		if (store_submit_many(s, reqs, k, ids, NULL) != STORE_OK) {
			fprintf(stderr, "error: submit: %s\n", store_error(s));
			return 1;
		}
	}
	t_ins = now_s() - t0;
	if (getenv("SCANQ_BENCH_HOOK")) {
		char cmd[1024];

		snprintf(cmd, sizeof cmd, "%s inserted", getenv("SCANQ_BENCH_HOOK"));
		fflush(stdout);
		if (system(cmd) != 0) {
			fprintf(stderr, "error: hook failed: %s\n", cmd);
			return 1;
		}
	}

	/* As a worker drains: the first claim alone, then each batch's
	 * completion and the next claim in one transaction. */
	{
		struct scan *c = NULL;
		size_t k = 0;
		double t1 = now_s();

		if (store_claim(s, SCAN_POOL_LOCAL, "bench", (int)batch, 30000, &c, &k) != STORE_OK) {
			fprintf(stderr, "error: claim: %s\n", store_error(s));
			return 1;
		}
		t_claim += now_s() - t1;
		while (k > 0) {
			struct scan *next = NULL;
			size_t nk = 0;

			claimed += (long)k;
			t1 = now_s();
			for (long b = 1; b <= beats; b++)
				for (size_t i = 0; i < k; i++)
					if (store_heartbeat(s, c[i].id, c[i].attempt, 30000,
							    (double)b / (double)(beats + 1), NULL) != STORE_OK) {
						fprintf(stderr, "error: heartbeat: %s\n", store_error(s));
						return 1;
					}
			t_beat += now_s() - t1;
			for (size_t i = 0; i < k; i++)
				done[i] = (struct store_completion){ .id = c[i].id,
					.attempt = c[i].attempt, .summary = "{\"findings\":0}" };
			t1 = now_s();
			if (store_complete_and_claim(s, done, k, SCAN_POOL_LOCAL, "bench", (int)batch, 30000, &next,
						     &nk) != STORE_OK) {
				fprintf(stderr, "error: complete and claim: %s\n", store_error(s));
				return 1;
			}
			t_comp += now_s() - t1;
			for (size_t i = 0; i < k; i++)
				completed += done[i].rc == STORE_OK;
			scan_array_free(c, k);
			c = next;
			k = nk;
		}
		scan_array_free(c, k);
	}
	store_close(s);	/* checkpoints the WAL into the main file */

	printf("insert:          %8.0f scans/s  (%.2f s)\n", n / t_ins, t_ins);
	printf("first claim:     %8.2f ms\n", t_claim * 1000);
	printf("complete+claim:  %8.0f scans/s  (%.2f s; each batch completed and the next\n"
	       "                                    claimed in one transaction)\n",
	       completed / t_comp, t_comp);
	printf("claim+complete:  %8.0f scans/s  (%.2f s)\n", completed / (t_claim + t_comp),
	       t_claim + t_comp);
	if (beats)
		printf("heartbeats:      %8.0f /s  (%ld a scan, %.2f s)\n",
		       (double)(beats * claimed) / t_beat, beats, t_beat);
	if (!pg)
		printf("database:        %8.0f bytes/scan (%lld bytes, wal %lld)\n",
		       (double)file_size(path) / n, file_size(path), file_size(wal));
	if (completed != n) {
		fprintf(stderr, "error: completed %ld of %ld\n", completed, n);
		return 1;
	}
	if (argc <= 3) {
		unlink(path);
		unlink(wal);
	}
	free(reqs);
	free(ids);
	free(done);
	return 0;
}
