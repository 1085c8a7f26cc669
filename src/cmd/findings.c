/*
 * findings.c — `scanq findings ID [--json] [--limit N] [--min-severity S]`:
 * the results of one scan, oldest first, read page by page from the store
 * (never the whole table at once), only those of severity S or above when
 * asked.  A scan without (such) findings prints nothing (or []).  The
 * text form ends a line with the finding's CVE ids; the JSON form carries
 * them as "cve" and the finding's "fingerprint".
 *
 * Without an ID, `scanq findings [--state S] [--severity S] [--baseline ID
 * | --schedule NAME]` lists findings across runs with their lifecycle
 * state (store.h, "the lifecycle of findings"), in the same pages.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include "cmd/cli.h"
#include "app/findings.h"
#include "core/num.h"
#include "scanner.h"
#include "cmd/cmd.h"
#include "store/store.h"

#define FINDINGS_DEFAULT_LIMIT 10000
#define FINDINGS_MAX_LIMIT     1000000

/* One line: kind, target, port, severity, service, title and, when the
 * finding names any, its CVE ids (detail.cve) in brackets at the end. */
static void print_human(const struct finding *f)
{
	json_t *d = f->detail && *f->detail == '{' ? json_loads(f->detail, 0, NULL) : NULL;
	json_t *cve = json_object_get(d, "cve"), *v;
	size_t i, n = 0;

	printf("%-10s %-24s", f->kind, f->target ? f->target : "");
	if (f->port)
		printf(" %5d/%-4s", f->port, f->proto[0] ? f->proto : "tcp");
	else
		printf(" %10s", "");
	printf(" %-8s %-14s %s", f->severity, f->service ? f->service : "-", f->title ? f->title : "");
	json_array_foreach(cve, i, v)
		if (json_is_string(v))
			printf("%s%s", n++ ? " " : " [", json_string_value(v));
	printf("%s\n", n ? "]" : "");
	json_decref(d);
}

/* What the options asked for. */
struct opts {
	int json, min_rank;
	long long limit;
	struct finding_state_filter f;
	const char *schedule;
	int across;			/* an option of the lifecycle list was given */
};

/* The findings of scan `id` (the per-scan form). */
static int scan_findings(struct store *s, int64_t id, const struct opts *o)
{
	struct scan sc = { 0 };
	long long shown = 0;
	int64_t after = 0;
	json_t *arr = o->json ? json_array() : NULL;
	int src, rc = CLI_FAIL;

	if ((src = store_get(s, id, &sc)) != STORE_OK) {
		if (src == STORE_NOT_FOUND)
			cli_error("no scan %lld", (long long)id);
		else
			cli_error("%s", store_error(s));
		goto out;
	}
	while (shown < o->limit) {
		struct finding *f = NULL;
		size_t n = 0;
		int page = o->limit - shown > STORE_LIST_MAX ? STORE_LIST_MAX : (int)(o->limit - shown);
		int64_t next = 0;

		if (findings_read(s, id, after, page, o->min_rank, &f, &n, &next) != STORE_OK) {
			cli_error("%s", store_error(s));
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			if (arr)
				json_array_append_new(arr, findings_to_json(&f[i]));
			else
				print_human(&f[i]);
		}
		shown += (long long)n;
		finding_array_free(f, n);
		if (!next)
			break;
		after = next;
	}
	rc = CLI_OK;
out:
	if (rc == CLI_OK && arr) {
		json_dumpf(arr, stdout, JSON_INDENT(2));
		putchar('\n');
	}
	json_decref(arr);
	scan_release(&sc);
	return rc;
}

/* The findings across runs with their states (the form without an ID). */
static int state_findings(struct store *s, struct opts *o)
{
	json_t *arr = o->json ? json_array() : NULL;
	long long shown = 0;
	int rc = CLI_FAIL;

	if (o->schedule) {
		int64_t sid;
		int src = store_schedule_id(s, o->schedule, &sid, NULL, 0);

		if (src != STORE_OK) {
			cli_error(src == STORE_NOT_FOUND ? "no schedule '%s'" : "%s",
				  src == STORE_NOT_FOUND ? o->schedule : store_error(s));
			goto out;
		}
		o->f.schedule_id = sid;
	}
	while (shown < o->limit) {
		struct finding_state *v = NULL;
		size_t n = 0;

		o->f.limit = o->limit - shown > STORE_LIST_MAX ? STORE_LIST_MAX : (int)(o->limit - shown);
		if (store_finding_states(s, &o->f, &v, &n) != STORE_OK) {
			cli_error("%s", store_error(s));
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			if (arr)
				json_array_append_new(arr, finding_state_to_json(&v[i]));
			else
				findings_state_print(stdout, &v[i]);
		}
		shown += (long long)n;
		if (n)
			o->f.after_id = v[n - 1].id;
		finding_state_array_free(v, n);
		if ((int)n < o->f.limit)
			break;
	}
	rc = CLI_OK;
	if (arr) {
		json_dumpf(arr, stdout, JSON_INDENT(2));
		putchar('\n');
	}
out:
	json_decref(arr);
	return rc;
}

/* One option of either form into *o: CLI_OK, or CLI_USAGE said. */
static int take_option(int c, struct opts *o, char **argv)
{
	int64_t id;

	switch (c) {
	case 'j': o->json = 1; return CLI_OK;
	case 'l':
		if (num_parse(optarg, 1, FINDINGS_MAX_LIMIT, &o->limit) < 0)
			return cli_usage("findings", "--limit must be 1..%d", FINDINGS_MAX_LIMIT);
		return CLI_OK;
	case 's':
		if ((o->min_rank = scanner_severity_rank(optarg)) < 0)
			return cli_usage("findings", "--min-severity must be info, low, medium, high or critical");
		return CLI_OK;
	case 'S':
		if (!finding_state_valid(optarg))
			return cli_usage("findings", "unknown state '%s': use %s", optarg, FINDING_STATE_NAMES);
		o->f.state = optarg;
		break;
	case 'v':
		if (scanner_severity_rank(optarg) < 0)
			return cli_usage("findings", "--severity must be info, low, medium, high or critical");
		o->f.severity = optarg;
		break;
	case 'b':
		if (cli_parse_id(optarg, &id) < 0)
			return cli_usage("findings", "--baseline must be a baseline id, not '%s'", optarg);
		o->f.baseline_id = id;
		break;
	case 'c': o->schedule = optarg; break;
	default: return cli_bad_option("findings", argv, c);
	}
	o->across = 1;
	return CLI_OK;
}

int cmd_findings(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "limit", required_argument, NULL, 'l' },
		{ "min-severity", required_argument, NULL, 's' },
		{ "state", required_argument, NULL, 'S' },
		{ "severity", required_argument, NULL, 'v' },
		{ "baseline", required_argument, NULL, 'b' },
		{ "schedule", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .limit = FINDINGS_DEFAULT_LIMIT };
	struct store *s;
	int64_t id = 0;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1)
		if (take_option(c, &o, argv) != CLI_OK)
			return CLI_USAGE;
	if (o.f.baseline_id && o.schedule)
		return cli_usage("findings", "--baseline and --schedule name one baseline each: give one");
	if (optind < argc) {
		if (o.across)
			return cli_usage("findings", "--state, --severity, --baseline and --schedule list"
					 " findings across runs: give no scan ID with them");
		if (cli_scan_id("findings", argc, argv, optind, &id) != CLI_OK)
			return CLI_USAGE;
	} else if (o.min_rank) {
		return cli_usage("findings", "--min-severity needs a scan ID (across runs: --severity)");
	}
	if (!(s = cli_open_store(cli)))
		return CLI_FAIL;
	rc = id ? scan_findings(s, id, &o) : state_findings(s, &o);
	store_close(s);
	return rc;
}
