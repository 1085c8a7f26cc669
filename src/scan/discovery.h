/*
 * discovery.h — the "discovery" scan type: resolve the targets
 * (resolve.h), then ask every address on a few common TCP ports; an answer
 * of any kind (handshake or reset) means the host is up.
 */
#ifndef SCANQ_DISCOVERY_H
#define SCANQ_DISCOVERY_H

struct scanctx;

/* The "discovery" scan type.  Returns the exit status. */
int discovery_run(struct scanctx *ctx);

#endif
