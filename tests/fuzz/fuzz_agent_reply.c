/*
 * fuzz_agent_reply.c — libFuzzer target for what an agent reads from a
 * server's claim reply (agent_scan_from_json()): a hostile or broken
 * server must not crash an agent or make it start a child with arguments
 * it did not check.
 *
 * The contract checked: a scan taken has a non-empty type that fits, and
 * targets and options that are JSON text of an array and of an object.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "core/scan.h"
#include "worker/agent.h"

static void check_json(const char *text, int want_array)
{
	json_t *v = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;

	if (!v || (want_array ? !json_is_array(v) : !json_is_object(v)))
		abort();
	json_decref(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *root = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL), *scans, *v;
	size_t i;

	scans = json_is_object(root) ? json_object_get(root, "scans") : root;
	if (json_is_array(scans)) {
		json_array_foreach(scans, i, v) {
			struct scan s;

			if (agent_scan_from_json(v, &s) == 0) {
				if (!s.type[0] || strlen(s.type) >= sizeof s.type)
					abort();
				check_json(s.targets, 1);
				check_json(s.options, 0);
			}
			scan_release(&s);
		}
	}
	json_decref(root);
	return 0;
}
