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
#include <stdio.h>
#include <jansson.h>
#include "store/fingerprint.h"

struct finding;
struct finding_state;
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

/*
 * An acceptance's expiry from outside input (CLI --expires, the API's
 * "expires"): an RFC 3339 time ("2027-01-31T12:00:00Z", an offset such as
 * +02:00, optional fractions) or a duration from now ("45s", "90m", "12h",
 * "30d", at most 3650 days).  *out gets ms since the epoch.  Returns 0, or
 * -1 when s is neither (the time may be past: the store refuses that).
 */
int findings_parse_expiry(const char *s, int64_t now_ms, int64_t *out);

/* The text form of one finding state (CLI): state, severity, kind, target,
 * port, title, the CVE ids in brackets, then fingerprint, times seen and
 * the scans.  Written to f. */
void findings_state_print(FILE *f, const struct finding_state *st);

/* A finding state as reports and exports look it up: the triage of one
 * fingerprint under a baseline. */
struct findings_triage {
	int64_t baseline;
	char fp[FINGERPRINT_HEX + 1];
	char state[16];
	char *reason;			/* owned, or NULL */
};

/*
 * Appends the finding states of `baseline` to *v (*n of them, room for
 * *cap; *v grows as needed), page by page over the store's keyset, until
 * *n reaches max or the states end.  The reasons move into *v.  Returns a
 * STORE_* code; what was appended before an error stays in *v (free each
 * reason and *v).
 */
int findings_triage_load(struct store *s, int64_t baseline, size_t max,
			 struct findings_triage **v, size_t *n, size_t *cap);

#endif
