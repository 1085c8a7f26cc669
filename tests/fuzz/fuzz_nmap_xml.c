/*
 * fuzz_nmap_xml.c — libFuzzer target for the parsers of tool output
 * (profile.c): the first byte picks nmap XML, nuclei JSON lines or plain
 * lines, the rest is the tool's stdout.  Findings go to /dev/null through
 * the child protocol writer; what is checked is that hostile output never
 * crashes, leaks or reads out of bounds, and that every finding the
 * parsers report is counted.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <jansson.h>
#include "profile.h"
#include "scanner.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const parsers[] = { "nmap-xml", "nuclei-jsonl", "lines" };
	static FILE *devnull;
	struct scanctx ctx = { .type = "fuzz", .json = 1 };
	char err[256];
	long count = 0;
	int rc;

	if (size < 1)
		return 0;
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	ctx.out = devnull;
	ctx.options = json_object();
	rc = profile_parse(&ctx, parsers[data[0] % 3], (const char *)data + 1, size - 1, &count,
			   err, sizeof err);
	if ((rc == 0 && count != ctx.nfindings) || count < 0)
		abort();
	json_decref(ctx.options);
	return 0;
}
