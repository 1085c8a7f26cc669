/*
 * scanq-scan.c — the lean scanner binary: `scanq-scan TYPE --json --options
 * JSON -- TARGET...` runs one built-in scan type, exactly as `scanq scan`
 * does (both call scantype_main()), and nothing else.
 *
 * Why a second executable: a worker starts one child per scan, and a child
 * of the full `scanq` binary maps 38 shared libraries (libpq with Kerberos
 * and LDAP, libmicrohttpd with GnuTLS, libxml2 with ICU) that a scanner
 * never calls; measured, the dynamic loader and the page faults of mapping
 * them were 93% of a trivial scan's cost (6.4 ms per child).  This binary
 * is built from the same scanner sources, links only jansson, c-ares and
 * inih, statically, and starts in a fraction of that.  It is still a fresh
 * process per scan, so a crashing scanner can never take its worker down.
 * Tool profiles (nmap, nuclei) run through `scanq scan`: they start an
 * external tool, which dwarfs the loader.  When this binary is missing,
 * the worker uses `scanq scan` for everything.
 */
#include <stdio.h>
#include "core/config.h"
#include "core/log.h"
#include "scantype.h"

int main(int argc, char **argv)
{
	char err[512];

	/* The same settings as the worker: it passes SCANQ_CONFIG and SCANQ_*. */
	scantype_config_checks();
	if (config_load(NULL, err, sizeof err) < 0) {
		fprintf(stderr, "error: %s\n", err);
		return 1;
	}
	log_set_component("scan");
	return scantype_main(argc, argv, NULL);
}
