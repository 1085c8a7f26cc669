/*
 * fingerprint.c — a finding's identity as one hash (fingerprint.h).  The
 * fields are joined with a separator no field holds after cleaning (0x1f)
 * behind a version tag, so two different identities never join to the
 * same text, and hashed with SHA-256 (OpenSSL).  Changing what goes in
 * changes every fingerprint: bump the tag ("scanq-fp-1") when it must.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <openssl/evp.h>
#include "store/fingerprint.h"
#include "store/store.h"

#define FP_TEXT_MAX 2048		/* identity text; longer fields are cut (the cut is stable) */

const char *fingerprint_check_id(const char *kind, int port, const char *title, json_t *detail)
{
	const char *id = NULL;

	if (strcmp(kind, "open_port") == 0 || strcmp(kind, "host") == 0)
		return NULL;
	if (json_is_object(detail)) {
		id = json_string_value(json_object_get(detail, "script"));
		if (!id)
			id = json_string_value(json_object_get(detail, "template_id"));
		if (!id)
			id = json_string_value(json_object_get(detail, "check"));
	}
	if (!id && port == 0)
		id = title;
	return id;
}

/* Appends one field, lower-cased when asked, with 0x1f bytes dropped. */
static size_t put(char *buf, size_t len, const char *s, int lower)
{
	for (; s && *s && len + 2 < FP_TEXT_MAX; s++)
		if (*s != 0x1f)
			buf[len++] = lower ? (char)tolower((unsigned char)*s) : *s;
	buf[len++] = 0x1f;
	buf[len] = '\0';
	return len;
}

int fingerprint_of(const struct finding *f, char out[FINGERPRINT_HEX + 1])
{
	json_t *detail = f->detail && *f->detail == '{' ? json_loads(f->detail, 0, NULL) : NULL;
	int rc = fingerprint_of_detail(f, detail, out);

	json_decref(detail);
	return rc;
}

int fingerprint_of_detail(const struct finding *f, json_t *detail, char out[FINGERPRINT_HEX + 1])
{
	const char *product = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char text[FP_TEXT_MAX], port[16];
	size_t len = 0;

	out[0] = '\0';
	if (f->service && *f->service && json_is_object(detail))
		product = json_string_value(json_object_get(detail, "product"));
	snprintf(port, sizeof port, "%d", f->port);
	len = put(text, len, "scanq-fp-1", 0);
	len = put(text, len, f->kind, 0);
	len = put(text, len, f->target, 1);
	len = put(text, len, port, 0);
	len = put(text, len, f->port ? (f->proto[0] ? f->proto : "tcp") : "", 1);
	len = put(text, len, fingerprint_check_id(f->kind, f->port, f->title, detail), 0);
	len = put(text, len, product, 0);
	if (EVP_Digest(text, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen * 2 < FINGERPRINT_HEX)
		return -1;
	for (int i = 0; i < FINGERPRINT_HEX / 2; i++) {
		out[2 * i] = "0123456789abcdef"[md[i] >> 4];
		out[2 * i + 1] = "0123456789abcdef"[md[i] & 15];
	}
	out[FINGERPRINT_HEX] = '\0';
	return 0;
}
