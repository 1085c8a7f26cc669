/*
 * export.c — `scanq export SCAN|--baseline ID|--schedule NAME --format
 * sarif|defectdojo|csv|jsonl [--output FILE]`: one scan's findings (or
 * those of a baseline's newest complete run), each with its lifecycle
 * state, in a format another tool imports
 * (app/export.h), streamed page by page, so a scan of any size exports in
 * bounded memory.  With --output the document is written to FILE.tmp and
 * renamed when complete: a failed export never leaves half a file.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "app/export.h"
#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "store/store.h"

#define EXPORT_CHUNK 65536

/* Copies the stream to `out`.  0, or -1 after an error line. */
static int copy(struct export *ex, FILE *out)
{
	static char buf[EXPORT_CHUNK];
	ssize_t n;

	while ((n = export_read(ex, buf, sizeof buf)) > 0)
		if (fwrite(buf, 1, (size_t)n, out) != (size_t)n) {
			cli_error("cannot write the export: %s", strerror(errno));
			return -1;
		}
	if (n < 0) {
		cli_error("export failed: %s", export_error(ex));
		return -1;
	}
	return 0;
}

/* What to export: scan `id`, or the newest complete run of baseline
 * `bid` or of schedule `sched`'s baseline.  CLI_OK with *ex, or CLI_FAIL
 * after an error line. */
static int open_export(struct store *s, int64_t id, int64_t bid, const char *sched,
		       enum export_format fmt, struct export **ex)
{
	int64_t sid;
	int src;

	if (sched) {
		if ((src = store_schedule_id(s, sched, &sid, NULL, 0)) == STORE_NOT_FOUND)
			return cli_error("no schedule '%s'", sched), CLI_FAIL;
		if (src != STORE_OK || store_finding_baseline_of_schedule(s, sid, &bid) != STORE_OK)
			return cli_error("%s", store_error(s)), CLI_FAIL;
		if (!bid)
			return cli_error("schedule '%s' has no complete run", sched), CLI_FAIL;
	}
	src = bid ? export_open_baseline(s, bid, fmt, ex) : export_open(s, id, fmt, ex);
	if (src == STORE_NOT_FOUND && bid)
		cli_error("baseline %lld has no complete run", (long long)bid);
	else if (src == STORE_NOT_FOUND)
		cli_error("no scan %lld", (long long)id);
	else if (src != STORE_OK)
		cli_error("%s", store_error(s));
	return src == STORE_OK ? CLI_OK : CLI_FAIL;
}

int cmd_export(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "baseline", required_argument, NULL, 'b' },
		{ "schedule", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *format = NULL, *output = NULL, *sched = NULL;
	enum export_format fmt = EXPORT_JSONL;
	struct store *s = NULL;
	struct export *ex = NULL;
	char tmp[4096];
	FILE *out = stdout;
	int64_t id = 0, bid = 0;
	int c, rc = CLI_FAIL;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			format = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'b':
			if (cli_parse_id(optarg, &bid) < 0)
				return cli_usage("export", "--baseline must be a baseline id, not '%s'", optarg);
			break;
		case 's':
			sched = optarg;
			break;
		default:
			return cli_bad_option("export", argv, c);
		}
	}
	if ((bid || sched) && optind < argc)
		return cli_usage("export", "give a SCAN, --baseline or --schedule: one of them");
	if (bid && sched)
		return cli_usage("export", "--baseline and --schedule name one baseline each: give one");
	if (!bid && !sched && cli_scan_id("export", argc, argv, optind, &id) != CLI_OK)
		return CLI_USAGE;
	if (!format)
		return cli_usage("export", "--format is required: " EXPORT_FORMAT_NAMES);
	if (export_format_parse(format, &fmt) < 0)
		return cli_usage("export", "unknown format '%s': use " EXPORT_FORMAT_NAMES, format);
	if (output && (size_t)snprintf(tmp, sizeof tmp, "%s.tmp", output) >= sizeof tmp)
		return cli_usage("export", "--output path too long");
	if (!(s = cli_open_store(cli)))
		return CLI_FAIL;
	if (open_export(s, id, bid, sched, fmt, &ex) != CLI_OK)
		goto out;
	if (output && !(out = fopen(tmp, "w"))) {
		cli_error("cannot open %s: %s", tmp, strerror(errno));
		out = stdout;
		goto out;
	}
	if (copy(ex, out) < 0 || fflush(out) != 0)
		goto out;
	if (output) {
		if (fclose(out) != 0) {
			out = stdout;
			cli_error("cannot write %s: %s", tmp, strerror(errno));
			goto out;
		}
		out = stdout;
		if (rename(tmp, output) < 0) {
			cli_error("cannot rename %s: %s", tmp, strerror(errno));
			goto out;
		}
	}
	rc = CLI_OK;
out:
	if (out != stdout) {
		fclose(out);
		remove(tmp);
	} else if (output && rc != CLI_OK) {
		remove(tmp);
	}
	export_free(ex);
	store_close(s);
	return rc;
}
