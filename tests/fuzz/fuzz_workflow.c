/*
 * fuzz_workflow.c — libFuzzer target for the submit side of chains and
 * shards (workflow.c): a "then" list from a request body, and the shard
 * slices of a target list.
 *
 * Input: a JSON document {"then": ..., "targets": [...], "ports": "..."}.
 * Beyond "no crash, no leak, no undefined behaviour" it checks the
 * contracts: a refused then leaves *out NULL with a non-empty code and
 * message; an accepted one is an array of at most WORKFLOW_STAGES_MAX
 * stage objects, each with a type and shard_hosts >= 1; the slices of an
 * accepted target list hold every address once, none more than
 * shard_addresses per slice.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/config.h"
#include "targets.h"
#include "app/workflow.h"

static int known(const char *type)
{
	return !strcmp(type, "portscan") || !strcmp(type, "tls") || !strcmp(type, "discovery");
}

static uint64_t count(json_t *arr)
{
	struct target_list *l = targets_new();
	size_t n = json_array_size(arr), i;
	const char **specs = calloc(n ? n : 1, sizeof *specs);
	char code[32], msg[256];
	uint64_t c = 0;

	for (i = 0; i < n; i++)
		specs[i] = json_string_value(json_array_get(arr, i));
	if (targets_parse(l, specs, (int)n, 1 << 20, code, sizeof code, msg, sizeof msg) == 0)
		c = targets_count(l) + targets_nnames(l);
	targets_free(l);
	free(specs);
	return c;
}

static int all_strings(json_t *arr)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
		if (!json_is_string(v))
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *root, *out = (json_t *)1, *targets, *v;
	char code[32] = "", msg[256] = "", *slices;
	size_t i;

	if (size > 16 * 1024)
		return 0;
	config.shard_addresses = 256;
	config.shard_probes = 65536;
	config.max_targets = 65536;
	if (!(root = json_loadb((const char *)data, size, 0, NULL)))
		return 0;
	if (workflow_then(json_object_get(root, "then"), known, &out, code, sizeof code, msg,
			  sizeof msg) < 0) {
		if (out || !*code || !*msg)
			abort();
	} else if (out) {
		if (!json_is_array(out) || json_array_size(out) > WORKFLOW_STAGES_MAX)
			abort();
		json_array_foreach(out, i, v)
			if (!json_is_string(json_object_get(v, "type"))
			    || json_integer_value(json_object_get(v, "shard_hosts")) < 1)
				abort();
		json_decref(out);
	}
	targets = json_object_get(root, "targets");
	if (json_is_array(targets) && json_array_size(targets) <= 64 && all_strings(targets)
	    && (slices = workflow_slices(targets, json_string_value(json_object_get(root, "ports"))))) {
		json_t *sl = json_loads(slices, 0, NULL);
		uint64_t total = 0;

		if (!json_is_array(sl) || json_array_size(sl) < 2)
			abort();
		json_array_foreach(sl, i, v) {
			uint64_t c = count(v);

			if (c < 1 || c > 256)
				abort();
			total += c;
		}
		if (total != count(targets))
			abort();
		json_decref(sl);
		free(slices);
	}
	json_decref(root);
	return 0;
}
