/*
 * tls.h — the HTTPS side of the API: the certificate and key the server
 * is given ([http] tls_cert and tls_key), read and checked before the
 * server starts, so that a wrong file is one clear line at start, not a
 * handshake that fails for every client.
 */
#ifndef SCANQ_API_TLS_H
#define SCANQ_API_TLS_H

#include <stddef.h>

#define API_TLS_FILE_MAX (1024 * 1024)	/* a PEM file larger than this is refused */

/* A certificate chain and its key, as PEM text (NUL-terminated). */
struct api_tls {
	char *cert;
	char *key;
	char *client_ca;	/* CA certificates clients must present one of; NULL: none */
	char subject[256];	/* of the first certificate, for the log */
	long days_left;		/* until it expires (negative: expired) */
};

/*
 * Reads cert_path and key_path into t and checks them: both PEM, the key
 * the certificate's own.  Returns 0, or -1 with a one-line reason in err
 * (naming the file) and nothing held.  Free with api_tls_release().
 */
int api_tls_load(struct api_tls *t, const char *cert_path, const char *key_path, char *err,
		 size_t errlen);

/* Reads http.tls_client_ca (PEM, at least one certificate) into t.
 * Returns 0, or -1 with a one-line reason naming the file. */
int api_tls_load_client_ca(struct api_tls *t, const char *path, char *err, size_t errlen);

/* With a client CA: 1 if the connection's client presented a certificate
 * that the CA signed and that is valid now, else 0 with the reason. */
struct MHD_Connection;
int api_tls_client_ok(struct MHD_Connection *conn, char *why, size_t len);

/* Frees what api_tls_load() read (the key's memory is wiped first). */
void api_tls_release(struct api_tls *t);

#endif
