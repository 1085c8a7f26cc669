/*
 * fuzz_dns_answer.c — libFuzzer target for the dns scan's answer handling
 * (dns_answer.c): any bytes as a DNS reply, parsed by libldns and turned
 * into bounded text records.  Checked: no crash or out-of-bounds read,
 * never more records than asked for, every field NUL-terminated within
 * its array, owners lower case without a root dot (an escaped dot in a
 * label may end one).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "dns.h"

#define MAXREC 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dns_rec recs[MAXREC];
	unsigned char *copy = malloc(size ? size : 1);
	long dropped = 0;
	int rcode, n;

	if (!copy)
		return 0;
	/* An exact-size copy, so ASan sees any read past the end. */
	memcpy(copy, data, size);
	memset(recs, 0x55, sizeof recs);
	n = dns_answer_records(copy, size, recs, MAXREC, &rcode, &dropped);
	if (n > MAXREC || n < -1 || (n >= 0 && (rcode < 0 || rcode > 15)) || dropped < 0)
		abort();
	for (int i = 0; i < n; i++) {
		size_t len = strnlen(recs[i].name, sizeof recs[i].name);

		if (len == sizeof recs[i].name || strnlen(recs[i].type, sizeof recs[i].type) == sizeof recs[i].type
		    || strnlen(recs[i].value, sizeof recs[i].value) == sizeof recs[i].value)
			abort();
		/* A dot inside a label is escaped ("a\\."), which may end a name. */
		if (len > 1 && recs[i].name[len - 1] == '.' && recs[i].name[len - 2] != '\\')
			abort();
		for (size_t k = 0; k < len; k++)
			if (isupper((unsigned char)recs[i].name[k]))
				abort();
	}
	free(copy);
	return 0;
}
