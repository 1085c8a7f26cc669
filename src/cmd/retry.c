/*
 * retry.c — `scanq retry ID` and `scanq cancel ID`: the operator's two
 * transitions.  Both refuse (exit 1, nothing changed) what the state
 * machine forbids, such as retrying a completed scan.
 */
#include <stdio.h>
#include <string.h>
#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "store/store.h"

/* Parses "CMD ID", opens the store.  Returns CLI_OK with *s and *id set. */
static int one_id(const char *cmd, int argc, char **argv, struct cli *cli, struct store **s,
		  int64_t *id)
{
	int rc;

	if (argc == 2 && argv[1][0] == '-')
		return cli_usage(cmd, "unknown option '%s'", argv[1]);
	if ((rc = cli_scan_id(cmd, argc, argv, 1, id)) != CLI_OK)
		return rc;
	*s = cli_open_store(cli);
	return *s ? CLI_OK : CLI_FAIL;
}

int cmd_retry(int argc, char **argv, struct cli *cli)
{
	struct store *s;
	int64_t id;
	int rc = one_id("retry", argc, argv, cli, &s, &id);

	if (rc != CLI_OK)
		return rc;
	if (store_retry(s, id) != STORE_OK)
		rc = cli_error("%s", store_error(s));
	else {
		printf("scan %lld is pending again\n", (long long)id);
		cli_audit(s, "retry", id, NULL);
	}
	store_close(s);
	return rc;
}

int cmd_cancel(int argc, char **argv, struct cli *cli)
{
	struct store *s;
	enum scan_status now;
	int64_t id;
	int rc = one_id("cancel", argc, argv, cli, &s, &id);

	if (rc != CLI_OK)
		return rc;
	if (store_cancel(s, id, &now) != STORE_OK) {
		rc = cli_error("%s", store_error(s));
		store_close(s);
		return rc;
	}
	cli_audit(s, "cancel", id, now == SCAN_CANCELLED ? "cancelled" : "cancel requested");
	if (now == SCAN_CANCELLED)
		printf("scan %lld cancelled\n", (long long)id);
	else
		printf("scan %lld is running; cancel requested, its worker will stop it\n",
		       (long long)id);
	store_close(s);
	return rc;
}
