/*
 * webhook.c — `scanq webhook add|list|rm|test|deliveries`: the webhooks
 * that are told when scans complete or fail and when changes are found,
 * and every attempt to tell them (webhook.h says how they are sent and
 * signed).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/cli.h"
#include "core/num.h"
#include "worker/webhook.h"
#include "cmd/cmd.h"
#include "store/store.h"

static int add(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "events", required_argument, NULL, 'e' },
		{ "secret", required_argument, NULL, 's' },
		{ "min-severity", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	/* in opts' order */
	const char *v[3] = { WEBHOOK_EVENTS, NULL, NULL }, *events, *secret, *min;
	char made[65], err[512];
	struct store *s;
	int64_t id;
	int rc;

	if ((rc = cli_string_options("webhook", argc, argv, opts, v)) != CLI_OK)
		return rc;
	events = v[0], secret = v[1], min = v[2];
	if (optind != argc - 1)
		return cli_usage("webhook", "webhook add takes one URL");
	if (webhook_input_check(argv[optind], events, secret, min, err, sizeof err) < 0)
		return cli_usage("webhook", "%s", err);
	if (!secret) {
		webhook_secret_new(made);
		secret = made;
	}
	if (!(s = cli_open_store(cli)))
		return CLI_FAIL;
	if (store_webhook_add(s, argv[optind], events, secret, min ? min : "info", &id) != STORE_OK) {
		rc = cli_error("%s", store_error(s));
	} else {
		char detail[300];

		/* The events, never the URL (it may carry a credential) */
		snprintf(detail, sizeof detail, "webhook %lld events %s", (long long)id, events);
		cli_audit(s, "webhook add", 0, detail);
		printf("webhook %lld added\nsecret: %s\n", (long long)id, secret);
	}
	store_close(s);
	return rc;
}

static int list(int argc, char **argv, struct cli *cli)
{
	struct webhook *w = NULL;
	struct store *s;
	size_t n = 0;
	int json = 0, all = 0, rc = CLI_OK;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--all") == 0)
			all = 1;
		else
			return cli_usage("webhook", "webhook list takes only --all and --json");
	}
	if (!(s = cli_open_store(cli)))
		return CLI_FAIL;
	if (store_webhook_list(s, all, &w, &n) != STORE_OK) {
		rc = cli_error("%s", store_error(s));
	} else if (json) {
		json_t *a = json_array();

		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, webhook_to_json(&w[i]));
		cli_print_json(a);
	} else {
		for (size_t i = 0; i < n; i++) {
			char at[40];

			printf("%-4lld %-44s %-42s min=%s", (long long)w[i].id, w[i].url, w[i].events,
			       w[i].min_severity);
			if (w[i].removed_at)
				printf(" removed=%s by=%s", scan_format_time(w[i].removed_at, at, sizeof at),
				       w[i].removed_by);
			putchar('\n');
		}
	}
	webhook_array_free(w, n);
	store_close(s);
	return rc;
}

static int rm_or_test(int argc, char **argv, struct cli *cli, int test)
{
	struct store *s;
	int64_t id;
	char uuid[40], actor[80];
	int rc = CLI_OK, src;

	if (argc != 2 || cli_parse_id(argv[1], &id) < 0)
		return cli_usage("webhook", "webhook %s takes one webhook id", test ? "test" : "rm");
	if (!(s = cli_open_store(cli)))
		return CLI_FAIL;
	/* A removal is audited with it, in its transaction (store.h). */
	src = test ? store_webhook_test(s, id, uuid)
		   : store_webhook_rm(s, id, cli_actor(actor, sizeof actor), NULL);
	if (src != STORE_OK) {
		rc = cli_error("%s", store_error(s));
	} else if (test) {
		char detail[40];

		snprintf(detail, sizeof detail, "webhook %lld", (long long)id);
		cli_audit(s, "webhook test", 0, detail);
		printf("test delivery %s queued for webhook %lld\n", uuid, (long long)id);
	} else {
		printf("webhook %lld removed; its deliveries are kept (webhook deliveries --webhook %lld)\n",
		       (long long)id, (long long)id);
	}
	store_close(s);
	return rc;
}

static int deliveries(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		CLI_LIST_OPTIONS,
		{ "webhook", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	struct delivery_log *d = NULL;
	struct store *s;
	size_t n = 0;
	long long hook = 0, limit = 50;
	int c, json = 0, rc = CLI_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'w':
			if (num_parse(optarg, 1, INT64_MAX, &hook) < 0)
				return cli_usage("webhook", "--webhook must be a webhook id");
			break;
		default:
			if (cli_list_option("webhook", argv, c, &json, &limit, STORE_LIST_MAX) != CLI_OK)
				return CLI_USAGE;
		}
	}
	if (optind != argc)
		return cli_usage("webhook", "webhook deliveries takes no arguments");
	if (!(s = cli_open_store(cli)))
		return CLI_FAIL;
	if (store_delivery_log(s, hook, (int)limit, &d, &n) != STORE_OK) {
		rc = cli_error("%s", store_error(s));
	} else if (json) {
		json_t *a = json_array();

		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, delivery_log_to_json(&d[i]));
		cli_print_json(a);
	} else {
		for (size_t i = 0; i < n; i++) {
			char code[16] = "-";

			if (d[i].code)
				snprintf(code, sizeof code, "%d", d[i].code);
			printf("%s hook=%lld%s %-14s scan=%-6lld %-9s attempt=%d code=%-4s %lldms %s\n",
			       d[i].uuid, (long long)d[i].webhook_id,
			       d[i].webhook_removed_at ? "(removed)" : "", d[i].event,
			       (long long)d[i].scan_id, d[i].status, d[i].attempt, code,
			       (long long)d[i].duration_ms, d[i].error[0] ? d[i].error : "");
		}
	}
	free(d);
	store_close(s);
	return rc;
}

static int rm(int argc, char **argv, struct cli *cli)
{
	return rm_or_test(argc, argv, cli, 0);
}

static int test(int argc, char **argv, struct cli *cli)
{
	return rm_or_test(argc, argv, cli, 1);
}

int cmd_webhook(int argc, char **argv, struct cli *cli)
{
	static const struct cli_sub subs[] = {
		{ "add", add }, { "list", list }, { "rm", rm }, { "test", test },
		{ "deliveries", deliveries }, { NULL, NULL },
	};

	return cli_dispatch("webhook", subs, argc, argv, cli);
}
