/*
 * scan.c — `scanq scan TYPE TARGET... [--ports SPEC] [--options JSON] [--json]
 * [--config PATH]`:
 * runs one scanner in the foreground, without the queue.  It is what a
 * worker runs as a child (with --json, the child protocol of scanner.h)
 * and a debugging tool for operators.  TYPE is a built-in scanner or a
 * tool profile of the configuration (profile.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "cmd/cmd.h"
#include "config.h"
#include "profile.h"
#include "scanner.h"

int cmd_scan(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "ports", required_argument, NULL, 'p' },
		{ "options", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "config", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct scanctx ctx = { .out = stdout };
	const struct scanner_type *t;
	const struct config_profile *prof = NULL;
	const char *ports = NULL, *options = NULL, *cfg = NULL;
	char err[320];
	json_error_t jerr;
	int c, rc;

	/* Options may stand anywhere (scan TYPE TARGET --ports X); after "--"
	 * everything is a target, which the target parser then judges. */
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p': ports = optarg; break;
		case 'o': options = optarg; break;
		case 'j': ctx.json = 1; break;
		case 'c': cfg = optarg; break;
		default: return cli_usage("scan", "unknown option");
		}
	}
	if (optind >= argc)
		return cli_usage("scan", "missing scan type");
	ctx.type = argv[optind++];
	if (config_load(cfg, err, sizeof err) < 0)
		return cli_error("%s", err);
	t = scanner_find(ctx.type);
	if (!t)
		prof = config_profile(ctx.type);
	if (!t && !prof)
		return cli_usage("scan", "unknown scan type '%s'", ctx.type);
	ctx.options = options ? json_loads(options, 0, &jerr) : json_object();
	if (!json_is_object(ctx.options)) {
		json_decref(ctx.options);
		return cli_usage("scan", "--options must be a JSON object");
	}
	if (ports)
		json_object_set_new(ctx.options, "ports", json_string(ports));
	ctx.targets = argv + optind;
	ctx.ntargets = argc - optind;
	rc = t ? t->run(&ctx) : profile_run(&ctx, prof);
	json_decref(ctx.options);
	return rc;
}
