/*
 * chain.c — the tree of a chain for `scanq show` (see chain.h).
 */
#include <string.h>
#include "cmd/chain.h"

#define CHAIN_SHARDS_SHOWN 32	/* unfinished shards listed one by one */

static void line(FILE *out, const json_t *n, int depth, long long current)
{
	const char *note = json_string_value(json_object_get(n, "note"));
	const char *err = json_string_value(json_object_get(n, "error"));
	long long id = (long long)json_integer_value(json_object_get(n, "id"));

	fprintf(out, "  %*s%s %lld  %-10s %-10s %3.0f%%  %lld findings%s%s%s%s\n", depth * 2, "",
		depth ? "└─" : "●", id, json_string_value(json_object_get(n, "type")),
		json_string_value(json_object_get(n, "status")),
		json_number_value(json_object_get(n, "progress")) * 100,
		(long long)json_integer_value(json_object_get(n, "findings")),
		note ? "  — " : "", note ? note : "", err ? "  — " : "", err ? err : "");
	(void)current;
}

static void walk(FILE *out, const json_t *n, int depth, long long current)
{
	const json_t *sh = json_object_get(n, "shards"), *c;
	size_t i, shown = 0;

	line(out, n, depth, current);
	if (sh)
		fprintf(out, "  %*s  shards: %lld (%lld completed, %lld running, %lld pending, %lld failed,"
			" %lld cancelled)\n", depth * 2, "",
			(long long)json_integer_value(json_object_get(sh, "total")),
			(long long)json_integer_value(json_object_get(sh, "completed")),
			(long long)json_integer_value(json_object_get(sh, "running")),
			(long long)json_integer_value(json_object_get(sh, "pending")),
			(long long)json_integer_value(json_object_get(sh, "failed")),
			(long long)json_integer_value(json_object_get(sh, "cancelled")));
	json_array_foreach(json_object_get(n, "children"), i, c) {
		if (json_is_true(json_object_get(c, "shard"))) {
			if (strcmp(json_string_value(json_object_get(c, "status")), "completed") == 0
			    || shown++ >= CHAIN_SHARDS_SHOWN)
				continue;
		}
		walk(out, c, depth + 1, current);
	}
}

void chain_print(FILE *out, const json_t *flow, long long current)
{
	fprintf(out, "chain of scan %lld: %s, %lld findings\n",
		(long long)json_integer_value(json_object_get(flow, "root")),
		json_string_value(json_object_get(flow, "status")),
		(long long)json_integer_value(json_object_get(flow, "findings")));
	walk(out, json_object_get(flow, "tree"), 0, current);
}
