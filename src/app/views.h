/*
 * views.h — the JSON forms of what the store returns, as the CLI and the
 * API both print them: a schedule, the queue's status and a worker.  The
 * store hands back structs; how they look to a user is decided here, once,
 * above it (a scan's and an event's forms are core/scan.h's, a finding's
 * app/findings.h's).  Every function returns a new reference.
 */
#ifndef SCANQ_VIEWS_H
#define SCANQ_VIEWS_H

#include <stdint.h>
#include <jansson.h>

struct schedule;
struct queue_status;
struct worker_info;

/* A schedule; `now` decides "late" (SCHEDULE_LATE_MS past next_run_at). */
json_t *schedule_to_json(const struct schedule *sc, int64_t now);

/* The queue's status: counts by status and type, depth, throughput, workers. */
json_t *queue_status_to_json(const struct queue_status *q);

/* A worker: its state at `now`, heartbeat age, running scan ids, last exit
 * and what that exit usually means. */
json_t *worker_info_to_json(const struct worker_info *w, int64_t now);

#endif
