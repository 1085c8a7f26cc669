/*
 * codes.h — the worker's limits on what a child may report, and the fixed
 * list of error codes (worker.h lists them with their meaning): what the
 * worker loop and the reader of a child's report (report.h) share.
 */
#ifndef SCANQ_WORKER_CODES_H
#define SCANQ_WORKER_CODES_H

#define WORKER_FINDINGS_MAX 100000	/* findings of one scan; more fails output_too_large */
#define WORKER_CONCURRENCY_MAX 256	/* children of one worker */
#define WORKER_MESSAGE_MAX 256		/* bytes of a public error message */
#define WORKER_DETAIL_MAX 9216		/* bytes of error_detail (stderr tail + how it ended) */

/* 1 if `code` is in the fixed list (worker.h), else 0. */
int worker_code_known(const char *code);

/* 1 if a failure with this code may be retried (attempts permitting). */
int worker_code_retryable(const char *code);

#endif
