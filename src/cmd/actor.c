/*
 * actor.c — the CLI's side of the audit trail: who runs this command
 * (cli_actor()), recording an action (cli_audit()), and the confirmation
 * question of the commands that delete or reset (cli_confirm()).
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmd/cli.h"
#include "store/store.h"

const char *cli_actor(char *buf, size_t len)
{
	struct passwd *pw = getpwuid(geteuid());
	const char *user = pw && pw->pw_name ? pw->pw_name : getenv("USER");

	if (user && *user)
		snprintf(buf, len, "cli:%.60s", user);
	else
		snprintf(buf, len, "cli:uid%u", (unsigned)geteuid());
	return buf;
}

int cli_confirm(const char *question)
{
	char line[16];

	if (!isatty(STDIN_FILENO))
		return -1;
	fprintf(stderr, "%s [y/N] ", question);
	fflush(stderr);
	if (!fgets(line, sizeof line, stdin))
		return 0;
	return strcmp(line, "y\n") == 0 || strcmp(line, "yes\n") == 0
	       || strcmp(line, "Y\n") == 0;
}

void cli_audit(struct store *s, const char *action, int64_t scan_id, const char *detail)
{
	char actor[80];

	if (store_audit(s, cli_actor(actor, sizeof actor), action, scan_id, detail) != STORE_OK)
		fprintf(stderr, "warning: the audit trail could not record %s: %s\n", action,
			store_error(s));
}
