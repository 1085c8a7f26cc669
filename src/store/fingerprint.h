/*
 * fingerprint.h — the identity of a finding across runs, workers and
 * exports: a hash of its kind, target, port, protocol, check id and, for a
 * service, its product.  What a run adds that is not identity (the
 * finding's row id, its scan, its time, a version, a banner) is left out,
 * so the same thing found again has the same fingerprint.  The check id is
 * the one change tracking (store/changes.c) compares: one rule for both.
 */
#ifndef SCANQ_STORE_FINGERPRINT_H
#define SCANQ_STORE_FINGERPRINT_H

#include <jansson.h>

struct finding;

#define FINGERPRINT_HEX 32		/* hex digits of a fingerprint (128 bits of SHA-256) */

/*
 * The check id of a finding: detail.script, detail.template_id or
 * detail.check (detail may be NULL); for a finding with no port and none
 * of those, its title; NULL for an open_port or host finding, whose
 * identity needs none.  The result is borrowed from detail or title.
 */
const char *fingerprint_check_id(const char *kind, int port, const char *title, json_t *detail);

/*
 * Writes the fingerprint of f (FINGERPRINT_HEX lower-case hex digits and
 * a NUL) to out.  The target is compared without case; an unparsable
 * detail counts as an empty one.  Returns 0, or -1 when the hash cannot be
 * computed (out is then "").
 */
int fingerprint_of(const struct finding *f, char out[FINGERPRINT_HEX + 1]);

/* The same, for a caller that has parsed f->detail already: detail is
 * that parse (NULL when f has no detail object).  Borrowed. */
int fingerprint_of_detail(const struct finding *f, json_t *detail, char out[FINGERPRINT_HEX + 1]);

#endif
