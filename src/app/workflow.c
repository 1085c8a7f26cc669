/*
 * workflow.c — the submit side of follow-up stages and shards (docs/WORKFLOWS.md):
 * checks a request's "then" list and folds it into the scan's options,
 * and splits a scan larger than [flow] shard_addresses addresses (or
 * shard_probes address x port probes) into slices of its targets.  The
 * store (src/store/flow.c) writes them; nothing here touches it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/config.h"
#include "ports.h"
#include "core/scan.h"
#include "scanner.h"
#include "targets.h"
#include "app/workflow.h"

static int bad(char *code, size_t codelen, char *msg, size_t msglen, const char *c,
	       const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int bad(char *code, size_t codelen, char *msg, size_t msglen, const char *c,
	       const char *fmt, ...)
{
	va_list ap;

	snprintf(code, codelen, "%s", c);
	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Ports of a spec (NULL: the default); 0 when it does not parse. */
static long port_count(const char *spec)
{
	struct port_set *ps = malloc(sizeof *ps);
	char err[128];
	long n = 0;

	if (ps && ports_parse(spec ? spec : PORTS_DEFAULT, ps, err, sizeof err) == 0)
		n = ps->count;
	free(ps);
	return n;
}

/* How many addresses one shard of a scan on `nports` ports may hold. */
static long shard_hosts(long nports)
{
	long per = config.shard_addresses;

	if (nports > 0 && config.shard_probes / nports < per)
		per = config.shard_probes / nports;
	return per < 1 ? 1 : per;
}

int workflow_then(json_t *then, int (*known)(const char *type), json_t **out, char *code,
		  size_t codelen, char *msg, size_t msglen)
{
	json_t *v;
	size_t i;

	*out = NULL;
	if (!then)
		return 0;
	if (!json_is_array(then))
		return bad(code, codelen, msg, msglen, "invalid_field",
			   "then must be a list of follow-up stages");
	if (json_array_size(then) > WORKFLOW_STAGES_MAX) {
		snprintf(code, codelen, "invalid_field");
		snprintf(msg, msglen, "then holds at most %d stages", WORKFLOW_STAGES_MAX);
		return -1;
	}
	*out = json_array();
	json_array_foreach(then, i, v) {
		const char *type = json_is_string(v) ? json_string_value(v)
			: json_string_value(json_object_get(v, "type"));
		const char *ports = json_string_value(json_object_get(v, "ports"));
		json_t *opts = json_object_get(v, "options"), *st;
		const char *k;
		json_t *x;

		if (!json_is_string(v) && !json_is_object(v))
			goto refuse;
		json_object_foreach(json_is_object(v) ? v : NULL, k, x)
			if (strcmp(k, "type") && strcmp(k, "ports") && strcmp(k, "options"))
				goto refuse;
		if (!type || strlen(type) >= SCAN_TYPE_MAX || !known(type)) {
			json_decref(*out);
			*out = NULL;
			return bad(code, codelen, msg, msglen, "invalid_type",
				   "unknown follow-up scan type '%.40s'", type ? type : "(none)");
		}
		if ((json_object_get(v, "ports") && !ports) || (ports && port_count(ports) == 0)) {
			json_decref(*out);
			*out = NULL;
			return bad(code, codelen, msg, msglen, "invalid_ports",
				   "follow-up ports '%.60s' are not a port spec", ports ? ports : "?");
		}
		if (opts && !json_is_object(opts))
			goto refuse;
		st = json_pack("{ss sI sI sI}", "type", type, "shard_hosts", (json_int_t)shard_hosts(
			port_count(ports)), "shard_addresses", (json_int_t)config.shard_addresses,
			"shard_probes", (json_int_t)config.shard_probes);
		if (ports)
			json_object_set_new(st, "ports", json_string(ports));
		if (opts)
			json_object_set(st, "options", opts);
		json_array_append_new(*out, st);
	}
	return 0;
refuse:
	json_decref(*out);
	*out = NULL;
	snprintf(code, codelen, "invalid_field");
	snprintf(msg, msglen, "then[%zu] must be a scan type or {\"type\", \"ports\", \"options\"}", i);
	return -1;
}

/* Appends "lo-hi" (or one address) to arr. */
static void add_range(json_t *arr, targets_u128 lo, targets_u128 hi)
{
	struct target_addr a;
	char x[64], y[64], buf[140];

	targets_to_addr(lo, &a);
	targets_addr_str(&a, x, sizeof x);
	if (lo == hi) {
		json_array_append_new(arr, json_string(x));
		return;
	}
	targets_to_addr(hi, &a);
	targets_addr_str(&a, y, sizeof y);
	snprintf(buf, sizeof buf, "%s-%s", x, y);
	json_array_append_new(arr, json_string(buf));
}

char *workflow_slices(json_t *targets, const char *ports)
{
	size_t n = json_array_size(targets), nr;
	const char **specs = calloc(n ? n : 1, sizeof *specs);
	struct target_list *l = targets_new();
	long per = shard_hosts(port_count(ports));
	json_t *slices = NULL, *cur = NULL;
	targets_u128 room = 0;
	char code[32], msg[256], *text = NULL;

	if (!specs || !l)
		goto out;
	for (size_t i = 0; i < n; i++)
		specs[i] = json_string_value(json_array_get(targets, i));
	if (targets_parse(l, specs, (int)n, config.max_targets, code, sizeof code, msg, sizeof msg) < 0
	    || targets_count(l) + targets_nnames(l) <= (uint64_t)per)
		goto out;
	slices = json_array();
	nr = targets_nranges(l);
	for (size_t r = 0; r < nr; r++) {
		targets_u128 lo, hi;

		targets_range(l, r, &lo, &hi);
		while (lo <= hi) {
			targets_u128 take;

			if (room == 0) {
				cur = json_array();
				json_array_append_new(slices, cur);
				room = (targets_u128)per;
			}
			take = hi - lo + 1 < room ? hi - lo + 1 : room;
			add_range(cur, lo, lo + take - 1);
			room -= take;
			if (lo + take - 1 == hi)
				break;
			lo += take;
		}
	}
	for (size_t i = 0; i < targets_nnames(l); i++) {
		if (room == 0) {
			cur = json_array();
			json_array_append_new(slices, cur);
			room = (targets_u128)per;
		}
		json_array_append_new(cur, json_string(targets_name(l, i)));
		room--;
	}
	if (json_array_size(slices) > 1)
		text = json_dumps(slices, JSON_COMPACT);
out:
	json_decref(slices);
	targets_free(l);
	free(specs);
	return text;
}
