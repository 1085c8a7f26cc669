/*
 * webhook.h — sending webhook deliveries: the URL policy, the signature,
 * one HTTP attempt, and the sender thread every worker runs.
 *
 * Policy ([webhooks] allow, loopback by default): a URL is http or https,
 * and every address its host resolves to must be in the allow-list, both
 * when the webhook is added and at each send, on the address the
 * connection actually uses (a DNS answer that changed since cannot lead a
 * delivery elsewhere).  Redirects are never followed; an attempt has a
 * total timeout ([webhooks] timeout_ms) and reads at most max_response_kb
 * of the answer.
 *
 * Signature: X-Scanq-Signature: v1=HEX(HMAC-SHA256(secret, TIMESTAMP "." BODY))
 * with X-Scanq-Timestamp: TIMESTAMP (Unix seconds of the attempt) and
 * X-Scanq-Delivery: the delivery's id (the same on every attempt).
 */
#ifndef SCANQ_WEBHOOK_H
#define SCANQ_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define WEBHOOK_URL_MAX    2048
#define WEBHOOK_SECRET_MAX 128
#define WEBHOOK_EVENTS     "scan.completed,scan.failed,changes.found"

/* Checks a URL against the policy (syntax, scheme, every resolved address
 * allowed).  Returns 0, or -1 with a one-line reason in err. */
int webhook_url_check(const char *url, char *err, size_t errlen);

/* Checks and normalizes an event list ("scan.completed,changes.found").
 * Returns 0, or -1 with a reason. */
int webhook_events_check(const char *events, char *err, size_t errlen);

/* The signature header value for (secret, timestamp, body) into out
 * (at least 68 bytes: "v1=" and 64 hex digits).  Returns out. */
char *webhook_sign(const char *secret, int64_t timestamp, const char *body, char *out);

/* A new random secret (hex, 64 characters) in out (at least 65 bytes). */
void webhook_secret_new(char *out);

/*
 * One attempt: POSTs body to url with the headers above.  *code gets the
 * HTTP status (0 if none came).  Returns 1 when the receiver answered
 * 2xx, else 0 with a one-line reason in err.
 */
int webhook_send(const char *url, const char *secret, const char *uuid, const char *event,
		 const char *body, int *code, char *err, size_t errlen);

/* Checks what `webhook add` and POST /api/v1/webhooks take: the URL
 * (webhook_url_check()), events, a secret (NULL: one is made; else 16..128
 * printable characters) and a minimum severity (NULL: info).  Returns 0,
 * or -1 with a one-line reason. */
int webhook_input_check(const char *url, const char *events, const char *secret,
			const char *min_severity, char *err, size_t errlen);

struct webhook;
struct delivery_log;
/* JSON forms (CLI and API); the secret is never shown.  A webhook carries
 * "removed_at" and "removed_by" (null unless removed), an attempt
 * "webhook_removed".  New references. */
json_t *webhook_to_json(const struct webhook *w);
json_t *delivery_log_to_json(const struct delivery_log *d);

/* The sender thread of a worker process: claims due deliveries with a
 * lease and sends them.  Returns a handle, or NULL with the reason logged.
 * webhook_sender_stop() ends it (waits for the attempt in flight); NULL is
 * a no-op. */
struct webhook_sender;
struct webhook_sender *webhook_sender_start(const char *db_url, const char *worker_id);
void webhook_sender_stop(struct webhook_sender *w);

#endif
