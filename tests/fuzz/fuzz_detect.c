/*
 * fuzz_detect.c — libFuzzer target for the parsers of service detection
 * (detect.c): the first byte picks the banner, HTTP or Redis parser (and
 * a port hint), the rest is what a service sent.  Checked: no crash or
 * out-of-bounds read (the input is an exact-size copy), and every string
 * of the result ends within its field.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "detect.h"

static void terminated(const char *s, size_t cap)
{
	if (!memchr(s, '\0', cap))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct detect_result r;
	char *copy;

	if (size < 1)
		return 0;
	copy = malloc(size - 1 ? size - 1 : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, size - 1);
	memset(&r, 0, sizeof r);
	switch (data[0] % 3) {
	case 0: detect_banner(copy, size - 1, data[0] & 0x80 ? 21 : 25, &r); break;
	case 1: detect_http(copy, size - 1, &r); break;
	default: detect_redis(copy, size - 1, &r); break;
	}
	terminated(r.service, sizeof r.service);
	terminated(r.product, sizeof r.product);
	terminated(r.version, sizeof r.version);
	terminated(r.extra, sizeof r.extra);
	terminated(r.title, sizeof r.title);
	if (r.http_status < 0 || r.http_status > 999)
		abort();
	free(copy);
	return 0;
}
