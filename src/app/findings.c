/*
 * findings.c — the severity filter and the CVE lift of findings.h.  The
 * filter never changes the store's pagination: it only decides which of
 * the rows a page brings are kept, and the cursor it hands back is the id
 * of the last row kept (or the end), so no row is skipped or shown twice.
 */
#include <stdlib.h>
#include <string.h>
#include "app/findings.h"
#include "core/scan.h"
#include "scanner.h"
#include "store/fingerprint.h"
#include "store/store.h"

int findings_read(struct store *s, int64_t scan_id, int64_t after_id, int limit, int min_rank,
		  struct finding **out, size_t *n, int64_t *next)
{
	struct finding *keep = NULL;
	size_t nkeep = 0;
	int rc = STORE_OK;

	*out = NULL;
	*n = 0;
	*next = 0;
	keep = calloc((size_t)(limit > 0 ? limit : 1), sizeof *keep);
	if (!keep)
		return STORE_ERROR;
	for (;;) {
		struct finding *page = NULL;
		size_t got = 0, i;
		int want = min_rank > 0 ? STORE_LIST_MAX : limit - (int)nkeep;

		rc = store_findings(s, scan_id, after_id, want, &page, &got);
		if (rc != STORE_OK) {
			finding_array_free(page, got);
			finding_array_free(keep, nkeep);
			return rc;
		}
		for (i = 0; i < got && (int)nkeep < limit; i++) {
			after_id = page[i].id;
			if (scanner_severity_rank(page[i].severity) < min_rank)
				continue;
			keep[nkeep++] = page[i];	/* moved: its strings now belong to keep */
			memset(&page[i], 0, sizeof page[i]);
		}
		finding_array_free(page, got);
		if ((int)nkeep == limit) {
			*next = keep[nkeep - 1].id;
			break;
		}
		if ((int)got < want)
			break;		/* the end of the scan's findings */
	}
	*out = keep;
	*n = nkeep;
	return STORE_OK;
}

/* The finding's columns; detail as the object it holds ({} for none). */
static json_t *finding_to_json(const struct finding *f)
{
	json_t *o = json_object();
	json_t *detail = f->detail ? json_loads(f->detail, 0, NULL) : NULL;
	char ts[40];

	json_object_set_new(o, "id", json_integer(f->id));
	json_object_set_new(o, "scan_id", json_integer(f->scan_id));
	json_object_set_new(o, "kind", json_string(f->kind));
	json_object_set_new(o, "target", f->target ? json_string(f->target) : json_null());
	json_object_set_new(o, "port", f->port ? json_integer(f->port) : json_null());
	json_object_set_new(o, "proto", scan_json_text(f->proto));
	json_object_set_new(o, "service", f->service ? json_string(f->service) : json_null());
	json_object_set_new(o, "severity", json_string(f->severity));
	json_object_set_new(o, "title", f->title ? json_string(f->title) : json_null());
	json_object_set_new(o, "detail", detail ? detail : json_object());
	json_object_set_new(o, "created_at",
			    json_string(scan_format_time(f->created_at, ts, sizeof ts)));
	return o;
}

json_t *findings_to_json(const struct finding *f)
{
	json_t *o = finding_to_json(f), *cve = json_object_get(json_object_get(o, "detail"), "cve");
	char fp[FINGERPRINT_HEX + 1];

	json_object_set_new(o, "cve", json_is_array(cve) ? json_deep_copy(cve) : json_array());
	fingerprint_of(f, fp);
	json_object_set_new(o, "fingerprint", fp[0] ? json_string(fp) : json_null());
	return o;
}
