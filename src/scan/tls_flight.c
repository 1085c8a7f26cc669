/*
 * tls_flight.c — the poll loop of tls_flight.h.  Each job moves through
 * connect, (prepare,) then either send-hello/read-answer or libssl's
 * non-blocking SSL_connect (whole, or stopped by the certificate callback
 * once the server's certificate is in); its deadline is timeout_ms from
 * its start and is pushed back by every step that moved bytes, as a
 * blocking socket's SO_RCVTIMEO would be.  Every buffer is bounded: one hello
 * (TLS_HELLO_MAX) and one record (TLS_HELLO_RECORD_MAX) per job.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <openssl/err.h>
#include "core/clock.h"
#include "sock.h"
#include "tls_flight.h"
#include "tls_hello.h"

enum phase { WAITING, CONNECTING, SENDING, READING, HANDSHAKE, DONE };

struct state {
	enum phase phase;
	int64_t deadline;	/* monotonic ms */
	short events;		/* what the phase waits for */
	unsigned char hello[TLS_HELLO_MAX];
	size_t hlen, sent, got;
	unsigned char *in;	/* TLS_HELLO_RECORD_MAX bytes */
};

/* A libssl job's certificate callback (tls_flight_stop_at_certificate):
 * keeps the chain the server sent and fails, which ends the handshake
 * before the client's key exchange. */
static int stop_at_certificate(X509_STORE_CTX *xs, void *arg)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct tls_flight_job *j = ssl ? SSL_get_app_data(ssl) : NULL;
	X509 *leaf = X509_STORE_CTX_get0_cert(xs);
	STACK_OF(X509) *sent = X509_STORE_CTX_get0_untrusted(xs);
	const SSL_CIPHER *c = ssl ? SSL_get_pending_cipher(ssl) : NULL;

	(void)arg;
	if (j && leaf && !j->cert && X509_up_ref(leaf) == 1) {
		j->cert = leaf;
		j->chain = sent ? X509_chain_up_ref(sent) : NULL;
		j->negotiated = SSL_version(ssl);
		j->protocol = SSL_get_version(ssl);
		j->cipher = c ? SSL_CIPHER_get_name(c) : NULL;
	}
	X509_STORE_CTX_set_error(xs, X509_V_ERR_APPLICATION_VERIFICATION);
	return 0;
}

void tls_flight_stop_at_certificate(SSL_CTX *c)
{
	SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_cert_verify_callback(c, stop_at_certificate, NULL);
}

/* What a completed handshake learnt, for the caller (tls_flight_job). */
static void take_handshake(struct tls_flight_job *j)
{
	STACK_OF(X509) *sent = SSL_get_peer_cert_chain(j->ssl);

	if (!j->cert) {
		j->cert = SSL_get1_peer_certificate(j->ssl);
		j->chain = sent ? X509_chain_up_ref(sent) : NULL;
	}
	j->negotiated = SSL_version(j->ssl);
	j->protocol = SSL_get_version(j->ssl);
	j->cipher = SSL_get_cipher_name(j->ssl);
}

/* Ends a job.  Its connection closes at once, a completed handshake's
 * too: a server that serves one connection at a time would otherwise wait
 * on it while the other jobs' hellos queue.  What a libssl job learnt is
 * in the job (take_handshake, stop_at_certificate) and stays only when
 * the job is ACCEPTED. */
static void finish(struct tls_flight_job *j, struct state *st, int rc)
{
	if (rc != TLS_HELLO_ACCEPTED) {
		X509_free(j->cert);
		sk_X509_pop_free(j->chain, X509_free);
		j->cert = NULL;
		j->chain = NULL;
		j->negotiated = 0;
		j->protocol = j->cipher = NULL;
	}
	SSL_free(j->ssl);
	j->ssl = NULL;
	ERR_clear_error();
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
	j->rc = rc;
	st->phase = DONE;
	free(st->in);
	st->in = NULL;
}

/* The socket is connected: on to the hello or the handshake. */
static void connected(const struct tls_flight_target *t, struct tls_flight_job *j, struct state *st)
{
	st->deadline = clock_mono_ms() + t->timeout_ms;
	if (j->version == TLS_FLIGHT_HANDSHAKE || j->version == TLS_FLIGHT_CERTIFICATE) {
		j->ssl = SSL_new(j->version == TLS_FLIGHT_CERTIFICATE ? t->cert_ctx : t->ctx);
		if (!j->ssl || SSL_set_fd(j->ssl, j->fd) != 1 || SSL_set_app_data(j->ssl, j) != 1) {
			finish(j, st, TLS_HELLO_NOT_TLS);
			return;
		}
		if (t->sni)
			SSL_set_tlsext_host_name(j->ssl, t->sni);
		st->phase = HANDSHAKE;
		st->events = POLLOUT;
		return;
	}
	st->hlen = tls_hello_build(st->hello, sizeof st->hello, j->version, j->suites, j->nsuites, t->sni);
	st->in = malloc(TLS_HELLO_RECORD_MAX);
	if (st->hlen == 0 || !st->in) {
		finish(j, st, TLS_HELLO_NOT_TLS);
		return;
	}
	st->phase = SENDING;
	st->events = POLLOUT;
}

static void start(const struct tls_flight_target *t, struct tls_flight_job *j, struct state *st)
{
	st->deadline = clock_mono_ms() + t->timeout_ms;
	if (!t->prepare) {
		j->fd = sock_dial_start(t->addr, t->port);
		if (j->fd < 0) {
			finish(j, st, TLS_FLIGHT_CLOSED);
			return;
		}
		st->phase = CONNECTING;
		st->events = POLLOUT;
		return;
	}
	/* A dialogue before TLS (STARTTLS) is spoken blocking, one at a time. */
	j->fd = sock_dial(t->addr, t->port, t->timeout_ms);
	if (j->fd < 0 || t->prepare(j->fd) < 0 || fcntl(j->fd, F_SETFL, O_NONBLOCK) < 0) {
		finish(j, st, TLS_FLIGHT_CLOSED);
		return;
	}
	connected(t, j, st);
}

/* Reads what the server sent after a raw hello, as far as it goes. */
static void read_answer(struct tls_flight_job *j, struct state *st)
{
	for (;;) {
		ssize_t n = recv(j->fd, st->in + st->got, TLS_HELLO_RECORD_MAX - st->got, 0);
		int v = 0, rc;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			/* A hang-up right after a hello is a refusal too. */
			finish(j, st, st->got == 0 && n == 0 ? TLS_HELLO_REFUSED : TLS_HELLO_NOT_TLS);
			return;
		}
		st->got += (size_t)n;
		rc = tls_hello_parse(st->in, st->got, &v, &j->suite);
		if (rc == TLS_HELLO_MORE && st->got < TLS_HELLO_RECORD_MAX)
			continue;
		if (rc == TLS_HELLO_MORE)
			rc = TLS_HELLO_NOT_TLS;
		if (rc == TLS_HELLO_ACCEPTED && !tls_hello_answered_at(j->version, v, j->suite))
			rc = TLS_HELLO_REFUSED;	/* it picked another version */
		finish(j, st, rc);
		return;
	}
}

/* One step of a job whose socket polled ready (or whose deadline passed). */
static void step(const struct tls_flight_target *t, struct tls_flight_job *j, struct state *st, short revents)
{
	int err = 0, r;
	socklen_t elen = sizeof err;

	if (!revents) {
		/* The deadline: nothing (more) came in time. */
		int heard = st->phase == HANDSHAKE ? BIO_number_read(SSL_get_rbio(j->ssl)) > 0 : st->got > 0;

		finish(j, st, st->phase == CONNECTING ? TLS_FLIGHT_CLOSED : heard ? TLS_HELLO_NOT_TLS
			  : TLS_FLIGHT_SILENT);
		return;
	}
	st->deadline = clock_mono_ms() + t->timeout_ms;
	switch (st->phase) {
	case CONNECTING:
		if (getsockopt(j->fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 || err)
			finish(j, st, TLS_FLIGHT_CLOSED);
		else
			connected(t, j, st);
		if (st->phase == SENDING || st->phase == HANDSHAKE)
			step(t, j, st, POLLOUT);	/* a fresh socket takes the first bytes */
		return;
	case SENDING: {
		ssize_t n = send(j->fd, st->hello + st->sent, st->hlen - st->sent, MSG_NOSIGNAL);

		if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			finish(j, st, TLS_HELLO_REFUSED);
			return;
		}
		st->sent += (size_t)n;
		if (st->sent == st->hlen) {
			st->phase = READING;
			st->events = POLLIN;
		}
		return;
	}
	case READING:
		read_answer(j, st);
		return;
	case HANDSHAKE:
		r = SSL_connect(j->ssl);
		if (r == 1) {
			take_handshake(j);
			finish(j, st, TLS_HELLO_ACCEPTED);
			return;
		}
		err = SSL_get_error(j->ssl, r);
		if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
			st->events = err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		else	/* a certificate job ends here, its certificate read */
			finish(j, st, j->cert ? TLS_HELLO_ACCEPTED : TLS_HELLO_REFUSED);
		return;
	default:
		return;
	}
}

void tls_flight_run(const struct tls_flight_target *t, struct tls_flight_job *jobs, size_t n)
{
	struct state st[TLS_FLIGHT_MAX];
	size_t next = 0, active = 0, done = 0;
	int silent = 0, answered = 0;
	int cap = t->in_flight < 1 ? 1 : t->in_flight > TLS_FLIGHT_MAX ? TLS_FLIGHT_MAX : t->in_flight;

	if (n > TLS_FLIGHT_MAX)
		n = TLS_FLIGHT_MAX;
	memset(st, 0, sizeof st);
	for (size_t i = 0; i < n; i++)
		jobs[i] = (struct tls_flight_job){ .version = jobs[i].version, .suites = jobs[i].suites,
						   .nsuites = jobs[i].nsuites, .fd = -1, .rc = TLS_FLIGHT_CLOSED };
	while (done < n) {
		struct pollfd pfd[TLS_FLIGHT_MAX];
		size_t who[TLS_FLIGHT_MAX], np = 0;
		int64_t now, first = INT64_MAX;
		int paced = 0;

		for (; next < n && active < (size_t)cap; next++) {
			/* A port that said nothing to one question and answered none
			 * is not asked the rest: each would cost a whole timeout. */
			if (silent && !answered) {
				jobs[next].rc = TLS_FLIGHT_SILENT;
				st[next].phase = DONE;
				done++;
				continue;
			}
			if (t->pace && !t->pace(t->pace_arg)) {
				paced = 1;	/* the rate: ask again soon */
				break;
			}
			start(t, &jobs[next], &st[next]);
			if (st[next].phase == DONE)
				done++;
			else
				active++;
		}
		for (size_t i = 0; i < next; i++) {
			if (st[i].phase == DONE)
				continue;
			pfd[np] = (struct pollfd){ .fd = jobs[i].fd, .events = st[i].events };
			who[np++] = i;
			if (st[i].deadline < first)
				first = st[i].deadline;
		}
		now = clock_mono_ms();
		if (paced && first > now + TLS_FLIGHT_PACE_MS)
			first = now + TLS_FLIGHT_PACE_MS;
		if (np == 0 && !paced)
			continue;
		if (poll(pfd, np, first > now ? (int)(first - now) : 0) < 0 && errno != EINTR)
			memset(pfd, 0, sizeof pfd);	/* cannot happen with valid fds; let deadlines end it */
		now = clock_mono_ms();
		for (size_t k = 0; k < np; k++) {
			size_t i = who[k];

			if (pfd[k].revents)
				step(t, &jobs[i], &st[i], pfd[k].revents);
			else if (now >= st[i].deadline)
				step(t, &jobs[i], &st[i], 0);
			if (st[i].phase == DONE) {
				done++;
				active--;
				silent |= jobs[i].rc == TLS_FLIGHT_SILENT && jobs[i].version >= TLS_HELLO_SSL3;
				answered |= jobs[i].rc != TLS_FLIGHT_SILENT && jobs[i].rc != TLS_FLIGHT_CLOSED;
			}
		}
	}
}
