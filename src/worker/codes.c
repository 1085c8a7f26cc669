/*
 * codes.c — the fixed list of error codes a scan can end with
 * (worker.h lists them with their meaning, codes.h declares them), and which of them another
 * attempt could change.
 */
#include <string.h>
#include "worker/codes.h"

/* Every error code a scan can end with, and whether another attempt could
 * end differently.  The second block is what scanners report on their
 * error line (src/scan/): a scan whose options, ports or targets are wrong
 * fails the same way each time, so it is not retried; a tool that failed
 * or an internal error (out of memory) may not.  A code a scanner reports
 * that is not here becomes scanner_error. */
static const struct {
	const char *code;
	int retryable;
} codes[] = {
	{ "timeout", 1 }, { "killed_oom", 1 }, { "crashed", 1 }, { "exit_status", 1 },
	{ "output_too_large", 0 }, { "worker_lost", 1 }, { "cancelled", 0 },
	{ "no_targets", 0 }, { "tool_missing", 0 }, { "out_of_scope", 0 },
	{ "bad_options", 0 }, { "spawn_failed", 1 }, { "scanner_error", 1 },

	{ "invalid_options", 0 }, { "invalid_ports", 0 }, { "invalid_target", 0 },
	{ "too_many_targets", 0 }, { "tool_failed", 1 }, { "internal", 1 },
};

int worker_code_known(const char *code)
{
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
		if (strcmp(codes[i].code, code) == 0)
			return 1;
	return 0;
}

int worker_code_retryable(const char *code)
{
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
		if (strcmp(codes[i].code, code) == 0)
			return codes[i].retryable;
	return 0;
}
