/*
 * workflow.h — the submit side of follow-up stages and shards: checking a
 * "then" list and splitting a large scan's targets into shard slices.
 * docs/WORKFLOWS.md says how chains and shards behave.
 */
#ifndef SCANQ_WORKFLOW_H
#define SCANQ_WORKFLOW_H

#include <stddef.h>
#include <jansson.h>

#define WORKFLOW_STAGES_MAX 8		/* follow-up stages after the first scan */

/*
 * Checks `then` (NULL: none): a list of scan types or {"type", "ports",
 * "options"} objects, each type known to `known`.  *out gets the list as
 * the store keeps it in options.then (each stage an object with its
 * shard_hosts from the configuration), or NULL without stages.  Returns
 * 0, or -1 with code (invalid_field, invalid_type, invalid_ports) and a
 * one-line msg.
 */
int workflow_then(json_t *then, int (*known)(const char *type), json_t **out, char *code,
		  size_t codelen, char *msg, size_t msglen);

/*
 * The shard slices of a scan of `targets` (a checked JSON array of specs)
 * on `ports` (NULL: the default): a JSON array of target arrays, each of at
 * most [flow] shard_addresses addresses and shard_probes address x port
 * probes, as new text (free()); NULL when the scan is not larger than one
 * shard.
 */
char *workflow_slices(json_t *targets, const char *ports);

#endif
