/*
 * resolve.c — target lists to host lists with the scope enforced after
 * resolution, and the c-ares resolver loop (see resolve.h).  The resolver
 * runs every query on one channel under one deadline, so a thousand names
 * cost one timeout, not a thousand.
 */
#include <ares.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include "core/clock.h"
#include "core/config.h"
#include "resolve.h"
#include "scanner.h"
#include "scope.h"

static void on_addrinfo(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct resolve_name *dn = arg;

	if (status != ARES_SUCCESS || !res) {
		snprintf(dn->error, sizeof dn->error, "%s", ares_strerror(status));
		ares_freeaddrinfo(res);
		return;
	}
	for (struct ares_addrinfo_node *n = res->nodes; n && dn->naddrs < RESOLVE_ADDRS_MAX; n = n->ai_next) {
		struct target_addr a = { 0 };
		int dup = 0;

		if (n->ai_family == AF_INET) {
			a.family = AF_INET;
			memcpy(a.a, &((struct sockaddr_in *)(void *)n->ai_addr)->sin_addr, 4);
		} else if (n->ai_family == AF_INET6) {
			a.family = AF_INET6;
			memcpy(a.a, &((struct sockaddr_in6 *)(void *)n->ai_addr)->sin6_addr, 16);
		} else {
			continue;
		}
		for (int i = 0; i < dn->naddrs; i++)
			if (memcmp(&dn->addrs[i], &a, sizeof a) == 0)
				dup = 1;
		if (!dup)
			dn->addrs[dn->naddrs++] = a;
	}
	if (dn->naddrs == 0)
		snprintf(dn->error, sizeof dn->error, "no address");
	ares_freeaddrinfo(res);
}

int resolve_names(struct resolve_name *names, size_t n, int timeout_ms,
		      char *err, size_t errlen)
{
	struct ares_options opts = { .timeout = timeout_ms, .tries = 2 };
	struct ares_addrinfo_hints hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	ares_channel ch;
	double deadline = ((double)clock_mono_ns() / 1e6) + timeout_ms;
	int rc;

	for (size_t i = 0; i < n; i++) {
		names[i].naddrs = 0;
		snprintf(names[i].error, sizeof names[i].error, "timed out");
	}
	if (n == 0)
		return 0;
	rc = ares_library_init(ARES_LIB_INIT_ALL);
	if (rc == ARES_SUCCESS)
		rc = ares_init_options(&ch, &opts, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
	if (rc != ARES_SUCCESS) {
		snprintf(err, errlen, "resolver: %s", ares_strerror(rc));
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		names[i].error[0] = '\0';
		ares_getaddrinfo(ch, names[i].name, NULL, &hints, on_addrinfo, &names[i]);
	}
	for (;;) {
		fd_set r, w;
		struct timeval maxtv, tv, *tvp;
		double left = deadline - ((double)clock_mono_ns() / 1e6);
		int nfds;

		FD_ZERO(&r);
		FD_ZERO(&w);
		nfds = ares_fds(ch, &r, &w);
		if (nfds == 0)
			break;
		if (left <= 0) {
			/* Calls back every open query with ARES_ECANCELLED. */
			ares_cancel(ch);
			break;
		}
		maxtv.tv_sec = (time_t)(left / 1000);
		maxtv.tv_usec = (suseconds_t)((left - (double)maxtv.tv_sec * 1000) * 1000);
		tvp = ares_timeout(ch, &maxtv, &tv);
		if (select(nfds, &r, &w, NULL, tvp) < 0 && errno != EINTR)
			break;
		ares_process(ch, &r, &w);
	}
	ares_destroy(ch);
	for (size_t i = 0; i < n; i++)
		if (names[i].naddrs == 0 && !names[i].error[0])
			snprintf(names[i].error, sizeof names[i].error, "timed out");
	return 0;
}

void resolve_hostset_release(struct resolve_hostset *hs)
{
	free(hs->hosts);
	free(hs->name_state);
	targets_free(hs->list);
	memset(hs, 0, sizeof *hs);
}

static void report_skip(struct scanctx *ctx, const char *name, const char *addr, const char *reason,
			const char *why)
{
	char title[256];
	json_t *f;

	if (addr)
		snprintf(title, sizeof title, "%s resolves to %s, %s; skipped", name, addr, why);
	else
		snprintf(title, sizeof title, "%s: %s; skipped", name, why);
	f = json_pack("{sssssiss ss s{ss}}", "kind", "skipped", "target", name, "port", 0,
		      "severity", "info", "title", title, "detail", "reason", reason);
	if (!f)
		return;
	if (addr)
		json_object_set_new(json_object_get(f, "detail"), "address", json_string(addr));
	scanner_finding(ctx, f);
	json_decref(f);
}

/* Adds resolved addresses in scope to the host list; the rest are skipped. */
static int add_resolved(struct scanctx *ctx, struct resolve_hostset *hs, const struct scope *sc,
			struct resolve_name *names, size_t nn, size_t cap)
{
	for (size_t i = 0; i < nn; i++) {
		int kept = 0;

		if (scope_excluded_name(sc, names[i].name)) {
			hs->name_state[i] = RESOLVE_NAME_NONE;
			hs->excluded++;
			report_skip(ctx, names[i].name, NULL, "excluded", "excluded");
			continue;
		}
		if (names[i].naddrs == 0) {
			hs->name_state[i] = RESOLVE_NAME_NONE;
			hs->unresolved++;
			report_skip(ctx, names[i].name, NULL, "unresolved", names[i].error);
			continue;
		}
		for (int k = 0; k < names[i].naddrs; k++) {
			const struct target_addr *a = &names[i].addrs[k];
			char text[64];
			int dup = 0;

			targets_addr_str(a, text, sizeof text);
			if (!scope_check_addr(sc, a)) {
				hs->name_state[i] = RESOLVE_NAME_PARTIAL;
				hs->skipped++;
				report_skip(ctx, names[i].name, text, "out_of_scope", "out of scope");
				continue;
			}
			if (scope_excluded_addr(sc, a)) {
				hs->name_state[i] = RESOLVE_NAME_PARTIAL;
				hs->excluded++;
				report_skip(ctx, names[i].name, text, "excluded", "excluded");
				continue;
			}
			kept++;
			if (targets_contains(hs->list, targets_from_addr(a)))
				continue;	/* also a literal target */
			for (size_t h = 0; h < hs->n && !dup; h++)
				dup = memcmp(&hs->hosts[h].addr, a, sizeof *a) == 0;
			if (dup)
				continue;
			if (hs->n >= cap)
				return -1;
			hs->hosts[hs->n].addr = *a;
			hs->hosts[hs->n].name = names[i].name;
			hs->n++;
		}
		if (kept == 0)
			hs->name_state[i] = RESOLVE_NAME_NONE;
	}
	return 0;
}

int resolve_hosts(struct scanctx *ctx, struct resolve_hostset *hs)
{
	struct resolve_name *names = NULL;
	struct scope *sc = NULL;
	struct target_iter it;
	struct target_addr a;
	char code[32], msg[320];
	size_t nn, cap;
	json_t *v = json_object_get(ctx->options, "resolve_ms");
	int timeout = json_is_integer(v) && json_integer_value(v) >= 10 && json_integer_value(v) <= 60000
		      ? (int)json_integer_value(v) : RESOLVE_MS;
	int rc = 1;

	memset(hs, 0, sizeof *hs);
	hs->list = targets_new();
	if (!hs->list)
		return scanner_error(ctx, "internal", "out of memory");
	if (targets_parse(hs->list, (const char *const *)ctx->targets, ctx->ntargets, config.max_targets,
			  code, sizeof code, msg, sizeof msg) < 0)
		return scanner_error(ctx, code, "%s", msg);
	sc = scope_from_config(&config, msg, sizeof msg);
	if (!sc)
		return scanner_error(ctx, "internal", "scope: %s", msg);
	for (int i = 0; i < ctx->ntargets; i++) {
		targets_u128 lo, hi, bad;
		int kind = targets_classify(ctx->targets[i], &lo, &hi);

		if ((kind == 1 && !scope_check_range(sc, lo, hi, &bad))
		    || (kind == 2 && !scope_check_name(sc, ctx->targets[i]))) {
			rc = scanner_error(ctx, "out_of_scope", "target '%.80s' is out of scope "
					   "(see [scope] allow in the configuration)", ctx->targets[i]);
			goto out;
		}
	}
	nn = targets_nnames(hs->list);
	/* Room for every literal address and every address a name may bring,
	 * never more than the cap. */
	cap = (size_t)targets_count(hs->list) + nn * RESOLVE_ADDRS_MAX;
	if (cap > (size_t)config.max_targets)
		cap = (size_t)config.max_targets;
	hs->hosts = calloc(cap ? cap : 1, sizeof *hs->hosts);
	names = calloc(nn ? nn : 1, sizeof *names);
	hs->name_state = calloc(nn ? nn : 1, 1);
	if (!hs->hosts || !names || !hs->name_state) {
		rc = scanner_error(ctx, "internal", "out of memory");
		goto out;
	}
	targets_iter_init(&it, hs->list);
	while (targets_iter_next(&it, &a)) {
		/* The last check before any packet: an excluded address never
		 * reaches a scanner's host list. */
		if (scope_excluded_addr(sc, &a)) {
			hs->excluded++;
			continue;
		}
		hs->hosts[hs->n].addr = a;
		hs->hosts[hs->n].name = NULL;
		hs->n++;
	}
	for (size_t i = 0; i < nn; i++)
		names[i].name = targets_name(hs->list, i);
	if (resolve_names(names, nn, timeout, msg, sizeof msg) < 0) {
		rc = scanner_error(ctx, "scanner_error", "%s", msg);
		goto out;
	}
	if (add_resolved(ctx, hs, sc, names, nn, cap) < 0) {
		rc = scanner_error(ctx, "too_many_targets", "the targets resolve to more than %d addresses",
				   config.max_targets);
		goto out;
	}
	/* Nothing left to touch: a scan that scanned nothing has not
	 * completed, whatever its type (docs/SCANNERS.md, "Follow the facts"). */
	if (hs->n == 0) {
		rc = scanner_error(ctx, "no_targets", "nothing to scan: every target was skipped "
				   "(%ld addresses out of scope, %ld excluded, %ld names unresolved)",
				   hs->skipped, hs->excluded, hs->unresolved);
		goto out;
	}
	rc = 0;
out:
	free(names);
	scope_free(sc);
	return rc;
}

