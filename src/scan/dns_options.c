/*
 * dns_options.c — the dns scan type's options (see dns.h): read, checked
 * and refused with a one-line reason, the same way at submit (app/submit.c)
 * and when the scan starts (dns.c), and the one rule of where its packets
 * may go: a loopback address, or one in scope.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/config.h"
#include "dns.h"
#include "scope.h"
#include "targets.h"

/* 127.0.0.0/8 or ::1: always allowed for a resolver, whatever the scope
 * (a local caching resolver, or a test's own server). */
static int is_loopback(const struct target_addr *a)
{
	static const unsigned char v6lo[16] = { [15] = 1 };

	return (a->family == AF_INET && a->a[0] == 127)
	       || (a->family == AF_INET6 && memcmp(a->a, v6lo, 16) == 0);
}

/* "ADDR", "ADDR:PORT", "[V6]:PORT" into address and port (53 by default). */
static int parse_hostport(const char *s, struct target_addr *a, int *port, char *msg, size_t msglen)
{
	char host[64];
	const char *p = NULL;
	size_t hl;

	*port = 53;
	memset(a, 0, sizeof *a);
	if (s[0] == '[') {
		const char *e = strchr(s, ']');

		if (!e || (e[1] && e[1] != ':'))
			goto bad;
		hl = (size_t)(e - s - 1);
		s++;
		p = e[1] ? e + 2 : NULL;
	} else if (strchr(s, ':') && strchr(s, ':') == strrchr(s, ':')) {
		hl = (size_t)(strchr(s, ':') - s);
		p = strchr(s, ':') + 1;
	} else {
		hl = strlen(s);
	}
	if (hl == 0 || hl >= sizeof host)
		goto bad;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (inet_pton(AF_INET, host, a->a) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, host, a->a) == 1)
		a->family = AF_INET6;
	else
		goto bad;
	if (p) {
		char *end;
		long v = strtol(p, &end, 10);

		if (end == p || *end || v < 1 || v > 65535)
			goto bad;
		*port = (int)v;
	}
	return 0;
bad:
	snprintf(msg, msglen, "resolver '%.60s' is not ADDRESS or ADDRESS:PORT", s);
	return -1;
}

/* An integer option in [lo, hi], or def when absent. */
static int int_opt(const json_t *o, const char *key, int def, int lo, int hi, int *out,
		   char *msg, size_t msglen)
{
	json_t *v = json_object_get(o, key);

	*out = def;
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
		snprintf(msg, msglen, "option %s must be an integer from %d to %d", key, lo, hi);
		return -1;
	}
	*out = (int)json_integer_value(v);
	return 0;
}

static int bool_opt(const json_t *o, const char *key, int *out, char *msg, size_t msglen)
{
	json_t *v = json_object_get(o, key);

	*out = 1;
	if (!v)
		return 0;
	if (!json_is_boolean(v)) {
		snprintf(msg, msglen, "option %s must be true or false", key);
		return -1;
	}
	*out = json_is_true(v);
	return 0;
}

int dns_options_read(const json_t *options, struct dns_opts *o, char *msg, size_t msglen)
{
	static const char *const known[] = {
		"resolver", "wordlist", "subdomains", "axfr", "ns_port", "rate", "concurrency",
		"timeout_ms", "ports", "then", "rate_of_scan", NULL,
	};
	const char *key;
	json_t *v;

	memset(o, 0, sizeof *o);
	json_object_foreach((json_t *)options, key, v) {
		int ok = 0;

		for (int i = 0; known[i]; i++)
			ok |= strcmp(key, known[i]) == 0;
		if (!ok) {
			snprintf(msg, msglen, "unknown option '%.40s' for dns (resolver, wordlist, subdomains,"
				 " axfr, ns_port, rate, concurrency, timeout_ms)", key);
			return -1;
		}
	}
	v = json_object_get(options, "resolver");
	if (v) {
		if (!json_is_string(v) || json_string_length(v) >= sizeof o->resolver) {
			snprintf(msg, msglen, "option resolver must be a string ADDRESS[:PORT]");
			return -1;
		}
		snprintf(o->resolver, sizeof o->resolver, "%s", json_string_value(v));
		if (parse_hostport(o->resolver, &o->raddr, &o->rport, msg, msglen) < 0)
			return -1;
	}
	v = json_object_get(options, "wordlist");
	if (v) {
		if (!json_is_string(v) || !*json_string_value(v)) {
			snprintf(msg, msglen, "option wordlist must be a file name");
			return -1;
		}
		o->wordlist = json_string_value(v);
		if (access(o->wordlist, R_OK) < 0) {
			snprintf(msg, msglen, "wordlist '%.100s' cannot be read: %s", o->wordlist, strerror(errno));
			return -1;
		}
	}
	if (bool_opt(options, "subdomains", &o->subdomains, msg, msglen) < 0
	    || bool_opt(options, "axfr", &o->axfr, msg, msglen) < 0
	    || int_opt(options, "ns_port", 53, 1, 65535, &o->ns_port, msg, msglen) < 0
	    || int_opt(options, "rate", 3000, 1, 100000, &o->rate, msg, msglen) < 0
	    || int_opt(options, "concurrency", 200, 1, 1000, &o->concurrency, msg, msglen) < 0
	    || int_opt(options, "timeout_ms", 1000, 100, 30000, &o->timeout_ms, msg, msglen) < 0)
		return -1;
	return 0;
}

int dns_may_send(const struct scope *sc, const struct target_addr *a)
{
	return is_loopback(a) || scope_check_addr(sc, a);
}

int dns_options_check(const json_t *options, char *msg, size_t msglen)
{
	struct dns_opts o;
	struct scope *sc;
	char text[64];
	int rc = -1;

	if (dns_options_read(options, &o, msg, msglen) < 0)
		return -1;
	if (!o.resolver[0])
		return 0;
	sc = scope_from_config(&config, msg, msglen);
	if (!sc)
		return -1;
	if (!dns_may_send(sc, &o.raddr)) {
		snprintf(msg, msglen, "resolver %s is out of scope (see [scope] allow in the configuration)",
			 targets_addr_str(&o.raddr, text, sizeof text));
		goto out;
	}
	rc = 0;
out:
	scope_free(sc);
	return rc;
}
