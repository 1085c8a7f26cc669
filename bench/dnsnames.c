/*
 * bench/dnsnames.c — prints the dns scan type's built-in word list, one
 * name a line, so bench/dns.sh can give a peer tool the very same list.
 *
 *   build/bench/dnsnames > names.txt
 */
#include <stdio.h>
#include "dns.h"

int main(void)
{
	size_t n;
	const char *const *names = dns_names_default(&n);

	if (!names) {
		fprintf(stderr, "error: out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		printf("%s\n", names[i]);
	return 0;
}
