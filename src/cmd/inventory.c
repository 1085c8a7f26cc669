/*
 * inventory.c — `scanq inventory [--target CIDR] [--port N] [--service S]
 * [--json]`: every host, open port and service a completed scan ever saw,
 * first and last seen, the scan that last saw it, and whether the latest
 * scan of its baseline still sees it, and the address's hostnames (from
 * http and dns scans).  Derived from findings.  A port's service is the
 * one its latest detection named (with product and version, and when that
 * scan finished: CONFIRMED), so a later plain portscan does not erase it.
 */
#include <getopt.h>
#include <stdio.h>
#include <time.h>
#include "cmd/cli.h"
#include "app/inventory.h"
#include "core/num.h"
#include "cmd/cmd.h"
#include "store/store.h"

static const char *when(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

int cmd_inventory(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "target", required_argument, NULL, 't' },
		{ "port", required_argument, NULL, 'p' },
		{ "service", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct inventory_filter f = { .limit = STORE_INVENTORY_MAX };
	struct inventory_item *it = NULL;
	struct store *s;
	size_t n = 0, total = 0;
	long long v;
	char err[256], a[32], b[32];
	int c, json = 0, rc = CLI_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 't': f.target = optarg; break;
		case 's': f.service = optarg; break;
		case 'p':
			if (num_parse(optarg, 1, 65535, &v) < 0)
				return cli_usage("inventory", "--port must be 1..65535");
			f.port = (int)v;
			break;
		case 'j': json = 1; break;
		default: return cli_bad_option("inventory", argv, c);
		}
	}
	if (optind != argc)
		return cli_usage("inventory", "inventory takes no arguments");
	if (inventory_filter_check(&f, err, sizeof err) < 0)
		return cli_usage("inventory", "--%s", err);
	if (!(s = cli_open_store(cli)))
		return CLI_FAIL;
	if (inventory_read(s, &f, &it, &n, &total) != STORE_OK) {
		rc = cli_error("%s", store_error(s));
	} else if (json) {
		json_t *arr = json_array();

		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, inventory_item_to_json(&it[i]));
		json_dumpf(arr, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(arr);
	} else {
		printf("%-24s %-10s %-12s %-24s %-20s %-20s %-20s %-9s %-10s %s\n", "TARGET", "PORT",
		       "SERVICE", "PRODUCT", "CONFIRMED", "FIRST SEEN", "LAST SEEN", "LAST SCAN",
		       "STILL SEEN", "HOSTNAMES");
		for (size_t i = 0; i < n; i++) {
			char port[24] = "-", prod[160] = "-", conf[32] = "-";

			if (it[i].port)
				snprintf(port, sizeof port, "%d/%s", it[i].port,
					 it[i].proto[0] ? it[i].proto : "tcp");
			if (it[i].product)
				snprintf(prod, sizeof prod, "%s%s%s", it[i].product,
					 it[i].version ? " " : "", it[i].version ? it[i].version : "");
			if (it[i].service_scan)
				when(it[i].service_at, conf, sizeof conf);
			printf("%-24s %-10s %-12s %-24.24s %-20s %-20s %-20s %-9lld %-10s ", it[i].target,
			       port, it[i].service ? it[i].service : "-", prod, conf,
			       when(it[i].first_seen, a, sizeof a), when(it[i].last_seen, b, sizeof b),
			       (long long)it[i].last_scan, it[i].still_seen ? "yes" : "no");
			for (size_t k = 0; k < it[i].nnames; k++)
				printf("%s%s", k ? "," : "", it[i].names[k].name);
			printf("%s\n", it[i].nnames ? "" : "-");
		}
	}
	inventory_array_free(it, n);
	store_close(s);
	return rc;
}
