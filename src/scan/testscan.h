/*
 * testscan.h — scan types that exist to test the worker honestly: they do
 * nothing useful, but each one behaves like a real scanner that sleeps,
 * fails, eats memory, starts grandchildren, floods its output or crashes.
 * Their names start with "test-"; `scanq help` and the README mark them so.
 */
#ifndef SCANQ_TESTSCAN_H
#define SCANQ_TESTSCAN_H

struct scanctx;

int testscan_ok(struct scanctx *ctx);
int testscan_sleep(struct scanctx *ctx);
int testscan_fail(struct scanctx *ctx);
int testscan_alloc(struct scanctx *ctx);
int testscan_fork(struct scanctx *ctx);
int testscan_flood(struct scanctx *ctx);
int testscan_crash(struct scanctx *ctx);

#endif
