/*
 * scanner.h — what a scanner is, and how it reports.
 *
 * A scan runs as a child process: `scanq scan TYPE --json --options JSON --
 * TARGET...`.  The child writes the child protocol on stdout, one JSON
 * object per line:
 *
 *   {"progress":0.42}                      fraction done, 0..1
 *   {"finding":{"kind":"open_port",...}}   one result (see struct finding)
 *   {"summary":{...}}                      once, at the end
 *   {"error":{"code":"no_targets","message":"..."}}
 *                                          once, before a non-zero exit
 *
 * and exits 0 on success.  Without --json the same events are printed for a
 * person.  The worker (worker.c) parses these lines; a scanner never talks
 * to the database.  Each scan type is an entry in the table of scantype.c.
 */
#ifndef SCANQ_SCANNER_H
#define SCANQ_SCANNER_H

#include <stdio.h>
#include <jansson.h>

/* Severities, lowest first: info, low, medium, high, critical. */
#define SCANNER_SEVERITIES 5
extern const char *const scanner_severity_names[SCANNER_SEVERITIES];

/* The rank of a severity name (0 info .. 4 critical), or -1 if it is not
 * one of the five. */
int scanner_severity_rank(const char *name);

struct scanctx {
	const char *type;
	char **targets;		/* as given, not yet expanded */
	int ntargets;
	json_t *options;	/* borrowed: {"ports":"1-1024", ...} */
	int json;		/* 1: child protocol; 0: human output */
	FILE *out;		/* where events go (stdout) */
	long nfindings;		/* counted by scanner_finding() */
	long nseverity[SCANNER_SEVERITIES];	/* findings by severity rank */
	int time_limit_s;	/* the scan's time limit (--time-limit), 0: unknown */
};

/* Reports progress (clamped to 0..1).  Rate-limited: at most one line per
 * 100 ms unless done == 1. */
void scanner_progress(struct scanctx *ctx, double done);

/* Reads the integer option `key` of `options` into *out when it is there
 * (left as it is when not).  Returns 0, or -1 with "option KEY must be an
 * integer from LO to HI" in err when it is not an integer in [lo, hi]. */
int scanner_opt_int(json_t *options, const char *key, int lo, int hi, int *out, char *err,
		    size_t errlen);

/* Reports one finding; `finding` is borrowed.  Keys: kind, target, port,
 * proto, service, severity, title, banner, detail (object; CVE ids go in
 * detail.cve, an array).  A missing or unknown severity is set to "info"
 * in `finding` itself. */
void scanner_finding(struct scanctx *ctx, json_t *finding);

/* Reports the summary; `summary` is borrowed.  "findings" (the count)
 * and "severity" ({"info":N, ..., "critical":N}) are added. */
void scanner_summary(struct scanctx *ctx, json_t *summary);

/* Reports an error with a code from the fixed list (see worker.h) and a
 * one-line message for users.  Returns 1, the exit status to use. */
int scanner_error(struct scanctx *ctx, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
