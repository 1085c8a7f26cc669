/*
 * views.h — the JSON forms of what the store returns, as the CLI and the
 * API both print them: a schedule, the queue's status, a worker and the
 * tree of a chain or split scan.  The
 * store hands back structs; how they look to a user is decided here, once,
 * above it (a scan's and an event's forms are core/scan.h's, a finding's
 * app/findings.h's).  Every *_to_json() returns a new reference.
 */
#ifndef SCANQ_VIEWS_H
#define SCANQ_VIEWS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct schedule;
struct queue_status;
struct worker_info;
struct flow_node;
struct store;

/* A schedule; `now` decides "late" (SCHEDULE_LATE_MS past next_run_at). */
json_t *schedule_to_json(const struct schedule *sc, int64_t now);

/* The queue's status: counts by status and type, depth, throughput, workers. */
json_t *queue_status_to_json(const struct queue_status *q);

/* A worker: its state at `now`, heartbeat age, running scan ids, last exit
 * and what that exit usually means. */
json_t *worker_info_to_json(const struct worker_info *w, int64_t now);

/*
 * A chain's (or split scan's) tree from store_flow_tree()'s nodes: {"root",
 * "status" (the chain's, summarised), "findings" (all), "tree": {id, type,
 * status, progress, findings, targets, shard, note, error, shards (split
 * parents), children: [...]}}.  NULL for no nodes or out of memory.
 */
json_t *flow_tree_to_json(int64_t root, const struct flow_node *nodes, size_t n);

/* store_flow_tree() and flow_tree_to_json() in one call: *out (a new
 * reference) is the tree of the chain scan `id` belongs to.  Returns
 * STORE_OK, or STORE_NOT_FOUND or an error with *err saying what. */
int flow_tree_read(struct store *s, int64_t id, json_t **out, const char **err);

#endif
