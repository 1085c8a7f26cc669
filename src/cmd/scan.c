/*
 * scan.c — `scanq scan TYPE TARGET... [--ports SPEC] [--options JSON] [--json]`:
 * runs one scanner in the foreground, without the queue.  It is a
 * debugging tool for operators and what a worker runs as a child for tool
 * profiles; built-in types run in the lean `scanq-scan` binary, which
 * shares scantype_main() with this command (see src/bin/scanq-scan.c).
 * TYPE is a built-in scanner or a tool profile of the configuration.
 */
#include <stdio.h>
#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "core/config.h"
#include "profile.h"
#include "scanner.h"
#include "scantype.h"

/* A type that is not built in: a tool profile, or unknown. */
static int run_profile(struct scanctx *ctx)
{
	const struct config_profile *prof = config_profile(ctx->type);

	if (!prof)
		return cli_usage("scan", "unknown scan type '%s'", ctx->type);
	return profile_run(ctx, prof);
}

int cmd_scan(int argc, char **argv, struct cli *cli)
{
	return scantype_main(argc, argv, run_profile);
}
