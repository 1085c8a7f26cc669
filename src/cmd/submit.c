/*
 * submit.c — `scanq submit TYPE TARGET... [options]`: queue one scan and
 * print its id.  Validation is submit.c's, shared with the HTTP API.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/cli.h"
#include "core/num.h"
#include "cmd/cmd.h"
#include "store/store.h"
#include "app/submit.h"

int cmd_scan_option(const char *cmd, char **argv, int c, const char *arg,
		    struct submit_input *in, json_t **options)
{
	json_error_t jerr;

	switch (c) {
	case 'p': in->ports = arg; return CLI_OK;
	case 'L': in->pool = arg; return CLI_OK;	/* checked by submit_prepare() */
	case 'P':
		if (num_parse(arg, SCAN_PRIORITY_MIN, SCAN_PRIORITY_MAX, &in->priority))
			return cli_usage(cmd, "--priority must be an integer from %d to %d",
					 SCAN_PRIORITY_MIN, SCAN_PRIORITY_MAX);
		return CLI_OK;
	case 'm':
		if (num_parse(arg, 1, SCAN_ATTEMPTS_MAX, &in->max_attempts))
			return cli_usage(cmd, "--max-attempts must be an integer from 1 to %d",
					 SCAN_ATTEMPTS_MAX);
		return CLI_OK;
	case 't':
		if (num_parse(arg, 1, SCAN_TIME_LIMIT_MAX, &in->time_limit_s))
			return cli_usage(cmd, "--time-limit must be seconds from 1 to %d",
					 SCAN_TIME_LIMIT_MAX);
		return CLI_OK;
	case 'o':
		json_decref(*options);
		*options = json_loads(arg, 0, &jerr);
		if (!json_is_object(*options)) {
			json_decref(*options);
			*options = NULL;
			return cli_usage(cmd, "--options must be a JSON object");
		}
		in->options = *options;
		return CLI_OK;
	}
	return cli_bad_option(cmd, argv, c);
}

int cmd_submit(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		CMD_SCAN_OPTIONS,
		{ "idempotency-key", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "then", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	struct submit_input in;
	struct submit_error err;
	struct store *s = NULL;
	json_t *targets = NULL, *options = NULL, *then = NULL;
	int64_t id;
	int c, json = 0, existed = 0, rc = CLI_USAGE;

	submit_input_init(&in);
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'k': in.idempotency_key = optarg; break;
		case 'j': json = 1; break;
		case 'T': {	/* --then TYPE[:PORTS], once per follow-up stage */
			char *colon = strchr(optarg, ':');
			json_t *st = colon ? json_pack("{ss% ss}", "type", optarg, (size_t)(colon - optarg),
						       "ports", colon + 1)
					   : json_string(optarg);

			if (!then)
				then = json_array();
			json_array_append_new(then, st);
			in.then = then;
			break;
		}
		default:	/* rc is CLI_USAGE while the options are read */
			if (cmd_scan_option("submit", argv, c, optarg, &in, &options) != CLI_OK)
				goto out;
		}
	}
	if (optind >= argc) {
		rc = cli_usage("submit", "missing scan type");
		goto out;
	}
	in.type = argv[optind++];
	if (optind >= argc) {
		rc = cli_usage("submit", "no targets given (no_targets)");
		goto out;
	}
	targets = json_array();
	for (int i = optind; i < argc; i++)
		json_array_append_new(targets, json_string(argv[i]));
	in.targets = targets;
	rc = CLI_FAIL;
	if (!(s = cli_open_store(cli)))
		goto out;
	if (submit_scan(s, NULL, &in, &id, &existed, &err) < 0) {
		cli_error("%s (%s)", err.message, err.code);
		goto out;
	}
	if (json)
		printf("{\"id\":%lld,\"status\":\"pending\",\"existed\":%s}\n", (long long)id,
		       existed ? "true" : "false");
	else
		printf("%lld\n", (long long)id);
	if (existed)
		fprintf(stderr, "note: idempotency key already used; scan %lld was not queued again\n",
			(long long)id);
	else
		cli_audit(s, "submit", id, in.type);
	rc = CLI_OK;
out:
	json_decref(targets);
	json_decref(options);
	json_decref(then);
	store_close(s);
	return rc;
}
