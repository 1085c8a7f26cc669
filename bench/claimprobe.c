/*
 * bench/claimprobe.c — how long a claim waits while something else writes
 * (a prune of many old scans, say): queues one scan, claims it and
 * completes it, over and over, timing each claim, until SECONDS pass or
 * the file STOP exists.  Prints one line:
 *
 *   claims=N errors=E max_ms=X p99_ms=Y
 *
 *   build/bench/claimprobe DB_URL SECONDS [STOP]
 *
 * Exit status 1 when a claim failed or found nothing to claim.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "store/store.h"

#define SAMPLES_MAX 1000000

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct scan_request req = { .type = "test-ok", .targets = "[\"127.0.0.1\"]", .max_attempts = 3,
				    .time_limit_s = 60 };
	double *lat, end, max = 0;
	const char *stop = argc > 3 ? argv[3] : NULL;
	long n = 0, errors = 0;
	char err[256];
	struct store *s;

	if (argc < 3) {
		fprintf(stderr, "usage: claimprobe DB_URL SECONDS [STOP]\n");
		return 2;
	}
	if (!(s = store_open(argv[1], err, sizeof err))) {
		fprintf(stderr, "claimprobe: %s\n", err);
		return 1;
	}
	lat = calloc(SAMPLES_MAX, sizeof *lat);
	end = now_ms() + atof(argv[2]) * 1000;
	while (lat && n < SAMPLES_MAX && now_ms() < end && !(stop && access(stop, F_OK) == 0)) {
		struct scan *sc = NULL;
		size_t got = 0;
		int64_t id;
		double t0;

		if (store_submit(s, &req, &id, NULL) != STORE_OK) {
			errors++;
			continue;
		}
		t0 = now_ms();
		if (store_claim(s, SCAN_POOL_LOCAL, "claimprobe", 1, 30000, &sc, &got) != STORE_OK || got != 1) {
			errors++;
			scan_array_free(sc, got);
			continue;
		}
		lat[n] = now_ms() - t0;
		if (lat[n] > max)
			max = lat[n];
		n++;
		if (store_complete(s, sc[0].id, sc[0].attempt, "{}", NULL, 0) != STORE_OK)
			errors++;
		scan_array_free(sc, got);
	}
	if (n)
		qsort(lat, (size_t)n, sizeof *lat, cmp);
	printf("claims=%ld errors=%ld max_ms=%.1f p99_ms=%.1f\n", n, errors, max,
	       n ? lat[(size_t)((double)(n - 1) * 0.99)] : 0.0);
	free(lat);
	store_close(s);
	return errors || !n ? 1 : 0;
}
