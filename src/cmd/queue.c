/*
 * queue.c — `scanq queue status [--json] [--watch [SECONDS]] [--count N]`:
 * how many scans are in each status (overall and by type), how long the
 * oldest due pending one has waited (from run_after), the throughput of the
 * last 1 and 5 minutes and the workers' health.  --watch redraws it in
 * place on a terminal, or prints one line per interval when piped.  Served from
 * counters the database keeps, never from a scan of the whole table.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "app/views.h"
#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "core/num.h"
#include "store/store.h"

static void print_text(const struct queue_status *q)
{
	printf("queue depth: %lld pending", (long long)q->by_status[SCAN_PENDING]);
	if (q->oldest_pending_ms)
		printf(" (oldest due %.1fs ago)", (double)q->oldest_pending_ms / 1000);
	printf("\nscans: ");
	for (int i = 0; i < SCAN_STATUS_COUNT; i++)
		printf("%s%s %lld", i ? ", " : "", scan_status_name((enum scan_status)i),
		       (long long)q->by_status[i]);
	printf("\nfinished in the last minute: %lld\n", (long long)q->finished_last_minute);
	printf("throughput: %.1f/min over 1 min, %.1f/min over 5 min\n",
	       (double)q->finished_last_minute, (double)q->finished_last_5_minutes / 5);
	printf("workers: %d active, %d idle, %d dead\n", q->workers_active, q->workers_idle,
	       q->workers_dead);
	for (int t = 0; t < q->ntypes; t++) {
		printf("  %-12s", q->types[t].type);
		for (int i = 0; i < SCAN_STATUS_COUNT; i++)
			printf(" %s %lld", scan_status_name((enum scan_status)i),
			       (long long)q->types[t].by_status[i]);
		putchar('\n');
	}
}

/* One line per interval when the output is not a terminal. */
/* What is paused, one line each (nothing when nothing is). */
static void print_pauses(struct store *s)
{
	struct pause *p = NULL;
	char line[400];
	size_t n = 0;

	if (store_pause_list(s, &p, &n) != STORE_OK) {
		printf("paused: unknown (%s)\n", store_error(s));
		return;
	}
	for (size_t i = 0; i < n; i++)
		printf("paused: %s\n", pause_describe(&p[i], line, sizeof line));
	free(p);
}

/* The maintenance windows open now, one line each (nothing when none is). */
static void print_windows(struct store *s)
{
	struct window *w = NULL;
	int64_t now = scan_now_ms();
	char line[1600];
	size_t n = 0;

	if (store_window_list(s, &w, &n) != STORE_OK) {
		printf("windows: unknown (%s)\n", store_error(s));
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (window_open(&w[i], now))
			printf("window open: %s\n", window_describe(&w[i], line, sizeof line));
	free(w);
}

static void print_line(const struct queue_status *q)
{
	char t[40];

	printf("%s pending=%lld running=%lld completed=%lld failed=%lld cancelled=%lld"
	       " oldest_pending_s=%.1f per_min_1m=%.1f per_min_5m=%.1f workers=%d/%d/%d\n",
	       scan_format_time(scan_now_ms(), t, sizeof t),
	       (long long)q->by_status[SCAN_PENDING], (long long)q->by_status[SCAN_RUNNING],
	       (long long)q->by_status[SCAN_COMPLETED], (long long)q->by_status[SCAN_FAILED],
	       (long long)q->by_status[SCAN_CANCELLED], (double)q->oldest_pending_ms / 1000,
	       (double)q->finished_last_minute, (double)q->finished_last_5_minutes / 5,
	       q->workers_active, q->workers_idle, q->workers_dead);
}

int cmd_queue(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "watch", no_argument, NULL, 'w' },
		{ "count", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct queue_status q;
	struct store *s;
	int c, json = 0, watch = 0, tty = isatty(STDOUT_FILENO), rc = CLI_OK;
	long long interval = 2, count = 0;
	const char *sub = NULL;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+:", opts, NULL)) != -1 || optind < argc) {
		if (c == -1) {
			/* status, or the SECONDS of --watch */
			const char *a = argv[optind++];

			if (watch == 1 && strspn(a, "0123456789") == strlen(a)) {
				if (num_parse(a, 1, 86400, &interval) < 0)
					return cli_usage("queue", "--watch SECONDS must be 1 to 86400");
				watch = 2;
			} else if (!sub) {
				sub = a;
			} else {
				return cli_usage("queue", "unexpected argument '%s'", a);
			}
			continue;
		}
		switch (c) {
		case 'j': json = 1; break;
		case 'w': watch = 1; break;
		case 'n':
			if (num_parse(optarg, 1, 1000000000, &count) < 0)
				return cli_usage("queue", "--count must be a positive integer");
			break;
		default:
			return cli_bad_option("queue", argv, c);
		}
	}
	if (!sub || strcmp(sub, "status") != 0)
		return cli_usage("queue", !sub ? "missing subcommand (status)"
				 : "unknown subcommand (expected: status)");
	if (count && !watch)
		return cli_usage("queue", "--count goes with --watch");
	if (!(s = cli_open_store(cli)))
		return CLI_FAIL;
	for (long long i = 0; ; i++) {
		if (store_queue_status(s, &q) != STORE_OK) {
			rc = cli_error("%s", store_error(s));
			if (!watch)
				break;
		} else if (json) {
			json_t *o = queue_status_to_json(&q), *p = store_pauses_json(s);
			json_t *w = store_windows_open_json(s, scan_now_ms());

			json_object_set_new(o, "paused", p ? p : json_array());
			json_object_set_new(o, "windows_open", w ? w : json_array());
			json_dumpf(o, stdout, watch ? JSON_COMPACT : JSON_INDENT(2));
			putchar('\n');
			json_decref(o);
		} else if (watch && tty) {
			char t[40];

			/* Redraw in place: home, clear, the status and the time. */
			fputs("\033[H\033[2J", stdout);
			printf("scanq queue status, every %llds (Ctrl-C stops)  %s\n\n", interval,
			       scan_format_time(scan_now_ms(), t, sizeof t));
			print_text(&q);
		} else if (watch) {
			print_line(&q);
		} else {
			print_text(&q);
			print_pauses(s);
			print_windows(s);
		}
		fflush(stdout);
		if (!watch || (count && i + 1 >= count))
			break;
		sleep((unsigned)interval);
	}
	store_close(s);
	return rc;
}
