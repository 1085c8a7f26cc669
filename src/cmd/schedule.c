/*
 * schedule.c — `scanq schedule add|list|show|pause|resume|rm|run-now`:
 * scheduled scans.  Checks are schedule_build()'s (scheduler.c), shared
 * with the HTTP API; `serve` fires them (scheduler.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "app/views.h"
#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "core/num.h"
#include "maintenance/scheduler.h"
#include "store/store.h"
#include "app/submit.h"


/* Who changed a schedule, in the audit trail (`scanq audit`). */
static void audit_schedule(struct store *s, const char *action, int64_t scan_id,
			   const struct schedule *sc)
{
	char detail[SCHEDULE_NAME_MAX + 16];

	snprintf(detail, sizeof detail, "schedule %s", sc->name);
	cli_audit(s, action, scan_id, detail);
}

static const char *when(int64_t ms, char *buf, size_t len)
{
	return ms ? scan_format_time(ms, buf, len) : "-";
}

static const char *state_of(const struct schedule *sc, int64_t now)
{
	if (sc->paused)
		return "paused";
	return sc->next_run_at < now - SCHEDULE_LATE_MS ? "late" : "active";
}

static void print_json(json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT);

	if (text)
		printf("%s\n", text);
	free(text);
	json_decref(j);
}

/* The schedule of `schedule add`: words holds NAME TYPE TARGET... (the
 * positional arguments), the rest came from options.  Returns CLI_OK with
 * *sc filled, or what was wrong (said). */
static int build_from_words(json_t *words, const char *cron, const char *tz, const char *overlap,
			    struct submit_input *in, int64_t now, struct schedule *sc)
{
	struct submit_error err;
	json_t *list;
	int rc;

	if (json_array_size(words) < 1)
		return cli_usage("schedule", "add: missing schedule name");
	if (!cron)
		return cli_usage("schedule", "add: --cron \"EXPR\" is required");
	if (json_array_size(words) < 2)
		return cli_usage("schedule", "add: missing scan type");
	if (json_array_size(words) < 3)
		return cli_usage("schedule", "add: no targets given (no_targets)");
	in->type = json_string_value(json_array_get(words, 1));
	list = json_array();
	for (size_t i = 2; i < json_array_size(words); i++)
		json_array_append(list, json_array_get(words, i));
	in->targets = list;
	rc = schedule_build(json_string_value(json_array_get(words, 0)), cron, tz, overlap, in, now, sc,
			    &err);
	json_decref(list);
	in->targets = NULL;
	return rc < 0 ? cli_error("%s (%s)", err.message, err.code) : CLI_OK;
}

static int sched_add(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "cron", required_argument, NULL, 'c' },
		{ "tz", required_argument, NULL, 'z' },
		{ "overlap", required_argument, NULL, 'O' },
		CMD_SCAN_OPTIONS,
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cron = NULL, *tz = NULL, *overlap = NULL;
	struct submit_input in;
	struct schedule sc = { 0 };
	struct store *s = NULL;
	json_t *words = NULL, *options = NULL;
	int64_t id, now = scheduler_now_ms();
	int c, json = 0, rc = CLI_USAGE;
	char t[40];

	submit_input_init(&in);
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:", opts, NULL)) != -1 || optind < argc) {
		if (c == -1) {
			/* A positional argument: NAME, TYPE, TARGET... in any order with options. */
			if (!words)
				words = json_array();
			json_array_append_new(words, json_string(argv[optind++]));
			continue;
		}
		switch (c) {
		case 'c': cron = optarg; break;
		case 'z': tz = optarg; break;
		case 'O': overlap = optarg; break;
		case 'j': json = 1; break;
		default:	/* rc is CLI_USAGE while the options are read */
			if (cmd_scan_option("schedule", argv, c, optarg, &in, &options) != CLI_OK)
				goto out;
		}
	}
	if ((rc = build_from_words(words, cron, tz, overlap, &in, now, &sc)) != CLI_OK)
		goto out;
	rc = CLI_FAIL;
	if (!(s = cli_open_store(cli)))
		goto out;
	switch (store_schedule_add(s, &sc, now, &id)) {
	case STORE_OK:
		break;
	case STORE_ILLEGAL:
		rc = cli_error("%s (name_taken)", store_error(s));
		goto out;
	default:
		rc = cli_error("could not add the schedule: %s", store_error(s));
		goto out;
	}
	sc.id = id;
	audit_schedule(s, "schedule add", 0, &sc);
	if (json)
		print_json(schedule_to_json(&sc, now));
	else
		printf("schedule %s added (id %lld); next run %s\n", sc.name, (long long)id,
		       when(sc.next_run_at, t, sizeof t));
	rc = CLI_OK;
out:
	schedule_release(&sc);
	json_decref(words);
	json_decref(options);
	store_close(s);
	return rc;
}

/* Parses [--json] and exactly `want` positional arguments (NAME) into args. */
static int simple_args(const char *sub, int argc, char **argv, int want, const char **args,
		       int *json)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int c, n = 0;

	*json = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:", opts, NULL)) != -1 || optind < argc) {
		if (c == -1) {
			if (n == want)
				return cli_usage("schedule", "%s: unexpected argument '%s'", sub,
						 argv[optind]);
			args[n++] = argv[optind++];
			continue;
		}
		if (c == 'j') {
			*json = 1;
			continue;
		}
		return cli_bad_option("schedule", argv, c);
	}
	if (n < want)
		return cli_usage("schedule", "%s: missing schedule name", sub);
	return CLI_OK;
}

static int sched_list(int argc, char **argv, struct cli *cli)
{
	struct schedule *arr;
	struct store *s;
	size_t n;
	int json, rc;
	int64_t now = scheduler_now_ms();

	if ((rc = simple_args("list", argc, argv, 0, NULL, &json)) != CLI_OK)
		return rc;
	if (!(s = cli_open_store(cli)))
		return CLI_FAIL;
	if (store_schedule_list(s, &arr, &n) != STORE_OK) {
		rc = cli_error("could not list schedules: %s", store_error(s));
		store_close(s);
		return rc;
	}
	if (json) {
		json_t *a = json_array();

		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, schedule_to_json(&arr[i], now));
		print_json(a);
	} else {
		printf("%-20s %-20s %-16s %-7s %-24s %-10s %s\n", "NAME", "CRON", "TZ", "STATE",
		       "NEXT RUN", "LAST", "TYPE TARGETS");
		for (size_t i = 0; i < n; i++) {
			char t[40], last[32];

			if (arr[i].last_scan_id)
				snprintf(last, sizeof last, "%lld:%s", (long long)arr[i].last_scan_id,
					 arr[i].last_status);
			else
				snprintf(last, sizeof last, "-");
			printf("%-20s %-20s %-16s %-7s %-24s %-10s %s %s\n", arr[i].name, arr[i].cron,
			       arr[i].tz, state_of(&arr[i], now),
			       arr[i].paused ? "-" : when(arr[i].next_run_at, t, sizeof t), last,
			       arr[i].type, arr[i].targets ? arr[i].targets : "");
		}
	}
	schedule_array_free(arr, n);
	store_close(s);
	return CLI_OK;
}

/* Opens the store and reads schedule `name`; prints why not. */
static struct store *open_one(struct cli *cli, const char *name, struct schedule *sc, int *rc)
{
	struct store *s = cli_open_store(cli);
	int r;

	*rc = CLI_FAIL;
	if (!s)
		return NULL;
	if ((r = store_schedule_get(s, name, sc)) != STORE_OK) {
		cli_error("%s%s", r == STORE_NOT_FOUND ? "" : "could not read the schedule: ",
			  store_error(s));
		store_close(s);
		return NULL;
	}
	*rc = CLI_OK;
	return s;
}

static int sched_show(int argc, char **argv, struct cli *cli)
{
	const char *name;
	struct schedule sc;
	struct store *s;
	int json, rc;
	int64_t now = scheduler_now_ms();
	char t[40];

	if ((rc = simple_args("show", argc, argv, 1, &name, &json)) != CLI_OK)
		return rc;
	if (!(s = open_one(cli, name, &sc, &rc)))
		return rc;
	if (json) {
		print_json(schedule_to_json(&sc, now));
	} else {
		printf("schedule %s (id %lld)\n", sc.name, (long long)sc.id);
		printf("  cron         %s (%s)\n", sc.cron, sc.tz);
		printf("  overlap      %s\n", sc.overlap);
		printf("  pool         %s\n", sc.pool[0] ? sc.pool : "local");
		printf("  scan         %s %s options %s\n", sc.type, sc.targets, sc.options);
		printf("  state        %s\n", state_of(&sc, now));
		printf("  next run     %s\n", sc.paused ? "- (paused)" : when(sc.next_run_at, t, sizeof t));
		printf("  last fired   %s\n", when(sc.last_fired_at, t, sizeof t));
		printf("  last skipped %s\n", when(sc.last_skipped_at, t, sizeof t));
		printf("  fired        %lld, skipped %lld\n", (long long)sc.fired, (long long)sc.skipped);
		if (sc.last_scan_id)
			printf("  last scan    %lld (%s)\n", (long long)sc.last_scan_id, sc.last_status);
		else
			printf("  last scan    -\n");
	}
	schedule_release(&sc);
	store_close(s);
	return CLI_OK;
}

static int sched_set_paused(int argc, char **argv, struct cli *cli, int pause)
{
	const char *name, *sub = pause ? "pause" : "resume";
	struct schedule sc;
	struct store *s;
	int json, rc;
	int64_t now = scheduler_now_ms();
	char err[256], t[40];

	if ((rc = simple_args(sub, argc, argv, 1, &name, &json)) != CLI_OK)
		return rc;
	if (!(s = open_one(cli, name, &sc, &rc)))
		return rc;
	/* Resuming plans from now: what was missed while paused does not fire. */
	if (!pause && scheduler_plan(&sc, now, err, sizeof err) < 0)
		rc = cli_error("%s", err);
	else if (store_schedule_pause(s, sc.id, pause, sc.next_run_at) != STORE_OK)
		rc = cli_error("could not %s the schedule: %s", sub, store_error(s));
	else {
		audit_schedule(s, pause ? "schedule pause" : "schedule resume", 0, &sc);
		if (pause)
			printf("schedule %s paused\n", sc.name);
		else
			printf("schedule %s resumed; next run %s\n", sc.name,
			       when(sc.next_run_at, t, sizeof t));
	}
	schedule_release(&sc);
	store_close(s);
	return rc;
}

static int sched_rm(int argc, char **argv, struct cli *cli)
{
	const char *name;
	struct schedule sc;
	struct store *s;
	int json, rc;

	if ((rc = simple_args("rm", argc, argv, 1, &name, &json)) != CLI_OK)
		return rc;
	if (!(s = open_one(cli, name, &sc, &rc)))
		return rc;
	if (store_schedule_delete(s, sc.id) != STORE_OK) {
		rc = cli_error("could not remove the schedule: %s", store_error(s));
	} else {
		audit_schedule(s, "schedule rm", 0, &sc);
		printf("schedule %s removed; its scans are kept\n", sc.name);
	}
	schedule_release(&sc);
	store_close(s);
	return rc;
}

static int sched_run_now(int argc, char **argv, struct cli *cli)
{
	const char *name;
	struct schedule sc;
	struct store *s;
	int json, rc;
	int64_t scan_id;

	if ((rc = simple_args("run-now", argc, argv, 1, &name, &json)) != CLI_OK)
		return rc;
	if (!(s = open_one(cli, name, &sc, &rc)))
		return rc;
	if (schedule_run_now(s, &sc, &scan_id) != STORE_OK) {
		rc = cli_error("could not queue the scan: %s", store_error(s));
		goto out;
	}
	audit_schedule(s, "schedule run-now", scan_id, &sc);
	if (json)
		printf("{\"id\":%lld,\"status\":\"pending\",\"schedule\":\"%s\"}\n",
		       (long long)scan_id, sc.name);
	else
		printf("%lld\n", (long long)scan_id);
out:
	schedule_release(&sc);
	store_close(s);
	return rc;
}

static int sched_pause(int argc, char **argv, struct cli *cli)
{
	return sched_set_paused(argc, argv, cli, 1);
}

static int sched_resume(int argc, char **argv, struct cli *cli)
{
	return sched_set_paused(argc, argv, cli, 0);
}

int cmd_schedule(int argc, char **argv, struct cli *cli)
{
	static const struct cli_sub subs[] = {
		{ "add", sched_add }, { "list", sched_list }, { "show", sched_show },
		{ "pause", sched_pause }, { "resume", sched_resume }, { "rm", sched_rm },
		{ "run-now", sched_run_now }, { NULL, NULL },
	};

	return cli_dispatch("schedule", subs, argc, argv, cli);
}
