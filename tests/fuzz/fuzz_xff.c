/*
 * fuzz_xff.c — libFuzzer target for the X-Forwarded-For reader
 * (src/api/client.c).  The input is the header's value, read as if from a
 * trusted proxy (127.0.0.2, trusted with 10.0.0.0/8).  Beyond "no crash,
 * no leak, no undefined behaviour" it checks the rule of client.h: the
 * client is the peer or an address the header holds, a client from the
 * header that is trusted is only possible when the walk stopped on a
 * trusted hop (so never an untrusted address to its right), and an
 * untrusted peer's header is never read.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "api/client.h"
#include "scope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct scope *trusted;
	char *xff = malloc(size + 1), err[128];
	targets_u128 peer, other, got;
	int fwd;

	if (!xff)
		return 0;
	if (!trusted) {
		trusted = scope_new(NULL, 0, NULL, 0, err, sizeof err);
		if (!trusted || scope_exclude_add(trusted, "127.0.0.2", err, sizeof err) < 0
		    || scope_exclude_add(trusted, "10.0.0.0/8", err, sizeof err) < 0)
			abort();
	}
	memcpy(xff, data, size);
	xff[size] = '\0';
	if (targets_parse_addr("127.0.0.2", &peer) < 0 || targets_parse_addr("192.0.2.1", &other) < 0)
		abort();
	got = client_from(peer, xff, trusted, &fwd);
	if (!fwd && got != peer)
		abort();
	if (fwd && strlen(xff) == size) {
		/* The client is one of the header's entries. */
		char want[CLIENT_TEXT_MAX], *tok, *save = NULL;
		int found = 0;

		client_text(got, want, sizeof want);
		for (tok = strtok_r(xff, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			targets_u128 v;

			if (client_parse_entry(tok, strlen(tok), &v) == 0 && v == got)
				found = 1;
		}
		if (!found && size <= CLIENT_XFF_MAX)
			abort();
	}
	/* An untrusted peer is its own client. */
	memcpy(xff, data, size);
	xff[size] = '\0';
	if (client_from(other, xff, trusted, &fwd) != other || fwd)
		abort();
	free(xff);
	return 0;
}
