/*
 * serve.c — `scanq serve`: the whole system on one database.  It runs the
 * HTTP API and web UI (src/api/), starts and watches the worker processes
 * (supervisor.c), and runs the maintenance loop (maintenance.c: lease
 * recovery every 2 s, pruning hourly).  SIGTERM or SIGINT stops it:
 * workers finish or hand back their scans, then the API closes.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include "api/api.h"
#include "cmd/cli.h"
#include "core/num.h"
#include "cmd/cmd.h"
#include "core/config.h"
#include "worker/supervisor.h"
#include "worker/worker.h"
#include "maintenance/maintenance.h"
#include "maintenance/scheduler.h"
#include "maintenance/window.h"
#include "core/log.h"
#include "store/store.h"

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	stopping = sig;
}

struct serve_tick {
	struct maintenance *m;
	struct store *s;
	int64_t next_names;	/* when the workers' names are renewed next */
};

/* The workers' names are renewed at a third of their term. */
#define SERVE_NAMES_RENEW_MS (STORE_WORKER_NAME_TTL_MS / 3)

static int64_t tick(void *arg)
{
	struct serve_tick *t = arg;
	int64_t now = scan_now_ms(), wait;

	if (now >= t->next_names) {
		if (store_worker_names_renew(t->s, t->m->holder) != STORE_OK && !store_outage(t->s))
			log_warn("renewing the workers' names failed", "error=\"%s\"", store_error(t->s));
		t->next_names = now + SERVE_NAMES_RENEW_MS;
	}
	wait = maintenance_tick(t->m, t->s);
	return wait < t->next_names - now ? wait : t->next_names - now;
}

/* serve's options into sup and *listen; returns CLI_OK or a usage error. */
static int serve_options(int argc, char **argv, struct supervisor_config *sup,
			 const char **listen)
{
	static const struct option opts[] = {
		{ "workers", required_argument, NULL, 'w' },
		{ "concurrency", required_argument, NULL, 'c' },
		{ "max-scans-per-worker", required_argument, NULL, 'm' },
		{ "listen", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	long long v;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'w':
			if (num_parse(optarg, 0, SUPERVISOR_WORKERS_MAX, &v) < 0)
				return cli_usage("serve", "--workers must be 0..%d",
						 SUPERVISOR_WORKERS_MAX);
			sup->workers = (int)v;
			break;
		case 'c':
			if (num_parse(optarg, 1, WORKER_CONCURRENCY_MAX, &v) < 0)
				return cli_usage("serve", "--concurrency must be 1..%d",
						 WORKER_CONCURRENCY_MAX);
			sup->concurrency = (int)v;
			break;
		case 'm':
			if (num_parse(optarg, 0, 1000000000, &v) < 0)
				return cli_usage("serve", "--max-scans-per-worker must be 0 or more");
			sup->max_scans = (int)v;
			break;
		case 'l':
			*listen = optarg;
			break;
		default:
			return cli_bad_option("serve", argv, c);
		}
	}
	if (optind != argc)
		return cli_usage("serve", "unexpected argument '%s'", argv[optind]);
	return CLI_OK;
}

/*
 * Until a signal: the supervisor's loop with the workers (its tick runs
 * maintenance), or, with --workers 0, maintenance alone.  Returns 0, or -1
 * when the workers could not take their names (serve then exits 1).
 */
static int serve_until_stopped(struct supervisor_config *sup, struct maintenance *m,
			       struct store *s)
{
	struct serve_tick t = { m, NULL, 0 };
	char names[SUPERVISOR_WORKERS_MAX][16];

	if (sup->workers > 0) {
		/* Names unique per database: another serve on it has its own. */
		if (store_worker_names_take(s, m->holder, sup->workers, names) != STORE_OK) {
			log_error("cannot take names for the workers", "error=\"%s\"", store_error(s));
			stopping = SIGTERM;
			return -1;
		}
		sup->names = names;
		t.next_names = scan_now_ms() + SERVE_NAMES_RENEW_MS;
		/* Silence longer than 3 heartbeats is a stall, but never less than 10 s:
		 * a worker may wait up to the store's busy timeout (5 s) in one call. */
		sup->store = t.s = s;
		sup->stall_ms = config.heartbeat_s * 3000 > 10000 ? config.heartbeat_s * 3000 : 10000;
		sup->grace_ms = config.grace_s * 1000 + 5000;
		supervisor_run(sup, tick, &t);
		stopping = SIGTERM;
		if (store_worker_names_drop(s, m->holder) != STORE_OK)
			log_warn("giving the workers' names up failed", "error=\"%s\"", store_error(s));
	}
	while (!stopping) {
		int64_t wait = maintenance_tick(m, s);
		struct timespec ts = { (time_t)(wait / 1000), (long)(wait % 1000) * 1000000L };

		while (!stopping && nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	return 0;
}

int cmd_serve(int argc, char **argv, struct cli *cli)
{
	struct maintenance m;
	struct supervisor_config sup = { .self = cli->self, .db_url = cli->db_url,
					 .workers = config.workers,
					 .concurrency = config.concurrency };
	struct sigaction sa;
	struct store *s;
	struct api_options ao = { .db_url = cli->db_url, .self = cli->self };
	struct api *api;
	struct scheduler *sched;
	char aerr[256], url[512];
	int rc;

	maintenance_init(&m);
	if ((rc = serve_options(argc, argv, &sup, &ao.listen)) != CLI_OK)
		return rc;
	log_set_component("serve");
	if (!(s = cli_open_store(cli)))
		return CLI_FAIL;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* The listening address first: a serve that cannot have it says so in
	 * one line and starts nothing. */
	if (!(api = api_start(&ao, aerr, sizeof aerr))) {
		store_close(s);
		return cli_error("%s", aerr);
	}
	/* Scheduled scans: every serve fires them (scheduler.h says why). */
	if (!(sched = scheduler_start(cli->db_url, window_tick, aerr, sizeof aerr))) {
		api_stop(api);
		store_close(s);
		return cli_error("scheduler: %s", aerr);
	}
	log_info("scanq serving", "db=%s backend=%s schema=%d workers=%d",
		 store_url_redacted(cli->db_url, url, sizeof url), store_backend(s),
		 store_schema_version(s), sup.workers);
	rc = serve_until_stopped(&sup, &m, s) < 0 ? CLI_FAIL : CLI_OK;
	scheduler_stop(sched);
	api_stop(api);
	maintenance_release(&m, s);
	log_info("scanq stopped", "signal=%d", (int)stopping);
	store_close(s);
	return rc;
}
