/*
 * findings.c — `scanq findings ID [--json] [--limit N] [--min-severity S]`:
 * the results of one scan, oldest first, read page by page from the store
 * (never the whole table at once), only those of severity S or above when
 * asked.  A scan without (such) findings prints nothing (or []).  The
 * text form ends a line with the finding's CVE ids; the JSON form carries
 * them as "cve" and the finding's "fingerprint".
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

int cmd_findings(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		CLI_LIST_OPTIONS,
		{ "min-severity", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct store *s = NULL;
	struct scan sc = { 0 };
	long long limit = FINDINGS_DEFAULT_LIMIT, shown = 0;
	int64_t id, after = 0;
	int c, json = 0, rc = CLI_FAIL, src, min_rank = 0;
	json_t *arr = NULL;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c != 's') {
			if (cli_list_option("findings", argv, c, &json, &limit, FINDINGS_MAX_LIMIT) != CLI_OK)
				return CLI_USAGE;
		} else if ((min_rank = scanner_severity_rank(optarg)) < 0) {
			return cli_usage("findings", "--min-severity must be info, low, medium, high or critical");
		}
	}
	if (cli_scan_id("findings", argc, argv, optind, &id) != CLI_OK)
		return CLI_USAGE;
	if (!(s = cli_open_store(cli)))
		return CLI_FAIL;
	if (cli_scan_rc(s, store_get(s, id, &sc), id) != CLI_OK)
		goto out;
	if (json)
		arr = json_array();
	while (shown < limit) {
		struct finding *f = NULL;
		size_t n = 0;
		int page = limit - shown > STORE_LIST_MAX ? STORE_LIST_MAX : (int)(limit - shown);
		int64_t next = 0;

		src = findings_read(s, id, after, page, min_rank, &f, &n, &next);
		if (src != STORE_OK) {
			cli_error("%s", store_error(s));
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			if (json)
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
	if (json) {
		json_dumpf(arr, stdout, JSON_INDENT(2));
		putchar('\n');
	}
	rc = CLI_OK;
out:
	json_decref(arr);
	scan_release(&sc);
	store_close(s);
	return rc;
}
