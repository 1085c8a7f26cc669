/*
 * list.c — `scanq list [--status S] [--type T] [--limit N] [--before ID]
 * [--json]`: scans newest first, one page at a time.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cmd/cli.h"
#include "core/num.h"
#include "cmd/cmd.h"
#include "store/store.h"

int cmd_list(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		CLI_LIST_OPTIONS,
		{ "status", required_argument, NULL, 's' },
		{ "type", required_argument, NULL, 't' },
		{ "before", required_argument, NULL, 'b' },
		{ "target", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	struct scan_filter f = { .status = -1 };
	struct scan *arr = NULL;
	struct store *s;
	enum scan_status st;
	size_t n = 0;
	long long v, limit = 50;
	int c, json = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (scan_status_parse(optarg, &st) < 0)
				return cli_usage("list", "unknown status '%s' (pending, running, "
						 "completed, failed, cancelled)", optarg);
			f.status = (int)st;
			break;
		case 't':
			if (!*optarg || strlen(optarg) >= SCAN_TYPE_MAX)
				return cli_usage("list", "invalid type '%s'", optarg);
			f.type = optarg;
			break;
		case 'T':
			if (!*optarg || strlen(optarg) > 200)
				return cli_usage("list", "--target must be 1 to 200 characters");
			f.target = optarg;
			break;
		case 'b':
			if (num_parse(optarg, 1, INT64_MAX, &v))
				return cli_usage("list", "--before must be a scan id");
			f.before_id = v;
			break;
		default:
			if (cli_list_option("list", argv, c, &json, &limit, STORE_LIST_MAX) != CLI_OK)
				return CLI_USAGE;
		}
	}
	f.limit = (int)limit;
	if (optind != argc)
		return cli_usage("list", "unexpected argument '%s'", argv[optind]);
	if (!(s = cli_open_store(cli)))
		return CLI_FAIL;
	if (store_list(s, &f, &arr, &n) != STORE_OK) {
		cli_error("%s", store_error(s));
		store_close(s);
		return CLI_FAIL;
	}
	if (json) {
		json_t *a = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, scan_to_json(&arr[i], 1));
		json_dumpf(a, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(a);
	} else {
		char t[40];
		printf("%-8s %-12s %-10s %-8s %-9s %-24s %-10s %s\n", "ID", "TYPE", "STATUS", "ATTEMPT",
		       "PROGRESS", "CREATED", "POOL", "ERROR");
		for (size_t i = 0; i < n; i++) {
			char att[16];
			snprintf(att, sizeof att, "%d/%d", arr[i].attempts_used, arr[i].max_attempts);
			printf("%-8lld %-12s %-10s %-8s %7.0f%%  %-24s %-10s %s\n", (long long)arr[i].id,
			       arr[i].type, scan_status_name(arr[i].status), att,
			       arr[i].progress * 100, scan_format_time(arr[i].created_at, t, sizeof t),
			       arr[i].pool, arr[i].error_code);
		}
	}
	scan_array_free(arr, n);
	store_close(s);
	return CLI_OK;
}
