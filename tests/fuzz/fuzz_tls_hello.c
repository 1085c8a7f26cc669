/*
 * fuzz_tls_hello.c — libFuzzer target for what the tls scan reads from a
 * server before any library does: the ServerHello parser (tls_hello.c)
 * and the SMTP reply parser of STARTTLS (tls.c), and the ClientHello
 * writer given any version, suite count, server name and buffer size.
 * The first byte picks one.  Checked: no crash or out-of-bounds access, a
 * parsed answer is one of the four, a version is a 16-bit number, an
 * answer counted as TLS 1.3 names a 1.3 suite, a reply code 200..599, a
 * hello fits its buffer and its record length is its own.
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
	if ((data[0] & 3) == 2 && size >= 3) {
		/* The writer: a version, suites and a server name from the input
		 * (a NUL-terminated copy), into a buffer of the size the input asks. */
		unsigned char out[TLS_HELLO_MAX];
		size_t cap = (size_t)data[1] * 4 % (sizeof out + 1), ns = data[2] % 40, n;
		int version = (data[2] & 0x40) ? TLS_HELLO_TLS13 : 0x0300 + data[2] % 4;
		uint16_t suites[40];
		char *sni = malloc(size);

		if (sni) {
			memcpy(sni, data + 3, size - 3);
			sni[size - 3] = '\0';
			for (size_t i = 0; i < ns; i++)
				suites[i] = (uint16_t)(0x1301 + i);
			n = tls_hello_build(out, cap, version, suites, ns, sni);
			if (n > cap || (n > 0 && (n < 5 || (size_t)(out[3] << 8 | out[4]) != n - 5)))
				abort();
			free(sni);
		}
	} else if (data[0] & 1) {
		r = tls_hello_parse(copy, size - 1, &v, &s);
		if (r < TLS_HELLO_MORE || r > TLS_HELLO_NOT_TLS)
			abort();
		if (r == TLS_HELLO_ACCEPTED && (v < 0 || v > 0xffff || s < 0 || s > 0xffff))
			abort();
		if (r == TLS_HELLO_ACCEPTED && tls_hello_answered_at(TLS_HELLO_TLS13, v, s)
		    && (v != TLS_HELLO_TLS12 || s < 0x1301 || s > 0x1305))
			abort();
	} else {
		r = tls_smtp_reply((const char *)copy, size - 1);
		if (r != 0 && r != -1 && (r < 200 || r > 599))
			abort();
	}
	free(copy);
	return 0;
}
