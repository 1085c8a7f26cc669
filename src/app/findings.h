/*
 * findings.h — reading a scan's findings the way the CLI and the API show
 * them: filtered by a minimum severity over the store's keyset pages, and
 * as JSON with the CVE ids lifted from detail.cve to a top-level "cve"
 * and the finding's fingerprint beside them.
 * The store knows nothing of severities' order; this module does (the
 * order is scanner.h's: info < low < medium < high < critical).
 */
#ifndef SCANQ_FINDINGS_H
#define SCANQ_FINDINGS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct finding;
struct store;

/*
 * Reads up to `limit` findings of scan_id with id > after_id and a
 * severity of at least min_rank (0 = every finding), oldest first, paging
 * through the store until `limit` match or the findings end.  *out (free
 * with finding_array_free()) and *n get them; *next gets the cursor to
 * pass as after_id for the next page, or 0 when there is none.  Returns a
 * STORE_* code (STORE_NOT_FOUND: no such scan).
 */
int findings_read(struct store *s, int64_t scan_id, int64_t after_id, int limit, int min_rank,
		  struct finding **out, size_t *n, int64_t *next);

/* The JSON of a finding (its columns, detail as an object) with "cve": the array
 * detail.cve, or [], and "fingerprint" (store/fingerprint.h; null if it
 * cannot be computed).  New reference. */
json_t *findings_to_json(const struct finding *f);

#endif
