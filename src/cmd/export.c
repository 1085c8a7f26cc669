/*
 * export.c — `scanq export SCAN|--baseline ID|--schedule NAME --format
 * sarif|defectdojo|csv|jsonl [--output FILE]`: one scan's findings (or
 * those of a baseline's newest complete run), each with its lifecycle
 * state, in a format another tool imports
 * (app/export.h), streamed page by page, so a scan of any size exports in
 * bounded memory.  With --output the document is written to FILE.tmp and
 * renamed when complete: a failed export never leaves half a file.
 * `--format html` is the report of app/report.h; `--pdf` prints it to
 * FILE through headless Chromium (cmd/pdf.h), or says in one line that it
 * cannot, before anything is read or written.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "app/export.h"
#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "cmd/pdf.h"
#include "store/store.h"

#define EXPORT_CHUNK 65536
#define EXPORT_PDF_HTML_MAX (512u << 20)	/* the report held for Chromium */

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

/* The whole (HTML) export printed to the PDF file `output`. */
static int to_pdf(struct export *ex, const char *chromium, const char *output)
{
	char *doc = NULL, *p, err[300];
	size_t len = 0, cap = 0;
	ssize_t n;
	int rc = -1;

	do {
		if (cap - len < EXPORT_CHUNK) {
			cap = cap ? cap * 2 : 4 * EXPORT_CHUNK;
			if (cap > EXPORT_PDF_HTML_MAX || !(p = realloc(doc, cap))) {
				cli_error("the report is too large to print");
				goto out;
			}
			doc = p;
		}
		n = export_read(ex, doc + len, cap - len);
		len += n > 0 ? (size_t)n : 0;
	} while (n > 0);
	if (n < 0) {
		cli_error("export failed: %s", export_error(ex));
		goto out;
	}
	if (pdf_render(chromium, doc, len, output, err, sizeof err) < 0) {
		cli_error("cannot render the PDF: %s", err);
		goto out;
	}
	rc = 0;
out:
	free(doc);
	return rc;
}

int cmd_export(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "baseline", required_argument, NULL, 'b' },
		{ "schedule", required_argument, NULL, 's' },
		{ "pdf", no_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	const char *format = NULL, *output = NULL, *sched = NULL;
	char chromium[4096];
	int pdf = 0;
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
		case 'p':
			pdf = 1;
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
	if (pdf && !format)
		format = "html";
	if (!format)
		return cli_usage("export", "--format is required: " EXPORT_FORMAT_NAMES);
	if (pdf && strcmp(format, "html") != 0)
		return cli_usage("export", "--pdf prints the HTML report: use --format html, not '%s'", format);
	if (pdf && !output)
		return cli_usage("export", "--pdf needs --output FILE");
	if (export_format_parse(format, &fmt) < 0)
		return cli_usage("export", "unknown format '%s': use " EXPORT_FORMAT_NAMES, format);
	if (output && (size_t)snprintf(tmp, sizeof tmp, "%s.tmp", output) >= sizeof tmp)
		return cli_usage("export", "--output path too long");
	if (pdf && pdf_find_chromium(chromium, sizeof chromium) < 0)
		return cli_error("cannot render a PDF: %s", chromium);
	if (!(s = cli_open_store(cli)))
		return CLI_FAIL;
	if (open_export(s, id, bid, sched, fmt, &ex) != CLI_OK)
		goto out;
	if (pdf) {
		rc = to_pdf(ex, chromium, output) < 0 ? CLI_FAIL : CLI_OK;
		output = NULL;	/* written (or not) by to_pdf() */
		goto out;
	}
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
