/*
 * fuzz_tls_hello.c — libFuzzer target for what the tls scan reads from a
 * server before any library does: the ServerHello parser (tls_hello.c)
 * and the SMTP reply parser of STARTTLS (tls.c).  The first byte picks
 * one.  Checked: no crash or out-of-bounds read, a parsed answer is one
 * of the four, a version is a 16-bit number, a reply code 200..599.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "tls.h"
#include "tls_hello.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *copy;
	int v = -1, s = -1, r;

	if (size < 1)
		return 0;
	/* An exact-size copy, so ASan sees any read past the end. */
	copy = malloc(size - 1 ? size - 1 : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, size - 1);
	if (data[0] & 1) {
		r = tls_hello_parse(copy, size - 1, &v, &s);
		if (r < TLS_HELLO_MORE || r > TLS_HELLO_NOT_TLS)
			abort();
		if (r == TLS_HELLO_ACCEPTED && (v < 0 || v > 0xffff || s < 0 || s > 0xffff))
			abort();
	} else {
		r = tls_smtp_reply((const char *)copy, size - 1);
		if (r != 0 && r != -1 && (r < 200 || r > 599))
			abort();
	}
	free(copy);
	return 0;
}
