/*
 * fuzz_changes.c — libFuzzer target for the comparison of two scans'
 * findings (scan_changes_compute()), whose details are scanners' output
 * parsed as JSON.  Each input line is a finding: kind, target, port,
 * service, severity, detail, separated by tabs; the lines before a line
 * "--" are the old scan, the rest the new one.
 *
 * Beyond "no crash, no leak, no undefined behaviour" it checks what the
 * comparison promises: a scan compared with itself, or with its findings
 * in reverse order, has no changes; new - gone = (new findings) - (old
 * findings); every change is new, gone or changed with a kind.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "store/store.h"

#define MAX_FINDINGS 512

static size_t parse(char *text, struct finding *f, size_t max, char **rest)
{
	size_t n = 0;
	char *line = text, *next;

	*rest = NULL;
	for (; line && *line && n < max; line = next) {
		char *field[6] = { 0 }, *p = line;
		int k = 0;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (strcmp(line, "--") == 0) {
			*rest = next;
			return n;
		}
		while (k < 6) {
			field[k++] = p;
			if (!(p = strchr(p, '\t')))
				break;
			*p++ = '\0';
		}
		memset(&f[n], 0, sizeof f[n]);
		snprintf(f[n].kind, sizeof f[n].kind, "%s", field[0] ? field[0] : "");
		f[n].target = field[1];
		f[n].port = field[2] ? (int)(strtol(field[2], NULL, 10) & 0xffff) : 0;
		f[n].service = field[3];
		snprintf(f[n].severity, sizeof f[n].severity, "%s", field[4] ? field[4] : "");
		f[n].detail = field[5];
		n++;
	}
	return n;
}

static void check(const struct finding *a, size_t na, const struct finding *b, size_t nb, int same)
{
	struct scan_change *ch = NULL;
	size_t n = 0;
	int64_t c[3];

	if (scan_changes_compute(a, na, b, nb, 64, &ch, &n, c) < 0)
		abort();
	if (same && (c[0] || c[1] || c[2] || n))
		abort();
	if (c[0] - c[1] != (int64_t)nb - (int64_t)na)
		abort();
	for (size_t i = 0; i < n; i++) {
		json_t *o = scan_change_to_json(&ch[i]);

		if (!o || !ch[i].kind[0] || (strcmp(ch[i].change, "new") && strcmp(ch[i].change, "gone")
					     && strcmp(ch[i].change, "changed")))
			abort();
		json_decref(o);
	}
	scan_change_array_free(ch, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct finding a[MAX_FINDINGS], b[MAX_FINDINGS], r[MAX_FINDINGS];
	char *text, *rest;
	size_t na, nb = 0;

	if (size > 64 * 1024)
		return 0;
	text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	na = parse(text, a, MAX_FINDINGS, &rest);
	if (rest)
		nb = parse(rest, b, MAX_FINDINGS, &rest);
	for (size_t i = 0; i < na; i++)
		r[i] = a[na - 1 - i];
	check(a, na, a, na, 1);
	check(a, na, r, na, 1);
	check(a, na, b, nb, 0);
	free(text);
	return 0;
}
