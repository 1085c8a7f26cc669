/*
 * diff.c — `scanq diff ID [OTHER_ID] [--chain] [--json] [--limit N]`: what
 * changed.
 *
 * With one id, the changes recorded when scan ID completed, against the
 * previous completed scan of its baseline (or that it is the baseline).
 * With --chain, those of scan ID and of every follow-up stage below it as
 * one result, each stage against the same stage of the chain's previous
 * run.  With two ids, the findings of ID compared now with those of
 * OTHER_ID (nothing is stored): new in ID, gone since OTHER_ID, changed.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include "cmd/cli.h"
#include "core/num.h"
#include "cmd/cmd.h"
#include "store/store.h"

#define DIFF_DEFAULT_LIMIT 10000
#define DIFF_MAX_LIMIT     1000000
#define DIFF_STAGES_SHOWN  1000	/* a chain's stages listed (all are counted) */

/* One change a line; with `chain`, the stage that recorded it first. */
static void print_change(const struct scan_change *c, int chain)
{
	char port[24] = "";
	json_t *b = c->before ? json_loads(c->before, 0, NULL) : NULL;
	json_t *a = c->after ? json_loads(c->after, 0, NULL) : NULL;
	json_t *st = a ? a : b;
	const char *svc = json_string_value(json_object_get(st, "service"));
	const char *prod = json_string_value(json_object_get(st, "product"));
	const char *ver = json_string_value(json_object_get(st, "version"));

	if (c->port)
		snprintf(port, sizeof port, "%d/%s", c->port, c->proto[0] ? c->proto : "tcp");
	if (chain)
		printf("scan %-8lld ", (long long)c->scan_id);
	printf("%-8s %-10s %-24s %-10s %-8s %s%s%s%s", c->change, c->kind, c->target ? c->target : "",
	       port, c->severity, svc ? svc : "-", prod ? " " : "", prod ? prod : "",
	       ver ? " " : "");
	if (ver)
		printf("%s", ver);
	if (c->ident)
		printf(" [%s]", c->ident);
	if (b && a) {
		const char *bv = json_string_value(json_object_get(b, "version"));
		const char *bs = json_string_value(json_object_get(b, "service"));
		const char *bp = json_string_value(json_object_get(b, "product"));

		printf("  (was %s%s%s%s%s)", bs ? bs : "-", bp ? " " : "", bp ? bp : "", bv ? " " : "",
		       bv ? bv : "");
	}
	putchar('\n');
	json_decref(a);
	json_decref(b);
}

/* Reads up to `limit` of the changes recorded for scan `id` (with `chain`:
 * for it and its stages), page by page, appending them to *ch (*n of
 * them).  Returns 0, or -1 (said). */
static int fetch_changes(struct store *s, int64_t id, int chain, long long limit,
			 struct scan_change **ch, size_t *n)
{
	int64_t after = 0;

	while (*n < (size_t)limit) {
		struct scan_change *page = NULL, *grown;
		size_t got = 0;
		int want = limit - (long long)*n > STORE_LIST_MAX ? STORE_LIST_MAX : (int)(limit - (long long)*n);

		if ((chain ? store_chain_changes(s, id, after, want, &page, &got)
			   : store_changes(s, id, after, want, &page, &got)) != STORE_OK) {
			cli_error("%s", store_error(s));
			scan_change_array_free(page, got);
			return -1;
		}
		if (got && !(grown = realloc(*ch, (*n + got) * sizeof **ch))) {
			scan_change_array_free(page, got);
			cli_error("out of memory");
			return -1;
		}
		if (got) {
			*ch = grown;
			for (size_t i = 0; i < got; i++)
				(*ch)[*n + i] = page[i];
			*n += got;
			after = page[got - 1].id;
		}
		free(page);	/* its strings moved to *ch */
		if ((int)got < want)
			return 0;
	}
	return 0;
}

/* `diff ID`: what scan ID's completion recorded against its baseline, or
 * that it is the baseline.  Returns the JSON head (NULL, said, on error). */
static json_t *diff_recorded(struct store *s, int64_t id, long long limit, int json,
			     struct scan_change **ch, size_t *n)
{
	struct scan_changes_info info;
	json_t *out;

	if (store_changes_info(s, id, &info) != STORE_OK) {
		cli_error("%s", store_error(s));
		return NULL;
	}
	out = scan_changes_info_to_json(id, &info);
	if (!json) {
		if (!info.compared)
			printf("scan %lld has no comparison: it has not completed\n", (long long)id);
		else if (!info.baseline_id)
			printf("scan %lld is the baseline: the first completed scan of its type,"
			       " targets and options; no changes recorded\n", (long long)id);
		else
			printf("changes since scan %lld: %lld new, %lld gone, %lld changed\n",
			       (long long)info.baseline_id, (long long)info.nnew,
			       (long long)info.ngone, (long long)info.nchanged);
	}
	if (fetch_changes(s, id, 0, limit, ch, n) < 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* One stage's comparison, on a line. */
static void print_stage(const struct chain_stage *st)
{
	const struct scan_changes_info *in = &st->info;

	printf("  scan %lld %s (%s): ", (long long)st->scan_id, st->type,
	       scan_status_name(st->status));
	if (!in->compared)
		printf("not compared: it has not completed\n");
	else if (!in->baseline_id)
		printf("the baseline\n");
	else
		printf("since scan %lld: %lld new, %lld gone, %lld changed\n",
		       (long long)in->baseline_id, (long long)in->nnew, (long long)in->ngone,
		       (long long)in->nchanged);
}

/* `diff ID --chain`: what scan ID and every stage below it recorded, as one
 * result.  Returns the JSON head (NULL, said, on error). */
static json_t *diff_chain(struct store *s, int64_t id, long long limit, int json,
			  struct scan_change **ch, size_t *n)
{
	struct chain_stage *st = NULL;
	struct chain_total tot;
	size_t ns = 0;
	json_t *out, *stages = json_array();

	if (store_chain_stages(s, id, DIFF_STAGES_SHOWN, &st, &ns, &tot) != STORE_OK) {
		cli_error("%s", store_error(s));
		json_decref(stages);
		return NULL;
	}
	if (!json)
		printf("chain of scan %lld: %lld scan%s, %lld compared: %lld new, %lld gone,"
		       " %lld changed\n", (long long)id, (long long)tot.stages,
		       tot.stages == 1 ? "" : "s", (long long)tot.compared, (long long)tot.nnew,
		       (long long)tot.ngone, (long long)tot.nchanged);
	for (size_t i = 0; i < ns; i++) {
		if (json)
			json_array_append_new(stages, chain_stage_to_json(&st[i]));
		else
			print_stage(&st[i]);
	}
	if (!json && (int64_t)ns < tot.stages)
		printf("  ... and %lld more\n", (long long)(tot.stages - (int64_t)ns));
	free(st);
	out = chain_total_to_json(id, &tot);
	json_object_set_new(out, "stages", stages);
	if (fetch_changes(s, id, 1, limit, ch, n) < 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* `diff ID OTHER`: the two scans' findings compared now (nothing stored).
 * Returns the JSON head (NULL, said, on error). */
static json_t *diff_two(struct store *s, int64_t id, int64_t other, long long limit, int json,
			struct scan_change **ch, size_t *n)
{
	size_t total = 0;

	if (store_diff(s, other, id, (size_t)limit, ch, n, &total) != STORE_OK) {
		cli_error("%s", store_error(s));
		return NULL;
	}
	if (!json)
		printf("scan %lld compared with scan %lld: %zu change%s\n", (long long)id,
		       (long long)other, total, total == 1 ? "" : "s");
	return json_pack("{sIsIsI}", "scan_id", (json_int_t)id, "compared_with", (json_int_t)other,
			 "total", (json_int_t)total);
}

int cmd_diff(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		CLI_LIST_OPTIONS,
		{ "chain", no_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct store *s = NULL;
	struct scan_change *ch = NULL;
	size_t n = 0;
	long long limit = DIFF_DEFAULT_LIMIT;
	int64_t id, other = 0;
	int c, json = 0, chain = 0;
	json_t *out, *arr;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c == 'c')
			chain = 1;
		else if (cli_list_option("diff", argv, c, &json, &limit, DIFF_MAX_LIMIT) != CLI_OK)
			return CLI_USAGE;
	}
	if (optind != argc - 1 && optind != argc - 2)
		return cli_usage("diff", "expected a scan id and at most one other");
	if (cli_parse_id(argv[optind], &id) < 0)
		return cli_usage("diff", "invalid scan id '%s'", argv[optind]);
	if (optind == argc - 2 && cli_parse_id(argv[optind + 1], &other) < 0)
		return cli_usage("diff", "invalid scan id '%s'", argv[optind + 1]);
	if (chain && other)
		return cli_usage("diff", "--chain takes one scan id: the chain's first scan");
	if (!(s = cli_open_store(cli)))
		return CLI_FAIL;
	out = other ? diff_two(s, id, other, limit, json, &ch, &n)
	      : chain ? diff_chain(s, id, limit, json, &ch, &n)
	      : diff_recorded(s, id, limit, json, &ch, &n);
	store_close(s);
	if (!out) {
		scan_change_array_free(ch, n);
		return CLI_FAIL;
	}
	arr = json_array();
	for (size_t i = 0; i < n; i++) {
		if (json)
			json_array_append_new(arr, scan_change_to_json(&ch[i]));
		else
			print_change(&ch[i], chain);
	}
	if (json) {
		json_object_set_new(out, "changes", arr);
		json_dumpf(out, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		json_decref(arr);
	}
	json_decref(out);
	scan_change_array_free(ch, n);
	return CLI_OK;
}
