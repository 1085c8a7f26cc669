/*
 * report.h — what a scan's child reports on its stdout, read line by line
 * (the child protocol, scanner.h): progress, findings, the summary and an
 * error of its own.  A line that is not a JSON object is counted and
 * ignored: a scanner's stray print must not fail a scan, and the output
 * cap bounds them.
 */
#ifndef SCANQ_WORKER_REPORT_H
#define SCANQ_WORKER_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "core/scan.h"
#include "store/store.h"
#include "worker/codes.h"

struct report {
	double progress;		/* 0.0 .. 1.0 */
	struct finding *findings;
	size_t nfindings, capfindings;
	int too_many;			/* WORKER_FINDINGS_MAX passed */
	json_t *summary;		/* the last summary line's object, or NULL */
	char code[SCAN_CODE_MAX];	/* from an {"error":...} line: a known code
					 * (worker_code_known()) or scanner_error */
	char message[WORKER_MESSAGE_MAX];
	int bad_lines;
};

/* Reads one line of scan scan_id's child into r.  Returns 1 when this line
 * passed the findings cap (the caller stops the child), else 0. */
int report_line(struct report *r, int64_t scan_id, const char *line, size_t len);

/* Frees what r holds (not r). */
void report_release(struct report *r);

/* Copies printable ASCII only: a public message never carries control
 * characters or bytes a UI might misrender. */
void report_sanitize(char *dst, size_t len, const char *src);

#endif
