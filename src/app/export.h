/*
 * export.h — a scan's findings in the formats other tools import: SARIF
 * 2.1.0, DefectDojo's Generic Findings Import JSON, CSV (RFC 4180) and
 * JSON Lines, and the HTML report (app/report.h, built whole, not streamed:
 * it is bounded by its own caps).  Every format carries each finding's fingerprint
 * (store/fingerprint.h), so two exports of one scan, or of two runs that
 * found the same thing, name it the same way.
 *
 * An export is a stream: export_read() hands out the document a piece at a
 * time and reads the findings from the store a page (STORE_LIST_MAX rows)
 * at a time, so memory is one page plus one rendered finding, whatever the
 * number of findings.  The CLI writes the pieces to stdout; the API hands
 * them to the HTTP server as the client reads.
 */
#ifndef SCANQ_APP_EXPORT_H
#define SCANQ_APP_EXPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct store;
struct export;

enum export_format { EXPORT_SARIF, EXPORT_DEFECTDOJO, EXPORT_CSV, EXPORT_JSONL, EXPORT_HTML };

/* The format named `name` ("sarif", "defectdojo", "csv", "jsonl", "html")
 * to *out.
 * Returns 0, or -1 for any other name. */
int export_format_parse(const char *name, enum export_format *out);

/* Static strings: the list of names for an error message, and a format's
 * media type and file extension. */
#define EXPORT_FORMAT_NAMES "sarif, defectdojo, csv, jsonl or html"
const char *export_content_type(enum export_format f);
const char *export_extension(enum export_format f);

/*
 * Starts the export of scan_id's findings (any status: a scan that has
 * not completed exports what it has, usually nothing).  *out gets the
 * stream (free with export_free()); it reads from s, which must outlive
 * it and be used by one thread at a time.  Returns STORE_OK,
 * STORE_NOT_FOUND (no such scan) or another STORE_* error.
 */
int export_open(struct store *s, int64_t scan_id, enum export_format f, struct export **out);

/* The same for the newest complete run of lifecycle baseline
 * `baseline_id` (store.h): STORE_NOT_FOUND when the baseline has none. */
int export_open_baseline(struct store *s, int64_t baseline_id, enum export_format f,
			 struct export **out);

/*
 * Copies the next at most `cap` bytes of the document to buf.  Returns the
 * number copied (> 0), 0 at the end of the document, or -1 when the store
 * failed mid-way (the document is then cut short; export_error() says why).
 */
ssize_t export_read(struct export *ex, char *buf, size_t cap);

/* Why the last export_read() failed ("" if it did not).  Borrowed. */
const char *export_error(const struct export *ex);

/* Frees the stream; export_free(NULL) is a no-op. */
void export_free(struct export *ex);

#endif
