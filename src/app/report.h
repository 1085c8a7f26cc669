/*
 * report.h — the self-contained HTML report of a scan, of a chain (its
 * root and follow-up stages) or of a schedule's latest run: a summary by
 * severity, hosts and services, what changed since the baseline, and the
 * findings by host, accepted and false-positive ones marked suppressed
 * (shown, not hidden).  One HTML document with its CSS inline (a print
 * style included) and no script, no link to anything: it opens offline
 * and prints cleanly.  Every string that came from a scan (a title, a
 * banner, a target) is escaped: a scanned host's `<script>` is text.
 *
 * The report is built in memory, unlike the streamed exports: at most
 * REPORT_FINDINGS_MAX findings and REPORT_CHANGES_MAX changes are shown,
 * and the report says how many it left out (the exports carry them all).
 */
#ifndef SCANQ_APP_REPORT_H
#define SCANQ_APP_REPORT_H

#include <stddef.h>
#include <stdint.h>

struct store;

#define REPORT_FINDINGS_MAX 20000
#define REPORT_CHANGES_MAX 2000

/*
 * Renders the report of scan `scan_id` (of its chain, when it is the root
 * of one) into *html, a NUL-terminated heap string of *len bytes that the
 * caller frees.  Returns STORE_OK, STORE_NOT_FOUND (no such scan) or
 * another STORE_* error; err (errlen bytes) then says why and *html is
 * NULL.
 */
int report_html(struct store *s, int64_t scan_id, char **html, size_t *len, char *err,
		size_t errlen);

#endif
