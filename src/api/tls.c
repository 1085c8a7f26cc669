/*
 * tls.c — reading and checking the server's certificate and key (tls.h).
 * libmicrohttpd does the TLS itself (GnuTLS, in Debian's build); OpenSSL,
 * which scanq links for the tls scanner, only checks the files here so
 * that their errors name the file and the reason.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include "api/tls.h"

/* The whole file, NUL-terminated, or NULL with err set. */
static char *read_pem(const char *path, const char *what, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n;

	if (!f) {
		snprintf(err, errlen, "http.%s %s: %s", what, path, strerror(errno));
		return NULL;
	}
	buf = malloc(API_TLS_FILE_MAX + 1);
	if (!buf) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	n = fread(buf, 1, API_TLS_FILE_MAX + 1, f);
	if (ferror(f) || n > API_TLS_FILE_MAX) {
		snprintf(err, errlen, "http.%s %s: %s", what, path,
			 ferror(f) ? "cannot be read" : "larger than 1 MiB");
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[n] = '\0';
out:
	fclose(f);
	return buf;
}

static const char *ssl_reason(void)
{
	unsigned long e = ERR_get_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return r ? r : "not PEM";
}

int api_tls_load(struct api_tls *t, const char *cert_path, const char *key_path, char *err,
		 size_t errlen)
{
	BIO *bio = NULL;
	X509 *x = NULL;
	EVP_PKEY *k = NULL;
	int rc = -1, days = 0, secs = 0;

	memset(t, 0, sizeof *t);
	if (!(t->cert = read_pem(cert_path, "tls_cert", err, errlen))
	    || !(t->key = read_pem(key_path, "tls_key", err, errlen)))
		goto out;
	bio = BIO_new_mem_buf(t->cert, -1);
	if (!bio || !(x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
		snprintf(err, errlen, "http.tls_cert %s: no certificate (%s)", cert_path, ssl_reason());
		goto out;
	}
	BIO_free(bio);
	bio = BIO_new_mem_buf(t->key, -1);
	if (!bio || !(k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL))) {
		snprintf(err, errlen, "http.tls_key %s: no private key, or one with a passphrase (%s)",
			 key_path, ssl_reason());
		goto out;
	}
	if (X509_check_private_key(x, k) != 1) {
		ERR_clear_error();
		snprintf(err, errlen, "http.tls_key %s is not the key of the certificate in %s", key_path,
			 cert_path);
		goto out;
	}
	X509_NAME_oneline(X509_get_subject_name(x), t->subject, sizeof t->subject);
	if (ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(x)) == 1)
		t->days_left = days;
	rc = 0;
out:
	BIO_free(bio);
	X509_free(x);
	EVP_PKEY_free(k);
	if (rc < 0)
		api_tls_release(t);
	return rc;
}

int api_tls_load_client_ca(struct api_tls *t, const char *path, char *err, size_t errlen)
{
	BIO *bio;
	X509 *x = NULL;

	if (!(t->client_ca = read_pem(path, "tls_client_ca", err, errlen)))
		return -1;
	bio = BIO_new_mem_buf(t->client_ca, -1);
	if (!bio || !(x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
		snprintf(err, errlen, "http.tls_client_ca %s: no certificate (%s)", path, ssl_reason());
		BIO_free(bio);
		free(t->client_ca);
		t->client_ca = NULL;
		return -1;
	}
	BIO_free(bio);
	X509_free(x);
	return 0;
}

int api_tls_client_ok(struct MHD_Connection *conn, char *why, size_t len)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	gnutls_session_t session = ci ? (gnutls_session_t)ci->tls_session : NULL;
	unsigned int status = 0, n = 0;

	if (!session) {
		snprintf(why, len, "a client certificate is required (mutual TLS)");
		return 0;
	}
	if (!gnutls_certificate_get_peers(session, &n) || n == 0) {
		snprintf(why, len, "a client certificate is required (mutual TLS): none was sent");
		return 0;
	}
	if (gnutls_certificate_verify_peers2(session, &status) < 0 || status != 0) {
		snprintf(why, len, "the client certificate is not signed by http.tls_client_ca,"
			 " or has expired");
		return 0;
	}
	return 1;
}

void api_tls_release(struct api_tls *t)
{
	if (t->key)
		OPENSSL_cleanse(t->key, strlen(t->key));
	free(t->cert);
	free(t->key);
	free(t->client_ca);
	t->cert = t->key = t->client_ca = NULL;
}
