/*
 * discovery.c — the "discovery" scan type (see discovery.h): every host of
 * the scan is asked on a few common TCP ports through the port scanner's
 * engine; an answer of any kind means the host is up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "discovery.h"
#include "portscan.h"
#include "resolve.h"
#include "scanner.h"
#include "targets.h"

/* Ports a host is asked on: the services most often reachable, so that a
 * live host answers on one (a reset counts as an answer). */
static const int discovery_ports[] = { 22, 80, 443, 3389, 8080, 21, 23, 25, 53, 135, 139, 445 };


/* ---- the "discovery" scan type ----------------------------------------- */

struct live {
	unsigned char up;
	unsigned char nopen;
	unsigned short open[12];
};

struct disc {
	struct scanctx *ctx;
	struct live *live;
	size_t done, total;
};

static void on_answer(void *arg, const struct portscan_hit *h)
{
	struct disc *d = arg;
	struct live *l = &d->live[h->host];

	d->done++;
	scanner_progress(d->ctx, (double)d->done / (double)d->total);
	if (h->state == PORTSCAN_FILTERED)
		return;
	l->up = 1;
	if (h->state == PORTSCAN_OPEN && l->nopen < sizeof l->open / sizeof l->open[0])
		l->open[l->nopen++] = (unsigned short)h->port;
}

int discovery_run(struct scanctx *ctx)
{
	struct resolve_hostset hs;
	struct portscan_opts o;
	struct portscan_stats st;
	struct disc d = { .ctx = ctx };
	struct target_addr *addrs = NULL;
	long up = 0;
	char err[256];
	int rc;

	portscan_opts_default(&o);
	o.retries = 0;
	if (portscan_opts_from_json(&o, ctx->options, err, sizeof err) < 0)
		return scanner_error(ctx, "invalid_options", "%s", err);
	rc = resolve_hosts(ctx, &hs);
	if (rc != 0)
		goto out;
	addrs = malloc((hs.n ? hs.n : 1) * sizeof *addrs);
	d.live = calloc(hs.n ? hs.n : 1, sizeof *d.live);
	if (!addrs || !d.live) {
		rc = scanner_error(ctx, "internal", "out of memory");
		goto out;
	}
	for (size_t i = 0; i < hs.n; i++)
		addrs[i] = hs.hosts[i].addr;
	d.total = hs.n * (sizeof discovery_ports / sizeof discovery_ports[0]);
	if (portscan_probe(addrs, hs.n, discovery_ports, sizeof discovery_ports / sizeof discovery_ports[0],
			   &o, on_answer, &d, &st, err, sizeof err) < 0) {
		rc = scanner_error(ctx, "scanner_error", "discovery failed: %s", err);
		goto out;
	}
	for (size_t i = 0; i < hs.n; i++) {
		char text[64], title[160];
		json_t *f, *ports;

		if (!d.live[i].up)
			continue;
		up++;
		targets_addr_str(&hs.hosts[i].addr, text, sizeof text);
		snprintf(title, sizeof title, "host %s is up", text);
		ports = json_array();
		for (int k = 0; k < d.live[i].nopen; k++)
			json_array_append_new(ports, json_integer(d.live[i].open[k]));
		f = json_pack("{sssssiss ss s{sss[s*]so}}", "kind", "host",
			      "target", hs.hosts[i].name ? hs.hosts[i].name : text, "port", 0,
			      "severity", "info", "title", title, "detail", "address", text,
			      "names", hs.hosts[i].name, "open_ports", ports);
		if (f)
			scanner_finding(ctx, f);
		json_decref(f);
	}
	scanner_progress(ctx, 1);
	{
		json_t *s = json_pack("{sIsIsIsIsIsIsf}", "hosts", (json_int_t)hs.n, "up", (json_int_t)up,
				      "down", (json_int_t)(hs.n - (size_t)up), "skipped", (json_int_t)hs.skipped,
				      "excluded", (json_int_t)hs.excluded,
				      "unresolved", (json_int_t)hs.unresolved, "elapsed_s", st.elapsed_s);
		scanner_summary(ctx, s);
		json_decref(s);
	}
	rc = 0;
out:
	free(d.live);
	free(addrs);
	resolve_hostset_release(&hs);
	return rc;
}
