/*
 * fuzz_expiry.c — libFuzzer target for the expiry of an acceptance
 * (findings_parse_expiry(): an RFC 3339 time or a duration, from the CLI's
 * --expires and the API's "expires").  Beyond "no crash, no leak, no
 * undefined behaviour" it checks what the store relies on: an accepted
 * duration lands within 3650 days after now, an accepted time within the
 * years RFC 3339 can write, and the same input gives the same answer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "app/findings.h"

#define NOW_MS 1800000000000LL		/* a fixed now: 2027-01-15 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[128];
	int64_t t = 0, again = 0;
	int rc;

	if (size >= sizeof s)
		size = sizeof s - 1;
	memcpy(s, data, size);
	s[size] = '\0';
	rc = findings_parse_expiry(s, NOW_MS, &t);
	if (rc != findings_parse_expiry(s, NOW_MS, &again) || (rc == 0 && t != again))
		abort();
	if (rc < 0)
		return 0;
	if (s[0] >= '0' && s[0] <= '9' && strlen(s) < 20) {	/* a duration */
		if (t <= NOW_MS || t > NOW_MS + 3650LL * 86400000)
			abort();
	} else if (t < -62167219200000LL - 86400000 || t > 253402300800000LL + 86400000) {
		abort();	/* outside 0000-01-01 .. 9999-12-31, give or take the offset */
	}
	return 0;
}
