/*
 * detect.c — service detection (see detect.h): the parsers of what a
 * service says, the probes that make it speak, and the thread pool that
 * runs them port by port.  A port's budget is shared by all its
 * connections; each probe gets what is left of it, so the order of the
 * probes only decides how fast a port is named, never how long a silent
 * one takes.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include "core/clock.h"
#include "detect.h"
#include "sock.h"

/* ---- parsers ------------------------------------------------------------ */

/* Copies the printable part of src[0..n) up to the first line end into dst
 * (cap bytes), trimmed; other bytes become '.'. */
static void copy_clean(char *dst, size_t cap, const char *src, size_t n)
{
	size_t o = 0, i = 0;

	while (i < n && (src[i] == ' ' || src[i] == '\t'))
		i++;
	for (; i < n && o + 1 < cap && src[i] != '\r' && src[i] != '\n' && src[i] != '\0'; i++)
		dst[o++] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '.';
	while (o > 0 && dst[o - 1] == ' ')
		o--;
	dst[o] = '\0';
}

/* The first occurrence of needle (case-insensitive) in hay[0..n), or NULL. */
static const char *find_ci(const char *hay, size_t n, const char *needle)
{
	size_t k = strlen(needle);

	for (size_t i = 0; k && i + k <= n; i++)
		if (strncasecmp(hay + i, needle, k) == 0)
			return hay + i;
	return NULL;
}

/* "Apache/2.4.57 (Debian)" -> product Apache, version 2.4.57, extra Debian. */
static void product_version(const char *s, struct detect_result *r)
{
	size_t tok = strcspn(s, " "), slash = strcspn(s, "/");
	const char *rest = s + tok;

	if (slash < tok) {
		snprintf(r->product, sizeof r->product, "%.*s", (int)slash, s);
		snprintf(r->version, sizeof r->version, "%.*s", (int)(tok - slash - 1), s + slash + 1);
	} else {
		snprintf(r->product, sizeof r->product, "%.*s", (int)tok, s);
	}
	while (*rest == ' ' || *rest == '(')
		rest++;
	snprintf(r->extra, sizeof r->extra, "%s", rest);
	if (r->extra[0] && r->extra[strlen(r->extra) - 1] == ')')
		r->extra[strlen(r->extra) - 1] = '\0';
}

/* The words of a banner line, stripped of ()[];, — at most `max`. */
static int words(char *line, char **w, int max)
{
	int n = 0;

	for (char *save = NULL, *t = strtok_r(line, " ", &save); t && n < max; t = strtok_r(NULL, " ", &save)) {
		size_t len;

		while (*t == '(' || *t == '[')
			t++;
		len = strlen(t);
		while (len > 0 && strchr(")];,", t[len - 1]))
			t[--len] = '\0';
		if (*t)
			w[n++] = t;
	}
	return n;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* FTP and SMTP greetings: the word naming the software, and the version
 * after it ("220 (vsFTPd 3.0.3)", "220 mx ESMTP Exim 4.96"). */
static void greeting_product(char *line, const char *kind, struct detect_result *r)
{
	char *w[16];
	int n = words(line, w, 16);

	for (int i = 1; i < n; i++) {
		int is_kind = strcasecmp(w[i], kind) == 0 || (strcmp(kind, "smtp") == 0 && strcasecmp(w[i], "esmtp") == 0);

		if (strcmp(kind, "smtp") == 0 && is_kind && i + 1 < n && !is_digit(w[i + 1][0])) {
			snprintf(r->product, sizeof r->product, "%s", w[i + 1]);
			if (i + 2 < n && is_digit(w[i + 2][0]))
				snprintf(r->version, sizeof r->version, "%.*s", (int)strcspn(w[i + 2], "/"), w[i + 2]);
			return;
		}
		if (strcmp(kind, "ftp") == 0 && !is_kind && strlen(w[i]) > 3 && find_ci(w[i], strlen(w[i]), "ftp")) {
			snprintf(r->product, sizeof r->product, "%s", w[i]);
			if (i + 1 < n && is_digit(w[i + 1][0]))
				snprintf(r->version, sizeof r->version, "%s", w[i + 1]);
			return;
		}
	}
}

/* A MySQL / MariaDB server greeting (protocol 10) or its error packet. */
static int mysql_greeting(const unsigned char *b, size_t len, struct detect_result *r)
{
	size_t plen, end, i;
	char v[64];

	if (len < 6 || b[3] != 0)
		return 0;
	plen = (size_t)b[0] | (size_t)b[1] << 8 | (size_t)b[2] << 16;
	if (plen < 2 || plen > 0xffff)
		return 0;
	end = len < 4 + plen ? len : 4 + plen;
	if (b[4] == 0xff) {		/* "Host ... is not allowed to connect" */
		char msg[128];

		if (end < 7)
			return 0;
		copy_clean(msg, sizeof msg, (const char *)b + 7, end - 7);
		if (!find_ci(msg, strlen(msg), "mysql") && !find_ci(msg, strlen(msg), "mariadb"))
			return 0;
		snprintf(r->service, sizeof r->service, "mysql");
		snprintf(r->product, sizeof r->product, find_ci(msg, strlen(msg), "mariadb") ? "MariaDB" : "MySQL");
		snprintf(r->extra, sizeof r->extra, "%s", msg);
		return 1;
	}
	if (b[4] != 0x0a)
		return 0;
	for (i = 5; i < end && b[i]; i++)
		if (b[i] < 0x20 || b[i] >= 0x7f || i - 5 >= sizeof v - 1)
			return 0;
	if (i >= end || i == 5)
		return 0;		/* the version must end with its NUL */
	memcpy(v, b + 5, i - 5);
	v[i - 5] = '\0';
	snprintf(r->service, sizeof r->service, "mysql");
	if (strstr(v, "MariaDB")) {
		const char *p = strncmp(v, "5.5.5-", 6) == 0 ? v + 6 : v;

		snprintf(r->product, sizeof r->product, "MariaDB");
		snprintf(r->version, sizeof r->version, "%.*s", (int)strcspn(p, "-"), p);
	} else {
		snprintf(r->product, sizeof r->product, "MySQL");
		snprintf(r->version, sizeof r->version, "%.*s", (int)strcspn(v, "-"), v);
	}
	return 1;
}

int detect_banner(const char *buf, size_t len, int port, struct detect_result *r)
{
	char line[256];

	if (mysql_greeting((const unsigned char *)buf, len, r))
		return 1;
	copy_clean(line, sizeof line, buf, len);
	if (strncmp(line, "SSH-", 4) == 0) {
		const char *soft = strchr(line + 4, '-'), *sp;
		size_t n;

		if (!soft)
			return 0;
		soft++;
		sp = strchr(soft, ' ');
		n = sp ? (size_t)(sp - soft) : strlen(soft);
		snprintf(r->service, sizeof r->service, "ssh");
		if (memchr(soft, '_', n)) {
			size_t u = (size_t)((const char *)memchr(soft, '_', n) - soft);

			snprintf(r->product, sizeof r->product, "%.*s", (int)u, soft);
			snprintf(r->version, sizeof r->version, "%.*s", (int)(n - u - 1), soft + u + 1);
		} else {
			snprintf(r->product, sizeof r->product, "%.*s", (int)n, soft);
		}
		snprintf(r->extra, sizeof r->extra, "%.127s", sp ? sp + 1 : "");
		return 1;
	}
	if (strncmp(line, "220", 3) == 0 && (line[3] == ' ' || line[3] == '-' || line[3] == '\0')) {
		int ftp = find_ci(line, strlen(line), "ftp") != NULL;
		int smtp = find_ci(line, strlen(line), "smtp") != NULL;

		if (!ftp && !smtp) {
			ftp = port == 21;
			smtp = !ftp;
		}
		snprintf(r->service, sizeof r->service, ftp && !smtp ? "ftp" : "smtp");
		snprintf(r->extra, sizeof r->extra, "%.127s", strlen(line) > 4 ? line + 4 : "");
		greeting_product(line, r->service, r);
		return 1;
	}
	if (strncmp(line, "+OK", 3) == 0 || strncmp(line, "* OK", 4) == 0) {
		snprintf(r->service, sizeof r->service, line[0] == '+' ? "pop3" : "imap");
		snprintf(r->extra, sizeof r->extra, "%.127s", line);
		return 1;
	}
	if (strncmp(line, "HTTP/", 5) == 0)
		return detect_http(buf, len, r);
	return 0;
}

int detect_http(const char *buf, size_t len, struct detect_result *r)
{
	const char *end, *p, *t;
	size_t hlen;

	if (len < 12 || strncmp(buf, "HTTP/", 5) != 0 || !is_digit(buf[5]) || buf[8] != ' '
	    || !is_digit(buf[9]) || !is_digit(buf[10]) || !is_digit(buf[11]))
		return 0;
	r->http_status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	snprintf(r->service, sizeof r->service, "http");
	end = find_ci(buf, len, "\r\n\r\n");
	hlen = end ? (size_t)(end - buf) : len;
	for (p = buf; p && p < buf + hlen;) {
		const char *nl = memchr(p, '\n', (size_t)(buf + hlen - p));

		if (hlen - (size_t)(p - buf) > 7 && strncasecmp(p, "Server:", 7) == 0) {
			char server[128];

			copy_clean(server, sizeof server, p + 7, (size_t)(buf + hlen - p) - 7);
			product_version(server, r);
			break;
		}
		p = nl ? nl + 1 : NULL;
	}
	if (end && (t = find_ci(end, len - hlen, "<title"))) {
		const char *gt = memchr(t, '>', len - (size_t)(t - buf));
		const char *close = gt ? find_ci(gt, len - (size_t)(gt - buf), "</title") : NULL;
		size_t o = 0;

		for (const char *c = gt ? gt + 1 : NULL; c && c < close && o + 1 < sizeof r->title; c++) {
			char ch = (*c >= 0x20 && *c < 0x7f) ? *c : ' ';

			if (ch == ' ' && (o == 0 || r->title[o - 1] == ' '))
				continue;	/* collapse white space */
			r->title[o++] = ch;
		}
		while (o > 0 && r->title[o - 1] == ' ')
			o--;
		r->title[o] = '\0';
	}
	return 1;
}

int detect_redis(const char *buf, size_t len, struct detect_result *r)
{
	const char *v;

	if ((len >= 5 && strncmp(buf, "+PONG", 5) == 0) || (len >= 7 && strncmp(buf, "-NOAUTH", 7) == 0)
	    || (len >= 7 && strncmp(buf, "-DENIED", 7) == 0)) {
		snprintf(r->service, sizeof r->service, "redis");
		snprintf(r->product, sizeof r->product, "Redis");
		return 1;
	}
	if (len >= 1 && buf[0] == '$' && (v = find_ci(buf, len, "\nredis_version:"))) {
		v += 15;
		snprintf(r->service, sizeof r->service, "redis");
		snprintf(r->product, sizeof r->product, "Redis");
		copy_clean(r->version, sizeof r->version, v, len - (size_t)(v - buf));
		return 1;
	}
	return 0;
}

/* ---- probes ------------------------------------------------------------- */

struct pool {
	struct detect_job *jobs;
	size_t n, next;
	int budget_ms;
	double deadline_s;
	double gap_s, next_dial;	/* rate limit: seconds between connections */
	pthread_mutex_t mu;
	SSL_CTX *ssl;
};

/* One port's clock. */
struct budget {
	double end;
};

static int left_ms(const struct budget *b)
{
	double l = (b->end - clock_mono_s()) * 1000;

	return l < 1 ? 0 : (int)l;
}

/* A connection for a probe, paced by the rate limit.  -1 when the budget
 * is spent or the port no longer answers. */
static int dial(struct pool *p, const struct detect_job *j, const struct budget *b, int cap_ms)
{
	int ms = left_ms(b);

	if (p->gap_s > 0) {
		double now, at;

		pthread_mutex_lock(&p->mu);
		now = clock_mono_s();
		at = p->next_dial > now ? p->next_dial : now;
		p->next_dial = at + p->gap_s;
		pthread_mutex_unlock(&p->mu);
		if (at > now) {
			struct timespec ts = { (time_t)(at - now), (long)((at - now - (double)(time_t)(at - now)) * 1e9) };

			nanosleep(&ts, NULL);
		}
		ms = left_ms(b);
	}
	if (cap_ms && ms > cap_ms)
		ms = cap_ms;
	if (ms < 10)
		return -1;
	return sock_dial(&j->addr, j->port, ms);
}

static int line_done(const char *buf, size_t len)
{
	return memchr(buf, '\n', len) != NULL || (len >= 5 && buf[3] == 0 && (unsigned char)buf[4] == 0x0a
						   && len >= 4 + ((size_t)(unsigned char)buf[0] | (size_t)(unsigned char)buf[1] << 8));
}

static int http_done(const char *buf, size_t len)
{
	const char *end = find_ci(buf, len, "\r\n\r\n");

	if (strncmp(buf, "HTTP/", len < 5 ? len : 5) != 0)
		return 1;	/* not HTTP: no need to wait for more */

	return end && (find_ci(end, len - (size_t)(end - buf), "</title") || len - (size_t)(end - buf) > 4096);
}

/* A Redis bulk reply "$N\r\n<N bytes>\r\n" is complete. */
static int info_done(const char *buf, size_t len)
{
	const char *nl = memchr(buf, '\n', len);
	size_t want = 0;

	if (!nl || buf[0] != '$')
		return nl != NULL;
	for (const char *c = buf + 1; c < nl && is_digit(*c) && want < DETECT_READ_MAX; c++)
		want = want * 10 + (size_t)(*c - '0');
	return len >= (size_t)(nl - buf) + 1 + want + 2 || want >= DETECT_READ_MAX;
}

static int http_request(char *req, size_t cap, const struct detect_job *j)
{
	char host[80];

	if (j->name)
		snprintf(host, sizeof host, "%s", j->name);
	else
		targets_addr_str(&j->addr, host, sizeof host);
	return snprintf(req, cap, "GET / HTTP/1.0\r\nHost: %s%s%s\r\nUser-Agent: scanq\r\nAccept: */*\r\n"
			"Connection: close\r\n\r\n", strchr(host, ':') ? "[" : "", host,
			strchr(host, ':') ? "]" : "");
}

static int probe_passive(struct pool *p, struct detect_job *j, const struct budget *b, char *buf)
{
	int fd, silent;
	size_t len;

	if (j->banner && j->banner_len) {
		if (detect_banner(j->banner, j->banner_len, j->port, &j->r)) {
			j->r.method = "banner";
			return 1;
		}
		return 0;
	}
	fd = dial(p, j, b, 0);
	if (fd < 0)
		return -1;
	len = sock_read(fd, buf, DETECT_READ_MAX, left_ms(b) < DETECT_PASSIVE_MS ? left_ms(b) : DETECT_PASSIVE_MS,
			line_done, &silent);
	close(fd);
	if (len && detect_banner(buf, len, j->port, &j->r)) {
		j->r.method = "banner";
		return 1;
	}
	return len ? 2 : 0;	/* 2: it spoke, in no language known here */
}

static int probe_http(struct pool *p, struct detect_job *j, const struct budget *b, char *buf)
{
	char req[400];
	int fd = dial(p, j, b, 0), silent, ok = 0;
	size_t len;

	if (fd < 0)
		return 0;
	if (sock_send_all(fd, req, (size_t)http_request(req, sizeof req, j)) == 0) {
		len = sock_read(fd, buf, DETECT_READ_MAX, left_ms(b), http_done, &silent);
		ok = detect_http(buf, len, &j->r);
	}
	close(fd);
	if (ok)
		j->r.method = "http";
	return ok;
}

static int probe_redis(struct pool *p, struct detect_job *j, const struct budget *b, char *buf)
{
	int fd = dial(p, j, b, 0), silent, ok = 0;
	size_t len;

	if (fd < 0)
		return 0;
	if (sock_send_all(fd, "PING\r\n", 6) == 0) {
		len = sock_read(fd, buf, DETECT_READ_MAX, left_ms(b), line_done, &silent);
		ok = detect_redis(buf, len, &j->r);
		/* INFO only where PING needed no password. */
		if (ok && len >= 5 && strncmp(buf, "+PONG", 5) == 0 && sock_send_all(fd, "INFO server\r\n", 13) == 0) {
			len = sock_read(fd, buf, DETECT_READ_MAX, left_ms(b), info_done, &silent);
			detect_redis(buf, len, &j->r);
		}
	}
	close(fd);
	if (ok)
		j->r.method = "redis";
	return ok;
}

static int probe_pgsql(struct pool *p, struct detect_job *j, const struct budget *b, char *buf)
{
	static const unsigned char ssl_request[8] = { 0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f };
	int fd = dial(p, j, b, 0), silent, ok = 0;
	size_t len;

	if (fd < 0)
		return 0;
	if (sock_send_all(fd, ssl_request, sizeof ssl_request) == 0) {
		len = sock_read(fd, buf, 1, left_ms(b), NULL, &silent);
		ok = len == 1 && (buf[0] == 'S' || buf[0] == 'N');
	}
	close(fd);
	if (ok) {
		snprintf(j->r.service, sizeof j->r.service, "postgresql");
		snprintf(j->r.product, sizeof j->r.product, "PostgreSQL");
		snprintf(j->r.extra, sizeof j->r.extra, "%s", buf[0] == 'S' ? "TLS offered" : "no TLS");
		j->r.method = "postgresql";
	}
	return ok;
}

/* A TLS handshake; then HTTP inside it. */
static int probe_tls(struct pool *p, struct detect_job *j, const struct budget *b, char *buf)
{
	int fd = dial(p, j, b, 0), ok = 0;
	SSL *ssl;

	if (fd < 0)
		return 0;
	ssl = SSL_new(p->ssl);
	if (ssl && j->name)
		SSL_set_tlsext_host_name(ssl, j->name);
	if (ssl && SSL_set_fd(ssl, fd) == 1 && SSL_connect(ssl) == 1) {
		char req[400];
		size_t len = 0;
		int n = http_request(req, sizeof req, j);

		ok = 1;
		snprintf(j->r.tls_version, sizeof j->r.tls_version, "%s", SSL_get_version(ssl));
		snprintf(j->r.service, sizeof j->r.service, "tls");
		j->r.method = "tls";
		if (SSL_write(ssl, req, n) == n) {
			while (len < DETECT_READ_MAX && left_ms(b) > 0 && !http_done(buf, len)) {
				int got = SSL_read(ssl, buf + len, (int)(DETECT_READ_MAX - len));

				if (got <= 0)
					break;
				len += (size_t)got;
			}
			if (detect_http(buf, len, &j->r)) {
				snprintf(j->r.service, sizeof j->r.service, "https");
				j->r.method = "tls+http";
			}
		}
	}
	ERR_clear_error();
	SSL_free(ssl);
	close(fd);
	return ok;
}

typedef int (*probe_fn)(struct pool *, struct detect_job *, const struct budget *, char *);

static void detect_one(struct pool *p, struct detect_job *j, char *buf)
{
	/* HTTP first: a TLS, Redis or PostgreSQL server hangs up on it at once.
	 * Redis before the binary probes, which it would wait on for a line end. */
	static const probe_fn plain[] = { probe_http, probe_redis, probe_pgsql, probe_tls };
	static const probe_fn tlsfirst[] = { probe_tls, probe_http, probe_redis, probe_pgsql };
	static const probe_fn redisfirst[] = { probe_redis, probe_http, probe_pgsql, probe_tls };
	static const probe_fn pgfirst[] = { probe_pgsql, probe_http, probe_redis, probe_tls };
	const probe_fn *order = plain;
	struct budget b = { clock_mono_s() + p->budget_ms / 1000.0 };
	int spoke;

	memset(&j->r, 0, sizeof j->r);
	spoke = probe_passive(p, j, &b, buf);
	if (spoke != 0)
		return;		/* named; or gone; or a talker no probe would help */
	switch (j->port) {
	case 443: case 465: case 636: case 853: case 993: case 995: case 8443: case 9443:
		order = tlsfirst;
		break;
	case 6379:
		order = redisfirst;
		break;
	case 5432:
		order = pgfirst;
		break;
	}
	for (size_t i = 0; i < 4 && left_ms(&b) > 0; i++)
		if (order[i](p, j, &b, buf))
			return;
}

static void *worker(void *arg)
{
	struct pool *p = arg;
	char *buf = malloc(DETECT_READ_MAX);

	for (;;) {
		size_t i;

		pthread_mutex_lock(&p->mu);
		i = p->next < p->n && (p->deadline_s == 0 || clock_mono_s() < p->deadline_s) ? p->next++ : p->n;
		pthread_mutex_unlock(&p->mu);
		if (i >= p->n || !buf)
			break;
		memset(buf, 0, DETECT_READ_MAX);
		detect_one(p, &p->jobs[i], buf);
	}
	free(buf);
	return NULL;
}

int detect_all(struct detect_job *jobs, size_t n, int concurrency, int budget_ms, int rate,
	       double deadline_s)
{
	struct pool p = { .jobs = jobs, .n = n, .budget_ms = budget_ms, .deadline_s = deadline_s,
			  .gap_s = rate > 0 ? 1.0 / rate : 0 };
	pthread_t th[64];
	int nth = concurrency < 1 ? 1 : concurrency > 64 ? 64 : concurrency, started = 0;

	for (size_t i = 0; i < n; i++)
		memset(&jobs[i].r, 0, sizeof jobs[i].r);
	if (n == 0)
		return 0;
	p.ssl = SSL_CTX_new(TLS_client_method());
	if (!p.ssl)
		return -1;
	SSL_CTX_set_security_level(p.ssl, 0);
	SSL_CTX_set_min_proto_version(p.ssl, TLS1_VERSION);
	SSL_CTX_set_cipher_list(p.ssl, "ALL:!aNULL:!eNULL:@SECLEVEL=0");
	SSL_CTX_set_verify(p.ssl, SSL_VERIFY_NONE, NULL);
	pthread_mutex_init(&p.mu, NULL);
	if ((size_t)nth > n)
		nth = (int)n;
	for (; started < nth; started++)
		if (pthread_create(&th[started], NULL, worker, &p) != 0)
			break;
	if (started == 0)
		worker(&p);
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&p.mu);
	SSL_CTX_free(p.ssl);
	return 0;
}
