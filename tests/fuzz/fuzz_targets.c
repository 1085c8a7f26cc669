/*
 * fuzz_targets.c — libFuzzer target for the target and port parsers.
 *
 * The input is split on newlines into target specs (at most 64) and parsed
 * with a small cap; the last line is also tried as a port spec.  Beyond "no
 * crash, no leak, no undefined behaviour" it checks the invariants the
 * scanners rely on: an accepted list never holds more addresses than the
 * cap, the iterator yields exactly targets_count() addresses in strictly
 * ascending order, every accepted spec neither is empty nor starts with
 * '-', and a port set's count matches its bits.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ports.h"
#include "targets.h"

#define FUZZ_SPECS 64
#define FUZZ_CAP   4096

static void check_ports(const char *spec)
{
	struct port_set ps;
	char err[128], *text;
	int n = 0;

	if (ports_parse(spec, &ps, err, sizeof err) < 0)
		return;
	for (int p = ports_next(&ps, 0); p; p = ports_next(&ps, p))
		n++;
	if (n != ps.count || n == 0)
		abort();
	text = ports_format(&ps);
	if (text) {
		struct port_set again;

		/* Formatting and parsing again gives the same set. */
		if (ports_parse(text, &again, err, sizeof err) < 0 || memcmp(again.bits, ps.bits, sizeof ps.bits))
			abort();
		free(text);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *specs[FUZZ_SPECS], *save = NULL, *line;
	char code[32], msg[256];
	struct target_list *l = targets_new();
	int n = 0;

	if (!buf || !l)
		goto out;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (line = strtok_r(buf, "\n", &save); line && n < FUZZ_SPECS; line = strtok_r(NULL, "\n", &save))
		specs[n++] = line;
	if (n > 0)
		check_ports(specs[n - 1]);
	for (int i = 0; i < n; i++) {
		targets_u128 lo, hi;
		int kind = targets_classify(specs[i], &lo, &hi);

		if (kind != 0 && (specs[i][0] == '-' || specs[i][0] == '\0'))
			abort();
		if (kind == 1 && lo > hi)
			abort();
		if (kind == 2 && !targets_name_valid(specs[i]))
			abort();
	}
	if (targets_parse(l, (const char *const *)specs, n, FUZZ_CAP, code, sizeof code, msg, sizeof msg) == 0) {
		struct target_iter it;
		struct target_addr a;
		targets_u128 prev = 0;
		uint64_t count = 0;

		if (targets_count(l) + targets_nnames(l) > FUZZ_CAP || targets_count(l) + targets_nnames(l) == 0)
			abort();
		targets_iter_init(&it, l);
		while (targets_iter_next(&it, &a)) {
			targets_u128 v = targets_from_addr(&a);

			if (count > 0 && v <= prev)
				abort();
			if (!targets_contains(l, v))
				abort();
			prev = v;
			if (++count > FUZZ_CAP)
				abort();
		}
		if (count != targets_count(l))
			abort();
	}
out:
	targets_free(l);
	free(buf);
	return 0;
}
